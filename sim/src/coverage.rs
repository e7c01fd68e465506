//! Coverage walkthroughs: viewpoints chosen so that every object shows at least a given share of its surface
//! in some frame, visited in a nearest-first order along shortest free paths, at bounded speed, acceleration
//! and turn rate, looking at each viewpoint's object while it approaches and dwells there.
//!
//! The share of an object a view shows is counted on sample points of its parts' outer faces: among the
//! samples that face the camera and fall inside the image, the fraction whose line of sight reaches them.

use std::f32::consts::PI;

use diorama_assets::PartKind;
use diorama_layouts::SceneObject;
use diorama_layouts::geom::{Vec2, Vec3};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::camera::{CameraPose, Intrinsics};
use crate::paths::{PathScene, look_at};
use crate::trajectory::{SceneShapes, Trajectory, TrajectoryError};

/// What a coverage walkthrough must achieve and how the camera may move.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoverageSpec {
    /// Least share of an object's camera-facing surface some frame must show.
    pub min_share: f32,
    pub max_speed_m_s: f32,
    pub max_accel_m_s2: f32,
    pub max_turn_rate_rad_s: f32,
    /// How long the camera holds still at each viewpoint.
    pub dwell_s: f32,
    pub fps: u32,
}

/// An object the walkthrough does not cover, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Uncovered {
    pub id: u32,
    pub reason: String,
}

/// A point on an object's outer surface and the outward normal there.
#[derive(Debug, Clone, Copy)]
pub struct SurfaceSample {
    pub point: Vec3,
    pub normal: Vec3,
}

/// Sample points on the outer faces of an object's parts (not the bottoms, which rest on something).
pub fn surface_samples(o: &SceneObject) -> Vec<SurfaceSample> {
    const GRID: [f32; 3] = [-0.33, 0.0, 0.33];
    let mut out = Vec::new();
    for p in &o.parts {
        let m = p.world_from_local;
        let h = p.size * 0.5;
        match p.kind {
            PartKind::Box => {
                // (normal axis, sign, the two in-face axes); the bottom (-z) is left out.
                let faces = [(0, 1.0, 1, 2), (0, -1.0, 1, 2), (1, 1.0, 0, 2), (1, -1.0, 0, 2), (2, 1.0, 0, 1)];
                for (n_axis, sign, u_axis, v_axis) in faces {
                    let normal = m.col(n_axis) * sign;
                    let face_center = p.center + normal * h[n_axis];
                    for a in GRID {
                        for b in GRID {
                            let q = face_center
                                + m.col(u_axis) * (a * 2.0 * h[u_axis])
                                + m.col(v_axis) * (b * 2.0 * h[v_axis]);
                            out.push(SurfaceSample { point: q, normal });
                        }
                    }
                }
            }
            PartKind::Cylinder => {
                let r = h.x.min(h.y);
                for k in 0..8 {
                    let a = k as f32 * PI / 4.0;
                    let radial = m.col(0) * a.cos() + m.col(1) * a.sin();
                    for z in GRID {
                        out.push(SurfaceSample {
                            point: p.center + radial * r + m.col(2) * (z * 2.0 * h.z),
                            normal: radial,
                        });
                    }
                    out.push(SurfaceSample { point: p.center + m.col(2) * h.z + radial * (r * 0.6), normal: m.col(2) });
                }
            }
        }
    }
    out
}

/// The share of the samples facing the camera and inside the image that the camera sees (0 when none face it).
pub fn view_share(shapes: &SceneShapes, samples: &[SurfaceSample], pose: &CameraPose, k: &Intrinsics) -> f32 {
    let (mut facing, mut seen) = (0u32, 0u32);
    for s in samples {
        let to_camera = pose.position - s.point;
        if to_camera.dot(s.normal) <= 0.0 {
            continue;
        }
        let p_c = pose.camera_from_world(s.point);
        let Some((u, v)) = k.project(p_c) else { continue };
        if p_c.z < 0.05 || u < 0.0 || v < 0.0 || u > k.width as f32 || v > k.height as f32 {
            continue;
        }
        facing += 1;
        // Off the surface by 5 mm, so the ray ends before the object's own face.
        if shapes.first_hit(pose.position, s.point + s.normal * 0.005).is_none() {
            seen += 1;
        }
    }
    if facing == 0 { 0.0 } else { seen as f32 / facing as f32 }
}

/// A chosen viewpoint: where the camera stands and the object it looks at.
#[derive(Debug, Clone, Copy)]
struct Viewpoint {
    position: Vec2,
    target: u32,
    look_at: Vec3,
}

