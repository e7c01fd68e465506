//! The room shell (floor, ceiling, walls with a door opening) and the geometry every layout step shares:
//! instantiating a category at a pose, wall poses, keep-clear zones.

use diorama_assets::{Category, Material, PartKind, PlacementRule};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::LayoutError;
use crate::geom::{Mat3, Vec2, Vec3, world_from_yaw};
use crate::scene::{Door, Notch, Obb, Primitive, Room, SceneObject, Surface, Window};

pub const WALL_THICKNESS_M: f32 = 0.1;
/// Gap between a wall-placed object's back and its wall (under the 2 cm the certificate allows).
pub const WALL_GAP_M: f32 = 0.01;
/// Depth of the keep-clear zone in front of a door: its swing.
pub const DOOR_ZONE_DEPTH_M: f32 = 0.9;
/// Height up to which a functional front must be clear.
const FRONT_ZONE_TOP_M: f32 = 1.2;

pub fn sample(rng: &mut ChaCha8Rng, range: [f32; 2]) -> f32 {
    if range[1] > range[0] { rng.random_range(range[0]..=range[1]) } else { range[0] }
}

pub fn sample_size(cat: &Category, rng: &mut ChaCha8Rng) -> Vec3 {
    Vec3::new(sample(rng, cat.size_x_m), sample(rng, cat.size_y_m), sample(rng, cat.size_z_m))
}

pub fn place_door(room: &Room, width_m: f32, height_m: f32, rng: &mut ChaCha8Rng) -> Result<Door, LayoutError> {
    let wall = rng.random_range(0..4usize);
    let (origin, along, _, length) = room.wall_frame(wall);
    let margin = 0.3 + width_m / 2.0;
    // An L-shaped room's notch covers a stretch of two walls: the door goes beside it.
    let (lo, hi) = match notch_span(room, wall) {
        Some((a, b)) if a <= 0.0 => (b + margin, length - margin),
        Some((a, _)) => (margin, a - margin),
        None => (margin, length - margin),
    };
    if hi < lo {
        return Err(LayoutError::Infeasible(format!("a {length:.2} m wall is too short for a {width_m:.2} m door")));
    }
    let s = rng.random_range(lo..=hi);
    let c = origin + along * s;
    Ok(Door { wall, leads_to: None, center: Vec3::new(c.x, c.y, 0.0), width_m, height_m })
}

/// Cuts a notch out of one corner of `room` with probability `share` (an L-shaped room), when both sides are at
/// least 3.2 m: 30 to 45 % of each side, at a corner whose walls hold none of `doors` (with 0.3 m to spare).
/// Draws nothing when `share` is 0.
pub fn maybe_notch(room: &mut Room, doors: &[Door], share: f32, rng: &mut ChaCha8Rng) {
    if share <= 0.0 || room.outdoor || room.width_m < 3.2 || room.depth_m < 3.2 || rng.random::<f32>() >= share {
        return;
    }
    let size = Vec2::new(room.width_m * rng.random_range(0.3..0.45), room.depth_m * rng.random_range(0.3..0.45));
    let first = rng.random_range(0..4usize);
    for corner in (0..4).map(|k| (first + k) % 4) {
        room.notch = Some(Notch { corner, size });
        let clear = doors.iter().all(|d| {
            let (origin, along, _, _) = room.wall_frame(d.wall);
            let s = (d.center.truncate() - origin).dot(along);
            notch_span(room, d.wall)
                .is_none_or(|(a, b)| s + d.width_m / 2.0 + 0.3 <= a || s - d.width_m / 2.0 - 0.3 >= b)
        });
        if clear {
            return;
        }
    }
    room.notch = None;
}

/// The stretch `[start, end]` of wall `wall` (measured along it from its start) that an L-shaped room's notch
/// covers, if any.
pub fn notch_span(room: &Room, wall: usize) -> Option<(f32, f32)> {
    let n = room.notch?;
    let (_, along, _, length) = room.wall_frame(wall);
    let covered = (along * n.size).abs().element_sum();
    if n.corner == wall {
        Some((0.0, covered))
    } else if n.corner == (wall + 1) % 4 {
        Some((length - covered, length))
    } else {
        None
    }
}

/// Sill height of windows, metres.
pub const WINDOW_SILL_M: f32 = 0.9;
/// Depth kept clear in front of a window, metres.
pub const WINDOW_ZONE_DEPTH_M: f32 = 0.35;
/// Furniture lower than the sill plus this may stand under a window.
pub const WINDOW_ZONE_LIFT_M: f32 = 0.05;

