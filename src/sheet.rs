//! The contact sheet: one frame of one scene through every degradation type at chosen severities, tiled into
//! one PNG (rows: clean, then the types in image-formation order; columns: the levels), plus a text legend.
//! Each tile runs the same camera model a build does; video codecs encode a short clip ending at the frame and
//! decode it back.

use std::path::{Path, PathBuf};

use diorama_degradations::{CameraModel, DegradationSpec, Kind, resolve_set};
use diorama_render::{FrameImages, Renderer};
use diorama_sim::seed;

use crate::config::Config;
use crate::emit::EmitError;
use crate::emit::images::png_rgb8;
use crate::emit::video::{VideoWriter, read_rgb_frames};
use crate::pipeline::{BuildError, ShutterPlan, load_manifest, outdoor_test, pinhole};
use crate::plan;

/// What to draw.
#[derive(Debug, Clone)]
pub struct SheetSpec {
    pub scene: u32,
    /// Frame of the scene (None: the middle one).
    pub frame: Option<u32>,
    pub levels: Vec<u8>,
    /// Tiles are the frame shrunk by this integer factor.
    pub shrink: u32,
}

pub struct SheetSummary {
    pub rows: Vec<String>,
    pub width: u32,
    pub height: u32,
}

/// Renders the sheet of `config`'s scene into `out` (PNG) and `out` with `.txt` (the legend).
pub fn contact_sheet(
    config: &Config,
    config_dir: Option<&Path>,
    spec: &SheetSpec,
    out: &Path,
) -> Result<SheetSummary, BuildError> {
    let manifest = load_manifest(config, config_dir)?;
    plan::check_against_manifest(config, &manifest)?;
    let planned = plan::plan_scene(config, &manifest, spec.scene)?;
    let cam = &config.camera;
    let (w, h) = (cam.width, cam.height);
    let settings = diorama_render::RenderSettings {
        read_linear: true,
        max_subframes: diorama_degradations::camera::MAX_SUBFRAMES as u32,
        ..config.render.settings()
    };
    let mut renderer = Renderer::with_settings(w, h, settings)?;
    renderer.load_scene(&planned.mesh, &planned.lighting);
    let frames = planned.trajectory.poses.len();
    let cameras = plan::frame_cameras(&planned.trajectory, &planned.intrinsics, &planned.ev100);
    let k = match spec.frame {
        Some(f) => (f as usize).min(frames - 1),
        None => frame_with_outdoors(&mut renderer, &cameras)?,
    };
    let movers: Vec<Vec<[[f32; 4]; 4]>> =
        (0..frames).map(|i| planned.dynamics.motions.iter().map(|m| m.poses[i].row_major()).collect()).collect();
    let speeds = diorama_sim::paths::centre_speeds_px_s(
        &planned.trajectory.poses,
        &planned.intrinsics,
        cam.fps,
        diorama_degradations::camera::BLUR_REFERENCE_DEPTH_M as f32,
    );
    let outdoors = outdoor_test(&planned.apartment);
    let scene_id = crate::pipeline::scene_id(spec.scene);

    // One frame through a camera model.
    let mut form = |set: Vec<DegradationSpec>, k: usize| -> Result<Vec<u8>, BuildError> {
        let resolved = resolve_set(&set).expect("levels of the table resolve");
        let mut rng = seed::stream(planned.scene_seed, "degradations/camera");
        let model = CameraModel::new(
            resolved,
            pinhole(&planned.intrinsics),
            cam.fps as f64,
            &speeds,
            planned.scene_seed,
            &mut rng,
        )
        .map_err(|cause| BuildError::Camera { scene: scene_id.clone(), cause })?;
        let canvas = model.canvas();
        let canvas_k = diorama_sim::camera::Intrinsics { fx: canvas.fx, fy: canvas.fy, ..planned.intrinsics };
        let shutter = ShutterPlan::new(&model, config, &planned, &cameras, canvas_k);
        let exposures = shutter.exposures(&cameras, &movers, &planned.ev100, &model);
        let mut rgb = Vec::new();
        renderer.render_exposures(&exposures[k..=k], |f: FrameImages<'_>| -> Result<(), BuildError> {
            rgb = shutter
                .form(&model, &f, k, &planned, &outdoors, &speeds)
                .map_err(|cause| BuildError::Camera { scene: scene_id.clone(), cause })?
                .rgb8;
            Ok(())
        })?;
        Ok(rgb)
    };

    let mut rows: Vec<(String, Vec<Vec<u8>>)> = Vec::new();
    let clean = form(Vec::new(), k)?;
    rows.push(("clean".into(), vec![clean.clone(); spec.levels.len()]));
    let clip_start = k.saturating_sub(11);
    let mut clean_clip = Vec::new();
    for kind in Kind::ALL {
        let mut tiles = Vec::new();
        for &level in &spec.levels {
            let entry = DegradationSpec { kind: kind.name().into(), severity: Some(level), params: Default::default() };
            let tile = if matches!(kind, Kind::H264 | Kind::H265 | Kind::Bitrate) {
                if clean_clip.is_empty() {
                    for i in clip_start..=k {
                        clean_clip.push(form(Vec::new(), i)?);
                    }
                }
                through_codec(&clean_clip, &entry, config, &planned, out)?
            } else {
                form(vec![entry], k)?
            };
            tiles.push(tile);
        }
        rows.push((kind.name().into(), tiles));
    }

    // Tile: each frame shrunk by box averaging.
    let s = spec.shrink.max(1);
    let (tw, th) = (w / s, h / s);
    let (sw, sh) = (tw * spec.levels.len() as u32, th * rows.len() as u32);
    let mut sheet = vec![0u8; (sw * sh * 3) as usize];
    for (r, (_, tiles)) in rows.iter().enumerate() {
        for (c, tile) in tiles.iter().enumerate() {
            for j in 0..th {
                for i in 0..tw {
                    let mut acc = [0u32; 3];
                    for dj in 0..s {
                        for di in 0..s {
                            let p = (((j * s + dj) * w + i * s + di) * 3) as usize;
                            for ch in 0..3 {
                                acc[ch] += tile[p + ch] as u32;
                            }
                        }
                    }
                    let o = (((r as u32 * th + j) * sw + c as u32 * tw + i) * 3) as usize;
                    for ch in 0..3 {
                        sheet[o + ch] = (acc[ch] / (s * s)) as u8;
                    }
                }
            }
        }
    }
    let mut png = Vec::new();
    png_rgb8(sw, sh, &sheet, png::Compression::default(), &mut png)
        .map_err(|e| EmitError::Image { path: out.to_path_buf(), message: e.to_string() })?;
    crate::emit::write_atomic(out, &png)?;
    let names: Vec<String> = rows.iter().map(|(n, _)| n.clone()).collect();
    let levels: Vec<String> = spec.levels.iter().map(|l| l.to_string()).collect();
    let legend = format!(
        "contact sheet of scene {} frame {k}: rows top to bottom = {}; columns left to right = severity {}\n",
        spec.scene,
        names.join(", "),
        levels.join(", ")
    );
    crate::emit::write_atomic(&legend_path(out), legend.as_bytes())?;
    Ok(SheetSummary { rows: names, width: sw, height: sh })
}

