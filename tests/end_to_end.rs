//! Builds the default dataset with the CLI and checks it against the contract and the scene's own geometry.

mod common;

use std::collections::BTreeMap;

use common::*;
use serde_json::Value;

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

fn vec3(v: &Value) -> [f64; 3] {
    [f(&v[0]), f(&v[1]), f(&v[2])]
}

/// Corners of an OBB record in world coordinates.
fn corners(obb: &Value) -> Vec<[f64; 3]> {
    let c = vec3(&obb["center"]);
    let s = vec3(&obb["size"]);
    let axes: Vec<[f64; 3]> = (0..3).map(|i| vec3(&obb["axes"][i])).collect();
    let mut out = Vec::new();
    for i in 0..8 {
        let sign = [(i & 1) as f64 * 2.0 - 1.0, ((i >> 1) & 1) as f64 * 2.0 - 1.0, ((i >> 2) & 1) as f64 * 2.0 - 1.0];
        let mut p = c;
        for a in 0..3 {
            for d in 0..3 {
                p[d] += axes[a][d] * sign[a] * s[a] / 2.0;
            }
        }
        out.push(p);
    }
    out
}

/// p_c = R^T (p_w - t) with T_wc row-major from frames.jsonl.
fn to_camera(t_wc: &Value, p: [f64; 3]) -> [f64; 3] {
    let d = [p[0] - f(&t_wc[0][3]), p[1] - f(&t_wc[1][3]), p[2] - f(&t_wc[2][3])];
    [0, 1, 2].map(|col| (0..3).map(|row| f(&t_wc[row][col]) * d[row]).sum())
}

