//! The same seed gives the same bytes; another seed gives other ones.

mod common;

use std::path::Path;

use common::*;

fn config(dir: &Path) -> String {
    let path = dir.join("small.toml");
    std::fs::write(&path, "scenes = 2\n[camera]\nframes = 16\n").unwrap();
    path.to_str().unwrap().to_string()
}

fn snapshot(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    for dir in scene_dirs(out) {
        for name in ["scene.json", "frames.jsonl", "qa.jsonl"] {
            v.push((format!("{}/{name}", dir.display()), std::fs::read(dir.join(name)).unwrap()));
        }
        v.push((
            format!("{}/video (decoded)", dir.display()),
            decoded_frame_hashes(&dir.join("video.mp4")).join("\n").into_bytes(),
        ));
    }
    v
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path());
    let (a, b, c) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("c"));
    build(&a, &[&cfg, "--seed", "7"]);
    build(&b, &[&cfg, "--seed", "7"]);
    build(&c, &[&cfg, "--seed", "8"]);
    let (sa, sb, sc) = (snapshot(&a), snapshot(&b), snapshot(&c));
    assert_eq!(sa.len(), 8);
    for ((name, x), (_, y)) in sa.iter().zip(&sb) {
        assert!(x == y, "{name} differs between two builds with seed 7");
    }
    for ((name, x), (_, z)) in sa.iter().zip(&sc) {
        assert!(x != z, "{name} is the same for seeds 7 and 8");
    }
}
