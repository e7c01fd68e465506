//! JSON records of the dataset contract (../shared/spec/dataset-format.md). Field names are fixed by the
//! contract; fields beyond it are additions. Keys come out in declaration order, never from a HashMap.

use std::collections::BTreeMap;

use diorama_degradations::AppliedDegradation;
use diorama_layouts::geom::{Mat3, Vec3};
use diorama_layouts::{Apartment, Constraint, Layout, Obb, Primitive};
use diorama_sim::dynamics::{RigidPose, SceneDynamics};
use diorama_sim::paths::{Action, CameraVelocity};
use diorama_sim::qa::Question;
use diorama_sim::visibility::{FrameVisibility, VisibilitySummary};
use diorama_sim::{CameraPose, Intrinsics, Trajectory};
use serde::Serialize;

/// An f32 as the f64 with the same shortest decimal form, so 0.1f32 is written `0.1`, not `0.10000000149`.
pub fn r(x: f32) -> f64 {
    format!("{x}").parse().expect("a float prints as a float")
}

fn v3(v: Vec3) -> [f64; 3] {
    [r(v.x), r(v.y), r(v.z)]
}

fn axes(m: &Mat3) -> [[f64; 3]; 3] {
    [v3(m.x_axis), v3(m.y_axis), v3(m.z_axis)]
}

#[derive(Serialize)]
pub struct ObbRecord {
    center: [f64; 3],
    size: [f64; 3],
    axes: [[f64; 3]; 3],
}

impl From<&Obb> for ObbRecord {
    fn from(o: &Obb) -> Self {
        ObbRecord { center: v3(o.center), size: v3(o.size), axes: axes(&o.world_from_local) }
    }
}

#[derive(Serialize)]
struct PartRecord {
    kind: &'static str,
    center: [f64; 3],
    size: [f64; 3],
    axes: [[f64; 3]; 3],
    /// Linear RGB albedo (an addition: the material of this part).
    albedo: [f64; 3],
    /// What it is made of (an addition: the renderer's texture, roughness and metalness follow from it).
    material: diorama_assets::Material,
}

impl From<&Primitive> for PartRecord {
    fn from(p: &Primitive) -> Self {
        PartRecord {
            kind: match p.kind {
                diorama_assets::PartKind::Box => "box",
                diorama_assets::PartKind::Cylinder => "cylinder",
            },
            center: v3(p.center),
            size: v3(p.size),
            axes: axes(&p.world_from_local),
            albedo: p.color.map(r),
            material: p.material,
        }
    }
}

#[derive(Serialize)]
struct SurfaceRecord {
    /// World height of the surface, metres.
    z: f64,
    /// Extent in the object's local frame (its `obb.axes`), metres, relative to the box centre.
    x: [f64; 2],
    y: [f64; 2],
    /// Free height above (a shelf's next board); 0: open above.
    clear_m: f64,
}

#[derive(Serialize)]
struct ObjectRecord<'a> {
    id: u32,
    category: &'a str,
    name: &'a str,
    structural: bool,
    room: u32,
    obb: ObbRecord,
    parts: Vec<PartRecord>,
    parent: Option<u32>,
    asset: Option<&'a str>,
    dynamic: bool,
    /// Additions for independent checking: how it was placed, the wall behind it, whether its front must stay
    /// clear, what it is arranged around, its support surfaces and which of its parent's it rests on.
    placement: &'static str,
    wall: Option<usize>,
    front: bool,
    anchor: Option<u32>,
    surfaces: Vec<SurfaceRecord>,
    parent_surface: Option<usize>,
    flat: bool,
    /// Addition: where its procedural textures start (metres along each face's texture axes).
    texture_offset_m: [f64; 2],
}

#[derive(Serialize)]
struct RoomRecord<'a> {
    id: u32,
    name: &'a str,
    polygon: Vec<[f64; 2]>,
    floor_z: f64,
    height: f64,
    area_m2: f64,
    /// Addition: an outdoor area (no ceiling; `height` bounds what stands in it).
    outdoor: bool,
}

#[derive(Serialize)]
struct DoorRecord {
    room_a: u32,
    /// null: the door leads outside the modelled rooms (the entrance).
    room_b: Option<u32>,
    center: [f64; 3],
    width: f64,
    height: f64,
}

