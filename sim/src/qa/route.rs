//! `route_planning` (VSI-Bench §1.7): a real route over the camera's walkable floor from one object to another,
//! told as "Go forward until the X" legs with the turns between them masked.
//!
//! The route is the grid's shortest path (A*, the camera's clearance), pulled taut into straight legs. Each
//! corner must sit within `LANDMARK_M` of a unique, seen object clearly nearer than any other (the leg's
//! "until" target), and every turn must be unambiguous: left or right between 60 and 120 degrees, a turn back
//! (only the first step, re-facing from the object one starts facing) beyond 150 degrees, and a first leg within
//! 30 degrees of straight ahead needs no first turn. Distractors are other turn sequences of the same shape, so
//! "back only at step 1" is no shortcut.

use super::*;
use diorama_layouts::geom::Vec2;

/// The turn classes, with the spec's sampling bands around the 45/135 degree class boundaries.
pub const TURN_CLASSES: [&str; 3] = ["Turn Left", "Turn Right", "Turn Back"];

/// A corner's landmark lies within this ground distance of it (metres), and every other object at least
/// `LANDMARK_GAP_M` farther.
const LANDMARK_M: f32 = 1.0;
const LANDMARK_GAP_M: f32 = 0.3;
/// Ends of the route: within this ground distance of the start and goal objects.
const END_M: f32 = 1.0;
const MAX_LEGS: usize = 3;
const PAIR_TRIES: usize = 60;

/// The class of a heading change `phi_deg` (left positive) at a route step, None inside the spec's rejection
/// bands; `first` allows a turn back (and no turn at all, returned as `Some(None)`).
pub fn turn_class(phi_deg: f32, first: bool) -> Option<Option<&'static str>> {
    let a = phi_deg.abs();
    match a {
        a if first && a <= 30.0 => Some(None),
        a if (60.0..=120.0).contains(&a) => Some(Some(if phi_deg > 0.0 { TURN_CLASSES[0] } else { TURN_CLASSES[1] })),
        a if first && a >= 150.0 => Some(Some(TURN_CLASSES[2])),
        _ => None,
    }
}

/// Ground distance from a floor point to an object's box footprint (0 inside).
fn ground_distance(p: Vec2, o: &SceneObject) -> f32 {
    point_box_distance(Vec3::new(p.x, p.y, o.obb.center.z), o)
}

fn angle(a: Vec2, b: Vec2) -> f32 {
    signed_angle_deg([a.x, a.y], [b.x, b.y])
}

/// The grid's shortest path from `a` to `b`, pulled taut: the farthest path point still in straight walkable
/// sight becomes the next corner.
fn taut_path(nav: &PathScene<'_>, a: Vec2, b: Vec2) -> Option<Vec<Vec2>> {
    let ca = nav.grid.nearest_free(a, &nav.walkable)?;
    let cb = nav.grid.nearest_free(b, &nav.walkable)?;
    let pts: Vec<Vec2> = nav.grid.shortest_path(ca, cb)?.into_iter().map(|c| nav.grid.center(c)).collect();
    let mut corners = vec![pts[0]];
    let mut i = 0;
    while i + 1 < pts.len() {
        let j = (i + 1..pts.len()).rev().find(|&j| nav.segment_walkable(pts[i], pts[j])).unwrap_or(i + 1);
        corners.push(pts[j]);
        i = j;
    }
    Some(corners)
}

/// The unique object a corner is named by: the nearest within `LANDMARK_M`, every other `LANDMARK_GAP_M`
/// farther.
fn landmark<'a>(corner: Vec2, objects: &[&'a SceneObject]) -> Option<&'a SceneObject> {
    let mut near: Vec<(f32, &SceneObject)> = objects.iter().map(|o| (ground_distance(corner, o), *o)).collect();
    near.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (d, o) = *near.first()?;
    let clear = near.get(1).is_none_or(|n| n.0 - d >= LANDMARK_GAP_M);
    (d <= LANDMARK_M && clear).then_some(o)
}

struct Route<'a> {
    start: &'a SceneObject,
    facing: &'a SceneObject,
    goal: &'a SceneObject,
    corners: Vec<Vec2>,
    landmarks: Vec<&'a SceneObject>,
    /// The masked turns, in order.
    turns: Vec<&'static str>,
    /// Whether the first masked step is the re-facing turn at the start.
    first_turn: bool,
    /// Least distance (degrees) of any turn from the 45/135-degree class boundaries.
    margin: f32,
}

