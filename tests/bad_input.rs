//! Bad input gets a clear error naming the problem, a non-zero exit, and no dataset that looks complete.

mod common;

use std::path::Path;

use common::*;

/// Runs a build expected to fail; returns stderr and checks no dataset.json was left.
fn failing_build(out: &Path, config: Option<&Path>, extra: &[&str]) -> String {
    let mut args = vec!["build".to_string(), "--quiet".into(), "--out".into(), out.display().to_string()];
    args.extend(extra.iter().map(|a| a.to_string()));
    if let Some(c) = config {
        args.push(c.display().to_string());
    }
    let o = diorama(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let err = stderr(&o);
    assert!(!o.status.success(), "expected failure, got success: {err}");
    assert!(!out.join("dataset.json").exists(), "a failed build left a dataset.json");
    err
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn malformed_toml_names_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write(tmp.path(), "broken.toml", "seed = 1\n[camera\nwidth = 640\n");
    let err = failing_build(&tmp.path().join("out"), Some(&cfg), &[]);
    assert!(err.contains("broken.toml") && err.contains("line 2"), "{err}");
}

#[test]
fn unknown_key_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write(tmp.path(), "c.toml", "[camera]\nzoom = 3\n");
    let err = failing_build(&tmp.path().join("out"), Some(&cfg), &[]);
    assert!(err.contains("c.toml") && err.contains("zoom"), "{err}");
}

#[test]
fn negative_count_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write(tmp.path(), "c.toml", "[objects]\nsmall_per_surface = [-2, 8]\n");
    let err = failing_build(&tmp.path().join("out"), Some(&cfg), &[]);
    assert!(err.contains("c.toml") && err.contains("small_per_surface") && err.contains("-2"), "{err}");
}

#[test]
fn missing_asset_manifest_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write(tmp.path(), "c.toml", "[objects]\nmanifest = \"no-such-manifest.toml\"\n");
    let err = failing_build(&tmp.path().join("out"), Some(&cfg), &[]);
    assert!(err.contains("no-such-manifest.toml") && err.contains("objects.manifest"), "{err}");
}

#[test]
fn unwritable_output_folder_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    // A regular file where a folder should be: unwritable even for root.
    let blocker = write(tmp.path(), "blocker", "not a folder");
    let out = blocker.join("out");
    let err = failing_build(&out, None, &[]);
    assert!(err.contains(&out.display().to_string()) || err.contains(&blocker.display().to_string()), "{err}");
}

#[test]
fn unknown_category_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write(tmp.path(), "c.toml", "[objects]\ncategories = [\"chair\", \"unicorn\"]\n");
    let err = failing_build(&tmp.path().join("out"), Some(&cfg), &[]);
    assert!(err.contains("unicorn"), "{err}");
}

#[test]
fn failed_rebuild_does_not_leave_the_old_dataset_looking_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let ok = write(tmp.path(), "ok.toml", "scenes = 1\n[room]\ncount = 1\n[camera]\nframes = 24\n");
    build(&out, &[ok.to_str().unwrap()]);
    assert!(out.join("dataset.json").exists());
    // A kitchen whose appliances need more clear floor in front than a tiny room has, with no best effort:
    // fails while planning, after the output folder was prepared.
    let impossible = write(
        tmp.path(),
        "bad.toml",
        "scenes = 1\n[room]\ncount = 1\noutdoor_share = 0.0\ntypes = [\"kitchen\"]\nwidth_m = [2.6, 2.6]\ndepth_m = [2.6, 2.6]\n[objects]\nfront_clearance_m = 2.2\nbest_effort = false\n",
    );
    // Into a folder holding another config's dataset: refused, the finished dataset left as it was.
    let o = diorama(&["build", "--quiet", "--out", out.to_str().unwrap(), impossible.to_str().unwrap()]);
    assert!(!o.status.success() && stderr(&o).contains("another configuration"), "{}", stderr(&o));
    assert!(out.join("dataset.json").exists());
    // With --fresh the old dataset goes first: the failure leaves nothing that looks complete.
    let err = failing_build(&out, Some(&impossible), &["--fresh"]);
    assert!(err.contains("kitchen") && err.contains("front"), "{err}");
}

#[test]
fn an_action_script_longer_than_the_video_is_named_with_both_durations() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write(
        tmp.path(),
        "long.toml",
        "scenes = 1\n[room]\ncount = 1\n[camera]\nframes = 24\nfps = 12\n[trajectory]\nkinds = [\"actions\"]\nactions = [\"forward 3\"]\nspeed_m_s = 0.5\n",
    );
    let err = failing_build(&tmp.path().join("out"), Some(&cfg), &[]);
    assert!(err.contains("6.00 s") && err.contains("2.00 s") && err.contains("camera.frames"), "{err}");
}

