//! The `diorama` command line.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, Subcommand};
use diorama::{Config, Progress};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Parser)]
#[command(
    name = "diorama",
    version,
    about = "Builds synthetic spatial-reasoning video datasets: furnished rooms, headless rendering, exact ground truth"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build a dataset from a config (the built-in default when none is given).
    Build {
        /// Config file (TOML); see `diorama config --print-default`.
        config: Option<PathBuf>,
        /// Output folder (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Override the config's build seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Override the config's number of scenes.
        #[arg(long)]
        scenes: Option<u32>,
        /// Replace the config's degradation sets: one set per flag, entries joined by `+`, each
        /// `type[:severity][:param=value]`, e.g. `--degrade low_light:3+rain:2 --degrade fog:mor_m=150`.
        #[arg(long, value_name = "SET")]
        degrade: Vec<String>,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
        /// Build only shard I of N (scenes i with i mod N = I) into OUT, leaving qa.jsonl and dataset.json to
        /// `diorama merge OUT`. Without it, a Slurm array task or Kubernetes Indexed Job takes its shard from
        /// the environment (SLURM_ARRAY_TASK_ID/_COUNT; JOB_COMPLETION_INDEX with --shard-count).
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        /// The number of shards when the environment gives only the index (Kubernetes).
        #[arg(long, value_name = "N")]
        shard_count: Option<u32>,
        /// Delete what OUT holds (scenes, records) instead of resuming: by default, scenes an earlier run
        /// finished (every file's hash verified) are kept and partial ones rebuilt.
        #[arg(long)]
        fresh: bool,
    },
    /// Build one dataset per cell of a grid or seeded random sample over config keys (see the sweep file
    /// format in README.md), then write OUT/summary.csv and OUT/summary.json.
    Sweep {
        /// The sweep file (TOML): `base`, `mode`, `samples`, `seed` and `[axes]`.
        sweep: PathBuf,
        /// Output folder: one `cell-NNN` build per cell, and the summary.
        #[arg(long)]
        out: PathBuf,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Write a static HTML report of a dataset: per scene the plan with the camera path, a contact sheet of
    /// frames with 2D boxes and names, and a sample of questions with answers.
    Preview {
        /// The dataset folder.
        dataset: PathBuf,
        /// Where to write index.html and its thumbnails (default: DATASET/preview).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Show at most this many scenes.
        #[arg(long, default_value_t = 20)]
        scenes: usize,
    },
    /// Put a sharded build together: check every scene is finished, then write qa.jsonl and dataset.json.
    Merge {
        /// The build's output folder.
        dataset: PathBuf,
    },
    /// Render one frame through every degradation type at a few severities, tiled into one PNG (with a
    /// .txt legend beside it): how the levels look for this config's scenes.
    ContactSheet {
        /// Config file (TOML); the built-in default when none is given.
        config: Option<PathBuf>,
        /// The PNG to write.
        #[arg(long)]
        out: PathBuf,
        /// Which scene of the config.
        #[arg(long, default_value_t = 0)]
        scene: u32,
        /// Which frame of it (default: the middle one).
        #[arg(long)]
        frame: Option<u32>,
        /// Severities, one column each.
        #[arg(long, value_delimiter = ',', default_values_t = [1u8, 3, 5])]
        levels: Vec<u8>,
        /// Shrink each tile by this factor.
        #[arg(long, default_value_t = 2)]
        shrink: u32,
    },
    /// Score a model's raw outputs on a dataset with VSI-Bench's metrics (exact match of the option letter for
    /// multiple choice, mean relative accuracy over thresholds 0.50-0.95 for numbers), per question type and
    /// overall.
    Score {
        /// The dataset folder (a finished build).
        #[arg(long)]
        dataset: PathBuf,
        /// JSONL, one `{"id": ..., "prediction": "raw model output"}` per line.
        #[arg(long)]
        predictions: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write a dataset's questions as VSI-Bench records (`vsibench`) or LLaVA-style conversations (`llava`).
    Export {
        /// The dataset folder.
        dataset: PathBuf,
        /// vsibench: VSI-Bench records; llava: LLaVA conversations; llava-mc: the same with numeric questions
        /// asked as multiple choice (their `mc_options`); webdataset: tar shards, one sample per scene (video,
        /// scene.json, frames.jsonl, qa.jsonl).
        #[arg(long, value_parser = ["vsibench", "llava", "llava-mc", "webdataset"])]
        format: String,
        /// The JSONL file to write (webdataset: the folder for the shards).
        #[arg(long)]
        out: PathBuf,
        /// webdataset: the most mebibytes per tar shard (a larger sample gets a shard alone).
        #[arg(long, default_value_t = 1024.0)]
        shard_mb: f64,
    },
    /// Recompute every answer of a dataset from its scene.json and frames.jsonl through independent code, and
    /// fail on any mismatch.
    Verify {
        /// The dataset folder.
        dataset: PathBuf,
    },
    /// Show or check configurations.
    Config {
        /// Print the default configuration as commented TOML.
        #[arg(long)]
        print_default: bool,
        /// Check a config file and print it with every default filled in.
        #[arg(long, value_name = "CONFIG")]
        check: Option<PathBuf>,
    },
}

/// Build progress: a bar (scenes, frames, rate, ETA) on a terminal; plain lines every `PLAIN_EVERY` and at each
/// scene otherwise (cluster logs); nothing but scene lines' absence with `--quiet`.
enum Reporter {
    Bar { bar: ProgressBar, scenes: u32, scenes_done: u32 },
    Plain { frames: u64, done: u64, scenes: u32, scenes_done: u32, started: Instant, last: Instant },
    Quiet,
}

const PLAIN_EVERY: Duration = Duration::from_secs(10);

impl Reporter {
    fn new(quiet: bool) -> Reporter {
        if quiet {
            Reporter::Quiet
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:40}] {pos}/{len} frames, {msg} ({per_sec}, eta {eta})",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            Reporter::Bar { bar, scenes: 0, scenes_done: 0 }
        } else {
            let now = Instant::now();
            Reporter::Plain { frames: 0, done: 0, scenes: 0, scenes_done: 0, started: now, last: now }
        }
    }

    fn finish(&self) {
        if let Reporter::Bar { bar, .. } = self {
            bar.finish_and_clear();
        }
    }

    /// One plain progress line: frames, scenes, rate and ETA.
    fn line(frames: u64, done: u64, scenes: u32, scenes_done: u32, started: Instant) -> String {
        let s = started.elapsed().as_secs_f64();
        let rate = done as f64 / s.max(1e-9);
        let eta = if rate > 0.0 { (frames - done) as f64 / rate } else { 0.0 };
        format!("progress: {done}/{frames} frames, {scenes_done}/{scenes} scenes, {rate:.1} frames/s, eta {eta:.0} s")
    }

    fn scene_finished(&mut self, text: String) {
        match self {
            Reporter::Bar { bar, scenes, scenes_done } => {
                *scenes_done += 1;
                bar.set_message(format!("{scenes_done}/{scenes} scenes"));
                bar.println(text);
            }
            Reporter::Plain { frames, done, scenes, scenes_done, started, last } => {
                *scenes_done += 1;
                eprintln!("{text}");
                eprintln!("{}", Reporter::line(*frames, *done, *scenes, *scenes_done, *started));
                *last = Instant::now();
            }
            Reporter::Quiet => {}
        }
    }
}

