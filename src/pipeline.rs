//! The build: config -> layout -> trajectory -> render -> emit, one scene after another, with the time each
//! stage took.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use diorama_assets::Manifest;
use diorama_layouts::Apartment;
use diorama_layouts::geom::Vec3;
use diorama_render::mesh::CYLINDER_SEGMENTS;
use diorama_render::{Exposure, FrameImages, NEAR_M, RenderError, Renderer};
use diorama_sim::dynamics::{RigidPose, SceneDynamics};
use diorama_sim::motion::motion_vectors_with_objects;
use diorama_sim::paths::PathScene;
use diorama_sim::qa::{self, QaSpec};
use diorama_sim::seed;
use diorama_sim::silhouette::{
    LensPixels, unoccluded_px, unoccluded_px_mesh, unoccluded_px_mesh_through, unoccluded_px_through,
};
use diorama_sim::trajectory::WalkthroughSpec;
use diorama_sim::visibility::{FrameVisibility, VisibilitySummary};

use crate::config::Config;
use crate::emit::StreamingFile;
use crate::emit::images::{depth_to_mm, png_flow_kitti, png_rgb8, png_u16};
use crate::emit::records::{self, AdapterRecord, Counts, DatasetRecord, SceneFacts, ToolRecord};
use crate::emit::state::{self, BuildRecord, SceneDone, StateError};
use crate::emit::video::VideoWriter;
use crate::emit::{EmitError, OutputDir, SceneWriter};
use crate::plan::{self, PlanError};
use std::io::Write as _;

pub const FORMAT_VERSION: &str = "0.1";

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot read the assets manifest {path} (objects.manifest in the config): {cause}")]
    ManifestRead { path: PathBuf, cause: std::io::Error },
    #[error(transparent)]
    Manifest(#[from] diorama_assets::ManifestError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Emit(#[from] EmitError),
    #[error("scene {scene}: {cause}")]
    Camera { scene: String, cause: diorama_degradations::camera::CameraError },
    #[error(transparent)]
    State(#[from] StateError),
    #[error("{0} holds no diorama build (no build.json): build into it first")]
    NotABuild(PathBuf),
    #[error("{out}: {} scene(s) not finished: {}; run their shards (or the build) again, then merge", scenes.len(), scenes.join(", "))]
    Unfinished { out: PathBuf, scenes: Vec<String> },
}

/// Seconds spent in each stage, summed over the build.
#[derive(Debug, Clone, Copy, Default)]
pub struct StageTimes {
    /// Layout and trajectory planning (and mesh building).
    pub layout: Duration,
    /// Recording, submitting and waiting for frames on the device.
    pub render: Duration,
    /// Copying frames out of the staging buffers.
    pub readback: Duration,
    /// Video encoding (colour conversion included).
    pub encode: Duration,
    /// The camera model of degraded scenes on the CPU (particles, optics, sensor, ISP, JPEG).
    pub degrade: Duration,
    /// Visibility counting, PNG maps, JSON records, questions and hashes.
    pub emit: Duration,
    pub total: Duration,
}

#[derive(Debug, Clone)]
pub struct BuildSummary {
    pub out: PathBuf,
    /// Scenes this run was responsible for (its shard's, or all).
    pub scenes: u32,
    /// Of those, built now, and found finished by an earlier run (verified, skipped).
    pub built: u32,
    pub resumed: u32,
    /// Frames rendered now.
    pub frames: u64,
    /// Questions of this run's scenes, in all and per type.
    pub questions: u64,
    pub question_types: BTreeMap<String, u64>,
    pub adapter: String,
    /// Whether qa.jsonl and dataset.json were written (not by a shard).
    pub merged: bool,
    pub times: StageTimes,
}

/// Observer of progress (the CLI draws a bar; tests pass `()`).
pub trait Progress {
    fn start(&mut self, _total_frames: u64, _total_scenes: u32) {}
    fn frame(&mut self) {}
    fn scene_done(&mut self, _scene_id: &str, _attempts: u32, _objects: usize, _questions: usize) {}
    /// A scene an earlier run finished, verified and skipped (its frames count as done).
    fn scene_skipped(&mut self, _scene_id: &str, _frames: u64) {}
}
impl Progress for () {}

/// Loads the manifest a config names (the built-in one when `objects.manifest` is empty).
pub fn load_manifest(config: &Config, config_dir: Option<&Path>) -> Result<Manifest, BuildError> {
    if config.objects.manifest.is_empty() {
        return Ok(Manifest::builtin());
    }
    let mut path = PathBuf::from(&config.objects.manifest);
    if path.is_relative()
        && let Some(dir) = config_dir
    {
        path = dir.join(path);
    }
    let text =
        std::fs::read_to_string(&path).map_err(|cause| BuildError::ManifestRead { path: path.clone(), cause })?;
    let name = path.display().to_string();
    let mut manifest = Manifest::from_toml_str(&text, &name)?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    manifest.load_assets(&name, |rel| {
        let file = dir.join(rel);
        std::fs::read(&file).map_err(|e| format!("{} ({e})", file.display()))
    })?;
    Ok(manifest)
}

pub fn scene_id(index: u32) -> String {
    format!("{index:04}")
}

/// Which scenes a process builds: scene `i` belongs to shard `i mod count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    pub fn owns(&self, scene: u32) -> bool {
        scene % self.count == self.index
    }
}

