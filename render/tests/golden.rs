//! Golden image: a small lit, textured corner of a room rendered through the whole colour pipeline (shadows,
//! GGX materials, MSAA, exposure, tone mapping, sRGB) and compared with `golden/room.png` by SSIM, so that a
//! change in how frames look is seen. Different adapters round differently, hence a perceptual tolerance.
//!
//! The expected image is only regenerated on request:
//! `DIORAMA_BLESS_GOLDEN=1 cargo test --release -p diorama-render --test golden`.

use std::path::PathBuf;

use diorama_render::light::normalized_color;
use diorama_render::{
    AmbientZone, Emitter, FrameCamera, Light, Lighting, RenderError, RenderSettings, Renderer, SceneMesh, Sun, Surface,
    Texture,
};

const IDENTITY: [[f32; 3]; 3] = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
const W: u32 = 128;
const H: u32 = 96;
/// Least SSIM against the expected image.
const MIN_SSIM: f64 = 0.95;

fn surface(albedo: [f32; 3], texture: Texture, roughness: f32, metallic: f32) -> Surface {
    Surface { albedo, texture, roughness, metallic, uv_offset_m: [0.0; 2], image: None, normal_image: None }
}

/// A 4 x 4 m room corner: floorboards, plaster walls (one with a window the sun shines through), a wooden
/// table, a fabric cube on it, a brushed-metal cylinder and a glossy tile-topped box.
fn scene() -> (SceneMesh, Lighting) {
    let mut m = SceneMesh::default();
    let plaster = surface([0.8, 0.78, 0.72], Texture::Plaster, 0.9, 0.0);
    m.add_box(
        [2.0, 2.0, -0.05],
        IDENTITY,
        [4.0, 4.0, 0.1],
        &surface([0.5, 0.38, 0.26], Texture::Floorboards, 0.45, 0.0),
        1,
    );
    m.add_box([2.0, 2.0, 2.75], IDENTITY, [4.0, 4.0, 0.1], &plaster, 2);
    m.add_box([2.0, 4.05, 1.35], IDENTITY, [4.0, 0.1, 2.7], &plaster, 3);
    // Left wall with a window from y = 1.5 to 2.7 m, 0.9 to 2.1 m high.
    m.add_box([-0.05, 0.75, 1.35], IDENTITY, [0.1, 1.5, 2.7], &plaster, 4);
    m.add_box([-0.05, 3.35, 1.35], IDENTITY, [0.1, 1.3, 2.7], &plaster, 4);
    m.add_box([-0.05, 2.1, 0.45], IDENTITY, [0.1, 1.2, 0.9], &plaster, 4);
    m.add_box([-0.05, 2.1, 2.4], IDENTITY, [0.1, 1.2, 0.6], &plaster, 4);
    let wood = surface([0.5, 0.33, 0.2], Texture::Wood, 0.55, 0.0);
    m.add_box([1.8, 2.6, 0.72], IDENTITY, [1.2, 0.8, 0.05], &wood, 5);
    for (x, y) in [(1.25, 2.25), (2.35, 2.25), (1.25, 2.95), (2.35, 2.95)] {
        m.add_box([x, y, 0.35], IDENTITY, [0.06, 0.06, 0.7], &wood, 5);
    }
    m.add_box([1.6, 2.5, 0.87], IDENTITY, [0.25, 0.25, 0.25], &surface([0.2, 0.3, 0.6], Texture::Fabric, 0.95, 0.0), 6);
    m.add_cylinder([2.1, 2.7, 0.85], IDENTITY, 0.16, 0.22, &surface([0.9, 0.9, 0.92], Texture::Brushed, 0.35, 1.0), 7);
    m.add_box([3.2, 3.4, 0.4], IDENTITY, [0.8, 0.8, 0.8], &surface([0.7, 0.7, 0.68], Texture::Tiles, 0.3, 0.0), 8);
    let lamp = normalized_color([1.0, 0.86, 0.72]);
    let lighting = Lighting {
        lights: vec![Light {
            emitter: Emitter::Panel { direction: [0.0, 0.0, -1.0] },
            position: [2.0, 2.0, 2.68],
            color: lamp,
            flux_lm: 2400.0,
            casts_shadows: true,
            influence: None,
        }],
        sun: Some(Sun { direction_to_sun: [-0.6, 0.1, 0.5], illuminance_lux: 30_000.0, color: [1.0; 3] }),
        sky_luminance_nits: 3000.0,
        sky_color: normalized_color([0.72, 0.84, 1.0]),
        ambient: vec![AmbientZone {
            min: [0.0, 0.0, -0.1],
            max: [4.0, 4.0, 2.8],
            illuminance_lux: 50.0,
            down_ratio: 0.8,
            color: lamp,
        }],
    };
    (m, lighting)
}