fn plan_route<'a>(
    nav: &PathScene<'_>,
    start: &'a SceneObject,
    goal: &'a SceneObject,
    still: &[&'a SceneObject],
    rng: &mut ChaCha8Rng,
) -> Option<Route<'a>> {
    let (s, g) = (Vec2::new(start.obb.center.x, start.obb.center.y), Vec2::new(goal.obb.center.x, goal.obb.center.y));
    let corners = taut_path(nav, s, g)?;
    let legs = corners.len() - 1;
    if legs == 0 || legs > MAX_LEGS || corners[0].distance(corners[legs]) < 1.0 {
        return None;
    }
    if ground_distance(corners[0], start) > END_M || ground_distance(corners[legs], goal) > END_M {
        return None;
    }
    let mut turns = Vec::new();
    let mut margin = f32::INFINITY;
    let boundary = |phi: f32| (phi.abs() - 45.0).abs().min((phi.abs() - 135.0).abs());
    let mut landmarks = Vec::new();
    for i in 1..legs {
        let phi = angle(corners[i] - corners[i - 1], corners[i + 1] - corners[i]);
        let class = turn_class(phi, false)??;
        let others: Vec<&SceneObject> = still.iter().copied().filter(|o| o.id != goal.id).collect();
        let mark = landmark(corners[i], &others)?;
        if mark.id == start.id || landmarks.iter().any(|l: &&SceneObject| l.id == mark.id) {
            return None;
        }
        landmarks.push(mark);
        turns.push(class);
        margin = margin.min(boundary(phi));
    }
    // The object faced at the start: any other seen object whose direction gives a clear first step.
    let first_leg = corners[1] - corners[0];
    let facings: Vec<(&SceneObject, Option<&'static str>, f32)> = still
        .iter()
        .filter(|f| f.id != start.id && f.id != goal.id && !landmarks.iter().any(|l| l.id == f.id))
        .filter_map(|f| {
            let to = Vec2::new(f.obb.center.x, f.obb.center.y) - corners[0];
            if to.length() < 0.5 {
                return None;
            }
            let phi = angle(to, first_leg);
            turn_class(phi, true).map(|c| (*f, c, phi))
        })
        .collect();
    let (facing, first, phi) = *choose(facings, 1, rng).first()?;
    if let Some(c) = first {
        turns.insert(0, c);
        margin = margin.min(if c == TURN_CLASSES[2] { phi.abs() - 135.0 } else { boundary(phi) });
    }
    if turns.is_empty() {
        return None;
    }
    Some(Route { start, facing, goal, corners, landmarks, turns, first_turn: first.is_some(), margin })
}

/// Every turn sequence of the route's shape (a turn back allowed only as a first re-facing turn).
fn sequences(len: usize, first_turn: bool) -> Vec<String> {
    let mut all: Vec<Vec<&str>> = vec![vec![]];
    for step in 0..len {
        let choices: &[&str] = if step == 0 && first_turn { &TURN_CLASSES } else { &TURN_CLASSES[..2] };
        all = all.into_iter().flat_map(|s| choices.iter().map(move |c| [s.clone(), vec![*c]].concat())).collect();
    }
    all.into_iter().map(|s| s.join(", ")).collect()
}

