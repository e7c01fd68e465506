//! Questions in the wording of VSI-Bench, with answers computed from the exact scene state.
//!
//! Numeric tasks (scored with MRA): object_counting, object_abs_distance, object_size_estimation,
//! room_size_estimation. Multiple-choice tasks (scored by exact match of the letter, letters balanced per scene):
//! object_rel_distance, object_rel_direction_easy / _medium / _hard, obj_appearance_order. Objects a question
//! names must be seen well enough in the video (`QaSpec::min_visible_px` in some frame); categories named alone
//! must be unique; each multiple-choice task drops questions whose answer is within its margin of a wrong one
//! (`../shared/spec/qa-reference.md` §1.5, 1.6, 1.8).

use std::collections::BTreeMap;

use diorama_layouts::geom::parts_distance;
use diorama_layouts::{Apartment, SceneObject};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

mod route;
mod sat;

pub use route::{TURN_CLASSES, turn_class};
pub use sat::{aim_class, movement_class};

use crate::camera::CameraPose;
use crate::paths::PathScene;
use crate::visibility::VisibilitySummary;
use diorama_layouts::geom::Vec3;

#[derive(Debug, Clone, PartialEq)]
pub struct QaSpec {
    /// Least visible pixels (in some frame) for an object to be named in a question.
    pub min_visible_px: u32,
    /// At most this many questions of each type per scene.
    pub max_per_type: u32,
    /// Distances below this are not asked about (VSI-Bench / VLM-3R eligibility), metres.
    pub min_abs_distance_m: f32,
    /// Frames per second of the video (appearance times must differ by more than a second).
    pub fps: u32,
    /// Box centre at every frame of each object that moves during the video. No question asks where these
    /// are (their count and size still hold); the object-movement questions ask how they moved.
    pub motion_centres: BTreeMap<u32, Vec<Vec3>>,
    /// Multiple-choice questions carry a "cannot be determined from the video" option, the answer of the
    /// questions turned into abstentions ([`abstain`]).
    pub abstention: bool,
}

impl QaSpec {
    pub fn is_moving(&self, id: u32) -> bool {
        self.motion_centres.contains_key(&id)
    }
}

/// One question with its exact answer; the emitter adds scene and video paths.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Question {
    pub question_type: &'static str,
    pub question: String,
    /// Rounded answer as the benchmark states it.
    pub answer: String,
    /// Exact value before rounding (numeric questions); for multiple choice, the margin's value (see `margin`).
    pub ground_truth: f64,
    /// Multiple choice: the correct option's text, the contract's `ground_truth`.
    pub ground_truth_text: Option<String>,
    /// How far the answer is from the nearest wrong one (metres, degrees or frames; see `definition`).
    pub margin: Option<f64>,
    pub metric: &'static str,
    /// Multiple-choice options (`"A. ..."`), with `answer` their letter; None for numeric questions.
    pub options: Option<Vec<String>>,
    pub frames: [u32; 2],
    pub object_ids: Vec<u32>,
    /// How the value is defined (recorded in provenance).
    pub definition: &'static str,
    /// Parameters the question was posed with (recorded in provenance), e.g. a turn in degrees.
    pub params: Vec<(&'static str, f64)>,
    /// Route planning: the route's corners on the floor, start to goal (metres, world x/y).
    pub waypoints_m: Vec<[f32; 2]>,
    /// Numeric questions: the training multiple-choice variant (VSI-Bench distractors, letters balanced): the
    /// options and the correct letter.
    pub mc_options: Option<Vec<String>>,
    pub mc_answer: Option<String>,
    /// True for an abstention question (its answer: cannot be determined from the video).
    pub abstain: bool,
}

impl Question {
    /// A numeric question (scored with MRA): its answer as the benchmark states it, and the exact value.
    fn number(question_type: &'static str, question: String, answer: String, value: f64) -> Question {
        Question { question_type, question, answer, ground_truth: value, metric: "mra", ..Default::default() }
    }

    /// A multiple-choice question: the options and letter [`Letters::place`] gave, the correct option's text,
    /// the exact value behind it and its margin from the nearest wrong answer.
    fn choice(
        question_type: &'static str,
        question: String,
        options: Vec<String>,
        answer: String,
        correct: String,
        value: f64,
        margin: f64,
    ) -> Question {
        Question {
            question_type,
            question,
            answer,
            ground_truth: value,
            ground_truth_text: Some(correct),
            margin: Some(margin),
            metric: "accuracy",
            options: Some(options),
            ..Default::default()
        }
    }
}

/// Furniture grouped by category key, in key order.
fn by_category(layout: &Apartment) -> BTreeMap<&str, Vec<&SceneObject>> {
    let mut m: BTreeMap<&str, Vec<&SceneObject>> = BTreeMap::new();
    for o in layout.furniture() {
        m.entry(o.category.as_str()).or_default().push(o);
    }
    m
}

fn frames_of(ids: &[u32], vis: &VisibilitySummary) -> [u32; 2] {
    let seen: Vec<_> = ids.iter().filter_map(|id| vis.objects.get(id)).collect();
    [seen.iter().map(|s| s.first_frame).min().unwrap_or(0), seen.iter().map(|s| s.last_frame).max().unwrap_or(0)]
}

/// Keeps at most `n` items, chosen by a seeded shuffle, in their original order.
fn choose<T>(mut items: Vec<T>, n: u32, rng: &mut ChaCha8Rng) -> Vec<T> {
    let mut keep: Vec<usize> = (0..items.len()).collect();
    for i in (1..keep.len()).rev() {
        keep.swap(i, rng.random_range(0..=i));
    }
    keep.truncate(n as usize);
    keep.sort_unstable();
    let mut out = Vec::with_capacity(keep.len());
    for (i, item) in items.drain(..).enumerate() {
        if keep.binary_search(&i).is_ok() {
            out.push(item);
        }
    }
    out
}

