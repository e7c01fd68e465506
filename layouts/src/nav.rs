//! A navigation grid over the floor: which cells a vertical agent of a given radius can stand in, and
//! shortest paths between cells (A* with integer costs, so the result is identical on every machine).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use parry3d::math::Pose;
use parry3d::shape::Segment;

use crate::apartment::Apartment;
use crate::geom::{Vec2, Vec3, parry_shape};
use crate::scene::{Door, Layout, SceneObject};

/// Free cells of the room floor for an agent of radius `radius_m` standing up to `agent_height_m`.
#[derive(Debug, Clone)]
pub struct NavGrid {
    /// World position of the grid's corner (the room's origin).
    pub origin: Vec2,
    pub cell_m: f32,
    pub nx: usize,
    pub ny: usize,
    pub radius_m: f32,
    free: Vec<bool>,
}

pub type Cell = (usize, usize);

/// Height of the walking agent the constraints are checked for, metres.
pub const AGENT_HEIGHT_M: f32 = 1.8;

impl NavGrid {
    /// Marks a cell free when the vertical segment through its centre, from the floor to 1.8 m, keeps
    /// `radius_m` from every wall and every solid object (rugs excepted), measured with parry3d.
    pub fn build(layout: &Layout, radius_m: f32, cell_m: f32) -> NavGrid {
        let size = Vec2::new(layout.room.width_m, layout.room.depth_m);
        NavGrid::build_area(layout.room.origin, size, layout.objects.iter(), radius_m, cell_m, AGENT_HEIGHT_M)
    }

    /// The same over every room of an apartment: one grid over its bounds, so paths run through the doors.
    /// Only floors enclosed by walls are reachable from a door: the grid ends at the outline of the rooms.
    /// The agent stands `height_m` tall (a camera at eye height needs less than a walker under a lintel).
    pub fn build_apartment(apartment: &Apartment, radius_m: f32, cell_m: f32, height_m: f32) -> NavGrid {
        let (min, max) = apartment.bounds();
        let mut grid = NavGrid::build_area(min, max - min, apartment.objects(), radius_m, cell_m, height_m);
        // The bounds of an apartment with an outdoor area take in ground outside the building: only floors and
        // door openings are walkable.
        for j in 0..grid.ny {
            for i in 0..grid.nx {
                let c = grid.center((i, j));
                if !(apartment.room_at(c).is_some() || in_doorway(apartment, c)) {
                    grid.free[j * grid.nx + i] = false;
                }
            }
        }
        grid
    }