#[derive(Serialize)]
struct WindowRecord {
    room: u32,
    /// Wall index (0: y = 0, 1: x = width, 2: y = depth, 3: x = 0).
    wall: usize,
    /// Centre of the opening's sill on the wall's inner surface.
    center: [f64; 3],
    width: f64,
    height: f64,
    sill: f64,
}

/// A light in photometric units. `kind`: "panel" (a ceiling panel facing `direction`, cosine lobe), "point",
/// "spot", "sun" (`direction` towards the sun, `illuminance_lux` facing it), "sky" (uniform `luminance_nits`),
/// "ambient" (indirect light: uniform `illuminance_lux` on upward surfaces inside the box, `down_ratio` of it on
/// downward ones).
#[derive(Serialize, Default)]
pub struct LightRecord {
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<[f64; 3]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub box_min: Option<[f64; 3]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub box_max: Option<[f64; 3]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<[f64; 3]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub half_angle_deg: Option<f64>,
    /// Linear Rec. 709 chromaticity, luminance 1.
    pub color: [f64; 3],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flux_lm: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub illuminance_lux: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub luminance_nits: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub down_ratio: Option<f64>,
    pub casts_shadows: bool,
}

#[derive(Serialize)]
struct ConstraintRecord<'a> {
    name: &'a str,
    /// Addition: the room it was checked in; null for a scene-wide constraint (`apartment_access`).
    room: Option<u32>,
    holds: bool,
    slack: f64,
    unit: &'a str,
    detail: &'a str,
}

#[derive(Serialize)]
struct DroppedRecord<'a> {
    room: u32,
    category: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct OptimizerRecord {
    iterations: u32,
    accepted_moves: u32,
    initial_score: f64,
    final_score: f64,
}

/// What the optimizer did in one room.
#[derive(Serialize)]
struct RoomReportRecord<'a> {
    room: u32,
    room_type: &'a str,
    requested_objects: u32,
    placed_objects: u32,
    small_objects: u32,
    optimizer: OptimizerRecord,
}

/// The certificate of the whole scene: object counts and optimizer figures summed over its rooms, every room's
/// constraints (each naming its room) and the scene-wide ones, and what each room dropped.
#[derive(Serialize)]
struct LayoutReportRecord<'a> {
    generator: &'a str,
    /// The first room's type (the only one of a single-room scene); `rooms` lists them all.
    room_type: &'a str,
    attempts: u32,
    requested_objects: u32,
    placed_objects: u32,
    small_objects: u32,
    front_clearance_m: f64,
    agent_radius_m: f64,
    constraints: Vec<ConstraintRecord<'a>>,
    dropped: Vec<DroppedRecord<'a>>,
    optimizer: OptimizerRecord,
    /// Addition: the report of each room.
    rooms: Vec<RoomReportRecord<'a>>,
}

#[derive(Serialize)]
pub struct IntrinsicsRecord {
    fx: f64,
    fy: f64,
    cx: f64,
    cy: f64,
    width: u32,
    height: u32,
}

impl From<&Intrinsics> for IntrinsicsRecord {
    fn from(k: &Intrinsics) -> Self {
        IntrinsicsRecord { fx: r(k.fx), fy: r(k.fy), cx: r(k.cx), cy: r(k.cy), width: k.width, height: k.height }
    }
}

#[derive(Serialize)]
struct CameraRecord {
    intrinsics: IntrinsicsRecord,
    fps: u32,
    frame_count: u32,
    trajectory: &'static str,
    eye_height_m: f64,
    clearance_m: f64,
    min_clearance_m: f64,
    /// Addition: the object an orbit circles.
    #[serde(skip_serializing_if = "Option::is_none")]
    orbit_target: Option<u32>,
    /// Addition: an action script's start and steps as executed (times in seconds from the first frame).
    #[serde(skip_serializing_if = "Option::is_none")]
    script: Option<ScriptRecord>,
    /// Addition: the handheld shake added to the path.
    #[serde(skip_serializing_if = "Option::is_none")]
    jitter: Option<JitterRecord>,
    /// Addition: objects a coverage walk could not cover, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    uncovered: Vec<UncoveredRecord>,
}

