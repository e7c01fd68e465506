//! Camera paths beyond the room tour, and what every path shares.
//!
//! - *Orbit*: the camera circles an object at eye height, looking at it.
//! - *Action scripts*: SAT-style egocentric motion ("forward 0.8", "left 70"), given or sampled, executed at a
//!   constant walking speed and turn rate, so every recorded pose is the commanded one.
//! - *Handheld jitter*: seeded, physically sized shake (centimetres, degrees, a few hertz) on top of any path.
//! - *Continuous clearance*: between frames the camera moves on the straight chord; the least distance from
//!   those chords to any surface is measured exactly with parry3d (segment-to-shape distance).
//! - *Velocity*: per frame, the camera's linear and angular velocity by central differences.

use std::f32::consts::{PI, TAU};

use diorama_layouts::geom::{Mat3, Quat, Vec2, Vec3};
use diorama_layouts::nav::door_step;
use diorama_layouts::{Apartment, NavGrid};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::camera::CameraPose;
use crate::trajectory::{SceneShapes, Trajectory, TrajectoryError, WalkthroughSpec, unseen_objects};

/// Grid cell for path planning (m).
const CELL_M: f32 = 0.05;

/// One step of an egocentric action script.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    /// Walk straight ahead (horizontally), metres.
    Forward { distance_m: f32 },
    /// Turn in place about the vertical; positive turns left (counter-clockwise seen from above), radians.
    Turn { angle_rad: f32 },
}

impl Action {
    /// Parses `forward 0.8` (metres), `left 70` or `right 45` (degrees).
    pub fn parse(text: &str) -> Result<Action, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let [verb, amount] = words[..] else {
            return Err(format!("`{text}`: an action is a verb and an amount, as in `forward 0.8` or `left 70`"));
        };
        let x: f32 = amount.parse().map_err(|_| format!("`{text}`: `{amount}` is not a number"))?;
        if !(x.is_finite() && x > 0.0) {
            return Err(format!("`{text}`: the amount must be positive"));
        }
        match verb {
            "forward" => Ok(Action::Forward { distance_m: x }),
            "left" if x <= 360.0 => Ok(Action::Turn { angle_rad: x.to_radians() }),
            "right" if x <= 360.0 => Ok(Action::Turn { angle_rad: -x.to_radians() }),
            "left" | "right" => Err(format!("`{text}`: turn by at most 360 degrees")),
            _ => Err(format!("`{text}`: unknown action `{verb}` (forward, left, right)")),
        }
    }

    /// The action as a script line (`forward 0.80`, `left 70.0`).
    pub fn describe(&self) -> String {
        match *self {
            Action::Forward { distance_m } => format!("forward {distance_m:.2}"),
            Action::Turn { angle_rad } if angle_rad >= 0.0 => format!("left {:.1}", angle_rad.to_degrees()),
            Action::Turn { angle_rad } => format!("right {:.1}", (-angle_rad).to_degrees()),
        }
    }

    fn duration_s(&self, motion: &ActionMotion) -> f32 {
        match *self {
            Action::Forward { distance_m } => distance_m / motion.speed_m_s,
            Action::Turn { angle_rad } => angle_rad.abs() / motion.turn_rate_rad_s,
        }
    }
}

/// How fast scripts are executed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ActionMotion {
    pub speed_m_s: f32,
    pub turn_rate_rad_s: f32,
}

/// An action as executed: when it ran.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExecutedAction {
    pub action: Action,
    pub start_s: f32,
    pub end_s: f32,
}

/// Where a script starts: floor position and heading (radians about +z from +x).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScriptStart {
    pub position: Vec2,
    pub yaw_rad: f32,
}