/// Windows in the walls without a door: each such wall of at least 1.8 m gets one with probability 0.7,
/// and a room gets at least one when any wall can hold it.
pub fn place_windows(room: &Room, doors: &[Door], rng: &mut ChaCha8Rng) -> Vec<Window> {
    let mut out = Vec::new();
    let head_room = room.height_m - WINDOW_SILL_M - 0.3;
    let walls: Vec<usize> =
        (0..4).filter(|&w| doors.iter().all(|d| d.wall != w) && room.wall_frame(w).3 >= 1.8).collect();
    for (k, &w) in walls.iter().enumerate() {
        let want = rng.random_bool(0.7) || (out.is_empty() && k + 1 == walls.len());
        if !want || head_room < 0.8 {
            continue;
        }
        let (origin, along, _, length) = room.wall_frame(w);
        let width = rng.random_range(0.8..=(length - 0.8).min(1.6));
        let height = rng.random_range(0.8..=head_room.min(1.4));
        let s = rng.random_range(0.4 + width / 2.0..=length - 0.4 - width / 2.0);
        // A window behind an L-shaped room's notch would open onto the solid block.
        if notch_span(room, w).is_some_and(|(a, b)| s + width / 2.0 > a - 0.1 && s - width / 2.0 < b + 0.1) {
            continue;
        }
        let c = origin + along * s;
        out.push(Window {
            wall: w,
            center: Vec3::new(c.x, c.y, WINDOW_SILL_M),
            width_m: width,
            height_m: height,
            sill_m: WINDOW_SILL_M,
        });
    }
    out
}

/// The box in front of a window that furniture taller than the sill may not enter.
pub fn window_zone(room: &Room, window: &Window) -> Primitive {
    let (_, along, inward, _) = room.wall_frame(window.wall);
    let c = window.center.truncate() + inward * (WINDOW_ZONE_DEPTH_M / 2.0);
    let (z0, z1) = (window.sill_m + WINDOW_ZONE_LIFT_M, window.sill_m + window.height_m);
    let along3 = Vec3::new(along.x.abs(), along.y.abs(), 0.0);
    let across3 = Vec3::new(inward.x.abs(), inward.y.abs(), 0.0);
    box_part(
        Vec3::new(c.x, c.y, (z0 + z1) / 2.0),
        along3 * (window.width_m + 0.1) + across3 * WINDOW_ZONE_DEPTH_M + Vec3::Z * (z1 - z0),
        [0.0; 3],
        Material::Matte,
    )
}

/// Pieces of a wall of length `length` (plus `ends.0` before and `ends.1` after) and height `h` around openings
/// given as (start, end, bottom, top) along the wall: full-height strips between openings, and boxes below and
/// above each opening. Returned as (start, end, bottom, top).
fn wall_pieces(
    length: f32,
    ends: (f32, f32),
    h: f32,
    mut openings: Vec<(f32, f32, f32, f32)>,
) -> Vec<(f32, f32, f32, f32)> {
    openings.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut pieces = Vec::new();
    let mut cursor = -ends.0;
    for (s0, s1, z0, z1) in openings {
        if s0 > cursor {
            pieces.push((cursor, s0, 0.0, h));
        }
        if z0 > 0.0 {
            pieces.push((s0, s1, 0.0, z0));
        }
        if z1 < h {
            pieces.push((s0, s1, z1, h));
        }
        cursor = s1;
    }
    if length + ends.1 > cursor {
        pieces.push((cursor, length + ends.1, 0.0, h));
    }
    pieces
}

pub fn box_part(center: Vec3, size: Vec3, color: [f32; 3], material: Material) -> Primitive {
    Primitive { kind: PartKind::Box, center, size, world_from_local: Mat3::IDENTITY, color, material }
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
        placement: PlacementRule::Floor,
        wall: None,
        front: false,
        anchor: None,
        surfaces: vec![],
        parent_surface: None,
        yaw_rad: 0.0,
    }
}

/// Floor (id 1), ceiling (2) and four walls (3..=6) of full thickness, split around the door and window
/// openings.
pub fn structure(room: &Room, doors: &[Door], windows: &[Window]) -> Vec<SceneObject> {
    structure_with(room, doors, windows, [WALL_THICKNESS_M; 4])
}

