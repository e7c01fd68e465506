//! The scene's medium and particles: fog and haze (Koschmieder, rendered per sub-frame by the renderer from the
//! extinction computed here), rain (Marshall-Palmer drops, Atlas fall speeds) and snow (Gunn-Marshall flakes
//! with the flake density set by the visibility), as 3D particles in world-fixed columns, so they move
//! coherently from frame to frame, drawn as streaks over the exposure and occluded by the scene's depth.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, Poisson};

/// Extinction coefficient (1/m) of a medium whose meteorological optical range (5 % contrast) is `mor_m`.
pub fn beta_for_mor(mor_m: f64) -> f64 {
    -(0.05f64.ln()) / mor_m
}

/// The meteorological optical range (m) of a medium of extinction `beta` (1/m).
pub fn mor_for_beta(beta: f64) -> f64 {
    -(0.05f64.ln()) / beta
}

/// Transmittance along a ray of `length_m`.
pub fn transmittance(beta: f64, length_m: f64) -> f64 {
    (-beta * length_m).exp()
}

/// What falls: rain at a rate, or snow at a (liquid-equivalent) rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Precipitation {
    Rain { rate_mm_h: f64 },
    Snow { rate_mm_h: f64 },
}

/// Drops smaller than this (melted diameter, mm) are neither drawn nor counted: they fall too slowly for the
/// fall-speed law and are far below a pixel.
pub const MIN_DIAMETER_MM: f64 = 0.1;

/// Flake diameter over melted-drop diameter: (rho_water / rho_snow)^(1/3) with rho_snow = 0.064 g/cm³.
pub const FLAKE_OVER_MELTED: f64 = 2.5;

impl Precipitation {
    /// Snow whose flakes give a visibility (MOR) of `mor_m`: the rate is solved from the extinction of the
    /// flakes' projected area, `beta = 2 * integral (pi/4) D^2 N(D) dD`.
    pub fn snow_for_mor(mor_m: f64) -> Precipitation {
        let target = beta_for_mor(mor_m);
        let (mut lo, mut hi) = (1e-4f64.ln(), 1e3f64.ln());
        for _ in 0..100 {
            let mid = (lo + hi) / 2.0;
            if (Precipitation::Snow { rate_mm_h: mid.exp() }).extinction_per_m() < target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Precipitation::Snow { rate_mm_h: ((lo + hi) / 2.0).exp() }
    }

    /// Intercept N0 (per m³ per mm) and slope Lambda (per mm) of the exponential size distribution.
    pub fn size_distribution(&self) -> (f64, f64) {
        match *self {
            Precipitation::Rain { rate_mm_h: r } => (8000.0, 4.1 * r.powf(-0.21)),
            Precipitation::Snow { rate_mm_h: r } => (3.8e3 * r.powf(-0.87), 2.55 * r.powf(-0.48)),
        }
    }

    /// Particles per m³ with melted diameter above [`MIN_DIAMETER_MM`].
    pub fn density_per_m3(&self) -> f64 {
        let (n0, lambda) = self.size_distribution();
        n0 / lambda * (-lambda * MIN_DIAMETER_MM).exp()
    }

    /// Extinction (1/m) by the particles: rain from Weber et al.'s 0.312 R^0.67 per km, snow from its flakes'
    /// geometric cross-section.
    pub fn extinction_per_m(&self) -> f64 {
        match *self {
            Precipitation::Rain { rate_mm_h: r } => 0.312 * r.powf(0.67) * 1e-3,
            Precipitation::Snow { .. } => {
                let (n0, lambda) = self.size_distribution();
                // 2 * (pi/4) * k^2 * N0 * 2 / Lambda^3, mm² per m³ -> m² per m³.
                std::f64::consts::PI * FLAKE_OVER_MELTED.powi(2) * n0 / lambda.powi(3) * 1e-6
            }
        }
    }

    /// Fall speed (m/s) of a particle of melted diameter `d_mm`: Atlas et al. for rain; for snow about 1 m/s,
    /// `flutter` in [0, 1) spreading it over 0.5..1.5 m/s.
    pub fn fall_speed_m_s(&self, d_mm: f64, flutter: f64) -> f64 {
        match self {
            Precipitation::Rain { .. } => 9.65 - 10.3 * (-0.6 * d_mm).exp(),
            Precipitation::Snow { .. } => 0.5 + flutter,
        }
    }

    pub fn is_snow(&self) -> bool {
        matches!(self, Precipitation::Snow { .. })
    }
}

/// One particle of a column: fixed horizontal position, a phase along the column, its size and speed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Particle {
    pub x: f64,
    pub y: f64,
    /// Height at time 0 (m).
    pub z0: f64,
    /// Melted diameter (mm).
    pub d_mm: f64,
    /// Drawn diameter (m): the drop's, or the flake's.
    pub size_m: f64,
    pub speed_m_s: f64,
}

