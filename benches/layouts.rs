//! Valid layouts per second on one core, per room type: the optimizer alone (greedy construction, annealing,
//! small objects and the certificate), without rendering.
//!
//! Run: `cargo bench --bench layouts` (DIORAMA_BENCH_SEEDS sets layouts per room type, default 200).

use std::time::Instant;

use diorama::{Config, plan};
use diorama_assets::Manifest;
use diorama_layouts::{LayoutGenerator, Optimizer};
use diorama_sim::seed;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Times `make` over `seeds` seeds; prints a row: valid share, median, p95 and max ms, valid per second, and the
/// mean number of objects (what `make` returns on success).
fn measure(name: &str, seeds: u64, mut make: impl FnMut(u64) -> Option<usize>) {
    let mut times = Vec::new();
    let (mut valid, mut objects) = (0u64, 0usize);
    for s in 0..seeds {
        let started = Instant::now();
        let made = make(s);
        times.push(started.elapsed().as_secs_f64() * 1e3);
        if let Some(n) = made {
            valid += 1;
            objects += n;
        }
    }
    let total_s: f64 = times.iter().sum::<f64>() / 1e3;
    times.sort_by(f64::total_cmp);
    println!(
        "{name:<22} {:>7} {:>9.2} {:>9.2} {:>9.2} {:>10.1} {:>8.1}",
        format!("{valid}/{seeds}"),
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        times.last().copied().unwrap_or(0.0),
        valid as f64 / total_s,
        objects as f64 / valid.max(1) as f64,
    );
}

fn main() {
    let seeds: u64 = std::env::var("DIORAMA_BENCH_SEEDS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let config = Config::default();
    let manifest = Manifest::builtin();
    println!(
        "{:<22} {:>7} {:>9} {:>9} {:>9} {:>10} {:>8}",
        "room type", "valid", "median ms", "p95 ms", "max ms", "layouts/s", "objects"
    );
    let dense =
        Config::from_file(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/apartments.toml")))
            .expect("examples/apartments.toml");
    // Single rooms with the default objects, then with the dense objects of examples/apartments.toml.
    for (suffix, config) in [("", &config), (" (dense)", &dense)] {
        for room_type in &Config::default().room.types {
            let mut spec = plan::layout_spec(config);
            spec.room_types = vec![room_type.clone()];
            // One attempt per seed, as the pipeline's first try; failed attempts count in the time too.
            measure(&format!("{room_type}{suffix}"), seeds, |s| {
                Optimizer
                    .generate(&spec, &manifest, &mut seed::stream(s, "layout/0"))
                    .ok()
                    .map(|l| l.furniture().count())
            });
        }
    }

    // 4-room apartments as builds make them (the first layout attempt of a scene; the seed varies): the floor
    // plan, then every room furnished and certified, then the rooms' connection. With the default objects, and
    // with the dense objects of examples/apartments.toml.
    let dense =
        Config::from_file(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/apartments.toml")))
            .expect("examples/apartments.toml");
    for (name, base) in [("4-room apt", Config::default()), ("dense apt", dense)] {
        let mut config = base.clone();
        config.room.count = 4;
        measure(name, seeds, |s| {
            config.seed = s;
            plan::scene_layout(&config, &manifest, 0, 0).ok().map(|a| a.furniture().count())
        });
    }
}