/// How to run a build.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildOptions {
    /// Build only this shard's scenes and leave merging (qa.jsonl, dataset.json) to `diorama merge`.
    pub shard: Option<Shard>,
    /// Delete what the folder holds (scenes, records) first instead of resuming.
    pub fresh: bool,
}

/// Builds the dataset of `config` into `out`. `config_dir` resolves a relative manifest path.
pub fn build(
    config: &Config,
    config_dir: Option<&Path>,
    out: &Path,
    progress: &mut dyn Progress,
) -> Result<BuildSummary, BuildError> {
    build_with(config, config_dir, out, BuildOptions::default(), progress)
}

/// Builds `config` into `out`: the scenes of `options.shard` (all when None), skipping scenes a previous run
/// finished (their `done.json` and every file's hash verified) and rebuilding partial ones; without a shard,
/// then merges.
pub fn build_with(
    config: &Config,
    config_dir: Option<&Path>,
    out: &Path,
    options: BuildOptions,
    progress: &mut dyn Progress,
) -> Result<BuildSummary, BuildError> {
    let started = Instant::now();
    let manifest = load_manifest(config, config_dir)?;
    // Config errors only the manifest reveals: catch them before touching the output folder.
    plan::check_against_manifest(config, &manifest)?;
    let dir = OutputDir::open(out)?;
    if options.fresh {
        state::clear(out)?;
    }
    let hash = state::config_hash(config);
    let record = BuildRecord {
        config_hash: hash.clone(),
        config: config.clone(),
        semantic_classes: plan::semantic_classes(&manifest),
    };
    state::claim(out, &record)?;
    dir.invalidate()?;
    // Shards may run on other hosts, whose live processes this one cannot see: only a whole build tidies.
    if options.shard.is_none() {
        state::remove_stale_tmp(out)?;
    }
    let degrading = !config.degradations.sets.is_empty();
    let settings = diorama_render::RenderSettings {
        read_rgba8: config.trajectory.has_stills(),
        read_linear: degrading,
        max_subframes: if degrading { diorama_degradations::camera::MAX_SUBFRAMES as u32 } else { 0 },
        ..config.render.settings()
    };
    let mut renderer = Renderer::with_settings(config.camera.width, config.camera.height, settings)?;
    let mut times = StageTimes::default();
    let mine: Vec<u32> = (0..config.scenes).filter(|&i| options.shard.is_none_or(|s| s.owns(i))).collect();
    progress.start(mine.len() as u64 * config.camera.frames as u64, mine.len() as u32);
    let (mut built, mut resumed, mut questions) = (0u32, 0u32, 0u64);
    let mut question_types: BTreeMap<String, u64> = BTreeMap::new();
    for &index in &mine {
        let id = scene_id(index);
        if let Ok(done) = state::finished(out, &id, &hash) {
            resumed += 1;
            questions += done.questions.values().sum::<u64>();
            for (t, n) in &done.questions {
                *question_types.entry(t.clone()).or_default() += n;
            }
            progress.scene_skipped(&id, done.frames);
            continue;
        }
        let t0 = Instant::now();
        let planned = plan::plan_scene(config, &manifest, index)?;
        times.layout += t0.elapsed();
        let (files, scene_questions, dropped) =
            emit_scene(config, index, &dir, &id, &planned, &mut renderer, &mut times, progress)?;
        let t1 = Instant::now();
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for q in &scene_questions {
            *counts.entry(q.question_type.to_string()).or_default() += 1;
        }
        questions += scene_questions.len() as u64;
        for (t, n) in &counts {
            *question_types.entry(t.clone()).or_default() += n;
        }
        // Last: the scene is finished once its record is in place.
        state::mark_done(
            out,
            &SceneDone {
                scene_id: id.clone(),
                seed: planned.scene_seed,
                config_hash: hash.clone(),
                files,
                questions_dropped_by_degradations: dropped,
                questions: counts,
                frames: config.camera.frames as u64,
                adapter: adapter_record(&renderer),
            },
        )?;
        built += 1;
        progress.scene_done(&id, planned.attempts, planned.apartment.furniture().count(), scene_questions.len());
        times.emit += t1.elapsed();
    }
    let merged = if options.shard.is_none() {
        let t2 = Instant::now();
        // Every scene was built or verified above: no second pass over their files.
        write_merged(out, &record)?;
        times.emit += t2.elapsed();
        true
    } else {
        false
    };
    let rt = renderer.timings();
    times.render = rt.submit + rt.wait;
    times.readback = rt.unpack;
    times.total = started.elapsed();
    Ok(BuildSummary {
        out: out.to_path_buf(),
        scenes: mine.len() as u32,
        built,
        resumed,
        frames: built as u64 * config.camera.frames as u64,
        questions,
        question_types,
        adapter: renderer.adapter().name.clone(),
        merged,
        times,
    })
}