#[derive(Serialize)]
struct UncoveredRecord {
    id: u32,
    reason: String,
}

#[derive(Serialize)]
struct ScriptRecord {
    start_position: [f64; 3],
    start_yaw_deg: f64,
    actions: Vec<ActionRecord>,
}

#[derive(Serialize)]
struct ActionRecord {
    /// `forward 0.80`, `left 70.0`, `right 45.0` (metres, degrees).
    action: String,
    kind: &'static str,
    /// Metres for `forward`, degrees (positive: left, counter-clockwise from above) for `turn`.
    amount: f64,
    start_s: f64,
    end_s: f64,
}

#[derive(Serialize)]
struct JitterRecord {
    translation_m: f64,
    rotation_deg: f64,
    frequency_hz: f64,
}

fn script_record(t: &Trajectory, eye_height_m: f32) -> Option<ScriptRecord> {
    let start = t.script_start?;
    Some(ScriptRecord {
        start_position: v3(start.position.extend(eye_height_m)),
        start_yaw_deg: r(start.yaw_rad.to_degrees()),
        actions: t
            .script
            .iter()
            .map(|a| {
                let (kind, amount) = match a.action {
                    Action::Forward { distance_m } => ("forward", distance_m),
                    Action::Turn { angle_rad } => ("turn", angle_rad.to_degrees()),
                };
                ActionRecord {
                    action: a.action.describe(),
                    kind,
                    amount: r(amount),
                    start_s: r(a.start_s),
                    end_s: r(a.end_s),
                }
            })
            .collect(),
    })
}

#[derive(Serialize)]
struct SeenRecord {
    id: u32,
    first_frame: u32,
    last_frame: u32,
    frames_seen: u32,
    max_visible_px: u32,
    /// First and last frame showing at least `visibility_salient_px` visible pixels of it (null: none does).
    first_salient_frame: Option<u32>,
    last_salient_frame: Option<u32>,
}

#[derive(Serialize)]
struct MaterialsRecord<'a> {
    model: &'static str,
    albedo: &'static str,
    material: &'static str,
    /// Categories drawn with a glTF mesh (scaled to each object's box; `parts` stay its collision shape), and
    /// the mesh's file as the manifest names it.
    meshes: &'a std::collections::BTreeMap<String, String>,
}

#[derive(Serialize)]
struct SceneRecord<'a> {
    scene_id: &'a str,
    seed: u64,
    rooms: Vec<RoomRecord<'a>>,
    doors: Vec<DoorRecord>,
    /// Addition: window openings in exterior walls.
    windows: Vec<WindowRecord>,
    objects: Vec<ObjectRecord<'a>>,
    lights: &'a [LightRecord],
    materials: MaterialsRecord<'a>,
    layout_report: LayoutReportRecord<'a>,
    camera: CameraRecord,
    /// Addition: per object, the frames that show it (from the rendered instance maps), and the visible
    /// pixels from which a frame shows it saliently (qa.min_visible_px).
    visibility_summary: Vec<SeenRecord>,
    visibility_salient_px: u32,
    /// Addition: furniture no frame shows (empty when the walkthrough sees everything).
    unseen_objects: Vec<u32>,
    /// Addition: the objects that move during the video (their pose at each frame is in frames.jsonl), and
    /// events that could not be placed.
    dynamics: Vec<EventRecord>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    dynamics_skipped: &'a [String],
}

#[derive(Serialize)]
struct EventRecord {
    object: u32,
    /// "slide", "pick_place" or "drop".
    kind: &'static str,
    /// First frame away from its rest pose, and the frame from which it stays still.
    start_frame: u32,
    end_frame: u32,
    /// Its box's centre before and after.
    from: [f64; 3],
    to: [f64; 3],
}

/// Everything scene.json says about a scene.
pub struct SceneFacts<'a> {
    pub scene_id: &'a str,
    pub seed: u64,
    pub apartment: &'a Apartment,
    pub layout_attempts: u32,
    pub lights: &'a [LightRecord],
    pub texture_offsets: &'a std::collections::BTreeMap<u32, [f32; 2]>,
    /// Category -> glTF file, for the categories of this scene drawn as meshes.
    pub meshes: &'a std::collections::BTreeMap<String, String>,
    pub intrinsics: &'a Intrinsics,
    pub fps: u32,
    pub frame_count: u32,
    pub trajectory: &'a Trajectory,
    pub dynamics: &'a SceneDynamics,
    pub eye_height_m: f32,
    pub clearance_m: f32,
    pub visibility: &'a VisibilitySummary,
}

