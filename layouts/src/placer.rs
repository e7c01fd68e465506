//! First layout generator: one rectangular room, furniture placed by rejection sampling, every candidate
//! checked exactly against the real part shapes with parry3d.

use diorama_assets::{Category, Manifest, PartKind, PlacementRule};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::LayoutError;
use crate::geom::{Mat3, Vec2, Vec3, parts_distance, world_from_yaw};
use crate::nav::NavGrid;
use crate::scene::{Constraint, Door, Layout, LayoutReport, Obb, Primitive, Room, SceneObject};

/// What a layout must contain. Ranges are inclusive `[min, max]`.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutSpec {
    pub width_m: [f32; 2],
    pub depth_m: [f32; 2],
    pub height_m: [f32; 2],
    pub door_width_m: f32,
    pub door_height_m: f32,
    /// Floor and wall objects.
    pub object_count: [u32; 2],
    /// Small objects on each support surface.
    pub small_per_support: [u32; 2],
    /// Manifest keys that may be placed.
    pub categories: Vec<String>,
    /// Least gap between two pieces of furniture, metres.
    pub furniture_gap_m: f32,
    /// Small objects only stand on supports lower than this, so an eye-level camera sees them.
    pub max_support_top_m: f32,
    /// Radius of the walking agent for the walkable-access check, metres.
    pub agent_radius_m: f32,
}

impl LayoutSpec {
    /// A furnished room of 3.8 to 6 m a side with every category of `manifest`: a starting point for tests
    /// and examples.
    pub fn typical(manifest: &Manifest) -> LayoutSpec {
        LayoutSpec {
            width_m: [3.8, 6.0],
            depth_m: [3.8, 6.0],
            height_m: [2.5, 3.0],
            door_width_m: 0.9,
            door_height_m: 2.1,
            object_count: [6, 15],
            small_per_support: [0, 2],
            categories: manifest.categories.keys().cloned().collect(),
            furniture_gap_m: 0.03,
            max_support_top_m: 1.3,
            agent_radius_m: 0.25,
        }
    }
}

/// Anything that turns a spec and a random stream into a valid layout.
pub trait LayoutGenerator {
    fn generate(&self, spec: &LayoutSpec, manifest: &Manifest, rng: &mut ChaCha8Rng) -> Result<Layout, LayoutError>;
}

/// Rejection-sampling placer (the first version; the optimizer of issue 3 replaces it).
#[derive(Debug, Clone, Copy, Default)]
pub struct SimplePlacer;

const WALL_THICKNESS_M: f32 = 0.1;
const WALL_GAP_M: f32 = 0.01;
const SMALL_GAP_M: f32 = 0.02;
const DOOR_ZONE_DEPTH_M: f32 = 0.9;
const ATTEMPTS_PER_OBJECT: u32 = 80;
const MIN_WALKABLE_M2: f32 = 1.0;

impl LayoutGenerator for SimplePlacer {
    fn generate(&self, spec: &LayoutSpec, manifest: &Manifest, rng: &mut ChaCha8Rng) -> Result<Layout, LayoutError> {
        for key in &spec.categories {
            if manifest.get(key).is_none() {
                return Err(LayoutError::UnknownCategory(key.clone()));
            }
        }
        let room = Room {
            id: 0,
            name: "room".into(),
            width_m: sample(rng, spec.width_m),
            depth_m: sample(rng, spec.depth_m),
            height_m: sample(rng, spec.height_m),
        };
        let door = place_door(&room, spec, rng)?;
        let mut objects = structure(&room, &door);
        let requested = rng.random_range(spec.object_count[0]..=spec.object_count[1]);
        let placed = place_furniture(&room, &door, spec, manifest, requested, &mut objects, rng);
        if placed < spec.object_count[0] {
            return Err(LayoutError::Infeasible(format!(
                "placed only {placed} of at least {} objects in a {:.2} x {:.2} m room",
                spec.object_count[0], room.width_m, room.depth_m
            )));
        }
        let small = place_small_objects(spec, manifest, &mut objects, rng);
        let mut layout = Layout {
            room,
            door,
            objects,
            report: LayoutReport {
                constraints: vec![],
                requested_objects: requested,
                placed_objects: placed,
                small_objects: small,
            },
        };
        layout.report.constraints = check_constraints(&layout, spec);
        if let Some(c) = layout.report.constraints.iter().find(|c| !c.holds) {
            return Err(LayoutError::Infeasible(format!("{} fails: {}", c.name, c.detail)));
        }
        Ok(layout)
    }
}