/// Floor position and heading at time `t_s` of a script started at `start` (holding still after its end).
pub fn script_state(start: ScriptStart, script: &[ExecutedAction], t_s: f32) -> (Vec2, f32) {
    let (mut p, mut yaw) = (start.position, start.yaw_rad);
    for a in script {
        let span = a.end_s - a.start_s;
        let f = if span > 0.0 { ((t_s - a.start_s) / span).clamp(0.0, 1.0) } else { 1.0 };
        match a.action {
            Action::Forward { distance_m } => p += Vec2::new(yaw.cos(), yaw.sin()) * (distance_m * f),
            Action::Turn { angle_rad } => yaw += angle_rad * f,
        }
        if t_s < a.end_s {
            break;
        }
    }
    (p, yaw)
}

/// Times a script: actions run back to back from t = 0.
pub fn schedule(actions: &[Action], motion: &ActionMotion) -> Vec<ExecutedAction> {
    let mut t = 0.0;
    actions
        .iter()
        .map(|&action| {
            let start_s = t;
            t += action.duration_s(motion);
            ExecutedAction { action, start_s, end_s: t }
        })
        .collect()
}

/// What the script kinds need of the scene.
pub struct PathScene<'a> {
    pub apartment: &'a Apartment,
    pub shapes: SceneShapes,
    pub(crate) grid: NavGrid,
    /// Free grid cells reachable from the entrance.
    pub(crate) walkable: Vec<bool>,
    spec: &'a WalkthroughSpec,
}

impl<'a> PathScene<'a> {
    /// The walkable floor for a camera keeping `spec.clearance_m` (callers add the jitter's reach to it). The
    /// grid's radius leaves room for the corner cutting of smoothed paths (at most half a cell diagonal); fine
    /// cells let the camera through passages barely wider than twice its clearance, as between rooms.
    pub fn new(apartment: &'a Apartment, spec: &'a WalkthroughSpec) -> Result<Self, TrajectoryError> {
        let grid = NavGrid::build_apartment(apartment, spec.clearance_m + CELL_M * 0.75, CELL_M, spec.eye_height_m);
        let entrance = apartment.entrance_room();
        let walkable = grid.reachable_from(door_step(entrance, entrance.entrance(), grid.radius_m + CELL_M));
        if !walkable.iter().any(|&f| f) {
            return Err(TrajectoryError::NoWalkableSpace(spec.clearance_m));
        }
        Ok(PathScene { apartment, shapes: SceneShapes::new(apartment), grid, walkable, spec })
    }

    fn walkable_at(&self, p: Vec2) -> bool {
        let rel = (p - self.grid.origin) / self.grid.cell_m;
        if rel.x < 0.0 || rel.y < 0.0 {
            return false;
        }
        let (i, j) = (rel.x as usize, rel.y as usize);
        i < self.grid.nx && j < self.grid.ny && self.walkable[j * self.grid.nx + i]
    }

    /// Whether the straight floor segment stays on walkable cells (checked every half cell).
    pub(crate) fn segment_walkable(&self, a: Vec2, b: Vec2) -> bool {
        let steps = (a.distance(b) / (CELL_M * 0.5)).ceil().max(1.0) as usize;
        (0..=steps).all(|s| self.walkable_at(a.lerp(b, s as f32 / steps as f32)))
    }

    /// Free floor ahead of `p` along `yaw` (metres, up to `max_m`).
    fn free_ahead(&self, p: Vec2, yaw: f32, max_m: f32) -> f32 {
        let dir = Vec2::new(yaw.cos(), yaw.sin());
        let step = CELL_M * 0.5;
        let mut d = 0.0;
        while d + step <= max_m && self.walkable_at(p + dir * (d + step)) {
            d += step;
        }
        d
    }

    fn pose(&self, p: Vec2, yaw: f32) -> CameraPose {
        CameraPose::from_yaw_pitch(Vec3::new(p.x, p.y, self.spec.eye_height_m), yaw, -self.spec.tilt_down_rad)
    }

    pub fn spec(&self) -> &WalkthroughSpec {
        self.spec
    }