/// All questions for one scene, in a fixed type order.
pub fn generate(
    layout: &Apartment,
    vis: &VisibilitySummary,
    poses: &[CameraPose],
    frame_count: u32,
    spec: &QaSpec,
    nav: Option<&PathScene<'_>>,
    rng: &mut ChaCha8Rng,
) -> Vec<Question> {
    let cats = by_category(layout);
    let salient = |o: &SceneObject| vis.max_visible_px(o.id) >= spec.min_visible_px;
    let mut out = Vec::new();

    // object_counting: categories with two or more instances, every one of them seen.
    let counting: Vec<_> = cats.iter().filter(|(_, objs)| objs.len() >= 2 && objs.iter().all(|o| salient(o))).collect();
    for (_, objs) in choose(counting, spec.max_per_type, rng) {
        let ids: Vec<u32> = objs.iter().map(|o| o.id).collect();
        let question = format!("How many {}(s) are in this room?", objs[0].name);
        out.push(Question {
            frames: frames_of(&ids, vis),
            object_ids: ids,
            definition: "instance_count",
            ..Question::number("object_counting", question, objs.len().to_string(), objs.len() as f64)
        });
    }

    let unique: Vec<&SceneObject> =
        cats.values().filter(|objs| objs.len() == 1 && salient(objs[0])).map(|objs| objs[0]).collect();

    // Unique objects that stay where they are: the ones a question may ask the place of.
    let still: Vec<&SceneObject> = unique.iter().copied().filter(|o| !spec.is_moving(o.id)).collect();

    // object_abs_distance: closest points of the two solid oriented boxes (parry3d), unique categories.
    let mut pairs = Vec::new();
    for (i, a) in still.iter().enumerate() {
        for b in &still[i + 1..] {
            let d = parts_distance(&[a.obb.as_primitive()], &[b.obb.as_primitive()]);
            if d >= spec.min_abs_distance_m {
                pairs.push((*a, *b, d));
            }
        }
    }
    for (a, b, d) in choose(pairs, spec.max_per_type, rng) {
        let ids = vec![a.id, b.id];
        let question = format!(
            "Measuring from the closest point of each object, what is the direct distance between the {} and the {} (in meters)?",
            a.name, b.name
        );
        out.push(Question {
            frames: frames_of(&ids, vis),
            object_ids: ids,
            definition: "obb_closest_point",
            ..Question::number("object_abs_distance", question, format!("{:.1}", round_to(d as f64, 1)), d as f64)
        });
    }

    // object_size_estimation: the longest side of the box, height included, in centimetres.
    for o in choose(unique.clone(), spec.max_per_type, rng) {
        let cm = o.obb.size.max_element() as f64 * 100.0;
        let question = format!(
            "What is the length of the longest dimension (length, width, or height) of the {}, measured in centimeters?",
            o.name
        );
        out.push(Question {
            frames: frames_of(&[o.id], vis),
            object_ids: vec![o.id],
            definition: "obb_longest_side",
            ..Question::number("object_size_estimation", question, format!("{}", cm.round() as i64), cm)
        });
    }

    // room_size_estimation: floor area of the rooms the camera walks through (VSI-Bench: "the combined space"),
    // indoors: a balcony is not part of a room's size.
    let area: f64 = layout.rooms.iter().filter(|l| !l.room.outdoor).map(|l| l.room.area_m2() as f64).sum();
    let question = "What is the size of this room (in square meters)?\nIf multiple rooms are shown, estimate the size of the combined space.".into();
    out.push(Question {
        frames: [0, frame_count.saturating_sub(1)],
        object_ids: vec![],
        definition: "floor_polygon_area",
        ..Question::number("room_size_estimation", question, format!("{:.1}", round_to(area, 1)), area)
    });
    let mut letters = Letters::default();
    out.extend(multiple_choice(layout, vis, spec, &unique, &still, &mut letters, rng));
    out.extend(camera_tasks(vis, poses, spec, &still, &mut letters, rng));
    let inputs = sat::DynamicInputs { layout, vis, poses, spec, still: &still };
    out.extend(sat::dynamic_tasks(&inputs, &mut letters, rng));
    if let Some(nav) = nav {
        out.extend(route::route_planning(nav, &still, vis, spec, &mut letters, rng));
    }
    numeric_choices(&mut out, &mut letters, rng);
    if spec.abstention {
        offer_abstention(&mut out);
    }
    out
}

/// Intervals `(i, j)` of one to three seconds, starting every half second, within `n` frames.
fn intervals(n: usize, fps: u32) -> Vec<(usize, usize)> {
    let fps = fps.max(1) as usize;
    let mut out = Vec::new();
    for i in (0..n).step_by((fps / 2).max(1)) {
        for len in [fps, 2 * fps, 3 * fps] {
            if i + len < n {
                out.push((i, i + len));
            }
        }
    }
    out
}

/// Keeps at most `n` items, taking the classes in turn (each class's items in a seeded shuffle), so that no
/// answer is more common than another by more than one where the candidates allow; kept in class order.
fn choose_balanced<C: Ord + Copy, T>(items: Vec<(C, T)>, n: u32, rng: &mut ChaCha8Rng) -> Vec<(C, T)> {
    let mut by_class: BTreeMap<C, Vec<T>> = BTreeMap::new();
    for (c, t) in items {
        by_class.entry(c).or_default().push(t);
    }
    let mut pools: Vec<(C, std::vec::IntoIter<T>)> = by_class
        .into_iter()
        .map(|(c, ts)| {
            let len = ts.len() as u32;
            (c, choose_shuffled(ts, len, rng).into_iter())
        })
        .collect();
    let mut out = Vec::new();
    while (out.len() as u32) < n {
        let before = out.len();
        for (c, pool) in pools.iter_mut() {
            if (out.len() as u32) < n
                && let Some(t) = pool.next()
            {
                out.push((*c, t));
            }
        }
        if out.len() == before {
            break;
        }
    }
    out
}

/// All items in a seeded random order.
fn choose_shuffled<T>(mut items: Vec<T>, n: u32, rng: &mut ChaCha8Rng) -> Vec<T> {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.random_range(0..=i));
    }
    items.truncate(n as usize);
    items
}

/// Distance from a point to a solid oriented box (0 inside).
fn point_box_distance(p: Vec3, o: &SceneObject) -> f32 {
    let local = o.obb.world_from_local.transpose() * (p - o.obb.center);
    let half = o.obb.size * 0.5;
    (local - local.clamp(-half, half)).length()
}

fn seconds(k: u32, fps: u32) -> String {
    format!("{:.1}", k as f64 / fps as f64)
}

