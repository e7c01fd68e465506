//! `diorama preview` loaded in headless Chromium: the screenshot shows the plan (its camera path's colour) and
//! the frames (photographic variety, with the 2D boxes' colour over them).

mod common;

use std::process::Command;

use common::{build, diorama, stderr};

/// Counts a screenshot's pixels near `rgb`, and its distinct colours.
fn colours(png_path: &std::path::Path, rgb: [u8; 3]) -> (usize, usize) {
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png_path).unwrap()));
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let mut near = 0;
    let mut distinct = std::collections::BTreeSet::new();
    for p in buf[..info.buffer_size()].chunks(channels) {
        if (0..3).all(|c| (p[c] as i32 - rgb[c] as i32).abs() <= 12) {
            near += 1;
        }
        distinct.insert([p[0], p[1], p[2]]);
    }
    (near, distinct.len())
}

#[test]
fn the_preview_renders_plan_and_frames_in_chromium() {
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()))
        .expect("no Chromium: run scripts/install-deps.sh (Debian's chromium)");
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("c.toml");
    std::fs::write(&cfg, "scenes = 2\nseed = 4\n[room]\ncount = 2\n[camera]\nframes = 24\nwidth = 320\nheight = 240\n")
        .unwrap();
    let data = tmp.path().join("ds");
    build(&data, &[cfg.to_str().unwrap()]);
    let o = diorama(&["preview", data.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = data.join("preview/index.html");
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(html.matches("<section id=\"scene-").count(), 2);
    assert_eq!(html.matches("<figure>").count(), 12, "six frames per scene");
    let shot = tmp.path().join("shot.png");
    let o = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1400,1400",
        ])
        .arg(format!("--user-data-dir={}", tmp.path().join("profile").display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(shot.exists(), "Chromium wrote no screenshot: {}", stderr(&o));
    let (path_px, distinct) = colours(&shot, [0xe6, 0x00, 0x7e]);
    let (box_px, _) = colours(&shot, [0x00, 0xe5, 0xff]);
    assert!(path_px > 300, "the plan's camera path is not on screen ({path_px} px)");
    assert!(box_px > 300, "no 2D boxes on screen ({box_px} px)");
    assert!(distinct > 3000, "the frames are not on screen ({distinct} colours)");
}
