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
use std::cmp::Reverse;

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
const SPOTS_PER_OBJECT: usize = 6;
/// Chains kept from each spot at most (a bound on the search in large, open apartments).
const MAX_CHAINS_PER_SPOT: usize = 200;

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

/// Length of the grid's shortest path from `a` to `b` (metres), None when they are not connected.
fn shortest_length(nav: &PathScene<'_>, a: Vec2, b: Vec2) -> Option<f32> {
    let ca = nav.grid.nearest_free(a, &nav.walkable)?;
    let cb = nav.grid.nearest_free(b, &nav.walkable)?;
    let pts: Vec<Vec2> = nav.grid.shortest_path(ca, cb)?.into_iter().map(|c| nav.grid.center(c)).collect();
    Some(pts.windows(2).map(|w| w[0].distance(w[1])).sum())
}

/// The object a floor point is named by (its index in `objects`): the nearest, within `LANDMARK_M`, every other
/// `LANDMARK_GAP_M` farther.
fn landmark(point: Vec2, objects: &[&SceneObject]) -> Option<usize> {
    let (mut best, mut first, mut second) = (None, f32::INFINITY, f32::INFINITY);
    for (i, o) in objects.iter().enumerate() {
        let d = ground_distance(point, o);
        if d < first {
            (best, first, second) = (Some(i), d, first);
        } else if d < second {
            second = d;
        }
    }
    best.filter(|_| first <= LANDMARK_M && second - first >= LANDMARK_GAP_M)
}

/// A candidate route: the objects whose standing spots it joins, in order, and those spots.
type Chain = (Vec<usize>, Vec<Vec2>);

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

/// Where a robot may stand by each object: up to `SPOTS_PER_OBJECT` walkable points spread over the floor
/// within `END_M` of its footprint; each spot names its object only where that object is the clear nearest.
fn standing_spots(nav: &PathScene<'_>, objects: &[&SceneObject]) -> Vec<(usize, Vec2)> {
    let mut near: Vec<Vec<Vec2>> = vec![Vec::new(); objects.len()];
    for p in nav.walkable_lattice(0.1) {
        if let Some(i) = landmark(p, objects)
            && ground_distance(p, objects[i]) <= END_M
        {
            near[i].push(p);
        }
    }
    let mut out = Vec::new();
    for (i, spots) in near.into_iter().enumerate() {
        let every = spots.len().div_ceil(SPOTS_PER_OBJECT).max(1);
        out.extend(spots.into_iter().step_by(every).map(|p| (i, p)));
    }
    out
}

fn boundary_margin_deg(phi: f32) -> f32 {
    (phi.abs() - 45.0).abs().min((phi.abs() - 135.0).abs())
}

/// Candidate routes: chains of one to three straight walkable legs between standing spots of different objects,
/// each inner corner an unambiguous left or right turn, no longer than 1.5 times the shortest path between its
/// ends (checked later, [`direct_enough`]). As `(legs, the objects in order, the corners)`.
fn chains(nav: &PathScene<'_>, objects: &[&SceneObject]) -> Vec<(usize, Vec<usize>, Vec<Vec2>)> {
    let spots = standing_spots(nav, objects);
    let n = spots.len();
    let legs: Vec<Vec<usize>> = (0..n)
        .map(|i| {
            (0..n)
                .filter(|&j| {
                    let ((oa, a), (ob, b)) = (spots[i], spots[j]);
                    oa != ob && a.distance(b) >= 1.0 && nav.segment_walkable(a, b)
                })
                .collect()
        })
        .collect();
    let mut out = Vec::new();
    for start in 0..n {
        let mut stack = vec![vec![start]];
        let mut found = 0;
        while let Some(chain) = stack.pop() {
            if found >= MAX_CHAINS_PER_SPOT {
                break;
            }
            let last = *chain.last().expect("non-empty");
            if chain.len() >= 2 {
                found += 1;
                let objects = chain.iter().map(|&i| spots[i].0).collect();
                out.push((chain.len() - 1, objects, chain.iter().map(|&i| spots[i].1).collect()));
            }
            if chain.len() > MAX_LEGS {
                continue;
            }
            for &next in legs[last].iter().rev() {
                if chain.iter().any(|&c| spots[c].0 == spots[next].0) {
                    continue;
                }
                if chain.len() >= 2 {
                    let p = |i: usize| spots[i].1;
                    let phi = angle(p(last) - p(chain[chain.len() - 2]), p(next) - p(last));
                    if turn_class(phi, false).flatten().is_none() {
                        continue;
                    }
                }
                let mut longer = chain.clone();
                longer.push(next);
                stack.push(longer);
            }
        }
    }
    out
}