fn optimizer_record(l: &Layout) -> OptimizerRecord {
    let s = &l.report.stats;
    // Wall-clock time is left out: it varies run to run and scene.json is byte-identical for a seed.
    // `cargo bench --bench layouts` measures it.
    OptimizerRecord {
        iterations: s.iterations,
        accepted_moves: s.accepted_moves,
        initial_score: r(s.initial_score),
        final_score: r(s.final_score),
    }
}

fn constraint_record(room: Option<u32>, c: &Constraint) -> ConstraintRecord<'_> {
    ConstraintRecord { name: c.name, room, holds: c.holds, slack: r(c.slack), unit: c.unit, detail: &c.detail }
}

fn object_record<'a>(
    room: u32,
    o: &'a diorama_layouts::SceneObject,
    texture_offset_m: [f32; 2],
    dynamic: bool,
) -> ObjectRecord<'a> {
    ObjectRecord {
        id: o.id,
        category: &o.category,
        name: &o.name,
        structural: o.structural,
        room,
        obb: ObbRecord::from(&o.obb),
        parts: o.parts.iter().map(PartRecord::from).collect(),
        parent: o.parent,
        asset: (!o.structural).then_some(o.category.as_str()),
        dynamic,
        placement: match o.placement {
            diorama_assets::PlacementRule::Floor => "floor",
            diorama_assets::PlacementRule::Wall => "wall",
            diorama_assets::PlacementRule::Corner => "corner",
            diorama_assets::PlacementRule::Surface => "surface",
        },
        wall: o.wall,
        front: o.front,
        anchor: o.anchor,
        surfaces: o
            .surfaces
            .iter()
            .map(|s| SurfaceRecord { z: r(s.z), x: s.x.map(r), y: s.y.map(r), clear_m: r(s.clear_m) })
            .collect(),
        parent_surface: o.parent_surface,
        flat: o.flat,
        texture_offset_m: texture_offset_m.map(r),
    }
}

fn layout_report(a: &Apartment, attempts: u32) -> LayoutReportRecord<'_> {
    let first = &a.rooms[0].report;
    let sum = |f: fn(&Layout) -> u32| a.rooms.iter().map(f).sum::<u32>();
    // Scores add up in f32 in room order, the same on every machine.
    let score = |f: fn(&Layout) -> f32| a.rooms.iter().map(f).fold(0.0f32, |acc, x| acc + x);
    LayoutReportRecord {
        generator: "optimizer",
        room_type: &first.room_type,
        attempts,
        requested_objects: sum(|l| l.report.requested_objects),
        placed_objects: sum(|l| l.report.placed_objects),
        small_objects: sum(|l| l.report.small_objects),
        front_clearance_m: r(first.front_clearance_m),
        agent_radius_m: r(first.agent_radius_m),
        constraints: a
            .rooms
            .iter()
            .flat_map(|l| l.report.constraints.iter().map(|c| constraint_record(Some(l.room.id), c)))
            .chain(a.constraints.iter().map(|c| constraint_record(None, c)))
            .collect(),
        dropped: a
            .rooms
            .iter()
            .flat_map(|l| {
                l.report.dropped.iter().map(|(c, why)| DroppedRecord { room: l.room.id, category: c, reason: why })
            })
            .collect(),
        optimizer: OptimizerRecord {
            iterations: sum(|l| l.report.stats.iterations),
            accepted_moves: sum(|l| l.report.stats.accepted_moves),
            initial_score: r(score(|l| l.report.stats.initial_score)),
            final_score: r(score(|l| l.report.stats.final_score)),
        },
        rooms: a
            .rooms
            .iter()
            .map(|l| RoomReportRecord {
                room: l.room.id,
                room_type: &l.report.room_type,
                requested_objects: l.report.requested_objects,
                placed_objects: l.report.placed_objects,
                small_objects: l.report.small_objects,
                optimizer: optimizer_record(l),
            })
            .collect(),
    }
}

