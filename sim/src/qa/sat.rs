//! SAT's dynamic families (../shared/spec/qa-reference.md §4.2), asked of the rendered video: every answer
//! comes from the camera poses and object motions that were rendered, not from a separate simulated action.
//!
//! - `goal_aim`: at an instant, which way (eight classes of 45 degrees) the camera must turn to face an object.
//! - `action_consequence`: after the camera's motion over an interval, is an object closer or farther.
//! - `perspective_taking` (allocentric): standing at object A, facing the camera's heading at an instant turned
//!   90 degrees left or right, is object C to the left or the right.
//! - `obj_movement_which` / `_direction` / `_distance`: which object moved, which way relative to the camera
//!   when it started, and how far.
//!
//! Binary and many-class answers are drawn class-balanced (`choose_balanced`) so that a constant answer scores
//! at chance; each keeps a margin from its class boundaries (10 degrees, 0.3 m, 0.15 m).

use super::*;

/// Goal-aiming classes: the option text and the turn (degrees, left positive) at the class centre.
pub(crate) const AIM_CLASSES: [(&str, f32); 8] = [
    ("look straight ahead", 0.0),
    ("turn left by about 45 degrees", 45.0),
    ("turn left by about 90 degrees", 90.0),
    ("turn left by about 135 degrees", 135.0),
    ("turn around", 180.0),
    ("turn right by about 135 degrees", -135.0),
    ("turn right by about 90 degrees", -90.0),
    ("turn right by about 45 degrees", -45.0),
];

/// The goal-aiming class of a turn of `alpha_deg` (left positive) and its distance to the nearest class
/// boundary (degrees; boundaries sit 22.5 degrees either side of each class centre).
pub fn aim_class(alpha_deg: f32) -> (usize, f32) {
    let idx = (alpha_deg / 45.0).round().rem_euclid(8.0) as usize;
    let off = (alpha_deg - AIM_CLASSES[idx].1 + 540.0).rem_euclid(360.0) - 180.0;
    (idx, 22.5 - off.abs())
}

/// Least margins: degrees from a class boundary, metres of distance change.
const AIM_MARGIN_DEG: f32 = 10.0;
const CONSEQUENCE_MARGIN_M: f32 = 0.3;
const PERSPECTIVE_MARGIN_DEG: f32 = 20.0;
const MOVEMENT_MARGIN_M: f32 = 0.15;

pub(super) struct DynamicInputs<'a> {
    pub layout: &'a Apartment,
    pub vis: &'a VisibilitySummary,
    pub poses: &'a [CameraPose],
    pub spec: &'a QaSpec,
    /// Unique, salient furniture that does not move.
    pub still: &'a [&'a SceneObject],
}

pub(super) fn dynamic_tasks(inp: &DynamicInputs<'_>, letters: &mut Letters, rng: &mut ChaCha8Rng) -> Vec<Question> {
    let mut out = goal_aim(inp, letters, rng);
    out.extend(action_consequence(inp, letters, rng));
    out.extend(perspective_taking(inp, letters, rng));
    out.extend(object_movement(inp, letters, rng));
    out
}

fn heading(pose: &CameraPose) -> [f32; 2] {
    let f = pose.forward();
    [f.x, f.y]
}

fn goal_aim(inp: &DynamicInputs<'_>, letters: &mut Letters, rng: &mut ChaCha8Rng) -> Vec<Question> {
    let spec = inp.spec;
    let mut candidates = Vec::new();
    for k in (0..inp.poses.len()).step_by(spec.fps.max(1) as usize) {
        let pose = &inp.poses[k];
        for o in inp.still {
            let to = [o.obb.center.x - pose.position.x, o.obb.center.y - pose.position.y];
            if to[0].hypot(to[1]) < 0.5 {
                continue;
            }
            let alpha = signed_angle_deg(heading(pose), to);
            let (class, margin) = aim_class(alpha);
            if margin >= AIM_MARGIN_DEG {
                candidates.push((class, (k as u32, *o, alpha, margin)));
            }
        }
    }
    let mut out = Vec::new();
    for (class, (k, o, alpha, margin)) in choose_balanced(candidates, spec.max_per_type, rng) {
        let others: Vec<String> = (0..8).filter(|&c| c != class).map(|c| AIM_CLASSES[c].0.to_string()).collect();
        let distractors = choose(others, 3, rng);
        let (options, answer) = letters.place("goal_aim", AIM_CLASSES[class].0, distractors, rng);
        let question = format!(
            "At second {} of the video, which way should the camera turn to face the {}?",
            seconds(k, spec.fps),
            o.name
        );
        out.push(Question {
            frames: [k, k],
            object_ids: vec![o.id],
            definition: "camera_heading_to_centroid_deg",
            ..Question::choice(
                "goal_aim",
                question,
                options,
                answer,
                AIM_CLASSES[class].0.to_string(),
                alpha as f64,
                margin as f64,
            )
        });
    }
    out
}

