//! `diorama verify`: recomputes every answer of a finished dataset from its `scene.json` and `frames.jsonl`
//! alone, through code of its own (parry3d for box distances, its own angles, salience and camera maths), and
//! reports every question whose recorded answer disagrees. It shares no code with the question generator.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use parry3d::glamx::{Mat3, Quat, Vec3};
use parry3d::math::Pose;
use parry3d::query;
use parry3d::shape::{Cuboid, Segment};

/// The answer of abstention questions (the generator's wording, which the contract fixes).
const ABSTAIN: &str = "cannot be determined from the video";
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("cannot read {path}: {cause}")]
    Read { path: PathBuf, cause: String },
}

/// What `verify` found.
#[derive(Debug, Default)]
pub struct VerifyReport {
    /// Questions checked per type.
    pub checked: BTreeMap<String, usize>,
    /// `(question id, what disagrees)`.
    pub mismatches: Vec<(String, String)>,
    /// Question types this verifier does not know (not checked).
    pub unknown: BTreeMap<String, usize>,
    /// Files whose blake3 hash was checked against dataset.json.
    pub files_checked: usize,
    /// `(file or record, what disagrees)`: missing files, hashes, config, tool.
    pub integrity: Vec<(String, String)>,
}

struct Obj {
    category: String,
    name: String,
    structural: bool,
    center: Vec3,
    size: Vec3,
    /// Columns: the box's axes.
    rot: Mat3,
}

struct Scene {
    objects: BTreeMap<u64, Obj>,
    indoor_m2: f64,
    /// Per frame: camera centre and rotation (columns: camera x, y, z in the world).
    cameras: Vec<(Vec3, Mat3)>,
    /// Per object: its first frame with at least the salient pixel count.
    first_salient: BTreeMap<u64, u64>,
    /// Per frame: the box centres of objects away from their scene.json pose.
    moved: Vec<BTreeMap<u64, Vec3>>,
}

impl Scene {
    /// An object's box centre at frame `k`.
    fn centre_at(&self, id: u64, k: usize) -> Option<Vec3> {
        self.moved.get(k).and_then(|m| m.get(&id)).copied().or_else(|| self.objects.get(&id).map(|o| o.center))
    }

    /// Whether any frame shows the object away from its scene.json pose.
    fn ever_moved(&self, id: u64) -> bool {
        self.moved.iter().any(|m| m.contains_key(&id))
    }
}

fn read(path: &Path) -> Result<String, VerifyError> {
    std::fs::read_to_string(path).map_err(|e| VerifyError::Read { path: path.to_path_buf(), cause: e.to_string() })
}

fn v3(v: &Value) -> Vec3 {
    Vec3::new(
        v[0].as_f64().unwrap_or(0.0) as f32,
        v[1].as_f64().unwrap_or(0.0) as f32,
        v[2].as_f64().unwrap_or(0.0) as f32,
    )
}