fn sample(rng: &mut ChaCha8Rng, range: [f32; 2]) -> f32 {
    if range[1] > range[0] { rng.random_range(range[0]..=range[1]) } else { range[0] }
}

fn place_door(room: &Room, spec: &LayoutSpec, rng: &mut ChaCha8Rng) -> Result<Door, LayoutError> {
    let wall = rng.random_range(0..4usize);
    let (origin, along, _, length) = room.wall_frame(wall);
    let margin = 0.3 + spec.door_width_m / 2.0;
    if length < 2.0 * margin {
        return Err(LayoutError::Infeasible(format!(
            "a {length:.2} m wall is too short for a {:.2} m door",
            spec.door_width_m
        )));
    }
    let s = rng.random_range(margin..=length - margin);
    let c = origin + along * s;
    Ok(Door { wall, center: Vec3::new(c.x, c.y, 0.0), width_m: spec.door_width_m, height_m: spec.door_height_m })
}

fn box_part(center: Vec3, size: Vec3, color: [f32; 3]) -> Primitive {
    Primitive { kind: PartKind::Box, center, size, world_from_local: Mat3::IDENTITY, color }
}

fn structural(id: u32, category: &str, obb: Obb, parts: Vec<Primitive>) -> SceneObject {
    SceneObject {
        id,
        category: category.into(),
        name: category.into(),
        structural: true,
        obb,
        parts,
        parent: None,
        flat: false,
        against_wall: false,
        support_top_z: None,
        yaw_rad: 0.0,
    }
}

/// Floor (id 1), ceiling (2) and four walls (3..=6); the door wall is split around the opening.
fn structure(room: &Room, door: &Door) -> Vec<SceneObject> {
    let (w, d, h, t) = (room.width_m, room.depth_m, room.height_m, WALL_THICKNESS_M);
    let slab = |center: Vec3, size: Vec3| Obb { center, size, world_from_local: Mat3::IDENTITY };
    let floor = slab(Vec3::new(w / 2.0, d / 2.0, -t / 2.0), Vec3::new(w + 2.0 * t, d + 2.0 * t, t));
    let ceiling = slab(Vec3::new(w / 2.0, d / 2.0, h + t / 2.0), Vec3::new(w + 2.0 * t, d + 2.0 * t, t));
    let mut out = vec![
        structural(1, "floor", floor, vec![box_part(floor.center, floor.size, [0.55, 0.5, 0.45])]),
        structural(2, "ceiling", ceiling, vec![box_part(ceiling.center, ceiling.size, [0.9, 0.9, 0.9])]),
    ];
    let wall_color = [0.82, 0.8, 0.74];
    for i in 0..4 {
        let (origin, along, inward, length) = room.wall_frame(i);
        // The slab runs along the wall outside the room, overlapping the corners.
        let mid = origin + along * (length / 2.0) - inward * (t / 2.0);
        let along3 = Vec3::new(along.x.abs(), along.y.abs(), 0.0);
        let across3 = Vec3::new(inward.x.abs(), inward.y.abs(), 0.0);
        let full = along3 * (length + 2.0 * t) + across3 * t + Vec3::Z * h;
        let obb = slab(Vec3::new(mid.x, mid.y, h / 2.0), full);
        let parts = if i == door.wall {
            let s_door = (Vec2::new(door.center.x, door.center.y) - origin).dot(along);
            let (s0, s1) = (s_door - door.width_m / 2.0, s_door + door.width_m / 2.0);
            let piece = |a: f32, b: f32, z0: f32, z1: f32| {
                let c = origin + along * ((a + b) / 2.0) - inward * (t / 2.0);
                box_part(
                    Vec3::new(c.x, c.y, (z0 + z1) / 2.0),
                    along3 * (b - a) + across3 * t + Vec3::Z * (z1 - z0),
                    wall_color,
                )
            };
            vec![piece(-t, s0, 0.0, h), piece(s1, length + t, 0.0, h), piece(s0, s1, door.height_m, h)]
        } else {
            vec![box_part(obb.center, obb.size, wall_color)]
        };
        out.push(structural(3 + i as u32, "wall", obb, parts));
    }
    out
}