/// Camera tasks in the style of VSTI-Bench, from the exact camera poses: how far and in which direction the
/// camera moved between two instants, how far an object is from it, and which of four objects is nearest.
fn camera_tasks(
    vis: &VisibilitySummary,
    poses: &[CameraPose],
    spec: &QaSpec,
    still: &[&SceneObject],
    letters: &mut Letters,
    rng: &mut ChaCha8Rng,
) -> Vec<Question> {
    let mut out = Vec::new();
    let fps = spec.fps.max(1) as usize;
    let n = poses.len();
    let intervals = intervals(n, spec.fps);
    // camera_displacement: 0.2 to 10 m (VSTI-Bench's filter).
    let moves: Vec<(usize, usize, f32)> = intervals
        .iter()
        .map(|&(i, j)| (i, j, poses[j].position.distance(poses[i].position)))
        .filter(|(_, _, d)| (0.2..=10.0).contains(d))
        .collect();
    for (i, j, d) in choose(moves, spec.max_per_type, rng) {
        let question = format!(
            "Approximately how far (in meters) did the camera move between second {} and second {} of the video?",
            seconds(i as u32, spec.fps),
            seconds(j as u32, spec.fps)
        );
        out.push(Question {
            frames: [i as u32, j as u32],
            object_ids: vec![],
            definition: "camera_centre_displacement",
            ..Question::number("camera_displacement", question, format!("{:.1}", round_to(d as f64, 1)), d as f64)
        });
    }
    // camera_movement_direction: the displacement in the starting camera's frame; its dominant horizontal axis
    // must exceed 1 m and twice the other.
    let dirs: Vec<(usize, usize, &str, f32)> = intervals
        .iter()
        .filter_map(|&(i, j)| {
            let d = poses[i].camera_from_world(poses[j].position);
            let (x, z) = (d.x.abs(), d.z.abs());
            let (big, small) = (x.max(z), x.min(z));
            if big < 1.0 || big < 2.0 * small {
                return None;
            }
            let class = if z >= x {
                if d.z > 0.0 { "forward" } else { "backward" }
            } else if d.x > 0.0 {
                "right"
            } else {
                "left"
            };
            Some((i, j, class, big - small))
        })
        .collect();
    for (i, j, class, margin) in choose(dirs, spec.max_per_type, rng) {
        let distractors =
            ["forward", "backward", "left", "right"].iter().filter(|c| **c != class).map(|c| c.to_string()).collect();
        let (options, answer) = letters.place("camera_movement_direction", class, distractors, rng);
        let question = format!(
            "During the sequence between second {} and second {} of the video, what was the primary consistent direction of the camera's movement relative to its orientation at the start?",
            seconds(i as u32, spec.fps),
            seconds(j as u32, spec.fps)
        );
        out.push(Question {
            frames: [i as u32, j as u32],
            object_ids: vec![],
            definition: "start_camera_frame_dominant_axis",
            ..Question::choice(
                "camera_movement_direction",
                question,
                options,
                answer,
                class.to_string(),
                margin as f64,
                margin as f64,
            )
        });
    }
    // ego_rotation (SAT's egocentric movement): which way the camera turned over the interval, its heading
    // change between 20 and 160 degrees (far from straight ahead and from a half turn).
    let turns: Vec<(usize, usize, &str, f32)> = intervals
        .iter()
        .filter_map(|&(i, j)| {
            let (a, b) = (poses[i].forward(), poses[j].forward());
            let turn = signed_angle_deg([a.x, a.y], [b.x, b.y]);
            (20.0..=160.0).contains(&turn.abs()).then_some((i, j, if turn > 0.0 { "left" } else { "right" }, turn))
        })
        .collect();
    for (i, j, class, turn) in choose(turns, spec.max_per_type, rng) {
        let distractors = vec![if class == "left" { "right".to_string() } else { "left".to_string() }];
        let (options, answer) = letters.place("ego_rotation", class, distractors, rng);
        let question = format!(
            "Between second {} and second {} of the video, did the camera turn to the left or to the right?",
            seconds(i as u32, spec.fps),
            seconds(j as u32, spec.fps)
        );
        // Degrees from the nearest ambiguous heading change (none, or a half turn).
        out.push(Question {
            frames: [i as u32, j as u32],
            object_ids: vec![],
            definition: "heading_change_deg",
            ..Question::choice(
                "ego_rotation",
                question,
                options,
                answer,
                class.to_string(),
                turn as f64,
                (turn.abs().min(180.0 - turn.abs())) as f64,
            )
        });
    }
    // cam_obj_abs_dist: a unique object salient in the frame, 0.2 to 10 m from the camera centre.
    let mut sightings = Vec::new();
    for o in still {
        for &k in vis.salient_frames.get(&o.id).map(Vec::as_slice).unwrap_or_default().iter().step_by(fps) {
            let Some(pose) = poses.get(k as usize) else { continue };
            let d = point_box_distance(pose.position, o);
            if (0.2..=10.0).contains(&d) {
                sightings.push((*o, k, d));
            }
        }
    }
    for (o, k, d) in choose(sightings, spec.max_per_type, rng) {
        let question = format!(
            "What is the approximate distance (in meters) between the camera (or the person filming) and the nearest point of the {} at second {} of the video?",
            o.name,
            seconds(k, spec.fps)
        );
        out.push(Question {
            frames: [k, k],
            object_ids: vec![o.id],
            definition: "camera_centre_to_obb",
            ..Question::number("cam_obj_abs_dist", question, format!("{:.1}", round_to(d as f64, 1)), d as f64)
        });
    }
    // cam_obj_rel_dist: four unique objects salient in one frame, their distances at least 0.15 m apart.
    let mut frames_four = Vec::new();
    for k in (0..n as u32).step_by(fps) {
        let seen: Vec<&SceneObject> = still
            .iter()
            .copied()
            .filter(|o| vis.salient_frames.get(&o.id).is_some_and(|f| f.binary_search(&k).is_ok()))
            .collect();
        if seen.len() < 4 {
            continue;
        }
        let four = choose(seen, 4, rng);
        let pos = poses[k as usize].position;
        let dist: Vec<f32> = four.iter().map(|o| point_box_distance(pos, o)).collect();
        let mut sorted = dist.clone();
        sorted.sort_by(f32::total_cmp);
        if sorted.windows(2).any(|w| w[1] - w[0] < 0.15) {
            continue;
        }
        frames_four.push((k, four, dist, sorted[1] - sorted[0]));
    }
    for (k, four, dist, margin) in choose(frames_four, spec.max_per_type, rng) {
        let best = (0..4).min_by(|&a, &b| dist[a].total_cmp(&dist[b])).expect("four");
        let distractors = (0..4).filter(|&i| i != best).map(|i| four[i].name.clone()).collect();
        let (options, answer) = letters.place("cam_obj_rel_dist", &four[best].name, distractors, rng);
        let listed: Vec<&str> = options.iter().map(|o| &o[3..]).collect();
        let question = format!(
            "Measuring from the closest point of each object, which of these objects ({}) is the closest to the camera at second {} of the video?",
            listed.join(", "),
            seconds(k, spec.fps)
        );
        out.push(Question {
            frames: [k, k],
            object_ids: four.iter().map(|o| o.id).collect(),
            definition: "camera_centre_to_obb_argmin",
            ..Question::choice(
                "cam_obj_rel_dist",
                question,
                options,
                answer,
                four[best].name.clone(),
                margin as f64,
                margin as f64,
            )
        });
    }
    out
}