/// Particles in world-fixed vertical columns (square cells `cell_m` across, between `z_min` and `z_max`), each
/// column drawn from its own seeded stream: the same particle is in the same place at the same time whatever the
/// camera does, and falls back to the top when it reaches the bottom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParticleField {
    pub precipitation: Precipitation,
    pub seed: u64,
    pub cell_m: f64,
    pub z_min: f64,
    pub z_max: f64,
}

impl ParticleField {
    pub fn new(precipitation: Precipitation, seed: u64) -> ParticleField {
        ParticleField { precipitation, seed, cell_m: 1.0, z_min: -2.0, z_max: 6.0 }
    }

    /// The particles of column `(i, j)`: a Poisson count with mean density x volume, sizes exponential with the
    /// distribution's slope (above the minimum), speeds from the fall-speed law.
    pub fn column(&self, i: i64, j: i64) -> Vec<Particle> {
        let mut h = self.seed ^ 0x9e37_79b9_7f4a_7c15;
        for v in [i as u64, j as u64] {
            h = splitmix(h ^ v);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(h);
        let height = self.z_max - self.z_min;
        let mean = self.precipitation.density_per_m3() * self.cell_m * self.cell_m * height;
        let count = Poisson::new(mean).map(|p| p.sample(&mut rng) as usize).unwrap_or(0);
        let (_, lambda) = self.precipitation.size_distribution();
        let size = Exp::new(lambda).expect("positive slope");
        (0..count)
            .map(|_| {
                let d_mm = MIN_DIAMETER_MM + size.sample(&mut rng);
                let flutter = rng.random::<f64>();
                let scale = if self.precipitation.is_snow() { FLAKE_OVER_MELTED } else { 1.0 };
                Particle {
                    x: (i as f64 + rng.random::<f64>()) * self.cell_m,
                    y: (j as f64 + rng.random::<f64>()) * self.cell_m,
                    z0: self.z_min + rng.random::<f64>() * height,
                    d_mm,
                    size_m: d_mm * scale * 1e-3,
                    speed_m_s: self.precipitation.fall_speed_m_s(d_mm, flutter),
                }
            })
            .collect()
    }

    /// Where a particle is at time `t_s`, and whether it wrapped to the top since `since_s`.
    pub fn position(&self, p: &Particle, t_s: f64) -> [f64; 3] {
        let height = self.z_max - self.z_min;
        [p.x, p.y, self.z_min + (p.z0 - self.z_min - p.speed_m_s * t_s).rem_euclid(height)]
    }
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A camera at one instant: rotation camera-to-world (row-major) and centre, and the canvas's pinhole.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CameraAt {
    pub world_from_camera: [[f64; 3]; 3],
    pub position: [f64; 3],
}

impl CameraAt {
    pub fn camera_from_world(&self, p: [f64; 3]) -> [f64; 3] {
        let d = [p[0] - self.position[0], p[1] - self.position[1], p[2] - self.position[2]];
        let r = &self.world_from_camera;
        [0, 1, 2].map(|c| r[0][c] * d[0] + r[1][c] * d[1] + r[2][c] * d[2])
    }
}

/// What the particles of one frame are drawn against.
pub struct StreakTarget<'a> {
    /// Linear radiance, RGBA, row-major, `width` x `height`.
    pub image: &'a mut [[f32; 4]],
    /// z-depth (m) per pixel, 0 where nothing was drawn (sky).
    pub depth_m: &'a [f32],
    pub width: u32,
    pub height: u32,
    pub fx: f64,
    pub fy: f64,
    pub cx: f64,
    pub cy: f64,
}