impl Progress for Reporter {
    fn start(&mut self, total_frames: u64, total_scenes: u32) {
        match self {
            Reporter::Bar { bar, scenes, .. } => {
                bar.set_length(total_frames);
                *scenes = total_scenes;
                bar.set_message(format!("0/{total_scenes} scenes"));
            }
            Reporter::Plain { frames, scenes, .. } => (*frames, *scenes) = (total_frames, total_scenes),
            Reporter::Quiet => {}
        }
    }
    fn frame(&mut self) {
        match self {
            Reporter::Bar { bar, .. } => bar.inc(1),
            Reporter::Plain { frames, done, scenes, scenes_done, started, last } => {
                *done += 1;
                if last.elapsed() >= PLAIN_EVERY {
                    eprintln!("{}", Reporter::line(*frames, *done, *scenes, *scenes_done, *started));
                    *last = Instant::now();
                }
            }
            Reporter::Quiet => {}
        }
    }
    fn scene_done(&mut self, scene_id: &str, attempts: u32, objects: usize, questions: usize) {
        self.scene_finished(format!(
            "scene {scene_id}: {objects} objects (layout attempt {attempts}), {questions} questions"
        ));
    }
    fn scene_skipped(&mut self, scene_id: &str, frames: u64) {
        match self {
            Reporter::Bar { bar, .. } => bar.inc(frames),
            Reporter::Plain { done, .. } => *done += frames,
            Reporter::Quiet => {}
        }
        self.scene_finished(format!("scene {scene_id}: finished by an earlier run (verified), kept"));
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Config { print_default, check } => {
            if let Some(path) = check {
                let config = Config::from_file(&path)?;
                print!("{}", toml::to_string(&config).context("printing the resolved config")?);
            } else if print_default {
                print!("{}", diorama::DEFAULT_CONFIG_TOML);
            } else {
                anyhow::bail!("say what to do: `diorama config --print-default` or `diorama config --check FILE`");
            }
            Ok(())
        }
        Command::Verify { dataset } => {
            let r = diorama::verify::verify(&dataset)?;
            for (t, n) in &r.checked {
                println!("{t:<32} {n:>6} checked");
            }
            for (t, n) in &r.unknown {
                println!("{t:<32} {n:>6} not checked (no independent recomputation for this type yet)");
            }
            for (id, why) in &r.mismatches {
                println!("MISMATCH {id}: {why}");
            }
            for (file, why) in &r.integrity {
                println!("DAMAGED {file}: {why}");
            }
            if !r.mismatches.is_empty() || !r.integrity.is_empty() {
                anyhow::bail!(
                    "{} answers disagree with the scene, {} files or records are damaged",
                    r.mismatches.len(),
                    r.integrity.len()
                );
            }
            println!("{} files match the hashes in dataset.json; the config and tool are recorded", r.files_checked);
            println!("every checked answer agrees with scene.json and frames.jsonl");
            Ok(())
        }
        Command::Score { dataset, predictions, json } => {
            let r = diorama::score::score(&dataset, &predictions)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r).context("printing the report")?);
            } else {
                println!("{:<32} {:>8} {:>9}", "question_type", "score", "questions");
                for (t, s) in &r.per_type {
                    println!("{t:<32} {:>8.4} {:>9}", s.score, s.count);
                }
                println!("{:<32} {:>8.4} {:>9}", "overall (VSI-Bench)", r.overall, r.questions);
                if r.missing > 0 {
                    println!("{} questions had no prediction and scored 0", r.missing);
                }
            }
            Ok(())
        }
        Command::Export { dataset, format, out, shard_mb: _ } if format != "webdataset" => {
            let f = match format.as_str() {
                "llava" => diorama::score::ExportFormat::Llava,
                "llava-mc" => diorama::score::ExportFormat::LlavaChoice,
                _ => diorama::score::ExportFormat::VsiBench,
            };
            let bytes = diorama::score::export(&dataset, f)?;
            diorama::emit::write_atomic(&out, &bytes)?;
            eprintln!("wrote {} ({} questions)", out.display(), bytes.iter().filter(|b| **b == b'\n').count());
            Ok(())
        }
        Command::ContactSheet { config, out, scene, frame, levels, shrink } => {
            let (cfg, dir) = match &config {
                Some(path) => (Config::from_file(path)?, path.parent().map(|p| p.to_path_buf())),
                None => (Config::default(), None),
            };
            if levels.iter().any(|l| !(1..=5).contains(l)) {
                anyhow::bail!("--levels must be severities from 1 to 5, got {levels:?}");
            }
            let spec = diorama::sheet::SheetSpec { scene, frame, levels, shrink };
            let summary = diorama::sheet::contact_sheet(&cfg, dir.as_deref(), &spec, &out)
                .with_context(|| format!("drawing the contact sheet {}", out.display()))?;
            eprintln!(
                "wrote {} ({} x {} px; legend in {})",
                out.display(),
                summary.width,
                summary.height,
                diorama::sheet::legend_path(&out).display()
            );
            Ok(())
        }
        Command::Build { config, out, seed, scenes, degrade, quiet, shard, shard_count, fresh } => {
            let (mut cfg, dir) = match &config {
                Some(path) => (Config::from_file(path)?, path.parent().map(|p| p.to_path_buf())),
                None => (Config::default(), None),
            };
            if let Some(s) = seed {
                cfg.seed = s;
            }
            if let Some(n) = scenes {
                cfg.scenes = n;
            }
            if !degrade.is_empty() {
                cfg.degradations.sets = degrade
                    .iter()
                    .map(|d| diorama_degradations::parse_set(d).with_context(|| format!("--degrade {d}")))
                    .collect::<anyhow::Result<_>>()?;
            }
            cfg.validate("command line")?;
            let mut progress = Reporter::new(quiet);
            let shard = diorama::shard::resolve(shard.as_deref(), shard_count, |k| std::env::var(k).ok())
                .map_err(anyhow::Error::msg)?;
            let options = diorama::BuildOptions { shard, fresh };
            let summary = diorama::build_with(&cfg, dir.as_deref(), &out, options, &mut progress)
                .with_context(|| format!("building the dataset into {}", out.display()))?;
            progress.finish();
            let t = summary.times;
            let s = |d: std::time::Duration| d.as_secs_f64();
            let resumed = match summary.resumed {
                0 => String::new(),
                n => format!(" ({n} finished by an earlier run, verified and kept)"),
            };
            eprintln!(
                "built {} scenes{resumed}, {} frames, {} questions into {} in {:.1} s ({:.1} frames/s) on {}\n  \
                 layout {:.2} s, render {:.2} s, readback {:.2} s, degrade {:.2} s, encode {:.2} s, emit {:.2} s",
                summary.scenes,
                summary.frames,
                summary.questions,
                summary.out.display(),
                s(t.total),
                summary.frames as f64 / s(t.total),
                summary.adapter,
                s(t.layout),
                s(t.render),
                s(t.readback),
                s(t.degrade),
                s(t.encode),
                s(t.emit),
            );
            let per_type: Vec<String> = summary.question_types.iter().map(|(t, n)| format!("{t} {n}")).collect();
            eprintln!("  questions: {}", per_type.join(", "));
            if let Some(mb) = peak_rss_mib() {
                eprintln!("  peak memory {mb:.0} MiB");
            }
            if let Some(s) = shard {
                eprintln!(
                    "  shard {}/{}: once every shard has finished, run `diorama merge {}`",
                    s.index,
                    s.count,
                    summary.out.display()
                );
            }
            Ok(())
        }
        Command::Export { dataset, out, shard_mb, .. } => {
            if !(shard_mb > 0.0 && shard_mb.is_finite()) {
                anyhow::bail!("--shard-mb must be a positive number of MiB, got {shard_mb}");
            }
            let max_bytes = (shard_mb * 1048576.0) as u64;
            let (samples, shards) = diorama::emit::webdataset::write_shards(&dataset, &out, "diorama", max_bytes)?;
            eprintln!("wrote {samples} samples in {} shards into {}", shards.len(), out.display());
            Ok(())
        }
        Command::Sweep { sweep, out, quiet } => run_sweep(&sweep, &out, quiet),
        Command::Preview { dataset, out, scenes } => {
            let out = out.unwrap_or_else(|| dataset.join("preview"));
            let page = diorama::emit::preview::write_preview(&dataset, &out, scenes)
                .with_context(|| format!("previewing {}", dataset.display()))?;
            eprintln!("wrote {}", page.display());
            Ok(())
        }
        Command::Merge { dataset } => {
            let m = diorama::merge(&dataset).with_context(|| format!("merging {}", dataset.display()))?;
            eprintln!("merged {} scenes, {} questions into {}", m.scenes, m.questions, dataset.display());
            Ok(())
        }
    }
}

