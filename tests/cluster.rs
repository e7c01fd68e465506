//! Builds at cluster scale: shards writing into one folder and merged give the bytes of one unsharded build; a
//! build killed with SIGKILL and run again gives the dataset of an uninterrupted run; a folder holding another
//! config's build is refused.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{assert_same_tree, build, diorama, stderr};

/// Three small scenes of one room each (two with a moving object), fast enough to build several times.
fn config(dir: &Path) -> String {
    let path = dir.join("small.toml");
    let text = "scenes = 3\nseed = 5\n[room]\ncount = 1\noutdoor_share = 0.0\n\
                [camera]\nframes = 36\nwidth = 160\nheight = 120\n[dynamics]\nevents = 1\n";
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn shards_merged_equal_one_unsharded_build_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path());
    let (whole, sharded) = (tmp.path().join("whole"), tmp.path().join("sharded"));
    build(&whole, &[&cfg]);
    // Two shards at once into one folder, as array tasks on a shared filesystem.
    let spawn = |shard: &str| {
        Command::new(env!("CARGO_BIN_EXE_diorama"))
            .args(["build", &cfg, "--quiet", "--out", sharded.to_str().unwrap(), "--shard", shard])
            .spawn()
            .unwrap()
    };
    let mut first = spawn("0/2");
    // Merging before every shard is done fails, naming what is missing.
    assert!(first.wait().unwrap().success());
    let o = diorama(&["merge", sharded.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("0001") && !stderr(&o).contains("0000 ("), "{}", stderr(&o));
    assert!(!sharded.join("dataset.json").exists());
    // The other shard from Slurm's array variables (task ids counted from 1).
    let o = Command::new(env!("CARGO_BIN_EXE_diorama"))
        .args(["build", &cfg, "--quiet", "--out", sharded.to_str().unwrap()])
        .env("SLURM_ARRAY_TASK_ID", "2")
        .env("SLURM_ARRAY_TASK_MIN", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "2")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("shard 1/2"), "{}", stderr(&o));
    let o = diorama(&["merge", sharded.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_same_tree(&whole, &sharded);
}

#[test]
fn concurrent_shards_share_a_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path());
    let (whole, sharded) = (tmp.path().join("whole"), tmp.path().join("sharded"));
    build(&whole, &[&cfg]);
    let children: Vec<_> = (0..3)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_diorama"))
                .args(["build", &cfg, "--quiet", "--out", sharded.to_str().unwrap(), "--shard", &format!("{i}/3")])
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    assert!(diorama(&["merge", sharded.to_str().unwrap()]).status.success());
    assert_same_tree(&whole, &sharded);
}

/// Starts a build and kills it (SIGKILL) once `ready` holds for its folder, or after `timeout`.
fn build_and_kill(cfg: &str, out: &Path, ready: impl Fn(&Path) -> bool, timeout: Duration) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_diorama"))
        .args(["build", cfg, "--quiet", "--out", out.to_str().unwrap()])
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !ready(out) && start.elapsed() < timeout {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().ok();
    child.wait().unwrap();
}

fn done(out: &Path, scene: &str) -> bool {
    out.join("scenes").join(scene).join("done.json").exists()
}

#[test]
fn a_killed_build_resumes_to_the_dataset_of_an_uninterrupted_run() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path());
    let whole = tmp.path().join("whole");
    build(&whole, &[&cfg]);
    let frames = |out: &Path, scene: &str| -> usize {
        std::fs::read_dir(out.join("scenes").join(scene).join("depth")).map(|d| d.count()).unwrap_or(0)
    };
    // Killed at three moments: inside the first scene, just after it, and inside the second.
    let kills: [(&str, Box<dyn Fn(&Path) -> bool>); 3] = [
        ("mid first scene", Box::new(move |o: &Path| frames(o, "0000") >= 10)),
        ("first scene done", Box::new(|o: &Path| done(o, "0000"))),
        ("mid second scene", Box::new(move |o: &Path| frames(o, "0001") >= 5)),
    ];
    for (moment, ready) in kills {
        let out: PathBuf = tmp.path().join(moment.replace(' ', "-"));
        build_and_kill(&cfg, &out, ready, Duration::from_secs(120));
        assert!(!out.join("dataset.json").exists(), "{moment}: the killed build looks complete");
        // What a process killed while merging leaves: a temporary file of a pid that no longer runs.
        std::fs::write(out.join("qa.jsonl.4000000000.tmp"), b"partial").unwrap();
        let o = diorama(&["build", &cfg, "--quiet", "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{moment}: {}", stderr(&o));
        if moment != "mid first scene" {
            assert!(stderr(&o).contains("finished by an earlier run"), "{moment}: {}", stderr(&o));
        }
        assert_same_tree(&whole, &out);
    }
}

