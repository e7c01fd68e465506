//! Helpers for the integration tests: run the CLI, read back what a build wrote.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ffmpeg_next as ffmpeg;

pub fn diorama(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_diorama")).args(args).output().expect("diorama runs")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Builds with the CLI; panics with its stderr on failure.
pub fn build(out: &Path, extra: &[&str]) {
    let mut args = vec!["build", "--quiet", "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = diorama(&args);
    assert!(o.status.success(), "build failed: {}", stderr(&o));
}

pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

pub fn read_jsonl(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// A 16-bit grayscale PNG as (width, height, values).
pub fn read_png_u16(path: &Path) -> (u32, u32, Vec<u16>) {
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.bit_depth, png::BitDepth::Sixteen, "{}", path.display());
    (info.width, info.height, buf.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect())
}

/// Decodes every frame of a video; returns one blake3 hash per decoded frame (of its Y, U, V planes).
pub fn decoded_frame_hashes(path: &Path) -> Vec<String> {
    ffmpeg::init().unwrap();
    let mut ictx = ffmpeg::format::input(path).unwrap();
    let stream = ictx.streams().best(ffmpeg::media::Type::Video).unwrap();
    let index = stream.index();
    let ctx = ffmpeg::codec::context::Context::from_parameters(stream.parameters()).unwrap();
    let mut decoder = ctx.decoder().video().unwrap();
    let mut hashes = Vec::new();
    let mut frame = ffmpeg::frame::Video::empty();
    let mut take = |decoder: &mut ffmpeg::decoder::Video, hashes: &mut Vec<String>| {
        while decoder.receive_frame(&mut frame).is_ok() {
            let mut h = blake3::Hasher::new();
            for plane in 0..3 {
                let (w, rows) =
                    if plane == 0 { (frame.width(), frame.height()) } else { (frame.width() / 2, frame.height() / 2) };
                let stride = frame.stride(plane);
                let data = frame.data(plane);
                for r in 0..rows as usize {
                    h.update(&data[r * stride..r * stride + w as usize]);
                }
            }
            hashes.push(h.finalize().to_hex().to_string());
        }
    };
    for (s, packet) in ictx.packets() {
        if s.index() == index {
            decoder.send_packet(&packet).unwrap();
            take(&mut decoder, &mut hashes);
        }
    }
    decoder.send_eof().unwrap();
    take(&mut decoder, &mut hashes);
    hashes
}

pub fn scene_dirs(out: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(out.join("scenes")).unwrap().map(|e| e.unwrap().path()).collect();
    v.sort();
    v
}

/// Every file under `root` (relative path -> bytes).
pub fn tree(root: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, root: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, root, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Two folders hold the same files with the same bytes.
pub fn assert_same_tree(a: &Path, b: &Path) {
    let (ta, tb) = (tree(a), tree(b));
    let names = |t: &std::collections::BTreeMap<String, Vec<u8>>| t.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&ta), names(&tb), "{} and {} hold different files", a.display(), b.display());
    for (name, bytes) in &ta {
        assert!(bytes == &tb[name], "{name} differs");
    }
}