    /// Walkable cell centres about every `step_m` (a sub-lattice of the grid).
    pub fn walkable_lattice(&self, step_m: f32) -> Vec<Vec2> {
        let every = ((step_m / self.grid.cell_m).round() as usize).max(1);
        (0..self.grid.ny)
            .step_by(every)
            .flat_map(|j| (0..self.grid.nx).step_by(every).map(move |i| (i, j)))
            .filter(|&(i, j)| self.walkable[j * self.grid.nx + i])
            .map(|c| self.grid.center(c))
            .collect()
    }

    /// The walkable cell centre nearest the apartment's entrance.
    pub fn entrance_point(&self) -> Vec2 {
        let entrance = self.apartment.entrance_room();
        let step = door_step(entrance, entrance.entrance(), self.grid.radius_m + CELL_M);
        let cell = self.grid.nearest_free(step, &self.walkable).expect("the walkable floor is not empty");
        self.grid.center(cell)
    }

    /// A shortest free path between two walkable points, corners cut (Chaikin, ends kept); None when they are
    /// not connected.
    pub fn smooth_path(&self, from: Vec2, to: Vec2) -> Option<Vec<Vec2>> {
        let a = self.grid.nearest_free(from, &self.walkable)?;
        let b = self.grid.nearest_free(to, &self.walkable)?;
        let cells = self.grid.shortest_path(a, b)?;
        let mut path: Vec<Vec2> = std::iter::once(from)
            .chain(cells.iter().map(|&c| self.grid.center(c)))
            .chain(std::iter::once(to))
            .collect();
        path.dedup_by(|x, y| x.distance(*y) < 1e-6);
        Some(cut_corners(path, false))
    }

    /// Finishes a path: clearance along its chords, objects it never sees.
    pub fn finish(&self, kind: &'static str, poses: Vec<CameraPose>) -> Result<Trajectory, TrajectoryError> {
        let min_clearance_m = chord_clearance(&self.shapes, &poses);
        if min_clearance_m < self.spec.clearance_m {
            return Err(TrajectoryError::Clearance { clearance_m: self.spec.clearance_m, closest_m: min_clearance_m });
        }
        let unseen = unseen_objects(self.apartment, &self.shapes, &poses, &self.spec.intrinsics);
        Ok(Trajectory { kind, poses, min_clearance_m, unseen_objects: unseen, ..Trajectory::default() })
    }
}

/// Three rounds of corner cutting (Chaikin) on a grid path, closed (a loop) or open (its ends kept): each point
/// stays inside the triangle of a grid vertex and its neighbours' midpoints.
pub(crate) fn cut_corners(mut path: Vec<Vec2>, closed: bool) -> Vec<Vec2> {
    for _ in 0..3 {
        let n = path.len();
        if n < 3 {
            break;
        }
        let pairs = if closed { n } else { n - 1 };
        let mut next = Vec::with_capacity(2 * n + 2);
        if !closed {
            next.push(path[0]);
        }
        for i in 0..pairs {
            let (a, b) = (path[i], path[(i + 1) % n]);
            next.push(a * 0.75 + b * 0.25);
            next.push(a * 0.25 + b * 0.75);
        }
        if !closed {
            next.push(path[n - 1]);
        }
        path = next;
    }
    path
}

/// Least distance from the straight chords between consecutive camera positions to any surface.
pub fn chord_clearance(shapes: &SceneShapes, poses: &[CameraPose]) -> f32 {
    match poses {
        [] => f32::INFINITY,
        [p] => shapes.clearance(p.position),
        _ => poses
            .windows(2)
            .map(|w| shapes.segment_clearance(w[0].position, w[1].position))
            .fold(f32::INFINITY, f32::min),
    }
}

/// An orbit: radius range, and how far around it goes: the whole `sweep_rad` where the floor allows, else the
/// longest clear arc of at least `min_sweep_rad`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrbitSpec {
    pub radius_m: [f32; 2],
    pub sweep_rad: f32,
    pub min_sweep_rad: f32,
}