/// Counts of what one frame drew, for its record.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StreakStats {
    pub particles: u64,
    pub mean_streak_px: f64,
}

/// Draws every particle within `near_field_m` of the camera that is outdoors (`outdoors(world point)`) over
/// the exposure `[t_open, t_close]`, seen by the camera at those two instants: a streak from the particle's
/// projection at shutter open to its projection at shutter close (so its length is `f v T / Z` for a static
/// camera), whose coverage of each pixel is the particle's projected area spread along the streak (the time it
/// covers the pixel over the exposure), blended toward `particle_radiance`. The scene's depth hides particles
/// behind surfaces.
#[allow(clippy::too_many_arguments)]
pub fn draw_particles(
    field: &ParticleField,
    target: &mut StreakTarget<'_>,
    open: &CameraAt,
    close: &CameraAt,
    t_open_s: f64,
    t_close_s: f64,
    near_field_m: f64,
    particle_radiance: [f32; 3],
    outdoors: &dyn Fn([f64; 3]) -> bool,
) -> StreakStats {
    let (w, h) = (target.width as usize, target.height as usize);
    let mut coverage = vec![0.0f32; w * h];
    let mut stats = StreakStats::default();
    let c = open.position;
    let reach = (near_field_m / field.cell_m).ceil() as i64;
    let (ci, cj) = ((c[0] / field.cell_m).floor() as i64, (c[1] / field.cell_m).floor() as i64);
    let project = |p: [f64; 3]| (target.fx * p[0] / p[2] + target.cx, target.fy * p[1] / p[2] + target.cy);
    // Columns worth generating: within reach, in the horizontal field of view (with the cell's own width as
    // margin), and not wholly inside a room.
    let r = &open.world_from_camera;
    let forward = [r[0][2], r[1][2]];
    let forward_len = forward[0].hypot(forward[1]);
    let half_fov = (target.width as f64 / 2.0 / target.fx).atan().max((target.height as f64 / 2.0 / target.fy).atan());
    let column_seen = |i: i64, j: i64| {
        let centre = [(i as f64 + 0.5) * field.cell_m, (j as f64 + 0.5) * field.cell_m];
        let (dx, dy) = (centre[0] - c[0], centre[1] - c[1]);
        let dist = dx.hypot(dy);
        if dist > near_field_m + field.cell_m {
            return false;
        }
        if dist > 1.5 * field.cell_m && forward_len > 1e-6 {
            let cos = (dx * forward[0] + dy * forward[1]) / (dist * forward_len);
            let margin = (field.cell_m / dist).atan();
            if cos.clamp(-1.0, 1.0).acos() > half_fov + margin + 0.35 {
                return false;
            }
        }
        let h = field.cell_m / 2.0;
        [[0.0, 0.0], [-h, -h], [h, -h], [-h, h], [h, h]]
            .iter()
            .any(|o| outdoors([centre[0] + o[0], centre[1] + o[1], c[2]]))
    };
    for i in ci - reach..=ci + reach {
        for j in cj - reach..=cj + reach {
            if !column_seen(i, j) {
                continue;
            }
            for p in field.column(i, j) {
                let (a, b) = (field.position(&p, t_open_s), field.position(&p, t_close_s));
                // Skip the instant a particle wraps from the bottom to the top of its column.
                if b[2] > a[2] {
                    continue;
                }
                let d2 = (a[0] - c[0]).powi(2) + (a[1] - c[1]).powi(2) + (a[2] - c[2]).powi(2);
                if d2 > near_field_m * near_field_m {
                    continue;
                }
                let (pa, pb) = (open.camera_from_world(a), close.camera_from_world(b));
                if pa[2] < 0.1 || pb[2] < 0.1 {
                    continue;
                }
                let (u0, v0) = project(pa);
                let (u1, v1) = project(pb);
                let margin = 4.0;
                if u0.max(u1) < -margin
                    || u0.min(u1) > w as f64 + margin
                    || v0.max(v1) < -margin
                    || v0.min(v1) > h as f64 + margin
                    || !outdoors(a)
                {
                    continue;
                }
                let z = (pa[2] + pb[2]) / 2.0;
                let diameter_px = target.fx * p.size_m / z;
                let length = ((u1 - u0).powi(2) + (v1 - v0).powi(2)).sqrt();
                splat_streak(&mut coverage, target.depth_m, w, h, [u0, v0], [u1, v1], z, diameter_px);
                stats.particles += 1;
                stats.mean_streak_px += length;
            }
        }
    }
    if stats.particles > 0 {
        stats.mean_streak_px /= stats.particles as f64;
    }
    for (px, &a) in target.image.iter_mut().zip(&coverage) {
        let a = a.min(1.0);
        if a > 0.0 {
            for ch in 0..3 {
                px[ch] = px[ch] * (1.0 - a) + particle_radiance[ch] * a;
            }
        }
    }
    stats
}

