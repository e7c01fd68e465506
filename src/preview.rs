//! `diorama preview OUT`: a static HTML report of a finished dataset, to look at before training on it. Per
//! scene: the top-down plan (rooms, furniture footprints, the camera path from `frames.jsonl`), a contact sheet
//! of frames decoded from the video with the 2D boxes and names of the objects they show, and a sample of
//! questions with their answers. Everything is read back from the dataset's own files; the page and its
//! thumbnails are written by `emit::preview`.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

/// Frames on each scene's contact sheet, and questions shown.
pub const SHEET_FRAMES: usize = 6;
pub const SAMPLE_QUESTIONS: usize = 8;
/// Thumbnail width in pixels (frames are scaled down to it).
pub const THUMB_WIDTH: u32 = 320;
/// The camera path's colour on the plan (a test finds it in a screenshot).
pub const PATH_COLOUR: &str = "#e6007e";
/// The 2D boxes' colour on the contact sheet.
pub const BOX_COLOUR: &str = "#00e5ff";

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

/// The frames a contact sheet shows: evenly spread over the video.
pub fn sheet_frames(frame_count: usize) -> Vec<usize> {
    let n = SHEET_FRAMES.min(frame_count);
    (0..n).map(|i| i * frame_count.saturating_sub(1) / (n.max(2) - 1).max(1)).collect()
}

/// The plan of a scene as SVG: rooms, furniture footprints (oriented boxes seen from above) and the camera
/// path, +y up, one unit a metre.
pub fn plan_svg(scene: &Value, frames: &[Value]) -> String {
    let rooms: Vec<&Value> = scene["rooms"].as_array().map(|a| a.iter().collect()).unwrap_or_default();
    let points = rooms.iter().flat_map(|r| r["polygon"].as_array().into_iter().flatten());
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for p in points {
        (x0, y0, x1, y1) = (x0.min(f(&p[0])), y0.min(f(&p[1])), x1.max(f(&p[0])), y1.max(f(&p[1])));
    }
    if x0 > x1 {
        (x0, y0, x1, y1) = (0.0, 0.0, 1.0, 1.0);
    }
    let m = 0.3;
    let mut svg = format!(
        r#"<svg class="plan" xmlns="http://www.w3.org/2000/svg" viewBox="{} {} {} {}" width="{}" height="{}"><g transform="scale(1,-1)">"#,
        x0 - m,
        -(y1 + m),
        x1 - x0 + 2.0 * m,
        y1 - y0 + 2.0 * m,
        ((x1 - x0 + 2.0 * m) * 80.0).round(),
        ((y1 - y0 + 2.0 * m) * 80.0).round()
    );
    for r in &rooms {
        let pts: Vec<String> =
            r["polygon"].as_array().into_iter().flatten().map(|p| format!("{:.3},{:.3}", f(&p[0]), f(&p[1]))).collect();
        let fill = if r["outdoor"] == true { "#dff0d8" } else { "#eeeeee" };
        let _ =
            write!(svg, r##"<polygon points="{}" fill="{fill}" stroke="#555" stroke-width="0.04"/>"##, pts.join(" "));
    }
    let mut labels = String::new();
    for o in scene["objects"].as_array().into_iter().flatten().filter(|o| o["structural"] == false) {
        let (c, s, a) = (&o["obb"]["center"], &o["obb"]["size"], &o["obb"]["axes"]);
        let (hx, hy) = (f(&s[0]) / 2.0, f(&s[1]) / 2.0);
        let corner = |sx: f64, sy: f64| {
            (
                f(&c[0]) + sx * hx * f(&a[0][0]) + sy * hy * f(&a[1][0]),
                f(&c[1]) + sx * hx * f(&a[0][1]) + sy * hy * f(&a[1][1]),
            )
        };
        let pts: Vec<String> = [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)]
            .iter()
            .map(|&(sx, sy)| corner(sx, sy))
            .map(|(x, y)| format!("{x:.3},{y:.3}"))
            .collect();
        let on_floor = o["parent"].is_null();
        let fill = if on_floor { "#8fb3d9" } else { "#f0b86e" };
        let _ = write!(
            svg,
            r##"<polygon points="{}" fill="{fill}" fill-opacity="0.8" stroke="#345" stroke-width="0.02"><title>{}</title></polygon>"##,
            pts.join(" "),
            esc(o["name"].as_str().unwrap_or_default())
        );
        if on_floor {
            let _ = write!(
                labels,
                r##"<text x="{:.3}" y="{:.3}" font-size="0.16" text-anchor="middle" fill="#123">{}</text>"##,
                f(&c[0]),
                -f(&c[1]),
                esc(o["name"].as_str().unwrap_or_default())
            );
        }
    }
    let path: Vec<String> =
        frames.iter().map(|fr| format!("{:.3},{:.3}", f(&fr["T_wc"][0][3]), f(&fr["T_wc"][1][3]))).collect();
    if let Some(start) = path.first() {
        let _ = write!(
            svg,
            r#"<polyline points="{}" fill="none" stroke="{PATH_COLOUR}" stroke-width="0.06" stroke-linejoin="round"/>"#,
            path.join(" ")
        );
        let (sx, sy) = start.split_once(',').unwrap_or(("0", "0"));
        let _ = write!(svg, r#"<circle cx="{sx}" cy="{sy}" r="0.12" fill="{PATH_COLOUR}"/>"#);
    }
    // Text drawn unflipped.
    svg += "</g>";
    svg += &labels;
    svg += "</svg>";
    svg
}

/// One contact-sheet frame: the thumbnail and an SVG overlay of the 2D boxes of the objects it shows (at
/// least `salient_px` visible pixels), in the frame's pixel coordinates.
pub fn frame_figure(
    thumb: &str,
    k: usize,
    frame: &Value,
    names: &dyn Fn(u64) -> Option<String>,
    w: u32,
    h: u32,
    salient_px: u64,
) -> String {
    let mut boxes = String::new();
    // Sized to the frame: the overlay is scaled with the thumbnail.
    let (font, stroke) = (w as f64 / 28.0, w as f64 / 200.0);
    for v in frame["visibility"].as_array().into_iter().flatten() {
        if v["visible_px"].as_u64().unwrap_or(0) < salient_px {
            continue;
        }
        let Some(name) = names(v["id"].as_u64().unwrap_or(0)) else { continue };
        let b = &v["bbox_2d"];
        let (u0, v0, u1, v1) = (f(&b[0]), f(&b[1]), f(&b[2]), f(&b[3]));
        let _ = write!(
            boxes,
            r##"<rect x="{u0}" y="{v0}" width="{}" height="{}" fill="none" stroke="{BOX_COLOUR}" stroke-width="{stroke:.1}"/><text x="{}" y="{}" font-size="{font:.1}" fill="{BOX_COLOUR}" stroke="#000" stroke-width="{:.2}">{}</text>"##,
            u1 - u0,
            v1 - v0,
            u0 + 2.0,
            (v0 + font).min(h as f64 - 2.0),
            font / 28.0,
            esc(&name)
        );
    }
    format!(
        r#"<figure><div class="frame"><img src="{thumb}" alt="frame {k}"><svg viewBox="0 0 {w} {h}" preserveAspectRatio="none">{boxes}</svg></div><figcaption>frame {k}</figcaption></figure>"#
    )
}

/// A sample of a scene's questions as an HTML list.
pub fn questions_html(qa: &[Value]) -> String {
    let mut html = String::from("<ol class=\"qa\">");
    for q in qa.iter().take(SAMPLE_QUESTIONS) {
        let options = q["options"]
            .as_array()
            .map(|o| o.iter().filter_map(Value::as_str).map(esc).collect::<Vec<_>>().join("<br>"))
            .unwrap_or_default();
        let truth = match &q["ground_truth"] {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        let _ = write!(
            html,
            "<li><span class=\"type\">{}</span> {}<div class=\"options\">{}</div><div class=\"answer\">answer: <b>{}</b> ({})</div></li>",
            esc(q["question_type"].as_str().unwrap_or_default()),
            esc(q["question"].as_str().unwrap_or_default()).replace('\n', "<br>"),
            options,
            esc(q["answer"].as_str().unwrap_or_default()),
            esc(&truth)
        );
    }
    html + "</ol>"
}

pub const STYLE: &str = "body{font-family:sans-serif;margin:16px;background:#fafafa;color:#222}\
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px;margin-bottom:20px}\
.row{display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap}.plan{background:#fff;max-width:560px;height:auto}\
.sheet{display:grid;grid-template-columns:repeat(3,320px);gap:8px}figure{margin:0}\
.frame{position:relative;width:320px}.frame img{display:block;width:320px}\
.frame svg{position:absolute;left:0;top:0;width:100%;height:100%}figcaption{font-size:12px;color:#666}\
.qa li{margin-bottom:8px}.type{font-family:monospace;background:#eef;padding:0 4px}.options{font-size:13px;color:#444}\
.answer{font-size:13px}";

/// The page around the scenes' sections.
pub fn page(title: &str, summary: &str, sections: &[String]) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\
         <h1>{}</h1><p>{}</p>{}</body></html>\n",
        esc(title),
        esc(title),
        summary,
        sections.join("\n")
    )
}

