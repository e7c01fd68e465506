//! What degradations cost at 640x480: (1) the camera model on the CPU per frame, every type at severity 5 (the
//! renderer's part excluded); (2) whole builds of one 48-frame scene, clean, with each type that makes the
//! renderer integrate sub-frames or a medium, and with the heaviest preset, in frames per second end to end.
//!
//! Run: `cargo bench --bench degradations` (DIORAMA_BENCH_QUICK=1 skips the builds).

use std::time::Instant;

use diorama::Config;
use diorama_degradations::optics::Pinhole;
use diorama_degradations::weather::CameraAt;
use diorama_degradations::{CameraModel, FrameInput, Kind, parse_set, resolve_set};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const W: u32 = 640;
const H: u32 = 480;
const HEAVIEST: &str = "low_light:5+motion_blur:5+rolling_shutter:5+defocus:5+rain:5+haze:5+distortion:5+\
                        chromatic_aberration:5+vignetting:5+water_drops:5+low_res:5+jpeg:5+h265:5";

fn main() {
    cpu_costs();
    if std::env::var("DIORAMA_BENCH_QUICK").is_err() {
        builds();
    }
}

fn cpu_costs() {
    let k = Pinhole { fx: 457.0, fy: 457.0, cx: 320.0, cy: 240.0, width: W, height: H };
    // A textured frame of indoor luminances, half of it sky (so rain and snow draw particles).
    let linear: Vec<[f32; 4]> = (0..(W * H) as usize)
        .map(|i| {
            let (x, y) = (i % W as usize, i / W as usize);
            let v = 5.0 + 20.0 * (((x / 7 + y / 5) % 2) as f32) + (x as f32 * 0.01).sin() * 3.0;
            [v * 1.1, v, v * 0.8, 1.0]
        })
        .collect();
    let depth: Vec<f32> = (0..(W * H) as usize).map(|i| if i < (W * H / 2) as usize { 0.0 } else { 3.0 }).collect();
    let cam =
        CameraAt { world_from_camera: [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]], position: [0.0, 0.0, 1.5] };
    let outdoors = |_: [f64; 3]| true;
    println!("camera model on the CPU, 640x480, severity 5, ms per frame (the renderer's part not included)");
    let mut kinds: Vec<String> = vec!["clean".into()];
    kinds.extend(Kind::ALL.iter().map(|k| format!("{}:5", k.name())));
    kinds.push(HEAVIEST.into());
    for name in kinds {
        let set = if name == "clean" { Vec::new() } else { resolve_set(&parse_set(&name).unwrap()).unwrap() };
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let model = CameraModel::new(set, k, 12.0, &[300.0; 8], 1, &mut rng).unwrap();
        let input = FrameInput {
            k: 0,
            linear: &linear,
            depth_m: &depth,
            metered_cd_m2: 10.0,
            airlight_cd_m2: 10.0,
            open: cam,
            close: cam,
            t_open_s: 0.0,
            t_close_s: 1.0 / 24.0,
            outdoors: &outdoors,
            camera_outdoors: true,
            centre_speed_px_s: 300.0,
        };
        let runs = 5;
        let start = Instant::now();
        for r in 0..runs {
            let mut rng = ChaCha8Rng::seed_from_u64(r);
            std::hint::black_box(model.process(&input, &mut rng).unwrap());
        }
        let ms = start.elapsed().as_secs_f64() * 1e3 / runs as f64;
        let label = if name == HEAVIEST { "heaviest preset".to_string() } else { name };
        println!("  {label:<26} {ms:>8.1} ms   (renderer sub-frames: {})", model.subframes);
    }
}

fn builds() {
    println!("\nwhole builds: 1 scene, 1 room, 48 frames, 640x480 (frames per second end to end)");
    let base = Config {
        scenes: 1,
        room: diorama::config::RoomConfig { count: 1, ..Default::default() },
        camera: diorama::config::CameraConfig { frames: 48, ..Default::default() },
        ..Config::default()
    };
    for set in ["clean", "fog:5", "motion_blur:5", "rolling_shutter:5", "defocus:5", "low_light:5", HEAVIEST] {
        let mut config = base.clone();
        if set != "clean" {
            config.degradations.sets = vec![parse_set(set).unwrap()];
        }
        let tmp = tempfile::tempdir().expect("temporary folder");
        let s = diorama::build(&config, None, tmp.path(), &mut ()).expect("build");
        let t = s.times;
        let per = |d: std::time::Duration| d.as_secs_f64() * 1e3 / s.frames as f64;
        let label = if set == HEAVIEST { "heaviest preset" } else { set };
        println!(
            "  {label:<18} {:>6.2} frames/s   render {:>6.1} ms/frame, camera model {:>6.1} ms/frame, encode {:>5.1} ms/frame",
            s.frames as f64 / t.total.as_secs_f64(),
            per(t.render),
            per(t.degrade),
            per(t.encode)
        );
    }
}
