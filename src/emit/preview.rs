//! Writes `diorama preview`'s report (see `crate::preview`): `index.html` and each scene's contact-sheet
//! thumbnails beside it.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::images::{image_error, png_rgb8};
use super::video::read_rgb_frames;
use super::{EmitError, io_err, read_dataset_record, read_err, scene_ids, write_atomic};
use crate::preview::{self, SHEET_FRAMES, THUMB_WIDTH};

fn read_json(path: &Path) -> Result<Value, EmitError> {
    let text = std::fs::read_to_string(path).map_err(read_err(path))?;
    serde_json::from_str(&text).map_err(|e| EmitError::Read { path: path.to_path_buf(), cause: e.to_string() })
}

/// Scales RGB8 down by an integer factor (box filter).
fn shrink(w: u32, h: u32, rgb: &[u8], factor: u32) -> (u32, u32, Vec<u8>) {
    let (tw, th) = (w / factor, h / factor);
    let mut out = Vec::with_capacity((tw * th * 3) as usize);
    for ty in 0..th {
        for tx in 0..tw {
            let mut sum = [0u32; 3];
            for y in ty * factor..(ty + 1) * factor {
                for x in tx * factor..(tx + 1) * factor {
                    let p = ((y * w + x) * 3) as usize;
                    for c in 0..3 {
                        sum[c] += rgb[p + c] as u32;
                    }
                }
            }
            out.extend(sum.map(|s| (s / (factor * factor)) as u8));
        }
    }
    (tw, th, out)
}

/// Writes the report of the dataset at `dataset` into `out` (its first `max_scenes` scenes); returns the page.
pub fn write_preview(dataset: &Path, out: &Path, max_scenes: usize) -> Result<PathBuf, EmitError> {
    let record = read_dataset_record(dataset)?;
    std::fs::create_dir_all(out).map_err(io_err(out))?;
    let ids = scene_ids(&record);
    let mut sections = Vec::new();
    for id in ids.iter().take(max_scenes) {
        sections.push(scene_section(dataset, out, id)?);
    }
    let questions: u64 =
        record["counts"]["questions"].as_object().map_or(0, |m| m.values().filter_map(Value::as_u64).sum());
    let summary = format!(
        "{} scenes, {} frames, {} questions; seed {}; built by diorama {} on {}. Showing {} scene(s).",
        ids.len(),
        record["counts"]["frames"],
        questions,
        record["seed"],
        record["tool"]["version"].as_str().unwrap_or("?"),
        record["adapter"]["name"].as_str().unwrap_or("?"),
        ids.len().min(max_scenes)
    );
    let title = format!("diorama preview: {}", dataset.display());
    let page = out.join("index.html");
    write_atomic(&page, preview::page(&title, &summary, &sections).as_bytes())?;
    Ok(page)
}

fn scene_section(dataset: &Path, out: &Path, id: &str) -> Result<String, EmitError> {
    let dir = dataset.join("scenes").join(id);
    let scene = read_json(&dir.join("scene.json"))?;
    let frames = preview::read_jsonl(&dir.join("frames.jsonl"));
    let qa = preview::read_jsonl(&dir.join("qa.jsonl"));
    let names = |oid: u64| {
        scene["objects"]
            .as_array()
            .and_then(|objs| objs.iter().find(|o| o["id"].as_u64() == Some(oid) && o["structural"] == false))
            .and_then(|o| o["name"].as_str().map(str::to_string))
    };
    let salient = scene["visibility_salient_px"].as_u64().unwrap_or(300);
    let (w, h, decoded) = read_rgb_frames(&dir.join("video.mp4"))?;
    let factor = w.div_ceil(THUMB_WIDTH).max(1);
    let thumbs = out.join(id);
    std::fs::create_dir_all(&thumbs).map_err(io_err(&thumbs))?;
    let mut figures = Vec::new();
    let mut png = Vec::new();
    for k in preview::sheet_frames(decoded.len()).into_iter().take(SHEET_FRAMES) {
        let (tw, th, small) = shrink(w, h, &decoded[k], factor);
        let path = thumbs.join(format!("frame-{k}.png"));
        png_rgb8(tw, th, &small, png::Compression::Fast, &mut png).map_err(|e| image_error(path.clone(), e))?;
        write_atomic(&path, &png)?;
        let frame = frames.get(k).cloned().unwrap_or(Value::Null);
        figures.push(preview::frame_figure(&format!("{id}/frame-{k}.png"), k, &frame, &names, w, h, salient));
    }
    let rooms = scene["rooms"].as_array().map_or(0, Vec::len);
    let objects = scene["objects"].as_array().map_or(0, |o| o.iter().filter(|o| o["structural"] == false).count());
    Ok(format!(
        "<section id=\"scene-{id}\"><h2>scene {id}</h2><p>{rooms} room(s), {objects} objects, {} frames ({}), {} questions</p>\
         <div class=\"row\">{}<div class=\"sheet\">{}</div></div><h3>questions (a sample)</h3>{}</section>",
        frames.len(),
        scene["camera"]["trajectory"].as_str().unwrap_or("?"),
        qa.len(),
        preview::plan_svg(&scene, &frames),
        figures.join(""),
        preview::questions_html(&qa)
    ))
}