/// Places correct answers on the least-used letters of the scene so far (VSI-Bench's letter balancing), the
/// distractors shuffled around them.
#[derive(Debug, Default)]
struct Letters {
    /// Per question type (tasks have different option counts), how often each letter was the answer.
    used: BTreeMap<&'static str, [u32; 4]>,
}

const LETTERS: [char; 5] = ['A', 'B', 'C', 'D', 'E'];

impl Letters {
    /// The options (`"A. text"`) and the correct letter.
    fn place(
        &mut self,
        question_type: &'static str,
        correct: &str,
        mut distractors: Vec<String>,
        rng: &mut ChaCha8Rng,
    ) -> (Vec<String>, String) {
        let n = distractors.len() + 1;
        let used = self.used.entry(question_type).or_default();
        for i in (1..distractors.len()).rev() {
            distractors.swap(i, rng.random_range(0..=i));
        }
        let least = (0..n).map(|i| used[i]).min().expect("options");
        let slots: Vec<usize> = (0..n).filter(|&i| used[i] == least).collect();
        let at = slots[rng.random_range(0..slots.len())];
        used[at] += 1;
        distractors.insert(at, correct.to_string());
        let options = distractors.iter().enumerate().map(|(i, t)| format!("{}. {t}", LETTERS[i])).collect();
        (options, LETTERS[at].to_string())
    }
}

/// Signed planar angle (degrees, (-180, 180]) from `f` to `q` seen from above (+Z up): positive means `q` is
/// counter-clockwise from `f`, i.e. to the LEFT of someone facing along `f` (qa-reference §0.1).
pub fn signed_angle_deg(f: [f32; 2], q: [f32; 2]) -> f32 {
    (f[0] * q[1] - f[1] * q[0]).atan2(f[0] * q[0] + f[1] * q[1]).to_degrees()
}

/// The relative-direction class of angle `theta` (degrees, left positive) for a task, or None within
/// `margin_deg` of a class boundary. Hard: quadrants; medium: back beyond 135 degrees, else left or right;
/// easy: left or right.
pub fn direction_class(task: &str, theta: f32, margin_deg: f32) -> Option<&'static str> {
    let near = |b: f32| (theta - b).abs() < margin_deg || (theta + b).abs() < margin_deg;
    match task {
        "hard" => {
            if near(0.0) || near(90.0) || near(180.0) {
                return None;
            }
            Some(match theta {
                t if t > 0.0 && t < 90.0 => "front-left",
                t if t >= 90.0 => "back-left",
                t if t < 0.0 && t > -90.0 => "front-right",
                _ => "back-right",
            })
        }
        "medium" => {
            if near(0.0) || near(135.0) || near(180.0) {
                return None;
            }
            Some(if theta.abs() >= 135.0 {
                "back"
            } else if theta > 0.0 {
                "left"
            } else {
                "right"
            })
        }
        _ => {
            if near(0.0) || near(180.0) {
                return None;
            }
            Some(if theta > 0.0 { "left" } else { "right" })
        }
    }
}

/// Degrees from `theta` to the nearest boundary between the task's classes.
fn boundary_margin(task: &str, theta: f32) -> f32 {
    let bounds: &[f32] = match task {
        "hard" => &[0.0, 90.0, -90.0, 180.0, -180.0],
        "medium" => &[0.0, 135.0, -135.0, 180.0, -180.0],
        _ => &[0.0, 180.0, -180.0],
    };
    bounds.iter().map(|b| (theta - b).abs()).fold(f32::INFINITY, f32::min)
}

fn ground(v: diorama_layouts::geom::Vec3) -> [f32; 2] {
    [v.x, v.y]
}