pub fn scene_json(f: &SceneFacts<'_>) -> Vec<u8> {
    let a = f.apartment;
    let unseen = a.furniture().filter(|o| !f.visibility.objects.contains_key(&o.id)).map(|o| o.id).collect();
    let rec = SceneRecord {
        scene_id: f.scene_id,
        seed: f.seed,
        rooms: a
            .rooms
            .iter()
            .map(|l| RoomRecord {
                id: l.room.id,
                name: &l.room.name,
                polygon: l.room.polygon().iter().map(|p| [r(p.x), r(p.y)]).collect(),
                floor_z: 0.0,
                height: r(l.room.height_m),
                area_m2: r(l.room.area_m2()),
                outdoor: l.room.outdoor,
            })
            .collect(),
        doors: a
            .doors()
            .iter()
            .map(|d| DoorRecord {
                room_a: d.room_a,
                room_b: d.door.leads_to,
                center: v3(d.door.center + Vec3::Z * (d.door.height_m / 2.0)),
                width: r(d.door.width_m),
                height: r(d.door.height_m),
            })
            .collect(),
        windows: a
            .rooms
            .iter()
            .flat_map(|l| {
                l.windows.iter().map(|w| WindowRecord {
                    room: l.room.id,
                    wall: w.wall,
                    center: v3(w.center),
                    width: r(w.width_m),
                    height: r(w.height_m),
                    sill: r(w.sill_m),
                })
            })
            .collect(),
        objects: a
            .rooms
            .iter()
            .flat_map(|l| {
                l.objects.iter().map(|o| {
                    let offset = f.texture_offsets.get(&o.id).copied().unwrap_or_default();
                    object_record(l.room.id, o, offset, f.dynamics.pose_of(o.id, 0).is_some())
                })
            })
            .collect(),
        lights: f.lights,
        materials: MaterialsRecord {
            model: "ggx_metallic_roughness",
            albedo: "objects[].parts[].albedo (linear RGB), modulated by the material's procedural texture",
            material: "objects[].parts[].material; textures start at objects[].texture_offset_m",
            meshes: f.meshes,
        },
        layout_report: layout_report(a, f.layout_attempts),
        camera: CameraRecord {
            intrinsics: f.intrinsics.into(),
            fps: f.fps,
            frame_count: f.frame_count,
            trajectory: f.trajectory.kind,
            eye_height_m: r(f.eye_height_m),
            clearance_m: r(f.clearance_m),
            min_clearance_m: r(f.trajectory.min_clearance_m),
            orbit_target: f.trajectory.target,
            script: script_record(f.trajectory, f.eye_height_m),
            uncovered: f
                .trajectory
                .uncovered
                .iter()
                .map(|u| UncoveredRecord { id: u.id, reason: u.reason.clone() })
                .collect(),
            jitter: f.trajectory.jitter.map(|j| JitterRecord {
                translation_m: r(j.translation_m),
                rotation_deg: r(j.rotation_rad.to_degrees()),
                frequency_hz: r(j.frequency_hz),
            }),
        },
        visibility_summary: f
            .visibility
            .objects
            .iter()
            .map(|(&id, s)| SeenRecord {
                id,
                first_frame: s.first_frame,
                last_frame: s.last_frame,
                frames_seen: s.frames_seen,
                max_visible_px: s.max_visible_px,
                first_salient_frame: s.first_salient_frame,
                last_salient_frame: s.last_salient_frame,
            })
            .collect(),
        visibility_salient_px: f.visibility.salient_px,
        unseen_objects: unseen,
        dynamics: f
            .dynamics
            .motions
            .iter()
            .filter_map(|m| {
                let o = a.objects().find(|o| o.id == m.object)?;
                let last = m.poses.last()?;
                Some(EventRecord {
                    object: m.object,
                    kind: m.kind.name(),
                    start_frame: m.start_frame,
                    end_frame: m.end_frame,
                    from: v3(o.obb.center),
                    to: v3(last.apply(o.obb.center)),
                })
            })
            .collect(),
        dynamics_skipped: &f.dynamics.skipped,
    };
    let mut out = serde_json::to_vec_pretty(&rec).expect("scene record serialises");
    out.push(b'\n');
    out
}