fn adapter_record(renderer: &Renderer) -> AdapterRecord {
    let a = renderer.adapter().clone();
    AdapterRecord {
        name: a.name,
        backend: a.backend,
        device_type: a.device_type,
        driver: a.driver,
        msaa_samples: renderer.settings().msaa_samples,
    }
}

/// What `merge` put together.
#[derive(Debug, Clone)]
pub struct MergeSummary {
    pub scenes: u32,
    pub questions: u64,
}

/// Puts a build's finished scenes together: checks every scene of its config is finished (its record and
/// every file's hash), then writes `qa.jsonl` (the scenes' questions in scene order) and, last,
/// `dataset.json`. Whether the scenes were built in one process or in shards, the result is the same bytes.
pub fn merge(out: &Path) -> Result<MergeSummary, BuildError> {
    // A build's folder (never created here for a mistyped path), writable, tidied.
    let build = state::read_build(out)?.ok_or_else(|| BuildError::NotABuild(out.to_path_buf()))?;
    OutputDir::open(out)?;
    state::remove_stale_tmp(out)?;
    // Every scene finished, before anything is written.
    let mut missing = Vec::new();
    for id in (0..build.config.scenes).map(scene_id) {
        if let Err(why) = state::finished(out, &id, &build.config_hash) {
            missing.push(format!("{id} ({why})"));
        }
    }
    if !missing.is_empty() {
        return Err(BuildError::Unfinished { out: out.to_path_buf(), scenes: missing });
    }
    write_merged(out, &build)
}

/// Writes `qa.jsonl` and, last, `dataset.json` from scenes known to be finished (checked by `merge`, or built
/// and verified by the run that calls this).
fn write_merged(out: &Path, build: &BuildRecord) -> Result<MergeSummary, BuildError> {
    let config = &build.config;
    let ids: Vec<String> = (0..config.scenes).map(scene_id).collect();
    // One scene at a time: memory does not grow with the build.
    let mut qa = StreamingFile::create(&out.join("qa.jsonl"))?;
    let mut balance = crate::score::BalanceBuilder::default();
    let mut question_counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut adapter = None;
    for id in &ids {
        let done = state::read_done(out, id)?;
        let qa_path = out.join("scenes").join(id).join("qa.jsonl");
        let bytes =
            std::fs::read(&qa_path).map_err(|e| EmitError::Read { path: qa_path.clone(), cause: e.to_string() })?;
        qa.write_all(&bytes).map_err(|e| EmitError::Io { path: out.join("qa.jsonl"), cause: e })?;
        for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            balance.add(&serde_json::from_slice(line).expect("our own question records parse"));
        }
        for (t, n) in &done.questions {
            *question_counts.entry(t.clone()).or_default() += n;
        }
        adapter.get_or_insert(done.adapter);
    }
    let qa_hash = qa.finish()?;
    let Some(adapter) = adapter else { return Err(BuildError::NotABuild(out.to_path_buf())) };
    let questions: u64 = question_counts.values().sum();
    let record = DatasetRecord {
        format_version: FORMAT_VERSION,
        tool: ToolRecord {
            name: "diorama",
            version: env!("CARGO_PKG_VERSION"),
            git_commit: option_env!("DIORAMA_GIT_COMMIT"),
        },
        config,
        seed: config.seed,
        scenes: state::SceneEntries { root: out, ids: &ids },
        files: BTreeMap::from([("qa.jsonl".to_string(), qa_hash)]),
        counts: Counts {
            scenes: config.scenes,
            frames: config.scenes as u64 * config.camera.frames as u64,
            questions: question_counts,
        },
        adapter,
        semantic_classes: &build.semantic_classes,
        qa_balance: balance.finish(),
    };
    // Last: its presence marks the dataset complete.
    let path = out.join("dataset.json");
    let mut json = StreamingFile::create(&path)?;
    serde_json::to_writer_pretty(&mut json, &record)
        .map_err(|e| EmitError::Io { path: path.clone(), cause: e.into() })?;
    json.write_all(b"\n").map_err(|e| EmitError::Io { path: path.clone(), cause: e })?;
    json.finish()?;
    Ok(MergeSummary { scenes: config.scenes, questions })
}

/// Buffers the frame loop reuses for its maps and encodings (the silhouette counts still allocate per part).
#[derive(Default)]
struct FrameScratch {
    png: Vec<u8>,
    be: Vec<u8>,
    /// One uint16 map: depth in millimetres, then semantic classes.
    u16_px: Vec<u16>,
    rgb: Vec<u8>,
    motion: Vec<Option<[f32; 2]>>,
    /// (object id, unoccluded pixels) of the frame.
    unoccluded: Vec<(u32, u32)>,
}