/// The multiple-choice tasks: relative distance, relative direction (three levels), appearance order.
fn multiple_choice(
    layout: &Apartment,
    vis: &VisibilitySummary,
    spec: &QaSpec,
    unique: &[&SceneObject],
    still: &[&SceneObject],
    letters: &mut Letters,
    rng: &mut ChaCha8Rng,
) -> Vec<Question> {
    let mut out = Vec::new();
    let salient = |o: &SceneObject| vis.max_visible_px(o.id) >= spec.min_visible_px;
    let indoor_m2: f32 = layout.rooms.iter().filter(|l| !l.room.outdoor).map(|l| l.room.area_m2()).sum();

    // object_rel_distance: a unique primary, four other categories (the closest instance of each); any two of
    // the four distances closer than tau (0.30 m in rooms over 40 m², else 0.15 m) is ambiguous.
    let tau = if indoor_m2 > 40.0 { 0.30 } else { 0.15 };
    let cats = by_category(layout);
    let mut candidates = Vec::new();
    for primary in still {
        let others: Vec<(&str, Vec<&SceneObject>)> = cats
            .iter()
            .filter(|(c, objs)| {
                **c != primary.category.as_str() && objs.iter().all(|o| salient(o) && !spec.is_moving(o.id))
            })
            .map(|(c, objs)| (*c, objs.clone()))
            .collect();
        if others.len() < 4 {
            continue;
        }
        let four = choose(others, 4, rng);
        let dist: Vec<f32> = four
            .iter()
            .map(|(_, objs)| {
                objs.iter()
                    .map(|o| parts_distance(&[o.obb.as_primitive()], &[primary.obb.as_primitive()]))
                    .fold(f32::INFINITY, f32::min)
            })
            .collect();
        let mut sorted = dist.clone();
        sorted.sort_by(f32::total_cmp);
        if sorted[0] < 0.15 || sorted.windows(2).any(|w| w[1] - w[0] < tau) {
            continue;
        }
        candidates.push((*primary, four, dist, sorted[1] - sorted[0]));
    }
    for (primary, four, dist, margin) in choose(candidates, spec.max_per_type, rng) {
        let best = (0..4).min_by(|&a, &b| dist[a].total_cmp(&dist[b])).expect("four");
        let name = |objs: &Vec<&SceneObject>| objs[0].name.clone();
        let distractors: Vec<String> = (0..4).filter(|&i| i != best).map(|i| name(&four[i].1)).collect();
        let (options, answer) = letters.place("object_rel_distance", &name(&four[best].1), distractors, rng);
        let listed: Vec<&str> = options.iter().map(|o| &o[3..]).collect();
        let mut ids = vec![primary.id];
        ids.extend(four.iter().flat_map(|(_, objs)| objs.iter().map(|o| o.id)));
        let question = format!(
            "Measuring from the closest point of each object, which of these objects ({}) is the closest to the {}?",
            listed.join(", "),
            primary.name
        );
        out.push(Question {
            frames: frames_of(&ids, vis),
            object_ids: ids,
            definition: "obb_closest_point_argmin",
            ..Question::choice(
                "object_rel_distance",
                question,
                options,
                answer,
                name(&four[best].1),
                margin as f64,
                margin as f64,
            )
        });
    }

    // object_rel_direction: standing by P facing O, where is Q? Centroids on the ground plane, 10 degrees from
    // every class boundary, pairwise box distances 0.3 to 5 m, and at most two of Q's box corners in another
    // class than its centre.
    for (task, qtype) in [
        ("easy", "object_rel_direction_easy"),
        ("medium", "object_rel_direction_medium"),
        ("hard", "object_rel_direction_hard"),
    ] {
        let mut triples = Vec::new();
        for p in still {
            for o in still {
                for q in still {
                    if p.id == o.id || p.id == q.id || o.id == q.id {
                        continue;
                    }
                    let (pc, oc, qc) = (ground(p.obb.center), ground(o.obb.center), ground(q.obb.center));
                    let f = [oc[0] - pc[0], oc[1] - pc[1]];
                    if f[0].hypot(f[1]) < 0.3 {
                        continue;
                    }
                    let d = |a: &SceneObject, b: &SceneObject| {
                        parts_distance(&[a.obb.as_primitive()], &[b.obb.as_primitive()])
                    };
                    if [d(p, o), d(p, q), d(o, q)].iter().any(|x| !(0.3..=5.0).contains(x)) {
                        continue;
                    }
                    let theta = signed_angle_deg(f, [qc[0] - pc[0], qc[1] - pc[1]]);
                    let Some(class) = direction_class(task, theta, 10.0) else { continue };
                    let corners_off = q
                        .obb
                        .corners()
                        .iter()
                        .filter(|c| {
                            let t = signed_angle_deg(f, [c.x - pc[0], c.y - pc[1]]);
                            direction_class(task, t, 0.0) != Some(class)
                        })
                        .count();
                    if corners_off > 2 {
                        continue;
                    }
                    triples.push((*p, *o, *q, class, theta));
                }
            }
        }
        for (p, o, q, class, theta) in choose(triples, spec.max_per_type, rng) {
            let classes: &[&str] = match task {
                "hard" => &["front-left", "front-right", "back-left", "back-right"],
                "medium" => &["left", "right", "back"],
                _ => &["left", "right"],
            };
            let distractors = classes.iter().filter(|c| **c != class).map(|c| c.to_string()).collect();
            let (options, answer) = letters.place(qtype, class, distractors, rng);
            let lead = format!("If I am standing by the {} and facing the {}, ", p.name, o.name);
            let question = match task {
                "hard" => format!(
                    "{lead}is the {} to my front-left, front-right, back-left, or back-right?\nThe directions refer to the quadrants of a Cartesian plane (if I am standing at the origin and facing along the positive y-axis).",
                    q.name
                ),
                "medium" => format!(
                    "{lead}is the {} to my left, right, or back?\nAn object is to my back if I would have to turn at least 135 degrees in order to face it.",
                    q.name
                ),
                _ => format!("{lead}is the {} to the left or the right of the {}?", q.name, o.name),
            };
            let ids = vec![p.id, o.id, q.id];
            // Degrees to the nearest class boundary.
            out.push(Question {
                frames: frames_of(&ids, vis),
                object_ids: ids,
                definition: "centroid_ground_angle_deg",
                ..Question::choice(
                    qtype,
                    question,
                    options,
                    answer,
                    class.to_string(),
                    theta as f64,
                    boundary_margin(task, theta) as f64,
                )
            });
        }
    }

    // obj_appearance_order: four unique categories whose first salient frames are more than a second apart.
    let firsts: Vec<(&SceneObject, u32)> = unique
        .iter()
        .filter_map(|o| vis.objects.get(&o.id).and_then(|s| s.first_salient_frame).map(|f| (*o, f)))
        .collect();
    let mut quads = Vec::new();
    for _ in 0..(spec.max_per_type * 8) {
        if firsts.len() < 4 {
            break;
        }
        let mut pick = choose(firsts.clone(), 4, rng);
        pick.sort_by_key(|(_, f)| *f);
        let apart = pick.windows(2).all(|w| w[1].1 - w[0].1 > spec.fps);
        let key: Vec<u32> = pick.iter().map(|(o, _)| o.id).collect();
        if apart && !quads.iter().any(|(k, _): &(Vec<u32>, _)| *k == key) {
            quads.push((key, pick));
        }
        if quads.len() as u32 >= spec.max_per_type {
            break;
        }
    }
    for (ids, pick) in quads {
        let order: Vec<String> = pick.iter().map(|(o, _)| o.name.clone()).collect();
        let correct = order.join(", ");
        let mut distractors: Vec<String> = Vec::new();
        while distractors.len() < 3 {
            let mut perm = order.clone();
            for i in (1..perm.len()).rev() {
                perm.swap(i, rng.random_range(0..=i));
            }
            let text = perm.join(", ");
            if text != correct && !distractors.contains(&text) {
                distractors.push(text);
            }
        }
        let mut shown = order.clone();
        for i in (1..shown.len()).rev() {
            shown.swap(i, rng.random_range(0..=i));
        }
        let (options, answer) = letters.place("obj_appearance_order", &correct, distractors, rng);
        let gap = pick.windows(2).map(|w| w[1].1 - w[0].1).min().unwrap_or(0);
        let question = format!(
            "What will be the first-time appearance order of the following categories in the video: {}?",
            shown.join(", ")
        );
        out.push(Question {
            frames: [pick[0].1, pick[3].1],
            object_ids: ids,
            definition: "first_salient_frame_order",
            ..Question::choice(
                "obj_appearance_order",
                question,
                options,
                answer,
                correct.clone(),
                gap as f64,
                gap as f64,
            )
        });
    }
    out
}

