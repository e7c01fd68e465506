//! The WebDataset export, read back with the `webdataset` Python library (scripts/install-deps.sh puts it in
//! target/pyenv): one sample per scene with the video, scene.json, frames.jsonl and qa.jsonl, shards of bounded
//! size, the same bytes on every export.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{build, diorama, stderr};

/// A Python that can import webdataset: DIORAMA_PYTHON, target/pyenv's, or python3.
fn python() -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates: Vec<PathBuf> = std::env::var_os("DIORAMA_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([repo.join("target/pyenv/bin/python3"), PathBuf::from("python3")])
        .collect();
    candidates
        .into_iter()
        .find(|p| Command::new(p).args(["-c", "import webdataset"]).output().is_ok_and(|o| o.status.success()))
        .expect("no Python with the webdataset library: run scripts/install-deps.sh (it makes target/pyenv)")
}

const READER: &str = r#"
import glob, hashlib, json, sys
import webdataset as wds
urls = sorted(glob.glob(sys.argv[1] + "/*.tar"))
out = []
for s in wds.WebDataset(urls, shardshuffle=False):
    qa = [json.loads(l) for l in s["qa.jsonl"].decode().splitlines() if l]
    scene = json.loads(s["scene.json"])
    out.append({"key": s["__key__"], "url": s["__url__"], "members": sorted(k for k in s if not k.startswith("__")),
                "mp4_sha256": hashlib.sha256(s["mp4"]).hexdigest(), "questions": len(qa),
                "scene_id": scene["scene_id"], "frames": len(s["frames.jsonl"].decode().splitlines())})
print(json.dumps(out))
"#;

#[test]
fn webdataset_shards_read_back_with_the_webdataset_library() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("c.toml");
    std::fs::write(&cfg, "scenes = 4\nseed = 2\n[room]\ncount = 1\n[camera]\nframes = 24\nwidth = 160\nheight = 120\n")
        .unwrap();
    let data = tmp.path().join("ds");
    build(&data, &[cfg.to_str().unwrap()]);
    let export = |dir: &Path| {
        let o = diorama(&[
            "export",
            data.to_str().unwrap(),
            "--format",
            "webdataset",
            "--out",
            dir.to_str().unwrap(),
            "--shard-mb",
            "0.4",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    };
    let (a, b) = (tmp.path().join("wds-a"), tmp.path().join("wds-b"));
    export(&a);
    export(&b);
    common::assert_same_tree(&a, &b);
    let shards: Vec<PathBuf> = {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&a).unwrap().map(|e| e.unwrap().path()).collect();
        v.sort();
        v
    };
    assert!(shards.len() >= 2, "0.4 MiB shards split four samples: {shards:?}");

    let o = Command::new(python()).args(["-c", READER, a.to_str().unwrap()]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let samples: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(samples.len(), 4);
    for (i, s) in samples.iter().enumerate() {
        let id = format!("{i:04}");
        assert_eq!(s["key"], id.as_str());
        assert_eq!(s["scene_id"], id.as_str());
        assert_eq!(s["members"], serde_json::json!(["frames.jsonl", "mp4", "qa.jsonl", "scene.json"]));
        let scene = data.join("scenes").join(&id);
        let mp4 = std::fs::read(scene.join("video.mp4")).unwrap();
        let sha = Command::new("sha256sum").arg(scene.join("video.mp4")).output().unwrap();
        let sha = String::from_utf8_lossy(&sha.stdout).split_whitespace().next().unwrap().to_string();
        assert!(!mp4.is_empty());
        assert_eq!(s["mp4_sha256"], sha.as_str(), "sample {id}: the video is the scene's");
        assert_eq!(s["questions"], common::read_jsonl(&scene.join("qa.jsonl")).len());
        assert_eq!(s["frames"], 24);
        // A shard exceeds the bound only when it holds a single sample.
        let url = PathBuf::from(s["url"].as_str().unwrap());
        let size = std::fs::metadata(&url).unwrap().len();
        let alone = samples.iter().filter(|t| t["url"] == s["url"]).count() == 1;
        assert!(size <= (0.4 * 1048576.0) as u64 || alone, "{url:?}: {size} bytes");
    }
}