#[test]
fn default_build_is_complete_and_consistent() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ds");
    build(&out, &[]);

    let dataset = read_json(&out.join("dataset.json"));
    let classes: Vec<&str> =
        dataset["semantic_classes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(classes[0], "background");
    assert_eq!(dataset["counts"]["scenes"], 4);
    assert!(!dataset["adapter"]["name"].as_str().unwrap().is_empty());
    assert_eq!(dataset["config"]["camera"]["frames"], 192);
    let scenes = dataset["scenes"].as_array().unwrap();
    assert_eq!(scenes.len(), 4);

    // Every file listed exists and has the recorded blake3 hash; each scene has its top-down plan.
    for s in scenes {
        let id = s["scene_id"].as_str().unwrap();
        assert!(s["files"].get(format!("scenes/{id}/plan.png")).is_some(), "scene {id} lists no plan.png");
        for (rel, hash) in s["files"].as_object().unwrap() {
            let bytes = std::fs::read(out.join(rel)).unwrap();
            assert_eq!(blake3::hash(&bytes).to_hex().as_str(), hash.as_str().unwrap(), "{rel}");
        }
    }
    let mut question_types = BTreeMap::<String, usize>::new();

    for dir in scene_dirs(&out) {
        let scene = read_json(&dir.join("scene.json"));
        // The default scene is a four-room apartment the camera tours: every room and its doors are listed,
        // and the tour's frames stand in every room.
        // Half the default scenes add a balcony behind one more door.
        let rooms = scene["rooms"].as_array().unwrap();
        let indoor = rooms.iter().filter(|r| r["outdoor"] == false).count();
        assert_eq!(indoor, 4);
        assert_eq!(scene["camera"]["trajectory"], "room_tour");
        assert_eq!(
            scene["doors"].as_array().unwrap().len(),
            rooms.len(),
            "a door into each room but the first, and the entrance"
        );
        let frames = read_jsonl(&dir.join("frames.jsonl"));
        for room in rooms {
            let poly = room["polygon"].as_array().unwrap();
            // The bounding rectangle of the outline (an L-shaped room has six vertices).
            let xs: Vec<f64> = poly.iter().map(|p| f(&p[0])).collect();
            let ys: Vec<f64> = poly.iter().map(|p| f(&p[1])).collect();
            let lo =
                [xs.iter().copied().fold(f64::INFINITY, f64::min), ys.iter().copied().fold(f64::INFINITY, f64::min)];
            let hi = [
                xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                ys.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            ];
            let inside = frames
                .iter()
                .filter(|fr| {
                    let (x, y) = (f(&fr["T_wc"][0][3]), f(&fr["T_wc"][1][3]));
                    x > lo[0] && x < hi[0] && y > lo[1] && y < hi[1]
                })
                .count();
            assert!(inside >= 10, "{dir:?}: {inside} frames in room {}", room["id"]);
        }
        let frame_count = scene["camera"]["frame_count"].as_u64().unwrap() as usize;
        assert_eq!(frame_count, 192);
        assert_eq!(frames.len(), frame_count, "frames.jsonl lines");
        assert_eq!(decoded_frame_hashes(&dir.join("video.mp4")).len(), frame_count, "decoded MP4 frames");

        let k = &scene["camera"]["intrinsics"];
        let (fx, fy, cx, cy) = (f(&k["fx"]), f(&k["fy"]), f(&k["cx"]), f(&k["cy"]));
        let objects: BTreeMap<u64, &Value> =
            scene["objects"].as_array().unwrap().iter().map(|o| (o["id"].as_u64().unwrap(), o)).collect();

        // The walkthrough sees every piece of furniture in some frame.
        let mut seen = std::collections::BTreeSet::new();
        let mut checked_boxes = 0;
        for (i, frame) in frames.iter().enumerate() {
            assert_eq!(frame["k"], i as u64);
            let (w, h, ids) = read_png_u16(&dir.join(format!("instance/{i}.png")));
            let (_, _, depth_mm) = read_png_u16(&dir.join(format!("depth/{i}.png")));
            assert_eq!((w, h), (640, 480));
            // The semantic map is the instance map's objects' categories, indexed into dataset.json's classes.
            if i % 16 == 0 {
                let (_, _, semantic) = read_png_u16(&dir.join(format!("semantic/{i}.png")));
                for (&id, &class) in ids.iter().zip(&semantic) {
                    let expected =
                        if id == 0 { "background" } else { objects[&(id as u64)]["category"].as_str().unwrap() };
                    assert_eq!(classes[class as usize], expected, "frame {i}: object {id}");
                }
            }
            let mut counts = BTreeMap::<u16, u32>::new();
            for &id in &ids {
                *counts.entry(id).or_default() += 1;
            }
            let t_wc = &frame["T_wc"];
            for v in frame["visibility"].as_array().unwrap() {
                let id = v["id"].as_u64().unwrap();
                let visible = v["visible_px"].as_u64().unwrap() as u32;
                assert_eq!(
                    counts.get(&(id as u16)).copied().unwrap_or(0),
                    visible,
                    "frame {i} object {id}: visible_px vs instance map"
                );
                // Every listed object would show with nothing in front (unoccluded_px > 0), at least as much
                // as it shows; hidden ones (visible_px 0) have no 2D box.
                let unoccluded = v["unoccluded_px"].as_u64().expect("unoccluded_px is counted") as u32;
                assert!(unoccluded > 0 && unoccluded >= visible, "frame {i} object {id}: {v}");
                if visible == 0 {
                    assert_eq!(v["bbox_2d"], serde_json::json!([0, 0, 0, 0]));
                    continue;
                }
                seen.insert(id);
                let obj = objects[&id];
                // A moving object's box where frames.jsonl says it is at this frame.
                let mut obb = obj["obb"].clone();
                if let Some(moved) = frame["objects"].as_array().unwrap().iter().find(|m| m["id"] == id) {
                    obb["center"] = moved["center"].clone();
                    obb["axes"] = moved["axes"].clone();
                }
                let cs: Vec<[f64; 3]> = corners(&obb).into_iter().map(|p| to_camera(t_wc, p)).collect();
                // Depth at the object's pixels lies within its box's depth range (0.5 mm quantisation + 1 mm).
                let zmax = cs.iter().map(|c| c[2]).fold(f64::MIN, f64::max);
                let zmin = cs.iter().map(|c| c[2]).fold(f64::MAX, f64::min).max(0.0);
                for (p, &pid) in ids.iter().enumerate() {
                    if pid as u64 == id {
                        let d = depth_mm[p] as f64 / 1000.0;
                        assert!(
                            d >= zmin - 0.002 && d <= zmax + 0.002,
                            "frame {i} object {id}: depth {d} outside [{zmin}, {zmax}]"
                        );
                    }
                }
                // The projected box corners enclose the 2D box (1 px tolerance) when the box is in front.
                if obj["structural"] == false && cs.iter().all(|c| c[2] > 0.05) {
                    let us: Vec<f64> = cs.iter().map(|c| fx * c[0] / c[2] + cx).collect();
                    let vs: Vec<f64> = cs.iter().map(|c| fy * c[1] / c[2] + cy).collect();
                    let b: Vec<f64> = v["bbox_2d"].as_array().unwrap().iter().map(f).collect();
                    let (umin, umax) =
                        (us.iter().cloned().fold(f64::MAX, f64::min), us.iter().cloned().fold(f64::MIN, f64::max));
                    let (vmin, vmax) =
                        (vs.iter().cloned().fold(f64::MAX, f64::min), vs.iter().cloned().fold(f64::MIN, f64::max));
                    assert!(
                        b[0] >= umin - 1.0 && b[2] <= umax + 1.0 && b[1] >= vmin - 1.0 && b[3] <= vmax + 1.0,
                        "frame {i} object {id}: bbox {b:?} outside projected box u [{umin}, {umax}] v [{vmin}, {vmax}]"
                    );
                    // Its unoccluded silhouette fits in the projected box too (clipped to the image).
                    let clip = |lo: f64, hi: f64, n: f64| (hi.min(n) - lo.max(0.0) + 2.0).max(0.0);
                    let bound = clip(umin, umax, 640.0) * clip(vmin, vmax, 480.0);
                    assert!(unoccluded as f64 <= bound, "frame {i} object {id}: {unoccluded} px in a {bound} px box");
                    checked_boxes += 1;
                }
            }
            // Every id in the map is listed.
            for id in counts.keys().filter(|&&id| id != 0) {
                assert!(
                    frame["visibility"].as_array().unwrap().iter().any(|v| v["id"] == *id as u64),
                    "frame {i}: id {id} unlisted"
                );
            }
        }
        assert!(checked_boxes > 20, "only {checked_boxes} boxes were fully in front of the camera");
        for (id, o) in &objects {
            if o["structural"] == false {
                assert!(seen.contains(id), "{}: object {id} ({}) is never seen", dir.display(), o["category"]);
            }
        }
        assert_eq!(scene["unseen_objects"].as_array().unwrap().len(), 0);
        for c in scene["layout_report"]["constraints"].as_array().unwrap() {
            assert_eq!(c["holds"], true, "{c}");
        }
        // Camera clearance as the scene reports it, at least the configured one (0.15 m by default).
        assert_eq!(f(&scene["camera"]["clearance_m"]), 0.15);
        assert!(f(&scene["camera"]["min_clearance_m"]) >= 0.15);

        // The room size asked about is the indoor floor area of the tour.
        let indoor_m2: f64 = rooms.iter().filter(|r| r["outdoor"] == false).map(|r| f(&r["area_m2"])).sum();
        for q in read_jsonl(&dir.join("qa.jsonl")) {
            if q["question_type"] == "room_size_estimation" {
                assert!((f(&q["ground_truth"]) - indoor_m2).abs() < 1e-3, "{q} vs {indoor_m2} m2");
            }
            *question_types.entry(q["question_type"].as_str().unwrap().to_string()).or_default() += 1;
            assert!(out.join(q["video"].as_str().unwrap()).exists());
            if q["options"].is_null() {
                assert_eq!(q["metric"], "mra");
                let gt = f(&q["ground_truth"]);
                let answer: f64 = q["answer"].as_str().unwrap().parse().unwrap();
                assert!((answer - gt).abs() <= 0.5 + 1e-9, "answer {answer} is the rounded ground truth {gt}");
            } else {
                // Multiple choice: the answer letter's option is the ground truth, with a recorded margin.
                assert_eq!(q["metric"], "accuracy");
                let letter = q["answer"].as_str().unwrap();
                let option = q["options"].as_array().unwrap().iter().find(|o| o.as_str().unwrap().starts_with(letter));
                assert_eq!(&option.unwrap().as_str().unwrap()[3..], q["ground_truth"].as_str().unwrap(), "{q}");
                assert!(f(&q["provenance"]["margin"]) > 0.0, "{q}");
            }
            for id in q["provenance"]["object_ids"].as_array().unwrap() {
                assert!(objects.contains_key(&id.as_u64().unwrap()));
            }
        }
    }
    for t in [
        "object_counting",
        "object_abs_distance",
        "object_size_estimation",
        "room_size_estimation",
        "object_rel_distance",
        "object_rel_direction_easy",
        "object_rel_direction_medium",
        "object_rel_direction_hard",
        "obj_appearance_order",
        "camera_displacement",
        "camera_movement_direction",
        "cam_obj_abs_dist",
        "ego_rotation",
    ] {
        assert!(question_types.get(t).copied().unwrap_or(0) > 0, "no {t} questions in {question_types:?}");
    }
    // Answer letters are balanced per question type within each scene, so across the build no letter leads
    // another by more than the number of scenes; every type reports its best constant answer's score.
    let scenes = dataset["scenes"].as_array().unwrap().len() as u64;
    for (t, b) in dataset["qa_balance"].as_object().unwrap() {
        let counts: Vec<u64> =
            b["letters"].as_object().map_or(vec![], |m| m.values().map(|v| v.as_u64().unwrap()).collect());
        if let (Some(max), Some(min)) = (counts.iter().max(), counts.iter().min()) {
            assert!(max - min <= scenes, "{t}: letters {}", b["letters"]);
        }
        let s = f(&b["best_constant_score"]);
        assert!((0.0..=1.0).contains(&s), "{t}: {b}");
    }
    // The top-level qa.jsonl is the scenes' questions in scene order.
    let mut concatenated = Vec::new();
    for dir in scene_dirs(&out) {
        concatenated.extend(std::fs::read(dir.join("qa.jsonl")).unwrap());
    }
    assert_eq!(std::fs::read(out.join("qa.jsonl")).unwrap(), concatenated);
}