/// Height of an outdoor area's railings, metres.
pub const RAILING_HEIGHT_M: f32 = 1.0;

/// Like [`structure`], with each wall's thickness (an apartment's interior walls are shared by two rooms, so
/// each room builds half). Slabs lie outside the room and reach over the neighbouring walls at the corners.
/// An outdoor room has no ceiling, and its full-thickness (exterior) walls are railings `RAILING_HEIGHT_M` high.
pub fn structure_with(room: &Room, doors: &[Door], windows: &[Window], thickness: [f32; 4]) -> Vec<SceneObject> {
    let (w, d, h, t) = (room.width_m, room.depth_m, room.height_m, WALL_THICKNESS_M);
    let slab = |center: Vec3, size: Vec3| Obb { center, size, world_from_local: Mat3::IDENTITY };
    // Floor and ceiling reach under and over every wall.
    let mid = room.center() + Vec2::new(thickness[1] - thickness[3], thickness[2] - thickness[0]) / 2.0;
    let extent = Vec2::new(w + (thickness[1] + thickness[3]), d + (thickness[0] + thickness[2]));
    let floor = slab(Vec3::new(mid.x, mid.y, -t / 2.0), Vec3::new(extent.x, extent.y, t));
    let ceiling = slab(Vec3::new(mid.x, mid.y, h + t / 2.0), Vec3::new(extent.x, extent.y, t));
    // Wet rooms and balconies are tiled; other rooms have floorboards.
    let (floor_color, floor_material) = match room.name.as_str() {
        _ if room.outdoor => ([0.5, 0.47, 0.44], Material::Tiles),
        "kitchen" | "bathroom" => ([0.7, 0.7, 0.68], Material::Tiles),
        _ => ([0.55, 0.42, 0.3], Material::Floorboards),
    };
    let mut out =
        vec![structural(1, "floor", floor, vec![box_part(floor.center, floor.size, floor_color, floor_material)])];
    // An outdoor area is open to the sky.
    if !room.outdoor {
        out.push(structural(
            2,
            "ceiling",
            ceiling,
            vec![box_part(ceiling.center, ceiling.size, [0.9, 0.9, 0.9], Material::Plaster)],
        ));
    }
    let wall_color = [0.82, 0.8, 0.74];
    for i in 0..4 {
        let (origin, along, inward, length) = room.wall_frame(i);
        let t = thickness[i];
        // An outdoor area's exterior sides (full thickness) are railings; the side against the building is a wall.
        let railing = room.outdoor && t >= WALL_THICKNESS_M - 1e-6;
        let (h, kind, wall_color, wall_material) = if railing {
            (RAILING_HEIGHT_M, "railing", [0.45, 0.45, 0.48], Material::Metal)
        } else {
            (h, "wall", wall_color, Material::Plaster)
        };
        // The slab runs along the wall outside the room, over the neighbouring walls at both corners.
        let (t0, t1) = (thickness[(i + 3) % 4], thickness[(i + 1) % 4]);
        let mid = origin + along * (length / 2.0 + (t1 - t0) / 2.0) - inward * (t / 2.0);
        let along3 = Vec3::new(along.x.abs(), along.y.abs(), 0.0);
        let across3 = Vec3::new(inward.x.abs(), inward.y.abs(), 0.0);
        let full = along3 * (length + (t0 + t1)) + across3 * t + Vec3::Z * h;
        let obb = slab(Vec3::new(mid.x, mid.y, h / 2.0), full);
        let along_of = |p: Vec3| (p.truncate() - origin).dot(along);
        let mut openings = Vec::new();
        for door in doors.iter().filter(|d| d.wall == i) {
            let s = along_of(door.center);
            openings.push((s - door.width_m / 2.0, s + door.width_m / 2.0, 0.0, door.height_m));
        }
        for w in windows.iter().filter(|w| w.wall == i) {
            let s = along_of(w.center);
            openings.push((s - w.width_m / 2.0, s + w.width_m / 2.0, w.sill_m, w.sill_m + w.height_m));
        }
        let parts = wall_pieces(length, (t0, t1), h, openings)
            .into_iter()
            .map(|(a, b, z0, z1)| {
                let c = origin + along * ((a + b) / 2.0) - inward * (t / 2.0);
                box_part(
                    Vec3::new(c.x, c.y, (z0 + z1) / 2.0),
                    along3 * (b - a) + across3 * t + Vec3::Z * (z1 - z0),
                    wall_color,
                    wall_material,
                )
            })
            .collect();
        out.push(structural(out.len() as u32 + 1, kind, obb, parts));
    }
    // An L-shaped room's notch: a solid block of wall from floor to ceiling.
    if let Some((lo, hi)) = room.notch_rect() {
        let c = (lo + hi) / 2.0;
        let block = slab(Vec3::new(c.x, c.y, h / 2.0), (hi - lo).extend(h));
        out.push(structural(
            out.len() as u32 + 1,
            "wall",
            block,
            vec![box_part(block.center, block.size, wall_color, Material::Plaster)],
        ));
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
                material: cat.part_material(p),
            }
        })
        .collect();
    let surfaces = cat
        .support_surfaces()
        .iter()
        .map(|s| Surface {
            z: pos.z + s.z * size.z,
            x: [s.x[0] * size.x, s.x[1] * size.x],
            y: [s.y[0] * size.y, s.y[1] * size.y],
            clear_m: s.clear * size.z,
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
        placement: cat.placement,
        wall: None,
        front: cat.front,
        anchor: None,
        surfaces,
        parent_surface: None,
        yaw_rad,
    }
}

