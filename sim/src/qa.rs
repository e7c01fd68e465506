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

use crate::visibility::VisibilitySummary;

#[derive(Debug, Clone, PartialEq)]
pub struct QaSpec {
    /// Least visible pixels (in some frame) for an object to be named in a question.
    pub min_visible_px: u32,
    /// At most this many questions of each type per scene.
    pub max_per_type: u32,
    /// Distances below this are not asked about (VSI-Bench / VLM-3R eligibility), metres.
    pub min_abs_distance_m: f32,
    /// Objects that move during the video: no question asks where they are (their count and size still hold).
    pub moving: Vec<u32>,
    /// Frames per second of the video (appearance times must differ by more than a second).
    pub fps: u32,
}

/// One question with its exact answer; the emitter adds scene and video paths.
#[derive(Debug, Clone, PartialEq)]
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
    frame_count: u32,
    spec: &QaSpec,
    rng: &mut ChaCha8Rng,
) -> Vec<Question> {
    let cats = by_category(layout);
    let salient = |o: &SceneObject| vis.max_visible_px(o.id) >= spec.min_visible_px;
    let mut out = Vec::new();

    // object_counting: categories with two or more instances, every one of them seen.
    let counting: Vec<_> = cats.iter().filter(|(_, objs)| objs.len() >= 2 && objs.iter().all(|o| salient(o))).collect();
    for (_, objs) in choose(counting, spec.max_per_type, rng) {
        let ids: Vec<u32> = objs.iter().map(|o| o.id).collect();
        out.push(Question {
            question_type: "object_counting",
            question: format!("How many {}(s) are in this room?", objs[0].name),
            answer: objs.len().to_string(),
            ground_truth: objs.len() as f64,
            metric: "mra",
            options: None,
            ground_truth_text: None,
            margin: None,
            frames: frames_of(&ids, vis),
            object_ids: ids,
            definition: "instance_count",
        });
    }

    let unique: Vec<&SceneObject> =
        cats.values().filter(|objs| objs.len() == 1 && salient(objs[0])).map(|objs| objs[0]).collect();

    // object_abs_distance: closest points of the two solid oriented boxes (parry3d), unique categories.
    let mut pairs = Vec::new();
    let still: Vec<&SceneObject> = unique.iter().copied().filter(|o| !spec.moving.contains(&o.id)).collect();
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
        out.push(Question {
            question_type: "object_abs_distance",
            question: format!(
                "Measuring from the closest point of each object, what is the direct distance between the {} and the {} (in meters)?",
                a.name, b.name
            ),
            answer: format!("{:.1}", round_to(d as f64, 1)),
            ground_truth: d as f64,
            metric: "mra",
            options: None,
            ground_truth_text: None,
            margin: None,
            frames: frames_of(&ids, vis),
            object_ids: ids,
            definition: "obb_closest_point",
        });
    }

    // object_size_estimation: the longest side of the box, height included, in centimetres.
    for o in choose(unique.clone(), spec.max_per_type, rng) {
        let cm = o.obb.size.max_element() as f64 * 100.0;
        out.push(Question {
            question_type: "object_size_estimation",
            question: format!(
                "What is the length of the longest dimension (length, width, or height) of the {}, measured in centimeters?",
                o.name
            ),
            answer: format!("{}", cm.round() as i64),
            ground_truth: cm,
            metric: "mra",
            options: None,
            ground_truth_text: None,
            margin: None,
            frames: frames_of(&[o.id], vis),
            object_ids: vec![o.id],
            definition: "obb_longest_side",
        });
    }

    // room_size_estimation: floor area of the rooms the camera walks through (VSI-Bench: "the combined space"),
    // indoors: a balcony is not part of a room's size.
    let area: f64 = layout.rooms.iter().filter(|l| !l.room.outdoor).map(|l| l.room.area_m2() as f64).sum();
    out.push(Question {
        question_type: "room_size_estimation",
        question: "What is the size of this room (in square meters)?\nIf multiple rooms are shown, estimate the size of the combined space.".into(),
        answer: format!("{:.1}", round_to(area, 1)),
        ground_truth: area,
        metric: "mra",
        options: None,
        ground_truth_text: None,
        margin: None,
        frames: [0, frame_count.saturating_sub(1)],
        object_ids: vec![],
        definition: "floor_polygon_area",
    });
    let mut letters = Letters::default();
    out.extend(multiple_choice(layout, vis, spec, &unique, &salient, &mut letters, rng));
    out
}

/// Places correct answers on the least-used letters of the scene so far (VSI-Bench's letter balancing), the
/// distractors shuffled around them.
#[derive(Debug, Default)]
struct Letters {
    used: [u32; 4],
}

const LETTERS: [char; 4] = ['A', 'B', 'C', 'D'];

