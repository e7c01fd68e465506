//! Degradations through the whole tool: clean and degraded builds agree on everything but the pixels, records
//! say what was applied; distortion keeps labels exact; codecs lose quality monotonically with severity.

mod common;

use std::path::Path;

use common::{build, diorama, read_json, read_jsonl, stderr};
use diorama::emit::video::{VideoWriter, read_rgb_frames};
use diorama_degradations::digital::psnr;
use diorama_degradations::optics::{Distortion, Pinhole, PixelWarp};
use diorama_degradations::{VideoCodec, parse_set, resolve_set};
use diorama_render::light::{AmbientZone, Lighting};
use diorama_render::mesh::{SceneMesh, Surface};
use diorama_render::{Exposure, FrameCamera, FrameImages, RenderError, RenderSettings, Renderer};

const SMALL: &str = r#"
scenes = 1
seed = 3
[room]
count = 2
outdoor_share = 1.0
[camera]
width = 160
height = 120
frames = 72
[objects]
max_furniture = 6
"#;

/// A clean and a degraded build of the same config: byte-identical scene.json, identical frame geometry, and a
/// degraded video with per-frame records, a clean.mp4 of the same length, and questions that say what their
/// frames went through.
#[test]
fn degraded_builds_keep_the_geometry_and_record_what_they_did() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, format!("{SMALL}\n[degradations]\nclean_video = true\n")).unwrap();
    let (clean, degraded) = (dir.path().join("clean"), dir.path().join("degraded"));
    build(&clean, &[config.to_str().unwrap()]);
    let set = "low_light:3+motion_blur:3+rain:4+haze:2+defocus:3+rolling_shutter:2+vignetting:2+jpeg:3+h265:2";
    build(&degraded, &[config.to_str().unwrap(), "--degrade", set]);
    let scene = |root: &Path, f: &str| root.join("scenes/0000").join(f);
    assert_eq!(
        std::fs::read(scene(&clean, "scene.json")).unwrap(),
        std::fs::read(scene(&degraded, "scene.json")).unwrap()
    );
    let (a, b) = (read_jsonl(&scene(&clean, "frames.jsonl")), read_jsonl(&scene(&degraded, "frames.jsonl")));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        for key in ["k", "t", "T_wc", "objects", "camera_velocity", "ev100"] {
            assert_eq!(x[key], y[key], "frame {} {key}", x["k"]);
        }
        assert_eq!(x["degradations"].as_array().unwrap().len(), 0);
        let kinds: Vec<&str> =
            y["degradations"].as_array().unwrap().iter().map(|d| d["type"].as_str().unwrap()).collect();
        // Image-formation order, every type of the set on every frame.
        assert_eq!(
            kinds,
            ["haze", "rain", "defocus", "vignetting", "motion_blur", "rolling_shutter", "low_light", "jpeg", "h265"],
            "frame {}",
            y["k"]
        );
        let low = y["degradations"].as_array().unwrap().iter().find(|d| d["type"] == "low_light").unwrap();
        assert_eq!(low["severity"], 3);
        assert_eq!(low["params"]["electrons_mid_grey"], 30.0);
        assert!(low["params"]["exposure_s"].as_f64().unwrap() <= 1.0 / 12.0 + 1e-12);
    }
    // Both videos decode to every frame; the degraded one is H.265.
    let frames = a.len();
    let (_, _, clean_frames) = read_rgb_frames(&scene(&degraded, "clean.mp4")).unwrap();
    let (_, _, degraded_frames) = read_rgb_frames(&scene(&degraded, "video.mp4")).unwrap();
    assert_eq!((clean_frames.len(), degraded_frames.len()), (frames, frames));
    let (_, _, reference) = read_rgb_frames(&scene(&clean, "video.mp4")).unwrap();
    let mid = frames / 2;
    assert!(psnr(&reference[mid], &clean_frames[mid]) > 40.0, "clean.mp4 is the clean build's video");
    assert!(psnr(&reference[mid], &degraded_frames[mid]) < 30.0, "the degraded video differs");
    // Each question lists the degradations of its frames.
    let qa = read_jsonl(&scene(&degraded, "qa.jsonl"));
    assert!(!qa.is_empty());
    for q in &qa {
        let d = q["provenance"]["degradations"].as_array().unwrap();
        assert!(d.iter().any(|e| e["type"] == "low_light" && e["severity"] == 3), "{q}");
    }
    // The resolved config (with the sets) is in dataset.json.
    let ds = read_json(&degraded.join("dataset.json"));
    assert_eq!(ds["config"]["degradations"]["sets"][0].as_array().unwrap().len(), 9);
}

