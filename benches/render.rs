//! Renderer throughput on lavapipe (or whatever adapter is found): frames per second and megapixels per second
//! for a furnished 30-object and 100-object room at 640x480 and 1280x720, lit by two shadow-casting ceiling
//! panels and the sun through a window, with and without 4x MSAA. Each frame includes all of its passes
//! (ground truth, colour, the finishing compute pass) and the readback of every image.
//!
//! Run: `cargo bench --bench render` (DIORAMA_BENCH_FRAMES sets frames per case, default 60;
//! DIORAMA_BENCH_ONLY=640x480 runs one image size). `first ms` is the
//! scene's upload, its shadow maps and the first frame; frames per second are measured after it.

use std::time::Instant;

use diorama_render::light::normalized_color;
use diorama_render::{
    AmbientZone, Emitter, FrameCamera, Light, Lighting, RenderError, RenderSettings, Renderer, SceneMesh, Sun, Surface,
    Texture,
};

const IDENTITY: [[f32; 3]; 3] = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
const ROOM: [f32; 3] = [6.0, 5.0, 2.7];

/// A 6 x 5 m room (floorboards, plaster walls with a window gap, ceiling) holding `objects` pieces of
/// furniture on a grid, each two boxes and a cylinder, in turn wood, fabric and metal.
fn room(objects: u32) -> SceneMesh {
    let mut mesh = SceneMesh::default();
    let surface = |albedo: f32, texture, roughness, metallic| Surface {
        albedo: [albedo, albedo * 0.9, albedo * 0.8],
        texture,
        roughness,
        metallic,
        uv_offset_m: [0.0; 2],
        image: None,
        normal_image: None,
    };
    let [w, d, h] = ROOM;
    mesh.add_box([w / 2.0, d / 2.0, -0.05], IDENTITY, [w, d, 0.1], &surface(0.5, Texture::Floorboards, 0.45, 0.0), 1);
    mesh.add_box([w / 2.0, d / 2.0, h + 0.05], IDENTITY, [w, d, 0.1], &surface(0.9, Texture::Plaster, 0.9, 0.0), 2);
    let wall = surface(0.8, Texture::Plaster, 0.9, 0.0);
    mesh.add_box([w / 2.0, -0.05, h / 2.0], IDENTITY, [w, 0.1, h], &wall, 3);
    mesh.add_box([-0.05, d / 2.0, h / 2.0], IDENTITY, [0.1, d, h], &wall, 4);
    mesh.add_box([w + 0.05, d / 2.0, h / 2.0], IDENTITY, [0.1, d, h], &wall, 5);
    // The far wall has a 1.2 m window between 0.9 m and 2.1 m.
    mesh.add_box([1.2, d + 0.05, h / 2.0], IDENTITY, [2.4, 0.1, h], &wall, 6);
    mesh.add_box([4.8, d + 0.05, h / 2.0], IDENTITY, [2.4, 0.1, h], &wall, 6);
    mesh.add_box([3.0, d + 0.05, 0.45], IDENTITY, [1.2, 0.1, 0.9], &wall, 6);
    mesh.add_box([3.0, d + 0.05, 2.4], IDENTITY, [1.2, 0.1, 0.6], &wall, 6);
    let cols = (objects as f32).sqrt().ceil() as u32;
    let pitch = [(w - 1.0) / cols as f32, (d - 1.0) / cols as f32];
    for k in 0..objects {
        let (i, j) = (k % cols, k / cols);
        let c = [0.5 + pitch[0] * (i as f32 + 0.5), 0.5 + pitch[1] * (j as f32 + 0.5)];
        let s = pitch[0].min(pitch[1]) * 0.6;
        let material = match k % 3 {
            0 => surface(0.45, Texture::Wood, 0.55, 0.0),
            1 => surface(0.35, Texture::Fabric, 0.95, 0.0),
            _ => surface(0.7, Texture::Brushed, 0.4, 1.0),
        };
        let id = 10 + k;
        mesh.add_box([c[0], c[1], 0.3], IDENTITY, [s, s, 0.6], &material, id);
        mesh.add_box([c[0], c[1] - s * 0.4, 0.8], IDENTITY, [s, s * 0.2, 0.4], &material, id);
        mesh.add_cylinder([c[0], c[1], 0.7], IDENTITY, s * 0.3, 0.2, &material, id);
    }
    mesh
}