#[test]
fn normal_and_motion_maps_are_written_when_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("n.toml");
    std::fs::write(
        &cfg,
        "scenes = 1\n[room]\ncount = 1\noutdoor_share = 0.0\n[camera]\nframes = 24\n[dynamics]\nevents = 0\n[output]\nnormals = true\nmotion = true\n",
    )
    .unwrap();
    let out = tmp.path().join("ds");
    build(&out, &[cfg.to_str().unwrap()]);
    let dir = &scene_dirs(&out)[0];
    let scene = read_json(&dir.join("scene.json"));
    let floor = scene["objects"].as_array().unwrap().iter().find(|o| o["category"] == "floor").unwrap()["id"].clone();
    let (w, h, ids) = read_png_u16(&dir.join("instance/0.png"));
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(dir.join("normal/0.png")).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut rgb = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut rgb).unwrap();
    assert_eq!((info.width, info.height, info.color_type), (w, h, png::ColorType::Rgb));
    // The floor faces up: (0, 0, 1) encodes as (128, 128, 255), give or take one step of rounding.
    let mut floor_px = 0;
    for (p, &id) in ids.iter().enumerate() {
        if id as u64 == floor.as_u64().unwrap() {
            let n = &rgb[p * 3..p * 3 + 3];
            assert!(n[0].abs_diff(128) <= 1 && n[1].abs_diff(128) <= 1 && n[2] >= 254, "pixel {p}: {n:?}");
            floor_px += 1;
        }
    }
    assert!(floor_px > 1000, "the first frame shows the floor");

    // Motion vectors agree with reprojecting the pixel's point (from the depth map, the intrinsics and T_wc of
    // frames 3 and 2, all as emitted) into the previous frame.
    let frames = read_jsonl(&dir.join("frames.jsonl"));
    let kk = &scene["camera"]["intrinsics"];
    let (fx, fy, cx, cy) = (f(&kk["fx"]), f(&kk["fy"]), f(&kk["cx"]), f(&kk["cy"]));
    let (_, _, depth_mm) = read_png_u16(&dir.join("depth/3.png"));
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(dir.join("motion/3.png")).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut raw = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut raw).unwrap();
    let flow: Vec<u16> = raw.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
    let (now, prev) = (&frames[3]["T_wc"], &frames[2]["T_wc"]);
    let mut checked = 0;
    for p in (0..(w * h) as usize).step_by(97) {
        let z = depth_mm[p] as f64 / 1000.0;
        if z == 0.0 {
            assert_eq!(flow[p * 3 + 2], 0, "no surface, no vector");
            continue;
        }
        assert_eq!(flow[p * 3 + 2], 1);
        let (u, v) = ((p % w as usize) as f64 + 0.5, (p / w as usize) as f64 + 0.5);
        // The expected vector for a depth z: reproject the pixel's point into the previous camera.
        let expected = |z: f64| {
            let pc = [(u - cx) / fx * z, (v - cy) / fy * z, z];
            let pw: Vec<f64> =
                (0..3).map(|r| (0..3).map(|c| f(&now[r][c]) * pc[c]).sum::<f64>() + f(&now[r][3])).collect();
            let q = to_camera(prev, [pw[0], pw[1], pw[2]]);
            (u - (fx * q[0] / q[2] + cx), v - (fy * q[1] / q[2] + cy))
        };
        let du = (flow[p * 3] as f64 - 32768.0) / 64.0;
        let dv = (flow[p * 3 + 1] as f64 - 32768.0) / 64.0;
        // The depth map is stored to the millimetre: the tolerance is what half a millimetre changes (close
        // surfaces move a lot), plus the 1/64 px of the encoding.
        let (e, lo, hi) = (expected(z), expected(z - 0.0005), expected(z + 0.0005));
        if e.0.abs().max(e.1.abs()) > 511.0 {
            // Beyond what the KITTI encoding holds (+-512 px): stored clamped.
            continue;
        }
        let tol = 0.02 + (lo.0 - hi.0).abs().max((lo.1 - hi.1).abs());
        assert!((du - e.0).abs() < tol && (dv - e.1).abs() < tol, "pixel {p}: ({du}, {dv}) vs {e:?} (tolerance {tol})");
        checked += 1;
    }
    assert!(checked > 1000, "only {checked} pixels checked");
}

