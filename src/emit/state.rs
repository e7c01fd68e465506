//! A build's state on disk, which makes it resumable, shardable and mergeable:
//!
//! - `build.json`: the resolved config and its hash, written before any scene. Every shard of a build writes
//!   the same bytes; a folder holding another config's build is refused rather than mixed.
//! - `scenes/<id>/done.json`: written (atomically) after every other file of the scene, with their blake3
//!   hashes. A scene counts as finished only when it exists, names this config's hash, and every file it lists
//!   hashes as recorded; anything else is rebuilt from scratch.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::records::AdapterRecord;
use super::{EmitError, io_err, write_atomic};
use crate::config::Config;

/// `build.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BuildRecord {
    pub config_hash: String,
    pub config: Config,
    /// The manifest's semantic classes (so that merging needs neither the manifest nor the config's folder).
    pub semantic_classes: Vec<String>,
}

/// `scenes/<id>/done.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SceneDone {
    pub scene_id: String,
    pub seed: u64,
    pub config_hash: String,
    /// Relative path from the build root -> blake3 hex, every file of the scene but this one.
    pub files: BTreeMap<String, String>,
    pub questions_dropped_by_degradations: u32,
    /// Questions per type.
    pub questions: BTreeMap<String, u64>,
    pub frames: u64,
    pub adapter: AdapterRecord,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(
        "{path} holds a build of another configuration (config hash {found}, this one {wanted}): choose another \
         --out, or pass --fresh to delete its scenes and start over"
    )]
    OtherConfig { path: PathBuf, found: String, wanted: String },
    #[error("{path} is not readable as diorama's {what}: {cause}")]
    Corrupt { path: PathBuf, what: &'static str, cause: String },
    #[error("{0}")]
    Emit(#[from] EmitError),
}

/// The hash naming a resolved config: blake3 of its JSON.
pub fn config_hash(config: &Config) -> String {
    blake3::hash(&serde_json::to_vec(config).expect("the config serialises")).to_hex().to_string()
}

fn build_json(root: &Path) -> PathBuf {
    root.join("build.json")
}

pub fn scene_done_path(root: &Path, scene_id: &str) -> PathBuf {
    root.join("scenes").join(scene_id).join("done.json")
}

/// Reads `build.json` (None when there is none).
pub fn read_build(root: &Path) -> Result<Option<BuildRecord>, StateError> {
    let path = build_json(root);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| StateError::Corrupt {
            path,
            what: "build record",
            cause: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(EmitError::Read { path, cause: e.to_string() }.into()),
    }
}

/// Claims the folder for `record`'s config: writes `build.json`, or checks that the one there is the same.
pub fn claim(root: &Path, record: &BuildRecord) -> Result<(), StateError> {
    if let Some(found) = read_build(root)? {
        if found.config_hash != record.config_hash {
            return Err(StateError::OtherConfig {
                path: root.to_path_buf(),
                found: found.config_hash,
                wanted: record.config_hash.clone(),
            });
        }
        return Ok(());
    }
    let mut bytes = serde_json::to_vec_pretty(record).expect("the build record serialises");
    bytes.push(b'\n');
    write_atomic(&build_json(root), &bytes)?;
    Ok(())
}

/// Deletes a previous build's scenes and records (`--fresh`).
pub fn clear(root: &Path) -> Result<(), EmitError> {
    let scenes = root.join("scenes");
    if scenes.exists() {
        std::fs::remove_dir_all(&scenes).map_err(io_err(&scenes))?;
    }
    for name in ["build.json", "dataset.json", "qa.jsonl"] {
        let p = root.join(name);
        if p.exists() {
            std::fs::remove_file(&p).map_err(io_err(&p))?;
        }
    }
    Ok(())
}

/// Marks a scene finished: its record, written after all its files.
pub fn mark_done(root: &Path, done: &SceneDone) -> Result<(), EmitError> {
    let mut bytes = serde_json::to_vec_pretty(done).expect("the scene record serialises");
    bytes.push(b'\n');
    write_atomic(&scene_done_path(root, &done.scene_id), &bytes)
}

/// A scene's record if the scene is finished for `config_hash`: the record is there and names that hash, and
/// every file it lists is there with the recorded hash. `Err` says why not.
pub fn finished(root: &Path, scene_id: &str, config_hash: &str) -> Result<SceneDone, String> {
    let path = scene_done_path(root, scene_id);
    let bytes = std::fs::read(&path).map_err(|_| "not finished".to_string())?;
    let done: SceneDone = serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    if done.config_hash != config_hash || done.scene_id != scene_id {
        return Err("built for another config".into());
    }
    for (rel, hash) in &done.files {
        let file = root.join(rel);
        let bytes = std::fs::read(&file).map_err(|e| format!("{rel}: {e}"))?;
        if blake3::hash(&bytes).to_hex().as_str() != hash {
            return Err(format!("{rel} does not match its recorded hash"));
        }
    }
    Ok(done)
}

/// Reads a scene's record (already checked by [`finished`]).
pub fn read_done(root: &Path, scene_id: &str) -> Result<SceneDone, StateError> {
    let path = scene_done_path(root, scene_id);
    let bytes = std::fs::read(&path).map_err(super::read_err(&path))?;
    serde_json::from_slice(&bytes).map_err(|e| StateError::Corrupt { path, what: "scene record", cause: e.to_string() })
}

/// dataset.json's `scenes`, read from each scene's record while they are written (never all in memory).
pub struct SceneEntries<'a> {
    pub root: &'a Path,
    pub ids: &'a [String],
}

impl Serialize for SceneEntries<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut seq = serializer.serialize_seq(Some(self.ids.len()))?;
        for id in self.ids {
            let done = read_done(self.root, id).map_err(S::Error::custom)?;
            seq.serialize_element(&super::records::SceneEntry {
                scene_id: done.scene_id,
                seed: done.seed,
                files: done.files,
                questions_dropped_by_degradations: done.questions_dropped_by_degradations,
            })?;
        }
        seq.end()
    }
}

/// Removes temporary files a killed process left in the build's root (`<name>.<pid>.tmp` of a process that no
/// longer runs), so that a resumed build holds exactly the files of an uninterrupted one.
pub fn remove_stale_tmp(root: &Path) -> Result<(), EmitError> {
    let Ok(entries) = std::fs::read_dir(root) else { return Ok(()) };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) =
            name.strip_suffix(".tmp").and_then(|n| n.rsplit('.').next()).and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let path = e.path();
            std::fs::remove_file(&path).map_err(io_err(&path))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_temporary_files_of_dead_processes_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        // No process has pid 4000000000; this one is alive.
        let dead = root.join("qa.jsonl.4000000000.tmp");
        let alive = root.join(format!("dataset.json.{}.tmp", std::process::id()));
        for p in [&dead, &alive, &root.join("notes.tmp"), &root.join("qa.jsonl")] {
            std::fs::write(p, b"x").unwrap();
        }
        remove_stale_tmp(root).unwrap();
        assert!(!dead.exists());
        assert!(alive.exists() && root.join("notes.tmp").exists() && root.join("qa.jsonl").exists());
    }
}
