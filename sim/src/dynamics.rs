//! Objects that move while the camera rolls: furniture slid across the floor, small objects picked up and put
//! down elsewhere, and small objects lifted and dropped, falling and settling under rapier3d (enhanced
//! determinism, so the same seed gives the same poses on every machine).
//!
//! Every motion is checked at every frame and at four instants between frames: the moving object never
//! penetrates anything (beyond the layout's 1 mm tolerance, measured with parry3d on the real part shapes) and
//! never comes within the camera's clearance. A candidate motion that fails is not used; the events the
//! scene could not place are reported.

use std::f32::consts::PI;

use diorama_assets::PartKind;
use diorama_layouts::constraints::PENETRATION_TOLERANCE_M;
use diorama_layouts::geom::{Mat3, Quat, Vec2, Vec3, parry_shape, primitive_signed_distance};
use diorama_layouts::{Apartment, Primitive, SceneObject};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::camera::{CameraPose, Intrinsics};
use crate::trajectory::{SceneShapes, seen_in};

/// A kind of dynamic event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EventKind {
    /// Furniture standing on the floor slides along it (moved steadily, starting and stopping smoothly).
    Slide,
    /// Furniture standing on the floor is shoved: it sets off at a speed and slows to a stop under sliding
    /// friction (coefficient 0.4).
    Push,
    /// A small object is lifted, carried to a free spot on a surface and set down.
    PickPlace,
    /// A small object is lifted and let go: it falls and settles under physics.
    Drop,
    /// A door between two rooms, closed until then, swings open (a door leaf is added to the doorway).
    Door,
    /// A drawer slides out of a piece of furniture (the body is hollowed to hold it).
    Drawer,
}

impl EventKind {
    pub const ALL: [EventKind; 6] =
        [EventKind::Slide, EventKind::Push, EventKind::PickPlace, EventKind::Drop, EventKind::Door, EventKind::Drawer];

    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Slide => "slide",
            EventKind::Push => "push",
            EventKind::PickPlace => "pick_place",
            EventKind::Drop => "drop",
            EventKind::Door => "door",
            EventKind::Drawer => "drawer",
        }
    }

    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// A rigid motion `p -> rotation * p + translation` (world_from_rest).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RigidPose {
    pub rotation: Quat,
    pub translation: Vec3,
}

impl RigidPose {
    pub const IDENTITY: RigidPose = RigidPose { rotation: Quat::IDENTITY, translation: Vec3::ZERO };

    /// Turning by `rotation` about `center`, then shifting by `shift`.
    pub fn about(center: Vec3, rotation: Quat, shift: Vec3) -> RigidPose {
        RigidPose { rotation, translation: center - rotation * center + shift }
    }

    pub fn apply(&self, p: Vec3) -> Vec3 {
        self.rotation * p + self.translation
    }

    pub fn inverse(&self) -> RigidPose {
        let inv = self.rotation.inverse();
        RigidPose { rotation: inv, translation: -(inv * self.translation) }
    }

    /// `self` after `first`.
    pub fn after(&self, first: &RigidPose) -> RigidPose {
        RigidPose { rotation: self.rotation * first.rotation, translation: self.apply(first.translation) }
    }

    pub fn apply_primitive(&self, p: &Primitive) -> Primitive {
        Primitive {
            center: self.apply(p.center),
            world_from_local: Mat3::from_quat(self.rotation) * p.world_from_local,
            ..p.clone()
        }
    }

    /// Row-major 4x4.
    pub fn row_major(&self) -> [[f32; 4]; 4] {
        let m = Mat3::from_quat(self.rotation);
        let t = self.translation;
        [
            [m.x_axis.x, m.y_axis.x, m.z_axis.x, t.x],
            [m.x_axis.y, m.y_axis.y, m.z_axis.y, t.y],
            [m.x_axis.z, m.y_axis.z, m.z_axis.z, t.z],
            [0.0, 0.0, 0.0, 1.0],
        ]
    }

    /// The pose a fraction `f` of the way to `other` (slerp, lerp).
    pub fn lerp(&self, other: &RigidPose, f: f32) -> RigidPose {
        RigidPose {
            rotation: self.rotation.slerp(other.rotation, f),
            translation: self.translation.lerp(other.translation, f),
        }
    }

    /// Whether this differs from rest (by more than a micrometre or a microradian).
    pub fn moved(&self) -> bool {
        self.translation.length() > 1e-6 || self.rotation.angle_between(Quat::IDENTITY) > 1e-6
    }
}

/// One object's motion over the whole video: its pose at every frame (at rest before the event starts).
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectMotion {
    pub object: u32,
    pub kind: EventKind,
    /// First frame at which it has left its rest pose, and the frame from which it no longer moves.
    pub start_frame: u32,
    pub end_frame: u32,
    pub poses: Vec<RigidPose>,
}