#[derive(Serialize)]
struct VisibilityRecord {
    id: u32,
    visible_px: u32,
    unoccluded_px: Option<u32>,
    bbox_2d: [u32; 4],
}

#[derive(Serialize)]
struct FrameRecord<'a> {
    k: u32,
    t: f64,
    #[serde(rename = "T_wc")]
    t_wc: [[f64; 4]; 4],
    /// Addition: the camera's exposure value at ISO 100 for this frame.
    ev100: f64,
    /// Addition: the camera's velocity (world frame; central differences over the neighbouring frames).
    camera_velocity: VelocityRecord,
    objects: &'a [MovedObject],
    visibility: Vec<VisibilityRecord>,
    degradations: &'a [AppliedDegradation],
}

#[derive(Serialize)]
struct VelocityRecord {
    linear_m_s: [f64; 3],
    /// Axis times rate.
    angular_rad_s: [f64; 3],
}

/// What frames.jsonl says of the camera at a frame.
pub struct FrameCameraFacts<'a> {
    pub pose: &'a CameraPose,
    pub velocity: &'a CameraVelocity,
    pub ev100: f32,
}

/// An object away from its scene.json pose at a frame: its box's centre and axes (columns) there.
#[derive(Serialize)]
pub struct MovedObject {
    id: u32,
    center: [f64; 3],
    axes: [[f64; 3]; 3],
}

impl MovedObject {
    pub fn new(o: &diorama_layouts::SceneObject, pose: &RigidPose) -> MovedObject {
        let turned = Mat3::from_quat(pose.rotation) * o.obb.world_from_local;
        MovedObject { id: o.id, center: v3(pose.apply(o.obb.center)), axes: axes(&turned) }
    }
}

/// One line of frames.jsonl (with its newline).
pub fn frame_line(
    k: u32,
    fps: u32,
    camera: &FrameCameraFacts<'_>,
    moved: &[MovedObject],
    vis: &FrameVisibility,
    degradations: &[AppliedDegradation],
    out: &mut Vec<u8>,
) {
    let rec = FrameRecord {
        k,
        t: k as f64 / fps as f64,
        t_wc: camera.pose.t_wc_row_major().map(|row| row.map(r)),
        ev100: r(camera.ev100),
        camera_velocity: VelocityRecord {
            linear_m_s: v3(camera.velocity.linear_m_s),
            angular_rad_s: v3(camera.velocity.angular_rad_s),
        },
        objects: moved,
        visibility: vis
            .objects
            .iter()
            .map(|o| VisibilityRecord {
                id: o.id,
                visible_px: o.visible_px,
                unoccluded_px: o.unoccluded_px,
                bbox_2d: o.bbox_2d,
            })
            .collect(),
        degradations,
    };
    serde_json::to_writer(&mut *out, &rec).expect("frame record serialises");
    out.push(b'\n');
}

#[derive(Serialize)]
struct Provenance<'a> {
    object_ids: &'a [u32],
    definition: &'a str,
    /// Numeric questions have no wrong options to keep a margin from: null.
    margin: Option<f64>,
    /// What the question's frames went through: each type applied to any frame of `frames`, its level, and on
    /// how many of those frames.
    degradations: Vec<QuestionDegradation>,
    /// Addition: what the question was posed with beyond its objects and frames (e.g. `turn_deg`).
    parameters: BTreeMap<&'a str, f64>,
    /// Addition (route_planning): the route's corners on the floor, start to goal, world x/y in metres.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    route_waypoints_m: Vec<[f64; 2]>,
}

#[derive(Serialize)]
struct QuestionDegradation {
    #[serde(rename = "type")]
    kind: String,
    severity: Option<u8>,
    frames: u32,
}

/// The degradations of frames `first..=last`, in image-formation order.
fn question_degradations(per_frame: &[Vec<AppliedDegradation>], frames: [u32; 2]) -> Vec<QuestionDegradation> {
    let mut seen: BTreeMap<(diorama_degradations::Stage, String), (Option<u8>, u32)> = BTreeMap::new();
    let (a, b) = (frames[0] as usize, (frames[1] as usize + 1).min(per_frame.len()));
    for applied in per_frame.get(a..b).unwrap_or_default() {
        for d in applied {
            seen.entry((d.stage, d.kind.clone())).or_insert((d.severity, 0)).1 += 1;
        }
    }
    seen.into_iter().map(|((_, kind), (severity, frames))| QuestionDegradation { kind, severity, frames }).collect()
}