fn action_consequence(inp: &DynamicInputs<'_>, letters: &mut Letters, rng: &mut ChaCha8Rng) -> Vec<Question> {
    let spec = inp.spec;
    let mut candidates = Vec::new();
    for (i, j) in intervals(inp.poses.len(), spec.fps) {
        let (a, b) = (&inp.poses[i], &inp.poses[j]);
        if a.position.distance(b.position) < 0.3 {
            continue;
        }
        for o in inp.still {
            if inp.vis.salient_frames.get(&o.id).is_none_or(|f| f.binary_search(&(i as u32)).is_err()) {
                continue;
            }
            let change = point_box_distance(b.position, o) - point_box_distance(a.position, o);
            if change.abs() >= CONSEQUENCE_MARGIN_M {
                let class = if change < 0.0 { "closer" } else { "farther" };
                candidates.push((class, (i as u32, j as u32, *o, change)));
            }
        }
    }
    let mut out = Vec::new();
    for (class, (i, j, o, change)) in choose_balanced(candidates, spec.max_per_type, rng) {
        let other = if class == "closer" { "farther" } else { "closer" };
        let (options, answer) = letters.place("action_consequence", class, vec![other.to_string()], rng);
        let question = format!(
            "The camera moves between second {} and second {} of the video. After this motion, is the {} closer to the camera or farther from it than before (measuring to its closest point)?",
            seconds(i, spec.fps),
            seconds(j, spec.fps),
            o.name
        );
        out.push(Question {
            frames: [i, j],
            object_ids: vec![o.id],
            definition: "camera_centre_to_obb_change_m",
            ..Question::choice(
                "action_consequence",
                question,
                options,
                answer,
                class.to_string(),
                change as f64,
                change.abs() as f64,
            )
        });
    }
    out
}

fn perspective_taking(inp: &DynamicInputs<'_>, letters: &mut Letters, rng: &mut ChaCha8Rng) -> Vec<Question> {
    let spec = inp.spec;
    let mut candidates = Vec::new();
    for k in (0..inp.poses.len()).step_by(2 * spec.fps.max(1) as usize) {
        let h = heading(&inp.poses[k]);
        // Turning 90 degrees to the left is a counter-clockwise quarter turn seen from above.
        let turn_left = rng.random_bool(0.5);
        let facing = if turn_left { [-h[1], h[0]] } else { [h[1], -h[0]] };
        for a in inp.still {
            for c in inp.still {
                if a.id == c.id {
                    continue;
                }
                let (ac, cc) = (ground(a.obb.center), ground(c.obb.center));
                let to = [cc[0] - ac[0], cc[1] - ac[1]];
                if to[0].hypot(to[1]) < 0.5 {
                    continue;
                }
                let theta = signed_angle_deg(facing, to);
                let margin = theta.abs().min(180.0 - theta.abs());
                if margin < PERSPECTIVE_MARGIN_DEG {
                    continue;
                }
                let class = if theta > 0.0 { "left" } else { "right" };
                // Every corner of C on the same side, so its extent does not straddle the answer.
                let straddles = c.obb.corners().iter().any(|p| {
                    let t = signed_angle_deg(facing, [p.x - ac[0], p.y - ac[1]]);
                    (t > 0.0) != (theta > 0.0) || t.abs() > 175.0
                });
                if !straddles {
                    candidates.push((class, (k as u32, turn_left, *a, *c, theta, margin)));
                }
            }
        }
    }
    let mut out = Vec::new();
    for (class, (k, turn_left, a, c, theta, margin)) in choose_balanced(candidates, spec.max_per_type, rng) {
        let other = if class == "left" { "right" } else { "left" };
        let (options, answer) = letters.place("perspective_taking", class, vec![other.to_string()], rng);
        let question = format!(
            "Imagine standing at the {}, facing the same direction as the camera at second {} of the video, and then turning 90 degrees to your {}. Is the {} to your left or to your right?",
            a.name,
            seconds(k, spec.fps),
            if turn_left { "left" } else { "right" },
            c.name
        );
        out.push(Question {
            frames: [k, k],
            object_ids: vec![a.id, c.id],
            definition: "turned_camera_heading_to_centroid_deg",
            params: vec![("turn_deg", if turn_left { 90.0 } else { -90.0 })],
            ..Question::choice(
                "perspective_taking",
                question,
                options,
                answer,
                class.to_string(),
                theta as f64,
                margin as f64,
            )
        });
    }
    out
}