/// An object of `cat` with footprint centre `pos` (z = the surface it stands on), yaw and size.
pub fn instantiate(id: u32, key: &str, cat: &Category, pos: Vec3, yaw_rad: f32, size: Vec3) -> SceneObject {
    let rot = world_from_yaw(yaw_rad);
    let parts = cat
        .parts
        .iter()
        .map(|p| {
            let local = Vec3::from(p.center) * size;
            let part_size = match p.kind {
                PartKind::Box => Vec3::from(p.size) * size,
                PartKind::Cylinder => {
                    let dia = p.size[0] * size.x.min(size.y);
                    Vec3::new(dia, dia, p.size[2] * size.z)
                }
            };
            Primitive {
                kind: p.kind,
                center: pos + rot * local,
                size: part_size,
                world_from_local: rot,
                color: cat.part_color(p),
            }
        })
        .collect();
    SceneObject {
        id,
        category: key.into(),
        name: cat.name.clone(),
        structural: false,
        obb: Obb { center: pos + Vec3::Z * (size.z / 2.0), size, world_from_local: rot },
        parts,
        parent: None,
        flat: cat.flat,
        against_wall: cat.placement == PlacementRule::Wall,
        support_top_z: cat.support.then_some(pos.z + size.z),
        yaw_rad,
    }
}

fn sample_size(cat: &Category, rng: &mut ChaCha8Rng) -> Vec3 {
    Vec3::new(sample(rng, cat.size_x_m), sample(rng, cat.size_y_m), sample(rng, cat.size_z_m))
}

/// The keep-clear box in front of the door, as a primitive.
fn door_zone(room: &Room, door: &Door) -> Primitive {
    let (_, along, inward, _) = room.wall_frame(door.wall);
    let c = Vec2::new(door.center.x, door.center.y) + inward * (DOOR_ZONE_DEPTH_M / 2.0);
    let along3 = Vec3::new(along.x.abs(), along.y.abs(), 0.0);
    let across3 = Vec3::new(inward.x.abs(), inward.y.abs(), 0.0);
    box_part(
        Vec3::new(c.x, c.y, door.height_m / 2.0),
        along3 * (door.width_m + 0.2) + across3 * DOOR_ZONE_DEPTH_M + Vec3::Z * door.height_m,
        [0.0; 3],
    )
}

/// How far the box stays inside the room footprint (negative: it pokes out), metres.
fn inside_margin(room: &Room, obb: &Obb) -> f32 {
    obb.corners()
        .iter()
        .map(|c| c.x.min(c.y).min(room.width_m - c.x).min(room.depth_m - c.y).min(room.height_m - c.z))
        .fold(f32::INFINITY, f32::min)
}

/// Whether `candidate` keeps its gaps to everything placed so far (except `resting_on`, which it touches).
fn fits(candidate: &SceneObject, others: &[SceneObject], gap: f32, resting_on: Option<u32>) -> bool {
    others.iter().filter(|o| !o.structural && Some(o.id) != resting_on).all(|o| {
        if candidate.flat || o.flat {
            return true; // rugs lie under furniture
        }
        parts_distance(&candidate.parts, &o.parts) >= gap
    })
}

fn place_furniture(
    room: &Room,
    door: &Door,
    spec: &LayoutSpec,
    manifest: &Manifest,
    requested: u32,
    objects: &mut Vec<SceneObject>,
    rng: &mut ChaCha8Rng,
) -> u32 {
    let pool: Vec<(&String, &Category)> = spec
        .categories
        .iter()
        .filter_map(|k| manifest.categories.get_key_value(k))
        .filter(|(_, c)| c.placement != PlacementRule::Surface)
        .collect();
    let zone = door_zone(room, door);
    let mut counts = std::collections::BTreeMap::<&str, u32>::new();
    let mut placed = 0;
    let mut failures = 0;
    // Each failed category costs a try; stop when the pool is clearly exhausted.
    while placed < requested && failures < 4 * requested + 8 && !pool.is_empty() {
        let (key, cat) = pool[rng.random_range(0..pool.len())];
        if counts.get(key.as_str()).copied().unwrap_or(0) >= cat.max_per_room {
            failures += 1;
            continue;
        }
        let id = objects.len() as u32 + 1;
        match try_place(room, &zone, key, cat, id, spec, objects, rng) {
            Some(obj) => {
                objects.push(obj);
                *counts.entry(key).or_default() += 1;
                placed += 1;
            }
            None => failures += 1,
        }
    }
    placed
}