fn load_scene(dir: &Path) -> Result<Scene, VerifyError> {
    let scene: Value = serde_json::from_str(&read(&dir.join("scene.json"))?)
        .map_err(|e| VerifyError::Read { path: dir.join("scene.json"), cause: e.to_string() })?;
    let mut objects = BTreeMap::new();
    for o in scene["objects"].as_array().into_iter().flatten() {
        let axes = &o["obb"]["axes"];
        objects.insert(
            o["id"].as_u64().unwrap_or(0),
            Obj {
                category: o["category"].as_str().unwrap_or_default().into(),
                name: o["name"].as_str().unwrap_or_default().into(),
                structural: o["structural"].as_bool().unwrap_or(false),
                center: v3(&o["obb"]["center"]),
                size: v3(&o["obb"]["size"]),
                rot: Mat3::from_cols(v3(&axes[0]), v3(&axes[1]), v3(&axes[2])),
            },
        );
    }
    // Floor areas by the shoelace formula on the polygons (not the recorded area_m2).
    let indoor_m2 = scene["rooms"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["outdoor"] != true)
        .map(|r| {
            let p: Vec<(f64, f64)> = r["polygon"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|q| (q[0].as_f64().unwrap_or(0.0), q[1].as_f64().unwrap_or(0.0)))
                .collect();
            (0..p.len()).map(|i| p[i].0 * p[(i + 1) % p.len()].1 - p[(i + 1) % p.len()].0 * p[i].1).sum::<f64>().abs()
                / 2.0
        })
        .sum();
    let salient = scene["visibility_salient_px"].as_u64().unwrap_or(1);
    let mut cameras = Vec::new();
    let mut first_salient = BTreeMap::new();
    let mut moved = Vec::new();
    for (k, line) in read(&dir.join("frames.jsonl"))?.lines().enumerate() {
        let f: Value = serde_json::from_str(line)
            .map_err(|e| VerifyError::Read { path: dir.join("frames.jsonl"), cause: e.to_string() })?;
        let m = &f["T_wc"];
        let at = |r: usize, c: usize| m[r][c].as_f64().unwrap_or(0.0) as f32;
        let rot = Mat3::from_cols(
            Vec3::new(at(0, 0), at(1, 0), at(2, 0)),
            Vec3::new(at(0, 1), at(1, 1), at(2, 1)),
            Vec3::new(at(0, 2), at(1, 2), at(2, 2)),
        );
        cameras.push((Vec3::new(at(0, 3), at(1, 3), at(2, 3)), rot));
        moved.push(
            f["objects"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|o| (o["id"].as_u64().unwrap_or(0), v3(&o["center"])))
                .collect(),
        );
        for v in f["visibility"].as_array().into_iter().flatten() {
            if v["visible_px"].as_u64().unwrap_or(0) >= salient {
                first_salient.entry(v["id"].as_u64().unwrap_or(0)).or_insert(k as u64);
            }
        }
    }
    Ok(Scene { objects, indoor_m2, cameras, first_salient, moved })
}

fn box_distance(a: &Obj, b: &Obj) -> f32 {
    let shape = |o: &Obj| (Cuboid::new(o.size * 0.5), Pose::from_parts(o.center, Quat::from_mat3(&o.rot)));
    let ((sa, pa), (sb, pb)) = (shape(a), shape(b));
    query::distance(&pa, &sa, &pb, &sb).map(|d| d.distance).unwrap_or(f32::NAN)
}

fn point_distance(p: Vec3, o: &Obj) -> f32 {
    let local = o.rot.transpose() * (p - o.center);
    let h = o.size * 0.5;
    Vec3::new((local.x.abs() - h.x).max(0.0), (local.y.abs() - h.y).max(0.0), (local.z.abs() - h.z).max(0.0)).length()
}

/// Left-positive angle (degrees) of `q` from `f` seen from above.
fn left_angle(f: Vec3, q: Vec3) -> f32 {
    let cross = f.x * q.y - f.y * q.x;
    let dot = f.x * q.x + f.y * q.y;
    cross.atan2(dot).to_degrees()
}

fn direction(level: &str, a: f32) -> &'static str {
    match level {
        "hard" => match a {
            a if (0.0..90.0).contains(&a) => "front-left",
            a if a >= 90.0 => "back-left",
            a if (-90.0..0.0).contains(&a) => "front-right",
            _ => "back-right",
        },
        "medium" if a.abs() >= 135.0 => "back",
        _ => {
            if a > 0.0 {
                "left"
            } else {
                "right"
            }
        }
    }
}

/// Goal-aiming class of a turn (degrees, left positive): 45-degree sectors centred on straight ahead.
fn aim(alpha: f32) -> &'static str {
    const NAMES: [&str; 8] = [
        "look straight ahead",
        "turn left by about 45 degrees",
        "turn left by about 90 degrees",
        "turn left by about 135 degrees",
        "turn around",
        "turn right by about 135 degrees",
        "turn right by about 90 degrees",
        "turn right by about 45 degrees",
    ];
    let sector = ((alpha + 22.5).rem_euclid(360.0) / 45.0).floor() as usize;
    NAMES[sector.min(7)]
}