    /// Free cells of the rectangle `origin + [0, size]` among `objects`, for an agent `height_m` tall.
    pub fn build_area<'a>(
        origin: Vec2,
        size: Vec2,
        objects: impl Iterator<Item = &'a SceneObject>,
        radius_m: f32,
        cell_m: f32,
        height_m: f32,
    ) -> NavGrid {
        let nx = (size.x / cell_m).floor() as usize;
        let ny = (size.y / cell_m).floor() as usize;
        let solids: Vec<_> = objects
            .filter(|o| !o.flat && o.category != "floor" && o.category != "ceiling")
            .flat_map(|o| o.parts.iter())
            .map(|p| {
                let (shape, pose) = parry_shape(p);
                let aabb = shape.compute_aabb(&pose);
                (shape, pose, aabb)
            })
            .collect();
        let segment = Segment::new(Vec3::new(0.0, 0.0, 0.02), Vec3::new(0.0, 0.0, height_m));
        let mut free = vec![false; nx * ny];
        for j in 0..ny {
            for i in 0..nx {
                let c = origin + Vec2::new((i as f32 + 0.5) * cell_m, (j as f32 + 0.5) * cell_m);
                let pose = Pose::from_translation(Vec3::new(c.x, c.y, 0.0));
                free[j * nx + i] = solids.iter().all(|(shape, p, aabb)| {
                    // Cheap 2D rejection before the exact query.
                    if c.x < aabb.mins.x - radius_m
                        || c.x > aabb.maxs.x + radius_m
                        || c.y < aabb.mins.y - radius_m
                        || c.y > aabb.maxs.y + radius_m
                    {
                        return true;
                    }
                    parry3d::query::distance(&pose, &segment, p, shape.as_ref())
                        .map(|d| d.distance >= radius_m)
                        .unwrap_or(false)
                });
            }
        }
        NavGrid { origin, cell_m, nx, ny, radius_m, free }
    }

    pub fn is_free(&self, c: Cell) -> bool {
        c.0 < self.nx && c.1 < self.ny && self.free[c.1 * self.nx + c.0]
    }

    pub fn center(&self, c: Cell) -> Vec2 {
        self.origin + Vec2::new((c.0 as f32 + 0.5) * self.cell_m, (c.1 as f32 + 0.5) * self.cell_m)
    }

    /// The free cell nearest to `p` (ties broken by cell order), if any.
    pub fn nearest_free(&self, p: Vec2, within: &[bool]) -> Option<Cell> {
        let mut best: Option<(f32, Cell)> = None;
        for j in 0..self.ny {
            for i in 0..self.nx {
                if !within[j * self.nx + i] {
                    continue;
                }
                let d = self.center((i, j)).distance_squared(p);
                if best.is_none_or(|(bd, _)| d < bd) {
                    best = Some((d, (i, j)));
                }
            }
        }
        best.map(|(_, c)| c)
    }

    fn neighbours(&self, c: Cell) -> impl Iterator<Item = (Cell, u32)> + '_ {
        const STEPS: [(i32, i32, u32); 8] =
            [(1, 0, 10), (-1, 0, 10), (0, 1, 10), (0, -1, 10), (1, 1, 14), (1, -1, 14), (-1, 1, 14), (-1, -1, 14)];
        STEPS.iter().filter_map(move |&(dx, dy, cost)| {
            let n = (c.0 as i32 + dx, c.1 as i32 + dy);
            if n.0 < 0 || n.1 < 0 {
                return None;
            }
            let n = (n.0 as usize, n.1 as usize);
            // A diagonal step may not cut a blocked corner.
            let ok = self.is_free(n) && (dx == 0 || dy == 0 || (self.is_free((n.0, c.1)) && self.is_free((c.0, n.1))));
            ok.then_some((n, cost))
        })
    }

    /// Cells connected to `start` (a mask over the grid).
    pub fn component(&self, start: Cell) -> Vec<bool> {
        let mut seen = vec![false; self.nx * self.ny];
        if !self.is_free(start) {
            return seen;
        }
        let mut stack = vec![start];
        seen[start.1 * self.nx + start.0] = true;
        while let Some(c) = stack.pop() {
            for (n, _) in self.neighbours(c) {
                let k = n.1 * self.nx + n.0;
                if !seen[k] {
                    seen[k] = true;
                    stack.push(n);
                }
            }
        }
        seen
    }

    /// Free cells reachable from the door, as a mask: the walkable part of the room.
    pub fn reachable_from_door(&self, layout: &Layout) -> Vec<bool> {
        self.reachable_from(door_step(layout, layout.entrance(), self.radius_m + self.cell_m))
    }

    /// Free cells connected to the free cell nearest to `p`, if one lies within 0.5 m of it.
    pub fn reachable_from(&self, p: Vec2) -> Vec<bool> {
        let all_free = self.free.clone();
        match self.nearest_free(p, &all_free) {
            Some(c) if self.center(c).distance(p) < 0.5 => self.component(c),
            _ => vec![false; self.nx * self.ny],
        }
    }

    /// Whether the mask holds a cell within 0.5 m of `p`.
    pub fn reaches(&self, mask: &[bool], p: Vec2) -> bool {
        self.nearest_free(p, mask).is_some_and(|c| self.center(c).distance(p) < 0.5)
    }

    /// Shortest 8-connected path of free cells from `a` to `b`, both included.
    pub fn shortest_path(&self, a: Cell, b: Cell) -> Option<Vec<Cell>> {
        if !self.is_free(a) || !self.is_free(b) {
            return None;
        }
        let idx = |c: Cell| c.1 * self.nx + c.0;
        let h = |c: Cell| {
            let (dx, dy) = (c.0.abs_diff(b.0) as u32, c.1.abs_diff(b.1) as u32);
            10 * dx.max(dy) + 4 * dx.min(dy)
        };
        let mut g = vec![u32::MAX; self.nx * self.ny];
        let mut came = vec![usize::MAX; self.nx * self.ny];
        let mut open = BinaryHeap::new();
        g[idx(a)] = 0;
        open.push(Reverse((h(a), idx(a))));
        while let Some(Reverse((_, k))) = open.pop() {
            let c = (k % self.nx, k / self.nx);
            if c == b {
                let mut path = vec![c];
                let mut k = k;
                while came[k] != usize::MAX {
                    k = came[k];
                    path.push((k % self.nx, k / self.nx));
                }
                path.reverse();
                return Some(path);
            }
            for (n, cost) in self.neighbours(c) {
                let ng = g[k] + cost;
                if ng < g[idx(n)] {
                    g[idx(n)] = ng;
                    came[idx(n)] = k;
                    open.push(Reverse((ng + h(n), idx(n))));
                }
            }
        }
        None
    }
}

/// Whether `p` lies in the opening of a door of the apartment (within the wall, between its jambs).
fn in_doorway(apartment: &Apartment, p: Vec2) -> bool {
    apartment.rooms.iter().any(|l| {
        l.doors.iter().any(|d| {
            let (_, along, inward, _) = l.room.wall_frame(d.wall);
            let q = p - d.center.truncate();
            q.dot(along).abs() <= d.width_m / 2.0 && (-0.2..=0.0).contains(&q.dot(inward))
        })
    })
}

/// The point `depth_m` inside a room from the middle of one of its doors.
pub fn door_step(layout: &Layout, door: &Door, depth_m: f32) -> Vec2 {
    let (_, _, inward, _) = layout.room.wall_frame(door.wall);
    door.center.truncate() + inward * depth_m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::tests_support::open_room;

    #[test]
    fn empty_room_is_free_except_a_border_of_the_agent_radius() {
        let layout = open_room();
        let grid = NavGrid::build(&layout, 0.25, 0.1);
        // Cell centres at 0.05, 0.15, 0.25 (exactly the radius), 0.35 ...
        assert!(!grid.is_free((1, 10)));
        assert!(grid.is_free((2, 10)));
        assert!(grid.is_free((10, 10)));
    }

    #[test]
    fn shortest_path_in_open_room_has_octile_length() {
        let layout = open_room();
        let grid = NavGrid::build(&layout, 0.25, 0.1);
        let path = grid.shortest_path((5, 5), (15, 10)).unwrap();
        // 5 diagonal + 5 straight steps: 11 cells.
        assert_eq!(path.len(), 11);
        assert_eq!(path.first(), Some(&(5, 5)));
        assert_eq!(path.last(), Some(&(15, 10)));
    }
}
