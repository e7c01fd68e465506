//! The certificate: every hard constraint measured on a finished layout, with its slack.
//!
//! These checks read only the layout's geometry (parts, boxes, surfaces, the door) and its declared relations;
//! none of the optimizer's bookkeeping. They are the predicates the optimizer enforces, and the report that
//! scene.json carries.

use parry3d::math::Pose;
use parry3d::query::PointQuery;
use parry3d::shape::Cuboid;

use crate::geom::{Quat, Vec2, Vec3, parts_distance, parts_signed_distance};
use crate::nav::NavGrid;
use crate::scene::{Constraint, Layout, SceneObject};
use crate::shell::{DOOR_ZONE_DEPTH_M, door_zone, front_zone, inside_margin, mates, window_zone};

/// Penetration allowed between two solids, metres.
pub const PENETRATION_TOLERANCE_M: f32 = 1e-3;
/// Largest gap between a small object and its support surface, metres.
pub const CONTACT_TOLERANCE_M: f32 = 1e-3;
/// Largest gap between a wall-placed object's back and its wall, metres.
pub const MAX_WALL_GAP_M: f32 = 0.02;
/// Cell size of the navigation grid, metres.
pub const NAV_CELL_M: f32 = 0.1;

/// Distance on the floor plane from a point to an object's footprint rectangle.
pub fn footprint_distance(o: &SceneObject, p: Vec2) -> f32 {
    let h = o.obb.size * 0.5;
    let cuboid = Cuboid::new(Vec3::new(h.x, h.y, 1.0));
    let pose =
        Pose::from_parts(Vec3::new(o.obb.center.x, o.obb.center.y, 0.0), Quat::from_mat3(&o.obb.world_from_local));
    cuboid.distance_to_point(&pose, Vec3::new(p.x, p.y, 0.0), true)
}

/// Whether a ray cast straight down from just above `p` meets `support`'s parts within 2 mm of `p`.
fn support_below(support: &SceneObject, p: Vec3) -> bool {
    let ray = parry3d::query::Ray::new(p + Vec3::Z * 0.002, -Vec3::Z);
    support.parts.iter().any(|part| {
        let (shape, pose) = crate::geom::parry_shape(part);
        shape.cast_ray(&pose, &ray, 0.004, true).is_some()
    })
}

/// Whether a floor point lies on the object's front side (local y beyond its front face, less 5 cm).
fn on_front_side(o: &SceneObject, p: Vec2) -> bool {
    let local = o.obb.world_from_local.transpose() * (Vec3::new(p.x, p.y, o.obb.center.z) - o.obb.center);
    local.y > o.obb.size.y / 2.0 - 0.05
}

