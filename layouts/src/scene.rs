//! The static scene a layout produces: one room, its door, and the objects in it.

use diorama_assets::{Material, PartKind, PlacementRule};

use crate::geom::{Mat3, Vec2, Vec3};

/// A convex primitive of an object's shape, in world coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct Primitive {
    pub kind: PartKind,
    pub center: Vec3,
    /// Full extents along the primitive's own axes; a cylinder is `[d, d, h]` along its local z.
    pub size: Vec3,
    /// Columns are the primitive's local x, y, z axes in world coordinates.
    pub world_from_local: Mat3,
    /// Linear RGB albedo.
    pub color: [f32; 3],
    pub material: Material,
}

/// An oriented box: `center`, full extents `size` along the box's own axes, and the axes as columns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Obb {
    pub center: Vec3,
    pub size: Vec3,
    pub world_from_local: Mat3,
}

impl Obb {
    /// The eight corners in world coordinates.
    pub fn corners(&self) -> [Vec3; 8] {
        let h = self.size * 0.5;
        let mut out = [Vec3::ZERO; 8];
        for (i, c) in out.iter_mut().enumerate() {
            let sx = if i & 1 == 0 { -1.0 } else { 1.0 };
            let sy = if i & 2 == 0 { -1.0 } else { 1.0 };
            let sz = if i & 4 == 0 { -1.0 } else { 1.0 };
            *c = self.center + self.world_from_local * Vec3::new(sx * h.x, sy * h.y, sz * h.z);
        }
        out
    }

    /// The box as a single primitive (for distances between whole boxes).
    pub fn as_primitive(&self) -> Primitive {
        Primitive {
            kind: PartKind::Box,
            center: self.center,
            size: self.size,
            world_from_local: self.world_from_local,
            color: [0.0; 3],
            material: Material::Matte,
        }
    }
}

/// A room: an axis-aligned rectangle `origin + [0, width] x [0, depth]` on the floor plane z = 0.
#[derive(Debug, Clone, PartialEq)]
pub struct Room {
    pub id: u32,
    pub name: String,
    /// Corner of the floor with the least x and y (the world origin for a single-room scene).
    pub origin: Vec2,
    pub width_m: f32,
    pub depth_m: f32,
    /// Ceiling height; for an outdoor area, the height objects must stay below.
    pub height_m: f32,
    /// An outdoor area: no ceiling, and railings instead of its exterior walls.
    pub outdoor: bool,
    /// The corner an L-shaped room gives up (filled by a solid block of wall); `None` for a rectangle.
    pub notch: Option<Notch>,
}

/// The corner cut out of an L-shaped room: at corner `corner` (0: least x and y, then counter-clockwise; wall
/// `i` starts at corner `i`), `size` along x and y, metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Notch {
    pub corner: usize,
    pub size: Vec2,
}

impl Room {
    /// The four corners of the bounding rectangle, counter-clockwise from the least x and y.
    fn corners(&self) -> [Vec2; 4] {
        let (w, d) = (self.width_m, self.depth_m);
        [Vec2::ZERO, Vec2::new(w, 0.0), Vec2::new(w, d), Vec2::new(0.0, d)].map(|c| self.origin + c)
    }

    /// Floor outline, counter-clockwise seen from above: four corners, or six for an L.
    pub fn polygon(&self) -> Vec<Vec2> {
        let corners = self.corners();
        let Some(n) = self.notch else { return corners.to_vec() };
        let mut out = Vec::with_capacity(6);
        for (k, &c) in corners.iter().enumerate() {
            if k != n.corner {
                out.push(c);
                continue;
            }
            // The notch's corner is replaced by three: along the incoming wall, the inner corner, the outgoing.
            let (_, along_in, _, _) = self.wall_frame((k + 3) % 4);
            let (_, along_out, _, _) = self.wall_frame(k);
            let len = |dir: Vec2| (dir * n.size).abs().element_sum();
            let a = c - along_in * len(along_in);
            let b = c + along_out * len(along_out);
            out.extend([a, a + along_out * len(along_out), b]);
        }
        out
    }

    /// The notch as a rectangle (least and greatest corner), if the room is an L.
    pub fn notch_rect(&self) -> Option<(Vec2, Vec2)> {
        let n = self.notch?;
        let c = self.corners()[n.corner];
        let far = c + (self.center() - c).signum() * n.size;
        Some((c.min(far), c.max(far)))
    }

    pub fn area_m2(&self) -> f32 {
        self.width_m * self.depth_m - self.notch.map_or(0.0, |n| n.size.x * n.size.y)
    }

    /// Whether a floor point lies in the room (on its outline counts; not in the notch).
    pub fn contains(&self, p: Vec2) -> bool {
        let q = self.local(p);
        let in_rect = q.x >= 0.0 && q.y >= 0.0 && q.x <= self.width_m && q.y <= self.depth_m;
        in_rect && self.notch_rect().is_none_or(|(lo, hi)| !(p.x > lo.x && p.x < hi.x && p.y > lo.y && p.y < hi.y))
    }

    pub fn center(&self) -> Vec2 {
        self.origin + self.half_extents()
    }

    /// Half the floor's size.
    pub fn half_extents(&self) -> Vec2 {
        Vec2::new(self.width_m * 0.5, self.depth_m * 0.5)
    }