fn lighting() -> Lighting {
    let [w, d, h] = ROOM;
    let panel = |x: f32| Light {
        emitter: Emitter::Panel { direction: [0.0, 0.0, -1.0] },
        position: [x, d / 2.0, h - 0.02],
        color: normalized_color([1.0, 0.86, 0.72]),
        flux_lm: 2250.0,
        casts_shadows: true,
        influence: None,
    };
    Lighting {
        lights: vec![panel(w * 0.3), panel(w * 0.7)],
        sun: Some(Sun { direction_to_sun: [0.2, 0.6, 0.77], illuminance_lux: 30_000.0, color: [1.0; 3] }),
        sky_luminance_nits: 3000.0,
        sky_color: normalized_color([0.72, 0.84, 1.0]),
        ambient: vec![AmbientZone {
            min: [0.0, 0.0, -0.1],
            max: [w, d, h + 0.1],
            illuminance_lux: 60.0,
            down_ratio: 0.8,
            color: normalized_color([1.0, 0.86, 0.72]),
        }],
    }
}

/// A slow pan from a corner, looking into the room and slightly down.
fn cameras(frames: u32, width: u32, height: u32) -> Vec<FrameCamera> {
    let f = width as f32 / 2.0 / (35f32.to_radians()).tan();
    (0..frames)
        .map(|k| {
            let yaw = 0.5 + 0.6 * k as f32 / frames as f32;
            let tilt = 0.35f32;
            let forward = [yaw.cos() * tilt.cos(), yaw.sin() * tilt.cos(), -tilt.sin()];
            FrameCamera::looking_along([0.4, 0.4, 1.6], forward, f, width, height, 6.5)
        })
        .collect()
}

fn main() -> Result<(), RenderError> {
    let frames: u32 = std::env::var("DIORAMA_BENCH_FRAMES").ok().and_then(|v| v.parse().ok()).unwrap_or(60);
    // DIORAMA_BENCH_ONLY=640x480 (or 1280x720) runs one size.
    let only = std::env::var("DIORAMA_BENCH_ONLY").unwrap_or_default();
    println!("{:<10} {:>8} {:>5} {:>9} {:>8} {:>9}", "size", "objects", "msaa", "first ms", "frames/s", "MP/s");
    let mut adapter = String::new();
    for (width, height) in [(640, 480), (1280, 720)] {
        if !only.is_empty() && only != format!("{width}x{height}") {
            continue;
        }
        for objects in [30, 100] {
            for msaa in [1, 4] {
                let settings = RenderSettings { msaa_samples: msaa, ..Default::default() };
                let mut r = Renderer::with_settings(width, height, settings)?;
                adapter = r.adapter().name.clone();
                let cams = cameras(frames, width, height);
                // The scene's upload, its shadow maps and one frame, apart: shaders compile on first use.
                let setup = Instant::now();
                r.load_scene(&room(objects), &lighting());
                r.render_sequence(&cams[..1], |_| Ok::<(), RenderError>(()))?;
                let setup_ms = setup.elapsed().as_secs_f64() * 1e3;
                let started = Instant::now();
                let mut checksum = 0u64;
                r.render_sequence(&cams, |f| {
                    checksum += f.yuv.y[f.yuv.y.len() / 2] as u64 + f.instance[f.instance.len() / 2] as u64;
                    Ok::<(), RenderError>(())
                })?;
                let s = started.elapsed().as_secs_f64();
                let fps = frames as f64 / s;
                let mp = fps * (width * height) as f64 / 1e6;
                println!(
                    "{:<10} {objects:>8} {msaa:>5} {setup_ms:>9.1} {fps:>8.1} {mp:>9.1}",
                    format!("{width}x{height}"),
                );
                std::hint::black_box(checksum);
            }
        }
    }
    println!("\nadapter: {adapter}; {frames} frames per case, shadows from two panels and the sun");
    Ok(())
}