/// The option an abstention question answers with.
pub const ABSTAIN: &str = "cannot be determined from the video";

/// VSI-Bench's numeric distractors (`generate_multiple_choice`): three values drawn uniformly from
/// `[lb, ub] x truth` at `decimals`, each redrawn (at most 30 times) while within `EPS = ceil(0.2 truth 10^d) /
/// 10^d` of the truth or of another; None when they stay too close.
pub fn numeric_distractors(truth: f64, lb: f64, ub: f64, decimals: i32, rng: &mut ChaCha8Rng) -> Option<Vec<f64>> {
    let scale = 10f64.powi(decimals);
    let eps = (truth * 0.2 * scale).ceil() / scale;
    let draw = |rng: &mut ChaCha8Rng| round_to(rng.random_range(lb * truth..=ub * truth), decimals);
    let mut c: Vec<f64> = (0..3).map(|_| draw(rng)).collect();
    let too_close = |c: &[f64], i: usize| {
        (c[i] - truth).abs() < eps - 1e-9 || (0..c.len()).any(|j| j != i && (c[i] - c[j]).abs() < eps - 1e-9)
    };
    for _ in 0..30 {
        match (0..3).find(|&i| too_close(&c, i)) {
            None => return Some(c),
            Some(i) => c[i] = draw(rng),
        }
    }
    None
}

/// Count distractors (VSI-Bench): offsets drawn without replacement from -3..=3 (widened to -5..=5 when that
/// cannot give three distinct positive values), each `max(1, truth + offset)`.
pub fn count_distractors(truth: i64, rng: &mut ChaCha8Rng) -> Option<Vec<i64>> {
    for reach in [3i64, 5] {
        let offsets: Vec<i64> = (-reach..=reach).filter(|&o| o != 0).collect();
        let mut values = Vec::new();
        for off in choose_shuffled(offsets, u32::MAX, rng) {
            let v = (truth + off).max(1);
            if v != truth && !values.contains(&v) {
                values.push(v);
            }
            if values.len() == 3 {
                return Some(values);
            }
        }
    }
    None
}

/// Gives every numeric question its training multiple-choice variant (`mc_options`, `mc_answer`), with the
/// rounded answer among VSI-Bench-style distractors; a question whose distractors cannot be kept apart has none.
fn numeric_choices(questions: &mut [Question], letters: &mut Letters, rng: &mut ChaCha8Rng) {
    for q in questions.iter_mut().filter(|q| q.options.is_none() && q.metric == "mra") {
        let Ok(truth) = q.answer.parse::<f64>() else { continue };
        let texts: Option<Vec<String>> = match q.question_type {
            "object_counting" => count_distractors(truth as i64, rng).map(|v| v.iter().map(i64::to_string).collect()),
            "object_size_estimation" => {
                numeric_distractors(truth, 0.4, 1.8, 0, rng).map(|v| v.iter().map(|x| format!("{x:.0}")).collect())
            }
            _ => numeric_distractors(truth, 0.25, 1.75, 1, rng).map(|v| v.iter().map(|x| format!("{x:.1}")).collect()),
        };
        if let Some(distractors) = texts {
            let (options, answer) = letters.place(q.question_type, &q.answer, distractors, rng);
            q.mc_options = Some(options);
            q.mc_answer = Some(answer);
        }
    }
}

/// Adds the abstention option after the others of every multiple-choice question, so that its presence says
/// nothing about the answer.
fn offer_abstention(questions: &mut [Question]) {
    for q in questions.iter_mut() {
        if let Some(options) = q.options.as_mut() {
            options.push(format!("{}. {ABSTAIN}", LETTERS[options.len()]));
        }
    }
}

/// Turns a multiple-choice question that offers the abstention option into an abstention question (its objects
/// cannot be seen well enough); false for questions that cannot be (numeric ones, or no such option).
pub fn abstain(q: &mut Question) -> bool {
    let Some(at) = q.options.as_ref().and_then(|o| o.iter().position(|t| t[3..] == *ABSTAIN)) else { return false };
    q.answer = LETTERS[at].to_string();
    q.ground_truth_text = Some(ABSTAIN.to_string());
    q.margin = None;
    q.abstain = true;
    true
}

fn round_to(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (x * f).round() / f
}

