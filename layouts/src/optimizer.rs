//! The layout optimizer: a room type's program placed greedily (relations first: a bed then its nightstands,
//! a table then its chairs), refined by simulated annealing on soft objectives, then small objects on every
//! support surface. Every hard constraint is checked on every move, so each intermediate state is valid.

use std::f32::consts::{FRAC_PI_2, PI};

use diorama_assets::{Category, Manifest, PlacementRule, RelationKind};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::LayoutError;
use crate::constraints::check_constraints;
use crate::geom::{Vec2, Vec3, parts_distance};
use crate::scene::{Door, Layout, LayoutReport, OptimizerStats, Primitive, Room, SceneObject};
use crate::shell::{
    WALL_THICKNESS_M, aabb, aabb_gap, door_zone, front_zone, inside_margin, instantiate, mates, maybe_notch,
    place_door, place_windows, sample, sample_size, structure_with, transformed, wall_pose, window_zone,
};

/// What a layout must contain. Ranges are inclusive `[min, max]`.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutSpec {
    pub width_m: [f32; 2],
    pub depth_m: [f32; 2],
    pub height_m: [f32; 2],
    pub door_width_m: f32,
    pub door_height_m: f32,
    /// Room types (manifest keys) to choose from, one per room.
    pub room_types: Vec<String>,
    /// Categories that may be placed; others in a program are skipped.
    pub categories: Vec<String>,
    /// Most furniture per room (small objects not counted).
    pub max_furniture: u32,
    /// Small objects on each support surface.
    pub small_per_surface: [u32; 2],
    /// Target fraction of the floor covered by furniture footprints (a soft objective).
    pub clutter: f32,
    /// Share of the program's optional categories a room draws from (1: all of them).
    pub diversity: f32,
    /// Least gap between two pieces of furniture that are not arranged together, metres.
    pub furniture_gap_m: f32,
    /// Clear depth in front of functional fronts, metres.
    pub front_clearance_m: f32,
    /// Radius of the walking agent for access checks, metres.
    pub agent_radius_m: f32,
    /// Open surfaces above this height get no small objects (an eye-level camera would not see them).
    pub max_support_top_m: f32,
    /// Annealing iterations per room.
    pub anneal_iterations: u32,
    /// Drop required objects that do not fit (and list them) instead of failing.
    pub best_effort: bool,
    /// Share of rooms that are L-shaped (a corner cut out), in [0, 1].
    pub l_shaped_share: f32,
}

impl LayoutSpec {
    /// A furnished room of any room type of `manifest`, sized by its type: a starting point for tests.
    pub fn typical(manifest: &Manifest) -> LayoutSpec {
        LayoutSpec {
            width_m: [2.5, 7.0],
            depth_m: [2.5, 7.0],
            height_m: [2.5, 3.0],
            door_width_m: 0.9,
            door_height_m: 2.1,
            room_types: manifest.indoor_room_types(),
            categories: manifest.categories.keys().cloned().collect(),
            max_furniture: 20,
            small_per_surface: [0, 2],
            clutter: 0.3,
            diversity: 1.0,
            furniture_gap_m: 0.03,
            front_clearance_m: 0.6,
            agent_radius_m: 0.2,
            max_support_top_m: 1.3,
            anneal_iterations: 300,
            best_effort: true,
            l_shaped_share: 0.0,
        }
    }
}

/// Anything that turns a spec and a random stream into a valid layout.
pub trait LayoutGenerator {
    fn generate(&self, spec: &LayoutSpec, manifest: &Manifest, rng: &mut ChaCha8Rng) -> Result<Layout, LayoutError>;
}

/// Greedy construction plus simulated annealing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Optimizer;

const CANDIDATES: u32 = 40;
const SMALL_GAP_M: f32 = 0.02;
/// Gap kept between objects arranged together (a chair tucked at its table).
const MATE_GAP_M: f32 = 0.005;
/// Margin kept from keep-clear zones (door swing, functional fronts), so the certificate never rests on a
/// floating-point tie.
const ZONE_MARGIN_M: f32 = 1e-3;
/// Soft cost of a program item the annealer leaves out: rooms should be furnished, not emptied to ease crowding.
const MISSING_ITEM_COST: f32 = 0.5;

/// One program line instance: a category to place, and whether the program requires it.
#[derive(Debug, Clone)]
struct Item {
    key: String,
    required: bool,
}

/// Furniture being arranged in one room.
struct Room1<'a> {
    room: &'a Room,
    door_zones: Vec<Primitive>,
    window_zones: Vec<Primitive>,
    spec: &'a LayoutSpec,
    manifest: &'a Manifest,
    objs: Vec<SceneObject>,
    required: Vec<bool>,
    next_id: u32,
    /// Program items currently left out by the annealer.
    missing: u32,
}