/// One moving object's displacement from the frame before it starts to the frame it comes to rest.
struct Move<'a> {
    object: &'a SceneObject,
    /// Whether its category has no other instance (its name alone identifies it).
    unique: bool,
    from: u32,
    to: u32,
    delta: Vec3,
}

fn moves<'a>(inp: &DynamicInputs<'a>) -> Vec<Move<'a>> {
    let cats = by_category(inp.layout);
    let salient = |o: &SceneObject| inp.vis.max_visible_px(o.id) >= inp.spec.min_visible_px;
    let mut out = Vec::new();
    for (id, centres) in &inp.spec.motion_centres {
        let Some(o) = inp.layout.furniture().find(|o| o.id == *id) else { continue };
        let (Some(rest), Some(end)) = (centres.first(), centres.last()) else { continue };
        if !salient(o) {
            continue;
        }
        let Some(first) = centres.iter().position(|c| c.distance(*rest) > 1e-3) else { continue };
        let last = centres.iter().rposition(|c| c.distance(*end) > 1e-3).unwrap_or(first);
        let (from, to) = (first.saturating_sub(1), (last + 1).min(centres.len() - 1));
        let unique = cats.get(o.category.as_str()).is_some_and(|v| v.len() == 1);
        out.push(Move { object: o, unique, from: from as u32, to: to as u32, delta: centres[to] - centres[from] });
    }
    out
}

fn object_movement(inp: &DynamicInputs<'_>, letters: &mut Letters, rng: &mut ChaCha8Rng) -> Vec<Question> {
    let spec = inp.spec;
    let moving_categories: Vec<&str> =
        spec.motion_centres.keys().filter_map(|id| inp.layout.object(*id)).map(|o| o.category.as_str()).collect();
    // Distractors: unique objects that stay still, of categories nothing moving belongs to.
    let still: Vec<&SceneObject> =
        inp.still.iter().copied().filter(|o| !moving_categories.contains(&o.category.as_str())).collect();
    let mut out = Vec::new();
    for m in choose(moves(inp), spec.max_per_type, rng) {
        let o = m.object;
        let span = (seconds(m.from, spec.fps), seconds(m.to, spec.fps));
        let frames = [m.from, m.to];
        // Which object moved: named by category, so any instance of it will do.
        if still.len() >= 3 {
            let distractors: Vec<&SceneObject> = choose(still.clone(), 3, rng);
            let names = distractors.iter().map(|d| d.name.clone()).collect();
            let (options, answer) = letters.place("obj_movement_which", &o.name, names, rng);
            let mut ids = vec![o.id];
            ids.extend(distractors.iter().map(|d| d.id));
            let question = "Which of these objects was moved during the video?".into();
            out.push(Question {
                frames,
                object_ids: ids,
                definition: "box_centre_displacement_m",
                ..Question::choice(
                    "obj_movement_which",
                    question,
                    options,
                    answer,
                    o.name.clone(),
                    m.delta.length() as f64,
                    m.delta.length() as f64,
                )
            });
        }
        if !m.unique {
            continue;
        }
        // Which way, relative to the camera when it started: left/right from the displacement in that camera's
        // frame, towards/away from the change of the ground distance to that camera's centre.
        let cam = &inp.poses[m.from as usize];
        let sideways = cam.camera_from_world(cam.position + m.delta).x;
        let c0 = spec.motion_centres[&o.id][m.from as usize];
        let c1 = c0 + m.delta;
        let planar = |p: Vec3| (p.x - cam.position.x).hypot(p.y - cam.position.y);
        let approach = planar(c1) - planar(c0);
        if sideways.abs() >= MOVEMENT_MARGIN_M && approach.abs() >= MOVEMENT_MARGIN_M {
            let class = movement_class(sideways, approach);
            let distractors = MOVEMENT_CLASSES.iter().filter(|c| **c != class).map(|c| c.to_string()).collect();
            let (options, answer) = letters.place("obj_movement_direction", class, distractors, rng);
            let question = format!(
                "Between second {} and second {} of the video the {} was moved. Relative to the camera at second {}, which way did it move?",
                span.0, span.1, o.name, span.0
            );
            out.push(Question {
                frames,
                object_ids: vec![o.id],
                definition: "start_camera_frame_displacement",
                params: vec![("approach_m", approach as f64)],
                ..Question::choice(
                    "obj_movement_direction",
                    question,
                    options,
                    answer,
                    class.to_string(),
                    sideways as f64,
                    sideways.abs().min(approach.abs()) as f64,
                )
            });
        }
        // How far: the displacement of its box centre.
        let d = m.delta.length();
        if d >= 0.2 {
            let question = format!(
                "Between second {} and second {} of the video the {} was moved. How far (in meters) was it moved?",
                span.0, span.1, o.name
            );
            out.push(Question {
                frames,
                object_ids: vec![o.id],
                definition: "box_centre_displacement_m",
                ..Question::number("obj_movement_distance", question, format!("{:.1}", round_to(d as f64, 1)), d as f64)
            });
        }
    }
    out
}