/// VSI-Bench's Mean Relative Accuracy of a numeric prediction (thresholds 0.50, 0.55, ..., 0.95, with `<=`).
pub fn mean_relative_accuracy(pred: f64, truth: f64) -> f64 {
    let rel = (pred - truth).abs() / truth.abs();
    (0..10).filter(|i| rel <= 1.0 - (0.5 + 0.05 * *i as f64)).count() as f64 / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::visibility::FrameVisibility;
    use diorama_assets::Manifest;
    use diorama_layouts::{LayoutGenerator, LayoutSpec, Optimizer};
    use rand::SeedableRng;

    pub(super) fn layout(seed: u64) -> Apartment {
        // Dining rooms: several chairs to count, a unique table to measure.
        let spec = LayoutSpec {
            room_types: vec!["dining_room".into()],
            small_per_surface: [1, 2],
            ..LayoutSpec::typical(&Manifest::builtin())
        };
        (seed..seed + 20)
            .find_map(|s| Optimizer.generate(&spec, &Manifest::builtin(), &mut ChaCha8Rng::seed_from_u64(s)).ok())
            .map(Apartment::single)
            .expect("a layout within 20 seeds")
    }

    /// Pretends every object was seen with 5000 pixels in frame 0.
    fn all_seen(layout: &Apartment) -> VisibilitySummary {
        let mut s = VisibilitySummary::default();
        let n = layout.objects().count();
        let mut map = vec![0u16; 5000 * n];
        for (i, o) in layout.objects().enumerate() {
            map[i * 5000..(i + 1) * 5000].fill(o.id as u16);
        }
        s.add(0, &FrameVisibility::from_instance_map(&map, 5000, n as u32));
        s
    }

    pub(super) const SPEC: QaSpec = QaSpec {
        min_visible_px: 100,
        max_per_type: 50,
        min_abs_distance_m: 0.2,
        fps: 12,
        motion_centres: BTreeMap::new(),
        abstention: false,
    };

    /// The left/right convention at all four quadrants: standing at the origin facing +y (world +Z up), -x is
    /// left. Hard, medium and easy classes, and the margin around each boundary.
    #[test]
    fn left_and_right_are_pinned_at_all_four_quadrants() {
        let facing = [0.0, 1.0];
        let cases = [
            ([-1.0, 1.0], 45.0, "front-left", "left", "left"),
            ([1.0, 1.0], -45.0, "front-right", "right", "right"),
            ([-1.0, -1.0], 135.0, "back-left", "left", "left"),
            ([1.0, -1.0], -135.0, "back-right", "right", "right"),
            ([-0.2, -1.0], 168.69, "back-left", "back", "left"),
        ];
        for (q, angle, hard, medium, easy) in cases {
            let t = signed_angle_deg(facing, q);
            assert!((t - angle).abs() < 0.01, "{q:?}: {t}");
            assert_eq!(direction_class("hard", t, 10.0), Some(hard), "{q:?}");
            if (t.abs() - 135.0).abs() >= 10.0 {
                assert_eq!(direction_class("medium", t, 10.0), Some(medium), "{q:?}");
            }
            if t.abs() < 170.0 {
                assert_eq!(direction_class("easy", t, 10.0), Some(easy), "{q:?}");
            }
        }
        // Facing +x instead: +y is to the left.
        assert!(signed_angle_deg([1.0, 0.0], [0.0, 1.0]) > 0.0);
        // Near a boundary, no class.
        assert_eq!(direction_class("hard", 85.0, 10.0), None);
        assert_eq!(direction_class("medium", 130.0, 10.0), None);
        assert_eq!(direction_class("easy", 5.0, 10.0), None);
    }

    /// A camera walking 2 m forward along +y in 2 s, then 1.5 m to its right (+x) in 1 s, facing +y throughout.
    #[test]
    fn camera_tasks_follow_the_poses() {
        let fps = 12;
        let mut poses = Vec::new();
        for k in 0..=36 {
            let t = k as f32 / fps as f32;
            let (x, y) = if t <= 2.0 { (0.0, t) } else { (1.5 * (t - 2.0), 2.0) };
            poses.push(CameraPose::from_yaw_pitch(Vec3::new(x, y, 1.5), std::f32::consts::FRAC_PI_2, 0.0));
        }
        let spec = QaSpec { max_per_type: 1000, ..SPEC };
        let qs = camera_tasks(
            &VisibilitySummary::default(),
            &poses,
            &spec,
            &[],
            &mut Letters::default(),
            &mut ChaCha8Rng::seed_from_u64(1),
        );
        let mut seen = BTreeMap::new();
        for q in &qs {
            let [i, j] = q.frames;
            let (a, b) = (poses[i as usize].position, poses[j as usize].position);
            match q.question_type {
                "camera_displacement" => assert!((q.ground_truth - a.distance(b) as f64).abs() < 1e-5),
                "ego_rotation" => panic!("the path does not turn: {q:?}"),
                "camera_movement_direction" => {
                    let text = q.ground_truth_text.as_deref().unwrap();
                    let expected = if (b - a).y.abs() > (b - a).x.abs() { "forward" } else { "right" };
                    assert_eq!(text, expected, "{q:?}");
                    *seen.entry(text.to_string()).or_insert(0) += 1;
                }
                _ => {}
            }
        }
        assert!(seen.contains_key("forward") && seen.contains_key("right"), "{seen:?}");
    }

    /// A camera panning counter-clockwise (yaw growing) at 30 degrees per second turns left.
    #[test]
    fn a_counter_clockwise_pan_is_a_left_turn() {
        let poses: Vec<CameraPose> = (0..=36)
            .map(|k| {
                CameraPose::from_yaw_pitch(Vec3::new(1.0, 1.0, 1.5), (30.0f32 * k as f32 / 12.0).to_radians(), -0.2)
            })
            .collect();
        let spec = QaSpec { max_per_type: 1000, ..SPEC };
        let qs = camera_tasks(
            &VisibilitySummary::default(),
            &poses,
            &spec,
            &[],
            &mut Letters::default(),
            &mut ChaCha8Rng::seed_from_u64(2),
        );
        let turns: Vec<_> = qs.iter().filter(|q| q.question_type == "ego_rotation").collect();
        assert!(!turns.is_empty());
        for q in turns {
            assert_eq!(q.ground_truth_text.as_deref(), Some("left"));
            let seconds = (q.frames[1] - q.frames[0]) as f64 / 12.0;
            assert!((q.ground_truth - 30.0 * seconds).abs() < 1e-3, "{q:?}");
        }
    }

    #[test]
    fn letters_are_balanced() {
        let mut letters = Letters::default();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut count = [0; 4];
        for _ in 0..40 {
            let (options, answer) = letters.place("t", "yes", vec!["a".into(), "b".into(), "c".into()], &mut rng);
            let i = (answer.as_bytes()[0] - b'A') as usize;
            assert_eq!(options[i], format!("{answer}. yes"));
            count[i] += 1;
        }
        assert_eq!(count, [10; 4]);
    }

    #[test]
    fn answers_match_the_scene() {
        let l = layout(11);
        let qs = generate(&l, &all_seen(&l), &[], 48, &SPEC, None, &mut ChaCha8Rng::seed_from_u64(0));
        let room = qs.iter().find(|q| q.question_type == "room_size_estimation").unwrap();
        let r = &l.rooms[0].room;
        assert!((room.ground_truth - (r.width_m * r.depth_m) as f64).abs() < 1e-4);
        for q in &qs {
            let objs: Vec<_> = q.object_ids.iter().map(|id| l.object(*id).unwrap()).collect();
            match q.question_type {
                "object_counting" => {
                    let n = l.furniture().filter(|o| o.category == objs[0].category).count();
                    assert_eq!(q.answer, n.to_string());
                    assert!(n >= 2);
                }
                "object_size_estimation" => {
                    let s = objs[0].obb.size;
                    assert!((q.ground_truth - 100.0 * s.x.max(s.y).max(s.z) as f64).abs() < 1e-3);
                }
                "object_abs_distance" => {
                    assert!(q.ground_truth >= 0.2);
                    // The box distance never exceeds the distance between the centres.
                    assert!(q.ground_truth <= objs[0].obb.center.distance(objs[1].obb.center) as f64);
                    assert_ne!(objs[0].category, objs[1].category);
                }
                _ => {}
            }
        }
    }

    #[test]
    fn multiple_choice_answers_match_the_scene() {
        let l = layout(11);
        let qs = generate(&l, &all_seen(&l), &[], 48, &SPEC, None, &mut ChaCha8Rng::seed_from_u64(0));
        let mc: Vec<_> = qs.iter().filter(|q| q.options.is_some()).collect();
        assert!(!mc.is_empty());
        for q in mc {
            let options = q.options.as_ref().unwrap();
            let i = (q.answer.as_bytes()[0] - b'A') as usize;
            let text = &options[i][3..];
            let objs: Vec<_> = q.object_ids.iter().map(|id| l.object(*id).unwrap()).collect();
            if q.question_type.starts_with("object_rel_direction") {
                let (p, o, t) = (objs[0].obb.center, objs[1].obb.center, objs[2].obb.center);
                let theta = signed_angle_deg([o.x - p.x, o.y - p.y], [t.x - p.x, t.y - p.y]);
                let task = q.question_type.rsplit('_').next().unwrap();
                assert_eq!(direction_class(task, theta, 10.0), Some(text), "{q:?}");
            }
            if q.question_type == "object_rel_distance" {
                // The answer's category is the nearest of the four to the primary.
                let primary = objs[0];
                let nearest = objs[1..]
                    .iter()
                    .min_by(|a, b| {
                        let d =
                            |o: &&&SceneObject| parts_distance(&[o.obb.as_primitive()], &[primary.obb.as_primitive()]);
                        d(a).total_cmp(&d(b))
                    })
                    .unwrap();
                assert_eq!(text, nearest.name, "{q:?}");
            }
        }
    }

    #[test]
    fn unseen_objects_are_not_asked_about() {
        let l = layout(11);
        let qs = generate(&l, &VisibilitySummary::default(), &[], 48, &SPEC, None, &mut ChaCha8Rng::seed_from_u64(0));
        assert_eq!(qs.len(), 1, "only the room size needs no object: {qs:?}");
    }

    #[test]
    fn mra_matches_the_worked_example() {
        // qa-reference 0.5: y = 2.0, prediction 2.3 -> 0.8.
        assert!((mean_relative_accuracy(2.3, 2.0) - 0.8).abs() < 1e-12);
        assert_eq!(mean_relative_accuracy(2.0, 2.0), 1.0);
        assert_eq!(mean_relative_accuracy(4.0, 2.0), 0.0);
    }
}