#[allow(clippy::too_many_arguments)]
fn emit_scene(
    config: &Config,
    index: u32,
    dir: &OutputDir,
    id: &str,
    planned: &plan::PlannedScene,
    renderer: &mut Renderer,
    times: &mut StageTimes,
    progress: &mut dyn Progress,
) -> Result<(BTreeMap<String, String>, Vec<qa::Question>, u32), BuildError> {
    let cam = &config.camera;
    let out = &config.output;
    let stills = planned.trajectory.kind == "stills";
    let subdirs: Vec<&str> = [
        ("images", stills),
        ("depth", out.depth),
        ("instance", out.instance),
        ("semantic", out.semantic),
        ("normal", out.normals),
        ("motion", out.motion),
    ]
    .into_iter()
    .filter(|(_, on)| *on)
    .map(|(name, _)| name)
    .collect();
    let mut writer: SceneWriter = dir.scene(id, &subdirs)?;
    let class_of = &planned.semantic_of;
    // The scene's camera model: what its degradation set asks the renderer to integrate and the CPU to do.
    let poses = &planned.trajectory.poses;
    let speeds = diorama_sim::paths::centre_speeds_px_s(
        poses,
        &planned.intrinsics,
        cam.fps,
        diorama_degradations::camera::BLUR_REFERENCE_DEPTH_M as f32,
    );
    let mut camera_rng = seed::stream(planned.scene_seed, "degradations/camera");
    let particle_seed = planned.scene_seed ^ 0xd1e5_0000_0000_0001;
    let model = diorama_degradations::CameraModel::new(
        config.degradation_set(index),
        pinhole(&planned.intrinsics),
        cam.fps as f64,
        &speeds,
        particle_seed,
        &mut camera_rng,
    )
    .map_err(|cause| BuildError::Camera { scene: id.to_string(), cause })?;
    let degraded = !model.is_clean();
    let default_codec = diorama_degradations::VideoCodec::H264 { crf: out.video_crf };
    let codec = model.codec.unwrap_or(default_codec);
    let mut video =
        VideoWriter::create(&writer.path("video.mp4"), cam.width, cam.height, cam.fps, codec, &out.video_preset)?;
    renderer.load_scene(&planned.mesh, &planned.lighting);
    let cameras = plan::frame_cameras(&planned.trajectory, &planned.intrinsics, &planned.ev100);
    // A distorting lens renders a wider pinhole canvas and warps it (and every label map) to the output.
    let canvas = model.canvas();
    let canvas_k = diorama_sim::camera::Intrinsics { fx: canvas.fx, fy: canvas.fy, ..planned.intrinsics };
    let mut summary = VisibilitySummary::with_salient_px(config.qa.min_visible_px);
    let mut frames_jsonl = Vec::new();
    let mut scratch = FrameScratch::default();
    // Still views are independent: the camera does not move between them.
    let velocities = if stills {
        vec![Default::default(); planned.trajectory.poses.len()]
    } else {
        diorama_sim::paths::camera_velocities(&planned.trajectory.poses, cam.fps)
    };
    let (w, h) = (cam.width, cam.height);

    // Per frame, where each moving object is (its renderer slot is its index in the motions, plus one).
    let dynamics = &planned.dynamics;
    let movers: Vec<Vec<[[f32; 4]; 4]>> =
        (0..cameras.len()).map(|k| dynamics.motions.iter().map(|m| m.poses[k].row_major()).collect()).collect();
    let clean_exposures: Vec<Exposure<'_>> =
        cameras.iter().zip(&movers).map(|(c, m)| Exposure { movers: m, ..Exposure::still(*c) }).collect();
    if degraded && config.degradations.clean_video {
        let mut clean =
            VideoWriter::create(&writer.path("clean.mp4"), w, h, cam.fps, default_codec, &out.video_preset)?;
        renderer.render_exposures(&clean_exposures, |f: FrameImages<'_>| -> Result<(), BuildError> {
            let t_enc = Instant::now();
            clean.push_yuv(&f.yuv)?;
            times.encode += t_enc.elapsed();
            Ok(())
        })?;
        clean.finish()?;
        writer.record("clean.mp4")?;
    }
    let shutter = ShutterPlan::new(&model, config, planned, &cameras, canvas_k);
    let exposures: Vec<Exposure<'_>> =
        if degraded { shutter.exposures(&cameras, &movers, &planned.ev100, &model) } else { clean_exposures };
    let lens_pixels = model.warp.as_ref().map(|warp| {
        let to_output = move |u: f32, v: f32| warp.canvas_to_output(u, v);
        (warp.sources(), to_output)
    });
    let outdoors = outdoor_test(&planned.apartment);
    let mut frame_degradations: Vec<Vec<diorama_degradations::AppliedDegradation>> = Vec::new();
    renderer.render_exposures(&exposures, |f: FrameImages<'_>| -> Result<(), BuildError> {
        let k = f.index;
        // The camera model (degraded scenes) or the renderer's own finish (clean ones).
        let warped = model.warp.as_ref().map(|warp| {
            let normals: Vec<[u8; 4]> = f.normal_rgba8.chunks_exact(4).map(|p| [p[0], p[1], p[2], p[3]]).collect();
            (
                warp.warp_nearest(f.instance, 0u16),
                warp.warp_nearest(f.depth_m, 0.0f32),
                warp.warp_nearest(&normals, [0u8; 4]),
            )
        });
        let (instance, depth_m): (&[u16], &[f32]) = match &warped {
            Some((i, d, _)) => (i, d),
            None => (f.instance, f.depth_m),
        };
        let normal_rgba8: std::borrow::Cow<'_, [u8]> = match &warped {
            Some((_, _, n)) => std::borrow::Cow::Owned(n.iter().flatten().copied().collect()),
            None => std::borrow::Cow::Borrowed(f.normal_rgba8),
        };
        let mut still_rgb: Option<Vec<u8>> = None;
        let mut still_jpeg: Option<Vec<u8>> = None;
        if degraded {
            let t_deg = Instant::now();
            let formed = shutter
                .form(&model, &f, k as usize, planned, &outdoors, &speeds)
                .map_err(|cause| BuildError::Camera { scene: id.to_string(), cause })?;
            times.degrade += t_deg.elapsed();
            let t_enc = Instant::now();
            let (y, u, v) = diorama_degradations::sensor::srgb8_to_yuv420(&formed.rgb8, w as usize, h as usize);
            let c_stride = (w as usize).div_ceil(2);
            video.push_yuv(&diorama_render::Yuv420 { y: &y, u: &u, v: &v, y_stride: w as usize, c_stride })?;
            times.encode += t_enc.elapsed();
            frame_degradations.push(formed.applied);
            still_jpeg = formed.jpeg;
            still_rgb = Some(formed.rgb8);
        } else {
            let t_enc = Instant::now();
            video.push_yuv(&f.yuv)?;
            times.encode += t_enc.elapsed();
            frame_degradations.push(model.codec_record().into_iter().collect());
        }
        let t_emit = Instant::now();
        let mut vis = FrameVisibility::from_instance_map(instance, w, h);
        let pose = &planned.trajectory.poses[k as usize];
        scratch.unoccluded.clear();
        scratch.unoccluded.extend(planned.apartment.objects().map(|o| {
            let moved = dynamics.pose_of(o.id, k as usize).filter(|p| p.moved());
            let parts = match moved {
                Some(m) => std::borrow::Cow::Owned(o.parts.iter().map(|p| m.apply_primitive(p)).collect()),
                None => std::borrow::Cow::Borrowed(&o.parts),
            };
            let k_ = &canvas_k;
            let lens =
                lens_pixels.as_ref().map(|(source, to_output)| LensPixels { source, width: w, height: h, to_output });
            let moved_tris: Option<Vec<[diorama_layouts::geom::Vec3; 3]>> =
                match (planned.asset_triangles.get(&o.id), moved) {
                    (Some(tris), Some(m)) => Some(tris.iter().map(|t| t.map(|v| m.apply(v))).collect()),
                    _ => None,
                };
            let tris = moved_tris.as_deref().or(planned.asset_triangles.get(&o.id).map(Vec::as_slice));
            let px = match (tris, &lens) {
                (Some(t), Some(l)) => unoccluded_px_mesh_through(&parts, t, pose, k_, CYLINDER_SEGMENTS, NEAR_M, l),
                (Some(t), None) => unoccluded_px_mesh(&parts, t, pose, k_, CYLINDER_SEGMENTS, NEAR_M),
                (None, Some(l)) => unoccluded_px_through(&parts, pose, k_, CYLINDER_SEGMENTS, NEAR_M, l),
                (None, None) => unoccluded_px(&parts, pose, k_, CYLINDER_SEGMENTS, NEAR_M),
            };
            (o.id, px)
        }));
        vis.add_unoccluded(&scratch.unoccluded);
        summary.add(k, &vis);
        let camera =
            records::FrameCameraFacts { pose, velocity: &velocities[k as usize], ev100: planned.ev100[k as usize] };
        let moved: Vec<records::MovedObject> = dynamics
            .motions
            .iter()
            .filter(|m| m.poses[k as usize].moved())
            .filter_map(|m| {
                let o = planned.apartment.objects().find(|o| o.id == m.object)?;
                Some(records::MovedObject::new(o, &m.poses[k as usize]))
            })
            .collect();
        let applied = frame_degradations.last().map(Vec::as_slice).unwrap_or_default();
        records::frame_line(k, cam.fps, &camera, &moved, &vis, applied, &mut frames_jsonl);
        if stills {
            if let Some(jpeg) = still_jpeg {
                // A still with a JPEG degradation is that JPEG file.
                writer.write_image(&format!("images/{k}.jpg"), Ok(()), &jpeg)?;
            } else {
                let rel = format!("images/{k}.png");
                scratch.rgb.clear();
                match &still_rgb {
                    Some(rgb) => scratch.rgb.extend_from_slice(rgb),
                    None => scratch.rgb.extend(f.color_rgba8.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]])),
                }
                let encoded = png_rgb8(w, h, &scratch.rgb, png::Compression::Fast, &mut scratch.png);
                writer.write_image(&rel, encoded, &scratch.png)?;
            }
        }
        if out.instance {
            let rel = format!("instance/{k}.png");
            let encoded = png_u16(w, h, instance, &mut scratch.be, &mut scratch.png);
            writer.write_image(&rel, encoded, &scratch.png)?;
        }
        if out.depth {
            let rel = format!("depth/{k}.png");
            depth_to_mm(depth_m, &mut scratch.u16_px);
            let encoded = png_u16(w, h, &scratch.u16_px, &mut scratch.be, &mut scratch.png);
            writer.write_image(&rel, encoded, &scratch.png)?;
        }
        if out.semantic {
            let rel = format!("semantic/{k}.png");
            scratch.u16_px.clear();
            scratch.u16_px.extend(instance.iter().map(|&i| class_of.get(i as usize).copied().unwrap_or(0)));
            let encoded = png_u16(w, h, &scratch.u16_px, &mut scratch.be, &mut scratch.png);
            writer.write_image(&rel, encoded, &scratch.png)?;
        }
        if out.normals {
            let rel = format!("normal/{k}.png");
            scratch.rgb.clear();
            // Background (alpha 0) is black: (-1, -1, -1) is no unit normal.
            scratch
                .rgb
                .extend(normal_rgba8.chunks_exact(4).flat_map(|p| if p[3] == 0 { [0; 3] } else { [p[0], p[1], p[2]] }));
            let encoded = png_rgb8(w, h, &scratch.rgb, png::Compression::Fast, &mut scratch.png);
            writer.write_image(&rel, encoded, &scratch.png)?;
        }
        if out.motion {
            let rel = format!("motion/{k}.png");
            // Frame 0 has no previous frame, and a still view no motion.
            if k == 0 || stills {
                scratch.motion.clear();
                scratch.motion.resize((w * h) as usize, None);
            } else {
                let prev = &planned.trajectory.poses[k as usize - 1];
                // Where each moving object's points were a frame ago: prev_from_now = M(k-1) M(k)^-1.
                let prev_from_now: BTreeMap<u16, RigidPose> = dynamics
                    .motions
                    .iter()
                    .map(|m| (m.object as u16, m.poses[k as usize - 1].after(&m.poses[k as usize].inverse())))
                    .collect();
                let i = &planned.intrinsics;
                motion_vectors_with_objects(f.depth_m, f.instance, &prev_from_now, i, pose, prev, &mut scratch.motion);
            }
            let encoded = png_flow_kitti(w, h, &scratch.motion, &mut scratch.be, &mut scratch.png);
            writer.write_image(&rel, encoded, &scratch.png)?;
        }
        times.emit += t_emit.elapsed();
        progress.frame();
        Ok(())
    })?;

    let t_enc = Instant::now();
    video.finish()?;
    times.encode += t_enc.elapsed();
    let t_emit = Instant::now();
    writer.record("video.mp4")?;
    writer.write("frames.jsonl", &frames_jsonl)?;
    let questions = if config.qa.enabled {
        let spec = QaSpec {
            min_visible_px: config.qa.min_visible_px,
            max_per_type: config.qa.max_per_type,
            min_abs_distance_m: config.qa.min_abs_distance_m,
            fps: cam.fps,
            motion_centres: motion_centres(&planned.apartment, dynamics),
            abstention: config.qa.abstention,
        };
        // Routes run over the floor a small robot (0.2 m radius, 1.2 m tall) can reach from the entrance.
        let walk = WalkthroughSpec { clearance_m: ROBOT_RADIUS_M, eye_height_m: 1.2, ..plan::walkthrough_spec(config) };
        let nav = PathScene::new(&planned.apartment, &walk).ok();
        qa::generate(
            &planned.apartment,
            &summary,
            &planned.trajectory.poses,
            cam.frames,
            &spec,
            nav.as_ref(),
            &mut seed::stream(planned.scene_seed, "qa"),
        )
    } else {
        Vec::new()
    };
    // Degradation awareness: a question about objects no degraded frame still shows is dropped, or turned into
    // an abstention question when the config asks for those.
    let asked = questions.len();
    let questions: Vec<qa::Question> = questions
        .into_iter()
        .filter_map(|mut q| {
            if !degraded || seen_through_degradations(&q, &summary, planned, &frame_degradations) {
                Some(q)
            } else {
                (config.qa.abstention && qa::abstain(&mut q)).then_some(q)
            }
        })
        .collect();
    let dropped = (asked - questions.len()) as u32;
    let qa_bytes = records::qa_lines(id, &questions, &frame_degradations);
    writer.write("qa.jsonl", &qa_bytes)?;
    let lights = plan::light_records(&planned.lighting);
    let facts = SceneFacts {
        scene_id: id,
        seed: planned.scene_seed,
        apartment: &planned.apartment,
        layout_attempts: planned.attempts,
        lights: &lights,
        texture_offsets: &planned.texture_offsets,
        meshes: &planned.meshes,
        intrinsics: &planned.intrinsics,
        fps: cam.fps,
        frame_count: cam.frames,
        trajectory: &planned.trajectory,
        dynamics,
        eye_height_m: cam.eye_height_m,
        clearance_m: cam.clearance_m,
        visibility: &summary,
    };
    writer.write("scene.json", &records::scene_json(&facts))?;
    let path: Vec<_> = planned.trajectory.poses.iter().map(|p| p.position).collect();
    let (pw, ph, rgb) =
        crate::emit::plan::draw(&planned.apartment, &path, planned.apartment.rooms[0].report.agent_radius_m);
    let mut png = Vec::new();
    let encoded = png_rgb8(pw, ph, &rgb, png::Compression::default(), &mut png);
    writer.write_image("plan.png", encoded, &png)?;
    times.emit += t_emit.elapsed();
    Ok((writer.into_files(), questions, dropped))
}