/// The same object moved rigidly: rotated by `angle` about the vertical through `pivot`, then shifted by `delta`.
pub fn transformed(o: &SceneObject, pivot: Vec3, angle: f32, delta: Vec3) -> SceneObject {
    let rot = world_from_yaw(angle);
    let move_point = |p: Vec3| pivot + rot * (p - pivot) + delta;
    let mut out = o.clone();
    out.obb.center = move_point(o.obb.center);
    out.obb.world_from_local = rot * o.obb.world_from_local;
    for p in &mut out.parts {
        p.center = move_point(p.center);
        p.world_from_local = rot * p.world_from_local;
    }
    for s in &mut out.surfaces {
        s.z += delta.z;
    }
    out.yaw_rad = o.yaw_rad + angle;
    out
}

/// Footprint centre and yaw of an object of depth `depth_m` with its back against wall `wall` at along-wall
/// coordinate `s`, facing into the room.
pub fn wall_pose(room: &Room, wall: usize, s: f32, depth_m: f32) -> (Vec3, f32) {
    let (origin, along, inward, _) = room.wall_frame(wall);
    let p = origin + along * s + inward * (depth_m / 2.0 + WALL_GAP_M);
    (Vec3::new(p.x, p.y, 0.0), f32::atan2(-inward.x, inward.y))
}

/// The keep-clear box in front of the door, as a primitive: the door's swing.
pub fn door_zone(room: &Room, door: &Door) -> Primitive {
    let (_, along, inward, _) = room.wall_frame(door.wall);
    let c = Vec2::new(door.center.x, door.center.y) + inward * (DOOR_ZONE_DEPTH_M / 2.0);
    let along3 = Vec3::new(along.x.abs(), along.y.abs(), 0.0);
    let across3 = Vec3::new(inward.x.abs(), inward.y.abs(), 0.0);
    box_part(
        Vec3::new(c.x, c.y, door.height_m / 2.0),
        along3 * (door.width_m + 0.2) + across3 * DOOR_ZONE_DEPTH_M + Vec3::Z * door.height_m,
        [0.0; 3],
        Material::Matte,
    )
}

/// The box that must stay clear in front of an object's functional front: as wide as the object,
/// `clearance_m` deep, from just above the floor to 1.2 m.
pub fn front_zone(o: &SceneObject, clearance_m: f32) -> Primitive {
    let r = o.obb.world_from_local;
    let floor_z = o.obb.center.z - o.obb.size.z / 2.0;
    let local = Vec3::new(0.0, o.obb.size.y / 2.0 + clearance_m / 2.0 + 0.002, 0.0);
    let c = o.obb.center + r * local;
    Primitive {
        kind: PartKind::Box,
        center: Vec3::new(c.x, c.y, floor_z + 0.02 + (FRONT_ZONE_TOP_M - 0.02) / 2.0),
        size: Vec3::new(o.obb.size.x, clearance_m, FRONT_ZONE_TOP_M - 0.02),
        world_from_local: r,
        color: [0.0; 3],
        material: Material::Matte,
    }
}

