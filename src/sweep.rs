//! `diorama sweep`: one build per cell of a grid (or a seeded random sample) over config keys, then a summary
//! table of every cell (CSV and JSON).
//!
//! ```toml
//! base = "examples/apartments.toml"   # optional; the built-in default otherwise (relative to this file)
//! mode = "grid"                       # or "random"
//! samples = 8                         # random mode: cells drawn
//! seed = 0                            # random mode: the draw's seed
//! [axes]
//! "room.count" = [1, 2, 4]            # any config key, dotted; a list of values
//! "objects.clutter" = { min = 0.1, max = 0.5 }   # random mode: drawn uniformly
//! degrade = ["", "fog:3", "low_light:2+rain:1"]   # degradation sets as for `build --degrade` ("" = clean)
//! ```
//! Cells are numbered in the order of the grid (axes in key order, the last varying fastest) or of the draws;
//! each builds into `OUT/cell-NNN` (resumable like any build), and the summary goes to `OUT/summary.csv` and
//! `OUT/summary.json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::config::Config;

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("cannot read {path}: {cause}")]
    Read { path: PathBuf, cause: std::io::Error },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// One axis: the values a key takes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Axis {
    Values(Vec<toml::Value>),
    Range { min: f64, max: f64 },
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    #[serde(default)]
    pub base: Option<PathBuf>,
    #[serde(default = "grid")]
    pub mode: String,
    #[serde(default)]
    pub samples: u32,
    #[serde(default)]
    pub seed: u64,
    pub axes: BTreeMap<String, Axis>,
}

fn grid() -> String {
    "grid".into()
}

/// One cell: its number, the value of every axis, and the config it builds.
#[derive(Debug, Clone)]
pub struct Cell {
    pub index: usize,
    pub values: BTreeMap<String, toml::Value>,
    pub config: Config,
}

/// Reads a sweep file and expands it into its cells, each config validated.
pub fn cells(path: &Path) -> Result<Vec<Cell>, SweepError> {
    let text = std::fs::read_to_string(path).map_err(|cause| SweepError::Read { path: path.to_path_buf(), cause })?;
    let invalid = |message: String| SweepError::Invalid { path: path.to_path_buf(), message };
    let sweep: SweepFile = toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    let base_text = match &sweep.base {
        Some(base) => {
            let file = path.parent().unwrap_or(Path::new(".")).join(base);
            std::fs::read_to_string(&file).map_err(|cause| SweepError::Read { path: file, cause })?
        }
        None => crate::DEFAULT_CONFIG_TOML.to_string(),
    };
    let base: toml::Table = toml::from_str(&base_text).map_err(|e| invalid(format!("base config: {e}")))?;
    if sweep.axes.is_empty() {
        return Err(invalid("[axes] names no config key to sweep".into()));
    }
    let assignments: Vec<BTreeMap<String, toml::Value>> = match sweep.mode.as_str() {
        "grid" => grid_cells(&sweep.axes).map_err(invalid)?,
        "random" => random_cells(&sweep.axes, sweep.samples, sweep.seed).map_err(invalid)?,
        other => return Err(invalid(format!("mode must be \"grid\" or \"random\", got \"{other}\""))),
    };
    assignments
        .into_iter()
        .enumerate()
        .map(|(index, values)| {
            let config = cell_config(&base, &values).map_err(|e| invalid(format!("cell {index}: {e}")))?;
            Ok(Cell { index, values, config })
        })
        .collect()
}

fn grid_cells(axes: &BTreeMap<String, Axis>) -> Result<Vec<BTreeMap<String, toml::Value>>, String> {
    let mut cells = vec![BTreeMap::new()];
    for (key, axis) in axes {
        let Axis::Values(values) = axis else {
            return Err(format!("axis {key}: a range needs mode = \"random\"; a grid lists values"));
        };
        if values.is_empty() {
            return Err(format!("axis {key} lists no values"));
        }
        cells = cells
            .into_iter()
            .flat_map(|c| {
                values.iter().map(move |v| {
                    let mut c = c.clone();
                    c.insert(key.clone(), v.clone());
                    c
                })
            })
            .collect();
    }
    Ok(cells)
}

