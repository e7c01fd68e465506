//! Makes the glTF assets diorama ships (`assets-manifest/assets/*.glb`): turned vessels (a cup, a vase, a bowl)
//! with a glazed, striped base-colour texture. Each stays inside its category's collision parts (the manifest's
//! cylinders), so the mesh never reaches past what the layout checked.
//!
//! Run: `cargo run -p diorama-assets --example make_assets` (rewrites the files; they are committed).

use diorama_assets::gltf_asset::AssetMesh;

/// A surface of revolution about z of the profile `(radius, height)` (metres), `segments` around. u runs around
/// the axis, v along the profile; normals are the profile's outward normals turned about the axis.
fn lathe(name: &str, profile: &[(f32, f32)], segments: usize, base_color: [f32; 4], roughness: f32) -> AssetMesh {
    let mut m = AssetMesh {
        name: name.into(),
        positions: Vec::new(),
        normals: Vec::new(),
        uvs: Vec::new(),
        indices: Vec::new(),
        base_color,
        metallic: 0.0,
        roughness,
        base_color_texture: None,
        normal_texture: None,
    };
    let length: Vec<f32> = std::iter::once(0.0)
        .chain(profile.windows(2).scan(0.0, |acc, w| {
            *acc += ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt();
            Some(*acc)
        }))
        .collect();
    let total = *length.last().unwrap();
    for (i, &(r, z)) in profile.iter().enumerate() {
        // Profile tangent by central differences; the normal is it turned a quarter (outwards for a profile
        // that runs from the axis at the bottom outwards and up).
        let (a, b) = (profile[i.saturating_sub(1)], profile[(i + 1).min(profile.len() - 1)]);
        let (tr, tz) = (b.0 - a.0, b.1 - a.1);
        let l = (tr * tr + tz * tz).sqrt().max(1e-9);
        let (nr, nz) = (tz / l, -tr / l);
        for s in 0..=segments {
            let phi = std::f32::consts::TAU * s as f32 / segments as f32;
            let (c, sn) = (phi.cos(), phi.sin());
            m.positions.push([r * c, r * sn, z]);
            m.normals.push([nr * c, nr * sn, nz]);
            m.uvs.push([s as f32 / segments as f32, length[i] / total]);
        }
    }
    let ring = segments as u32 + 1;
    for i in 0..profile.len() as u32 - 1 {
        for s in 0..segments as u32 {
            let (a, b, c, d) = (i * ring + s, i * ring + s + 1, (i + 1) * ring + s + 1, (i + 1) * ring + s);
            m.indices.extend_from_slice(&[a, b, c, a, c, d]);
        }
    }
    m
}

/// A glaze: `bands` stripes along v over a slightly mottled ground, RGB8 PNG.
fn glaze_png(ground: [u8; 3], band: [u8; 3], bands: u32) -> Vec<u8> {
    let (w, h) = (64u32, 64u32);
    let mut px = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            let stripe = (y * bands / h) % 2 == 1;
            let mottle = ((x * 7 + y * 13) % 11) as i32 - 5;
            let c = if stripe { band } else { ground };
            px.extend(c.iter().map(|&v| (v as i32 + mottle).clamp(0, 255) as u8));
        }
    }
    rgb_png(w, h, &px)
}

/// Horizontal ribs: the normal tilts up and down the image along v (`ribs` of them), RGB8 PNG.
fn ribs_normal_png(ribs: u32) -> Vec<u8> {
    let (w, h) = (16u32, 128u32);
    let mut px = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        let phase = std::f32::consts::TAU * ribs as f32 * (y as f32 + 0.5) / h as f32;
        let tilt = 0.35 * phase.sin();
        let n = [0.0, tilt.sin(), tilt.cos()];
        for _ in 0..w {
            px.extend(n.iter().map(|c| ((c * 0.5 + 0.5) * 255.0).round() as u8));
        }
    }
    rgb_png(w, h, &px)
}

fn rgb_png(w: u32, h: u32, px: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header().unwrap().write_image_data(px).unwrap();
    out
}

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    std::fs::create_dir_all(&dir).unwrap();
    // Profiles run from the axis at the base, out and up the outside, over the rim and down the inside. Radii are
    // within the category's collision cylinders (fractions of the width at each height).
    let cup = lathe(
        "cup",
        &[
            (0.0, 0.0),
            (0.03, 0.0),
            (0.033, 0.004),
            (0.036, 0.09),
            (0.036, 0.095),
            (0.032, 0.095),
            (0.031, 0.01),
            (0.0, 0.01),
        ],
        32,
        [0.8, 0.8, 0.8, 1.0],
        0.25,
    );
    let vase = lathe(
        "vase",
        &[
            (0.0, 0.0),
            (0.045, 0.0),
            (0.065, 0.05),
            (0.07, 0.12),
            (0.06, 0.18),
            (0.035, 0.205),
            (0.03, 0.25),
            (0.034, 0.3),
            (0.028, 0.3),
            (0.024, 0.25),
            (0.0, 0.25),
        ],
        32,
        [0.85, 0.85, 0.85, 1.0],
        0.2,
    );
    let bowl = lathe(
        "bowl",
        &[
            (0.0, 0.0),
            (0.045, 0.0),
            (0.047, 0.012),
            (0.0475, 0.032),
            (0.08, 0.05),
            (0.095, 0.08),
            (0.09, 0.08),
            (0.075, 0.052),
            (0.042, 0.035),
            (0.0, 0.03),
        ],
        40,
        [0.9, 0.9, 0.9, 1.0],
        0.3,
    );
    // The vase is ribbed: a normal map, no extra geometry.
    for (mesh, png, normal) in [
        (cup, glaze_png([200, 70, 55], [235, 225, 210], 5), None),
        (vase, glaze_png([60, 105, 170], [210, 200, 170], 9), Some(ribs_normal_png(14))),
        (bowl, glaze_png([225, 215, 190], [120, 150, 120], 3), None),
    ] {
        let path = dir.join(format!("{}.glb", if mesh.name == "cup" { "mug" } else { &mesh.name }));
        std::fs::write(&path, mesh.to_glb(Some(&png), normal.as_deref())).unwrap();
        println!("wrote {} ({} triangles)", path.display(), mesh.indices.len() / 3);
    }
}