impl LayoutGenerator for Optimizer {
    fn generate(&self, spec: &LayoutSpec, manifest: &Manifest, rng: &mut ChaCha8Rng) -> Result<Layout, LayoutError> {
        check_categories(spec, manifest)?;
        let room_type = match spec.room_types.len() {
            0 => return Err(LayoutError::Infeasible("no room types to choose from (room.types is empty)".into())),
            n => spec.room_types[rng.random_range(0..n)].clone(),
        };
        let program = manifest.rooms.get(&room_type).ok_or_else(|| LayoutError::UnknownRoomType(room_type.clone()))?;
        let room = Room {
            id: 0,
            name: room_type.clone(),
            origin: Vec2::ZERO,
            width_m: sample(rng, within(program.width_m, spec.width_m)),
            depth_m: sample(rng, within(program.depth_m, spec.depth_m)),
            height_m: sample(rng, spec.height_m),
            outdoor: false,
            notch: None,
        };
        let mut room = room;
        maybe_notch(&mut room, &[], spec.l_shaped_share, rng);
        let door = place_door(&room, spec.door_width_m, spec.door_height_m, rng)?;
        self.furnish(&room_type, room, vec![door], [true; 4], 1, spec, manifest, rng)
    }
}

fn check_categories(spec: &LayoutSpec, manifest: &Manifest) -> Result<(), LayoutError> {
    match spec.categories.iter().find(|k| manifest.get(k).is_none()) {
        Some(k) => Err(LayoutError::UnknownCategory(k.clone())),
        None => Ok(()),
    }
}

impl Optimizer {
    /// Furnishes a given room (anywhere in the world, with its doors; windows only in `exterior` walls) with
    /// the program of `room_type`, and certifies it. Object ids start at `first_id` (an apartment's rooms
    /// number their objects one after another, so the certificate names the ids the scene uses).
    #[allow(clippy::too_many_arguments)]
    pub fn furnish(
        &self,
        room_type: &str,
        room: Room,
        doors: Vec<Door>,
        exterior: [bool; 4],
        first_id: u32,
        spec: &LayoutSpec,
        manifest: &Manifest,
        rng: &mut ChaCha8Rng,
    ) -> Result<Layout, LayoutError> {
        check_categories(spec, manifest)?;
        let program =
            manifest.rooms.get(room_type).ok_or_else(|| LayoutError::UnknownRoomType(room_type.to_string()))?;
        // Outdoor areas have railings, not windows.
        let windows: Vec<_> = if room.outdoor {
            Vec::new()
        } else {
            place_windows(&room, &doors, rng).into_iter().filter(|w| exterior[w.wall]).collect()
        };
        // Exterior walls full thickness; interior ones half, the neighbouring room builds the other half.
        let thickness = exterior.map(|e| if e { WALL_THICKNESS_M } else { WALL_THICKNESS_M / 2.0 });
        let structure = structure_with(&room, &doors, &windows, thickness);
        let items = program_items(program, spec, rng);
        let requested = items.len() as u32;

        let mut state = Room1 {
            room: &room,
            door_zones: doors.iter().map(|d| door_zone(&room, d)).collect(),
            window_zones: windows.iter().map(|w| window_zone(&room, w)).collect(),
            spec,
            manifest,
            objs: Vec::new(),
            required: Vec::new(),
            next_id: structure.len() as u32 + 1,
            missing: 0,
        };
        let mut dropped = Vec::new();
        for item in &items {
            if let Err(why) = state.add(item, rng) {
                if item.required && !spec.best_effort {
                    return Err(LayoutError::Infeasible(format!(
                        "the {room_type} program needs a {} that cannot be placed in a {:.2} x {:.2} m room ({why})",
                        item.key, room.width_m, room.depth_m
                    )));
                }
                dropped.push((item.key.clone(), why.to_string()));
            }
        }
        let initial_score = state.score();
        let (iterations, accepted) = state.anneal(&mut dropped, rng);
        let final_score = state.score();
        state.repair_access(&doors, &windows, &structure, &mut dropped)?;
        let furniture = state.objs.len() as u32;
        let small = state.place_small(&program.small, rng);

        let mut objects = structure;
        objects.extend(renumber(state.objs, objects.len() as u32 + 1));
        shift_ids(&mut objects, first_id.saturating_sub(1));
        let mut layout = Layout {
            room,
            doors,
            windows,
            objects,
            report: LayoutReport {
                constraints: vec![],
                room_type: room_type.to_string(),
                requested_objects: requested,
                placed_objects: furniture,
                small_objects: small,
                dropped,
                stats: OptimizerStats { iterations, accepted_moves: accepted, initial_score, final_score },
                front_clearance_m: spec.front_clearance_m,
                agent_radius_m: spec.agent_radius_m,
            },
        };
        layout.report.constraints = check_constraints(&layout, spec.front_clearance_m, spec.agent_radius_m);
        if let Some(c) = layout.report.constraints.iter().find(|c| !c.holds) {
            return Err(LayoutError::Infeasible(format!("{} fails: {}", c.name, c.detail)));
        }
        Ok(layout)
    }
}

/// The program's furniture for one room: each line's count drawn from its range (the minimum required,
/// the rest optional), limited to allowed categories and to `max_furniture` (optional lines go first).
fn program_items(program: &diorama_assets::RoomType, spec: &LayoutSpec, rng: &mut ChaCha8Rng) -> Vec<Item> {
    let mut items = Vec::new();
    for entry in &program.furniture {
        if !spec.categories.contains(&entry.category) {
            continue;
        }
        // Optional categories survive with probability `diversity` (no draw at 1, so streams stay put).
        if entry.count[0] == 0 && spec.diversity < 1.0 && !rng.random_bool(spec.diversity.clamp(0.0, 1.0) as f64) {
            continue;
        }
        let n = rng.random_range(entry.count[0]..=entry.count[1]);
        for k in 0..n {
            items.push(Item { key: entry.category.clone(), required: k < entry.count[0] });
        }
    }
    while items.len() > spec.max_furniture as usize {
        match items.iter().rposition(|i| !i.required) {
            Some(k) => items.remove(k),
            None => items.pop().expect("non-empty"),
        };
    }
    items
}