#[test]
fn too_few_frames_for_a_tour_are_named() {
    // Eight frames for four rooms: consecutive frames would be metres apart, the line between them through walls.
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write(tmp.path(), "few.toml", "scenes = 1\n[room]\ncount = 4\n[camera]\nframes = 8\n");
    let err = failing_build(&tmp.path().join("out"), Some(&cfg), &[]);
    assert!(err.contains("camera.frames") && err.contains("8 frames"), "{err}");
}

#[test]
fn an_apartment_too_small_for_its_rooms_is_refused_with_the_reason() {
    // Six rooms no wider than 2.5 m: the floor plan cannot give every room its width.
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write(
        tmp.path(),
        "c.toml",
        "scenes = 1\n[room]\ncount = 6\nwidth_m = [2.5, 2.5]\ndepth_m = [2.5, 2.5]\n[camera]\nframes = 12\n",
    );
    let out = tmp.path().join("out");
    let err = failing_build(&out, Some(&cfg), &[]);
    assert!(err.contains("floor plan") && err.contains("narrow"), "{err}");
    assert!(!out.join("dataset.json").exists());
}

#[test]
fn an_outdoor_type_among_the_room_types_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write(tmp.path(), "c.toml", "[room]\ntypes = [\"bedroom\", \"balcony\"]\n");
    let out = tmp.path().join("out");
    let err = failing_build(&out, Some(&cfg), &[]);
    assert!(err.contains("balcony") && err.contains("outdoor_share"), "{err}");
    assert!(!out.exists(), "nothing is written for a config error");
}

#[test]
fn an_unknown_render_backend_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write(tmp.path(), "c.toml", "[render]\nbackend = \"metal\"\n");
    let err = failing_build(&tmp.path().join("out"), Some(&cfg), &[]);
    assert!(err.contains("render.backend") && err.contains("metal"), "{err}");
}

#[test]
fn room_count_out_of_range_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write(tmp.path(), "c.toml", "[room]\ncount = 7\n");
    let err = failing_build(&tmp.path().join("out"), Some(&cfg), &[]);
    assert!(err.contains("room.count") && err.contains("1 to 6"), "{err}");
}

#[test]
fn unknown_room_type_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write(tmp.path(), "c.toml", "[room]\ntypes = [\"ballroom\"]\n");
    let err = failing_build(&tmp.path().join("out"), Some(&cfg), &[]);
    assert!(err.contains("ballroom") && err.contains("room.types"), "{err}");
}

#[test]
fn print_default_is_a_valid_config() {
    let o = diorama(&["config", "--print-default"]);
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("# ") && text.contains("[camera]"));
    let tmp = tempfile::tempdir().unwrap();
    let p = write(tmp.path(), "d.toml", &text);
    let o = diorama(&["config", "--check", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// A user manifest (the built-in one, with the vase's mesh pointing at `vase_file`) in `dir`, and a config using it.
fn manifest_with_vase(dir: &Path, vase_file: &str) -> std::path::PathBuf {
    let builtin =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets-manifest/manifest.toml")).unwrap();
    assert!(builtin.contains("gltf = \"assets/vase.glb\""), "the built-in manifest gives the vase a mesh");
    let text = builtin.replace("gltf = \"assets/vase.glb\"", &format!("gltf = \"{vase_file}\""));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    for name in ["mug.glb", "bowl.glb", "vase.glb"] {
        let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets-manifest/assets").join(name);
        std::fs::copy(from, dir.join("assets").join(name)).unwrap();
    }
    write(dir, "my-manifest.toml", &text);
    write(dir, "c.toml", "scenes = 1\n[camera]\nframes = 4\n[objects]\nmanifest = \"my-manifest.toml\"\n")
}

#[test]
fn truncated_gltf_is_named_with_its_category() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/assets-manifest/assets/vase.glb")).unwrap();
    std::fs::create_dir_all(tmp.path().join("broken")).unwrap();
    std::fs::write(tmp.path().join("broken/vase.glb"), &whole[..whole.len() / 3]).unwrap();
    let cfg = manifest_with_vase(tmp.path(), "broken/vase.glb");
    let err = failing_build(&tmp.path().join("out"), Some(&cfg), &[]);
    assert!(err.contains("broken/vase.glb") && err.contains("vase") && err.contains("glTF"), "{err}");
}

#[test]
fn missing_gltf_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = manifest_with_vase(tmp.path(), "nowhere/vase.glb");
    let err = failing_build(&tmp.path().join("out"), Some(&cfg), &[]);
    assert!(err.contains("nowhere/vase.glb") && err.contains("my-manifest.toml"), "{err}");
}

#[test]
fn a_user_manifest_with_its_own_gltf_files_builds() {
    // The same assets read from files beside the user's manifest: the build succeeds.
    let tmp = tempfile::tempdir().unwrap();
    let cfg = manifest_with_vase(tmp.path(), "assets/vase.glb");
    let out = tmp.path().join("out");
    let o = diorama(&["build", "--quiet", "--out", out.to_str().unwrap(), cfg.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("dataset.json").exists());
}