/// The scene's moving objects.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SceneDynamics {
    pub motions: Vec<ObjectMotion>,
    /// Objects the events bring into the scene (door leaves), with the id of the room they belong to: the
    /// caller adds them to the apartment.
    pub added: Vec<(u32, SceneObject)>,
    /// Objects whose parts an event changed (furniture hollowed to hold a drawer): the caller replaces them.
    pub reshaped: Vec<(u32, Vec<Primitive>)>,
    /// Events that could not be placed, and why.
    pub skipped: Vec<String>,
}

impl SceneDynamics {
    /// The pose of object `id` at frame `k` (None when it never moves).
    pub fn pose_of(&self, id: u32, k: usize) -> Option<RigidPose> {
        self.motions.iter().find(|m| m.object == id).map(|m| m.poses[k.min(m.poses.len() - 1)])
    }

    pub fn moving_ids(&self) -> Vec<u32> {
        self.motions.iter().map(|m| m.object).collect()
    }

    /// Objects no further event may take: those moving, and furniture holding a drawer.
    fn busy_ids(&self) -> Vec<u32> {
        self.moving_ids().into_iter().chain(self.reshaped.iter().map(|(id, _)| *id)).collect()
    }

    /// The first id free for an object an event adds.
    fn next_id(&self, apartment: &Apartment) -> Option<u32> {
        Some(apartment.objects().chain(self.added.iter().map(|(_, o)| o)).map(|o| o.id).max()? + 1)
    }

    /// Puts the objects the events add (door leaves, drawers) into their rooms and the hollowed bodies of the
    /// furniture holding drawers in place of the solid ones.
    pub fn apply_to(&self, apartment: &mut Apartment) {
        for (room, o) in &self.added {
            if let Some(l) = apartment.rooms.iter_mut().find(|l| l.room.id == *room) {
                l.objects.push(o.clone());
            }
        }
        for (id, parts) in &self.reshaped {
            if let Some(o) = apartment.rooms.iter_mut().flat_map(|l| l.objects.iter_mut()).find(|o| o.id == *id) {
                o.parts = parts.clone();
            }
        }
    }

    /// An object's parts at frame `k`.
    pub fn parts_at(&self, o: &SceneObject, k: usize) -> Vec<Primitive> {
        let parts = self.reshaped.iter().find(|(id, _)| *id == o.id).map_or(&o.parts, |(_, p)| p);
        match self.pose_of(o.id, k) {
            Some(pose) => parts.iter().map(|p| pose.apply_primitive(p)).collect(),
            None => parts.clone(),
        }
    }
}

/// What to make move.
#[derive(Debug, Clone, PartialEq)]
pub struct DynamicsSpec {
    /// Events per scene; kinds taken in turn.
    pub events: u32,
    pub kinds: Vec<EventKind>,
    pub fps: u32,
    pub frames: u32,
    /// Top speed of slid and carried objects (m/s).
    pub speed_m_s: f32,
    /// The camera's clearance, kept from moving objects too.
    pub clearance_m: f32,
    /// Categories whose body can hold a drawer (the manifest's `drawers = true`).
    pub drawer_categories: Vec<String>,
}

/// Sliding friction of pushed furniture on the floor.
const PUSH_FRICTION: f32 = 0.4;
/// Substeps checked between frames.
const SUBSTEPS: usize = 4;
/// Physics steps per frame.
const PHYSICS_STEPS: usize = 16;

/// Plans the scene's events, in order, each with a seeded choice of object, window and motion.
pub fn plan_dynamics(
    apartment: &Apartment,
    camera: &[CameraPose],
    k: &Intrinsics,
    spec: &DynamicsSpec,
    excluded: &[u32],
    rng: &mut ChaCha8Rng,
) -> SceneDynamics {
    let mut out = SceneDynamics::default();
    if spec.kinds.is_empty() {
        return out;
    }
    let shapes = SceneShapes::new(apartment);
    for e in 0..spec.events {
        let kind = spec.kinds[e as usize % spec.kinds.len()];
        let mut placed = false;
        for _ in 0..40 {
            if kind == EventKind::Door {
                let Some((room, leaf, m)) = try_door(apartment, camera, k, spec, &out, rng) else { continue };
                out.added.push((room, leaf));
                out.motions.push(m);
            } else if kind == EventKind::Drawer {
                let Some((room, drawer, host, m)) = try_drawer(apartment, camera, k, spec, &out, rng) else {
                    continue;
                };
                out.added.push((room, drawer));
                out.reshaped.push(host);
                out.motions.push(m);
            } else {
                let Some(m) = try_event(apartment, camera, k, spec, kind, excluded, &out, &shapes, rng) else {
                    continue;
                };
                out.motions.push(m);
            }
            placed = true;
            break;
        }
        if !placed {
            let why = match kind {
                EventKind::Door => "no doorway between two rooms, in view, could open before the camera came through",
                EventKind::Drawer => {
                    "no piece of furniture with a drawer front, in view, had room for a drawer to open"
                }
                _ => "no object in view could move without touching anything or the camera",
            };
            out.skipped.push(format!("event {e} ({}): {why}", kind.name()));
        }
    }
    out
}