/// Plans a coverage walkthrough through the walkable floor of `scene`.
pub fn coverage(
    scene: &PathScene<'_>,
    cov: &CoverageSpec,
    _rng: &mut ChaCha8Rng,
) -> Result<Trajectory, TrajectoryError> {
    let spec = scene.spec();
    let k = &spec.intrinsics;
    let apartment = scene.apartment;
    let objects: Vec<&SceneObject> = apartment.furniture().collect();
    let samples: Vec<Vec<SurfaceSample>> = objects.iter().map(|o| surface_samples(o)).collect();
    // Candidate standpoints: walkable cells about every 0.4 m.
    let candidates = scene.walkable_lattice(0.4);
    if candidates.is_empty() {
        return Err(TrajectoryError::NoWalkableSpace(spec.clearance_m));
    }
    let eye = |p: Vec2| Vec3::new(p.x, p.y, spec.eye_height_m);
    let mut covered = vec![false; objects.len()];
    let mut given_up = vec![false; objects.len()];
    let mut ordered: Vec<Viewpoint> = Vec::new();
    let mut uncovered = Vec::new();
    // Greedy and near-first: from where the camera is, the nearest object not yet covered, seen from the
    // standpoint nearest to the camera among those that show enough of it (so the walk stays short).
    let start = scene.entrance_point();
    let mut at = start;
    while let Some(i) = (0..objects.len()).filter(|&i| !covered[i] && !given_up[i]).min_by(|&a, &b| {
        let d = |i: usize| objects[i].obb.center.truncate().distance(at);
        d(a).total_cmp(&d(b)).then(objects[a].id.cmp(&objects[b].id))
    }) {
        let o = objects[i];
        let centre = o.obb.center;
        let mut best_share = 0.0f32;
        let mut chosen: Option<Vec2> = None;
        for &c in &candidates {
            let d = c.distance(centre.truncate());
            if !(0.6..=4.0).contains(&d) {
                continue;
            }
            if chosen.is_some_and(|q| q.distance(at) <= c.distance(at)) {
                continue;
            }
            let share = view_share(&scene.shapes, &samples[i], &look_at(eye(c), centre), k);
            best_share = best_share.max(share);
            if share >= cov.min_share {
                chosen = Some(c);
            }
        }
        let Some(c) = chosen else {
            given_up[i] = true;
            uncovered.push(Uncovered {
                id: o.id,
                reason: format!(
                    "no standpoint on the walkable floor 0.6 to 4 m from it shows {:.0}% of it (best {:.0}%)",
                    cov.min_share * 100.0,
                    best_share * 100.0
                ),
            });
            continue;
        };
        let pose = look_at(eye(c), centre);
        // Whatever else this view shows well enough counts as covered too.
        for (j, s) in samples.iter().enumerate() {
            if !covered[j] && !given_up[j] && view_share(&scene.shapes, s, &pose, k) >= cov.min_share {
                covered[j] = true;
            }
        }
        covered[i] = true;
        ordered.push(Viewpoint { position: c, target: o.id, look_at: centre });
        at = c;
    }
    // Drop viewpoints from the end until the video is long enough to reach them all.
    loop {
        match timed_path(scene, start, &ordered, cov) {
            Some(poses) => {
                // What the frames actually show (the view turns at a bounded rate, so a planned view may not be
                // reached): an object no frame shows well enough is reported, never claimed.
                let reported: Vec<u32> = uncovered.iter().map(|u| u.id).collect();
                for (o, s) in objects.iter().zip(&samples) {
                    if reported.contains(&o.id) {
                        continue;
                    }
                    let best = poses.iter().map(|p| view_share(&scene.shapes, s, p, k)).fold(0.0, f32::max);
                    if best < cov.min_share {
                        uncovered.push(Uncovered {
                            id: o.id,
                            reason: format!(
                                "planned in view, but no frame shows {:.0}% of it (best {:.0}%)",
                                cov.min_share * 100.0,
                                best * 100.0
                            ),
                        });
                    }
                }
                uncovered.sort_by_key(|u| u.id);
                let mut t = scene.finish("coverage", poses)?;
                t.uncovered = uncovered;
                return Ok(t);
            }
            None if ordered.len() > 1 => {
                let dropped = ordered.pop().unwrap();
                uncovered.push(Uncovered {
                    id: dropped.target,
                    reason: format!(
                        "the video ({} frames) is too short to reach its viewpoint at {} m/s",
                        spec.frames, cov.max_speed_m_s
                    ),
                });
            }
            None => {
                return Err(TrajectoryError::CoverageTooShort { frames: spec.frames, speed_m_s: cov.max_speed_m_s });
            }
        }
    }
}