/// How far the box stays inside the room (negative: it pokes out through a wall, floor or ceiling), metres.
/// The floor side is granted 0.1 mm, so an object standing exactly on the floor counts as inside.
pub fn inside_margin(room: &Room, obb: &Obb) -> f32 {
    let corners = obb.corners();
    let walls = corners
        .iter()
        .map(|c| {
            let p = room.local(c.truncate());
            p.x.min(p.y).min(room.width_m - p.x).min(room.depth_m - p.y).min(room.height_m - c.z).min(c.z + 1e-4)
        })
        .fold(f32::INFINITY, f32::min);
    match room.notch_rect() {
        Some(notch) => walls.min(footprint_separation(&corners, notch)),
        None => walls,
    }
}

/// Separation on the floor plane between a box's footprint and an axis-aligned rectangle, by separating axes
/// (the rectangle's two and the box's two): positive when apart (a lower bound of the distance), negative by
/// the least overlap when they overlap, zero when touching.
pub fn footprint_separation(corners: &[Vec3; 8], (lo, hi): (Vec2, Vec2)) -> f32 {
    let foot: Vec<Vec2> = corners.iter().map(|c| c.truncate()).collect();
    let rect = [lo, Vec2::new(hi.x, lo.y), hi, Vec2::new(lo.x, hi.y)];
    let mut axes = vec![Vec2::X, Vec2::Y];
    for k in [1usize, 2] {
        let e = foot[k] - foot[0];
        if e.length_squared() > 1e-12 {
            axes.push(e.normalize());
        }
    }
    axes.iter()
        .map(|&a| {
            let span = |pts: &[Vec2]| {
                pts.iter().map(|p| p.dot(a)).fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), x| (l.min(x), h.max(x)))
            };
            let ((a0, a1), (b0, b1)) = (span(&foot), span(&rect));
            (b0 - a1).max(a0 - b1)
        })
        .fold(f32::NEG_INFINITY, f32::max)
}

/// Whether two objects are arranged together (one anchors the other, or they share an anchor).
pub fn mates(a: &SceneObject, b: &SceneObject) -> bool {
    a.anchor == Some(b.id) || b.anchor == Some(a.id) || (a.anchor.is_some() && a.anchor == b.anchor)
}

/// Axis-aligned bounds (min, max) of an object's box.
pub fn aabb(o: &SceneObject) -> (Vec3, Vec3) {
    let cs = o.obb.corners();
    cs.iter().fold((cs[0], cs[0]), |(lo, hi), c| (lo.min(*c), hi.max(*c)))
}

/// Gap between two axis-aligned boxes (0 when they overlap): a cheap lower bound of the true distance.
pub fn aabb_gap(a: (Vec3, Vec3), b: (Vec3, Vec3)) -> f32 {
    let d = (b.0 - a.1).max(a.0 - b.1).max(Vec3::ZERO);
    d.length()
}

/// Layouts for tests of other modules.
#[cfg(test)]
pub mod tests_support {
    use super::*;
    use crate::scene::{Layout, LayoutReport};

    /// An indoor rectangular room `width_m` x `depth_m` x `height_m` at the origin.
    pub fn rect_room(width_m: f32, depth_m: f32, height_m: f32) -> Room {
        Room { id: 0, name: "room".into(), origin: Vec2::ZERO, width_m, depth_m, height_m, outdoor: false, notch: None }
    }

