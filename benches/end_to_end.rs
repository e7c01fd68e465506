//! End-to-end throughput of `diorama build` on the default config, and where the time goes.
//!
//! Run: `cargo bench --bench end_to_end` (set DIORAMA_BENCH_RUNS to change the number of runs, default 3).

use std::time::Duration;

use diorama::{Config, StageTimes};

fn main() {
    let runs: usize = std::env::var("DIORAMA_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let config = Config::default();
    let mut all = Vec::new();
    let mut adapter = String::new();
    let mut frames = 0;
    for run in 0..runs {
        let tmp = tempfile::tempdir().expect("temporary folder");
        let summary = diorama::build(&config, None, tmp.path(), &mut ()).expect("default build");
        adapter = summary.adapter.clone();
        frames = summary.frames;
        let t = summary.times;
        println!("run {run}: {:.2} s, {:.1} frames/s", t.total.as_secs_f64(), frames as f64 / t.total.as_secs_f64());
        all.push(t);
    }
    let best = all.iter().min_by_key(|t| t.total).expect("at least one run");
    let total = best.total.as_secs_f64();
    println!(
        "\ndefault config: {} scenes x {} frames at {}x{} on {adapter}",
        config.scenes, config.camera.frames, config.camera.width, config.camera.height
    );
    println!("best of {runs}: {total:.2} s, {:.1} frames/s end to end", frames as f64 / total);
    let share = |d: Duration| 100.0 * d.as_secs_f64() / total;
    let StageTimes { layout, render, readback, degrade, encode, emit, .. } = *best;
    let other = best.total.saturating_sub(layout + render + readback + degrade + encode + emit);
    println!("{:<10} {:>8} {:>7}", "stage", "seconds", "share");
    for (name, d) in [
        ("layout", layout),
        ("render", render),
        ("readback", readback),
        ("degrade", degrade),
        ("encode", encode),
        ("emit", emit),
        ("other", other),
    ] {
        println!("{name:<10} {:>8.3} {:>6.1}%", d.as_secs_f64(), share(d));
    }
}