#[test]
fn a_damaged_scene_is_rebuilt_and_another_config_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path());
    let (whole, out) = (tmp.path().join("whole"), tmp.path().join("out"));
    build(&whole, &[&cfg]);
    build(&out, &[&cfg]);
    // A truncated file fails its hash: that scene alone is rebuilt.
    let frames = out.join("scenes/0001/frames.jsonl");
    let bytes = std::fs::read(&frames).unwrap();
    std::fs::write(&frames, &bytes[..bytes.len() / 2]).unwrap();
    // verify finds it by the hash dataset.json records.
    let o = diorama(&["verify", out.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(!o.status.success() && text.contains("DAMAGED scenes/0001/frames.jsonl"), "{text}");
    let o = diorama(&["build", &cfg, "--quiet", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("(2 finished by an earlier run"), "{}", stderr(&o));
    assert_same_tree(&whole, &out);
    // Another seed is another config: refused without --fresh, and nothing is touched.
    let o = diorama(&["build", &cfg, "--quiet", "--seed", "6", "--out", out.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("another configuration") && stderr(&o).contains("--fresh"), "{}", stderr(&o));
    assert!(out.join("scenes/0000/done.json").exists());
    let o = diorama(&["build", &cfg, "--quiet", "--seed", "6", "--fresh", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(common::read_json(&out.join("dataset.json"))["seed"], 6);
}

#[test]
fn a_sweep_builds_every_cell_and_writes_its_summary() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("base.toml"),
        "scenes = 1\n[room]\ncount = 1\noutdoor_share = 0.0\n[camera]\nframes = 12\nwidth = 160\nheight = 120\n",
    )
    .unwrap();
    let sweep = tmp.path().join("sweep.toml");
    std::fs::write(
        &sweep,
        "base = \"base.toml\"\n[axes]\n\"objects.clutter\" = [0.2, 0.4]\ndegrade = [\"\", \"fog:3\"]\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let o = diorama(&["sweep", sweep.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(lines[0].starts_with("cell,degrade,objects.clutter,scenes,frames,questions,"), "{}", lines[0]);
    // Axes in key order, the last varying fastest: degrade, then objects.clutter.
    assert!(lines[2].starts_with("cell-001,,0.4,1,12,"), "{}", lines[2]);
    assert!(lines[3].starts_with("cell-002,fog:3,0.2,1,12,"), "{}", lines[3]);
    let json: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(json.len(), 4);
    for (i, row) in json.iter().enumerate() {
        let dataset = common::read_json(&out.join(format!("cell-{i:03}/dataset.json")));
        assert_eq!(
            row["questions"],
            dataset["counts"]["questions"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum::<u64>()
        );
        assert!(row["placed_objects_mean"].as_f64().unwrap() > 0.0);
    }
    // The fog cells carry their degradation.
    let fog = common::read_json(&out.join("cell-002/dataset.json"));
    assert_eq!(fog["config"]["degradations"]["sets"][0][0]["type"], "fog");
}

/// A full disk: the build fails naming the file it could not write, the scenes finished before stay verified,
/// and once there is room the same command finishes the dataset of an uninterrupted run. Needs a small tmpfs
/// (root); skipped, saying so, where mounting one is not allowed.
#[test]
fn a_full_disk_fails_clearly_and_keeps_finished_scenes() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path());
    let whole = tmp.path().join("whole");
    build(&whole, &[&cfg]);
    let mnt = tmp.path().join("small-disk");
    std::fs::create_dir_all(&mnt).unwrap();
    // One scene's files take about 0.7 MB: room for one, not three.
    let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", "size=1200k", "tmpfs"]).arg(&mnt).output();
    if !mounted.as_ref().is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: cannot mount a tmpfs here ({mounted:?})");
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            Command::new("umount").arg(&self.0).status().ok();
        }
    }
    let _guard = Unmount(mnt.clone());
    let out = mnt.join("ds");
    let o = diorama(&["build", &cfg, "--quiet", "--out", out.to_str().unwrap()]);
    assert!(!o.status.success(), "the build filled a 1.2 MB disk without failing");
    assert!(stderr(&o).contains("No space left on device") && stderr(&o).contains("cannot write"), "{}", stderr(&o));
    assert!(!out.join("dataset.json").exists());
    let finished: Vec<String> = (0..3).map(|i| format!("{i:04}")).filter(|id| done(&out, id)).collect();
    assert!(!finished.is_empty(), "no scene finished before the disk filled");
    // Every finished scene still verifies: its files have their recorded hashes.
    for id in &finished {
        let record = common::read_json(&out.join("scenes").join(id).join("done.json"));
        for (rel, hash) in record["files"].as_object().unwrap() {
            let bytes = std::fs::read(out.join(rel)).unwrap();
            assert_eq!(blake3::hash(&bytes).to_hex().as_str(), hash.as_str().unwrap(), "{rel}");
        }
    }
    let grown = Command::new("mount").args(["-o", "remount,size=64m"]).arg(&mnt).status().unwrap();
    assert!(grown.success());
    let o = diorama(&["build", &cfg, "--quiet", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("finished by an earlier run"), "{}", stderr(&o));
    assert_same_tree(&whole, &out);
}