/// Ground distance from a floor point to an object's box (its footprint; 0 inside).
fn ground_distance(p: Vec3, o: &Obj) -> f32 {
    point_distance(Vec3::new(p.x, p.y, o.center.z), o)
}

/// The turns a route's corners imply: the first (re-facing from the faced object) if it is more than 45
/// degrees, then one at every inner corner; classes at 45 and 135 degrees.
fn route_turns(facing: Vec3, corners: &[Vec3]) -> Vec<&'static str> {
    let class = |a: f32| match a {
        a if a.abs() > 135.0 => Some("Turn Back"),
        a if a > 45.0 => Some("Turn Left"),
        a if a < -45.0 => Some("Turn Right"),
        _ => None,
    };
    let mut turns: Vec<&str> = class(left_angle(facing - corners[0], corners[1] - corners[0])).into_iter().collect();
    for w in corners.windows(3) {
        turns.push(class(left_angle(w[1] - w[0], w[2] - w[1])).unwrap_or("Go Straight"));
    }
    turns
}

/// Route checks beyond the turns: ends by their objects, corners by their landmarks, every leg clear of
/// furniture (half a metre above the floor: over rugs, through no piece of furniture).
fn route_sound(corners: &[Vec3], ids: &[u64], s: &Scene) -> Result<(), String> {
    let get = |id: &u64| s.objects.get(id).ok_or(format!("object {id} is not in scene.json"));
    let (start, goal) = (get(&ids[0])?, get(&ids[ids.len() - 1])?);
    let (first, last) = (corners[0], corners[corners.len() - 1]);
    if ground_distance(first, start) > 1.0 + 1e-3 || ground_distance(last, goal) > 1.0 + 1e-3 {
        return Err("the route does not start by its start object and end by its goal".into());
    }
    for (i, c) in corners[1..corners.len() - 1].iter().enumerate() {
        let mark = get(ids.get(2 + i).ok_or("a corner without a landmark")?)?;
        if ground_distance(*c, mark) > 1.0 + 1e-3 {
            return Err(format!("corner {} is {:.2} m from its landmark", i + 1, ground_distance(*c, mark)));
        }
    }
    for w in corners.windows(2) {
        let leg = Segment::new(w[0].with_z(0.5), w[1].with_z(0.5));
        for (id, o) in s.objects.iter().filter(|(_, o)| !o.structural && o.center.z + o.size.z / 2.0 > 0.1) {
            let pose = Pose::from_parts(o.center, Quat::from_mat3(&o.rot));
            let d = query::distance(&Pose::IDENTITY, &leg, &pose, &Cuboid::new(o.size * 0.5)).map(|d| d.distance);
            if d.is_ok_and(|d| d <= 0.0) {
                return Err(format!("a leg passes through object {id}"));
            }
        }
    }
    Ok(())
}

