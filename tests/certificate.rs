//! The layout certificate, checked independently: layouts of every room type over many seeds are written to
//! scene.json, and every hard constraint is recomputed here from that JSON alone (parts, boxes, surfaces,
//! the door, declared relations) with parry3d. Nothing here calls the optimizer's own checks.

use diorama::emit::records::{SceneFacts, scene_json};
use diorama::{Config, plan};
use diorama_assets::Manifest;
use diorama_layouts::{Apartment, LayoutGenerator, Optimizer};
use diorama_sim::visibility::VisibilitySummary;
use diorama_sim::{Intrinsics, seed};
use parry3d::glamx::{Mat3, Quat, Vec3};
use parry3d::math::Pose;
use parry3d::query::{self, PointQuery};
use parry3d::shape::{Cuboid, Cylinder, Segment, Shape};
use serde_json::Value;

const SEEDS_PER_ROOM_TYPE: u64 = 500;

fn v3(v: &Value) -> Vec3 {
    Vec3::new(v[0].as_f64().unwrap() as f32, v[1].as_f64().unwrap() as f32, v[2].as_f64().unwrap() as f32)
}

fn axes(v: &Value) -> Mat3 {
    Mat3::from_cols(v3(&v[0]), v3(&v[1]), v3(&v[2]))
}

/// A box or cylinder from a `parts` record, as parry sees it.
fn shape(part: &Value) -> (Box<dyn Shape>, Pose) {
    let (c, s, r) = (v3(&part["center"]), v3(&part["size"]), axes(&part["axes"]));
    let q = Quat::from_mat3(&r);
    match part["kind"].as_str().unwrap() {
        "box" => (Box::new(Cuboid::new(s * 0.5)), Pose::from_parts(c, q)),
        "cylinder" => (
            Box::new(Cylinder::new(s.z * 0.5, s.x * 0.5)),
            Pose::from_parts(c, q * Quat::from_rotation_x(std::f32::consts::FRAC_PI_2)),
        ),
        k => panic!("unknown part kind {k}"),
    }
}

fn boxed(center: Vec3, size: Vec3, r: Mat3) -> (Box<dyn Shape>, Pose) {
    assert!(r.determinant() > 0.0, "a rotation, not a reflection");
    (Box::new(Cuboid::new(size * 0.5)), Pose::from_parts(center, Quat::from_mat3(&r)))
}

/// Signed distance between two shapes: negative when they penetrate.
fn signed(a: &(Box<dyn Shape>, Pose), b: &(Box<dyn Shape>, Pose)) -> f32 {
    match query::contact(&a.1, a.0.as_ref(), &b.1, b.0.as_ref(), 0.0).unwrap() {
        Some(c) => c.dist,
        None => query::distance(&a.1, a.0.as_ref(), &b.1, b.0.as_ref()).unwrap().distance,
    }
}

struct Obj {
    id: u64,
    v: Value,
    shapes: Vec<(Box<dyn Shape>, Pose)>,
}

impl Obj {
    fn flag(&self, k: &str) -> bool {
        self.v[k].as_bool().unwrap_or(false)
    }
    fn id_of(&self, k: &str) -> Option<u64> {
        self.v[k].as_u64()
    }
    fn obb(&self) -> (Vec3, Vec3, Mat3) {
        (v3(&self.v["obb"]["center"]), v3(&self.v["obb"]["size"]), axes(&self.v["obb"]["axes"]))
    }
    fn mates(&self, o: &Obj) -> bool {
        self.id_of("anchor") == Some(o.id)
            || o.id_of("anchor") == Some(self.id)
            || (self.id_of("anchor").is_some() && self.id_of("anchor") == o.id_of("anchor"))
    }
}

fn min_dist(a: &[(Box<dyn Shape>, Pose)], b: &[(Box<dyn Shape>, Pose)]) -> f32 {
    a.iter().flat_map(|x| b.iter().map(move |y| signed(x, y))).fold(f32::INFINITY, f32::min)
}