/// Objects that stand on the floor or rest on a surface, with nothing resting on them.
fn candidates<'a>(apartment: &'a Apartment, kind: EventKind, excluded: &[u32], busy: &[u32]) -> Vec<&'a SceneObject> {
    apartment
        .furniture()
        .filter(|o| !o.flat && !excluded.contains(&o.id) && !busy.contains(&o.id))
        .filter(|o| !apartment.objects().any(|c| c.parent == Some(o.id)))
        .filter(|o| match kind {
            EventKind::Slide | EventKind::Push => o.parent.is_none() && o.obb.size.z < 1.3,
            // Lifted straight up: not from inside a shelf, under a board.
            EventKind::PickPlace | EventKind::Drop => o.obb.size.max_element() < 0.5 && open_above(apartment, o),
            EventKind::Door | EventKind::Drawer => false,
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn try_event(
    apartment: &Apartment,
    camera: &[CameraPose],
    k: &Intrinsics,
    spec: &DynamicsSpec,
    kind: EventKind,
    excluded: &[u32],
    done: &SceneDynamics,
    shapes: &SceneShapes,
    rng: &mut ChaCha8Rng,
) -> Option<ObjectMotion> {
    let n = spec.frames as usize;
    let objects = candidates(apartment, kind, excluded, &done.busy_ids());
    if objects.is_empty() {
        return None;
    }
    let o = objects[rng.random_range(0..objects.len())];
    let fps = spec.fps as f32;
    // The motion as a function of time since its start (seconds), and its duration.
    let (path, duration_s): (Box<dyn Fn(f32) -> RigidPose>, f32) = match kind {
        EventKind::Slide => {
            let d = rng.random_range(0.3f32..0.8);
            let a = rng.random_range(0.0..2.0 * PI);
            let shift = Vec3::new(a.cos(), a.sin(), 0.0) * d;
            let duration = 1.5 * d / spec.speed_m_s;
            (
                Box::new(move |t: f32| RigidPose { rotation: Quat::IDENTITY, translation: shift * ease(t / duration) }),
                duration,
            )
        }
        EventKind::Push => {
            // Sliding friction decelerates it at mu g: from v0 it stops after v0 / (mu g) seconds, having
            // covered v0^2 / (2 mu g).
            let d = rng.random_range(0.2f32..0.6);
            let a = rng.random_range(0.0..2.0 * PI);
            let dir = Vec3::new(a.cos(), a.sin(), 0.0);
            let decel = PUSH_FRICTION * 9.81;
            let v0 = (2.0 * decel * d).sqrt();
            let duration = v0 / decel;
            (
                Box::new(move |t: f32| {
                    let t = t.clamp(0.0, duration);
                    RigidPose { rotation: Quat::IDENTITY, translation: dir * (v0 * t - 0.5 * decel * t * t) }
                }),
                duration,
            )
        }
        EventKind::PickPlace => {
            let to = place_spot(apartment, o, rng)?;
            let from = o.obb.center;
            let turn = rng.random_range(-PI / 3.0..PI / 3.0);
            let carry_z = from.z.max(to.z) + 0.15;
            let legs = [from, Vec3::new(from.x, from.y, carry_z), Vec3::new(to.x, to.y, carry_z), to];
            let lengths: Vec<f32> = legs.windows(2).map(|w| w[0].distance(w[1])).collect();
            let total: f32 = lengths.iter().sum();
            let duration = 1.5 * total / spec.speed_m_s;
            (
                Box::new(move |t: f32| {
                    let s = ease(t / duration) * total;
                    let p = along(&legs, &lengths, s);
                    RigidPose::about(from, Quat::from_rotation_z(turn * ease(t / duration)), p - from)
                }),
                duration,
            )
        }
        EventKind::Door | EventKind::Drawer => return None,
        EventKind::Drop => {
            let h = rng.random_range(0.25f32..0.45);
            let a = rng.random_range(0.0..2.0 * PI);
            let drift = Vec2::new(a.cos(), a.sin()) * rng.random_range(0.0f32..0.2);
            let shift = Vec3::new(drift.x, drift.y, h);
            let duration = 1.5 * shift.length() / spec.speed_m_s;
            (
                Box::new(move |t: f32| RigidPose { rotation: Quat::IDENTITY, translation: shift * ease(t / duration) }),
                duration,
            )
        }
    };
    let frames_needed = (duration_s * fps).ceil() as usize + 1;
    // A drop needs time to fall and settle after the lift.
    let after = if kind == EventKind::Drop { (1.5 * fps) as usize } else { 0 };
    if frames_needed + after + 1 >= n {
        return None;
    }
    let start = rng.random_range(0..n - frames_needed - after);
    // In view when it starts to move.
    let window = &camera[start..(start + frames_needed).min(n)];
    if !seen_in(o, shapes, window, k) {
        return None;
    }
    let t0 = start as f32 / fps;
    let mut poses: Vec<RigidPose> = (0..n)
        .map(|f| {
            let t = f as f32 / fps - t0;
            if t <= 0.0 { RigidPose::IDENTITY } else { path(t.min(duration_s)) }
        })
        .collect();
    let mut end = (start + frames_needed).min(n - 1);
    if kind == EventKind::Drop {
        let release = poses[end];
        let fallen = simulate_drop(apartment, o, &release, (end, n - 1 - end), fps, done, rng)?;
        let settled = fallen.iter().position(|(_, resting)| *resting)?;
        for (j, (pose, _)) in fallen.iter().enumerate() {
            poses[end + 1 + j] = *pose;
        }
        end += 1 + settled;
    }
    let motion = ObjectMotion { object: o.id, kind, start_frame: start as u32 + 1, end_frame: end as u32, poses };
    let seen = seen_moving(camera, k, &motion, o.obb.center, 8.0);
    (seen && admissible(apartment, o, camera, spec, &motion, done)).then_some(motion)
}

/// A door leaf in a doorway between two rooms (seeded door and hinge side), closed at first, swinging open by
/// 90 degrees into its room over 1.5 s, timed to be open before the camera comes through, while in view.
fn try_door(
    apartment: &Apartment,
    camera: &[CameraPose],
    k: &Intrinsics,
    spec: &DynamicsSpec,
    done: &SceneDynamics,
    rng: &mut ChaCha8Rng,
) -> Option<(u32, SceneObject, ObjectMotion)> {
    const SWING_S: f32 = 1.5;
    const GAP_M: f32 = 0.005;
    const THICKNESS_M: f32 = 0.035;
    let doors: Vec<(&diorama_layouts::Layout, &diorama_layouts::Door)> = apartment
        .rooms
        .iter()
        .flat_map(|l| l.doors.iter().filter(|d| d.leads_to.is_some()).map(move |d| (l, d)))
        .collect();
    if doors.is_empty() {
        return None;
    }
    let (layout, door) = doors[rng.random_range(0..doors.len())];
    // One leaf per doorway (a door between two rooms is listed by both).
    let taken = done.added.iter().any(|(_, leaf)| leaf.obb.center.truncate().distance(door.center.truncate()) < 0.7);
    if taken {
        return None;
    }
    let (_, along, inward, _) = layout.room.wall_frame(door.wall);
    let (along, inward) = (along.extend(0.0), inward.extend(0.0));
    let hinge_side = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
    let (w, h) = (door.width_m - 2.0 * GAP_M, door.height_m - 2.0 * GAP_M);
    // Closed: in the opening, just behind the room's wall face; hinged at the room-side corner by one jamb.
    let hinge = door.center + along * (hinge_side * (door.width_m / 2.0 - GAP_M)) - inward * GAP_M;
    let center = hinge - along * (hinge_side * w / 2.0) - inward * (THICKNESS_M / 2.0) + Vec3::Z * (GAP_M + h / 2.0);
    let axes = Mat3::from_cols(along, inward, Vec3::Z);
    let id = done.next_id(apartment)?;
    let part = Primitive {
        kind: PartKind::Box,
        center,
        size: Vec3::new(w, THICKNESS_M, h),
        world_from_local: axes,
        color: [0.62, 0.5, 0.38],
        material: diorama_assets::Material::Wood,
    };
    let leaf = SceneObject {
        id,
        category: "door".into(),
        name: "door".into(),
        structural: true,
        obb: diorama_layouts::Obb { center, size: part.size, world_from_local: axes },
        parts: vec![part],
        parent: None,
        flat: false,
        placement: diorama_assets::PlacementRule::Wall,
        wall: Some(door.wall),
        front: false,
        anchor: None,
        surfaces: Vec::new(),
        parent_surface: None,
        yaw_rad: along.y.atan2(along.x),
    };
    // Swinging into the room: the free end turns towards `inward`.
    let open = Quat::from_rotation_z(-hinge_side * std::f32::consts::FRAC_PI_2);
    let fps = spec.fps as f32;
    let n = spec.frames as usize;
    let swing_frames = (SWING_S * fps).ceil() as usize + 1;
    // The camera's first approach to the doorway: the door must be open half a second before.
    let near = w + spec.clearance_m + 0.1;
    let doorway = door.center + Vec3::Z * 1.0;
    let arrive = camera.iter().position(|c| c.position.distance(doorway) < near).unwrap_or(n);
    let latest = arrive.checked_sub(swing_frames + (fps * 0.5) as usize)?.min(n.checked_sub(swing_frames + 1)?);
    if latest < 1 {
        return None;
    }
    // A start from which the doorway is in view for most of the swing.
    let start = start_in_view(camera, k, center, 8.0, 1..=latest, swing_frames, rng)?;
    let motion = timed_motion(id, EventKind::Door, start, SWING_S, spec, |u| {
        let turn = if u >= 1.0 { open } else { Quat::IDENTITY.slerp(open, ease(u)) };
        RigidPose::about(hinge, turn, Vec3::ZERO)
    });
    let seen = seen_moving(camera, k, &motion, center, 8.0);
    (seen && admissible(apartment, &leaf, camera, spec, &motion, done)).then_some((layout.room.id, leaf, motion))
}

/// A drawer in a piece of furniture with a front (seeded): the body box behind its front is hollowed into five
/// boxes around a drawer-sized cavity, which a drawer (a box with a handle, an object of its own) fills;
/// decorative parts in its way (handles, gaps) go. The drawer slides out 60 to 90 % of its depth over a second
/// while in view.
fn try_drawer(
    apartment: &Apartment,
    camera: &[CameraPose],
    k: &Intrinsics,
    spec: &DynamicsSpec,
    done: &SceneDynamics,
    rng: &mut ChaCha8Rng,
) -> Option<(u32, SceneObject, (u32, Vec<Primitive>), ObjectMotion)> {
    const OPEN_S: f32 = 1.0;
    const GAP_M: f32 = 0.002;
    let busy = done.busy_ids();
    let hosts: Vec<(&diorama_layouts::Layout, &SceneObject)> = apartment
        .rooms
        .iter()
        .flat_map(|l| l.objects.iter().map(move |o| (l, o)))
        .filter(|(_, o)| o.front && !o.structural && o.parent.is_none() && !busy.contains(&o.id))
        .filter(|(_, o)| spec.drawer_categories.contains(&o.category))
        .collect();
    if hosts.is_empty() {
        return None;
    }
    let (layout, f) = hosts[rng.random_range(0..hosts.len())];
    let front = f.obb.world_from_local.y_axis;
    // The body: the largest box part whose front face is the object's front.
    let body = f
        .parts
        .iter()
        .enumerate()
        .filter(|(_, p)| p.kind == PartKind::Box && p.world_from_local.y_axis.dot(front) > 0.999)
        .filter(|(_, p)| p.size.x > 0.3 && p.size.z > 0.3 && p.size.y > 0.25)
        .max_by(|a, b| (a.1.size.x * a.1.size.z).total_cmp(&(b.1.size.x * b.1.size.z)))?;
    let (bi, b) = (body.0, body.1.clone());
    let s = b.size;
    let (x0, x1) = (-0.4 * s.x, 0.4 * s.x);
    let depth = (0.7 * s.y).min(0.45);
    let (y0, y1) = (s.y / 2.0 - depth, s.y / 2.0);
    let height = (0.3 * s.z).min(0.18);
    let (z1, z0) = (s.z / 2.0 - 0.06, s.z / 2.0 - 0.06 - height);
    let piece = |lo: Vec3, hi: Vec3| Primitive {
        center: b.center + b.world_from_local * ((lo + hi) * 0.5),
        size: hi - lo,
        ..b.clone()
    };
    let h = s * 0.5;
    let shell = [
        piece(Vec3::new(-h.x, -h.y, -h.z), Vec3::new(x0, h.y, h.z)),
        piece(Vec3::new(x1, -h.y, -h.z), Vec3::new(h.x, h.y, h.z)),
        piece(Vec3::new(x0, -h.y, -h.z), Vec3::new(x1, h.y, z0)),
        piece(Vec3::new(x0, -h.y, z1), Vec3::new(x1, h.y, h.z)),
        piece(Vec3::new(x0, -h.y, z0), Vec3::new(x1, y0, z1)),
    ];
    let tray = piece(Vec3::new(x0 + GAP_M, y0 + GAP_M, z0 + GAP_M), Vec3::new(x1 - GAP_M, y1, z1 - GAP_M));
    let handle_center = b.center + b.world_from_local * Vec3::new(0.0, y1 + 0.01, (z0 + z1) / 2.0);
    let handle = Primitive {
        center: handle_center,
        size: Vec3::new(0.12, 0.02, 0.02),
        color: [0.8, 0.8, 0.8],
        material: diorama_assets::Material::Metal,
        ..b.clone()
    };
    let open_m = rng.random_range(0.6..0.9) * depth;
    // Parts in the drawer's way out (and its handle's) must be small decorations; they go.
    let sweep = piece(Vec3::new(x0, y0, z0), Vec3::new(x1, y1 + open_m + 0.05, z1));
    let mut kept = Vec::new();
    for (i, p) in f.parts.iter().enumerate() {
        if i == bi {
            continue;
        }
        if primitive_signed_distance(p, &sweep) < 0.0 {
            if p.size.x * p.size.y * p.size.z > 0.002 {
                return None;
            }
            continue;
        }
        kept.push(p.clone());
    }
    let mut host_parts: Vec<Primitive> = shell.to_vec();
    host_parts.extend(kept);
    let id = done.next_id(apartment)?;
    let drawer = SceneObject {
        id,
        category: "drawer".into(),
        name: "drawer".into(),
        structural: true,
        obb: diorama_layouts::Obb { center: tray.center, size: tray.size, world_from_local: tray.world_from_local },
        parts: vec![tray, handle],
        parent: Some(f.id),
        flat: false,
        placement: diorama_assets::PlacementRule::Surface,
        wall: None,
        front: false,
        anchor: None,
        surfaces: Vec::new(),
        parent_surface: None,
        yaw_rad: f.yaw_rad,
    };
    let fps = spec.fps as f32;
    let n = spec.frames as usize;
    let open_frames = (OPEN_S * fps).ceil() as usize + 1;
    // A start from which the drawer's front is in view for most of its opening.
    let last = n.checked_sub(open_frames + 1)?;
    let start = start_in_view(camera, k, handle_center, 6.0, 1..=last, open_frames, rng)?;
    let motion = timed_motion(id, EventKind::Drawer, start, OPEN_S, spec, |u| RigidPose {
        rotation: Quat::IDENTITY,
        translation: front * (open_m * ease(u)),
    });
    let reshaped = (f.id, host_parts);
    let mut with_host = done.clone();
    with_host.reshaped.push(reshaped.clone());
    let seen = seen_moving(camera, k, &motion, handle_center, 6.0);
    (seen && admissible(apartment, &drawer, camera, spec, &motion, &with_host)).then_some((
        layout.room.id,
        drawer,
        reshaped,
        motion,
    ))
}

/// A motion over `duration_s` seconds from frame `start` (at rest up to it): `pose_at(u)` for the share `u` in
/// (0, 1] of the duration gone by, then its last pose.
fn timed_motion(
    object: u32,
    kind: EventKind,
    start: usize,
    duration_s: f32,
    spec: &DynamicsSpec,
    pose_at: impl Fn(f32) -> RigidPose,
) -> ObjectMotion {
    let (fps, n) = (spec.fps as f32, spec.frames as usize);
    let t0 = start as f32 / fps;
    let poses = (0..n)
        .map(|f| {
            let u = ((f as f32 / fps - t0) / duration_s).min(1.0);
            if u <= 0.0 { RigidPose::IDENTITY } else { pose_at(u) }
        })
        .collect();
    let end = (start + (duration_s * fps).ceil() as usize + 1).min(n - 1);
    ObjectMotion { object, kind, start_frame: start as u32 + 1, end_frame: end as u32, poses }
}

/// Whether `point` projects into the image of `camera`, within `max_m`.
fn in_image(camera: &CameraPose, k: &Intrinsics, point: Vec3, max_m: f32) -> bool {
    let p_c = camera.camera_from_world(point);
    k.project(p_c)
        .is_some_and(|(u, v)| u >= 0.0 && v >= 0.0 && u < k.width as f32 && v < k.height as f32 && p_c.z < max_m)
}

/// A seeded start frame among `starts` from which `point` is in the image in at least half of the next
/// `frames` frames.
fn start_in_view(
    camera: &[CameraPose],
    k: &Intrinsics,
    point: Vec3,
    max_m: f32,
    starts: std::ops::RangeInclusive<usize>,
    frames: usize,
    rng: &mut ChaCha8Rng,
) -> Option<usize> {
    let shown: Vec<bool> = camera.iter().map(|c| in_image(c, k, point, max_m)).collect();
    let good: Vec<usize> = starts
        .filter(|&s| (s + 1..=s + frames).filter(|&f| shown.get(f) == Some(&true)).count() * 2 >= frames)
        .collect();
    (!good.is_empty()).then(|| good[rng.random_range(0..good.len())])
}

/// Whether the camera has `point` (moved with the motion) in its image, within `max_m`, in at least half of
/// the frames of the motion (its first 24): the event is there to be seen.
fn seen_moving(camera: &[CameraPose], k: &Intrinsics, motion: &ObjectMotion, point: Vec3, max_m: f32) -> bool {
    // The first 24 frames of it at most (a drop's settling can take long; its start is what shows).
    let last = (motion.end_frame as usize).min(motion.start_frame as usize + 24).min(camera.len() - 1);
    let frames = motion.start_frame as usize..=last;
    let total = frames.clone().count();
    let shown = frames.filter(|&f| in_image(&camera[f], k, motion.poses[f].apply(point), max_m)).count();
    shown * 2 >= total
}

/// Smooth start and stop: 3u² - 2u³ on [0, 1] (top speed 1.5 times the mean).
fn ease(u: f32) -> f32 {
    let u = u.clamp(0.0, 1.0);
    u * u * (3.0 - 2.0 * u)
}

fn along(points: &[Vec3], lengths: &[f32], s: f32) -> Vec3 {
    let mut left = s;
    for (w, &l) in points.windows(2).zip(lengths) {
        if left <= l && l > 0.0 {
            return w[0].lerp(w[1], left / l);
        }
        left -= l;
    }
    *points.last().unwrap()
}

/// Whether a small object rests on an open surface (a table top, not a shelf board under another).
fn open_above(apartment: &Apartment, o: &SceneObject) -> bool {
    let Some(parent) = o.parent.and_then(|id| apartment.objects().find(|p| p.id == id)) else { return false };
    o.parent_surface.and_then(|i| parent.surfaces.get(i)).is_some_and(|s| s.clear_m == 0.0)
}

/// A free spot for `o`'s centre on an open support surface in its room (another support, or elsewhere on its
/// own), where it would touch nothing but the surface: a few seeded tries.
fn place_spot(apartment: &Apartment, o: &SceneObject, rng: &mut ChaCha8Rng) -> Option<Vec3> {
    let room = apartment.room_at(o.obb.center.truncate())?;
    let surfaces: Vec<(&SceneObject, diorama_layouts::Surface)> = room
        .objects
        .iter()
        .filter(|s| !s.structural)
        .flat_map(|s| s.surfaces.iter().filter(|f| f.clear_m == 0.0).map(move |f| (s, *f)))
        .collect();
    if surfaces.is_empty() {
        return None;
    }
    let half = o.obb.size * 0.5;
    let r = half.x.max(half.y) + 0.02;
    for _ in 0..8 {
        let (support, surface) = surfaces[rng.random_range(0..surfaces.len())];
        let (x0, x1, y0, y1) = (surface.x[0] + r, surface.x[1] - r, surface.y[0] + r, surface.y[1] - r);
        if x0 >= x1 || y0 >= y1 {
            continue;
        }
        let local = Vec3::new(rng.random_range(x0..x1), rng.random_range(y0..y1), 0.0);
        let base = Vec3::new(support.obb.center.x, support.obb.center.y, surface.z);
        let p = base + support.obb.world_from_local * local;
        let to = Vec3::new(p.x, p.y, surface.z + half.z);
        if to.distance(o.obb.center) < 0.15 {
            continue;
        }
        // Clear of the other things on the surface (1 cm), before any path is tried.
        let moved = RigidPose { rotation: Quat::IDENTITY, translation: to - o.obb.center };
        let parts: Vec<Primitive> = o.parts.iter().map(|p| moved.apply_primitive(p)).collect();
        let (lo, hi) = bounds(&parts);
        let clear = apartment.objects().filter(|x| x.id != o.id && x.id != support.id && !x.flat).all(|x| {
            let (xlo, xhi) = bounds(&x.parts);
            (lo - xhi).max(xlo - hi).max_element() > 0.02
                || x.parts.iter().all(|b| parts.iter().all(|a| primitive_signed_distance(a, b) > 0.01))
        });
        if clear {
            return Some(to);
        }
    }
    None
}

/// Whether a motion keeps clear of everything (beyond the penetration tolerance) and of the camera, at every
/// frame and at the instants between frames.
fn admissible(
    apartment: &Apartment,
    o: &SceneObject,
    camera: &[CameraPose],
    spec: &DynamicsSpec,
    motion: &ObjectMotion,
    done: &SceneDynamics,
) -> bool {
    let others: Vec<&SceneObject> = apartment
        .objects()
        .chain(done.added.iter().map(|(_, leaf)| leaf))
        .filter(|x| x.id != o.id && !x.flat)
        .collect();
    // A door leaf or drawer is in the scene from the first frame: the camera must keep clear of it throughout.
    let first = if matches!(motion.kind, EventKind::Door | EventKind::Drawer) {
        0
    } else {
        motion.start_frame.saturating_sub(1) as usize
    };
    // Until the last frame: once at rest it may still meet the camera or objects moved before it.
    for f in first..motion.poses.len() {
        let moving = f <= motion.end_frame as usize;
        let subs = if f + 1 < motion.poses.len() { SUBSTEPS } else { 1 };
        for s in 0..subs {
            let frac = s as f32 / SUBSTEPS as f32;
            let pose = if s == 0 { motion.poses[f] } else { motion.poses[f].lerp(&motion.poses[f + 1], frac) };
            let parts: Vec<Primitive> = o.parts.iter().map(|p| pose.apply_primitive(p)).collect();
            let (lo, hi) = bounds(&parts);
            // Once at rest, only objects still moving can meet it.
            for x in others.iter().filter(|x| moving || done.pose_of(x.id, f).is_some()) {
                let other_parts = done.parts_at(x, f);
                let (xlo, xhi) = bounds(&other_parts);
                if (lo - xhi).max(xlo - hi).max_element() > 0.01 {
                    continue;
                }
                for a in &parts {
                    for b in &other_parts {
                        if primitive_signed_distance(a, b) < -PENETRATION_TOLERANCE_M {
                            return false;
                        }
                    }
                }
            }
            // The camera keeps its clearance from the moving object (frames and chords' midpoints).
            let cam = if s == 0 || f + 1 >= camera.len() {
                camera[f].position
            } else {
                camera[f].position.lerp(camera[f + 1].position, frac)
            };
            let near = parts.iter().any(|p| {
                let (shape, pose) = parry_shape(p);
                shape.distance_to_point(&pose, cam, true) < spec.clearance_m
            });
            if near {
                return false;
            }
        }
    }
    true
}

fn bounds(parts: &[Primitive]) -> (Vec3, Vec3) {
    let mut lo = Vec3::splat(f32::INFINITY);
    let mut hi = Vec3::splat(f32::NEG_INFINITY);
    for p in parts {
        let h = p.size * 0.5;
        let m = p.world_from_local;
        let ext = m.x_axis.abs() * h.x + m.y_axis.abs() * h.y + m.z_axis.abs() * h.z;
        lo = lo.min(p.center - ext);
        hi = hi.max(p.center + ext);
    }
    (lo, hi)
}

/// Lets the object go from `release` at frame `at` and simulates it with rapier3d for `frames` frames (the
/// rest fixed, objects moved by earlier events where they are at the release): its pose at each, and whether
/// it has come to rest by then.
fn simulate_drop(
    apartment: &Apartment,
    o: &SceneObject,
    release: &RigidPose,
    (at, frames): (usize, usize),
    fps: f32,
    done: &SceneDynamics,
    rng: &mut ChaCha8Rng,
) -> Option<Vec<(RigidPose, bool)>> {
    use rapier3d::prelude::*;
    let mut world = PhysicsWorld::new();
    world.gravity = Vector::new(0.0, 0.0, -9.81);
    world.integration_parameters.dt = 1.0 / (fps * PHYSICS_STEPS as f32);
    // Resting contacts may overlap by at most this much (well inside the 1 mm tolerance).
    world.integration_parameters.normalized_allowed_linear_error = 0.0002;
    let collider = |p: &Primitive, body_from_world: &RigidPose| {
        let shape = match p.kind {
            PartKind::Box => SharedShape::cuboid(p.size.x * 0.5, p.size.y * 0.5, p.size.z * 0.5),
            PartKind::Cylinder => SharedShape::cylinder(p.size.z * 0.5, p.size.x * 0.5),
        };
        let mut rot = Quat::from_mat3(&p.world_from_local);
        if p.kind == PartKind::Cylinder {
            rot *= Quat::from_rotation_x(std::f32::consts::FRAC_PI_2);
        }
        let local = body_from_world.after(&RigidPose { rotation: rot, translation: p.center });
        ColliderBuilder::new(shape)
            .position(Pose::from_parts(local.translation, local.rotation))
            .friction(0.6)
            .restitution(0.1)
    };
    for x in apartment.objects().chain(done.added.iter().map(|(_, leaf)| leaf)).filter(|x| x.id != o.id && !x.flat) {
        for p in done.parts_at(x, at) {
            world.insert_collider(collider(&p, &RigidPose::IDENTITY), None);
        }
    }
    // The body's frame is the object's rest centre; world_from_rest = body pose after rest_from_body.
    let c = o.obb.center;
    let start = release.after(&RigidPose { rotation: Quat::IDENTITY, translation: c });
    let spin =
        Vec3::new(rng.random_range(-1.0f32..1.0), rng.random_range(-1.0f32..1.0), rng.random_range(-0.5f32..0.5));
    let body = world.insert_body(
        RigidBodyBuilder::dynamic()
            .pose(Pose::from_parts(start.translation, start.rotation))
            .angvel(spin)
            .ccd_enabled(true),
    );
    let body_from_world_rest = RigidPose { rotation: Quat::IDENTITY, translation: -c };
    for p in &o.parts {
        world.insert_collider(collider(p, &body_from_world_rest).density(500.0), Some(body));
    }
    let mut out = Vec::with_capacity(frames);
    for _ in 0..frames {
        for _ in 0..PHYSICS_STEPS {
            world.step();
        }
        let b = &world.bodies[body];
        let pose = b.position();
        let world_from_body = RigidPose { rotation: pose.rotation, translation: pose.translation };
        let resting = b.is_sleeping() || (b.linvel().length() < 2e-3 && b.angvel().length() < 2e-2);
        if pose.translation.z < -1.0 {
            return None;
        }
        out.push((world_from_body.after(&body_from_world_rest), resting));
    }
    // Once at rest, it stays where it came to rest (the solver's last micro-jitter is not motion).
    if let Some(r) = out.iter().position(|(_, resting)| *resting) {
        let rest = out[r].0;
        for e in &mut out[r..] {
            *e = (rest, true);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rigid_poses_compose_and_invert() {
        let a = RigidPose::about(Vec3::new(1.0, 2.0, 0.0), Quat::from_rotation_z(0.7), Vec3::new(0.1, -0.2, 0.3));
        let p = Vec3::new(0.3, -1.0, 2.0);
        assert!((a.inverse().apply(a.apply(p)) - p).length() < 1e-5);
        // The centre of rotation only shifts.
        assert!((a.apply(Vec3::new(1.0, 2.0, 0.0)) - Vec3::new(1.1, 1.8, 0.3)).length() < 1e-5);
        let b = RigidPose { rotation: Quat::from_rotation_x(0.3), translation: Vec3::X };
        assert!((b.after(&a).apply(p) - b.apply(a.apply(p))).length() < 1e-5);
        let m = a.row_major();
        let q = Vec3::new(m[0][0] * p.x + m[0][1] * p.y + m[0][2] * p.z + m[0][3], 0.0, 0.0);
        assert!((q.x - a.apply(p).x).abs() < 1e-5);
    }

    #[test]
    fn easing_starts_and_stops_at_rest() {
        assert_eq!(ease(0.0), 0.0);
        assert_eq!(ease(1.0), 1.0);
        assert!((ease(0.5) - 0.5).abs() < 1e-6);
        assert!((ease(0.01) - ease(0.0)) < 0.001);
    }
}