/// The room type's size range limited to the spec's; the spec's alone when they do not overlap.
fn within(own: [f32; 2], limit: [f32; 2]) -> [f32; 2] {
    let (lo, hi) = (own[0].max(limit[0]), own[1].min(limit[1]));
    if lo <= hi { [lo, hi] } else { limit }
}

/// Gives objects consecutive ids from `first`, rewriting anchors and parents.
/// Adds `offset` to every id, parent and anchor.
fn shift_ids(objs: &mut [SceneObject], offset: u32) {
    for o in objs {
        o.id += offset;
        o.parent = o.parent.map(|p| p + offset);
        o.anchor = o.anchor.map(|a| a + offset);
    }
}

fn renumber(mut objs: Vec<SceneObject>, first: u32) -> Vec<SceneObject> {
    let map: Vec<(u32, u32)> = objs.iter().enumerate().map(|(i, o)| (o.id, first + i as u32)).collect();
    let new_id =
        |old: u32| map.iter().find(|(o, _)| *o == old).map(|(_, n)| *n).expect("references stay inside the room");
    for o in &mut objs {
        o.id = new_id(o.id);
        o.anchor = o.anchor.map(new_id);
        o.parent = o.parent.map(new_id);
    }
    objs
}

impl Room1<'_> {
    fn category(&self, key: &str) -> &Category {
        self.manifest.get(key).expect("categories were checked")
    }

    /// Whether `o` (at index `skip`, or new) keeps every hard constraint against the others.
    fn check(&self, o: &SceneObject, skip: &[usize], others: &[SceneObject]) -> Result<(), &'static str> {
        if inside_margin(self.room, &o.obb) < 0.0 {
            return Err("it does not fit inside the room");
        }
        if o.flat {
            return Ok(()); // rugs may lie under anything, the door zone included
        }
        // Constraints of the object alone first, so an impossible request names its own binding one.
        let zone = o.front.then(|| front_zone(o, self.spec.front_clearance_m));
        if let Some(z) = &zone
            && inside_margin(self.room, &obb_of(z)) < ZONE_MARGIN_M
        {
            return Err("its front would face a wall too closely");
        }
        let bounds = aabb(o);
        if self.door_zones.iter().any(|z| {
            aabb_gap(bounds, aabb_of(z)) < ZONE_MARGIN_M
                && parts_distance(&o.parts, std::slice::from_ref(z)) < ZONE_MARGIN_M
        }) {
            return Err("it would block the door");
        }
        if o.parent.is_none()
            && self.window_zones.iter().any(|z| {
                aabb_gap(bounds, aabb_of(z)) < ZONE_MARGIN_M
                    && parts_distance(&o.parts, std::slice::from_ref(z)) < ZONE_MARGIN_M
            })
        {
            return Err("it would cover a window");
        }
        for (j, p) in others.iter().enumerate() {
            if skip.contains(&j) || p.flat {
                continue;
            }
            let mate = mates(o, p);
            let gap = if mate { MATE_GAP_M } else { self.spec.furniture_gap_m };
            // Farther than the gap plus a front zone's depth, nothing below can fail.
            let near = aabb_gap(bounds, aabb(p)) < gap + self.spec.front_clearance_m + 0.01;
            if !near {
                continue;
            }
            if parts_distance(&o.parts, &p.parts) < gap {
                return Err("it would collide with other furniture");
            }
            if mate {
                continue;
            }
            if let Some(z) = &zone
                && parts_distance(&p.parts, std::slice::from_ref(z)) < ZONE_MARGIN_M
            {
                return Err("furniture would block its front");
            }
            if p.front
                && parts_distance(&o.parts, std::slice::from_ref(&front_zone(p, self.spec.front_clearance_m)))
                    < ZONE_MARGIN_M
            {
                return Err("it would block another object's front");
            }
        }
        Ok(())
    }

    /// Places one item greedily: the best-scoring valid candidate pose.
    fn add(&mut self, item: &Item, rng: &mut ChaCha8Rng) -> Result<(), &'static str> {
        let cat = self.category(&item.key).clone();
        let anchor = cat.relation.as_ref().and_then(|rel| {
            // The anchor instance with the fewest members of this category.
            self.objs
                .iter()
                .filter(|o| o.category == rel.anchor)
                .min_by_key(|a| self.objs.iter().filter(|o| o.anchor == Some(a.id) && o.category == item.key).count())
                .map(|a| (rel.kind, a.clone()))
        });
        // Chairs around a table, a desk chair, a coffee table before a sofa: meaningless without their anchor.
        if anchor.is_none()
            && cat.relation.as_ref().is_some_and(|r| matches!(r.kind, RelationKind::Around | RelationKind::Front))
        {
            return Err("what it is arranged around is not in the room");
        }
        let id = self.next_id;
        let mut best: Option<(f32, SceneObject)> = None;
        // Why candidates were rejected, to name the binding constraint if none fits.
        let mut reasons: Vec<(&'static str, u32)> = Vec::new();
        for _ in 0..CANDIDATES {
            let size = sample_size(&cat, rng);
            let Some(mut o) = self.propose(&item.key, &cat, size, anchor.as_ref(), id, rng) else { continue };
            o.anchor = anchor.as_ref().map(|(_, a)| a.id);
            match self.check(&o, &[], &self.objs) {
                Ok(()) => {
                    let s = self.cost_with(&o);
                    if best.as_ref().is_none_or(|(b, _)| s < *b) {
                        best = Some((s, o));
                    }
                }
                Err(e) => match reasons.iter_mut().find(|(r, _)| *r == e) {
                    Some((_, n)) => *n += 1,
                    None => reasons.push((e, 1)),
                },
            }
        }
        let most_common = reasons.iter().max_by_key(|(_, n)| *n).map_or("no candidate position was found", |(r, _)| r);
        let (_, o) = best.ok_or(most_common)?;
        self.objs.push(o);
        self.required.push(item.required);
        self.next_id += 1;
        Ok(())
    }

    /// A candidate pose for a category: arranged around its anchor when it has one, else by its placement rule.
    fn propose(
        &self,
        key: &str,
        cat: &Category,
        size: Vec3,
        anchor: Option<&(RelationKind, SceneObject)>,
        id: u32,
        rng: &mut ChaCha8Rng,
    ) -> Option<SceneObject> {
        let room = self.room;
        let mut wall = None;
        let (pos, yaw) = match anchor {
            Some((RelationKind::Flank, a)) if a.wall.is_some() => {
                let w = a.wall?;
                let (origin, along, _, length) = room.wall_frame(w);
                let s_anchor = (Vec2::new(a.obb.center.x, a.obb.center.y) - origin).dot(along);
                let side = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
                let s = s_anchor + side * (a.obb.size.x / 2.0 + rng.random_range(0.02..0.08) + size.x / 2.0);
                if s < size.x / 2.0 || s > length - size.x / 2.0 {
                    return None;
                }
                wall = Some(w);
                wall_pose(room, w, s, size.y)
            }
            Some((RelationKind::Around, a)) => {
                // A side of the anchor, a place along it, facing the anchor's centre.
                let side = rng.random_range(0..4u32);
                let (ax, ay) = (a.obb.size.x / 2.0, a.obb.size.y / 2.0);
                let (normal, half_len, depth) = match side {
                    0 => (Vec3::Y, ax, ay),
                    1 => (-Vec3::Y, ax, ay),
                    2 => (Vec3::X, ay, ax),
                    _ => (-Vec3::X, ay, ax),
                };
                let tangent = Vec3::new(-normal.y, normal.x, 0.0);
                let slack = (half_len - size.x / 2.0).max(0.0);
                let offset = rng.random_range(-slack..=slack);
                let tuck = rng.random_range(0.0..0.2) * size.y;
                let local = normal * (depth + size.y / 2.0 - tuck) + tangent * offset;
                let p = a.obb.center + a.obb.world_from_local * local;
                let to_anchor = (a.obb.center - p).truncate().normalize_or(Vec2::Y);
                (Vec3::new(p.x, p.y, 0.0), f32::atan2(-to_anchor.x, to_anchor.y))
            }
            Some((RelationKind::Front, a)) => {
                let dist = rng.random_range(0.25..0.55);
                let local = Vec3::new(
                    rng.random_range(-0.15..0.15) * a.obb.size.x,
                    a.obb.size.y / 2.0 + dist + size.y / 2.0,
                    0.0,
                );
                let p = a.obb.center + a.obb.world_from_local * local;
                // Faces the anchor: front-to-front for furniture with a front (a chair), aligned otherwise.
                let yaw = if cat.front { a.yaw_rad + PI } else { a.yaw_rad };
                (Vec3::new(p.x, p.y, 0.0), yaw)
            }
            Some((RelationKind::Facing, a)) if a.wall.is_some() => {
                let w = (a.wall? + 2) % 4;
                let (origin, along, _, length) = room.wall_frame(w);
                let s = (Vec2::new(a.obb.center.x, a.obb.center.y) - origin).dot(along) + rng.random_range(-0.3..0.3);
                if s < size.x / 2.0 || s > length - size.x / 2.0 {
                    return None;
                }
                wall = Some(w);
                wall_pose(room, w, s, size.y)
            }
            Some((RelationKind::Under, a)) => (Vec3::new(a.obb.center.x, a.obb.center.y, 0.0), a.yaw_rad),
            _ => match cat.placement {
                PlacementRule::Wall => {
                    let w = rng.random_range(0..4usize);
                    let (_, _, _, length) = room.wall_frame(w);
                    if length < size.x + 0.02 {
                        return None;
                    }
                    wall = Some(w);
                    wall_pose(room, w, rng.random_range(size.x / 2.0 + 0.01..=length - size.x / 2.0 - 0.01), size.y)
                }
                PlacementRule::Corner => {
                    let w = rng.random_range(0..4usize);
                    let (_, _, _, length) = room.wall_frame(w);
                    let s = if rng.random_bool(0.5) { size.x / 2.0 + 0.01 } else { length - size.x / 2.0 - 0.01 };
                    wall = Some(w);
                    wall_pose(room, w, s, size.y)
                }
                _ => {
                    let quarter = rng.random_range(0..4u32) as f32 * FRAC_PI_2;
                    let jitter = rng.random_range(-0.2f32..=0.2);
                    let local = Vec2::new(rng.random_range(0.0..=room.width_m), rng.random_range(0.0..=room.depth_m));
                    let p = (room.origin + local).extend(0.0);
                    (p, quarter + jitter)
                }
            },
        };
        let mut o = instantiate(id, key, cat, pos, yaw, size);
        o.wall = wall;
        Some(o)
    }

    /// Indices of an object and everything arranged around it, transitively.
    fn group(&self, i: usize) -> Vec<usize> {
        let mut g = vec![i];
        let mut k = 0;
        while k < g.len() {
            let id = self.objs[g[k]].id;
            let members: Vec<usize> =
                (0..self.objs.len()).filter(|&j| self.objs[j].anchor == Some(id) && !g.contains(&j)).collect();
            g.extend(members);
            k += 1;
        }
        g
    }

    /// Soft cost of the arrangement (lower is better): wall alignment of free-standing objects, crowding
    /// between objects not arranged together, and distance from the target floor coverage.
    fn score(&self) -> f32 {
        let mut total = 0.0;
        let bounds: Vec<_> = self.objs.iter().map(aabb).collect();
        for (i, o) in self.objs.iter().enumerate() {
            total += align_cost(o);
            for j in i + 1..self.objs.len() {
                total += crowd_cost(o, &self.objs[j], bounds[i], bounds[j]);
            }
        }
        total + self.clutter_cost(&self.objs) + MISSING_ITEM_COST * self.missing as f32
    }

    /// What adding `o` would cost, for choosing among candidates.
    fn cost_with(&self, o: &SceneObject) -> f32 {
        let b = aabb(o);
        align_cost(o) + self.objs.iter().map(|p| crowd_cost(o, p, b, aabb(p))).sum::<f32>()
    }

    fn clutter_cost(&self, objs: &[SceneObject]) -> f32 {
        let covered: f32 = objs.iter().filter(|o| !o.flat).map(|o| o.obb.size.x * o.obb.size.y).sum();
        let frac = covered / self.room.area_m2();
        10.0 * (frac - self.spec.clutter).powi(2)
    }

    /// Simulated annealing over translate, rotate, swap, group-move, remove and add moves. Returns
    /// (iterations, accepted moves).
    fn anneal(&mut self, dropped: &mut Vec<(String, String)>, rng: &mut ChaCha8Rng) -> (u32, u32) {
        let n_iter = self.spec.anneal_iterations;
        let mut current = self.score();
        let mut accepted = 0;
        let mut removed: Vec<Item> = Vec::new();
        for it in 0..n_iter {
            if self.objs.is_empty() {
                break;
            }
            let temperature = 0.5 * (1.0 - it as f32 / n_iter as f32).max(0.01);
            let before = (self.objs.clone(), self.required.clone(), self.missing, removed.clone());
            let moved = match rng.random_range(0..10u32) {
                0..=4 => self.move_translate(temperature, rng),
                5..=6 => self.move_rotate(rng),
                7 => self.move_swap(rng),
                8 => self.move_remove(&mut removed, rng),
                _ => self.move_add(&mut removed, rng),
            };
            if !moved {
                continue;
            }
            let next = self.score();
            let delta = next - current;
            if delta <= 0.0 || rng.random_range(0.0f32..1.0) < (-delta / temperature).exp() {
                current = next;
                accepted += 1;
            } else {
                (self.objs, self.required, self.missing, removed) = before;
            }
        }
        dropped
            .extend(removed.into_iter().map(|i| (i.key, "removed by the optimizer to improve the layout".to_string())));
        (n_iter, accepted)
    }

    /// Applies rigid motions to a set of objects if every moved object stays valid.
    fn try_motion(&mut self, idx: &[usize], pivot: Vec3, angle: f32, delta: Vec3) -> bool {
        let moved: Vec<SceneObject> = idx.iter().map(|&i| transformed(&self.objs[i], pivot, angle, delta)).collect();
        let mut trial = self.objs.clone();
        for (k, &i) in idx.iter().enumerate() {
            trial[i] = moved[k].clone();
        }
        for &i in idx {
            if self.check(&trial[i], &[i], &trial).is_err() {
                return false;
            }
        }
        self.objs = trial;
        true
    }

    /// Roots of groups: objects not arranged around another.
    fn roots(&self) -> Vec<usize> {
        (0..self.objs.len()).filter(|&i| self.objs[i].anchor.is_none()).collect()
    }

    fn move_translate(&mut self, temperature: f32, rng: &mut ChaCha8Rng) -> bool {
        let roots = self.roots();
        let Some(&i) = roots.get(rng.random_range(0..roots.len().max(1))) else { return false };
        let group = self.group(i);
        let step = 0.1 + 0.8 * temperature;
        let delta = match self.objs[i].wall {
            Some(w) => {
                let (_, along, _, _) = self.room.wall_frame(w);
                let d = along * rng.random_range(-step..step);
                Vec3::new(d.x, d.y, 0.0)
            }
            None => Vec3::new(rng.random_range(-step..step), rng.random_range(-step..step), 0.0),
        };
        self.try_motion(&group, Vec3::ZERO, 0.0, delta)
    }

    fn move_rotate(&mut self, rng: &mut ChaCha8Rng) -> bool {
        let roots: Vec<usize> = self.roots().into_iter().filter(|&i| self.objs[i].wall.is_none()).collect();
        let Some(&i) = roots.get(rng.random_range(0..roots.len().max(1))) else { return false };
        let angle = match rng.random_range(0..3u32) {
            0 => FRAC_PI_2,
            1 => -FRAC_PI_2,
            _ => rng.random_range(-0.2f32..0.2),
        };
        let pivot = self.objs[i].obb.center;
        let group = self.group(i);
        self.try_motion(&group, pivot, angle, Vec3::ZERO)
    }

    /// Two free wall objects trade places along their walls.
    fn move_swap(&mut self, rng: &mut ChaCha8Rng) -> bool {
        let free: Vec<usize> = (0..self.objs.len())
            .filter(|&i| self.objs[i].wall.is_some() && self.group(i).len() == 1 && self.objs[i].anchor.is_none())
            .collect();
        if free.len() < 2 {
            return false;
        }
        let a = free[rng.random_range(0..free.len())];
        let b = free[rng.random_range(0..free.len())];
        if a == b {
            return false;
        }
        let place_at = |o: &SceneObject, other: &SceneObject| {
            let w = other.wall.expect("wall object");
            let (origin, along, _, _) = self.room.wall_frame(w);
            let s = (other.obb.center.truncate() - origin).dot(along);
            let (pos, yaw) = wall_pose(self.room, w, s, o.obb.size.y);
            let cat = self.category(&o.category);
            let mut n = instantiate(o.id, &o.category, cat, pos, yaw, o.obb.size);
            n.wall = Some(w);
            n.anchor = o.anchor;
            n.parts.iter_mut().zip(&o.parts).for_each(|(np, op)| np.color = op.color);
            n
        };
        let (na, nb) = (place_at(&self.objs[a], &self.objs[b]), place_at(&self.objs[b], &self.objs[a]));
        let mut trial = self.objs.clone();
        trial[a] = na;
        trial[b] = nb;
        if self.check(&trial[a], &[a], &trial).is_err() || self.check(&trial[b], &[b], &trial).is_err() {
            return false;
        }
        self.objs = trial;
        true
    }

    /// Removes an optional object that nothing is arranged around.
    fn move_remove(&mut self, removed: &mut Vec<Item>, rng: &mut ChaCha8Rng) -> bool {
        let optional: Vec<usize> =
            (0..self.objs.len()).filter(|&i| !self.required[i] && self.group(i).len() == 1).collect();
        let Some(&i) = optional.get(rng.random_range(0..optional.len().max(1))) else { return false };
        let o = self.objs.remove(i);
        self.required.remove(i);
        removed.push(Item { key: o.category, required: false });
        self.missing += 1;
        true
    }

    /// Places a previously removed object again.
    fn move_add(&mut self, removed: &mut Vec<Item>, rng: &mut ChaCha8Rng) -> bool {
        if removed.is_empty() {
            return false;
        }
        let k = rng.random_range(0..removed.len());
        let item = removed[k].clone();
        if self.add(&item, rng).is_ok() {
            removed.remove(k);
            self.missing -= 1;
            true
        } else {
            false
        }
    }

    /// Drops optional objects (latest first) until every functional front is reachable from the door.
    fn repair_access(
        &mut self,
        doors: &[Door],
        windows: &[crate::scene::Window],
        structure: &[SceneObject],
        dropped: &mut Vec<(String, String)>,
    ) -> Result<(), LayoutError> {
        loop {
            let layout = Layout {
                room: self.room.clone(),
                doors: doors.to_vec(),
                windows: windows.to_vec(),
                objects: structure.iter().cloned().chain(self.objs.iter().cloned()).collect(),
                report: LayoutReport::default(),
            };
            let access = check_constraints(&layout, self.spec.front_clearance_m, self.spec.agent_radius_m)
                .into_iter()
                .find(|c| c.name == "walkable_access")
                .expect("always measured");
            if access.holds {
                return Ok(());
            }
            let victim = (0..self.objs.len()).rev().find(|&i| !self.required[i] && self.group(i).len() == 1);
            match victim {
                Some(i) => {
                    let o = self.objs.remove(i);
                    self.required.remove(i);
                    dropped.push((o.category, "removed to keep every functional front reachable".into()));
                }
                None => {
                    return Err(LayoutError::Infeasible(format!("walkable_access cannot be met: {}", access.detail)));
                }
            }
        }
    }

    /// Small objects of the room's `small` list on every support surface whose category they accept.
    fn place_small(&mut self, small: &[String], rng: &mut ChaCha8Rng) -> u32 {
        let mut placed = 0;
        let mut counts = std::collections::BTreeMap::<String, u32>::new();
        let supports: Vec<usize> = (0..self.objs.len()).filter(|&i| !self.objs[i].surfaces.is_empty()).collect();
        for si in supports {
            let support = self.objs[si].clone();
            let candidates: Vec<&String> = small
                .iter()
                .filter(|k| self.spec.categories.contains(k))
                .filter(|k| self.category(k).supports.contains(&support.category))
                .collect();
            if candidates.is_empty() {
                continue;
            }
            for (s_idx, surface) in support.surfaces.iter().enumerate() {
                if surface.clear_m == 0.0 && surface.z > self.spec.max_support_top_m {
                    continue;
                }
                let want = rng.random_range(self.spec.small_per_surface[0]..=self.spec.small_per_surface[1]);
                for _ in 0..want {
                    let key = candidates[rng.random_range(0..candidates.len())].clone();
                    let cat = self.category(&key).clone();
                    if counts.get(&key).copied().unwrap_or(0) >= cat.max_per_room {
                        continue;
                    }
                    if let Some(o) = self.place_on(&support, s_idx, &key, &cat, rng) {
                        self.objs.push(o);
                        self.required.push(false);
                        self.next_id += 1;
                        *counts.entry(key).or_default() += 1;
                        placed += 1;
                    }
                }
            }
        }
        placed
    }

    fn place_on(
        &self,
        support: &SceneObject,
        s_idx: usize,
        key: &str,
        cat: &Category,
        rng: &mut ChaCha8Rng,
    ) -> Option<SceneObject> {
        let surface = support.surfaces[s_idx];
        for _ in 0..CANDIDATES / 2 {
            let size = sample_size(cat, rng);
            if surface.clear_m > 0.0 && size.z > surface.clear_m - 0.01 {
                continue;
            }
            let (hx, hy) = (
                (surface.x[1] - surface.x[0] - size.x) / 2.0 - SMALL_GAP_M,
                (surface.y[1] - surface.y[0] - size.y) / 2.0 - SMALL_GAP_M,
            );
            if hx < 0.0 || hy < 0.0 {
                continue;
            }
            // In the support's frame and yaw, so the footprint stays on the surface.
            let cx = (surface.x[0] + surface.x[1]) / 2.0;
            let cy = (surface.y[0] + surface.y[1]) / 2.0;
            let local = Vec3::new(cx + rng.random_range(-hx..=hx), cy + rng.random_range(-hy..=hy), 0.0);
            let base = Vec3::new(support.obb.center.x, support.obb.center.y, surface.z);
            let pos = base + support.obb.world_from_local * local;
            let mut o = instantiate(self.next_id, key, cat, pos, support.yaw_rad, size);
            o.parent = Some(support.id);
            o.parent_surface = Some(s_idx);
            let b = aabb(&o);
            let clash = self
                .objs
                .iter()
                .filter(|p| p.id != support.id && !p.flat)
                .any(|p| aabb_gap(b, aabb(p)) < SMALL_GAP_M && parts_distance(&o.parts, &p.parts) < SMALL_GAP_M);
            if !clash && inside_margin(self.room, &o.obb) >= 0.0 {
                return Some(o);
            }
        }
        None
    }
}