/// Bad degradation input names the problem and the place.
#[test]
fn bad_degradation_sets_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let o = diorama(&["build", "--out", dir.path().join("x").to_str().unwrap(), "--degrade", "smog:3"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("smog") && stderr(&o).contains("--degrade"), "{}", stderr(&o));
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "[degradations]\nsets = [[{ type = \"fog\", severity = 9 }]]\n").unwrap();
    let o = diorama(&["build", config.to_str().unwrap(), "--out", dir.path().join("y").to_str().unwrap()]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("degradations.sets") && e.contains("severity 9"), "{e}");
    assert!(!dir.path().join("y").exists(), "nothing written for a bad config");
}

/// Distortion: checkerboard corners rendered through the lens land where the Brown-Conrady formula puts them
/// (RMS within 0.2 px), and each square's pixels in the warped instance map fill the box that the formula
/// gives its outline.
#[test]
fn distortion_moves_corners_by_the_formula_and_labels_follow() {
    let (w, h) = (320u32, 240u32);
    let output = Pinhole { fx: 220.0, fy: 220.0, cx: 160.0, cy: 120.0, width: w, height: h };
    let lens = Distortion::BrownConrady { k1: -0.22, k2: 0.05, p1: 0.002, p2: -0.001, k3: 0.0 };
    let warp = PixelWarp::new(output, Some(lens), 1.0, 1.0);
    let canvas = warp.canvas;
    // A 7 x 5 checkerboard of 0.25 m squares facing the camera 2.2 m away, its own ids, lit by a uniform
    // ambient term (camera at the origin looking along +y; camera x = world x, camera y = -world z).
    let (cols, rows, side, dist) = (7i32, 5i32, 0.25f32, 2.2f32);
    let mut mesh = SceneMesh::default();
    let id_of = |i: i32, j: i32| (1 + j * cols + i) as u32;
    let corner =
        |i: i32, j: i32| [(i - cols / 2) as f32 * side - side / 2.0, -((j - rows / 2) as f32 * side - side / 2.0)];
    for j in 0..rows {
        for i in 0..cols {
            let [x0, z0] = corner(i, j);
            let albedo = if (i + j) % 2 == 0 { 0.9 } else { 0.05 };
            let s = Surface { albedo: [albedo; 3], roughness: 1.0, ..Surface::default() };
            let identity = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
            mesh.add_box(
                [x0 + side / 2.0, dist + 0.01, z0 - side / 2.0],
                identity,
                [side, 0.02, side],
                &s,
                id_of(i, j),
            );
        }
    }
    let lighting = Lighting {
        ambient: vec![AmbientZone {
            min: [-10.0; 3],
            max: [10.0; 3],
            illuminance_lux: 300.0,
            down_ratio: 1.0,
            color: [1.0; 3],
        }],
        ..Lighting::default()
    };
    let settings = RenderSettings { read_linear: true, max_subframes: 1, msaa_samples: 4, ..Default::default() };
    let mut r = Renderer::with_settings(w, h, settings).expect("an adapter (lavapipe in CI)");
    r.load_scene(&mesh, &lighting);
    let cam = FrameCamera {
        world_from_camera: [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]],
        position: [0.0; 3],
        fx: canvas.fx,
        fy: canvas.fy,
        cx: canvas.cx,
        cy: canvas.cy,
        ev100: 6.0,
    };
    let weights = vec![1.0f32; h as usize];
    let exposure = Exposure { subframes: std::slice::from_ref(&cam), row_weights: &weights, ..Exposure::still(cam) };
    let (mut linear, mut ids) = (Vec::new(), Vec::new());
    r.render_exposures(&[exposure], |f: FrameImages<'_>| -> Result<(), RenderError> {
        linear = f.linear_rgba32f.chunks_exact(4).map(|p| [p[0], p[1], p[2], p[3]]).collect::<Vec<_>>();
        ids = f.instance.to_vec();
        Ok(())
    })
    .unwrap();
    let img: Vec<f32> = warp.warp_linear(&linear).iter().map(|p| p[1]).collect();
    let ids = warp.warp_nearest(&ids, 0u16);
    let project = |x: f32, z: f32| {
        // Camera frame: (x, -z, dist).
        let [xd, yd] = lens.distort(x / dist, -z / dist);
        [output.fx * xd + output.cx, output.fy * yd + output.cy]
    };
    let at = |u: usize, v: usize| img[v * w as usize + u];
    // Sub-pixel crossing of the mid level between two pixel centres.
    let crossing = |a: f32, b: f32, lo: f32, hi: f32| {
        let mid = (lo + hi) / 2.0;
        ((mid - a) / (b - a)).clamp(0.0, 1.0)
    };
    let (lo, hi) = (img.iter().copied().fold(f32::INFINITY, f32::min), img.iter().copied().fold(0.0f32, f32::max));
    let mut errors = Vec::new();
    for j in 1..rows {
        for i in 1..cols {
            let [x, z] = corner(i, j);
            let [u, v] = project(x, z);
            // The vertical edge through the corner, found on rows 3..7 px above and below it; the horizontal one
            // on columns 3..7 px left and right; each fitted as a line, then intersected.
            let mut vert = Vec::new();
            for dv in [-7i32, -6, -5, -4, -3, 3, 4, 5, 6, 7] {
                let row = (v.floor() as i32 + dv) as usize;
                let yc = row as f32 + 0.5;
                for c in (u as i32 - 4) as usize..(u as i32 + 4) as usize {
                    let (a, b) = (at(c, row), at(c + 1, row));
                    if (a - (lo + hi) / 2.0) * (b - (lo + hi) / 2.0) < 0.0 {
                        vert.push((yc, c as f32 + 0.5 + crossing(a, b, lo, hi)));
                    }
                }
            }
            let mut horiz = Vec::new();
            for du in [-7i32, -6, -5, -4, -3, 3, 4, 5, 6, 7] {
                let col = (u.floor() as i32 + du) as usize;
                let xc = col as f32 + 0.5;
                for rr in (v as i32 - 4) as usize..(v as i32 + 4) as usize {
                    let (a, b) = (at(col, rr), at(col, rr + 1));
                    if (a - (lo + hi) / 2.0) * (b - (lo + hi) / 2.0) < 0.0 {
                        horiz.push((xc, rr as f32 + 0.5 + crossing(a, b, lo, hi)));
                    }
                }
            }
            let fit = |pts: &[(f32, f32)]| {
                let n = pts.len() as f32;
                let (mx, my) = (pts.iter().map(|p| p.0).sum::<f32>() / n, pts.iter().map(|p| p.1).sum::<f32>() / n);
                let sxx: f32 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
                let sxy: f32 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
                let b = sxy / sxx;
                (my - b * mx, b)
            };
            assert!(vert.len() >= 8 && horiz.len() >= 8, "corner ({i},{j}): edges not found");
            // u = a1 + b1 v ; v = a2 + b2 u.
            let (a1, b1) = fit(&vert);
            let (a2, b2) = fit(&horiz);
            let mv = (a2 + b2 * a1) / (1.0 - b2 * b1);
            let mu = a1 + b1 * mv;
            errors.push((mu - u).powi(2) + (mv - v).powi(2));
        }
    }
    let rms = (errors.iter().sum::<f32>() / errors.len() as f32).sqrt();
    assert!(rms < 0.2, "corner RMS {rms} px over {} corners", errors.len());

    // Labels: each square's warped pixels against the formula's box of its outline.
    for j in 0..rows {
        for i in 0..cols {
            let id = id_of(i, j) as u16;
            let [x0, z0] = corner(i, j);
            let outline: Vec<[f32; 2]> = (0..=40)
                .flat_map(|s| {
                    let t = s as f32 / 40.0 * side;
                    [project(x0 + t, z0), project(x0 + t, z0 - side), project(x0, z0 - t), project(x0 + side, z0 - t)]
                })
                .collect();
            let b =
                outline.iter().fold([f32::INFINITY, f32::INFINITY, f32::NEG_INFINITY, f32::NEG_INFINITY], |b, p| {
                    [b[0].min(p[0]), b[1].min(p[1]), b[2].max(p[0]), b[3].max(p[1])]
                });
            let mut got = [u32::MAX, u32::MAX, 0, 0];
            for (k, &v) in ids.iter().enumerate() {
                if v == id {
                    let (x, y) = ((k % w as usize) as u32, (k / w as usize) as u32);
                    got = [got[0].min(x), got[1].min(y), got[2].max(x + 1), got[3].max(y + 1)];
                }
            }
            // A label pixel is the square's when its centre's ray hits the square on the canvas, to the nearest
            // canvas pixel: half an output pixel plus half a canvas pixel from the exact outline at most.
            let tolerance = 0.5 + 0.5 / warp.canvas_scale + 0.05;
            for s in 0..4 {
                assert!((got[s] as f32 - b[s]).abs() <= tolerance, "square {id}: box {got:?} vs formula {b:?}");
            }
        }
    }
}

