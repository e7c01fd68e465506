//! Procedural material textures made with the `noise` crate: one seamless tile per [`Texture`], generated once
//! per process from fixed seeds (so frames do not depend on anything but the scene), with a full mip chain.
//!
//! Channels: R modulates albedo (final albedo = base x 2R), G modulates roughness (x 2G), B is a height field for
//! bump mapping (0.5 = flat), A is unused.

use std::f64::consts::TAU;
use std::sync::OnceLock;

use noise::{Fbm, MultiFractal, NoiseFn, Perlin};

use crate::mesh::Texture;

/// Texels along each side of a tile.
pub const TEXTURE_PX: u32 = 256;

/// One tile with its mip chain, level 0 first, RGBA8 rows.
pub struct TextureTile {
    pub texture: Texture,
    pub levels: Vec<Vec<u8>>,
}

/// All tiles, in [`Texture::ALL`] order (the texture array's layers), generated on first use.
pub fn tiles() -> &'static [TextureTile] {
    static TILES: OnceLock<Vec<TextureTile>> = OnceLock::new();
    TILES.get_or_init(|| {
        Texture::ALL
            .iter()
            .map(|&t| {
                let base = generate(t, TEXTURE_PX as usize);
                TextureTile { texture: t, levels: mip_chain(base, TEXTURE_PX as usize) }
            })
            .collect()
    })
}

/// Seamless noise on the unit square: fBm sampled on a torus in 4D, `freq` cycles of detail along u and v.
struct TorusNoise {
    fbm: Fbm<Perlin>,
}

impl TorusNoise {
    fn new(seed: u32, octaves: usize) -> TorusNoise {
        TorusNoise { fbm: Fbm::<Perlin>::new(seed).set_octaves(octaves).set_persistence(0.5) }
    }

    /// About [-1, 1]; `fu`, `fv` set the feature size (radius of the torus circles).
    fn at(&self, u: f64, v: f64, fu: f64, fv: f64) -> f64 {
        let (a, b) = (u * TAU, v * TAU);
        let (ru, rv) = (fu / TAU, fv / TAU);
        self.fbm.get([ru * a.cos(), ru * a.sin(), rv * b.cos(), rv * b.sin()])
    }
}

