//! The build: config -> layout -> trajectory -> render -> emit, one scene after another, with the time each
//! stage took.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use diorama_assets::Manifest;
use diorama_render::mesh::CYLINDER_SEGMENTS;
use diorama_render::{Exposure, FrameImages, NEAR_M, RenderError, Renderer};
use diorama_sim::dynamics::RigidPose;
use diorama_sim::motion::motion_vectors_with_objects;
use diorama_sim::qa::{self, QaSpec};
use diorama_sim::seed;
use diorama_sim::silhouette::{unoccluded_px, unoccluded_px_mesh};
use diorama_sim::visibility::{FrameVisibility, VisibilitySummary};

use crate::config::Config;
use crate::emit::images::{depth_to_mm, png_flow_kitti, png_rgb8, png_u16};
use crate::emit::records::{self, AdapterRecord, Counts, DatasetRecord, SceneEntry, SceneFacts, ToolRecord};
use crate::emit::video::VideoWriter;
use crate::emit::{EmitError, OutputDir, SceneWriter};
use crate::plan::{self, PlanError};

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
    /// H.264 encoding (colour conversion included).
    pub encode: Duration,
    /// Visibility counting, PNG maps, JSON records, questions and hashes.
    pub emit: Duration,
    pub total: Duration,
}

#[derive(Debug, Clone)]
pub struct BuildSummary {
    pub out: PathBuf,
    pub scenes: u32,
    pub frames: u64,
    pub questions: u64,
    pub adapter: String,
    pub times: StageTimes,
}