/// The frame that shows the most outdoor space (sky through a window or over a balcony), up to a third of the
/// view, so that rain and snow have somewhere to show; the middle frame when none does.
fn frame_with_outdoors(renderer: &mut Renderer, cameras: &[diorama_render::FrameCamera]) -> Result<usize, BuildError> {
    let mut best = (0.0f64, cameras.len() / 2);
    renderer.render_sequence(cameras, |f: FrameImages<'_>| -> Result<(), BuildError> {
        let sky = f.depth_m.iter().filter(|d| **d == 0.0).count() as f64 / f.depth_m.len() as f64;
        if sky.min(0.33) > best.0 {
            best = (sky.min(0.33), f.index as usize);
        }
        Ok(())
    })?;
    Ok(best.1)
}

pub fn legend_path(out: &Path) -> PathBuf {
    out.with_extension("txt")
}

/// The clip encoded with the entry's codec and decoded again; its last frame.
fn through_codec(
    clip: &[Vec<u8>],
    entry: &DegradationSpec,
    config: &Config,
    planned: &plan::PlannedScene,
    out: &Path,
) -> Result<Vec<u8>, BuildError> {
    let cam = &config.camera;
    let resolved = resolve_set(std::slice::from_ref(entry)).expect("levels resolve");
    let mut rng = seed::stream(planned.scene_seed, "degradations/camera");
    let model = CameraModel::new(resolved, pinhole(&planned.intrinsics), cam.fps as f64, &[], 0, &mut rng)
        .map_err(|cause| BuildError::Camera { scene: String::new(), cause })?;
    let codec = model.codec.expect("a codec type");
    let tmp = out.with_extension(format!("{}.mp4", entry.kind));
    let mut video = VideoWriter::create(&tmp, cam.width, cam.height, cam.fps, codec, &config.output.video_preset)?;
    for rgb in clip {
        let (y, u, v) = diorama_degradations::sensor::srgb8_to_yuv420(rgb, cam.width as usize, cam.height as usize);
        let c_stride = (cam.width as usize).div_ceil(2);
        video.push_yuv(&diorama_render::Yuv420 { y: &y, u: &u, v: &v, y_stride: cam.width as usize, c_stride })?;
    }
    video.finish()?;
    let (_, _, frames) = read_rgb_frames(&tmp)?;
    let _ = std::fs::remove_file(&tmp);
    frames
        .last()
        .cloned()
        .ok_or_else(|| BuildError::Emit(EmitError::Video { path: tmp.clone(), message: "decoded no frames".into() }))
}