/// Still views (for image questions): `count` independent views, each of a furniture object (the objects in a
/// seeded order, each once before any repeats) from a walkable standpoint 1 to 3.5 m away, with the object off
/// the image centre by up to a sixth of the field of view, showing at least `min_share` of its camera-facing
/// surface. Objects no standpoint shows well enough are passed over.
pub fn stills(
    scene: &PathScene<'_>,
    count: u32,
    min_share: f32,
    rng: &mut ChaCha8Rng,
) -> Result<Trajectory, TrajectoryError> {
    let spec = scene.spec();
    let k = &spec.intrinsics;
    let objects: Vec<&SceneObject> = scene.apartment.furniture().filter(|o| !o.flat).collect();
    let standpoints = scene.walkable_lattice(0.3);
    let hfov = 2.0 * (k.width as f32 / 2.0 / k.fx).atan();
    let mut order: Vec<usize> = (0..objects.len()).collect();
    let mut poses = Vec::with_capacity(count as usize);
    let mut misses = 0;
    let mut next = 0;
    while poses.len() < count as usize {
        if next % order.len().max(1) == 0 {
            // A new round: a fresh seeded order.
            for i in (1..order.len()).rev() {
                order.swap(i, rng.random_range(0..=i));
            }
        }
        if objects.is_empty() || misses >= objects.len() {
            return Err(TrajectoryError::NoStillView { min_share });
        }
        let o = objects[order[next % order.len()]];
        next += 1;
        let centre = o.obb.center;
        let near: Vec<Vec2> =
            standpoints.iter().copied().filter(|c| (1.0..=3.5).contains(&c.distance(centre.truncate()))).collect();
        let samples = surface_samples(o);
        let mut found = None;
        for _ in 0..12.min(near.len()) {
            let c = near[rng.random_range(0..near.len())];
            let eye = Vec3::new(c.x, c.y, spec.eye_height_m);
            let aim = look_at(eye, centre).forward();
            let yaw = aim.y.atan2(aim.x) + rng.random_range(-1.0f32..1.0) * hfov / 6.0;
            let pose = CameraPose::from_yaw_pitch(eye, yaw, aim.z.clamp(-1.0, 1.0).asin());
            if scene.shapes.clearance(eye) >= spec.clearance_m
                && view_share(&scene.shapes, &samples, &pose, k) >= min_share
            {
                found = Some(pose);
                break;
            }
        }
        match found {
            Some(pose) => {
                poses.push(pose);
                misses = 0;
            }
            None => misses += 1,
        }
    }
    let min_clearance_m = poses.iter().map(|p| scene.shapes.clearance(p.position)).fold(f32::INFINITY, f32::min);
    let unseen = crate::trajectory::unseen_objects(scene.apartment, &scene.shapes, &poses, k);
    Ok(Trajectory { kind: "stills", poses, min_clearance_m, unseen_objects: unseen, ..Trajectory::default() })
}