    /// A 4 x 3 x 2.6 m room with a door in wall 0 and no furniture.
    pub fn open_room() -> Layout {
        let room = rect_room(4.0, 3.0, 2.6);
        let door = Door { wall: 0, leads_to: None, center: Vec3::new(2.0, 0.0, 0.0), width_m: 0.9, height_m: 2.1 };
        let objects = structure(&room, std::slice::from_ref(&door), &[]);
        Layout { room, doors: vec![door], windows: vec![], objects, report: LayoutReport::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::rect_room;
    use super::*;
    use diorama_assets::Manifest;

    #[test]
    fn front_zone_lies_in_front_of_a_wall_object() {
        let m = Manifest::builtin();
        let room = rect_room(4.0, 4.0, 2.6);
        // A cabinet against wall 0 (y = 0) faces +y: its zone spans y in [depth, depth + 0.6].
        let (pos, yaw) = wall_pose(&room, 0, 2.0, 0.5);
        let o = instantiate(7, "cabinet", m.get("cabinet").unwrap(), pos, yaw, Vec3::new(1.0, 0.5, 0.9));
        let z = front_zone(&o, 0.6);
        let front_face = WALL_GAP_M + 0.5;
        assert!((z.center.y - (front_face + 0.3 + 0.002)).abs() < 1e-5, "{}", z.center);
        assert!((z.center.x - 2.0).abs() < 1e-5 && (z.size.y - 0.6).abs() < 1e-6);
    }

    #[test]
    fn rigid_transform_moves_every_part() {
        let m = Manifest::builtin();
        let o =
            instantiate(7, "chair", m.get("chair").unwrap(), Vec3::new(1.0, 1.0, 0.0), 0.0, Vec3::new(0.5, 0.5, 0.9));
        let t = transformed(&o, Vec3::new(1.0, 1.0, 0.0), std::f32::consts::FRAC_PI_2, Vec3::new(0.5, 0.0, 0.0));
        // The chair's front (+y) now points to -x; its centre moved by 0.5 m in x.
        assert!((t.obb.world_from_local.y_axis - Vec3::new(-1.0, 0.0, 0.0)).length() < 1e-6);
        assert!((t.obb.center - (o.obb.center + Vec3::new(0.5, 0.0, 0.0))).length() < 1e-6);
        let again = instantiate(
            7,
            "chair",
            m.get("chair").unwrap(),
            Vec3::new(1.5, 1.0, 0.0),
            std::f32::consts::FRAC_PI_2,
            Vec3::new(0.5, 0.5, 0.9),
        );
        for (a, b) in t.parts.iter().zip(&again.parts) {
            assert!((a.center - b.center).length() < 1e-5);
        }
    }

    #[test]
    fn wall_pieces_leave_exactly_the_openings() {
        // A 4 m wall, 2.5 m high, with a door at [1, 2] up to 2.1 m and a window at [2.5, 3.5] from 0.9 to 2.0.
        let pieces = wall_pieces(4.0, (0.1, 0.1), 2.5, vec![(2.5, 3.5, 0.9, 2.0), (1.0, 2.0, 0.0, 2.1)]);
        let area: f32 = pieces.iter().map(|(a, b, z0, z1)| (b - a) * (z1 - z0)).sum();
        let expected = 4.2 * 2.5 - 1.0 * 2.1 - 1.0 * 1.1;
        assert!((area - expected).abs() < 1e-4, "{area} vs {expected}");
        // No piece covers a point inside either opening.
        for (x, z) in [(1.5, 1.0), (3.0, 1.5)] {
            assert!(!pieces.iter().any(|(a, b, z0, z1)| x > *a && x < *b && z > *z0 && z < *z1));
        }
    }

    #[test]
    fn an_l_shaped_room_is_its_rectangle_less_the_notch() {
        use crate::scene::Notch;
        // A 5 x 4 m room without its 2 x 1.5 m corner at (5, 4).
        let room = Room {
            origin: Vec2::new(1.0, 1.0),
            notch: Some(Notch { corner: 2, size: Vec2::new(2.0, 1.5) }),
            ..rect_room(5.0, 4.0, 2.6)
        };
        assert_eq!(room.area_m2(), 20.0 - 3.0);
        let poly = room.polygon();
        assert_eq!(poly.len(), 6);
        let shoelace: f32 = (0..6).map(|k| poly[k].perp_dot(poly[(k + 1) % 6])).sum::<f32>() / 2.0;
        assert!((shoelace - 17.0).abs() < 1e-4, "counter-clockwise with the L's area: {shoelace}");
        assert_eq!(room.notch_rect(), Some((Vec2::new(4.0, 3.5), Vec2::new(6.0, 5.0))));
        assert!(room.contains(Vec2::new(2.0, 4.5)) && !room.contains(Vec2::new(5.0, 4.0)));
        // The notch covers the last 1.5 m of wall 1 (x = 6) and the first 2 m of wall 2 (y = 5).
        assert_eq!(notch_span(&room, 1), Some((2.5, 4.0)));
        assert_eq!(notch_span(&room, 2), Some((0.0, 2.0)));
        assert_eq!(notch_span(&room, 0), None);
        // A 1 m cube 0.5 m left of the notch, then touching it, then half into it.
        let cube = |x: f32| Obb { center: Vec3::new(x, 4.0, 0.5), size: Vec3::ONE, world_from_local: Mat3::IDENTITY };
        let notch = room.notch_rect().unwrap();
        assert!((footprint_separation(&cube(3.0).corners(), notch) - 0.5).abs() < 1e-5);
        assert!(footprint_separation(&cube(3.5).corners(), notch).abs() < 1e-5);
        assert!((inside_margin(&room, &cube(4.0)) + 0.5).abs() < 1e-5);
        // Turned 45 degrees with a corner pointing at the notch: the separating axes still bound the gap.
        let turned = Obb { world_from_local: Mat3::from_rotation_z(std::f32::consts::FRAC_PI_4), ..cube(3.0) };
        let gap = footprint_separation(&turned.corners(), notch);
        assert!(gap > 0.0 && gap <= 1.0 - std::f32::consts::SQRT_2 / 2.0 + 1e-5, "{gap}");
        // The structure holds the notch as a solid block of wall from floor to ceiling.
        let s = structure(&room, &[], &[]);
        let block = s.last().unwrap();
        assert_eq!(block.category, "wall");
        assert!((block.obb.center - Vec3::new(5.0, 4.25, 1.3)).length() < 1e-5);
    }

    #[test]
    fn inside_margin_is_the_distance_to_the_nearest_wall_floor_or_ceiling() {
        let room = rect_room(4.0, 3.0, 2.5);
        // A 1 m cube standing on the floor 0.5 m from wall 3 (x = 0): its margin is 0 (on the floor).
        let on_floor = Obb { center: Vec3::new(1.0, 1.5, 0.5), size: Vec3::ONE, world_from_local: Mat3::IDENTITY };
        assert!(inside_margin(&room, &on_floor).abs() <= 1e-4 + 1e-6);
        // Lifted by 0.2 m, the nearest boundary is the floor, 0.2 m below (plus the 0.1 mm the floor is granted
        // so that objects standing on it count as inside despite float noise).
        let lifted = Obb { center: Vec3::new(1.0, 1.5, 0.7), ..on_floor };
        assert!((inside_margin(&room, &lifted) - 0.2001).abs() < 1e-5);
        // Rotated 45 degrees about z, its corners reach sqrt(2)/2 from the centre: 1.0 - 0.7071 from wall 3.
        let turned = Obb {
            center: Vec3::new(1.0, 1.5, 1.0),
            size: Vec3::ONE,
            world_from_local: world_from_yaw(std::f32::consts::FRAC_PI_4),
        };
        assert!((inside_margin(&room, &turned) - (1.0 - std::f32::consts::SQRT_2 / 2.0)).abs() < 1e-5);
        // Poking through the ceiling is negative.
        let tall = Obb { center: Vec3::new(2.0, 1.5, 1.3), size: Vec3::new(1.0, 1.0, 2.6), ..on_floor };
        assert!((inside_margin(&room, &tall) + 0.1).abs() < 1e-5);
    }

    #[test]
    fn door_and_window_zones_sit_against_their_walls() {
        let room = rect_room(4.0, 3.0, 2.5);
        // A door in wall 1 (x = 4) at y = 1.5: its swing zone spans x in [3.1, 4], y in [0.95, 2.05].
        let door = Door { wall: 1, leads_to: None, center: Vec3::new(4.0, 1.5, 0.0), width_m: 0.9, height_m: 2.1 };
        let z = door_zone(&room, &door);
        assert!((z.center - Vec3::new(4.0 - 0.45, 1.5, 1.05)).length() < 1e-5, "{}", z.center);
        assert!((z.size - Vec3::new(0.9, 1.1, 2.1)).length() < 1e-5, "{}", z.size);
        // A window in wall 2 (y = 3) at x = 2, 1.2 m wide, sill 0.9, 1.1 m high.
        let w = Window { wall: 2, center: Vec3::new(2.0, 3.0, 0.9), width_m: 1.2, height_m: 1.1, sill_m: 0.9 };
        let z = window_zone(&room, &w);
        assert!((z.center - Vec3::new(2.0, 3.0 - 0.175, (0.95 + 2.0) / 2.0)).length() < 1e-5, "{}", z.center);
        assert!((z.size - Vec3::new(1.3, 0.35, 1.05)).length() < 1e-5, "{}", z.size);
    }

    #[test]
    fn aabb_gap_is_euclidean_between_separated_boxes() {
        let a = (Vec3::ZERO, Vec3::ONE);
        let b = (Vec3::new(4.0, 5.0, 0.0), Vec3::new(5.0, 6.0, 1.0));
        assert!((aabb_gap(a, b) - 5.0).abs() < 1e-6);
        assert_eq!(aabb_gap(a, (Vec3::splat(0.5), Vec3::splat(2.0))), 0.0);
    }
}