/// Whether every object `q` names is still seen through its frames' degradations: in some frame of the
/// question's range where the object is salient, the medium (fog, haze) passes at least 5 % of its contrast
/// (it is within the meteorological optical range: `exp(-beta d) >= 0.05`, `d` from the camera to the object's
/// centre) and the sensor's signal-to-noise ratio at middle grey is at least 2.
/// Clearance of the robot route questions plan for (the grid adds its cell's reach), metres.
const ROBOT_RADIUS_M: f32 = 0.15;

/// Each moving object's box centre at every frame.
fn motion_centres(apartment: &Apartment, dynamics: &SceneDynamics) -> BTreeMap<u32, Vec<Vec3>> {
    dynamics
        .motions
        .iter()
        .filter_map(|m| {
            let o = apartment.object(m.object)?;
            Some((m.object, m.poses.iter().map(|p| p.apply(o.obb.center)).collect()))
        })
        .collect()
}

fn seen_through_degradations(
    q: &qa::Question,
    summary: &VisibilitySummary,
    planned: &plan::PlannedScene,
    frame_degradations: &[Vec<diorama_degradations::AppliedDegradation>],
) -> bool {
    let visible_in = |id: u32, k: u32| -> bool {
        let Some(applied) = frame_degradations.get(k as usize) else { return true };
        let Some(o) = planned.apartment.object(id) else { return true };
        let d = planned.trajectory.poses[k as usize].position.distance(o.obb.center) as f64;
        let beta: f64 = applied.iter().filter_map(|a| a.params.get("beta_per_m")).sum();
        let snr = applied.iter().find_map(|a| a.params.get("snr_mid_grey")).copied().unwrap_or(f64::INFINITY);
        (-beta * d).exp() >= 0.05 && snr >= 2.0
    };
    q.object_ids.iter().all(|&id| {
        summary
            .salient_frames
            .get(&id)
            .is_some_and(|frames| frames.iter().any(|&k| k >= q.frames[0] && k <= q.frames[1] && visible_in(id, k)))
    })
}