#[cfg(test)]
mod choice_tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn numeric_distractors_keep_vsi_bounds_and_spacing() {
        for seed in 0..300 {
            let rng = &mut ChaCha8Rng::seed_from_u64(seed);
            let truth = 0.5 + seed as f64 * 0.05;
            let Some(c) = numeric_distractors(truth, 0.25, 1.75, 1, rng) else { continue };
            let eps = (truth * 0.2 * 10.0).ceil() / 10.0;
            let all = [c[0], c[1], c[2], truth];
            for (i, a) in all.iter().enumerate() {
                assert!(i == 3 || (truth * 0.25 - 0.05..=truth * 1.75 + 0.05).contains(a), "{a} for {truth}");
                for b in &all[i + 1..] {
                    assert!((a - b).abs() >= eps - 1e-9, "{all:?} closer than {eps}");
                }
            }
        }
        // A truth of 0.2 m at one decimal cannot have three values 0.1 apart in [0.05, 0.35] besides itself.
        assert!(numeric_distractors(0.2, 0.25, 1.75, 1, &mut ChaCha8Rng::seed_from_u64(1)).is_none());
    }

    #[test]
    fn count_distractors_are_distinct_positive_neighbours() {
        for truth in 1..12 {
            let c = count_distractors(truth, &mut ChaCha8Rng::seed_from_u64(truth as u64)).unwrap();
            assert_eq!(c.len(), 3);
            assert!(c.iter().all(|&v| v >= 1 && v != truth && (v - truth).abs() <= 5), "{truth}: {c:?}");
            assert!(c[0] != c[1] && c[1] != c[2] && c[0] != c[2]);
        }
    }

    #[test]
    fn balanced_choice_takes_classes_in_turn() {
        let items: Vec<(u8, u32)> = (0..90).map(|i| (if i < 80 { 0 } else { 1 + (i % 2) as u8 }, i)).collect();
        let kept = choose_balanced(items, 9, &mut ChaCha8Rng::seed_from_u64(2));
        let count = |c| kept.iter().filter(|(k, _)| *k == c).count();
        assert_eq!((count(0), count(1), count(2)), (3, 3, 3));
    }

    #[test]
    fn abstention_is_offered_everywhere_and_answers_only_when_turned() {
        let mut qs = vec![
            Question {
                options: Some(vec!["A. left".into(), "B. right".into()]),
                answer: "B".into(),
                ..Default::default()
            },
            Question { answer: "2.0".into(), metric: "mra", ..Default::default() },
        ];
        offer_abstention(&mut qs);
        assert_eq!(qs[0].options.as_ref().unwrap()[2], format!("C. {ABSTAIN}"));
        assert_eq!(qs[0].answer, "B");
        assert!(qs[1].options.is_none());
        assert!(abstain(&mut qs[0]) && qs[0].answer == "C" && qs[0].abstain);
        assert!(!abstain(&mut qs[1]), "a numeric question is dropped, not turned");
    }
}