/// Tries to circle a floor-standing object (seeded choice) at eye height, looking at its centre; furnished
/// rooms rarely leave a whole circle free, so the orbit takes the longest clear arc (one degree steps).
pub fn orbit(scene: &PathScene<'_>, orbit: &OrbitSpec, rng: &mut ChaCha8Rng) -> Result<Trajectory, TrajectoryError> {
    let spec = scene.spec;
    let targets: Vec<_> = scene.apartment.furniture().filter(|o| o.parent.is_none() && !o.flat).collect();
    let n = spec.frames as usize;
    let mut closest = f32::INFINITY;
    let mut tries = 0;
    while !targets.is_empty() && tries < 200 {
        tries += 1;
        let target = targets[rng.random_range(0..targets.len())];
        let c = target.obb.center;
        let radius = rng.random_range(orbit.radius_m[0]..=orbit.radius_m[1]);
        let on_circle = |deg: i32| {
            let a = (deg as f32).to_radians();
            c.truncate() + Vec2::new(a.cos(), a.sin()) * radius
        };
        // Clear one-degree steps around the circle, then the longest run of them (wrapping round).
        let clear: Vec<bool> = (0..360).map(|d| scene.segment_walkable(on_circle(d), on_circle(d + 1))).collect();
        let Some((first_deg, run_deg)) = longest_run(&clear) else { continue };
        let sweep_deg = (orbit.sweep_rad.to_degrees().round() as i32).min(run_deg);
        if (sweep_deg as f32) < orbit.min_sweep_rad.to_degrees() {
            continue;
        }
        // Start anywhere the sweep fits inside the clear run, going either way.
        let offset = rng.random_range(0..=(run_deg - sweep_deg));
        let reverse = rng.random_bool(0.5);
        let (from, to) = (first_deg + offset, first_deg + offset + sweep_deg);
        let full = sweep_deg >= 360;
        let steps = if full { n as f32 } else { (n.max(2) - 1) as f32 };
        let poses: Vec<CameraPose> = (0..n)
            .map(|k| {
                let f = k as f32 / steps;
                let deg = if reverse { to as f32 - f * sweep_deg as f32 } else { from as f32 + f * sweep_deg as f32 };
                let a = deg.to_radians();
                let p = c.truncate() + Vec2::new(a.cos(), a.sin()) * radius;
                look_at(Vec3::new(p.x, p.y, spec.eye_height_m), c)
            })
            .collect();
        match scene.finish("orbit", poses) {
            Ok(mut t) => {
                t.target = Some(target.id);
                return Ok(t);
            }
            Err(TrajectoryError::Clearance { closest_m, .. }) => closest = closest.min(closest_m),
            Err(e) => return Err(e),
        }
    }
    Err(TrajectoryError::NoOrbit {
        radius_m: orbit.radius_m,
        min_sweep_deg: orbit.min_sweep_rad.to_degrees(),
        clearance_m: spec.clearance_m,
        closest_m: closest,
    })
}

/// The longest run of `true` in a circular list: (first index, length); None when there is none.
fn longest_run(clear: &[bool]) -> Option<(i32, i32)> {
    let n = clear.len();
    if clear.iter().all(|&c| c) {
        return Some((0, n as i32));
    }
    // Start scanning just after a blocked step so runs that wrap round are seen whole.
    let blocked = clear.iter().position(|&c| !c)?;
    let mut best: Option<(i32, i32)> = None;
    let mut run_start = None;
    for i in 1..=n {
        let k = (blocked + i) % n;
        match (clear[k], run_start) {
            (true, None) => run_start = Some(i),
            (false, Some(s)) => {
                let len = (i - s) as i32;
                if best.is_none_or(|(_, b)| len > b) {
                    best = Some((((blocked + s) % n) as i32, len));
                }
                run_start = None;
            }
            _ => {}
        }
    }
    best
}

/// A camera at `p` looking at `target` (no roll).
pub fn look_at(p: Vec3, target: Vec3) -> CameraPose {
    let d = target - p;
    let yaw = d.y.atan2(d.x);
    let pitch = d.z.atan2(d.truncate().length()).clamp(-1.4, 1.4);
    CameraPose::from_yaw_pitch(p, yaw, pitch)
}