#[allow(clippy::too_many_arguments)]
fn try_place(
    room: &Room,
    door_zone: &Primitive,
    key: &str,
    cat: &Category,
    id: u32,
    spec: &LayoutSpec,
    objects: &[SceneObject],
    rng: &mut ChaCha8Rng,
) -> Option<SceneObject> {
    for _ in 0..ATTEMPTS_PER_OBJECT {
        let size = sample_size(cat, rng);
        let (pos, yaw) = match cat.placement {
            PlacementRule::Wall => {
                let wall = rng.random_range(0..4usize);
                let (origin, along, inward, length) = room.wall_frame(wall);
                if length < size.x + 0.02 {
                    continue;
                }
                let s = rng.random_range(size.x / 2.0 + 0.01..=length - size.x / 2.0 - 0.01);
                let p = origin + along * s + inward * (size.y / 2.0 + WALL_GAP_M);
                (Vec3::new(p.x, p.y, 0.0), f32::atan2(-inward.x, inward.y))
            }
            _ => {
                let quarter = rng.random_range(0..4u32) as f32 * std::f32::consts::FRAC_PI_2;
                let jitter = rng.random_range(-0.25f32..=0.25);
                let x = rng.random_range(0.0..=room.width_m);
                let y = rng.random_range(0.0..=room.depth_m);
                (Vec3::new(x, y, 0.0), quarter + jitter)
            }
        };
        let obj = instantiate(id, key, cat, pos, yaw, size);
        if inside_margin(room, &obj.obb) < 0.0 {
            continue;
        }
        if !obj.flat && parts_distance(&obj.parts, std::slice::from_ref(door_zone)) <= 0.0 {
            continue;
        }
        if fits(&obj, objects, spec.furniture_gap_m, None) {
            return Some(obj);
        }
    }
    None
}

fn place_small_objects(
    spec: &LayoutSpec,
    manifest: &Manifest,
    objects: &mut Vec<SceneObject>,
    rng: &mut ChaCha8Rng,
) -> u32 {
    let supports: Vec<usize> =
        (0..objects.len()).filter(|&i| objects[i].support_top_z.is_some_and(|z| z <= spec.max_support_top_m)).collect();
    let mut placed = 0;
    let mut counts = std::collections::BTreeMap::<String, u32>::new();
    for si in supports {
        let support = objects[si].clone();
        let candidates: Vec<(&String, &Category)> = spec
            .categories
            .iter()
            .filter_map(|k| manifest.categories.get_key_value(k))
            .filter(|(_, c)| c.placement == PlacementRule::Surface && c.supports.contains(&support.category))
            .collect();
        if candidates.is_empty() {
            continue;
        }
        let want = rng.random_range(spec.small_per_support[0]..=spec.small_per_support[1]);
        for _ in 0..want {
            let (key, cat) = candidates[rng.random_range(0..candidates.len())];
            if counts.get(key.as_str()).copied().unwrap_or(0) >= cat.max_per_room {
                continue;
            }
            let id = objects.len() as u32 + 1;
            if let Some(obj) = try_place_on(&support, key, cat, id, objects, rng) {
                objects.push(obj);
                *counts.entry(key.clone()).or_default() += 1;
                placed += 1;
            }
        }
    }
    placed
}