/// Every violation found in one scene.json: each room on its own, and how the rooms connect.
fn violations(scene: &Value) -> Vec<String> {
    let rooms = scene["rooms"].as_array().unwrap();
    let mut bad: Vec<String> = rooms.iter().flat_map(|room| room_violations(scene, room)).collect();
    // Every object belongs to one of the rooms.
    for o in scene["objects"].as_array().unwrap() {
        if !rooms.iter().any(|r| r["id"] == o["room"]) {
            bad.push(format!("#{} is in no room", o["id"]));
        }
    }
    // The doors join the rooms into one: every room is reached from the entrance's room through doors (each
    // room's own check proves its doors are reached from its walkable floor).
    let doors = scene["doors"].as_array().unwrap();
    let entrances: Vec<&Value> = doors.iter().filter(|d| d["room_b"].is_null()).collect();
    if entrances.len() != 1 {
        bad.push(format!("{} entrances", entrances.len()));
        return bad;
    }
    let mut reached = vec![entrances[0]["room_a"].as_u64().unwrap()];
    while let Some(next) = doors.iter().find_map(|d| {
        let (a, b) = (d["room_a"].as_u64()?, d["room_b"].as_u64()?);
        match (reached.contains(&a), reached.contains(&b)) {
            (true, false) => Some(b),
            (false, true) => Some(a),
            _ => None,
        }
    }) {
        reached.push(next);
    }
    if reached.len() != rooms.len() {
        bad.push(format!("only rooms {reached:?} of {} connect to the entrance", rooms.len()));
    }
    for c in scene["layout_report"]["constraints"].as_array().unwrap() {
        if c["holds"] != true {
            bad.push(format!("the report itself says {} fails in room {}", c["name"], c["room"]));
        }
    }
    bad
}