/// A script and how to run it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptSpec {
    /// The given script; empty: sample one that fills the video.
    pub actions: Vec<Action>,
    pub motion: ActionMotion,
    pub fps: u32,
}

/// Runs an action script from a seeded start where it keeps clearance (a given script), or samples one that
/// walks and turns through free floor for the length of the video.
pub fn action_script(
    scene: &PathScene<'_>,
    script: &ScriptSpec,
    rng: &mut ChaCha8Rng,
) -> Result<Trajectory, TrajectoryError> {
    let duration_s = scene.spec.frames as f32 / script.fps as f32;
    let cells = scene.walkable_lattice(CELL_M);
    let mut closest = f32::INFINITY;
    for _ in 0..200 {
        let position = cells[rng.random_range(0..cells.len())];
        let yaw_rad = rng.random_range(-PI..PI);
        let start = ScriptStart { position, yaw_rad };
        let executed = if script.actions.is_empty() {
            sample_script(scene, start, &script.motion, duration_s, rng)
        } else {
            let executed = schedule(&script.actions, &script.motion);
            let needed = executed.last().map_or(0.0, |a| a.end_s);
            if needed > duration_s + 1e-4 {
                return Err(TrajectoryError::ScriptTooLong { needed_s: needed, video_s: duration_s });
            }
            executed
        };
        if !script_walkable(scene, start, &executed) {
            continue;
        }
        let poses: Vec<CameraPose> = (0..scene.spec.frames)
            .map(|k| {
                let (p, yaw) = script_state(start, &executed, k as f32 / script.fps as f32);
                scene.pose(p, yaw)
            })
            .collect();
        match scene.finish("action_script", poses) {
            Ok(mut t) => {
                t.script = executed;
                t.script_start = Some(start);
                return Ok(t);
            }
            Err(TrajectoryError::Clearance { closest_m, .. }) => closest = closest.min(closest_m),
            Err(e) => return Err(e),
        }
    }
    Err(TrajectoryError::NoScriptStart { clearance_m: scene.spec.clearance_m, closest_m: closest })
}

/// Every forward step of the script on walkable floor.
fn script_walkable(scene: &PathScene<'_>, start: ScriptStart, script: &[ExecutedAction]) -> bool {
    let (mut p, mut yaw) = (start.position, start.yaw_rad);
    for a in script {
        match a.action {
            Action::Forward { distance_m } => {
                let q = p + Vec2::new(yaw.cos(), yaw.sin()) * distance_m;
                if !scene.segment_walkable(p, q) {
                    return false;
                }
                p = q;
            }
            Action::Turn { angle_rad } => yaw += angle_rad,
        }
    }
    true
}

/// Walks where the floor is free and turns where it is not, until the video is full (the last action is cut
/// to end with it, or dropped when that would leave a sliver).
fn sample_script(
    scene: &PathScene<'_>,
    start: ScriptStart,
    motion: &ActionMotion,
    duration_s: f32,
    rng: &mut ChaCha8Rng,
) -> Vec<ExecutedAction> {
    let (mut p, mut yaw) = (start.position, start.yaw_rad);
    let mut actions = Vec::new();
    let mut t = 0.0;
    // The sign of the last turn, while the camera has not walked since.
    let mut turning: Option<f32> = None;
    while t < duration_s && actions.len() < 64 {
        let free = scene.free_ahead(p, yaw, 2.0);
        let mut action = if free >= 0.4 && (turning.is_some() || rng.random_bool(0.6)) {
            Action::Forward { distance_m: rng.random_range(0.3..=free.min(1.5)) }
        } else {
            // Blocked after a turn: keep turning the same way (a person looking for a way out does not
            // turn back and forth).
            let sign = turning.unwrap_or(if rng.random_bool(0.5) { 1.0 } else { -1.0 });
            Action::Turn { angle_rad: sign * rng.random_range(30f32..=120.0).to_radians() }
        };
        let left = duration_s - t;
        if action.duration_s(motion) > left {
            action = match action {
                Action::Forward { .. } => Action::Forward { distance_m: left * motion.speed_m_s },
                Action::Turn { angle_rad } => {
                    Action::Turn { angle_rad: left * motion.turn_rate_rad_s * angle_rad.signum() }
                }
            };
            let sliver = match action {
                Action::Forward { distance_m } => distance_m < 0.1,
                Action::Turn { angle_rad } => angle_rad.abs() < 10f32.to_radians(),
            };
            if sliver {
                break;
            }
        }
        match action {
            Action::Forward { distance_m } => p += Vec2::new(yaw.cos(), yaw.sin()) * distance_m,
            Action::Turn { angle_rad } => yaw += angle_rad,
        }
        turning = match action {
            Action::Turn { angle_rad } => Some(angle_rad.signum()),
            Action::Forward { .. } => None,
        };
        t += action.duration_s(motion);
        actions.push(action);
    }
    schedule(&actions, motion)
}