/// Observer of progress (the CLI draws a bar; tests pass `()`).
pub trait Progress {
    fn start(&mut self, _total_frames: u64) {}
    fn frame(&mut self) {}
    fn scene_done(&mut self, _scene_id: &str, _attempts: u32, _objects: usize, _questions: usize) {}
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

/// Builds the dataset of `config` into `out`. `config_dir` resolves a relative manifest path.
pub fn build(
    config: &Config,
    config_dir: Option<&Path>,
    out: &Path,
    progress: &mut dyn Progress,
) -> Result<BuildSummary, BuildError> {
    let started = Instant::now();
    let manifest = load_manifest(config, config_dir)?;
    // Config errors only the manifest reveals: catch them before touching the output folder.
    plan::check_against_manifest(config, &manifest)?;
    let dir = OutputDir::prepare(out)?;
    let settings =
        diorama_render::RenderSettings { read_rgba8: config.trajectory.has_stills(), ..config.render.settings() };
    let mut renderer = Renderer::with_settings(config.camera.width, config.camera.height, settings)?;
    let mut times = StageTimes::default();
    let mut entries = Vec::new();
    let mut all_qa = Vec::new();
    let mut question_counts: BTreeMap<String, u64> = BTreeMap::new();
    progress.start(config.scenes as u64 * config.camera.frames as u64);

    for index in 0..config.scenes {
        let t0 = Instant::now();
        let planned = plan::plan_scene(config, &manifest, index)?;
        times.layout += t0.elapsed();
        let id = scene_id(index);
        let (files, questions) = emit_scene(config, &dir, &id, &planned, &mut renderer, &mut times, progress)?;
        for q in &questions {
            *question_counts.entry(q.question_type.to_string()).or_default() += 1;
        }
        let t1 = Instant::now();
        all_qa.extend_from_slice(&records::qa_lines(&id, &questions));
        progress.scene_done(&id, planned.attempts, planned.apartment.furniture().count(), questions.len());
        entries.push(SceneEntry { scene_id: id, seed: planned.scene_seed, files });
        times.emit += t1.elapsed();
    }

    let t2 = Instant::now();
    let qa_hash = dir.write_top("qa.jsonl", &all_qa)?;
    let adapter = renderer.adapter().clone();
    let questions: u64 = question_counts.values().sum();
    let semantic_classes = plan::semantic_classes(&manifest);
    let record = DatasetRecord {
        format_version: FORMAT_VERSION,
        tool: ToolRecord {
            name: "diorama",
            version: env!("CARGO_PKG_VERSION"),
            git_commit: option_env!("DIORAMA_GIT_COMMIT"),
        },
        config,
        seed: config.seed,
        scenes: &entries,
        files: BTreeMap::from([("qa.jsonl".to_string(), qa_hash)]),
        counts: Counts {
            scenes: config.scenes,
            frames: config.scenes as u64 * config.camera.frames as u64,
            questions: question_counts,
        },
        adapter: AdapterRecord {
            name: adapter.name.clone(),
            backend: adapter.backend,
            device_type: adapter.device_type,
            driver: adapter.driver,
            msaa_samples: renderer.settings().msaa_samples,
        },
        semantic_classes: &semantic_classes,
    };
    let mut json = serde_json::to_vec_pretty(&record).expect("dataset record serialises");
    json.push(b'\n');
    // Last: its presence marks the dataset complete.
    dir.write_top("dataset.json", &json)?;
    times.emit += t2.elapsed();
    let rt = renderer.timings();
    times.render = rt.submit + rt.wait;
    times.readback = rt.unpack;
    times.total = started.elapsed();
    Ok(BuildSummary {
        out: out.to_path_buf(),
        scenes: config.scenes,
        frames: config.scenes as u64 * config.camera.frames as u64,
        questions,
        adapter: adapter.name,
        times,
    })
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

fn emit_scene(
    config: &Config,
    dir: &OutputDir,
    id: &str,
    planned: &plan::PlannedScene,
    renderer: &mut Renderer,
    times: &mut StageTimes,
    progress: &mut dyn Progress,
) -> Result<(BTreeMap<String, String>, Vec<qa::Question>), BuildError> {
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
    let mut video = VideoWriter::create(
        &writer.path("video.mp4"),
        cam.width,
        cam.height,
        cam.fps,
        out.video_crf,
        &out.video_preset,
    )?;
    renderer.load_scene(&planned.mesh, &planned.lighting);
    let cameras = plan::frame_cameras(&planned.trajectory, &planned.intrinsics, &planned.ev100);
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
    let exposures: Vec<Exposure<'_>> =
        cameras.iter().zip(&movers).map(|(c, m)| Exposure { movers: m, ..Exposure::still(*c) }).collect();
    renderer.render_exposures(&exposures, |f: FrameImages<'_>| -> Result<(), BuildError> {
        let t_enc = Instant::now();
        video.push_yuv(&f.yuv)?;
        times.encode += t_enc.elapsed();
        let t_emit = Instant::now();
        let k = f.index;
        let mut vis = FrameVisibility::from_instance_map(f.instance, w, h);
        let pose = &planned.trajectory.poses[k as usize];
        scratch.unoccluded.clear();
        scratch.unoccluded.extend(planned.apartment.objects().map(|o| {
            let moved = dynamics.pose_of(o.id, k as usize).filter(|p| p.moved());
            let parts = match moved {
                Some(m) => std::borrow::Cow::Owned(o.parts.iter().map(|p| m.apply_primitive(p)).collect()),
                None => std::borrow::Cow::Borrowed(&o.parts),
            };
            let k_ = &planned.intrinsics;
            match planned.asset_triangles.get(&o.id) {
                Some(tris) => match moved {
                    Some(m) => {
                        let tris: Vec<_> = tris.iter().map(|t| t.map(|v| m.apply(v))).collect();
                        (o.id, unoccluded_px_mesh(&parts, &tris, pose, k_, CYLINDER_SEGMENTS, NEAR_M))
                    }
                    None => (o.id, unoccluded_px_mesh(&parts, tris, pose, k_, CYLINDER_SEGMENTS, NEAR_M)),
                },
                None => (o.id, unoccluded_px(&parts, pose, k_, CYLINDER_SEGMENTS, NEAR_M)),
            }
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
        records::frame_line(k, cam.fps, &camera, &moved, &vis, &mut frames_jsonl);
        if stills {
            let rel = format!("images/{k}.png");
            scratch.rgb.clear();
            scratch.rgb.extend(f.color_rgba8.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]));
            let encoded = png_rgb8(w, h, &scratch.rgb, png::Compression::Fast, &mut scratch.png);
            writer.write_image(&rel, encoded, &scratch.png)?;
        }
        if out.instance {
            let rel = format!("instance/{k}.png");
            let encoded = png_u16(w, h, f.instance, &mut scratch.be, &mut scratch.png);
            writer.write_image(&rel, encoded, &scratch.png)?;
        }
        if out.depth {
            let rel = format!("depth/{k}.png");
            depth_to_mm(f.depth_m, &mut scratch.u16_px);
            let encoded = png_u16(w, h, &scratch.u16_px, &mut scratch.be, &mut scratch.png);
            writer.write_image(&rel, encoded, &scratch.png)?;
        }
        if out.semantic {
            let rel = format!("semantic/{k}.png");
            scratch.u16_px.clear();
            scratch.u16_px.extend(f.instance.iter().map(|&i| class_of.get(i as usize).copied().unwrap_or(0)));
            let encoded = png_u16(w, h, &scratch.u16_px, &mut scratch.be, &mut scratch.png);
            writer.write_image(&rel, encoded, &scratch.png)?;
        }
        if out.normals {
            let rel = format!("normal/{k}.png");
            scratch.rgb.clear();
            // Background (alpha 0) is black: (-1, -1, -1) is no unit normal.
            scratch.rgb.extend(
                f.normal_rgba8.chunks_exact(4).flat_map(|p| if p[3] == 0 { [0; 3] } else { [p[0], p[1], p[2]] }),
            );
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
            moving: dynamics.moving_ids(),
        };
        qa::generate(&planned.apartment, &summary, cam.frames, &spec, &mut seed::stream(planned.scene_seed, "qa"))
    } else {
        Vec::new()
    };
    writer.write("qa.jsonl", &records::qa_lines(id, &questions))?;
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
    Ok((writer.into_files(), questions))
}