pub(crate) const MOVEMENT_CLASSES: [&str; 4] = [
    "left and towards the camera",
    "left and away from the camera",
    "right and towards the camera",
    "right and away from the camera",
];

/// The movement class of a displacement `sideways_m` along the camera's right and a change `approach_m` of the
/// ground distance to it.
pub fn movement_class(sideways_m: f32, approach_m: f32) -> &'static str {
    MOVEMENT_CLASSES[usize::from(sideways_m > 0.0) * 2 + usize::from(approach_m > 0.0)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::visibility::FrameVisibility;
    use diorama_layouts::geom::Mat3;
    use rand::SeedableRng;

    /// A 0.4 m cube named `name` standing with its centre at (x, y, 0.2).
    fn cube(template: &SceneObject, id: u32, name: &str, x: f32, y: f32) -> SceneObject {
        let mut o = template.clone();
        (o.id, o.category, o.name) = (id, name.replace(' ', "_"), name.to_string());
        o.obb.center = Vec3::new(x, y, 0.2);
        o.obb.size = Vec3::splat(0.4);
        o.obb.world_from_local = Mat3::IDENTITY;
        o
    }

    /// The camera at the origin at eye height facing +y (so -x is to its left), `frames` frames long.
    fn facing_y(frames: usize, step_m: f32) -> Vec<CameraPose> {
        (0..frames)
            .map(|k| {
                let p = Vec3::new(0.0, k as f32 * step_m, 1.5);
                CameraPose::from_yaw_pitch(p, std::f32::consts::FRAC_PI_2, 0.0)
            })
            .collect()
    }

    /// Every object salient in every frame.
    fn seen(objects: &[SceneObject], frames: u32) -> VisibilitySummary {
        let mut vis = VisibilitySummary::with_salient_px(10);
        let map: Vec<u16> = objects.iter().flat_map(|o| [o.id as u16; 100]).collect();
        for k in 0..frames {
            vis.add(k, &FrameVisibility::from_instance_map(&map, 100, objects.len() as u32));
        }
        vis
    }

    fn spec(fps: u32) -> QaSpec {
        QaSpec { max_per_type: 100, fps, min_visible_px: 10, ..super::super::tests::SPEC }
    }

    fn template() -> (Apartment, SceneObject) {
        let layout = super::super::tests::layout(0);
        let t = layout.furniture().next().expect("furniture").clone();
        (layout, t)
    }

    fn answer_text(q: &Question) -> &str {
        q.ground_truth_text.as_deref().unwrap()
    }

    #[test]
    fn goal_aim_classes_at_canonical_positions() {
        assert_eq!(aim_class(0.0), (0, 22.5));
        assert_eq!(aim_class(90.0).0, 2);
        assert_eq!(aim_class(-100.0), (6, 12.5));
        assert_eq!(aim_class(179.0).0, 4);
        assert_eq!(aim_class(-179.0).0, 4);
        assert!((aim_class(22.0).1 - 0.5).abs() < 1e-4);
        let (layout, t) = template();
        let objects = [
            cube(&t, 1, "tv", 0.0, 3.0),
            cube(&t, 2, "lamp", -2.0, 0.0),
            cube(&t, 3, "plant", 2.0, -2.0),
            cube(&t, 4, "sofa", 0.0, -3.0),
            cube(&t, 5, "desk", -2.0, 2.0),
        ];
        let still: Vec<&SceneObject> = objects.iter().collect();
        let poses = facing_y(1, 0.0);
        let s = spec(1);
        let vis = seen(&objects, 1);
        let inp = DynamicInputs { layout: &layout, vis: &vis, poses: &poses, spec: &s, still: &still };
        let qs = goal_aim(&inp, &mut Letters::default(), &mut ChaCha8Rng::seed_from_u64(0));
        let want = [
            (1, "look straight ahead"),
            (2, "turn left by about 90 degrees"),
            (3, "turn right by about 135 degrees"),
            (4, "turn around"),
            (5, "turn left by about 45 degrees"),
        ];
        assert_eq!(qs.len(), want.len());
        for (id, text) in want {
            let q = qs.iter().find(|q| q.object_ids == [id]).expect("asked");
            assert_eq!(answer_text(q), text, "{}", q.question);
        }
    }

    #[test]
    fn perspective_taking_turns_the_camera_heading() {
        let (layout, t) = template();
        // Standing at the chair; the tv 3 m along +y from it (the camera's heading), the lamp 3 m along -y.
        let objects = [cube(&t, 1, "chair", 0.0, 0.0), cube(&t, 2, "tv", 0.0, 3.0), cube(&t, 3, "lamp", 0.0, -3.0)];
        let still: Vec<&SceneObject> = objects.iter().collect();
        let poses = facing_y(8, 0.0);
        let s = spec(1);
        let vis = seen(&objects, 8);
        let inp = DynamicInputs { layout: &layout, vis: &vis, poses: &poses, spec: &s, still: &still };
        let qs = perspective_taking(&inp, &mut Letters::default(), &mut ChaCha8Rng::seed_from_u64(3));
        let mut turns_seen = [false; 2];
        for q in qs.iter().filter(|q| q.object_ids == [1, 2] || q.object_ids == [1, 3]) {
            let left_turn = q.params == [("turn_deg", 90.0)];
            turns_seen[usize::from(left_turn)] = true;
            // Turned left (facing -x), what was ahead (+y) is on the right; turned right, on the left.
            let ahead = q.object_ids[1] == 2;
            let want = if left_turn == ahead { "right" } else { "left" };
            assert_eq!(answer_text(q), want, "{}", q.question);
        }
        assert_eq!(turns_seen, [true, true], "both turns asked over the seeded draws");
    }

    #[test]
    fn action_consequence_follows_the_camera() {
        let (layout, t) = template();
        // The camera walks 0.25 m per frame along +y; the tv is ahead of it, the lamp behind.
        let objects = [cube(&t, 1, "tv", 0.0, 6.0), cube(&t, 2, "lamp", 0.5, -2.0)];
        let still: Vec<&SceneObject> = objects.iter().collect();
        let poses = facing_y(12, 0.25);
        let s = spec(2);
        let vis = seen(&objects, 12);
        let inp = DynamicInputs { layout: &layout, vis: &vis, poses: &poses, spec: &s, still: &still };
        let qs = action_consequence(&inp, &mut Letters::default(), &mut ChaCha8Rng::seed_from_u64(0));
        assert!(qs.iter().any(|q| q.object_ids == [1]) && qs.iter().any(|q| q.object_ids == [2]));
        for q in &qs {
            assert_eq!(answer_text(q), if q.object_ids == [1] { "closer" } else { "farther" });
            assert!(q.margin.unwrap() >= 0.3);
        }
    }

    #[test]
    fn object_movement_relative_to_the_starting_camera() {
        let (layout, _) = template();
        // Of the layout's own furniture, one piece (unique in its category) slides 1 m right and 1 m away
        // from the camera between frames 2 and 6.
        let moving = layout
            .furniture()
            .find(|o| layout.furniture().filter(|p| p.category == o.category).count() == 1)
            .expect("a unique piece")
            .clone();
        let start = Vec3::new(1.0, 3.0, moving.obb.center.z);
        let centres: Vec<Vec3> = (0..10)
            .map(|k| {
                let f = ((k as f32 - 2.0) / 4.0).clamp(0.0, 1.0);
                start + Vec3::new(f, f, 0.0)
            })
            .collect();
        let objects: Vec<SceneObject> = layout.furniture().cloned().collect();
        let poses = facing_y(10, 0.0);
        let mut s = spec(1);
        s.motion_centres.insert(moving.id, centres);
        let vis = seen(&objects, 10);
        let still: Vec<&SceneObject> = vec![];
        let inp = DynamicInputs { layout: &layout, vis: &vis, poses: &poses, spec: &s, still: &still };
        let qs = object_movement(&inp, &mut Letters::default(), &mut ChaCha8Rng::seed_from_u64(0));
        let dir = qs.iter().find(|q| q.question_type == "obj_movement_direction").expect("direction asked");
        assert_eq!(answer_text(dir), "right and away from the camera");
        assert_eq!(dir.frames, [2, 6]);
        let dist = qs.iter().find(|q| q.question_type == "obj_movement_distance").expect("distance asked");
        assert_eq!(dist.answer, "1.4");
        assert_eq!(movement_class(-0.3, -0.2), "left and towards the camera");
    }
}