/// Frame poses for visiting the viewpoints in order: a smoothed free path to each, walked at the top speed
/// with ramps at the top acceleration, then a pause at each viewpoint long enough for the view (turning at the
/// bounded rate towards the viewpoint's object from the start of the leg) to settle on the object; time left
/// over lengthens the pauses evenly. None when the video is too short.
fn timed_path(scene: &PathScene<'_>, start: Vec2, views: &[Viewpoint], cov: &CoverageSpec) -> Option<Vec<CameraPose>> {
    let spec = scene.spec();
    let n = spec.frames as usize;
    let total_s = (n.max(1) - 1) as f32 / cov.fps as f32;
    let (v, a) = (cov.max_speed_m_s, cov.max_accel_m_s2);
    let eye = |p: Vec2| Vec3::new(p.x, p.y, spec.eye_height_m);
    let mut legs: Vec<Vec<Vec2>> = Vec::new();
    let mut durations = Vec::new();
    let mut pauses = Vec::new();
    let mut from = start;
    let mut facing = look_at(eye(start), views.first()?.look_at).forward();
    for view in views {
        let leg = scene.smooth_path(from, view.position)?;
        let length: f32 = leg.windows(2).map(|w| w[0].distance(w[1])).sum();
        // Ramping up to v and down again takes v / a longer than cruising the whole way.
        let walk_s = if length > 1e-3 { length / v + v / a } else { 0.0 };
        let turn_to = look_at(eye(from), view.look_at).forward();
        let end_facing = look_at(eye(view.position), view.look_at).forward();
        let turn_rad = facing.dot(turn_to).clamp(-1.0, 1.0).acos() + turn_to.dot(end_facing).clamp(-1.0, 1.0).acos();
        let turn_s = turn_rad / cov.max_turn_rate_rad_s;
        legs.push(leg);
        durations.push(walk_s);
        // One frame's worth more than the turn needs, so the settled view is in a frame.
        pauses.push(cov.dwell_s + (turn_s - walk_s).max(0.0) + 1.0 / cov.fps as f32);
        facing = end_facing;
        from = view.position;
    }
    let needed: f32 = durations.iter().sum::<f32>() + pauses.iter().sum::<f32>();
    if needed > total_s {
        return None;
    }
    let extra = (total_s - needed) / views.len() as f32;
    // The schedule: per viewpoint (leg start, walking time, pause).
    let mut schedule = Vec::new();
    let mut t = 0.0;
    for (walk_s, pause_s) in durations.iter().zip(&pauses) {
        schedule.push((t, *walk_s));
        t += walk_s + pause_s + extra;
    }
    let max_turn = cov.max_turn_rate_rad_s / cov.fps as f32;
    let mut poses = Vec::with_capacity(n);
    let mut yaw: Option<f32> = None;
    let mut pitch = 0.0;
    for f in 0..n {
        let time = f as f32 / cov.fps as f32;
        // The current leg: the last that has started.
        let i = schedule.iter().rposition(|&(s, _)| s <= time).unwrap_or(0);
        let (s0, walk_s) = schedule[i];
        let length: f32 = legs[i].windows(2).map(|w| w[0].distance(w[1])).sum();
        let along = if walk_s > 0.0 { trapezoid(time - s0, walk_s, v, a) } else { length };
        let p = point_along(&legs[i], along.min(length));
        let wanted = look_at(eye(p), views[i].look_at).forward();
        let want_yaw = wanted.y.atan2(wanted.x);
        let want_pitch = wanted.z.clamp(-1.0, 1.0).asin();
        // Turn towards the object no faster than the turn rate (yaw and pitch each).
        let y = match yaw {
            None => {
                pitch = want_pitch;
                want_yaw
            }
            Some(y) => {
                let d = (want_yaw - y + PI).rem_euclid(2.0 * PI) - PI;
                pitch += (want_pitch - pitch).clamp(-max_turn, max_turn);
                y + d.clamp(-max_turn, max_turn)
            }
        };
        yaw = Some(y);
        poses.push(CameraPose::from_yaw_pitch(eye(p), y, pitch));
    }
    Some(poses)
}

/// Distance covered at time `t` of a leg of duration `dur` that ramps up to `v` at `a`, cruises, ramps down.
fn trapezoid(t: f32, dur: f32, v: f32, a: f32) -> f32 {
    let ramp = v / a;
    let t = t.clamp(0.0, dur);
    let length = v * (dur - ramp);
    if t < ramp {
        0.5 * a * t * t
    } else if t > dur - ramp {
        let r = dur - t;
        length - 0.5 * a * r * r
    } else {
        0.5 * a * ramp * ramp + v * (t - ramp)
    }
}

/// The point `s` metres along a polyline.
fn point_along(path: &[Vec2], s: f32) -> Vec2 {
    let mut left = s;
    for w in path.windows(2) {
        let d = w[0].distance(w[1]);
        if left <= d && d > 0.0 {
            return w[0].lerp(w[1], left / d);
        }
        left -= d;
    }
    *path.last().unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trapezoid_ramps_cruises_and_arrives() {
        let (v, a) = (0.5, 0.5);
        // 2 m at 0.5 m/s with 1 s ramps: 4 s cruising plus one ramp's worth, 5 s.
        let dur = 2.0 / v + v / a;
        assert!((trapezoid(dur, dur, v, a) - 2.0).abs() < 1e-5);
        assert!((trapezoid(0.5, dur, v, a) - 0.0625).abs() < 1e-6);
        assert!((trapezoid(dur / 2.0, dur, v, a) - 1.0).abs() < 1e-5);
        // Speed never exceeds v, acceleration never exceeds a (finite differences).
        let dt = 0.01;
        let s: Vec<f32> = (0..=500).map(|k| trapezoid(k as f32 * dt, dur, v, a)).collect();
        for w in s.windows(3) {
            assert!((w[1] - w[0]) / dt <= v + 1e-3);
            assert!(((w[2] - 2.0 * w[1] + w[0]) / (dt * dt)).abs() <= a + 1e-2);
        }
    }

    #[test]
    fn a_point_along_a_polyline() {
        let path = [Vec2::ZERO, Vec2::new(1.0, 0.0), Vec2::new(1.0, 2.0)];
        assert!((point_along(&path, 0.5) - Vec2::new(0.5, 0.0)).length() < 1e-6);
        assert!((point_along(&path, 2.0) - Vec2::new(1.0, 1.0)).length() < 1e-6);
        assert!((point_along(&path, 9.0) - Vec2::new(1.0, 2.0)).length() < 1e-6);
    }
}