/// Builds every cell of a sweep (each resumable), then writes the summary.
fn run_sweep(sweep: &std::path::Path, out: &std::path::Path, quiet: bool) -> anyhow::Result<()> {
    use diorama::sweep;
    let cells = sweep::cells(sweep)?;
    let config_dir = sweep.parent().map(|p| p.to_path_buf());
    eprintln!("sweep {}: {} cells into {}", sweep.display(), cells.len(), out.display());
    let mut rows = Vec::new();
    for cell in &cells {
        let name = format!("cell-{:03}", cell.index);
        let dir = out.join(&name);
        let described: Vec<String> = cell.values.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        eprintln!("{name}: {}", described.join(", "));
        let mut progress = Reporter::new(quiet);
        let summary = diorama::build_with(&cell.config, config_dir.as_deref(), &dir, Default::default(), &mut progress)
            .with_context(|| format!("building {name} into {}", dir.display()))?;
        progress.finish();
        let (placed, requested, attempts, failed) = sweep::layout_stats(&dir, cell.config.scenes);
        let seconds = summary.times.total.as_secs_f64();
        rows.push(sweep::CellSummary {
            cell: name,
            values: cell.values.iter().map(|(k, v)| (k.clone(), sweep::json_value(v))).collect(),
            scenes: summary.scenes,
            frames: cell.config.scenes as u64 * cell.config.camera.frames as u64,
            questions: summary.questions,
            questions_per_type: summary.question_types.clone(),
            seconds,
            frames_per_s: summary.frames as f64 / seconds.max(1e-9),
            placed_objects_mean: placed,
            requested_objects_mean: requested,
            layout_attempts_mean: attempts,
            constraints_failed: failed,
        });
    }
    diorama::emit::write_atomic(&out.join("summary.csv"), sweep::csv(&rows).as_bytes())?;
    let json = serde_json::to_vec_pretty(&rows).context("the summary serialises")?;
    diorama::emit::write_atomic(&out.join("summary.json"), &json)?;
    eprintln!("wrote {} and summary.json ({} cells)", out.join("summary.csv").display(), rows.len());
    Ok(())
}

/// The process's peak resident memory (Linux: VmHWM), MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() -> ExitCode {
    // Vulkan's window-system probing loads libwayland, which prints "error: XDG_RUNTIME_DIR is invalid or not
    // set" on headless machines although nothing is wrong. Pointing it at the temporary folder (no Wayland
    // socket there) keeps the probe quiet.
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        // SAFETY: first statement of main, before any thread exists, so no concurrent reader of the environment.
        unsafe { std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir()) };
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("DIORAMA_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