/// Handheld shake: per axis a sum of three sinusoids (frequencies about `frequency_hz`, seeded phases) whose
/// amplitudes add up to the bound, so the offset never exceeds `translation_m` per axis or `rotation_rad` per
/// angle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JitterSpec {
    pub translation_m: f32,
    pub rotation_rad: f32,
    pub frequency_hz: f32,
}

impl JitterSpec {
    /// The most the shake can move the camera centre (m).
    pub fn max_offset_m(&self) -> f32 {
        self.translation_m * 3f32.sqrt()
    }
}

/// Adds the shake to every pose (translation in the world, rotation about the camera's own axes).
pub fn apply_jitter(poses: &mut [CameraPose], fps: u32, jitter: &JitterSpec, rng: &mut ChaCha8Rng) {
    const RATIOS: [f32; 3] = [1.0, 1.73, 2.91];
    const WEIGHTS: [f32; 3] = [0.5, 0.3, 0.2];
    let mut channel = || {
        let phases: [f32; 3] = std::array::from_fn(|_| rng.random_range(0.0..TAU));
        move |t: f32, f: f32| (0..3).map(|i| WEIGHTS[i] * (TAU * f * RATIOS[i] * t + phases[i]).sin()).sum::<f32>()
    };
    let shakes: [_; 6] = std::array::from_fn(|_| channel());
    for (k, pose) in poses.iter_mut().enumerate() {
        let t = k as f32 / fps as f32;
        let s: [f32; 6] = std::array::from_fn(|i| shakes[i](t, jitter.frequency_hz));
        pose.position += Vec3::new(s[0], s[1], s[2]) * jitter.translation_m;
        let r = jitter.rotation_rad;
        let shake = Quat::from_rotation_x(s[3] * r) * Quat::from_rotation_y(s[4] * r) * Quat::from_rotation_z(s[5] * r);
        pose.world_from_camera = pose.world_from_camera * Mat3::from_quat(shake);
    }
}

/// The camera's velocity at a frame: linear (m/s) and angular (rad/s, axis times rate), both in the world frame.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CameraVelocity {
    pub linear_m_s: Vec3,
    pub angular_rad_s: Vec3,
}

/// Central differences over the neighbouring frames (one-sided at the ends).
pub fn camera_velocities(poses: &[CameraPose], fps: u32) -> Vec<CameraVelocity> {
    let n = poses.len();
    let dt = 1.0 / fps as f32;
    (0..n)
        .map(|k| {
            let (a, b) = (k.saturating_sub(1), (k + 1).min(n.saturating_sub(1)));
            if a == b {
                return CameraVelocity::default();
            }
            let span = (b - a) as f32 * dt;
            let (pa, pb) = (&poses[a], &poses[b]);
            let delta = Quat::from_mat3(&(pb.world_from_camera * pa.world_from_camera.transpose()));
            let (axis, angle) = delta.to_axis_angle();
            // The shorter way round.
            let angle = if angle > PI { angle - TAU } else { angle };
            CameraVelocity { linear_m_s: (pb.position - pa.position) / span, angular_rad_s: axis * (angle / span) }
        })
        .collect()
}