    /// A world point in room coordinates (relative to `origin`).
    pub fn local(&self, p: Vec2) -> Vec2 {
        p - self.origin
    }

    /// Wall `i` (0: y = 0, 1: x = width, 2: y = depth, 3: x = 0) as (start corner, unit direction along the
    /// wall, inward normal, length), counter-clockwise.
    pub fn wall_frame(&self, i: usize) -> (Vec2, Vec2, Vec2, f32) {
        let (w, d) = (self.width_m, self.depth_m);
        let (start, along, inward, length) = match i {
            0 => (Vec2::new(0.0, 0.0), Vec2::X, Vec2::Y, w),
            1 => (Vec2::new(w, 0.0), Vec2::Y, -Vec2::X, d),
            2 => (Vec2::new(w, d), -Vec2::X, -Vec2::Y, w),
            _ => (Vec2::new(0.0, d), -Vec2::Y, Vec2::X, d),
        };
        (self.origin + start, along, inward, length)
    }
}

/// A door opening in one wall of the room.
#[derive(Debug, Clone, PartialEq)]
pub struct Door {
    pub wall: usize,
    /// The room on the other side; `None` for the entrance from outside.
    pub leads_to: Option<u32>,
    /// Centre of the opening at floor level, on the wall's inner surface.
    pub center: Vec3,
    pub width_m: f32,
    pub height_m: f32,
}

/// A window opening in an exterior wall.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub wall: usize,
    /// Centre of the opening at sill height, on the wall's inner surface.
    pub center: Vec3,
    pub width_m: f32,
    /// Height of the opening above its sill.
    pub height_m: f32,
    /// Height of the sill above the floor.
    pub sill_m: f32,
}

/// A flat surface of an object that small objects may rest on: a rectangle in the object's local xy at world
/// height `z`, with `clear_m` of free height above it (0: open above).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Surface {
    pub z: f32,
    /// Rectangle in the object's local frame (metres): `[x_min, x_max]`, `[y_min, y_max]`.
    pub x: [f32; 2],
    pub y: [f32; 2],
    pub clear_m: f32,
}

/// Something in the scene with an id: furniture, a small object, or structure (floor, walls, ceiling).
#[derive(Debug, Clone, PartialEq)]
pub struct SceneObject {
    /// >= 1, unique in the scene.
    pub id: u32,
    /// Manifest key (`floor_lamp`), or `floor`, `wall`, `ceiling` for structure.
    pub category: String,
    /// Name for question text ("floor lamp").
    pub name: String,
    pub structural: bool,
    pub obb: Obb,
    pub parts: Vec<Primitive>,
    /// Id of the supporting object; `None` for the floor.
    pub parent: Option<u32>,
    /// A flat covering (rug) that furniture may stand on.
    pub flat: bool,
    /// How it was placed (structure counts as `Floor`).
    pub placement: PlacementRule,
    /// The wall (index into `Room::wall_frame`) its back stands against, for wall and corner placements.
    pub wall: Option<usize>,
    /// Has a functional front to keep clear.
    pub front: bool,
    /// Id of the anchor it is arranged around (chairs around a table), if any.
    pub anchor: Option<u32>,
    /// Surfaces small objects may rest on.
    pub surfaces: Vec<Surface>,
    /// Which of the parent's surfaces it rests on.
    pub parent_surface: Option<usize>,
    /// Yaw of the object's local frame about +z, radians.
    pub yaw_rad: f32,
}

/// One constraint the layout enforced and how much room it had.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    pub name: &'static str,
    pub holds: bool,
    /// Margin by which it holds (negative: violated), in `unit`.
    pub slack: f32,
    pub unit: &'static str,
    pub detail: String,
}

/// What the optimizer did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OptimizerStats {
    pub iterations: u32,
    pub accepted_moves: u32,
    pub initial_score: f32,
    pub final_score: f32,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct LayoutReport {
    pub constraints: Vec<Constraint>,
    /// Room type whose program furnished the room.
    pub room_type: String,
    /// Furniture asked for by the program and placed.
    pub requested_objects: u32,
    pub placed_objects: u32,
    pub small_objects: u32,
    /// Categories of optional (or, in best-effort mode, required) objects that could not be placed, with why.
    pub dropped: Vec<(String, String)>,
    pub stats: OptimizerStats,
    /// The functional-front clearance and walking-agent radius the constraints were checked with, metres.
    pub front_clearance_m: f32,
    pub agent_radius_m: f32,
}

/// A furnished room.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub room: Room,
    /// The room's doors; the entrance (leading outside) first.
    pub doors: Vec<Door>,
    pub windows: Vec<Window>,
    /// Structure first (floor, ceiling, walls), then furniture, then small objects; ids ascend.
    pub objects: Vec<SceneObject>,
    pub report: LayoutReport,
}

impl Layout {
    /// The door walking access is measured from: the entrance, else the first door.
    pub fn entrance(&self) -> &Door {
        self.doors.iter().find(|d| d.leads_to.is_none()).unwrap_or(&self.doors[0])
    }

    pub fn object(&self, id: u32) -> Option<&SceneObject> {
        self.objects.iter().find(|o| o.id == id)
    }

    /// Objects that are not floor, walls or ceiling.
    pub fn furniture(&self) -> impl Iterator<Item = &SceneObject> {
        self.objects.iter().filter(|o| !o.structural)
    }
}