/// Whether a route is no longer than 1.5 times the shortest path between its ends.
fn direct_enough(nav: &PathScene<'_>, corners: &[Vec2]) -> bool {
    let walked: f32 = corners.windows(2).map(|w| w[0].distance(w[1])).sum();
    shortest_length(nav, corners[0], corners[corners.len() - 1]).is_some_and(|d| walked <= 1.5 * d + 0.1)
}

/// Completes a chain into a route: an object to face at the start whose direction gives a clear first step.
fn with_facing<'a>(
    objects: &[&'a SceneObject],
    chain: &[usize],
    corners: Vec<Vec2>,
    rng: &mut ChaCha8Rng,
) -> Option<Route<'a>> {
    let mut turns = Vec::new();
    let mut margin = f32::INFINITY;
    for w in corners.windows(3) {
        let phi = angle(w[1] - w[0], w[2] - w[1]);
        turns.push(turn_class(phi, false)??);
        margin = margin.min(boundary_margin_deg(phi));
    }
    let first_leg = corners[1] - corners[0];
    let facings: Vec<(&SceneObject, Option<&'static str>, f32)> = objects
        .iter()
        .enumerate()
        .filter(|(i, _)| !chain.contains(i))
        .filter_map(|(_, f)| {
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
        margin = margin.min(if c == TURN_CLASSES[2] { phi.abs() - 135.0 } else { boundary_margin_deg(phi) });
    }
    if turns.is_empty() {
        return None;
    }
    let landmarks = chain[1..chain.len() - 1].iter().map(|&i| objects[i]).collect();
    Some(Route {
        start: objects[chain[0]],
        facing,
        goal: objects[chain[chain.len() - 1]],
        corners,
        landmarks,
        turns,
        first_turn: first.is_some(),
        margin,
    })
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
    // Start, goal and landmarks stand on the floor (a robot stands by a desk, not by the laptop on it).
    let still: Vec<&SceneObject> = still.iter().copied().filter(|o| o.parent.is_none() && !o.flat).collect();
    let still = still.as_slice();
    // Longer routes first: candidates taken in turn by their number of legs.
    let by_legs: Vec<(Reverse<usize>, Chain)> =
        chains(nav, still).into_iter().map(|(legs, chain, pts)| (Reverse(legs), (chain, pts))).collect();
    let mut out = Vec::new();
    for (_, (chain, corners)) in choose_balanced(by_legs, 4 * spec.max_per_type, rng) {
        if out.len() as u32 >= spec.max_per_type {
            break;
        }
        if !direct_enough(nav, &corners) {
            continue;
        }
        let Some(r) = with_facing(still, &chain, corners, rng) else { continue };
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
        let question = format!(
            "You are a robot beginning at the {} facing the {}. You want to navigate to the {}. You will perform the following actions (Note: for each [please fill in], choose either 'turn back,' 'turn left,' or 'turn right.'): {} You have reached the final destination.",
            r.start.name,
            r.facing.name,
            r.goal.name,
            numbered.join(" ")
        );
        out.push(Question {
            frames: frames_of(&ids, vis),
            object_ids: ids,
            definition: "navgrid_shortest_path_turns",
            waypoints_m: r.corners.iter().map(|c| [c.x, c.y]).collect(),
            ..Question::choice("route_planning", question, options, answer, correct, r.margin as f64, r.margin as f64)
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