fn obb_of(p: &Primitive) -> crate::scene::Obb {
    crate::scene::Obb { center: p.center, size: p.size, world_from_local: p.world_from_local }
}

fn aabb_of(p: &Primitive) -> (Vec3, Vec3) {
    let cs = obb_of(p).corners();
    cs.iter().fold((cs[0], cs[0]), |(lo, hi), c| (lo.min(*c), hi.max(*c)))
}

/// Free-standing furniture looks placed when it is aligned with the walls.
fn align_cost(o: &SceneObject) -> f32 {
    if o.wall.is_some() || o.anchor.is_some() || o.flat {
        return 0.0;
    }
    let r = o.yaw_rad.rem_euclid(FRAC_PI_2);
    let off = r.min(FRAC_PI_2 - r);
    2.0 * off * off
}

/// Objects not arranged together want a walkway between them.
fn crowd_cost(a: &SceneObject, b: &SceneObject, ba: (Vec3, Vec3), bb: (Vec3, Vec3)) -> f32 {
    if mates(a, b) || a.flat || b.flat {
        return 0.0;
    }
    let gap = aabb_gap(ba, bb);
    4.0 * (0.45 - gap).max(0.0).powi(2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geom::parts_signed_distance;
    use rand::SeedableRng;

    pub fn spec() -> LayoutSpec {
        LayoutSpec::typical(&Manifest::builtin())
    }

    #[test]
    fn layouts_hold_every_constraint_for_every_room_type() {
        let manifest = Manifest::builtin();
        for room_type in manifest.rooms.keys() {
            let s = LayoutSpec { room_types: vec![room_type.clone()], ..spec() };
            let mut ok = 0;
            for seed in 0..20u64 {
                match Optimizer.generate(&s, &manifest, &mut ChaCha8Rng::seed_from_u64(seed)) {
                    Ok(layout) => {
                        ok += 1;
                        assert_eq!(&layout.report.room_type, room_type);
                        for c in &layout.report.constraints {
                            assert!(c.holds, "{room_type} seed {seed}: {c:?}");
                        }
                    }
                    Err(LayoutError::Infeasible(why)) => eprintln!("{room_type} seed {seed}: {why}"),
                    Err(e) => panic!("{e}"),
                }
            }
            assert!(ok >= 16, "{room_type}: only {ok} of 20 seeds gave a layout");
        }
    }

    #[test]
    fn same_seed_same_layout() {
        let manifest = Manifest::builtin();
        let a = Optimizer.generate(&spec(), &manifest, &mut ChaCha8Rng::seed_from_u64(7));
        let b = Optimizer.generate(&spec(), &manifest, &mut ChaCha8Rng::seed_from_u64(7));
        assert_eq!(a.unwrap(), b.unwrap());
    }

    #[test]
    fn relations_arrange_groups() {
        let manifest = Manifest::builtin();
        let s = LayoutSpec { room_types: vec!["dining_room".into()], ..spec() };
        let mut checked = 0;
        for seed in 0..10u64 {
            let Ok(layout) = Optimizer.generate(&s, &manifest, &mut ChaCha8Rng::seed_from_u64(seed)) else { continue };
            let table = layout.furniture().find(|o| o.category == "table").expect("dining rooms have a table");
            for chair in layout.furniture().filter(|o| o.category == "chair") {
                assert_eq!(chair.anchor, Some(table.id));
                // The chair faces the table: its front points towards the table's centre.
                let to_table = (table.obb.center - chair.obb.center).truncate().normalize();
                assert!(chair.obb.world_from_local.y_axis.truncate().dot(to_table) > 0.7);
                checked += 1;
            }
        }
        assert!(checked > 10, "only {checked} chairs checked");
    }

    #[test]
    fn seats_arranged_around_an_anchor_need_it() {
        let manifest = Manifest::builtin();
        let s = LayoutSpec { room_types: vec!["kitchen".into()], ..spec() };
        let mut lone = 0;
        for seed in 0..30u64 {
            let Ok(layout) = Optimizer.generate(&s, &manifest, &mut ChaCha8Rng::seed_from_u64(seed)) else { continue };
            let has_table = layout.furniture().any(|o| o.category == "table");
            let chairs = layout.furniture().filter(|o| o.category == "chair").count();
            assert!(has_table || chairs == 0, "seed {seed}: {chairs} chairs without a table");
            lone += (!has_table && layout.report.dropped.iter().any(|(c, _)| c == "chair")) as u32;
        }
        assert!(lone > 0, "no kitchen without a table dropped its chairs in 30 seeds");
    }

    #[test]
    fn diversity_controls_how_many_categories_appear() {
        let manifest = Manifest::builtin();
        let categories = |diversity: f32| -> usize {
            let s = LayoutSpec { room_types: vec!["living_room".into()], diversity, ..spec() };
            (0..20u64)
                .filter_map(|seed| Optimizer.generate(&s, &manifest, &mut ChaCha8Rng::seed_from_u64(seed)).ok())
                .map(|l| {
                    l.furniture()
                        .filter(|o| o.parent.is_none())
                        .map(|o| o.category.clone())
                        .collect::<std::collections::BTreeSet<_>>()
                        .len()
                })
                .sum()
        };
        let (low, high) = (categories(0.0), categories(1.0));
        assert!(low < high, "diversity 0 gave {low} categories over 20 rooms, diversity 1 gave {high}");
    }

    #[test]
    fn small_objects_rest_on_their_surfaces() {
        let manifest = Manifest::builtin();
        let mut found = 0;
        for seed in 0..20u64 {
            let Ok(layout) = Optimizer.generate(&spec(), &manifest, &mut ChaCha8Rng::seed_from_u64(seed)) else {
                continue;
            };
            for o in layout.furniture().filter(|o| o.parent.is_some()) {
                let p = layout.object(o.parent.unwrap()).unwrap();
                let s = p.surfaces[o.parent_surface.unwrap()];
                assert!((o.obb.center.z - o.obb.size.z / 2.0 - s.z).abs() < 1e-4);
                // Resting, not sinking: no deeper than the tolerance into the support's shapes.
                assert!(parts_signed_distance(&o.parts, &p.parts) > -1e-3);
                found += 1;
            }
        }
        assert!(found > 20, "only {found} small objects in 20 seeds");
    }

    #[test]
    fn impossible_program_names_the_object_and_room() {
        let manifest = Manifest::builtin();
        let s = LayoutSpec {
            width_m: [2.6, 2.6],
            depth_m: [2.6, 2.6],
            room_types: vec!["kitchen".into()],
            best_effort: false,
            // A counter is at least 0.58 m deep: 0.58 + 2.2 m of clear front exceeds the 2.6 m room.
            front_clearance_m: 2.2,
            ..spec()
        };
        let err = Optimizer.generate(&s, &manifest, &mut ChaCha8Rng::seed_from_u64(1)).unwrap_err().to_string();
        assert!(err.contains("kitchen") && err.contains("cannot be placed") && err.contains("front"), "{err}");
    }

    #[test]
    fn best_effort_lists_what_was_dropped() {
        let manifest = Manifest::builtin();
        let s = LayoutSpec {
            width_m: [2.6, 2.6],
            depth_m: [2.6, 2.6],
            room_types: vec!["living_room".into()],
            front_clearance_m: 1.5,
            ..spec()
        };
        let mut seen_drop = false;
        for seed in 0..5 {
            if let Ok(l) = Optimizer.generate(&s, &manifest, &mut ChaCha8Rng::seed_from_u64(seed)) {
                seen_drop |= !l.report.dropped.is_empty();
                assert!(l.report.constraints.iter().all(|c| c.holds));
            }
        }
        assert!(seen_drop, "a cramped room must drop something");
    }
}