/// Measures every hard constraint. `front_clearance_m` and `agent_radius_m` are the requirements.
pub fn check_constraints(layout: &Layout, front_clearance_m: f32, agent_radius_m: f32) -> Vec<Constraint> {
    let furniture: Vec<&SceneObject> = layout.furniture().collect();
    let solid: Vec<&SceneObject> = furniture.iter().copied().filter(|o| !o.flat).collect();
    let mut out = Vec::new();
    let mut add =
        |name, slack: f32, holds: bool, unit, detail: String| out.push(Constraint { name, holds, slack, unit, detail });

    // No interpenetration, on the real part shapes (rugs lie under furniture; a small object touches its support).
    let (mut worst, mut pair) = (f32::INFINITY, String::from("fewer than two solid objects"));
    for (i, a) in solid.iter().enumerate() {
        for b in &solid[i + 1..] {
            if a.parent == Some(b.id) || b.parent == Some(a.id) {
                continue;
            }
            let d = parts_signed_distance(&a.parts, &b.parts);
            if d < worst {
                worst = d;
                pair = format!("closest pair: {} #{} and {} #{}", a.category, a.id, b.category, b.id);
            }
        }
    }
    add("no_interpenetration", worst + PENETRATION_TOLERANCE_M, worst >= -PENETRATION_TOLERANCE_M, "m", pair);

    let (inside, who) = furniture
        .iter()
        .map(|o| (inside_margin(&layout.room, &o.obb), o.id))
        .fold((f32::INFINITY, 0), |a, b| if b.0 < a.0 { b } else { a });
    add("inside_room", inside, inside >= -1e-4, "m", format!("tightest object #{who}"));

    // Support contact, headroom and static stability of everything standing on another object.
    let (mut contact, mut headroom, mut stability) = (0.0f32, f32::INFINITY, f32::INFINITY);
    for o in furniture.iter().filter(|o| o.parent.is_some()) {
        let parent = layout.object(o.parent.unwrap()).expect("parent exists");
        let Some(surface) = o.parent_surface.and_then(|i| parent.surfaces.get(i)) else {
            contact = f32::INFINITY;
            continue;
        };
        let bottom = o.obb.center.z - o.obb.size.z / 2.0;
        contact = contact.max((bottom - surface.z).abs());
        if surface.clear_m > 0.0 {
            headroom = headroom.min(surface.clear_m - o.obb.size.z);
        }
        // Centre of mass (box centre) over the support rectangle, in the support's frame...
        let local = parent.obb.world_from_local.transpose() * (o.obb.center - parent.obb.center);
        let margin = (local.x - surface.x[0])
            .min(surface.x[1] - local.x)
            .min(local.y - surface.y[0])
            .min(surface.y[1] - local.y);
        // ...and over the support's real geometry: straight below it, the parent's shape within 2 mm.
        let below = support_below(parent, Vec3::new(o.obb.center.x, o.obb.center.y, bottom));
        stability = stability.min(if below { margin } else { -1.0 });
    }
    add(
        "support_contact",
        CONTACT_TOLERANCE_M - contact,
        contact <= CONTACT_TOLERANCE_M,
        "m",
        format!("largest gap between a supported object and its surface: {contact:.6} m"),
    );
    let headroom = if headroom.is_finite() { headroom } else { 0.0 };
    add("shelf_headroom", headroom, headroom >= 0.0, "m", "least free height above objects inside shelves".into());
    let stability = if stability.is_finite() { stability } else { 0.0 };
    add(
        "stability",
        stability,
        stability > 0.0 || !furniture.iter().any(|o| o.parent.is_some()),
        "m",
        "least distance from a supported object's centre of mass to the edge of its support surface, which must \
         lie on the support's own shape straight below"
            .into(),
    );

    let mut worst_wall = 0.0f32;
    for o in furniture.iter().filter(|o| o.wall.is_some()) {
        let back = o.obb.world_from_local * Vec3::new(0.0, -o.obb.size.y / 2.0, 0.0) + o.obb.center;
        let r = &layout.room;
        let b = r.local(back.truncate());
        worst_wall = worst_wall.max(b.x.min(b.y).min(r.width_m - b.x).min(r.depth_m - b.y));
    }
    add(
        "wall_contact",
        MAX_WALL_GAP_M - worst_wall,
        worst_wall < MAX_WALL_GAP_M,
        "m",
        format!("largest gap between a wall-placed object's back and its wall: {worst_wall:.4} m (under 2 cm)"),
    );

    let zones: Vec<_> = layout.doors.iter().map(|d| door_zone(&layout.room, d)).collect();
    let door_gap = solid.iter().map(|o| parts_distance(&o.parts, &zones)).fold(f32::INFINITY, f32::min);
    let whose = match zones.len() {
        1 => "the door's".to_string(),
        n => format!("all {n} doors'"),
    };
    add(
        "door_clearance",
        door_gap,
        door_gap > 0.0,
        "m",
        format!("{whose} {DOOR_ZONE_DEPTH_M} m swing zone is free of furniture"),
    );

    let window_gap = layout
        .windows
        .iter()
        .map(|w| {
            let z = window_zone(&layout.room, w);
            solid
                .iter()
                .filter(|o| o.parent.is_none())
                .map(|o| parts_distance(&o.parts, std::slice::from_ref(&z)))
                .fold(f32::INFINITY, f32::min)
        })
        .fold(f32::INFINITY, f32::min);
    let window_gap = if window_gap.is_finite() { window_gap } else { 0.0 };
    add(
        "window_clearance",
        window_gap,
        window_gap > 0.0 || layout.windows.is_empty(),
        "m",
        format!("{} windows; furniture reaching above a sill keeps 0.35 m from the window", layout.windows.len()),
    );

    // Functional fronts: a clear zone inside the room, free of everything but the object's own group.
    let (mut front, mut front_who) = (f32::INFINITY, String::from("no object with a functional front"));
    for o in solid.iter().filter(|o| o.front && o.parent.is_none()) {
        let z = front_zone(o, front_clearance_m);
        let mut m = inside_margin(
            &layout.room,
            &crate::scene::Obb { center: z.center, size: z.size, world_from_local: z.world_from_local },
        );
        for other in solid.iter().filter(|p| p.id != o.id && !mates(o, p) && p.parent.is_none()) {
            m = m.min(parts_distance(&other.parts, std::slice::from_ref(&z)));
        }
        if m < front {
            front = m;
            front_who = format!("tightest: {} #{}", o.category, o.id);
        }
    }
    add(
        "front_clearance",
        front,
        front > 0.0,
        "m",
        format!("{front_clearance_m} m in front of functional sides; {front_who}"),
    );

    // Walkable access from the entrance, and to the access side of every floor object with a front.
    let grid = NavGrid::build(layout, agent_radius_m, NAV_CELL_M);
    let reach = grid.reachable_from_door(layout);
    let reachable: Vec<Vec2> = (0..grid.ny)
        .flat_map(|j| (0..grid.nx).map(move |i| (i, j)))
        .filter(|&(i, j)| reach[j * grid.nx + i])
        .map(|c| grid.center(c))
        .collect();
    // Every other door opens onto the same walkable floor as the entrance.
    let cut_off = layout.doors.iter().filter(|d| *d != layout.entrance()).find(|d| {
        let p = crate::nav::door_step(layout, d, agent_radius_m + NAV_CELL_M);
        !reachable.iter().any(|c| c.distance(p) < 0.5)
    });
    let area = reachable.len() as f32 * NAV_CELL_M * NAV_CELL_M;
    let reach_limit = front_clearance_m.max(agent_radius_m) + NAV_CELL_M;
    let (mut access, mut access_who) = (reach_limit, String::new());
    for o in solid.iter().filter(|o| o.front && o.parent.is_none()) {
        // Arranged seats (chairs at a table, a desk chair) are reached from any side; others from the front.
        let any_side = o.anchor.is_some();
        let d = reachable
            .iter()
            .filter(|p| any_side || on_front_side(o, **p))
            .map(|p| footprint_distance(o, *p))
            .fold(f32::INFINITY, f32::min);
        if reach_limit - d < access {
            access = reach_limit - d;
            access_who = format!("; farthest: {} #{} at {d:.2} m", o.category, o.id);
        }
    }
    if let Some(d) = cut_off {
        access_who.push_str(&format!("; the door in wall {} cannot be reached", d.wall));
    }
    add(
        "walkable_access",
        access.min(area - 1.0),
        access >= 0.0 && area >= 1.0 && cut_off.is_none(),
        "m",
        format!(
            "a {agent_radius_m} m agent reaches {area:.2} m2 from the door, and comes within {reach_limit:.2} m of every functional front{access_who}"
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::instantiate;
    use diorama_assets::Manifest;

    #[test]
    fn footprint_distance_is_planar_distance_to_the_rectangle() {
        let m = Manifest::builtin();
        // A 1 x 0.5 m cabinet at (2, 2), turned 90 degrees: its footprint spans x in [1.75, 2.25], y in [1.5, 2.5].
        let o = instantiate(
            7,
            "cabinet",
            m.get("cabinet").unwrap(),
            Vec3::new(2.0, 2.0, 0.0),
            std::f32::consts::FRAC_PI_2,
            Vec3::new(1.0, 0.5, 0.9),
        );
        assert!((footprint_distance(&o, Vec2::new(3.25, 2.0)) - 1.0).abs() < 1e-5);
        assert!((footprint_distance(&o, Vec2::new(2.0, 3.0)) - 0.5).abs() < 1e-5);
        // From a corner: 3-4-5.
        assert!((footprint_distance(&o, Vec2::new(2.25 + 0.3, 2.5 + 0.4)) - 0.5).abs() < 1e-5);
        assert_eq!(footprint_distance(&o, Vec2::new(2.0, 2.0)), 0.0);
    }

    #[test]
    fn a_layout_moved_away_from_the_origin_keeps_its_certificate() {
        use crate::optimizer::{LayoutGenerator, LayoutSpec, Optimizer};
        use crate::shell::transformed;
        use rand::SeedableRng;
        let m = Manifest::builtin();
        let spec = LayoutSpec::typical(&m);
        let mut checked = 0;
        for seed in 0..6u64 {
            let Ok(layout) = Optimizer.generate(&spec, &m, &mut rand_chacha::ChaCha8Rng::seed_from_u64(seed)) else {
                continue;
            };
            let delta = Vec3::new(7.25, -3.5, 0.0);
            let mut moved = layout.clone();
            moved.room.origin += delta.truncate();
            for d in &mut moved.doors {
                d.center += delta;
            }
            for w in &mut moved.windows {
                w.center += delta;
            }
            for o in &mut moved.objects {
                *o = transformed(o, Vec3::ZERO, 0.0, delta);
            }
            let (a, b) = (check_constraints(&layout, 0.6, 0.2), check_constraints(&moved, 0.6, 0.2));
            for (x, y) in a.iter().zip(&b) {
                assert_eq!(x.holds, y.holds, "seed {seed}: {} changed", x.name);
                assert!((x.slack - y.slack).abs() < 1e-3, "seed {seed}: {} slack {} vs {}", x.name, x.slack, y.slack);
            }
            checked += 1;
        }
        assert!(checked >= 4);
    }

    #[test]
    fn every_door_is_kept_clear_and_reachable() {
        use crate::scene::Door;
        use crate::shell::{structure, tests_support::open_room};
        let m = Manifest::builtin();
        // The open 4 x 3 m room, with a second door in wall 2 leading to room 1.
        let mut layout = open_room();
        layout.doors.push(Door {
            wall: 2,
            leads_to: Some(1),
            center: Vec3::new(1.0, 3.0, 0.0),
            width_m: 0.9,
            height_m: 2.1,
        });
        layout.objects = structure(&layout.room, &layout.doors, &[]);
        let get = |l: &Layout, name: &str| check_constraints(l, 0.6, 0.2).into_iter().find(|c| c.name == name).unwrap();
        assert!(get(&layout, "door_clearance").holds && get(&layout, "walkable_access").holds);
        // Both openings are cut: nothing of wall 2 remains at the second door's centre, 1 m up.
        let wall2 = layout.objects.iter().find(|o| o.id == 5).unwrap();
        let probe = crate::scene::Primitive {
            center: Vec3::new(1.0, 3.05, 1.0),
            size: Vec3::splat(0.01),
            ..wall2.parts[0].clone()
        };
        assert!(crate::geom::parts_distance(&wall2.parts, std::slice::from_ref(&probe)) > 0.1);
        // A cabinet in the second door's swing breaks door clearance.
        let mut blocked = layout.clone();
        blocked.objects.push(instantiate(
            7,
            "cabinet",
            m.get("cabinet").unwrap(),
            Vec3::new(1.0, 2.6, 0.0),
            0.0,
            Vec3::new(0.8, 0.4, 0.9),
        ));
        assert!(!get(&blocked, "door_clearance").holds);
        // A full-width wardrobe row in front of the second door cuts it off from the entrance.
        let mut cut = layout.clone();
        let wardrobe = m.get("wardrobe").unwrap();
        cut.objects.push(instantiate(
            8,
            "wardrobe",
            wardrobe,
            Vec3::new(2.0, 1.95, 0.0),
            0.0,
            Vec3::new(4.0, 0.3, 2.0),
        ));
        let access = get(&cut, "walkable_access");
        assert!(!access.holds && access.detail.contains("wall 2"), "{access:?}");
    }

    #[test]
    fn support_below_follows_the_real_shape() {
        let m = Manifest::builtin();
        // A round side table 0.5 m across and 0.6 m high: its top covers the centre, not the square's corner.
        let t = instantiate(
            7,
            "side_table",
            m.get("side_table").unwrap(),
            Vec3::new(1.0, 1.0, 0.0),
            0.0,
            Vec3::new(0.5, 0.5, 0.6),
        );
        assert!(support_below(&t, Vec3::new(1.0, 1.0, 0.6)));
        assert!(support_below(&t, Vec3::new(1.2, 1.0, 0.6)), "0.2 m from the centre is on a 0.25 m radius top");
        assert!(!support_below(&t, Vec3::new(1.22, 1.22, 0.6)), "the corner of the square is off the round top");
        // Above the top by more than 2 mm is not resting on it.
        assert!(!support_below(&t, Vec3::new(1.0, 1.0, 0.61)));
    }
}
