//! Dynamic scenes over many seeds: every kind of event is placed, object poses are continuous, nothing
//! interpenetrates at any frame (checked here independently over every pair of objects), dropped objects come
//! to rest on a support, and the same seed gives the same poses.

use diorama_assets::Manifest;
use diorama_layouts::constraints::PENETRATION_TOLERANCE_M;
use diorama_layouts::geom::primitive_signed_distance;
use diorama_layouts::{Apartment, LayoutGenerator, LayoutSpec, Optimizer};
use diorama_sim::dynamics::{DynamicsSpec, EventKind, SceneDynamics, plan_dynamics};
use diorama_sim::trajectory::walkthrough;
use diorama_sim::{Intrinsics, Trajectory, WalkthroughSpec};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const FRAMES: u32 = 96;
const FPS: u32 = 12;

fn scene(seed: u64) -> Option<(Apartment, Trajectory, Intrinsics)> {
    let manifest = Manifest::builtin();
    let spec = LayoutSpec { width_m: [3.5, 6.0], depth_m: [3.5, 6.0], ..LayoutSpec::typical(&manifest) };
    let layout = Optimizer.generate(&spec, &manifest, &mut ChaCha8Rng::seed_from_u64(seed)).ok()?;
    let apartment = Apartment::single(layout);
    let k = Intrinsics::from_hfov(320, 240, 70f32.to_radians());
    let walk =
        WalkthroughSpec { frames: FRAMES, eye_height_m: 1.6, clearance_m: 0.2, tilt_down_rad: 0.35, intrinsics: k };
    let t = walkthrough(&apartment, &walk, &mut ChaCha8Rng::seed_from_u64(seed)).ok()?;
    Some((apartment, t, k))
}

/// The built-in manifest's categories that can hold a drawer.
fn drawer_categories() -> Vec<String> {
    Manifest::builtin().categories.iter().filter(|(_, c)| c.drawers).map(|(k, _)| k.clone()).collect()
}

fn plan(apartment: &Apartment, t: &Trajectory, k: &Intrinsics, seed: u64) -> SceneDynamics {
    let spec = DynamicsSpec {
        events: 5,
        // Single rooms have no door between rooms: doors are tested on apartments below.
        kinds: vec![EventKind::Slide, EventKind::Push, EventKind::PickPlace, EventKind::Drop, EventKind::Drawer],
        fps: FPS,
        frames: FRAMES,
        speed_m_s: 0.4,
        clearance_m: 0.2,
        drawer_categories: drawer_categories(),
    };
    plan_dynamics(apartment, &t.poses, k, &spec, &[], &mut ChaCha8Rng::seed_from_u64(seed ^ 0xd1))
}

#[test]
fn moving_objects_never_interpenetrate_and_dropped_ones_come_to_rest() {
    let mut placed = std::collections::BTreeMap::new();
    let mut scenes = 0;
    for seed in 0..100u64 {
        let Some((mut apartment, t, k)) = scene(seed) else { continue };
        scenes += 1;
        let dynamics = plan(&apartment, &t, &k, seed);
        assert_eq!(dynamics, plan(&apartment, &t, &k, seed), "seed {seed}: the same seed, the same motions");
        // As the pipeline does: drawers join the scene, their furniture hollowed.
        dynamics.apply_to(&mut apartment);
        assert_eq!(apartment.objects().filter(|o| o.category == "drawer").count(), dynamics.reshaped.len());
        for m in &dynamics.motions {
            *placed.entry(m.kind.name()).or_insert(0) += 1;
            assert_eq!(m.poses.len(), FRAMES as usize);
            // At rest before it starts and after it ends.
            assert!(!m.poses[m.start_frame as usize - 1].moved(), "seed {seed}: moved before its start");
            assert!(m.poses[m.start_frame as usize].moved(), "seed {seed}: did not move at its start");
            let last = m.poses[m.end_frame as usize];
            assert!(m.poses[m.end_frame as usize..].iter().all(|p| *p == last), "seed {seed}: moves after its end");
            // Continuous: no frame moves the object further than free fall from its highest point plus the
            // 2.2 m/s a shove starts at (0.6 m at friction 0.4) would take it, or turns it faster than a tumbling cup (30 rad/s).
            let c = apartment.objects().find(|o| o.id == m.object).unwrap().obb.center;
            let heights: Vec<f32> = m.poses.iter().map(|p| p.apply(c).z).collect();
            let drop_m =
                heights.iter().fold(f32::MIN, |a, &b| a.max(b)) - heights.iter().fold(f32::MAX, |a, &b| a.min(b));
            let max_step = ((2.0 * 9.81 * drop_m).sqrt() + 2.2) / FPS as f32;
            for (f, w) in m.poses.windows(2).enumerate() {
                let step = w[0].apply(c).distance(w[1].apply(c));
                assert!(step <= max_step, "seed {seed}: {:?} jumps {step} m at frame {f} (at most {max_step})", m.kind);
                assert!(w[0].rotation.angle_between(w[1].rotation) < 150f32.to_radians(), "seed {seed}: a flip");
            }
        }
        // Every pair of objects at every frame, moving ones where they are (rugs lie under furniture).
        let solid: Vec<_> = apartment.objects().filter(|o| !o.flat).collect();
        for f in 0..FRAMES as usize {
            let parts: Vec<_> = solid.iter().map(|o| dynamics.parts_at(o, f)).collect();
            for (i, a) in solid.iter().enumerate() {
                if dynamics.pose_of(a.id, f).is_none() {
                    continue;
                }
                for (j, _) in solid.iter().enumerate().filter(|&(j, _)| j != i) {
                    for pa in &parts[i] {
                        for pb in &parts[j] {
                            let d = primitive_signed_distance(pa, pb);
                            assert!(
                                d >= -PENETRATION_TOLERANCE_M,
                                "seed {seed} frame {f}: {} into {} by {d}",
                                a.id,
                                solid[j].id
                            );
                        }
                    }
                }
            }
        }
        // A dropped object ends resting on something: its parts touch another object's within 2 mm.
        for m in dynamics.motions.iter().filter(|m| m.kind == EventKind::Drop) {
            let o = solid.iter().find(|o| o.id == m.object).unwrap();
            let end = m.end_frame as usize;
            let mine = dynamics.parts_at(o, end);
            let touching = solid.iter().filter(|x| x.id != o.id).any(|x| {
                let theirs = dynamics.parts_at(x, end);
                mine.iter().any(|a| theirs.iter().any(|b| primitive_signed_distance(a, b) < 2e-3))
            });
            let gap = solid
                .iter()
                .filter(|x| x.id != o.id)
                .map(|x| {
                    let theirs = dynamics.parts_at(x, end);
                    mine.iter()
                        .flat_map(|a| theirs.iter().map(move |b| primitive_signed_distance(a, b)))
                        .fold(f32::INFINITY, f32::min)
                })
                .fold(f32::INFINITY, f32::min);
            assert!(
                touching,
                "seed {seed}: object {} ({}) rests on nothing: nearest {gap} m, at frame {end} {:?} start {} path {:?}",
                o.id,
                o.category,
                m.poses[end].apply(o.obb.center),
                m.start_frame,
                m.poses.iter().map(|p| p.apply(o.obb.center).z).collect::<Vec<_>>()
            );
        }
    }
    println!("{scenes} scenes; events placed: {placed:?}");
    for kind in [EventKind::Slide, EventKind::Push, EventKind::PickPlace, EventKind::Drop, EventKind::Drawer] {
        let n = placed.get(kind.name()).copied().unwrap_or(0);
        assert!(n * 2 >= scenes, "{}: placed in only {n} of {scenes} scenes", kind.name());
    }
}

