//! Questions in the wording of VSI-Bench, with answers computed from the exact scene state.
//!
//! This first set covers object_counting, object_abs_distance, object_size_estimation and
//! room_size_estimation (all numeric, scored with MRA). Objects a question names must be seen well enough
//! in the video (`QaSpec::min_visible_px` in some frame); categories named alone must be unique in the room.

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
}

/// One question with its exact answer; the emitter adds scene and video paths.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub question_type: &'static str,
    pub question: String,
    /// Rounded answer as the benchmark states it.
    pub answer: String,
    /// Exact value before rounding.
    pub ground_truth: f64,
    pub metric: &'static str,
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
        frames: [0, frame_count.saturating_sub(1)],
        object_ids: vec![],
        definition: "floor_polygon_area",
    });
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

    const SPEC: QaSpec = QaSpec { min_visible_px: 100, max_per_type: 50, min_abs_distance_m: 0.2, moving: Vec::new() };

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