/// Per-cell pseudo-random value in [0, 1) (planks, tiles): a hash, so the pattern stays seamless.
fn cell_hash(i: i64, j: i64, salt: u64) -> f64 {
    let mut h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (j as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F) ^ salt;
    h ^= h >> 33;
    h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^= h >> 33;
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// (albedo modulation, roughness modulation, height) at (u, v) in [0, 1)^2.
fn texel(t: Texture, u: f64, v: f64, n: &TorusNoise, m: &TorusNoise) -> (f64, f64, f64) {
    match t {
        Texture::Flat => (0.5, 0.5, 0.5),
        Texture::Plaster => {
            let low = n.at(u, v, 3.0, 3.0);
            let fine = m.at(u, v, 60.0, 60.0);
            (0.5 + 0.025 * low + 0.02 * fine, 0.5 + 0.05 * fine, 0.5 + 0.08 * fine)
        }
        Texture::Wood | Texture::Floorboards => {
            // Boards along u; the grain's rings are bent by low-frequency noise stretched along the board.
            let (boards, salt) = if t == Texture::Floorboards { (8.0, 11) } else { (1.0, 5) };
            let row = (v * boards).floor();
            let local_v = v * boards - row;
            let shift = cell_hash(row as i64, 0, salt);
            let warp = n.at(u + shift, v, 2.0, 6.0 * boards);
            let rings = 0.5 + 0.5 * ((local_v * 9.0 + warp * 2.5 + shift * 7.0) * TAU).sin();
            let fibre = m.at(u + shift, v, 20.0, 140.0 * boards);
            let tone = 0.44 + 0.1 * (shift - 0.5);
            let mut a = tone + 0.09 * rings + 0.035 * fibre;
            let mut h = 0.5 + 0.05 * fibre;
            if t == Texture::Floorboards {
                // Dark seams between boards, and board ends at a per-row offset.
                let seam_v = local_v.min(1.0 - local_v) * 1.2 / boards; // metres-ish on a 1.2 m tile
                let end = (u * 2.0 + shift).fract();
                let seam_u = end.min(1.0 - end) * 0.6;
                if seam_v.min(seam_u) < 0.0015 {
                    a *= 0.45;
                    h = 0.2;
                }
            }
            (a, 0.5 - 0.08 * rings, h)
        }
        Texture::Fabric => {
            // A plain weave: alternating over/under threads, with slub noise.
            let (x, y) = (u * 48.0, v * 48.0);
            let over = ((x.floor() + y.floor()) as i64).rem_euclid(2) as f64;
            let thread_u = (x.fract() * std::f64::consts::PI).sin();
            let thread_v = (y.fract() * std::f64::consts::PI).sin();
            let relief = if over > 0.5 { thread_v } else { thread_u };
            let slub = n.at(u, v, 12.0, 12.0);
            (0.46 + 0.06 * relief + 0.04 * slub, 0.55 + 0.05 * relief, 0.35 + 0.3 * relief)
        }
        Texture::Marble => {
            let turbulence = n.at(u, v, 4.0, 4.0) + 0.5 * m.at(u, v, 9.0, 9.0);
            let vein = (((u + v) * 2.0 + turbulence * 1.8) * TAU).sin().abs().powf(0.25);
            (0.42 + 0.12 * vein, 0.45 - 0.1 * vein, 0.5)
        }
        Texture::Tiles => {
            // 4 x 4 tiles of 30 cm on a 1.2 m repeat with 4 mm grout.
            let (x, y) = (u * 4.0, v * 4.0);
            let edge = x.fract().min(1.0 - x.fract()).min(y.fract()).min(1.0 - y.fract()) * 0.3;
            let shade = cell_hash(x.floor() as i64, y.floor() as i64, 3) - 0.5;
            let fine = m.at(u, v, 40.0, 40.0);
            if edge < 0.002 { (0.32 + 0.02 * fine, 0.8, 0.15) } else { (0.52 + 0.05 * shade + 0.015 * fine, 0.3, 0.55) }
        }
        Texture::Carpet => {
            let pile = m.at(u, v, 90.0, 90.0);
            let cloud = n.at(u, v, 5.0, 5.0);
            (0.48 + 0.06 * pile + 0.04 * cloud, 0.6, 0.5 + 0.25 * pile)
        }
        Texture::Brushed => {
            let streaks = m.at(u, v, 3.0, 160.0);
            (0.5 + 0.03 * streaks, 0.5 + 0.15 * streaks, 0.5)
        }
        Texture::Leather => {
            let grain = m.at(u, v, 40.0, 40.0).abs();
            let folds = n.at(u, v, 4.0, 4.0);
            (0.48 + 0.03 * folds - 0.04 * grain, 0.45 + 0.2 * grain, 0.6 - 0.3 * grain)
        }
        Texture::Foliage => {
            let leaves = n.at(u, v, 10.0, 10.0);
            let veins = m.at(u, v, 30.0, 30.0);
            (0.45 + 0.12 * leaves + 0.04 * veins, 0.5, 0.5 + 0.3 * leaves)
        }
    }
}

fn generate(t: Texture, size: usize) -> Vec<u8> {
    let seed = t as u32 * 7919 + 17;
    let (n, m) = (TorusNoise::new(seed, 4), TorusNoise::new(seed + 1, 3));
    let unorm = |x: f64| (x.clamp(0.0, 1.0) * 255.0).round() as u8;
    let mut out = Vec::with_capacity(size * size * 4);
    for j in 0..size {
        for i in 0..size {
            let (u, v) = ((i as f64 + 0.5) / size as f64, (j as f64 + 0.5) / size as f64);
            let (a, r, h) = texel(t, u, v, &n, &m);
            out.extend_from_slice(&[unorm(a), unorm(r), unorm(h), 255]);
        }
    }
    out
}

/// An RGBA8 image resampled (bilinear, wrapping) to a `size` x `size` tile with its mip chain.
pub(crate) fn image_tile(image: &crate::mesh::TextureImage, size: usize) -> Vec<Vec<u8>> {
    let (w, h) = (image.width.max(1) as usize, image.height.max(1) as usize);
    let at =
        |x: usize, y: usize, c: usize| image.rgba8.get(((y % h) * w + x % w) * 4 + c).copied().unwrap_or(255) as f32;
    let mut base = Vec::with_capacity(size * size * 4);
    for j in 0..size {
        for i in 0..size {
            let (u, v) =
                ((i as f32 + 0.5) / size as f32 * w as f32 - 0.5, (j as f32 + 0.5) / size as f32 * h as f32 - 0.5);
            let (x0, y0) = (u.floor(), v.floor());
            let (fx, fy) = (u - x0, v - y0);
            let (x0, y0) =
                ((x0 as isize).rem_euclid(w as isize) as usize, (y0 as isize).rem_euclid(h as isize) as usize);
            for c in 0..4 {
                let top = at(x0, y0, c) * (1.0 - fx) + at(x0 + 1, y0, c) * fx;
                let bottom = at(x0, y0 + 1, c) * (1.0 - fx) + at(x0 + 1, y0 + 1, c) * fx;
                base.push((top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8);
            }
        }
    }
    mip_chain(base, size)
}

/// Box-filtered mip levels down to 1 x 1.
fn mip_chain(base: Vec<u8>, size: usize) -> Vec<Vec<u8>> {
    let mut levels = vec![base];
    let mut s = size;
    while s > 1 {
        let prev = levels.last().expect("level 0");
        let h = s / 2;
        let mut next = vec![0u8; h * h * 4];
        for j in 0..h {
            for i in 0..h {
                for c in 0..4 {
                    let at = |x: usize, y: usize| prev[(y * s + x) * 4 + c] as u32;
                    let sum = at(2 * i, 2 * j) + at(2 * i + 1, 2 * j) + at(2 * i, 2 * j + 1) + at(2 * i + 1, 2 * j + 1);
                    next[(j * h + i) * 4 + c] = sum.div_ceil(4).min(255) as u8;
                }
            }
        }
        levels.push(next);
        s = h;
    }
    levels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_are_seamless_and_centred() {
        for tile in tiles() {
            let px = &tile.levels[0];
            let s = TEXTURE_PX as usize;
            let at = |x: usize, y: usize| px[(y * s + x) * 4] as f64;
            // Mean albedo modulation near 0.5 (x 2 keeps the base colour's brightness).
            let mean = (0..s * s).map(|k| px[k * 4] as f64).sum::<f64>() / (s * s) as f64 / 255.0;
            assert!((0.35..0.6).contains(&mean), "{:?}: mean {mean}", tile.texture);
            // Seamless: the jump across the wrap is no bigger than the typical jump between neighbours.
            let inner: f64 = (0..s).map(|y| (at(s / 2, y) - at(s / 2 - 1, y)).abs()).sum();
            let wrap: f64 = (0..s).map(|y| (at(0, y) - at(s - 1, y)).abs()).sum();
            assert!(wrap <= inner * 2.0 + 2.0 * s as f64, "{:?}: wrap {wrap} vs inner {inner}", tile.texture);
            assert_eq!(tile.levels.len(), 9);
            assert_eq!(tile.levels.last().unwrap().len(), 4);
        }
        // Textures differ from each other and from flat.
        assert_ne!(tiles()[Texture::Wood as usize].levels[0], tiles()[Texture::Marble as usize].levels[0]);
    }
}