/// The camera between frames: `dt_frames` (a fraction of a frame, either sign) from frame `k`, interpolating
/// the neighbouring poses (position linearly, rotation by slerp), extrapolating past the ends.
pub fn pose_at(poses: &[CameraPose], k: usize, dt_frames: f32) -> CameraPose {
    if poses.len() < 2 || dt_frames == 0.0 {
        return poses[k];
    }
    let (a, b, t) = between_frames(poses.len(), k, dt_frames);
    let (pa, pb) = (&poses[a], &poses[b]);
    let (qa, qb) = (Quat::from_mat3(&pa.world_from_camera), Quat::from_mat3(&pb.world_from_camera));
    CameraPose {
        world_from_camera: Mat3::from_quat(qa.slerp(qb, t).normalize()),
        position: pa.position + (pb.position - pa.position) * t,
    }
}

/// The two frames of `n` an instant `dt_frames` from frame `k` lies between, and its fraction from the first to
/// the second (beyond 0..1 past the ends: extrapolation).
pub fn between_frames(n: usize, k: usize, dt_frames: f32) -> (usize, usize, f32) {
    if n < 2 {
        (k, k, 0.0)
    } else if (dt_frames >= 0.0 && k + 1 < n) || k == 0 {
        (k, k + 1, dt_frames)
    } else {
        (k - 1, k, 1.0 + dt_frames)
    }
}

