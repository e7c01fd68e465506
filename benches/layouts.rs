//! Valid layouts per second on one core, per room type: the optimizer alone (greedy construction, annealing,
//! small objects and the certificate), without rendering.
//!
//! Run: `cargo bench --bench layouts` (DIORAMA_BENCH_SEEDS sets layouts per room type, default 200).

use std::time::Instant;

use diorama::{Config, plan};
use diorama_assets::Manifest;
use diorama_layouts::floorplan::{PlanSpec, furnish_apartment, plan_apartment};
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
        "{name:<12} {:>7} {:>9.2} {:>9.2} {:>9.2} {:>10.1} {:>8.1}",
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
        "{:<12} {:>7} {:>9} {:>9} {:>9} {:>10} {:>8}",
        "room type", "valid", "median ms", "p95 ms", "max ms", "layouts/s", "objects"
    );
    for room_type in &config.room.types {
        let mut spec = plan::layout_spec(&config);
        spec.room_types = vec![room_type.clone()];
        // One attempt per seed, as the pipeline's first try; failed attempts count in the time too.
        measure(room_type, seeds, |s| {
            Optimizer.generate(&spec, &manifest, &mut seed::stream(s, "layout/0")).ok().map(|l| l.furniture().count())
        });
    }

    // A 4-room apartment: the floor plan, then every room furnished and certified (one stream per seed).
    let plan_spec = PlanSpec::for_room_types(
        &manifest,
        &["living_room", "bedroom", "kitchen", "bathroom"],
        config.room.door_width_m,
    )
    .expect("built-in room types");
    let spec = plan::layout_spec(&config);
    measure("4-room apt", seeds, |s| {
        let mut rng = seed::stream(s, "apartment/0");
        let rooms = plan_apartment(&plan_spec, &mut rng)
            .and_then(|p| furnish_apartment(&p, &spec, &manifest, &mut rng))
            .ok()?;
        Some(rooms.iter().map(|l| l.furniture().count()).sum())
    });
}