impl Letters {
    /// The options (`"A. text"`) and the correct letter.
    fn place(&mut self, correct: &str, mut distractors: Vec<String>, rng: &mut ChaCha8Rng) -> (Vec<String>, String) {
        let n = distractors.len() + 1;
        for i in (1..distractors.len()).rev() {
            distractors.swap(i, rng.random_range(0..=i));
        }
        let least = (0..n).map(|i| self.used[i]).min().expect("options");
        let slots: Vec<usize> = (0..n).filter(|&i| self.used[i] == least).collect();
        let at = slots[rng.random_range(0..slots.len())];
        self.used[at] += 1;
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
    salient: &dyn Fn(&SceneObject) -> bool,
    letters: &mut Letters,
    rng: &mut ChaCha8Rng,
) -> Vec<Question> {
    let mut out = Vec::new();
    let still: Vec<&SceneObject> = unique.iter().copied().filter(|o| !spec.moving.contains(&o.id)).collect();
    let indoor_m2: f32 = layout.rooms.iter().filter(|l| !l.room.outdoor).map(|l| l.room.area_m2()).sum();

    // object_rel_distance: a unique primary, four other categories (the closest instance of each); any two of
    // the four distances closer than tau (0.30 m in rooms over 40 m², else 0.15 m) is ambiguous.
    let tau = if indoor_m2 > 40.0 { 0.30 } else { 0.15 };
    let cats = by_category(layout);
    let mut candidates = Vec::new();
    for primary in &still {
        let others: Vec<(&str, Vec<&SceneObject>)> = cats
            .iter()
            .filter(|(c, objs)| {
                **c != primary.category.as_str() && objs.iter().all(|o| salient(o) && !spec.moving.contains(&o.id))
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
        let (options, answer) = letters.place(&name(&four[best].1), distractors, rng);
        let listed: Vec<&str> = options.iter().map(|o| &o[3..]).collect();
        let mut ids = vec![primary.id];
        ids.extend(four.iter().flat_map(|(_, objs)| objs.iter().map(|o| o.id)));
        out.push(Question {
            question_type: "object_rel_distance",
            question: format!(
                "Measuring from the closest point of each object, which of these objects ({}) is the closest to the {}?",
                listed.join(", "),
                primary.name
            ),
            answer,
            ground_truth: margin as f64,
            ground_truth_text: Some(name(&four[best].1)),
            margin: Some(margin as f64),
            metric: "accuracy",
            options: Some(options),
            frames: frames_of(&ids, vis),
            object_ids: ids,
            definition: "obb_closest_point_argmin",
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
        for p in &still {
            for o in &still {
                for q in &still {
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
            let (options, answer) = letters.place(class, distractors, rng);
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
            out.push(Question {
                question_type: qtype,
                question,
                answer,
                ground_truth: theta as f64,
                ground_truth_text: Some(class.to_string()),
                // Degrees to the nearest class boundary.
                margin: Some(boundary_margin(task, theta) as f64),
                metric: "accuracy",
                options: Some(options),
                frames: frames_of(&ids, vis),
                object_ids: ids,
                definition: "centroid_ground_angle_deg",
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
        let (options, answer) = letters.place(&correct, distractors, rng);
        let gap = pick.windows(2).map(|w| w[1].1 - w[0].1).min().unwrap_or(0);
        out.push(Question {
            question_type: "obj_appearance_order",
            question: format!(
                "What will be the first-time appearance order of the following categories in the video: {}?",
                shown.join(", ")
            ),
            answer,
            ground_truth: gap as f64,
            ground_truth_text: Some(correct.clone()),
            margin: Some(gap as f64),
            metric: "accuracy",
            options: Some(options),
            frames: [pick[0].1, pick[3].1],
            object_ids: ids,
            definition: "first_salient_frame_order",
        });
    }
    out
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

    fn layout(seed: u64) -> Apartment {
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

    const SPEC: QaSpec =
        QaSpec { min_visible_px: 100, max_per_type: 50, min_abs_distance_m: 0.2, moving: Vec::new(), fps: 12 };

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

    #[test]
    fn letters_are_balanced() {
        let mut letters = Letters::default();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut count = [0; 4];
        for _ in 0..40 {
            let (options, answer) = letters.place("yes", vec!["a".into(), "b".into(), "c".into()], &mut rng);
            let i = (answer.as_bytes()[0] - b'A') as usize;
            assert_eq!(options[i], format!("{answer}. yes"));
            count[i] += 1;
        }
        assert_eq!(count, [10; 4]);
    }

    #[test]
    fn answers_match_the_scene() {
        let l = layout(11);
        let qs = generate(&l, &all_seen(&l), 48, &SPEC, &mut ChaCha8Rng::seed_from_u64(0));
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
        let qs = generate(&l, &all_seen(&l), 48, &SPEC, &mut ChaCha8Rng::seed_from_u64(0));
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
        let qs = generate(&l, &VisibilitySummary::default(), 48, &SPEC, &mut ChaCha8Rng::seed_from_u64(0));
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