#[test]
fn camera_paths_stills_and_moving_objects_are_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("d.toml");
    std::fs::write(
        &cfg,
        "seed = 3\nscenes = 3\n[room]\ncount = 1\noutdoor_share = 0.0\n[camera]\nframes = 48\n\
         [trajectory]\nkinds = [\"orbit\", \"stills\", \"coverage\"]\n\
         [dynamics]\nevents = 3\n[output]\nmotion = true\n",
    )
    .unwrap();
    let out = tmp.path().join("ds");
    build(&out, &[cfg.to_str().unwrap()]);
    let dirs = scene_dirs(&out);
    let scenes: Vec<Value> = dirs.iter().map(|d| read_json(&d.join("scene.json"))).collect();
    let frames: Vec<Vec<Value>> = dirs.iter().map(|d| read_jsonl(&d.join("frames.jsonl"))).collect();
    let kinds: Vec<&str> = scenes.iter().map(|s| s["camera"]["trajectory"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["orbit", "stills", "coverage"]);
    let fps = 12.0;

    // The orbit circles an object of the scene; each frame's velocity is the central difference of T_wc.
    let target = scenes[0]["camera"]["orbit_target"].as_u64().unwrap();
    assert!(scenes[0]["objects"].as_array().unwrap().iter().any(|o| o["id"] == target));
    let position = |fr: &Value| [0, 1, 2].map(|r| f(&fr["T_wc"][r][3]));
    for k in 1..47 {
        let (a, b) = (position(&frames[0][k - 1]), position(&frames[0][k + 1]));
        let v = &frames[0][k]["camera_velocity"]["linear_m_s"];
        for i in 0..3 {
            assert!((f(&v[i]) - (b[i] - a[i]) * fps / 2.0).abs() < 1e-3, "frame {k}: {v} vs {a:?} {b:?}");
        }
    }

    // Stills: one image per frame, the camera standing still in each.
    for k in 0..48 {
        let png = dirs[1].join(format!("images/{k}.png"));
        let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
        let info = dec.read_info().unwrap().info().clone();
        assert_eq!((info.width, info.height, info.color_type), (640, 480, png::ColorType::Rgb));
        assert!(frames[1][k]["camera_velocity"]["linear_m_s"].as_array().unwrap().iter().all(|x| f(x) == 0.0));
    }
    assert!(scenes[1]["dynamics"].as_array().unwrap().is_empty(), "nothing moves between stills");

    // Moving objects: flagged in scene.json, listed in frames.jsonl from their first frame away from rest, at
    // their final place at the end; motion vectors on a sliding object follow it.
    let mut moved = 0;
    let mut flow_checked = 0;
    for (s, (scene, fr)) in scenes.iter().zip(&frames).enumerate() {
        let events = scene["dynamics"].as_array().unwrap();
        let dynamic: Vec<u64> = scene["objects"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["dynamic"] == true)
            .map(|o| o["id"].as_u64().unwrap())
            .collect();
        let mut ids: Vec<u64> = events.iter().map(|e| e["object"].as_u64().unwrap()).collect();
        ids.sort();
        assert_eq!(dynamic, ids, "scene {s}");
        for e in events {
            moved += 1;
            let id = &e["object"];
            let start = e["start_frame"].as_u64().unwrap() as usize;
            let listed = |k: usize| fr[k]["objects"].as_array().unwrap().iter().find(|o| o["id"] == *id).cloned();
            assert!(listed(start - 1).is_none() && listed(start).is_some(), "scene {s}: {e}");
            let last = listed(47).expect("still away from rest at the end");
            for i in 0..3 {
                assert!((f(&last["center"][i]) - f(&e["to"][i])).abs() < 1e-5, "scene {s}: {last} vs {e}");
            }
            if e["kind"] != "slide" {
                continue;
            }
            // A slide only translates: a point of the object moved by the change of its centre.
            for k in start..e["end_frame"].as_u64().unwrap() as usize {
                let (Some(now), Some(then)) =
                    (listed(k), listed(k - 1).or(Some(serde_json::json!({"center": e["from"]}))))
                else {
                    continue;
                };
                let shift: Vec<f64> = (0..3).map(|i| f(&now["center"][i]) - f(&then["center"][i])).collect();
                let (w, _, ids_k) = read_png_u16(&dirs[s].join(format!("instance/{k}.png")));
                let (_, _, depth_mm) = read_png_u16(&dirs[s].join(format!("depth/{k}.png")));
                let decoder = png::Decoder::new(std::io::BufReader::new(
                    std::fs::File::open(dirs[s].join(format!("motion/{k}.png"))).unwrap(),
                ));
                let mut reader = decoder.read_info().unwrap();
                let mut raw = vec![0; reader.output_buffer_size().unwrap()];
                reader.next_frame(&mut raw).unwrap();
                let flow: Vec<u16> = raw.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
                let kk = &scene["camera"]["intrinsics"];
                let (fx, fy, cx, cy) = (f(&kk["fx"]), f(&kk["fy"]), f(&kk["cx"]), f(&kk["cy"]));
                let (t_now, t_prev) = (&fr[k]["T_wc"], &fr[k - 1]["T_wc"]);
                for p in (0..ids_k.len()).filter(|&p| ids_k[p] as u64 == id.as_u64().unwrap()).step_by(7) {
                    let z = depth_mm[p] as f64 / 1000.0;
                    let (u, v) = ((p % w as usize) as f64 + 0.5, (p / w as usize) as f64 + 0.5);
                    let pc = [(u - cx) / fx * z, (v - cy) / fy * z, z];
                    let pw: Vec<f64> = (0..3)
                        .map(|r| (0..3).map(|c| f(&t_now[r][c]) * pc[c]).sum::<f64>() + f(&t_now[r][3]))
                        .collect();
                    let q = to_camera(t_prev, [pw[0] - shift[0], pw[1] - shift[1], pw[2] - shift[2]]);
                    let (du, dv) = (u - (fx * q[0] / q[2] + cx), v - (fy * q[1] / q[2] + cy));
                    let got = ((flow[p * 3] as f64 - 32768.0) / 64.0, (flow[p * 3 + 1] as f64 - 32768.0) / 64.0);
                    // Depth is stored to the millimetre and the flow to 1/64 px.
                    assert!(
                        (got.0 - du).abs() < 0.1 && (got.1 - dv).abs() < 0.1,
                        "scene {s} frame {k} px {p}: {got:?} vs ({du}, {dv})"
                    );
                    flow_checked += 1;
                }
            }
        }
    }
    assert!(moved >= 4, "only {moved} events placed in the two moving scenes");
    assert!(flow_checked > 100, "a sliding object's motion vectors were checked at {flow_checked} pixels");
}