/// Every violation in one room: its objects, its doors (on either side), its windows.
fn room_violations(scene: &Value, room: &Value) -> Vec<String> {
    let mut bad = Vec::new();
    let poly = room["polygon"].as_array().unwrap();
    // The room's bounding rectangle spans origin + [0, w] x [0, d]; everything below is measured relative to its
    // origin. An L-shaped room (six vertices) is that rectangle less a notch: the rectangle's corner missing from
    // the outline, up to the one vertex strictly inside the rectangle.
    let vertex = |k: usize| Vec3::new(poly[k][0].as_f64().unwrap() as f32, poly[k][1].as_f64().unwrap() as f32, 0.0);
    let vertices: Vec<Vec3> = (0..poly.len()).map(vertex).collect();
    let origin = vertices.iter().copied().reduce(Vec3::min).unwrap();
    let far = vertices.iter().copied().reduce(Vec3::max).unwrap();
    let (w, d) = (far.x - origin.x, far.y - origin.y);
    let h = room["height"].as_f64().unwrap() as f32;
    let notch = match vertices.len() {
        4 => None,
        6 => {
            let corners = [origin, Vec3::new(far.x, origin.y, 0.0), far, Vec3::new(origin.x, far.y, 0.0)];
            let missing = corners.into_iter().find(|c| vertices.iter().all(|v| v.distance(*c) > 1e-4)).unwrap();
            let inner = vertices
                .iter()
                .copied()
                .find(|v| v.x > origin.x + 1e-4 && v.x < far.x - 1e-4 && v.y > origin.y + 1e-4 && v.y < far.y - 1e-4)
                .unwrap();
            let (lo, hi) = (missing.min(inner), missing.max(inner));
            let c = ((lo + hi) / 2.0).with_z(h / 2.0);
            Some(boxed(c, (hi - lo).with_z(h), Mat3::IDENTITY))
        }
        n => panic!("a room outline with {n} vertices"),
    };
    // The area recorded is the outline's (shoelace).
    let shoelace: f32 = (0..vertices.len())
        .map(|k| vertices[k].truncate().perp_dot(vertices[(k + 1) % vertices.len()].truncate()))
        .sum();
    if (shoelace / 2.0 - room["area_m2"].as_f64().unwrap() as f32).abs() > 1e-3 {
        bad.push(format!("room {}: area_m2 is not the outline's area {}", room["id"], shoelace / 2.0));
    }
    let report = &scene["layout_report"];
    let clearance = report["front_clearance_m"].as_f64().unwrap() as f32;
    let agent = report["agent_radius_m"].as_f64().unwrap() as f32;
    let objs: Vec<Obj> = scene["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["room"] == room["id"])
        .map(|o| Obj {
            id: o["id"].as_u64().unwrap(),
            v: o.clone(),
            shapes: o["parts"].as_array().unwrap().iter().map(shape).collect(),
        })
        .collect();
    let by_id = |id: u64| objs.iter().find(|o| o.id == id).unwrap();
    let furniture: Vec<&Obj> = objs.iter().filter(|o| !o.flag("structural")).collect();
    let solid: Vec<&Obj> = furniture.iter().copied().filter(|o| !o.flag("flat")).collect();
    let corners = |c: Vec3, s: Vec3, r: Mat3| {
        (0..8).map(move |i| {
            let unit = Vec3::new(
                if i & 1 == 0 { -0.5 } else { 0.5 },
                if i & 2 == 0 { -0.5 } else { 0.5 },
                if i & 4 == 0 { -0.5 } else { 0.5 },
            );
            c + r * (unit * s)
        })
    };
    let inside = |c: Vec3, s: Vec3, r: Mat3| {
        corners(c, s, r).map(|p| p - origin).all(|p| {
            p.x >= -1e-4 && p.y >= -1e-4 && p.x <= w + 1e-4 && p.y <= d + 1e-4 && p.z >= -1e-4 && p.z <= h + 1e-4
        })
    };

    for (i, a) in solid.iter().enumerate() {
        for b in &solid[i + 1..] {
            if a.id_of("parent") == Some(b.id) || b.id_of("parent") == Some(a.id) {
                continue;
            }
            let dist = min_dist(&a.shapes, &b.shapes);
            if dist < -1e-3 {
                bad.push(format!("#{} and #{} interpenetrate by {:.4} m", a.id, b.id, -dist));
            }
        }
    }
    for o in &furniture {
        let (c, s, r) = o.obb();
        if !inside(c, s, r) {
            let worst: Vec<Vec3> = corners(c, s, r)
                .filter(|p| {
                    !(p.x >= -1e-4
                        && p.y >= -1e-4
                        && p.x <= w + 1e-4
                        && p.y <= d + 1e-4
                        && p.z >= -1e-4
                        && p.z <= h + 1e-4)
                })
                .collect();
            bad.push(format!("#{} ({}) leaves the {w} x {d} x {h} room at {worst:?}", o.id, o.v["category"]));
        }
        if let Some(n) = &notch
            && min_dist(&o.shapes, std::slice::from_ref(n)) < -1e-4
        {
            bad.push(format!("#{} ({}) stands in the notch of the L-shaped room", o.id, o.v["category"]));
        }
        if let Some(p) = o.id_of("parent") {
            let parent = by_id(p);
            let surf = &parent.v["surfaces"][o.v["parent_surface"].as_u64().unwrap() as usize];
            let bottom = c.z - s.z / 2.0;
            if (bottom - surf["z"].as_f64().unwrap() as f32).abs() > 1e-3 {
                bad.push(format!("#{} does not rest on its surface", o.id));
            }
            let clear = surf["clear_m"].as_f64().unwrap() as f32;
            if clear > 0.0 && s.z > clear {
                bad.push(format!("#{} is taller than its shelf", o.id));
            }
            let (pc, _, pr) = parent.obb();
            let local = pr.transpose() * (c - pc);
            let (x, y) = (&surf["x"], &surf["y"]);
            let f = |v: &Value, k: usize| v[k].as_f64().unwrap() as f32;
            if !(local.x > f(x, 0) && local.x < f(x, 1) && local.y > f(y, 0) && local.y < f(y, 1)) {
                bad.push(format!("#{}: centre of mass not over its support", o.id));
            }
            // The support's real shape lies straight below the centre of mass (a round top has no corners).
            let ray = parry3d::query::Ray::new(Vec3::new(c.x, c.y, bottom + 0.002), -Vec3::Z);
            if !parent.shapes.iter().any(|(sh, ps)| sh.cast_ray(ps, &ray, 0.004, true).is_some()) {
                bad.push(format!("#{}: nothing of its support is below its centre of mass", o.id));
            }
        }
        if o.v["wall"].is_u64() {
            let back = c + r * Vec3::new(0.0, -s.y / 2.0, 0.0);
            let b = back - origin;
            let gap = b.x.min(b.y).min(w - b.x).min(d - b.y);
            if gap >= 0.02 {
                bad.push(format!("#{} stands {gap:.3} m off its wall", o.id));
            }
        }
    }

    // Each door's swing zone, derived here from its record: the wall of this room its centre lies on (a door
    // between two rooms is recorded on the first room's side; from the other it lies a wall's thickness away).
    let door_frame = |door: &Value| {
        let dc = v3(&door["center"]);
        let (dw, dh) = (door["width"].as_f64().unwrap() as f32, door["height"].as_f64().unwrap() as f32);
        let dl = dc - origin;
        let gaps = [dl.y.abs(), (dl.x - w).abs(), (dl.y - d).abs(), dl.x.abs()];
        let wall = (0..4).min_by(|&a, &b| gaps[a].total_cmp(&gaps[b])).unwrap();
        assert!(gaps[wall] < 0.2, "door {door} is on no wall of room {}", room["id"]);
        let inward = [Vec3::Y, -Vec3::X, -Vec3::Y, Vec3::X][wall];
        let along = Vec3::new(inward.y.abs(), inward.x.abs(), 0.0);
        // Onto the wall's inner face.
        (dc + inward * gaps[wall], dw, dh, inward, along)
    };
    let id = &room["id"];
    let doors: Vec<&Value> =
        scene["doors"].as_array().unwrap().iter().filter(|d| d["room_a"] == *id || d["room_b"] == *id).collect();
    if doors.is_empty() {
        bad.push(format!("room {id} has no door"));
        return bad;
    }
    for door in &doors {
        let (dc, dw, dh, inward, along) = door_frame(door);
        let zone_c = Vec3::new(dc.x, dc.y, dh / 2.0) + inward * 0.45;
        // A right-handed frame: (along, up x along, up); the box is symmetric, so only handedness matters.
        let zone = [boxed(zone_c, Vec3::new(dw + 0.2, 0.9, dh), Mat3::from_cols(along, Vec3::Z.cross(along), Vec3::Z))];
        for o in &solid {
            if min_dist(&o.shapes, &zone) <= 0.0 {
                bad.push(format!("#{} blocks a door ({})", o.id, min_dist(&o.shapes, &zone)));
            }
        }
    }
    // Walking access is measured from the entrance (the door leading outside), else from the room's first door.
    let entrance = doors.iter().find(|d| d["room_b"].is_null()).unwrap_or(&doors[0]);
    let (dc, _, _, inward, _) = door_frame(entrance);

    // Windows: furniture standing on the floor keeps out of the box in front of each, above its sill.
    for win in scene["windows"].as_array().unwrap().iter().filter(|w| w["room"] == *id) {
        let inward = [Vec3::Y, -Vec3::X, -Vec3::Y, Vec3::X][win["wall"].as_u64().unwrap() as usize];
        let along = Vec3::new(inward.y.abs(), inward.x.abs(), 0.0);
        let (c, ww, wh, sill) = (
            v3(&win["center"]),
            win["width"].as_f64().unwrap() as f32,
            win["height"].as_f64().unwrap() as f32,
            win["sill"].as_f64().unwrap() as f32,
        );
        let (z0, z1) = (sill + 0.05, sill + wh);
        let zc = Vec3::new(c.x, c.y, (z0 + z1) / 2.0) + inward * 0.175;
        let z = [boxed(zc, Vec3::new(ww + 0.1, 0.35, z1 - z0), Mat3::from_cols(along, Vec3::Z.cross(along), Vec3::Z))];
        for o in solid.iter().filter(|o| o.id_of("parent").is_none()) {
            if min_dist(&o.shapes, &z) <= 0.0 {
                bad.push(format!("#{} covers a window", o.id));
            }
        }
    }

    // Functional fronts: a clear box inside the room, free of all but the object's own group.
    for o in solid.iter().filter(|o| o.flag("front") && o.id_of("parent").is_none()) {
        let (c, s, r) = o.obb();
        let floor = c.z - s.z / 2.0;
        let fc = c + r * Vec3::new(0.0, s.y / 2.0 + clearance / 2.0 + 0.002, 0.0);
        let (zc, zs) = (Vec3::new(fc.x, fc.y, floor + 0.61), Vec3::new(s.x, clearance, 1.18));
        if !inside(zc, zs, r) {
            bad.push(format!("#{}'s front zone leaves the room", o.id));
        }
        let z = [boxed(zc, zs, r)];
        for p in solid.iter().filter(|p| p.id != o.id && !o.mates(p) && p.id_of("parent").is_none()) {
            if min_dist(&p.shapes, &z) <= 0.0 {
                bad.push(format!("#{} blocks the front of #{} ({})", p.id, o.id, min_dist(&p.shapes, &z)));
            }
        }
    }

    // Walkable access: a grid of 0.1 m cells, free where a vertical pole of the agent's radius fits.
    let cell = 0.1;
    let (nx, ny) = ((w / cell) as usize, (d / cell) as usize);
    let blockers: Vec<&(Box<dyn Shape>, Pose)> = objs
        .iter()
        .filter(|o| !o.flag("flat") && o.v["category"] != "floor" && o.v["category"] != "ceiling")
        .flat_map(|o| o.shapes.iter())
        .collect();
    let pole = Segment::new(Vec3::new(0.0, 0.0, 0.02), Vec3::new(0.0, 0.0, 1.8));
    // Cell (i, j) is centred at ((i + 0.5) cell, (j + 0.5) cell); a pole at the agent's radius from an
    // object, within 10 micrometres of float noise, counts as fitting.
    let centre = |k: usize| origin + Vec3::new(((k % nx) as f32 + 0.5) * cell, ((k / nx) as f32 + 0.5) * cell, 0.0);
    let free: Vec<bool> = (0..nx * ny)
        .map(|k| {
            let p = Pose::from_translation(centre(k));
            blockers.iter().all(|(s, sp)| query::distance(&p, &pole, sp, s.as_ref()).unwrap().distance >= agent - 1e-5)
        })
        .collect();
    let start = (dc + inward * (agent + cell)).with_z(0.0);
    let seed_cell = (0..nx * ny)
        .filter(|&k| free[k])
        .min_by(|&a, &b| centre(a).distance_squared(start).total_cmp(&centre(b).distance_squared(start)));
    let mut reach = vec![false; nx * ny];
    if let Some(s) = seed_cell {
        let mut stack = vec![s];
        reach[s] = true;
        while let Some(k) = stack.pop() {
            let (i, j) = ((k % nx) as i64, (k / nx) as i64);
            for (di, dj) in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
                let (a, b) = (i + di, j + dj);
                if a >= 0 && b >= 0 && (a as usize) < nx && (b as usize) < ny {
                    let n = b as usize * nx + a as usize;
                    if free[n] && !reach[n] {
                        reach[n] = true;
                        stack.push(n);
                    }
                }
            }
        }
    }
    if (reach.iter().filter(|&&r| r).count() as f32) * cell * cell < 1.0 {
        bad.push("less than 1 m2 is walkable from the door".into());
    }
    let limit = clearance.max(agent) + cell + 0.01;
    for o in solid.iter().filter(|o| o.flag("front") && o.id_of("parent").is_none()) {
        let (c, s, r) = o.obb();
        let foot = Cuboid::new(Vec3::new(s.x / 2.0, s.y / 2.0, 1.0));
        let pose = Pose::from_parts(c.with_z(0.0), Quat::from_mat3(&r));
        let any_side = o.id_of("anchor").is_some();
        let ok = (0..nx * ny).filter(|&k| reach[k]).any(|k| {
            let p = centre(k);
            let local = r.transpose() * (p - c.with_z(0.0));
            (any_side || local.y > s.y / 2.0 - 0.05) && foot.distance_to_point(&pose, p, true) <= limit
        });
        if !ok {
            bad.push(format!("the front of #{} ({}) cannot be reached", o.id, o.v["category"]));
        }
    }

    // Every door of the room opens onto the walkable floor reached from the first.
    for door in &doors {
        let (dc, ..) = door_frame(door);
        let p = (dc + door_frame(door).3 * (agent + cell)).with_z(0.0);
        if !(0..nx * ny).any(|k| reach[k] && centre(k).distance(p) < 0.5) {
            bad.push(format!("room {id}: the door at {dc} cannot be reached"));
        }
    }
    bad
}