/// Per frame, how fast (pixels per second) the image of the point `depth_m` ahead of the camera moves: what
/// sets the length of motion blur at the image centre.
pub fn centre_speeds_px_s(poses: &[CameraPose], k: &crate::camera::Intrinsics, fps: u32, depth_m: f32) -> Vec<f64> {
    (0..poses.len())
        .map(|i| {
            let p = poses[i].position + poses[i].forward() * depth_m;
            let (a, b) = (pose_at(poses, i, -0.5), pose_at(poses, i, 0.5));
            match (k.project(a.camera_from_world(p)), k.project(b.camera_from_world(p))) {
                (Some(u), Some(v)) => (((u.0 - v.0).powi(2) + (u.1 - v.1).powi(2)).sqrt() * fps as f32) as f64,
                _ => 0.0,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_clear_run_wraps_round() {
        let mut clear = vec![true; 10];
        clear[3] = false;
        clear[4] = false;
        assert_eq!(longest_run(&clear), Some((5, 8)));
        clear[8] = false;
        assert_eq!(longest_run(&clear), Some((9, 4)));
        assert_eq!(longest_run(&[true; 4]), Some((0, 4)));
        assert_eq!(longest_run(&[false; 4]), None);
    }

    #[test]
    fn actions_parse_and_describe() {
        assert_eq!(Action::parse("forward 0.8").unwrap(), Action::Forward { distance_m: 0.8 });
        assert_eq!(Action::parse(" left  70 ").unwrap(), Action::Turn { angle_rad: 70f32.to_radians() });
        assert_eq!(Action::parse("right 45").unwrap(), Action::Turn { angle_rad: -45f32.to_radians() });
        assert_eq!(Action::parse("right 45").unwrap().describe(), "right 45.0");
        for bad in ["jump 1", "forward", "forward -1", "left x", "left 400"] {
            assert!(Action::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_script_state_follows_the_commanded_motion() {
        let motion = ActionMotion { speed_m_s: 0.5, turn_rate_rad_s: PI / 2.0 };
        let actions = [
            Action::Forward { distance_m: 1.0 },
            Action::Turn { angle_rad: PI / 2.0 },
            Action::Forward { distance_m: 0.5 },
        ];
        let s = schedule(&actions, &motion);
        assert_eq!(s.iter().map(|a| a.end_s).collect::<Vec<_>>(), vec![2.0, 3.0, 4.0]);
        let start = ScriptStart { position: Vec2::ZERO, yaw_rad: 0.0 };
        let (p, yaw) = script_state(start, &s, 1.0);
        assert!((p - Vec2::new(0.5, 0.0)).length() < 1e-6 && yaw.abs() < 1e-6);
        let (p, yaw) = script_state(start, &s, 2.5);
        assert!((p - Vec2::new(1.0, 0.0)).length() < 1e-6 && (yaw - PI / 4.0).abs() < 1e-6);
        // Turning left from +x faces +y: the last step walks along +y.
        let (p, yaw) = script_state(start, &s, 10.0);
        assert!((p - Vec2::new(1.0, 0.5)).length() < 1e-6 && (yaw - PI / 2.0).abs() < 1e-6, "{p} {yaw}");
    }

    #[test]
    fn velocities_of_a_steady_walk_and_turn() {
        let fps = 10;
        let poses: Vec<CameraPose> = (0..20)
            .map(|k| {
                let t = k as f32 / fps as f32;
                CameraPose::from_yaw_pitch(Vec3::new(0.3 * t, 0.0, 1.6), 0.5 * t, -0.2)
            })
            .collect();
        let v = camera_velocities(&poses, fps);
        for c in &v {
            assert!((c.linear_m_s - Vec3::new(0.3, 0.0, 0.0)).length() < 1e-4, "{:?}", c.linear_m_s);
            // Yaw at 0.5 rad/s about the world's +z.
            assert!((c.angular_rad_s - Vec3::new(0.0, 0.0, 0.5)).length() < 1e-3, "{:?}", c.angular_rad_s);
        }
    }

    #[test]
    fn jitter_stays_within_its_bounds() {
        use rand::SeedableRng;
        let base: Vec<CameraPose> =
            (0..200).map(|k| CameraPose::from_yaw_pitch(Vec3::new(k as f32 * 0.01, 0.0, 1.6), 0.0, 0.0)).collect();
        let mut shaken = base.clone();
        let j = JitterSpec { translation_m: 0.01, rotation_rad: 0.5f32.to_radians(), frequency_hz: 1.5 };
        apply_jitter(&mut shaken, 30, &j, &mut ChaCha8Rng::seed_from_u64(3));
        let mut moved = 0.0f32;
        for (a, b) in base.iter().zip(&shaken) {
            let d = b.position - a.position;
            assert!(d.abs().max_element() <= 0.01 + 1e-6, "{d}");
            moved = moved.max(d.length());
            let turn = a.forward().dot(b.forward()).clamp(-1.0, 1.0).acos();
            assert!(turn <= 3f32.sqrt() * 0.5f32.to_radians() + 1e-4, "{turn}");
        }
        assert!(moved > 0.003, "the shake is there: {moved}");
    }
    #[test]
    fn poses_between_frames_interpolate_and_the_centre_speed_follows_a_pan() {
        // A pan at 1 rad/s at 30 fps: the image centre moves f * omega px/s.
        let k = crate::camera::Intrinsics::from_hfov(320, 240, 1.2);
        let poses: Vec<CameraPose> =
            (0..5).map(|i| CameraPose::from_yaw_pitch(Vec3::new(1.0, 2.0, 1.5), i as f32 / 30.0, 0.0)).collect();
        let mid = pose_at(&poses, 2, 0.5);
        let yaw = mid.forward().y.atan2(mid.forward().x);
        assert!((yaw - 2.5 / 30.0).abs() < 1e-5, "{yaw}");
        let before = pose_at(&poses, 0, -0.5);
        assert!((before.forward().y.atan2(before.forward().x) + 0.5 / 30.0).abs() < 1e-5);
        let speeds = centre_speeds_px_s(&poses, &k, 30, 2.5);
        for s in speeds {
            assert!((s / k.fx as f64 - 1.0).abs() < 1e-3, "{s} vs {}", k.fx);
        }
    }
}