pub(crate) fn pinhole(k: &diorama_sim::camera::Intrinsics) -> diorama_degradations::optics::Pinhole {
    diorama_degradations::optics::Pinhole { fx: k.fx, fy: k.fy, cx: k.cx, cy: k.cy, width: k.width, height: k.height }
}

/// Whether a world point is outdoors: on a balcony, or outside every indoor room (through a window).
pub(crate) fn outdoor_test(apartment: &diorama_layouts::Apartment) -> impl Fn([f64; 3]) -> bool + '_ {
    move |p: [f64; 3]| {
        let q = diorama_layouts::geom::Vec2::new(p[0] as f32, p[1] as f32);
        !apartment.rooms.iter().any(|l| {
            let r = &l.room;
            // Indoor rooms hold their air up to the ceiling (and a wall's thickness above it).
            !r.outdoor && r.contains(q) && p[2] >= -0.3 && p[2] <= (r.height_m + 0.3) as f64
        })
    }
}

/// What a degraded scene's renderer integrates per frame: sub-frame cameras over the shutter window and the
/// aperture, their row weights and object poses, and the medium.
pub(crate) struct ShutterPlan {
    row_weights: Vec<f32>,
    /// Per frame, per sub-frame: the cameras, and where the moving objects are.
    cameras: Vec<Vec<diorama_render::FrameCamera>>,
    movers: Vec<Vec<Vec<[[f32; 4]; 4]>>>,
    fps: f64,
    /// The sky's radiance (cd/m² per channel): outdoor fog's airlight.
    sky: [f32; 3],
}

