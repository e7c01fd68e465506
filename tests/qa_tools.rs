//! `diorama score` and `diorama export` through the real CLI on a small build.

mod common;

use common::{build, diorama, read_jsonl, stderr};

#[test]
fn score_and_export_work_on_a_build() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "scenes = 1\nseed = 4\n[camera]\nwidth = 160\nheight = 120\n").unwrap();
    let out = dir.path().join("ds");
    build(&out, &[config.to_str().unwrap()]);
    let qa = read_jsonl(&out.join("qa.jsonl"));
    assert!(qa.iter().any(|q| q["options"].is_array()), "multiple-choice questions in a default-like build");
    let write = |name: &str, f: &dyn Fn(&serde_json::Value) -> String| {
        let p = dir.path().join(name);
        let lines: Vec<String> =
            qa.iter().map(|q| serde_json::json!({"id": q["id"], "prediction": f(q)}).to_string()).collect();
        std::fs::write(&p, lines.join("\n")).unwrap();
        p
    };
    let run = |p: &std::path::Path| {
        let o = diorama(&["score", "--dataset", out.to_str().unwrap(), "--predictions", p.to_str().unwrap(), "--json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    // The answers themselves score 1, raw outputs with trailing words too.
    let perfect = write("perfect.jsonl", &|q| format!("{} because", q["answer"].as_str().unwrap()));
    assert_eq!(run(&perfect)["overall"], 1.0);
    // Every number doubled: 100 % off, MRA 0; every letter kept: accuracy 1.
    let doubled = write("doubled.jsonl", &|q| {
        let a = q["answer"].as_str().unwrap();
        if q["options"].is_array() { a.to_string() } else { format!("{}", a.parse::<f64>().unwrap() * 2.0) }
    });
    let r = run(&doubled);
    assert_eq!(r["per_type"]["object_counting"]["score"], 0.0);
    assert_eq!(r["per_type"]["object_rel_distance"]["score"], 1.0);
    // A prediction for a question that does not exist is an error naming it.
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"id\": \"9999-9999\", \"prediction\": \"A\"}\n").unwrap();
    let o = diorama(&["score", "--dataset", out.to_str().unwrap(), "--predictions", bad.to_str().unwrap()]);
    assert!(!o.status.success() && stderr(&o).contains("9999-9999"), "{}", stderr(&o));
    // Exports: one record per question.
    for format in ["vsibench", "llava", "llava-mc"] {
        let file = dir.path().join(format!("{format}.jsonl"));
        let o = diorama(&["export", out.to_str().unwrap(), "--format", format, "--out", file.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        let recs = read_jsonl(&file);
        assert_eq!(recs.len(), qa.len());
        if format == "vsibench" {
            for (r, q) in recs.iter().zip(&qa) {
                assert_eq!(r["ground_truth"], q["answer"]);
                assert_eq!(r["question_type"], q["question_type"]);
            }
        } else {
            assert!(recs[0]["conversations"][0]["value"].as_str().unwrap().starts_with("<video>"));
            // Numeric questions answer with a number, or in llava-mc with their variant's letter.
            for (r, q) in recs.iter().zip(&qa).filter(|(_, q)| q["mc_answer"].is_string()) {
                let want = if format == "llava" { &q["answer"] } else { &q["mc_answer"] };
                assert_eq!(&r["conversations"][1]["value"], want);
            }
        }
    }
}

/// `diorama verify` recomputes every answer independently: it passes on builds over several seeds (with every
/// room type, balconies and moving objects), and a corrupted answer of any type makes it fail naming the
/// question.
#[test]
fn verify_agrees_with_builds_and_catches_a_corrupted_answer() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "scenes = 2\n[camera]\nwidth = 160\nheight = 120\n[dynamics]\nevents = 3\n").unwrap();
    let mut types = std::collections::BTreeSet::new();
    for seed in ["1", "2", "3", "4", "5"] {
        let out = dir.path().join(format!("s{seed}"));
        build(&out, &[config.to_str().unwrap(), "--seed", seed]);
        let o = diorama(&["verify", out.to_str().unwrap()]);
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(o.status.success(), "seed {seed}: {text}{}", stderr(&o));
        assert!(!text.contains("not checked"), "every type is recomputed: {text}");
        types
            .extend(read_jsonl(&out.join("qa.jsonl")).iter().map(|q| q["question_type"].as_str().unwrap().to_string()));
    }
    for t in ["route_planning", "goal_aim", "action_consequence", "perspective_taking", "obj_movement_which"] {
        assert!(types.contains(t), "no {t} question over five seeds: {types:?}");
    }
    // Corrupt one answer of every type: a numeric answer moved by 0.7, a letter moved to another option.
    let out = dir.path().join("s1");
    let qa = read_jsonl(&out.join("qa.jsonl"));
    let mut corrupted = Vec::new();
    let lines: Vec<String> = qa
        .iter()
        .map(|q| {
            let mut q = q.clone();
            let t = q["question_type"].as_str().unwrap().to_string();
            if corrupted.iter().any(|(c, _): &(String, String)| *c == t) {
                return q.to_string();
            }
            let a = q["answer"].as_str().unwrap().to_string();
            q["answer"] = match q["options"].as_array() {
                Some(options) => {
                    let other = options.iter().map(|o| &o.as_str().unwrap()[..1]).find(|l| *l != a).unwrap();
                    serde_json::json!(other)
                }
                None => serde_json::json!(format!("{:.1}", a.parse::<f64>().unwrap() + 0.7)),
            };
            // The numeric question's multiple-choice variant must still hold the recorded answer.
            q["mc_options"] = serde_json::Value::Null;
            corrupted.push((t, q["id"].as_str().unwrap().to_string()));
            q.to_string()
        })
        .collect();
    assert!(corrupted.len() >= 18, "{corrupted:?}");
    std::fs::write(out.join("qa.jsonl"), lines.join("\n") + "\n").unwrap();
    let o = diorama(&["verify", out.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(!o.status.success());
    for (t, id) in &corrupted {
        assert!(text.contains(id.as_str()), "corrupted {t} ({id}) not caught: {text}");
    }
}

/// With `qa.abstention`, every multiple-choice question offers "cannot be determined from the video" as its
/// last option, and questions about objects a heavy haze hides become abstention questions answered with it.
#[test]
fn abstention_questions_replace_what_degradations_hide() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "scenes = 1\nseed = 4\n[camera]\nwidth = 160\nheight = 120\n[qa]\nabstention = true\n")
        .unwrap();
    let out = dir.path().join("ds");
    build(&out, &[config.to_str().unwrap(), "--degrade", "haze:5"]);
    let qa = read_jsonl(&out.join("qa.jsonl"));
    let abstain = "cannot be determined from the video";
    for q in qa.iter().filter(|q| q["options"].is_array()) {
        let options = q["options"].as_array().unwrap();
        assert!(options.last().unwrap().as_str().unwrap().ends_with(abstain), "{q}");
        let chosen = options.iter().find(|o| o.as_str().unwrap().starts_with(q["answer"].as_str().unwrap())).unwrap();
        assert_eq!(q["abstain"] == true, chosen.as_str().unwrap().ends_with(abstain), "{q}");
    }
    let turned = qa.iter().filter(|q| q["abstain"] == true).count();
    assert!(turned > 0, "haze at level 5 hides some objects");
    let o = diorama(&["verify", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}
