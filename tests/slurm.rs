//! A real cluster scheduler: a single-node Slurm stood up on this machine (scripts/slurm/local-cluster.sh) runs
//! the repository's job-array template (scripts/slurm/diorama-array.sbatch) as a 4-task array; merged, the
//! folder equals a local unsharded build byte for byte.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{assert_same_tree, build, diorama, stderr};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Stops the cluster however the test ends.
struct Cluster(PathBuf);

impl Drop for Cluster {
    fn drop(&mut self) {
        let script = repo("scripts/slurm/local-cluster.sh");
        Command::new("bash").arg(script).arg("stop").arg(&self.0).status().ok();
    }
}

#[test]
fn a_slurm_job_array_builds_what_one_process_builds() {
    // SAFETY-free check of the effective user: the daemons of a local Slurm run as root.
    let root = Command::new("id").arg("-u").output().map(|o| o.stdout == b"0\n").unwrap_or(false);
    if !root {
        eprintln!("skipped: a local Slurm needs root (CI runs this test as root)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let slurm = tmp.path().join("slurm");
    let up =
        Command::new("bash").arg(repo("scripts/slurm/local-cluster.sh")).arg("start").arg(&slurm).output().unwrap();
    let cluster = Cluster(slurm.clone());
    assert!(
        up.status.success(),
        "the local Slurm did not start: {}{}",
        stderr(&up),
        String::from_utf8_lossy(&up.stdout)
    );

    let cfg = tmp.path().join("c.toml");
    std::fs::write(
        &cfg,
        "scenes = 4\nseed = 3\n[room]\ncount = 1\noutdoor_share = 0.0\n[camera]\nframes = 24\nwidth = 160\nheight = 120\n",
    )
    .unwrap();
    let (local, cluster_out) = (tmp.path().join("local"), tmp.path().join("cluster"));
    build(&local, &[cfg.to_str().unwrap()]);

    let o = Command::new("sbatch")
        .args(["--wait", "--array=0-3", "--cpus-per-task=1"])
        .arg(format!("--output={}/job-%A_%a.log", slurm.display()))
        .arg(repo("scripts/slurm/diorama-array.sbatch"))
        .arg(&cfg)
        .arg(&cluster_out)
        .env("SLURM_CONF", slurm.join("slurm.conf"))
        .env("DIORAMA", env!("CARGO_BIN_EXE_diorama"))
        .output()
        .unwrap();
    let logs: String = (0..4)
        .filter_map(|i| {
            let pattern = format!("_{i}.log");
            std::fs::read_dir(&slurm)
                .ok()?
                .filter_map(|e| e.ok())
                .find(|e| e.file_name().to_string_lossy().ends_with(&pattern))
        })
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    assert!(o.status.success(), "the array failed: {}\n{logs}", stderr(&o));
    for i in 0..4 {
        assert!(logs.contains(&format!("shard {i}/4")), "task {i} did not build its shard:\n{logs}");
    }
    let m = diorama(&["merge", cluster_out.to_str().unwrap()]);
    assert!(m.status.success(), "{}", stderr(&m));
    assert_same_tree(&local, &cluster_out);
    drop(cluster);
}