/// The option text of the recorded letter.
fn chosen(q: &Value) -> Option<String> {
    let letter = q["answer"].as_str()?;
    q["options"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .find(|o| o.starts_with(&format!("{letter}. ")))
        .map(|o| o[3..].to_string())
}

fn number(q: &Value) -> f64 {
    q["answer"].as_str().and_then(|a| a.parse().ok()).unwrap_or(f64::NAN)
}

/// Recomputes one question; `Err` says what disagrees.
fn check(q: &Value, s: &Scene) -> Result<(), String> {
    let ids: Vec<u64> =
        q["provenance"]["object_ids"].as_array().into_iter().flatten().filter_map(Value::as_u64).collect();
    let obj = |i: usize| {
        ids.get(i).and_then(|id| s.objects.get(id)).ok_or(format!("object {i} of {ids:?} is not in scene.json"))
    };
    let frames: Vec<usize> =
        q["frames"].as_array().into_iter().flatten().filter_map(|v| v.as_u64().map(|x| x as usize)).collect();
    // The camera at the question's first (0) or last (1) frame.
    let cam = |i: usize| {
        frames
            .get(i)
            .and_then(|&k| s.cameras.get(k))
            .copied()
            .ok_or(format!("frames {frames:?} are not frames of this video"))
    };
    let close = |want: f64, tol: f64| {
        let got = number(q);
        if (got - want).abs() <= tol { Ok(()) } else { Err(format!("answer {got}, recomputed {want:.3}")) }
    };
    let text = |want: &str| match chosen(q) {
        Some(t) if t == want => Ok(()),
        other => Err(format!("answer {other:?}, recomputed {want}")),
    };
    if let (Some(options), Some(letter)) = (q["mc_options"].as_array(), q["mc_answer"].as_str()) {
        let want = format!("{letter}. {}", q["answer"].as_str().unwrap_or_default());
        if !options.iter().any(|o| o.as_str() == Some(want.as_str())) {
            return Err(format!("the multiple-choice variant does not hold the answer at {letter}"));
        }
    }
    if q["abstain"] == true {
        // What made it unanswerable (visibility through the degradations) is not recomputed here.
        return text(ABSTAIN);
    }
    match q["question_type"].as_str().unwrap_or_default() {
        "object_counting" => {
            let cat = &obj(0)?.category;
            let n = s.objects.values().filter(|o| !o.structural && &o.category == cat).count();
            close(n as f64, 0.0)
        }
        "object_abs_distance" => close(box_distance(obj(0)?, obj(1)?) as f64, 0.051),
        "object_size_estimation" => close(obj(0)?.size.max_element() as f64 * 100.0, 0.51),
        "room_size_estimation" => close(s.indoor_m2, 0.051),
        "object_rel_distance" => {
            let primary = obj(0)?;
            let mut by_cat: BTreeMap<&str, (f32, &str)> = BTreeMap::new();
            for i in 1..ids.len() {
                let o = obj(i)?;
                let d = box_distance(o, primary);
                let e = by_cat.entry(o.category.as_str()).or_insert((f32::INFINITY, o.name.as_str()));
                e.0 = e.0.min(d);
            }
            let best = by_cat.values().min_by(|a, b| a.0.total_cmp(&b.0)).ok_or("no choices")?;
            text(best.1)
        }
        t if t.starts_with("object_rel_direction_") => {
            let (p, o, r) = (obj(0)?.center, obj(1)?.center, obj(2)?.center);
            text(direction(t.rsplit('_').next().unwrap_or_default(), left_angle(o - p, r - p)))
        }
        "obj_appearance_order" => {
            let mut seen: Vec<(u64, &str)> = Vec::new();
            for (i, id) in ids.iter().enumerate() {
                seen.push((*s.first_salient.get(id).ok_or(format!("{id} never salient"))?, obj(i)?.name.as_str()));
            }
            seen.sort();
            text(&seen.iter().map(|x| x.1).collect::<Vec<_>>().join(", "))
        }
        "camera_displacement" => {
            let (a, b) = (cam(0)?.0, cam(1)?.0);
            close(a.distance(b) as f64, 0.051)
        }
        "camera_movement_direction" => {
            let (p, r) = cam(0)?;
            let d = r.transpose() * (cam(1)?.0 - p);
            let want = if d.z.abs() >= d.x.abs() {
                if d.z > 0.0 { "forward" } else { "backward" }
            } else if d.x > 0.0 {
                "right"
            } else {
                "left"
            };
            text(want)
        }
        "ego_rotation" => {
            let (a, b) = (cam(0)?.1.z_axis, cam(1)?.1.z_axis);
            text(if left_angle(a, b) > 0.0 { "left" } else { "right" })
        }
        "cam_obj_abs_dist" => close(point_distance(cam(0)?.0, obj(0)?) as f64, 0.051),
        "cam_obj_rel_dist" => {
            let c = cam(0)?.0;
            let best = (0..ids.len())
                .map(|i| obj(i).map(|o| (point_distance(c, o), o.name.clone())))
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .ok_or("no choices")?;
            text(&best.1)
        }
        "goal_aim" => {
            let (p, r) = cam(0)?;
            text(aim(left_angle(r.z_axis, obj(0)?.center - p)))
        }
        "action_consequence" => {
            let o = obj(0)?;
            let (d0, d1) = (point_distance(cam(0)?.0, o), point_distance(cam(1)?.0, o));
            text(if d1 < d0 { "closer" } else { "farther" })
        }
        "perspective_taking" => {
            let turn = q["provenance"]["parameters"]["turn_deg"].as_f64().ok_or("no turn_deg")? as f32;
            let h = cam(0)?.1.z_axis;
            let (sin, cos) = turn.to_radians().sin_cos();
            let facing = Vec3::new(h.x * cos - h.y * sin, h.x * sin + h.y * cos, 0.0);
            text(if left_angle(facing, obj(1)?.center - obj(0)?.center) > 0.0 { "left" } else { "right" })
        }
        "obj_movement_which" | "obj_movement_direction" | "obj_movement_distance" => {
            let id = *ids.first().ok_or("no object")?;
            let at = |i: usize| frames.get(i).and_then(|&k| s.centre_at(id, k)).ok_or("frames out of range");
            let (c0, c1) = (at(0)?, at(1)?);
            match q["question_type"].as_str().unwrap_or_default() {
                "obj_movement_which" => {
                    if c0.distance(c1) < 0.01 {
                        return Err(format!("object {id} did not move between frames {frames:?}"));
                    }
                    if let Some(still) = ids[1..].iter().find(|i| s.ever_moved(**i)) {
                        return Err(format!("distractor {still} moved too"));
                    }
                    text(&obj(0)?.name)
                }
                "obj_movement_direction" => {
                    let (p, r) = cam(0)?;
                    let sideways = (r.transpose() * (c1 - c0)).x;
                    let planar = |c: Vec3| (c - p).with_z(0.0).length();
                    let away = planar(c1) > planar(c0);
                    let lr = if sideways > 0.0 { "right" } else { "left" };
                    text(&format!("{lr} and {} the camera", if away { "away from" } else { "towards" }))
                }
                _ => close(c0.distance(c1) as f64, 0.051),
            }
        }
        "route_planning" => {
            let corners: Vec<Vec3> = q["provenance"]["route_waypoints_m"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| Vec3::new(p[0].as_f64().unwrap_or(0.0) as f32, p[1].as_f64().unwrap_or(0.0) as f32, 0.0))
                .collect();
            if corners.len() < 2 || ids.len() != corners.len() + 1 {
                return Err(format!("{} waypoints for {} objects", corners.len(), ids.len()));
            }
            route_sound(&corners, &ids, s)?;
            text(&route_turns(obj(1)?.center.with_z(0.0), &corners).join(", "))
        }
        other => Err(format!("unknown type {other}")),
    }
}

/// Checks what dataset.json records of the build: every file it lists has that blake3 hash, its config is a
/// complete, valid config whose hash is the one every scene was built for (`build.json`, `done.json`).
fn check_integrity(out: &Path, report: &mut VerifyReport) -> Result<(), VerifyError> {
    let path = out.join("dataset.json");
    let dataset: Value = serde_json::from_str(&read(&path)?)
        .map_err(|e| VerifyError::Read { path: path.clone(), cause: e.to_string() })?;
    let mut files: Vec<(String, String)> = Vec::new();
    for scene in dataset["scenes"].as_array().into_iter().flatten() {
        for (rel, hash) in scene["files"].as_object().into_iter().flatten() {
            files.push((rel.clone(), hash.as_str().unwrap_or_default().to_string()));
        }
    }
    for (rel, hash) in dataset["files"].as_object().into_iter().flatten() {
        files.push((rel.clone(), hash.as_str().unwrap_or_default().to_string()));
    }
    for (rel, want) in files {
        report.files_checked += 1;
        match std::fs::read(out.join(&rel)) {
            Ok(bytes) if blake3::hash(&bytes).to_hex().as_str() == want => {}
            Ok(_) => report.integrity.push((rel, "its blake3 hash is not the one dataset.json records".into())),
            Err(e) => report.integrity.push((rel, format!("cannot be read: {e}"))),
        }
    }
    if dataset["tool"]["name"] != "diorama" || !dataset["tool"]["version"].is_string() {
        report.integrity.push(("dataset.json".into(), "no tool name and version".into()));
    }
    // The recorded config must be every resolved value (it parses as a whole config) of the build's hash.
    match serde_json::from_value::<crate::Config>(dataset["config"].clone()) {
        Err(e) => report.integrity.push(("dataset.json".into(), format!("its config is not a complete config: {e}"))),
        Ok(config) => {
            // Compared through its text: an f32 turned into a JSON value directly widens, printed it does not.
            let printed = serde_json::to_string(&config).ok().and_then(|t| serde_json::from_str::<Value>(&t).ok());
            if printed.as_ref() != Some(&dataset["config"]) {
                report
                    .integrity
                    .push(("dataset.json".into(), "its config does not record every resolved value".into()));
            }
            let hash = crate::emit::state::config_hash(&config);
            if let Ok(Some(build)) = crate::emit::state::read_build(out)
                && build.config_hash != hash
            {
                report.integrity.push(("build.json".into(), "names another config than dataset.json".into()));
            }
            for scene in dataset["scenes"].as_array().into_iter().flatten() {
                let id = scene["scene_id"].as_str().unwrap_or_default();
                let done = crate::emit::state::scene_done_path(out, id);
                let recorded: Option<Value> = std::fs::read(&done).ok().and_then(|b| serde_json::from_slice(&b).ok());
                if recorded.as_ref().is_none_or(|d| d["config_hash"] != hash.as_str()) {
                    report.integrity.push((format!("scenes/{id}/done.json"), "missing, or of another config".into()));
                }
            }
        }
    }
    Ok(())
}

/// Verifies the dataset at `out`: its files and records (`check_integrity`), then every question.
pub fn verify(out: &Path) -> Result<VerifyReport, VerifyError> {
    let mut report = VerifyReport::default();
    check_integrity(out, &mut report)?;
    // A scene whose records cannot be read is reported (once) with the damaged files, its questions unchecked.
    let mut scenes: BTreeMap<String, Option<Scene>> = BTreeMap::new();
    let qa = read(&out.join("qa.jsonl"))?;
    for line in qa.lines().filter(|l| !l.trim().is_empty()) {
        let q: Value = serde_json::from_str(line)
            .map_err(|e| VerifyError::Read { path: out.join("qa.jsonl"), cause: e.to_string() })?;
        let sid = q["scene_id"].as_str().unwrap_or_default().to_string();
        if !scenes.contains_key(&sid) {
            let loaded = load_scene(&out.join("scenes").join(&sid));
            if let Err(e) = &loaded {
                report.integrity.push((format!("scenes/{sid}"), format!("its questions cannot be checked: {e}")));
            }
            scenes.insert(sid.clone(), loaded.ok());
        }
        let t = q["question_type"].as_str().unwrap_or_default().to_string();
        let id = q["id"].as_str().unwrap_or_default().to_string();
        let Some(scene) = &scenes[&sid] else { continue };
        match check(&q, scene) {
            Err(e) if e.starts_with("unknown type") => *report.unknown.entry(t).or_default() += 1,
            Err(e) => {
                *report.checked.entry(t).or_default() += 1;
                report.mismatches.push((id, e));
            }
            Ok(()) => *report.checked.entry(t).or_default() += 1,
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn left_is_counter_clockwise_from_above() {
        let f = Vec3::new(0.0, 1.0, 0.0);
        assert_eq!(direction("hard", left_angle(f, Vec3::new(-1.0, 1.0, 0.0))), "front-left");
        assert_eq!(direction("hard", left_angle(f, Vec3::new(1.0, -1.0, 0.0))), "back-right");
        assert_eq!(direction("medium", left_angle(f, Vec3::new(0.1, -1.0, 0.0))), "back");
        assert_eq!(direction("easy", left_angle(f, Vec3::new(0.5, 0.2, 0.0))), "right");
    }
}