/// Reads a JSON-lines file.
pub fn read_jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .map(|t| t.lines().filter(|l| !l.is_empty()).filter_map(|l| serde_json::from_str(l).ok()).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheets_spread_over_the_video_and_text_is_escaped() {
        assert_eq!(sheet_frames(192), [0, 38, 76, 114, 152, 191]);
        assert_eq!(sheet_frames(3), [0, 1, 2]);
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }

    #[test]
    fn the_plan_draws_rooms_furniture_and_the_camera_path() {
        let scene = serde_json::json!({
            "rooms": [{"polygon": [[0, 0], [4, 0], [4, 3], [0, 3]], "outdoor": false}],
            "objects": [{"name": "sofa", "structural": false, "parent": null,
                         "obb": {"center": [1, 1, 0.4], "size": [2, 1, 0.8], "axes": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}}]
        });
        let frames = vec![
            serde_json::json!({"T_wc": [[1, 0, 0, 0.5], [0, 1, 0, 0.5], [0, 0, 1, 1.6], [0, 0, 0, 1]]}),
            serde_json::json!({"T_wc": [[1, 0, 0, 2.5], [0, 1, 0, 2.0], [0, 0, 1, 1.6], [0, 0, 0, 1]]}),
        ];
        let svg = plan_svg(&scene, &frames);
        assert!(svg.contains(r#"points="0.000,0.000 4.000,0.000 4.000,3.000 0.000,3.000""#), "{svg}");
        assert!(svg.contains(r#"points="0.000,0.500 2.000,0.500 2.000,1.500 0.000,1.500""#), "the sofa's footprint");
        assert!(svg.contains(r#"points="0.500,0.500 2.500,2.000""#), "the camera path");
        assert!(svg.contains(">sofa</text>"));
    }
}