/// From (3.6, 0.4) at eye height, looking at the table.
fn camera() -> FrameCamera {
    let f = W as f32 / 2.0 / 35f32.to_radians().tan();
    FrameCamera::looking_along([3.6, 0.4, 1.5], [-0.55, 0.75, -0.35], f, W, H, 6.0)
}

fn render() -> Vec<u8> {
    let settings = RenderSettings { msaa_samples: 4, read_rgba8: true, ..Default::default() };
    let mut r = Renderer::with_settings(W, H, settings).expect("an adapter (lavapipe in CI)");
    let (mesh, lighting) = scene();
    r.load_scene(&mesh, &lighting);
    let mut rgb = Vec::new();
    r.render_sequence(&[camera()], |f| {
        rgb = f.color_rgba8.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
        Ok::<(), RenderError>(())
    })
    .unwrap();
    rgb
}

/// Luma (Rec. 709 weights on the encoded values) of RGB8 pixels.
fn luma(rgb: &[u8]) -> Vec<f64> {
    rgb.chunks_exact(3).map(|p| 0.2126 * p[0] as f64 + 0.7152 * p[1] as f64 + 0.0722 * p[2] as f64).collect()
}

/// Mean SSIM of two luma images over 8 x 8 windows at a stride of 4 (Wang et al. 2004, K1 = 0.01, K2 = 0.03).
fn ssim(a: &[f64], b: &[f64], w: usize, h: usize) -> f64 {
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let mut total = 0.0;
    let mut windows = 0;
    for y0 in (0..=h - 8).step_by(4) {
        for x0 in (0..=w - 8).step_by(4) {
            let px = |img: &[f64], i: usize| img[(y0 + i / 8) * w + x0 + i % 8];
            let n = 64.0;
            let (ma, mb) = ((0..64).map(|i| px(a, i)).sum::<f64>() / n, (0..64).map(|i| px(b, i)).sum::<f64>() / n);
            let (mut va, mut vb, mut cov) = (0.0, 0.0, 0.0);
            for i in 0..64 {
                let (da, db) = (px(a, i) - ma, px(b, i) - mb);
                va += da * da;
                vb += db * db;
                cov += da * db;
            }
            let (va, vb, cov) = (va / (n - 1.0), vb / (n - 1.0), cov / (n - 1.0));
            total += ((2.0 * ma * mb + c1) * (2.0 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
            windows += 1;
        }
    }
    total / windows as f64
}

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/room.png")
}

fn read_png(path: &PathBuf) -> Vec<u8> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with DIORAMA_BLESS_GOLDEN=1 cargo test --release -p diorama-render --test golden",
            path.display()
        )
    });
    let mut reader = png::Decoder::new(std::io::BufReader::new(file)).read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    assert_eq!((info.width, info.height, info.color_type), (W, H, png::ColorType::Rgb));
    buf.truncate(info.buffer_size());
    buf
}

#[test]
fn the_room_looks_as_it_did() {
    let rgb = render();
    let path = golden_path();
    if std::env::var_os("DIORAMA_BLESS_GOLDEN").is_some() {
        let file = std::fs::File::create(&path).expect("golden image writable");
        let mut enc = png::Encoder::new(std::io::BufWriter::new(file), W, H);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header().unwrap().write_image_data(&rgb).unwrap();
        eprintln!("wrote {}", path.display());
        return;
    }
    let expected = read_png(&path);
    let score = ssim(&luma(&rgb), &luma(&expected), W as usize, H as usize);
    if score < MIN_SSIM {
        let actual = std::env::temp_dir().join("diorama-golden-actual.rgb");
        let _ = std::fs::write(&actual, &rgb);
        panic!("SSIM {score:.4} < {MIN_SSIM} against {} (raw RGB of this run: {})", path.display(), actual.display());
    }
    // The picture is not flat: the lit scene has contrast a broken pipeline (all black, all white) would not.
    let l = luma(&rgb);
    let (lo, hi) = l.iter().fold((255.0f64, 0.0f64), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    assert!(hi - lo > 120.0, "luma spans only {lo}..{hi}");
}

#[test]
fn ssim_tells_images_apart() {
    let (w, h) = (64, 48);
    let a: Vec<f64> = (0..w * h).map(|i| ((i % w) * 3 + (i / w) * 2) as f64 % 255.0).collect();
    assert!((ssim(&a, &a, w, h) - 1.0).abs() < 1e-12);
    // Seeded noise of +-40 levels drops it well below the golden tolerance.
    let mut state = 12345u64;
    let noisy: Vec<f64> = a
        .iter()
        .map(|v| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (v + ((state >> 33) % 81) as f64 - 40.0).clamp(0.0, 255.0)
        })
        .collect();
    assert!(ssim(&a, &noisy, w, h) < MIN_SSIM - 0.2);
}