fn try_place_on(
    support: &SceneObject,
    key: &str,
    cat: &Category,
    id: u32,
    objects: &[SceneObject],
    rng: &mut ChaCha8Rng,
) -> Option<SceneObject> {
    let top_z = support.support_top_z?;
    let top = support.obb.size;
    for _ in 0..ATTEMPTS_PER_OBJECT / 4 {
        let size = sample_size(cat, rng);
        let (hx, hy) = ((top.x - size.x) / 2.0 - SMALL_GAP_M, (top.y - size.y) / 2.0 - SMALL_GAP_M);
        if hx < 0.0 || hy < 0.0 {
            continue;
        }
        // Sample in the support's frame, same yaw, so the footprint stays on the top.
        let local = Vec3::new(rng.random_range(-hx..=hx), rng.random_range(-hy..=hy), 0.0);
        let base = Vec3::new(support.obb.center.x, support.obb.center.y, top_z);
        let pos = base + support.obb.world_from_local * local;
        let mut obj = instantiate(id, key, cat, pos, support.yaw_rad, size);
        obj.parent = Some(support.id);
        if fits(&obj, objects, SMALL_GAP_M, Some(support.id)) {
            return Some(obj);
        }
    }
    None
}

/// Measures every constraint the placer enforces, on the finished layout.
pub fn check_constraints(layout: &Layout, spec: &LayoutSpec) -> Vec<Constraint> {
    let furniture: Vec<&SceneObject> = layout.furniture().collect();
    let mut out = Vec::new();

    let mut min_gap = f32::INFINITY;
    let mut pair = String::from("fewer than two solid objects");
    for (i, a) in furniture.iter().enumerate() {
        for b in &furniture[i + 1..] {
            if a.flat || b.flat || a.parent == Some(b.id) || b.parent == Some(a.id) {
                continue;
            }
            let d = parts_distance(&a.parts, &b.parts);
            if d < min_gap {
                min_gap = d;
                pair = format!("closest pair {} #{} and {} #{}", a.category, a.id, b.category, b.id);
            }
        }
    }
    out.push(Constraint { name: "no_interpenetration", holds: min_gap > 0.0, slack: min_gap, unit: "m", detail: pair });

    let (inside, who) = furniture
        .iter()
        .map(|o| (inside_margin(&layout.room, &o.obb), o.id))
        .fold((f32::INFINITY, 0), |a, b| if b.0 < a.0 { b } else { a });
    out.push(Constraint {
        name: "inside_room",
        holds: inside >= -1e-4,
        slack: inside,
        unit: "m",
        detail: format!("tightest object #{who}"),
    });

    let mut worst_contact = 0.0f32;
    let mut worst_stability = f32::INFINITY;
    for o in furniture.iter().filter(|o| o.parent.is_some()) {
        let parent = layout.object(o.parent.unwrap()).expect("parent exists");
        let bottom = o.obb.center.z - o.obb.size.z / 2.0;
        worst_contact = worst_contact.max((bottom - parent.support_top_z.unwrap_or(f32::NAN)).abs());
        // Centre of mass (box centre) over the support's top rectangle, in the support's frame.
        let local = parent.obb.world_from_local.transpose() * (o.obb.center - parent.obb.center);
        let margin = (parent.obb.size.x / 2.0 - local.x.abs()).min(parent.obb.size.y / 2.0 - local.y.abs());
        worst_stability = worst_stability.min(margin);
    }
    out.push(Constraint {
        name: "support_contact",
        holds: worst_contact <= 1e-3,
        slack: 1e-3 - worst_contact,
        unit: "m",
        detail: format!("largest gap between a small object and its support: {worst_contact:.6} m"),
    });
    out.push(Constraint {
        name: "stability",
        holds: worst_stability > 0.0,
        slack: if worst_stability.is_finite() { worst_stability } else { 0.0 },
        unit: "m",
        detail: "least distance from a supported object's centre of mass to the edge of its support".into(),
    });

    let mut worst_wall = 0.0f32;
    for o in furniture.iter().filter(|o| o.against_wall) {
        let back = o.obb.world_from_local * Vec3::new(0.0, -o.obb.size.y / 2.0, 0.0) + o.obb.center;
        let wall_dist = back.x.min(back.y).min(layout.room.width_m - back.x).min(layout.room.depth_m - back.y);
        worst_wall = worst_wall.max(wall_dist);
    }
    out.push(Constraint {
        name: "wall_clearance",
        holds: worst_wall < 0.02,
        slack: 0.02 - worst_wall,
        unit: "m",
        detail: "largest gap between a wall-placed object's back and its wall (must be under 2 cm)".into(),
    });

    let zone = door_zone(&layout.room, &layout.door);
    let door_gap = furniture
        .iter()
        .filter(|o| !o.flat)
        .map(|o| parts_distance(&o.parts, std::slice::from_ref(&zone)))
        .fold(f32::INFINITY, f32::min);
    out.push(Constraint {
        name: "door_clearance",
        holds: door_gap > 0.0,
        slack: door_gap,
        unit: "m",
        detail: format!("nothing within the {DOOR_ZONE_DEPTH_M} m deep zone in front of the door"),
    });

    let grid = NavGrid::build(layout, spec.agent_radius_m, 0.1);
    let area = grid.reachable_area_from_door_m2(layout);
    out.push(Constraint {
        name: "walkable_access",
        holds: area >= MIN_WALKABLE_M2,
        slack: area - MIN_WALKABLE_M2,
        unit: "m2",
        detail: format!("floor reachable from the door by a {} m radius agent: {area:.2} m2", spec.agent_radius_m),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    pub fn spec() -> LayoutSpec {
        LayoutSpec::typical(&Manifest::builtin())
    }

    #[test]
    fn layouts_hold_every_constraint_over_many_seeds() {
        let manifest = Manifest::builtin();
        let mut ok = 0;
        for seed in 0..40u64 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            match SimplePlacer.generate(&spec(), &manifest, &mut rng) {
                Ok(layout) => {
                    ok += 1;
                    assert!(layout.report.placed_objects >= 6);
                    for c in &layout.report.constraints {
                        assert!(c.holds, "seed {seed}: {c:?}");
                    }
                    // Independent re-check of interpenetration on the real shapes.
                    let f: Vec<_> = layout.furniture().filter(|o| !o.flat).collect();
                    for (i, a) in f.iter().enumerate() {
                        for b in &f[i + 1..] {
                            let d = parts_distance(&a.parts, &b.parts);
                            let related = a.parent == Some(b.id) || b.parent == Some(a.id);
                            assert!(related || d > 0.0, "seed {seed}: #{} and #{} touch", a.id, b.id);
                        }
                    }
                }
                Err(LayoutError::Infeasible(_)) => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert!(ok >= 30, "only {ok} of 40 seeds gave a layout");
    }

    #[test]
    fn same_seed_same_layout() {
        let manifest = Manifest::builtin();
        let a = SimplePlacer.generate(&spec(), &manifest, &mut ChaCha8Rng::seed_from_u64(7));
        let b = SimplePlacer.generate(&spec(), &manifest, &mut ChaCha8Rng::seed_from_u64(7));
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }

    #[test]
    fn small_objects_rest_on_their_support() {
        let manifest = Manifest::builtin();
        let mut found = 0;
        for seed in 0..20u64 {
            let Ok(layout) = SimplePlacer.generate(&spec(), &manifest, &mut ChaCha8Rng::seed_from_u64(seed)) else {
                continue;
            };
            for o in layout.furniture().filter(|o| o.parent.is_some()) {
                let p = layout.object(o.parent.unwrap()).unwrap();
                // Touching the parent: parry distance between their real shapes is zero.
                assert!(parts_distance(&o.parts, &p.parts) < 1e-3);
                found += 1;
            }
        }
        assert!(found > 0, "no small objects were placed in 20 seeds");
    }

    #[test]
    fn unknown_category_is_named() {
        let mut s = spec();
        s.categories.push("unicorn".into());
        let err = SimplePlacer.generate(&s, &Manifest::builtin(), &mut ChaCha8Rng::seed_from_u64(0)).unwrap_err();
        assert!(err.to_string().contains("unicorn"));
    }
}

/// Layouts for tests of other modules.
#[cfg(test)]
pub mod tests_support {
    use super::*;

    /// A 4 x 3 x 2.6 m room with a door in wall 0 and no furniture.
    pub fn open_room() -> Layout {
        let room = Room { id: 0, name: "room".into(), width_m: 4.0, depth_m: 3.0, height_m: 2.6 };
        let door = Door { wall: 0, center: Vec3::new(2.0, 0.0, 0.0), width_m: 0.9, height_m: 2.1 };
        let objects = structure(&room, &door);
        Layout { room, door, objects, report: LayoutReport::default() }
    }
}