#[test]
fn doors_open_before_the_camera_comes_through_and_touch_nothing() {
    use diorama_layouts::floorplan::{PlanSpec, furnish_apartment, plan_apartment};
    let manifest = Manifest::builtin();
    let ps = PlanSpec::for_room_types(&manifest, &["living_room", "bedroom", "kitchen"], 0.9).unwrap();
    let ls = LayoutSpec { width_m: [2.5, 7.0], depth_m: [2.5, 7.0], ..LayoutSpec::typical(&manifest) };
    let k = Intrinsics::from_hfov(320, 240, 70f32.to_radians());
    let frames = 144;
    let walk = WalkthroughSpec { frames, eye_height_m: 1.6, clearance_m: 0.2, tilt_down_rad: 0.35, intrinsics: k };
    let mut opened = 0;
    for seed in 0..20u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let Ok(plan) = plan_apartment(&ps, &mut rng) else { continue };
        let Ok(mut apartment) = furnish_apartment(&plan, &ls, &manifest, &mut rng) else { continue };
        let Ok(t) = walkthrough(&apartment, &walk, &mut rng) else { continue };
        let spec = DynamicsSpec {
            events: 2,
            kinds: vec![EventKind::Door],
            fps: FPS,
            frames,
            speed_m_s: 0.4,
            clearance_m: 0.2,
            drawer_categories: drawer_categories(),
        };
        let d = plan_dynamics(&apartment, &t.poses, &k, &spec, &[], &mut ChaCha8Rng::seed_from_u64(seed));
        assert_eq!(d.added.len(), d.motions.len());
        d.apply_to(&mut apartment);
        let solid: Vec<_> = apartment.objects().filter(|o| !o.flat).collect();
        for m in &d.motions {
            opened += 1;
            let leaf = solid.iter().find(|o| o.id == m.object).unwrap();
            // Closed at first, a quarter turn about the vertical at the end.
            assert!(!m.poses[0].moved());
            let turn = m.poses.last().unwrap().rotation.angle_between(diorama_layouts::geom::Quat::IDENTITY);
            assert!((turn - std::f32::consts::FRAC_PI_2).abs() < 1e-3, "seed {seed}: turned {turn}");
            for (f, cam) in t.poses.iter().enumerate() {
                let parts = d.parts_at(leaf, f);
                // The camera never comes within its clearance of the leaf, closed or open.
                for p in &parts {
                    let (shape, pose) = diorama_layouts::geom::parry_shape(p);
                    let dist = shape.distance_to_point(&pose, cam.position, true);
                    assert!(dist >= 0.2, "seed {seed} frame {f}: camera {dist} m from door {}", leaf.id);
                }
                // The leaf touches nothing (walls and jambs included) at any frame.
                for x in solid.iter().filter(|x| x.id != leaf.id) {
                    for a in &parts {
                        for b in &d.parts_at(x, f) {
                            let dd = primitive_signed_distance(a, b);
                            assert!(
                                dd >= -PENETRATION_TOLERANCE_M,
                                "seed {seed} frame {f}: door into {} by {dd}",
                                x.id
                            );
                        }
                    }
                }
            }
        }
    }
    assert!(opened >= 8, "only {opened} doors opened in 20 apartments");
}