impl ShutterPlan {
    pub(crate) fn new(
        model: &diorama_degradations::CameraModel,
        config: &Config,
        planned: &plan::PlannedScene,
        frame_cameras: &[diorama_render::FrameCamera],
        canvas: diorama_sim::camera::Intrinsics,
    ) -> ShutterPlan {
        let fps = config.camera.fps as f64;
        let subframes = model.subframe_plan();
        let window = model.window_s();
        let times: Vec<f32> = subframes.iter().map(|s| (s.dt_s + window / 2.0) as f32).collect();
        let row_weights = diorama_render::shutter::row_weights(
            &times,
            model.exposure_s.unwrap_or(0.0) as f32,
            model.readout_s as f32,
            canvas.height,
        );
        let poses = &planned.trajectory.poses;
        let focus = model.lens.map(|l| l.focus_distance_m);
        let mut cameras = Vec::with_capacity(poses.len());
        let mut movers = Vec::with_capacity(poses.len());
        for (k, frame) in frame_cameras.iter().enumerate() {
            let mut per = Vec::with_capacity(subframes.len());
            let mut moving = Vec::with_capacity(subframes.len());
            for s in &subframes {
                let pose = diorama_sim::paths::pose_at(poses, k, (s.dt_s * fps) as f32);
                let m = pose.world_from_camera;
                // A lens sample moves the centre of projection across the aperture and shifts the principal
                // point so the focus plane stays put (an off-axis frustum).
                let [lx, ly] = s.lens_m;
                let offset = m * diorama_layouts::geom::Vec3::new(lx, ly, 0.0);
                let (dcx, dcy) = match focus {
                    Some(f) => (canvas.fx * lx / f, canvas.fy * ly / f),
                    None => (0.0, 0.0),
                };
                per.push(diorama_render::FrameCamera {
                    world_from_camera: [m.row(0).to_array(), m.row(1).to_array(), m.row(2).to_array()],
                    position: (pose.position + offset).to_array(),
                    fx: canvas.fx,
                    fy: canvas.fy,
                    cx: canvas.cx + dcx,
                    cy: canvas.cy + dcy,
                    ev100: frame.ev100,
                });
                let dt_frames = (s.dt_s * fps) as f32;
                moving.push(
                    planned
                        .dynamics
                        .motions
                        .iter()
                        .map(|mo| {
                            let (a, b, t) = diorama_sim::paths::between_frames(mo.poses.len(), k, dt_frames);
                            mo.poses[a].lerp(&mo.poses[b], t).row_major()
                        })
                        .collect(),
                );
            }
            cameras.push(per);
            movers.push(moving);
        }
        let l = &planned.lighting;
        let sky = l.sky_color.map(|c| c * l.sky_luminance_nits);
        ShutterPlan { row_weights, cameras, movers, fps, sky }
    }