fn scene_value(config: &Config, room_type: &str, seed_value: u64) -> Option<Value> {
    let manifest = Manifest::builtin();
    let mut spec = plan::layout_spec(config);
    spec.room_types = vec![room_type.to_string()];
    let layout = Optimizer.generate(&spec, &manifest, &mut seed::stream(seed_value, "layout/0")).ok()?;
    Some(scene_record(seed_value, &Apartment::single(layout)))
}

/// scene.json of an apartment as a build of `config` would write it (without a camera).
fn scene_record(seed_value: u64, apartment: &Apartment) -> Value {
    let k = Intrinsics::from_hfov(64, 48, 1.2);
    let trajectory = diorama_sim::Trajectory { kind: "none", min_clearance_m: 0.2, ..Default::default() };
    let facts = SceneFacts {
        scene_id: "0000",
        seed: seed_value,
        apartment,
        layout_attempts: 1,
        lights: &[],
        texture_offsets: &Default::default(),
        meshes: &Default::default(),
        intrinsics: &k,
        fps: 1,
        frame_count: 1,
        trajectory: &trajectory,
        dynamics: &Default::default(),
        eye_height_m: 1.6,
        clearance_m: 0.2,
        visibility: &VisibilitySummary::default(),
    };
    serde_json::from_slice(&scene_json(&facts)).unwrap()
}