/// The exact answer: a number before rounding, or the correct option's text.
#[derive(Serialize)]
#[serde(untagged)]
enum GroundTruth {
    Number(f64),
    Text(String),
}

#[derive(Serialize)]
struct QuestionRecord<'a> {
    id: String,
    scene_id: &'a str,
    question_type: &'a str,
    question: &'a str,
    options: Option<Vec<String>>,
    answer: &'a str,
    ground_truth: GroundTruth,
    metric: &'a str,
    video: String,
    frames: [u32; 2],
    /// Addition: numeric questions' training multiple-choice variant (VSI-Bench distractors), else null.
    mc_options: Option<&'a [String]>,
    mc_answer: Option<&'a str>,
    /// Addition: the answer is "cannot be determined from the video" (qa.abstention).
    abstain: bool,
    provenance: Provenance<'a>,
}

/// Lines of a scene's qa.jsonl.
pub fn qa_lines(scene_id: &str, questions: &[Question], frame_degradations: &[Vec<AppliedDegradation>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, q) in questions.iter().enumerate() {
        let rec = QuestionRecord {
            id: format!("{scene_id}-{i:04}"),
            scene_id,
            question_type: q.question_type,
            question: &q.question,
            options: q.options.clone(),
            answer: &q.answer,
            ground_truth: match &q.ground_truth_text {
                Some(t) => GroundTruth::Text(t.clone()),
                None => GroundTruth::Number(q.ground_truth),
            },
            metric: q.metric,
            video: format!("scenes/{scene_id}/video.mp4"),
            frames: q.frames,
            mc_options: q.mc_options.as_deref(),
            mc_answer: q.mc_answer.as_deref(),
            abstain: q.abstain,
            provenance: Provenance {
                object_ids: &q.object_ids,
                definition: q.definition,
                margin: q.margin,
                degradations: question_degradations(frame_degradations, q.frames),
                parameters: q.params.iter().copied().collect(),
                route_waypoints_m: q.waypoints_m.iter().map(|p| p.map(|x| (x as f64 * 1e3).round() / 1e3)).collect(),
            },
        };
        serde_json::to_writer(&mut out, &rec).expect("question serialises");
        out.push(b'\n');
    }
    out
}

#[derive(Serialize)]
pub struct ToolRecord {
    pub name: &'static str,
    pub version: &'static str,
    pub git_commit: Option<&'static str>,
}

#[derive(Serialize)]
pub struct SceneEntry {
    pub scene_id: String,
    pub seed: u64,
    pub files: BTreeMap<String, String>,
    /// Addition: questions not emitted because no degraded frame still showed their objects.
    pub questions_dropped_by_degradations: u32,
}

#[derive(Serialize)]
pub struct Counts {
    pub scenes: u32,
    pub frames: u64,
    pub questions: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct AdapterRecord {
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub driver: String,
    /// Samples per pixel of the colour (render.msaa as resolved for this adapter).
    pub msaa_samples: u32,
}

#[derive(Serialize)]
pub struct DatasetRecord<'a, C: Serialize, S: Serialize> {
    pub format_version: &'static str,
    pub tool: ToolRecord,
    pub config: &'a C,
    pub seed: u64,
    /// The scene entries (a list, or a sequence read from disk while it is written).
    pub scenes: S,
    /// Addition: hash of the build-wide qa.jsonl.
    pub files: BTreeMap<String, String>,
    pub counts: Counts,
    pub adapter: AdapterRecord,
    /// Addition: the semantic classes; a semantic map's value is an index into this list (0: background).
    pub semantic_classes: &'a [String],
    /// Addition: per question type, the answer distribution and the best constant answer's score (a text-only
    /// baseline), so templates guessable without the video show.
    pub qa_balance: BTreeMap<String, crate::score::TypeBalance>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_short() {
        assert_eq!(serde_json::to_string(&r(0.1)).unwrap(), "0.1");
        assert_eq!(serde_json::to_string(&r(1.0)).unwrap(), "1.0");
        assert_eq!(r(-2.5e-7), -2.5e-7);
    }
}