fn random_cells(
    axes: &BTreeMap<String, Axis>,
    samples: u32,
    seed: u64,
) -> Result<Vec<BTreeMap<String, toml::Value>>, String> {
    if samples == 0 {
        return Err("random mode needs samples >= 1".into());
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut cells = Vec::new();
    for _ in 0..samples {
        let mut cell = BTreeMap::new();
        for (key, axis) in axes {
            let v = match axis {
                Axis::Values(values) if values.is_empty() => return Err(format!("axis {key} lists no values")),
                Axis::Values(values) => values[rng.random_range(0..values.len())].clone(),
                Axis::Range { min, max } if min.is_nan() || max.is_nan() || min > max => {
                    return Err(format!("axis {key}: min above max"));
                }
                // Three decimals: the cell's value reads as it is used.
                Axis::Range { min, max } => {
                    toml::Value::Float((rng.random_range(*min..=*max) * 1000.0).round() / 1000.0)
                }
            };
            cell.insert(key.clone(), v);
        }
        cells.push(cell);
    }
    Ok(cells)
}

/// The base config with a cell's values set (dotted keys; `degrade` sets `degradations.sets`).
fn cell_config(base: &toml::Table, values: &BTreeMap<String, toml::Value>) -> Result<Config, String> {
    let mut table = base.clone();
    let mut degrade = None;
    for (key, value) in values {
        if key == "degrade" {
            degrade = Some(value.as_str().ok_or("degrade values are strings like \"fog:3\"")?.to_string());
            continue;
        }
        set(&mut table, key, value.clone())?;
    }
    let text = toml::to_string(&table).map_err(|e| e.to_string())?;
    let mut config: Config = toml::from_str(&text).map_err(|e| e.to_string())?;
    if let Some(set) = degrade {
        config.degradations.sets = if set.is_empty() {
            vec![]
        } else {
            vec![diorama_degradations::parse_set(&set).map_err(|e| e.to_string())?]
        };
    }
    config.validate("sweep cell").map_err(|e| e.to_string())?;
    Ok(config)
}

fn set(table: &mut toml::Table, key: &str, value: toml::Value) -> Result<(), String> {
    let mut parts: Vec<&str> = key.split('.').collect();
    let last = parts.pop().ok_or("empty key")?;
    let mut t = table;
    for p in parts {
        t = t
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .ok_or_else(|| format!("{key}: {p} is not a section"))?;
    }
    t.insert(last.to_string(), value);
    Ok(())
}

/// One summary row.
#[derive(Debug, Clone, Serialize)]
pub struct CellSummary {
    pub cell: String,
    pub values: BTreeMap<String, serde_json::Value>,
    pub scenes: u32,
    pub frames: u64,
    pub questions: u64,
    pub questions_per_type: BTreeMap<String, u64>,
    pub seconds: f64,
    pub frames_per_s: f64,
    /// Layout statistics over the cell's scenes: mean objects placed and requested per scene, mean layout
    /// attempts, and how many layout constraints failed in all.
    pub placed_objects_mean: f64,
    pub requested_objects_mean: f64,
    pub layout_attempts_mean: f64,
    pub constraints_failed: u64,
}

/// Reads a finished cell's layout statistics from its scenes' scene.json.
pub fn layout_stats(out: &Path, scenes: u32) -> (f64, f64, f64, u64) {
    let (mut placed, mut requested, mut attempts, mut failed) = (0.0, 0.0, 0.0, 0u64);
    for i in 0..scenes {
        let path = out.join("scenes").join(crate::pipeline::scene_id(i)).join("scene.json");
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        let Ok(scene) = serde_json::from_str::<serde_json::Value>(&text) else { continue };
        let r = &scene["layout_report"];
        placed += r["placed_objects"].as_f64().unwrap_or(0.0);
        requested += r["requested_objects"].as_f64().unwrap_or(0.0);
        attempts += r["attempts"].as_f64().unwrap_or(0.0);
        failed += r["constraints"].as_array().map_or(0, |c| c.iter().filter(|c| c["holds"] == false).count() as u64);
    }
    let n = scenes.max(1) as f64;
    (placed / n, requested / n, attempts / n, failed)
}

/// The summary as CSV: one row per cell; the axes, then the figures, then one column per question type.
pub fn csv(rows: &[CellSummary]) -> String {
    let axes: Vec<&String> = rows.first().map(|r| r.values.keys().collect()).unwrap_or_default();
    let types: std::collections::BTreeSet<&String> = rows.iter().flat_map(|r| r.questions_per_type.keys()).collect();
    let mut head: Vec<String> = vec!["cell".into()];
    head.extend(axes.iter().map(|a| a.to_string()));
    head.extend(
        [
            "scenes",
            "frames",
            "questions",
            "seconds",
            "frames_per_s",
            "placed_objects_mean",
            "requested_objects_mean",
            "layout_attempts_mean",
            "constraints_failed",
        ]
        .map(String::from),
    );
    head.extend(types.iter().map(|t| format!("q_{t}")));
    let quote = |s: String| if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s };
    let mut out = head.into_iter().map(quote).collect::<Vec<_>>().join(",") + "\n";
    for r in rows {
        let mut cols = vec![r.cell.clone()];
        cols.extend(axes.iter().map(|a| match &r.values[*a] {
            serde_json::Value::String(s) => s.clone(),
            v => v.to_string(),
        }));
        cols.extend([
            r.scenes.to_string(),
            r.frames.to_string(),
            r.questions.to_string(),
            format!("{:.2}", r.seconds),
            format!("{:.2}", r.frames_per_s),
            format!("{:.2}", r.placed_objects_mean),
            format!("{:.2}", r.requested_objects_mean),
            format!("{:.2}", r.layout_attempts_mean),
            r.constraints_failed.to_string(),
        ]);
        cols.extend(types.iter().map(|t| r.questions_per_type.get(*t).copied().unwrap_or(0).to_string()));
        out += &(cols.into_iter().map(quote).collect::<Vec<_>>().join(",") + "\n");
    }
    out
}