/// Spreads a particle's projected area (pi d²/4 pixels) evenly along its streak from `a` to `b` (bilinear
/// splats four per pixel of length; a particle wider than a pixel as a disk of splats), skipping pixels whose
/// surface is nearer than the particle.
#[allow(clippy::too_many_arguments)]
fn splat_streak(cov: &mut [f32], depth: &[f32], w: usize, h: usize, a: [f64; 2], b: [f64; 2], z: f64, d_px: f64) {
    let length = ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt();
    let steps = (length * 4.0).ceil().max(1.0) as usize;
    let area = std::f64::consts::PI * d_px * d_px / 4.0;
    let radius = d_px / 2.0;
    let offsets: Vec<[f64; 2]> = if radius > 0.75 {
        let r = radius.ceil() as i64;
        (-r..=r)
            .flat_map(|dy| (-r..=r).map(move |dx| [dx as f64, dy as f64]))
            .filter(|o| o[0].hypot(o[1]) <= radius)
            .collect()
    } else {
        vec![[0.0, 0.0]]
    };
    let weight = area / ((steps + 1) * offsets.len()) as f64;
    for s in 0..=steps {
        let t = s as f64 / steps as f64;
        let (x, y) = (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t);
        for o in &offsets {
            // Bilinear splat around the point (pixel centres at +0.5).
            let (fx, fy) = (x + o[0] - 0.5, y + o[1] - 0.5);
            let (x0, y0) = (fx.floor(), fy.floor());
            let (tx, ty) = (fx - x0, fy - y0);
            for (dx, dy, wgt) in
                [(0, 0, (1.0 - tx) * (1.0 - ty)), (1, 0, tx * (1.0 - ty)), (0, 1, (1.0 - tx) * ty), (1, 1, tx * ty)]
            {
                let (i, j) = (x0 as i64 + dx, y0 as i64 + dy);
                if i < 0 || j < 0 || i >= w as i64 || j >= h as i64 {
                    continue;
                }
                let k = j as usize * w + i as usize;
                let surface = depth[k];
                if surface > 0.0 && (surface as f64) < z {
                    continue;
                }
                cov[k] += (weight * wgt) as f32;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fog_beta_gives_five_percent_contrast_at_the_mor() {
        let beta = beta_for_mor(300.0);
        assert!((transmittance(beta, 300.0) - 0.05).abs() < 1e-12);
        assert!((beta * 300.0 - 2.9957).abs() < 1e-3);
    }

    #[test]
    fn rain_extinction_and_density_follow_the_literature() {
        let r = Precipitation::Rain { rate_mm_h: 25.0 };
        // MOR about 1.1 km at 25 mm/h (spec table).
        let mor = 2.9957 / r.extinction_per_m();
        assert!((mor - 1100.0).abs() < 100.0, "{mor}");
        // N_T = N0 / Lambda (above 0.1 mm) and mean diameter 0.1 + 1 / Lambda.
        let (n0, l) = r.size_distribution();
        assert!((r.density_per_m3() - n0 / l * (-0.1 * l).exp()).abs() < 1e-9);
        assert!((Precipitation::Rain { rate_mm_h: 1.0 }.fall_speed_m_s(2.0, 0.0) - 6.55).abs() < 0.05);
    }

    #[test]
    fn snow_rate_is_solved_from_the_visibility() {
        for mor in [2000.0, 600.0, 200.0] {
            let s = Precipitation::snow_for_mor(mor);
            let got = 2.9957 / s.extinction_per_m();
            assert!((got / mor - 1.0).abs() < 1e-3, "{mor}: {got}");
        }
        // Heavier snow, lower visibility.
        let (Precipitation::Snow { rate_mm_h: a }, Precipitation::Snow { rate_mm_h: b }) =
            (Precipitation::snow_for_mor(2000.0), Precipitation::snow_for_mor(200.0))
        else {
            unreachable!()
        };
        assert!(b > a);
    }

    /// Counts are Poisson with mean density x volume, sizes exponential with slope Lambda, speeds from Atlas.
    #[test]
    fn drop_counts_sizes_and_speeds_follow_their_distributions() {
        let rain = Precipitation::Rain { rate_mm_h: 10.0 };
        let field = ParticleField { cell_m: 0.2, ..ParticleField::new(rain, 7) };
        let volume = 0.2 * 0.2 * (field.z_max - field.z_min);
        let mean = rain.density_per_m3() * volume;
        let counts: Vec<f64> = (0..400).map(|i| field.column(i, 3).len() as f64).collect();
        let m = counts.iter().sum::<f64>() / counts.len() as f64;
        let var = counts.iter().map(|c| (c - m).powi(2)).sum::<f64>() / (counts.len() - 1) as f64;
        let se = (mean / counts.len() as f64).sqrt();
        assert!((m - mean).abs() < 4.0 * se, "mean count {m} vs {mean}");
        // Poisson: variance equals the mean (within sampling error of a variance).
        assert!((var / mean - 1.0).abs() < 0.2, "dispersion {}", var / mean);
        let drops: Vec<Particle> = (0..40).flat_map(|i| field.column(i, 9)).collect();
        let (_, lambda) = rain.size_distribution();
        let mean_excess = drops.iter().map(|p| p.d_mm - MIN_DIAMETER_MM).sum::<f64>() / drops.len() as f64;
        assert!((mean_excess * lambda - 1.0).abs() < 0.03, "Lambda fit {} vs {lambda}", 1.0 / mean_excess);
        // Kolmogorov-Smirnov against the exponential.
        let mut x: Vec<f64> = drops.iter().map(|p| p.d_mm - MIN_DIAMETER_MM).collect();
        x.sort_by(f64::total_cmp);
        let n = x.len() as f64;
        let ks = x
            .iter()
            .enumerate()
            .map(|(i, v)| ((i as f64 + 1.0) / n - (1.0 - (-lambda * v).exp())).abs())
            .fold(0.0, f64::max);
        assert!(ks < 1.63 / n.sqrt(), "KS {ks} over {n} drops");
        for p in drops.iter().take(200) {
            assert!((p.speed_m_s - (9.65 - 10.3 * (-0.6 * p.d_mm).exp())).abs() < 1e-12);
        }
    }

    #[test]
    fn particles_move_by_v_dt_between_frames() {
        let field = ParticleField::new(Precipitation::Snow { rate_mm_h: 1.0 }, 3);
        for p in field.column(2, -1).iter().take(50) {
            let (a, b) = (field.position(p, 1.0), field.position(p, 1.0 + 1.0 / 30.0));
            if b[2] < a[2] {
                assert!((a[2] - b[2] - p.speed_m_s / 30.0).abs() < 1e-9);
                assert_eq!((a[0], a[1]), (b[0], b[1]));
            }
        }
    }

    /// One drop at depth Z falling past a static camera: its streak is f v T / Z long.
    #[test]
    fn streak_length_is_f_v_t_over_z() {
        let rain = Precipitation::Rain { rate_mm_h: 10.0 };
        let field = ParticleField { cell_m: 1.0, ..ParticleField::new(rain, 11) };
        let (w, h) = (320usize, 240usize);
        // Camera looking along +x from the origin at height 2 m: camera x = -world y, y = -world z, z = world x.
        let cam = CameraAt {
            world_from_camera: [[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]],
            position: [0.0, 0.0, 2.0],
        };
        let f = 200.0;
        // Find one drop that stays in view and draw only it (everything else is "indoors").
        let drops: Vec<Particle> = field.column(2, 0);
        let p = drops.iter().find(|p| (field.position(p, 0.0)[2] - 2.0).abs() < 0.3).expect("a drop near eye level");
        let exposure = 0.01;
        // Outdoors: the drop `p`, and the points the column test probes at the camera's height (2 m).
        let only = |q: [f64; 3]| ((q[0] - p.x).abs() < 1e-12 && (q[1] - p.y).abs() < 1e-12) || q[2] == 2.0;
        let mut image = vec![[0.0f32; 4]; w * h];
        let depth = vec![0.0f32; w * h];
        let mut target = StreakTarget {
            image: &mut image,
            depth_m: &depth,
            width: w as u32,
            height: h as u32,
            fx: f,
            fy: f,
            cx: 160.0,
            cy: 120.0,
        };
        let stats = draw_particles(&field, &mut target, &cam, &cam, 0.0, exposure, 4.0, [1.0; 3], &only);
        assert_eq!(stats.particles, 1);
        let expected = f * p.speed_m_s * exposure / p.x;
        // Length from the second moment along the streak (vertical): a uniform segment has variance l²/12.
        let (mut s, mut sy, mut syy) = (0.0, 0.0, 0.0);
        for j in 0..h {
            for i in 0..w {
                let a = image[j * w + i][0] as f64;
                let y = j as f64 + 0.5;
                s += a;
                sy += a * y;
                syy += a * y * y;
            }
        }
        let var = syy / s - (sy / s).powi(2);
        // The bilinear splat adds about 1/6 px² to the variance.
        let length = (12.0 * (var - 1.0 / 6.0)).max(0.0).sqrt();
        assert!((length - expected).abs() < 1.0, "streak {length} px, f v T / Z = {expected} px");
        assert!((stats.mean_streak_px - expected).abs() < 0.05 * expected);
        // Twice the exposure, twice the streak.
        let mut image2 = vec![[0.0f32; 4]; w * h];
        let mut target2 = StreakTarget {
            image: &mut image2,
            depth_m: &depth,
            width: w as u32,
            height: h as u32,
            fx: f,
            fy: f,
            cx: 160.0,
            cy: 120.0,
        };
        let twice = draw_particles(&field, &mut target2, &cam, &cam, 0.0, 2.0 * exposure, 4.0, [1.0; 3], &only);
        assert!((twice.mean_streak_px / stats.mean_streak_px - 2.0).abs() < 0.01);
    }

    #[test]
    fn surfaces_in_front_hide_particles() {
        let field = ParticleField::new(Precipitation::Rain { rate_mm_h: 50.0 }, 5);
        let cam = CameraAt {
            world_from_camera: [[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]],
            position: [0.0, 0.0, 2.0],
        };
        let (w, h) = (64usize, 48usize);
        let mut image = vec![[0.0f32; 4]; w * h];
        let wall = vec![0.1f32; w * h];
        let mut target = StreakTarget {
            image: &mut image,
            depth_m: &wall,
            width: 64,
            height: 48,
            fx: 40.0,
            fy: 40.0,
            cx: 32.0,
            cy: 24.0,
        };
        let stats = draw_particles(&field, &mut target, &cam, &cam, 0.0, 0.01, 4.0, [1.0; 3], &|_| true);
        assert!(stats.particles > 0);
        assert!(image.iter().all(|p| p[0] == 0.0), "a wall 0.1 m away (the nearest a drop is drawn) hides every drop");
    }
}