    pub(crate) fn exposures<'a>(
        &'a self,
        frame_cameras: &[diorama_render::FrameCamera],
        movers: &'a [Vec<[[f32; 4]; 4]>],
        ev100: &[f32],
        model: &diorama_degradations::CameraModel,
    ) -> Vec<Exposure<'a>> {
        let canvas = model.canvas();
        frame_cameras
            .iter()
            .enumerate()
            .map(|(k, c)| Exposure {
                ground_truth: diorama_render::FrameCamera { fx: canvas.fx, fy: canvas.fy, ..*c },
                subframes: &self.cameras[k],
                row_weights: &self.row_weights,
                movers: &movers[k],
                subframe_movers: &self.movers[k],
                medium: model.medium(metered_cd_m2(ev100[k]), self.sky),
            })
            .collect()
    }

    /// Forms frame `k`'s image through the camera model.
    pub(crate) fn form(
        &self,
        model: &diorama_degradations::CameraModel,
        f: &FrameImages<'_>,
        k: usize,
        planned: &plan::PlannedScene,
        outdoors: &dyn Fn([f64; 3]) -> bool,
        speeds: &[f64],
    ) -> Result<diorama_degradations::FrameOutput, diorama_degradations::camera::CameraError> {
        // The renderer's RGBA f32 as pixels, without a copy.
        let (linear, _) = f.linear_rgba32f.as_chunks::<4>();
        let half = model.window_s() / 2.0;
        let poses = &planned.trajectory.poses;
        let at = |dt_s: f64| {
            let p = diorama_sim::paths::pose_at(poses, k, (dt_s * self.fps) as f32);
            let m = p.world_from_camera;
            diorama_degradations::weather::CameraAt {
                world_from_camera: [0, 1, 2].map(|i| m.row(i).to_array().map(|x| x as f64)),
                position: p.position.to_array().map(|x| x as f64),
            }
        };
        let t = k as f64 / self.fps;
        let input = diorama_degradations::FrameInput {
            k: k as u32,
            linear,
            depth_m: f.depth_m,
            metered_cd_m2: metered_cd_m2(planned.ev100[k]),
            airlight_cd_m2: {
                let m = model.medium(metered_cd_m2(planned.ev100[k]), self.sky);
                (0.2126 * m[1] + 0.7152 * m[2] + 0.0722 * m[3]) as f64
            },
            open: at(-half),
            close: at(half),
            t_open_s: t - half,
            t_close_s: t + half,
            outdoors,
            camera_outdoors: outdoors(poses[k].position.to_array().map(|x| x as f64)),
            centre_speed_px_s: speeds[k],
        };
        let mut rng = seed::stream(planned.scene_seed, &format!("degradations/frame/{k}"));
        model.process(&input, &mut rng)
    }
}

/// The luminance auto-exposure renders as middle grey at an exposure value (ISO 100, K = 12.5).
fn metered_cd_m2(ev100: f32) -> f64 {
    2f64.powf(ev100 as f64) * 12.5 / 100.0
}
