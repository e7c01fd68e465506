//! A furnished scene of one or more rooms: a single room, or the rooms of an apartment joined by doors.
//! Object ids are unique across the rooms, so one instance map and one scene.json cover them all.

use crate::constraints::NAV_CELL_M;
use crate::geom::Vec2;
use crate::nav::{NavGrid, door_step};
use crate::scene::{Constraint, Door, Layout, SceneObject};

#[derive(Debug, Clone, PartialEq)]
pub struct Apartment {
    /// Rooms in plan order; room ids are their indices. The first room holds the entrance.
    pub rooms: Vec<Layout>,
    /// Scene-wide constraints ([`check_apartment`]); each room's own are in its report. Empty for one room.
    pub constraints: Vec<Constraint>,
}

/// A door between two rooms (or to the outside), seen from `room_a`, the room with the lower id.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DoorLink<'a> {
    pub room_a: u32,
    pub door: &'a Door,
}

impl Apartment {
    pub fn single(layout: Layout) -> Apartment {
        Apartment { rooms: vec![layout], constraints: Vec::new() }
    }

    /// Joins rooms furnished with ids that run on from room to room (see [`Optimizer::furnish`]'s `first_id`),
    /// and checks the rooms' connection with the first room's agent radius.
    ///
    /// [`Optimizer::furnish`]: crate::Optimizer::furnish
    pub fn join(rooms: Vec<Layout>) -> Apartment {
        debug_assert!(
            rooms.windows(2).all(|w| {
                let last = w[0].objects.iter().map(|o| o.id).max().unwrap_or(0);
                w[1].objects.iter().all(|o| o.id > last)
            }),
            "object ids must run on from room to room"
        );
        let mut apartment = Apartment { rooms, constraints: Vec::new() };
        let radius = apartment.rooms.first().map_or(0.2, |l| l.report.agent_radius_m);
        apartment.constraints = check_apartment(&apartment, radius).into_iter().collect();
        apartment
    }

    pub fn objects(&self) -> impl Iterator<Item = &SceneObject> {
        self.rooms.iter().flat_map(|l| l.objects.iter())
    }

    /// Objects that are not floor, walls or ceiling.
    pub fn furniture(&self) -> impl Iterator<Item = &SceneObject> {
        self.objects().filter(|o| !o.structural)
    }

    pub fn object(&self, id: u32) -> Option<&SceneObject> {
        self.objects().find(|o| o.id == id)
    }

    /// The room whose floor contains `p` (on the plane), if any.
    pub fn room_at(&self, p: Vec2) -> Option<&Layout> {
        self.rooms.iter().find(|l| l.room.contains(p))
    }

    /// The room holding the entrance (the first room with a door to the outside; else the first room).
    pub fn entrance_room(&self) -> &Layout {
        self.rooms.iter().find(|l| l.doors.iter().any(|d| d.leads_to.is_none())).unwrap_or(&self.rooms[0])
    }

    /// Least and greatest corner of the rooms' floors together.
    pub fn bounds(&self) -> (Vec2, Vec2) {
        let mut min = Vec2::splat(f32::INFINITY);
        let mut max = Vec2::splat(f32::NEG_INFINITY);
        for l in &self.rooms {
            min = min.min(l.room.origin);
            max = max.max(l.room.origin + Vec2::new(l.room.width_m, l.room.depth_m));
        }
        (min, max)
    }

    /// Every door once: a door between two rooms is listed by the room with the lower id.
    pub fn doors(&self) -> Vec<DoorLink<'_>> {
        self.rooms
            .iter()
            .flat_map(|l| {
                let id = l.room.id;
                l.doors
                    .iter()
                    .filter(move |d| d.leads_to.is_none_or(|b| b > id))
                    .map(move |door| DoorLink { room_a: id, door })
            })
            .collect()
    }
}

/// The scene-wide constraint of an apartment of several rooms: on one navigation grid over all rooms, a walking
/// agent of `agent_radius_m` reaches every door of every room, on both sides, from the entrance. (Within each
/// room, its own `walkable_access` already holds from its doors; this proves the rooms connect.) None for a
/// single room.
pub fn check_apartment(apartment: &Apartment, agent_radius_m: f32) -> Option<Constraint> {
    if apartment.rooms.len() < 2 {
        return None;
    }
    let grid = NavGrid::build_apartment(apartment, agent_radius_m, NAV_CELL_M, crate::nav::AGENT_HEIGHT_M);
    let entrance = apartment.entrance_room();
    let reach = grid.reachable_from(door_step(entrance, entrance.entrance(), agent_radius_m + NAV_CELL_M));
    let mut cut_off = Vec::new();
    for l in &apartment.rooms {
        for d in &l.doors {
            if !grid.reaches(&reach, door_step(l, d, agent_radius_m + NAV_CELL_M)) {
                cut_off.push(format!("the {} door of room {} ({})", wall_name(d.wall), l.room.id, l.room.name));
            }
        }
    }
    let rooms = apartment.rooms.len();
    let detail = if cut_off.is_empty() {
        format!("a {agent_radius_m} m agent walks from the entrance through every door of all {rooms} rooms")
    } else {
        format!("a {agent_radius_m} m agent cannot reach {}", cut_off.join(", "))
    };
    Some(Constraint {
        name: "apartment_access",
        holds: cut_off.is_empty(),
        slack: if cut_off.is_empty() { 0.0 } else { -(cut_off.len() as f32) },
        unit: "doors",
        detail,
    })
}

fn wall_name(wall: usize) -> &'static str {
    ["south", "east", "north", "west"][wall.min(3)]
}