pub(super) fn route_planning(
    nav: &PathScene<'_>,
    still: &[&SceneObject],
    vis: &VisibilitySummary,
    spec: &QaSpec,
    letters: &mut Letters,
    rng: &mut ChaCha8Rng,
) -> Vec<Question> {
    let mut pairs = Vec::new();
    for a in still {
        for b in still {
            if a.id != b.id {
                pairs.push((*a, *b));
            }
        }
    }
    let pairs = choose_shuffled(pairs, PAIR_TRIES as u32, rng);
    let mut out = Vec::new();
    for (start, goal) in pairs {
        if out.len() as u32 >= spec.max_per_type {
            break;
        }
        let Some(r) = plan_route(nav, start, goal, still, rng) else { continue };
        let correct = r.turns.join(", ");
        let others: Vec<String> =
            sequences(r.turns.len(), r.first_turn).into_iter().filter(|s| *s != correct).collect();
        let (options, answer) = letters.place("route_planning", &correct, choose(others, 3, rng), rng);
        // The steps: a masked first turn, then each leg and the masked turn after it.
        let mut steps = Vec::new();
        if r.first_turn {
            steps.push("[please fill in]".to_string());
        }
        for mark in &r.landmarks {
            steps.push(format!("Go forward until the {}", mark.name));
            steps.push("[please fill in]".to_string());
        }
        steps.push(format!("Go forward until the {}", r.goal.name));
        let numbered: Vec<String> = steps.iter().enumerate().map(|(i, s)| format!("{}. {s}", i + 1)).collect();
        let mut ids = vec![r.start.id, r.facing.id];
        ids.extend(r.landmarks.iter().map(|o| o.id));
        ids.push(r.goal.id);
        out.push(Question {
            question_type: "route_planning",
            question: format!(
                "You are a robot beginning at the {} facing the {}. You want to navigate to the {}. You will perform the following actions (Note: for each [please fill in], choose either 'turn back,' 'turn left,' or 'turn right.'): {} You have reached the final destination.",
                r.start.name,
                r.facing.name,
                r.goal.name,
                numbered.join(" ")
            ),
            answer,
            ground_truth: r.margin as f64,
            ground_truth_text: Some(correct),
            margin: Some(r.margin as f64),
            metric: "accuracy",
            options: Some(options),
            frames: frames_of(&ids, vis),
            object_ids: ids,
            definition: "navgrid_shortest_path_turns",
            waypoints_m: r.corners.iter().map(|c| [c.x, c.y]).collect(),
            ..Default::default()
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trajectory::WalkthroughSpec;
    use crate::visibility::FrameVisibility;
    use rand::SeedableRng;

    #[test]
    fn turns_are_classed_with_the_sampling_bands() {
        assert_eq!(turn_class(90.0, false), Some(Some("Turn Left")));
        assert_eq!(turn_class(-70.0, false), Some(Some("Turn Right")));
        assert_eq!(turn_class(-119.0, true), Some(Some("Turn Right")));
        assert_eq!(turn_class(40.0, false), None, "nearly straight is no turn to name");
        assert_eq!(turn_class(130.0, false), None, "between a side turn and a turn back");
        assert_eq!(turn_class(170.0, false), None, "a turn back only at the start");
        assert_eq!(turn_class(-170.0, true), Some(Some("Turn Back")));
        assert_eq!(turn_class(20.0, true), Some(None), "the first leg straight ahead needs no turn");
        assert_eq!(sequences(2, true).len(), 6);
        assert!(!sequences(2, false).iter().any(|s| s.contains("Back")));
    }

    /// Routes planned over a real apartment: every leg walkable, every corner by its landmark, and the turns
    /// recomputed from the corners equal to the answer.
    #[test]
    fn routes_walk_the_floor_and_their_turns_match_their_corners() {
        let mut routes = 0;
        for seed in 0..6 {
            let layout = super::super::tests::layout(seed * 7);
            let walk = WalkthroughSpec {
                frames: 10,
                eye_height_m: 1.5,
                clearance_m: 0.3,
                tilt_down_rad: 0.0,
                intrinsics: crate::camera::Intrinsics::from_hfov(64, 48, 1.2),
            };
            let Ok(nav) = PathScene::new(&layout, &walk) else { continue };
            let objects: Vec<&SceneObject> = layout.furniture().collect();
            let map: Vec<u16> = objects.iter().flat_map(|o| [o.id as u16; 500]).collect();
            let mut vis = VisibilitySummary::with_salient_px(10);
            vis.add(0, &FrameVisibility::from_instance_map(&map, 500, objects.len() as u32));
            let cats = by_category(&layout);
            let still: Vec<&SceneObject> =
                objects.iter().copied().filter(|o| cats[o.category.as_str()].len() == 1).collect();
            let spec = QaSpec { max_per_type: 10, ..super::super::tests::SPEC };
            let qs = route_planning(
                &nav,
                &still,
                &vis,
                &spec,
                &mut Letters::default(),
                &mut ChaCha8Rng::seed_from_u64(seed),
            );
            for q in &qs {
                routes += 1;
                let w: Vec<Vec2> = q.waypoints_m.iter().map(|p| Vec2::new(p[0], p[1])).collect();
                assert!(w.windows(2).all(|l| nav.segment_walkable(l[0], l[1])), "{}", q.question);
                let facing = layout.object(q.object_ids[1]).unwrap().obb.center;
                let mut turns = Vec::new();
                let first = angle(Vec2::new(facing.x, facing.y) - w[0], w[1] - w[0]);
                if first.abs() > 45.0 {
                    turns.push(if first.abs() > 135.0 {
                        "Turn Back"
                    } else if first > 0.0 {
                        "Turn Left"
                    } else {
                        "Turn Right"
                    });
                }
                for l in w.windows(3) {
                    turns.push(if angle(l[1] - l[0], l[2] - l[1]) > 0.0 { "Turn Left" } else { "Turn Right" });
                }
                assert_eq!(q.ground_truth_text.as_deref(), Some(turns.join(", ").as_str()), "{}", q.question);
                // The note names the blank once more.
                let blanks = q.question.matches("[please fill in]").count() - 1;
                assert_eq!(blanks, turns.len());
                for (i, id) in q.object_ids[2..q.object_ids.len() - 1].iter().enumerate() {
                    assert!(ground_distance(w[i + 1], layout.object(*id).unwrap()) <= LANDMARK_M);
                }
            }
        }
        assert!(routes >= 3, "only {routes} routes over six apartments");
    }
}