/// A TOML value as JSON (for the summary).
pub fn json_value(v: &toml::Value) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join("s.toml");
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn a_grid_is_the_product_of_its_axes_in_key_order() {
        let tmp = tempfile::tempdir().unwrap();
        let p = write(tmp.path(), "[axes]\n\"room.count\" = [1, 2]\n\"objects.clutter\" = [0.2, 0.3, 0.4]\n");
        let cells = cells(&p).unwrap();
        assert_eq!(cells.len(), 6);
        // objects.clutter sorts first; room.count varies fastest.
        assert_eq!(cells[1].config.room.count, 2);
        assert_eq!(cells[1].config.objects.clutter, 0.2);
        assert_eq!(cells[2].config.objects.clutter, 0.3);
        assert_eq!(cells[5].config.room.count, 2);
        assert_eq!(cells[0].config.camera, Config::default().camera, "other keys keep the base's values");
    }

    #[test]
    fn random_samples_are_seeded_and_stay_in_range() {
        let tmp = tempfile::tempdir().unwrap();
        let text = "mode = \"random\"\nsamples = 5\nseed = 3\n[axes]\n\"objects.clutter\" = { min = 0.1, max = 0.5 }\n\
                    degrade = [\"\", \"fog:3\"]\n";
        let p = write(tmp.path(), text);
        let (a, b) = (cells(&p).unwrap(), cells(&p).unwrap());
        assert_eq!(a.len(), 5);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.config, y.config, "the same seed draws the same cells");
            assert!((0.1..=0.5).contains(&x.config.objects.clutter));
        }
        for c in &a {
            let clean = c.values["degrade"].as_str() == Some("");
            assert_eq!(c.config.degradations.sets.is_empty(), clean, "{:?}", c.values);
        }
    }

    #[test]
    fn bad_sweeps_name_the_problem() {
        let tmp = tempfile::tempdir().unwrap();
        let err = |t: &str| cells(&write(tmp.path(), t)).unwrap_err().to_string();
        assert!(err("[axes]\n\"room.count\" = [0]\n").contains("cell 0"));
        assert!(err("[axes]\n\"room.nope\" = [1]\n").contains("nope"));
        assert!(err("mode = \"grid\"\n[axes]\n\"objects.clutter\" = { min = 0.1, max = 0.5 }\n").contains("random"));
        assert!(err("[axes]\n").contains("no config key"));
        assert!(err("[axes]\ndegrade = [\"smog:2\"]\n").contains("smog"));
    }
}

#[cfg(test)]
mod example_tests {
    #[test]
    fn every_example_sweep_expands() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sweeps");
        let mut n = 0;
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            let cells = super::cells(&path).unwrap_or_else(|e| panic!("{e}"));
            assert!(!cells.is_empty(), "{path:?}");
            n += 1;
        }
        assert!(n >= 1);
    }
}