/// H.264 and H.265 at the severity table's CRFs, and H.264 at its bitrates: PSNR against the source falls
/// monotonically with severity.
#[test]
fn codec_psnr_falls_with_severity() {
    let (w, h, n) = (160u32, 120u32, 12usize);
    // A moving textured pattern with mild noise (what costs bits).
    let clip: Vec<Vec<u8>> = (0..n)
        .map(|t| {
            let mut rgb = Vec::with_capacity((w * h * 3) as usize);
            for y in 0..h as usize {
                for x in 0..w as usize {
                    let checker = if ((x + 2 * t) / 10 + y / 8) % 2 == 0 { 190 } else { 60 };
                    let noise = ((x * 131 + y * 71 + t * 17) % 23) as u8;
                    rgb.extend([checker + noise, (x * 255 / w as usize) as u8, ((y * 3 + t * 5) % 256) as u8]);
                }
            }
            rgb
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    for kind in ["h264", "h265", "bitrate"] {
        let mut psnrs = Vec::new();
        for level in 1..=5 {
            let set = resolve_set(&parse_set(&format!("{kind}:{level}")).unwrap()).unwrap();
            let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0);
            let k = Pinhole { fx: 100.0, fy: 100.0, cx: 80.0, cy: 60.0, width: w, height: h };
            let model = diorama_degradations::CameraModel::new(set, k, 12.0, &[], 0, &mut rng).unwrap();
            let codec: VideoCodec = model.codec.unwrap();
            let path = dir.path().join(format!("{kind}{level}.mp4"));
            let mut video = VideoWriter::create(&path, w, h, 12, codec, "veryfast").unwrap();
            for rgb in &clip {
                let (y, u, v) = diorama_degradations::sensor::srgb8_to_yuv420(rgb, w as usize, h as usize);
                let c_stride = (w as usize).div_ceil(2);
                video
                    .push_yuv(&diorama_render::Yuv420 { y: &y, u: &u, v: &v, y_stride: w as usize, c_stride })
                    .unwrap();
            }
            video.finish().unwrap();
            let (_, _, decoded) = read_rgb_frames(&path).unwrap();
            assert_eq!(decoded.len(), n);
            let mean = clip.iter().zip(&decoded).map(|(a, b)| psnr(a, b)).sum::<f64>() / n as f64;
            psnrs.push(mean);
        }
        for p in psnrs.windows(2) {
            // CRF steps always cost quality; the lowest bitrates can both pin x264 at its largest quantizer.
            let falls = if kind == "bitrate" { p[1] <= p[0] } else { p[1] < p[0] };
            assert!(falls, "{kind}: PSNR by level {psnrs:?}");
        }
        assert!(psnrs[4] < psnrs[0] - 3.0, "{kind}: {psnrs:?}");
    }
}

/// Degradation awareness: in thick smoke (visibility 1.5 m) questions about objects the haze hides in every frame
/// are dropped and counted; those kept name objects seen within the visibility; questions about the camera or
/// the room stay.
#[test]
fn questions_about_objects_hidden_by_degradations_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, SMALL).unwrap();
    let (clear, smoke) = (dir.path().join("clear"), dir.path().join("smoke"));
    build(&clear, &[config.to_str().unwrap()]);
    build(&smoke, &[config.to_str().unwrap(), "--degrade", "haze:mor_m=1.5"]);
    let dropped = |root: &Path| {
        read_json(&root.join("dataset.json"))["scenes"][0]["questions_dropped_by_degradations"].as_u64().unwrap()
    };
    assert_eq!(dropped(&clear), 0);
    let (a, b) = (read_jsonl(&clear.join("qa.jsonl")), read_jsonl(&smoke.join("qa.jsonl")));
    assert!(dropped(&smoke) > 0, "thick smoke hides some objects");
    assert_eq!(a.len() as u64, b.len() as u64 + dropped(&smoke));
    for t in ["room_size_estimation", "camera_displacement"] {
        let count = |qs: &[serde_json::Value]| qs.iter().filter(|q| q["question_type"] == t).count();
        assert_eq!(count(&a), count(&b), "{t} does not depend on seeing objects");
    }
}