#[test]
fn every_room_type_passes_the_independent_checker() {
    let config = Config::default();
    let types = config.room.types.clone();
    std::thread::scope(|s| {
        let handles: Vec<_> = [0u64, 1]
            .into_iter()
            .map(|half| {
                let (config, types) = (&config, &types);
                s.spawn(move || {
                    let mut checked = 0;
                    for t in types {
                        for seed in (half..SEEDS_PER_ROOM_TYPE).step_by(2) {
                            if let Some(scene) = scene_value(config, t, seed) {
                                let v = violations(&scene);
                                assert!(v.is_empty(), "{t} seed {seed}: {v:?}");
                                checked += 1;
                            }
                        }
                    }
                    checked
                })
            })
            .collect();
        let checked: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        // Layouts that fail their own checks are retried by the pipeline; nearly all seeds must succeed.
        let total = SEEDS_PER_ROOM_TYPE * types.len() as u64;
        assert!(checked * 10 >= total * 9, "only {checked} of {total} seeds gave a layout");
    });
}

#[test]
fn four_room_apartments_pass_the_independent_checker() {
    let manifest = Manifest::builtin();
    let checked: (u64, u64) = std::thread::scope(|s| {
        let handles: Vec<_> = [0u64, 1]
            .into_iter()
            .map(|half| {
                let manifest = &manifest;
                s.spawn(move || {
                    let (mut checked, mut outdoor) = (0, 0);
                    for seed in (half..SEEDS_PER_ROOM_TYPE).step_by(2) {
                        let mut config = Config::default();
                        config.room.count = 4;
                        config.seed = seed;
                        // The first layout attempt of the scene, as a build makes it.
                        if let Ok(apartment) = plan::scene_layout(&config, manifest, 0, 0) {
                            let scene = scene_record(seed, &apartment);
                            let rooms = scene["rooms"].as_array().unwrap();
                            assert_eq!(rooms.iter().filter(|r| r["outdoor"] == false).count(), 4);
                            let v = violations(&scene);
                            assert!(v.is_empty(), "apartment seed {seed}: {v:?}");
                            checked += 1;
                            outdoor += u64::from(rooms.len() == 5);
                        }
                    }
                    (checked, outdoor)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    });
    let (checked, outdoor) = checked;
    assert!(checked * 10 >= SEEDS_PER_ROOM_TYPE * 8, "only {checked} of {SEEDS_PER_ROOM_TYPE} apartments were made");
    // The default config gives half the scenes a balcony: the checker saw plenty of them.
    assert!(outdoor * 4 >= checked, "only {outdoor} of {checked} apartments had an outdoor area");
}

#[test]
fn the_checker_catches_furniture_in_the_notch_of_an_l_shaped_room() {
    let mut config = Config::default();
    config.room.l_shaped_share = 1.0;
    // Large bedrooms are always L-shaped at share 1.
    let mut scene = (0..20)
        .filter_map(|s| scene_value(&config, "bedroom", s))
        .find(|v| v["rooms"][0]["polygon"].as_array().unwrap().len() == 6)
        .expect("an L-shaped bedroom");
    assert!(violations(&scene).is_empty());
    // The notch's centre: the wall block is the last structural object.
    let objs = scene["objects"].as_array_mut().unwrap();
    let block = objs.iter().rposition(|o| o["structural"] == true).unwrap();
    let c = objs[block]["obb"]["center"].clone();
    let moved = objs.iter().position(|o| o["structural"] == false && o["parent"].is_null()).unwrap();
    let part = &mut objs[moved]["parts"][0]["center"];
    part[0] = c[0].clone();
    part[1] = c[1].clone();
    let v = violations(&scene);
    assert!(v.iter().any(|m| m.contains("notch")), "{v:?}");
}

#[test]
fn the_checker_catches_a_cut_off_room() {
    let mut config = Config::default();
    config.room.count = 3;
    let manifest = Manifest::builtin();
    let apartment = (0..10).find_map(|a| plan::scene_layout(&config, &manifest, 0, a).ok()).unwrap();
    let mut scene = scene_record(0, &apartment);
    assert!(violations(&scene).is_empty());
    // Forget a door between two rooms: one room no longer connects to the entrance.
    let doors = scene["doors"].as_array_mut().unwrap();
    let inner = doors.iter().position(|d| !d["room_b"].is_null()).unwrap();
    doors.remove(inner);
    let v = violations(&scene);
    assert!(v.iter().any(|m| m.contains("connect to the entrance")), "{v:?}");
}

#[test]
fn the_checker_catches_a_broken_layout() {
    // Push a piece of furniture into another: the checker must notice (it is not vacuous).
    let config = Config::default();
    let mut scene = scene_value(&config, "dining_room", 3).or_else(|| scene_value(&config, "dining_room", 4)).unwrap();
    let objs = scene["objects"].as_array_mut().unwrap();
    let first = objs.iter().position(|o| o["structural"] == false && o["flat"] == false).unwrap();
    let target =
        objs.iter().rposition(|o| o["structural"] == false && o["flat"] == false && o["parent"].is_null()).unwrap();
    let dest = objs[target]["parts"][0]["center"].clone();
    objs[first]["parts"][0]["center"] = dest;
    assert!(!violations(&scene).is_empty());
}
