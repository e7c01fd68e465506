//! Optics: the thin lens (defocus, sampled over the aperture by the renderer's sub-frames), distortion as a
//! pixel-to-ray map (Brown-Conrady and Kannala-Brandt fisheye), lateral chromatic aberration, vignetting and
//! water drops on the front element. Everything here acts on noise-free linear irradiance.
//!
//! Coordinates: output pixels are continuous OpenCV image coordinates (pixel (i, j) covers [i, i+1) x [j, j+1));
//! normalized coordinates are `x = (u - cx) / fx`, `y = (v - cy) / fy`.

use rand::RngExt;

/// Intrinsics of the output image (the camera's pinhole part).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pinhole {
    pub fx: f32,
    pub fy: f32,
    pub cx: f32,
    pub cy: f32,
    pub width: u32,
    pub height: u32,
}

/// A thin lens focused at `focus_distance_m` with an aperture `aperture_m` across.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThinLens {
    pub aperture_m: f32,
    pub focus_distance_m: f32,
}

impl ThinLens {
    /// The lens whose circle of confusion for content at infinity is `coc_px` (with focal length `f_px` in
    /// pixels, i.e. image distance over pixel pitch).
    pub fn for_coc_at_infinity(coc_px: f32, focus_distance_m: f32, f_px: f32) -> ThinLens {
        ThinLens { aperture_m: coc_px * focus_distance_m / f_px, focus_distance_m }
    }

    /// Circle-of-confusion diameter in pixels of a point at z-depth `depth_m`: `f_px * A * |1/S2 - 1/S1|`
    /// (the thin-lens `f^2 |S2 - S1| / (N S2 (S1 - f))` with the pinhole focal length as image distance).
    pub fn coc_px(&self, f_px: f32, depth_m: f32) -> f32 {
        f_px * self.aperture_m * (1.0 / depth_m - 1.0 / self.focus_distance_m).abs()
    }

    /// Where a lens sample at `(u, v)` in the unit disk sits in the camera frame (metres, x right, y down).
    pub fn lens_offset_m(&self, unit: [f32; 2]) -> [f32; 2] {
        unit.map(|c| c * self.aperture_m / 2.0)
    }
}

/// `n` points spread evenly over the unit disk (a Vogel spiral: equal area per point, no clumps), for lens
/// samples. Their mean squared radius is 1/2 like the disk's (exactly, up to the midpoint rule).
pub fn disk_samples(n: usize) -> Vec<[f32; 2]> {
    let golden = std::f32::consts::PI * (3.0 - 5f32.sqrt());
    (0..n)
        .map(|i| {
            let r = ((i as f32 + 0.5) / n as f32).sqrt();
            let a = i as f32 * golden;
            [r * a.cos(), r * a.sin()]
        })
        .collect()
}

/// A lens's geometric distortion, OpenCV conventions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Distortion {
    /// Brown-Conrady: radial `k1, k2, k3`, tangential `p1, p2`.
    BrownConrady { k1: f32, k2: f32, p1: f32, p2: f32, k3: f32 },
    /// Kannala-Brandt (OpenCV fisheye): `theta_d = theta (1 + k1 theta^2 + k2 theta^4 + k3 theta^6 + k4 theta^8)`.
    Fisheye { k1: f32, k2: f32, k3: f32, k4: f32 },
}

impl Distortion {
    /// Brown-Conrady with only `k1`, chosen so that the ray imaged at the output's corner (normalized radius
    /// `r_corner`) moved there by `corner_pct` percent of its undistorted radius (negative: barrel, the ray came
    /// from further out): `r_corner = r_u (1 + k1 r_u²)` with `r_u = r_corner / (1 + pct/100)`.
    pub fn radial_for_corner(corner_pct: f32, r_corner: f32) -> Distortion {
        let d = corner_pct / 100.0;
        let r_u = r_corner / (1.0 + d);
        Distortion::BrownConrady { k1: d / (r_u * r_u), k2: 0.0, p1: 0.0, p2: 0.0, k3: 0.0 }
    }

    /// Distorted normalized coordinates of the undistorted ones (the ray's `X/Z, Y/Z`).
    pub fn distort(&self, x: f32, y: f32) -> [f32; 2] {
        match *self {
            Distortion::BrownConrady { k1, k2, p1, p2, k3 } => {
                let r2 = x * x + y * y;
                let radial = 1.0 + r2 * (k1 + r2 * (k2 + r2 * k3));
                [
                    x * radial + 2.0 * p1 * x * y + p2 * (r2 + 2.0 * x * x),
                    y * radial + p1 * (r2 + 2.0 * y * y) + 2.0 * p2 * x * y,
                ]
            }
            Distortion::Fisheye { .. } => {
                let r = (x * x + y * y).sqrt();
                if r < 1e-9 {
                    return [x, y];
                }
                let s = self.theta_d(r.atan()) / r;
                [x * s, y * s]
            }
        }
    }

    fn theta_d(&self, t: f32) -> f32 {
        let Distortion::Fisheye { k1, k2, k3, k4 } = *self else { unreachable!() };
        let t2 = t * t;
        t * (1.0 + t2 * (k1 + t2 * (k2 + t2 * (k3 + t2 * k4))))
    }

    /// The undistorted normalized coordinates (the ray) of distorted ones, by Newton's method; `None` where
    /// the map folds over or the ray leaves the front hemisphere.
    pub fn undistort(&self, xd: f32, yd: f32) -> Option<[f32; 2]> {
        match *self {
            Distortion::BrownConrady { .. } => {
                let (mut x, mut y) = (xd, yd);
                for _ in 0..30 {
                    let [fx, fy] = self.distort(x, y);
                    let (ex, ey) = (fx - xd, fy - yd);
                    if ex.abs() < 1e-7 && ey.abs() < 1e-7 {
                        break;
                    }
                    // Jacobian by central differences (the map is smooth).
                    let h = 1e-4;
                    let [ax, ay] = self.distort(x + h, y);
                    let [bx, by] = self.distort(x - h, y);
                    let [cx, cy] = self.distort(x, y + h);
                    let [dx, dy] = self.distort(x, y - h);
                    let (j11, j21, j12, j22) =
                        ((ax - bx) / (2.0 * h), (ay - by) / (2.0 * h), (cx - dx) / (2.0 * h), (cy - dy) / (2.0 * h));
                    let det = j11 * j22 - j12 * j21;
                    if det <= 1e-6 {
                        return None;
                    }
                    x -= (j22 * ex - j12 * ey) / det;
                    y -= (-j21 * ex + j11 * ey) / det;
                }
                let [fx, fy] = self.distort(x, y);
                ((fx - xd).abs() < 1e-4 && (fy - yd).abs() < 1e-4).then_some([x, y])
            }
            Distortion::Fisheye { .. } => {
                let rd = (xd * xd + yd * yd).sqrt();
                if rd < 1e-9 {
                    return Some([xd, yd]);
                }
                let mut t = rd.min(1.5);
                for _ in 0..30 {
                    let h = 1e-4;
                    let slope = (self.theta_d(t + h) - self.theta_d(t - h)) / (2.0 * h);
                    if slope <= 1e-4 {
                        return None;
                    }
                    t -= (self.theta_d(t) - rd) / slope;
                    t = t.clamp(0.0, 1.56);
                }
                if (self.theta_d(t) - rd).abs() > 1e-4 || t >= 1.55 {
                    return None;
                }
                let s = t.tan() / rd;
                Some([xd * s, yd * s])
            }
        }
    }
}

/// The pixel-to-ray map of a lens with distortion and lateral chromatic aberration: for each output pixel,
/// where to sample a pinhole render (the canvas: same size and principal point, focal length scaled by
/// `canvas_scale` so that it covers every ray the output needs).
#[derive(Debug, Clone)]
pub struct PixelWarp {
    pub output: Pinhole,
    pub canvas: Pinhole,
    pub canvas_scale: f32,
    pub distortion: Option<Distortion>,
    /// Relative magnification of red and blue against green (lateral CA): 1 for none.
    pub red_scale: f32,
    pub blue_scale: f32,
    /// Per output pixel and channel (R, G, B), canvas coordinates (continuous); NaN where no ray exists.
    src: [Vec<[f32; 2]>; 3],
}

impl PixelWarp {
    pub fn new(output: Pinhole, distortion: Option<Distortion>, red_scale: f32, blue_scale: f32) -> PixelWarp {
        let scales = [red_scale, 1.0, blue_scale];
        // The rays of the output's border (every channel) must land inside the canvas.
        let (w, h) = (output.width as f32, output.height as f32);
        let mut need: f32 = 1.0;
        let steps = 64;
        for i in 0..=steps {
            let t = i as f32 / steps as f32;
            for (u, v) in [(t * w, 0.0), (t * w, h), (0.0, t * h), (w, t * h)] {
                for s in scales {
                    let Some([x, y]) = ray(&output, distortion, s, u, v) else { continue };
                    need = need.max((x * output.fx).abs() / output.cx.max(w - output.cx));
                    need = need.max((y * output.fy).abs() / output.cy.max(h - output.cy));
                }
            }
        }
        let canvas_scale = (1.0 / need).min(1.0);
        let canvas = Pinhole { fx: output.fx * canvas_scale, fy: output.fy * canvas_scale, ..output };
        let src = scales.map(|s| {
            let mut out = Vec::with_capacity((output.width * output.height) as usize);
            for j in 0..output.height {
                for i in 0..output.width {
                    let (u, v) = (i as f32 + 0.5, j as f32 + 0.5);
                    out.push(match ray(&output, distortion, s, u, v) {
                        Some([x, y]) => [canvas.fx * x + canvas.cx, canvas.fy * y + canvas.cy],
                        None => [f32::NAN; 2],
                    });
                }
            }
            out
        });
        PixelWarp { output, canvas, canvas_scale, distortion, red_scale, blue_scale, src }
    }

    /// Where the ray of a canvas point lands in the output (green channel): the forward lens map.
    pub fn canvas_to_output(&self, u: f32, v: f32) -> [f32; 2] {
        let (x, y) = ((u - self.canvas.cx) / self.canvas.fx, (v - self.canvas.cy) / self.canvas.fy);
        let [xd, yd] = self.distortion.map_or([x, y], |d| d.distort(x, y));
        [self.output.fx * xd + self.output.cx, self.output.fy * yd + self.output.cy]
    }

    /// Per output pixel, the canvas point its (green) ray samples; NaN where the lens has none.
    pub fn sources(&self) -> &[[f32; 2]] {
        &self.src[1]
    }

    /// The canvas point an output pixel (green channel) samples, or None where the lens has no ray.
    pub fn source(&self, index: usize) -> Option<[f32; 2]> {
        let s = self.src[1][index];
        s[0].is_finite().then_some(s)
    }

    /// Resamples linear RGBA (canvas) to the output, bilinearly per channel; pixels without a ray are black.
    pub fn warp_linear(&self, canvas: &[[f32; 4]]) -> Vec<[f32; 4]> {
        let (w, h) = (self.canvas.width as usize, self.canvas.height as usize);
        let n = (self.output.width * self.output.height) as usize;
        let mut out = vec![[0.0, 0.0, 0.0, 1.0]; n];
        for (c, src) in self.src.iter().enumerate() {
            for (o, s) in out.iter_mut().zip(src) {
                if s[0].is_finite() {
                    o[c] = bilinear(canvas, w, h, s[0] - 0.5, s[1] - 0.5, c);
                }
            }
        }
        out
    }

    /// Resamples a label map (instance ids, depth) by nearest neighbour, so labels stay exact values; pixels
    /// without a ray get `none`.
    pub fn warp_nearest<T: Copy>(&self, canvas: &[T], none: T) -> Vec<T> {
        let (w, h) = (self.canvas.width as i64, self.canvas.height as i64);
        self.src[1]
            .iter()
            .map(|s| {
                if !s[0].is_finite() {
                    return none;
                }
                let (i, j) = (s[0].floor() as i64, s[1].floor() as i64);
                if i < 0 || j < 0 || i >= w || j >= h { none } else { canvas[(j * w + i) as usize] }
            })
            .collect()
    }
}

/// The undistorted normalized ray of output pixel `(u, v)` for a channel magnified by `scale`.
fn ray(k: &Pinhole, distortion: Option<Distortion>, scale: f32, u: f32, v: f32) -> Option<[f32; 2]> {
    let (xd, yd) = ((u - k.cx) / k.fx / scale, (v - k.cy) / k.fy / scale);
    match distortion {
        Some(d) => d.undistort(xd, yd),
        None => Some([xd, yd]),
    }
}

fn bilinear(img: &[[f32; 4]], w: usize, h: usize, x: f32, y: f32, c: usize) -> f32 {
    let x = x.clamp(0.0, (w - 1) as f32);
    let y = y.clamp(0.0, (h - 1) as f32);
    let (x0, y0) = (x.floor() as usize, y.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let at = |i: usize, j: usize| img[j * w + i][c];
    (at(x0, y0) * (1.0 - fx) + at(x1, y0) * fx) * (1.0 - fy) + (at(x0, y1) * (1.0 - fx) + at(x1, y1) * fx) * fy
}

/// Relative illumination of the lensfun `pa` model with only `k1`: `V(r) = 1 + k1 r^2`, r = 1 at the image's
/// half-diagonal, so `corner` is the illumination there.
pub fn vignetting(corner: f32, k: &Pinhole, u: f32, v: f32) -> f32 {
    let half_diag2 = (k.width as f32 / 2.0).powi(2) + (k.height as f32 / 2.0).powi(2);
    let r2 = ((u - k.cx).powi(2) + (v - k.cy).powi(2)) / half_diag2;
    1.0 + (corner - 1.0) * r2
}

/// Lateral CA as red and blue magnification against green, for a shift of `corner_shift_px` at the corner
/// (red outward, blue inward).
pub fn chromatic_scales(corner_shift_px: f32, k: &Pinhole) -> (f32, f32) {
    let r_corner = ((k.width as f32 / 2.0).powi(2) + (k.height as f32 / 2.0).powi(2)).sqrt();
    let d = corner_shift_px / r_corner;
    (1.0 + d, 1.0 - d)
}

/// A water drop on the front element, in output pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LensDrop {
    pub center: [f32; 2],
    pub radius_px: f32,
}

/// Drops scattered over the image until they cover `coverage` (0..1) of it, radii from 2 % to 6 % of the
/// image width (cap radii of a few millimetres on a small front element).
pub fn lens_drops(coverage: f32, k: &Pinhole, rng: &mut impl rand::Rng) -> Vec<LensDrop> {
    let (w, h) = (k.width as f32, k.height as f32);
    let target = coverage * w * h;
    let mut area = 0.0;
    let mut drops = Vec::new();
    while area < target && drops.len() < 400 {
        let radius_px = w * rng.random_range(0.02..0.06);
        drops.push(LensDrop { center: [rng.random_range(0.0..w), rng.random_range(0.0..h)], radius_px });
        area += std::f32::consts::PI * radius_px * radius_px;
    }
    drops
}

/// Each drop is a plano-convex lens right on the front element: inside it the scene shows minified (by
/// `minify`, its field is wider) and inverted about the drop's centre, strongly defocused (a disk average of
/// 12 taps), and dimmed by reflection losses at the two surfaces. Acts on linear radiance in place.
pub fn apply_lens_drops(img: &mut [[f32; 4]], k: &Pinhole, drops: &[LensDrop]) {
    const MINIFY: f32 = 3.0;
    const TRANSMISSION: f32 = 0.92;
    let (w, h) = (k.width as usize, k.height as usize);
    let source = img.to_vec();
    let taps = disk_samples(12);
    for d in drops {
        let (x0, x1) = (
            (d.center[0] - d.radius_px).floor().max(0.0) as usize,
            ((d.center[0] + d.radius_px).ceil() as usize).min(w),
        );
        let (y0, y1) = (
            (d.center[1] - d.radius_px).floor().max(0.0) as usize,
            ((d.center[1] + d.radius_px).ceil() as usize).min(h),
        );
        let blur = d.radius_px * 0.15;
        for j in y0..y1 {
            for i in x0..x1 {
                let (dx, dy) = (i as f32 + 0.5 - d.center[0], j as f32 + 0.5 - d.center[1]);
                if dx * dx + dy * dy > d.radius_px * d.radius_px {
                    continue;
                }
                // Inverted (minus) and minified (the drop shows MINIFY times its own footprint).
                let (sx, sy) = (d.center[0] - dx * MINIFY, d.center[1] - dy * MINIFY);
                let mut acc = [0.0f32; 3];
                for t in &taps {
                    let (x, y) = (sx + t[0] * blur - 0.5, sy + t[1] * blur - 0.5);
                    for (c, a) in acc.iter_mut().enumerate() {
                        *a += bilinear(&source, w, h, x, y, c);
                    }
                }
                let o = &mut img[j * w + i];
                for c in 0..3 {
                    o[c] = acc[c] / taps.len() as f32 * TRANSMISSION;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pinhole(w: u32, h: u32, f: f32) -> Pinhole {
        Pinhole { fx: f, fy: f, cx: w as f32 / 2.0, cy: h as f32 / 2.0, width: w, height: h }
    }

    #[test]
    fn disk_samples_have_the_disks_second_moment() {
        let s = disk_samples(64);
        let m: f32 = s.iter().map(|p| p[0] * p[0] + p[1] * p[1]).sum::<f32>() / 64.0;
        assert!((m - 0.5).abs() < 1e-3, "{m}");
        assert!(s.iter().all(|p| p[0].hypot(p[1]) <= 1.0));
    }

    #[test]
    fn coc_grows_to_its_far_limit_and_vanishes_at_focus() {
        let lens = ThinLens::for_coc_at_infinity(10.0, 1.5, 500.0);
        assert!(lens.coc_px(500.0, 1.5).abs() < 1e-5);
        assert!((lens.coc_px(500.0, 1e9) - 10.0).abs() < 1e-3);
        // The thin-lens form f^2 |S2 - S1| / (N S2 (S1 - f)) with f -> image distance: for S2 = 3 S1 it is 2/3.
        assert!((lens.coc_px(500.0, 4.5) - 10.0 * 2.0 / 3.0).abs() < 1e-3);
    }

    #[test]
    fn undistort_inverts_distort() {
        let models = [
            Distortion::BrownConrady { k1: -0.18, k2: 0.03, p1: 0.001, p2: -0.0015, k3: 0.0 },
            Distortion::radial_for_corner(-25.0, 0.9),
            Distortion::Fisheye { k1: -0.235, k2: 2e-4, k3: 1.5e-4, k4: 5e-5 },
        ];
        for d in models {
            for (x, y) in [(0.0, 0.0), (0.3, -0.2), (-0.6, 0.45), (0.7, 0.1)] {
                let [xd, yd] = d.distort(x, y);
                let [ux, uy] = d.undistort(xd, yd).unwrap();
                assert!((ux - x).abs() < 1e-5 && (uy - y).abs() < 1e-5, "{d:?}: ({x},{y}) -> ({ux},{uy})");
            }
        }
    }

    #[test]
    fn corner_percentage_is_the_corner_rays_radial_shift() {
        for pct in [-2.0f32, -10.0, -25.0, 5.0] {
            let d = Distortion::radial_for_corner(pct, 0.9);
            let [x, _] = d.undistort(0.9, 0.0).expect("the corner has a ray");
            assert!(((0.9 - x) / x * 100.0 - pct).abs() < 1e-3 * pct.abs().max(1.0) + 1e-4, "{pct}: {x}");
        }
    }

    #[test]
    fn barrel_pulls_corners_in_and_the_canvas_covers_them() {
        let k = pinhole(64, 48, 40.0);
        let warp = PixelWarp::new(k, Some(Distortion::radial_for_corner(-10.0, 1.0)), 1.0, 1.0);
        assert!(warp.canvas_scale < 1.0);
        // Every output pixel finds its ray inside the canvas.
        for i in 0..(64 * 48) {
            let [u, v] = warp.source(i).unwrap();
            assert!((0.0..=64.0).contains(&u) && (0.0..=48.0).contains(&v), "{u} {v}");
        }
        // Forward map of the source is the pixel centre again.
        let [u, v] = warp.canvas_to_output(warp.source(5 * 64 + 3).unwrap()[0], warp.source(5 * 64 + 3).unwrap()[1]);
        assert!((u - 3.5).abs() < 1e-3 && (v - 5.5).abs() < 1e-3, "{u} {v}");
    }

    #[test]
    fn vignetting_is_one_at_the_centre_and_the_corner_value_at_the_corner() {
        let k = pinhole(64, 48, 40.0);
        assert!((vignetting(0.4, &k, 32.0, 24.0) - 1.0).abs() < 1e-6);
        assert!((vignetting(0.4, &k, 0.0, 0.0) - 0.4).abs() < 1e-6);
        assert!((vignetting(0.4, &k, 64.0, 48.0) - 0.4).abs() < 1e-6);
    }

    #[test]
    fn lateral_ca_moves_channel_centroids_in_proportion_to_the_radius() {
        // A grid of single bright pixels; after the warp, the red centroid of each moves outward by d * r.
        let k = pinhole(96, 96, 80.0);
        let (rs, bs) = chromatic_scales(3.0, &k);
        let warp = PixelWarp::new(k, None, rs, bs);
        let mut img = vec![[0.0f32, 0.0, 0.0, 1.0]; 96 * 96];
        let points = [(48usize, 48usize), (70, 48), (20, 30), (80, 85)];
        for &(i, j) in &points {
            img[j * 96 + i] = [1.0, 1.0, 1.0, 1.0];
        }
        // The source image is on the canvas; put the same points there (scaled by the canvas focal length).
        let out = warp.warp_linear(&img);
        let centroid = |c: usize, near: (f32, f32)| {
            let (mut sx, mut sy, mut s) = (0.0f32, 0.0, 0.0);
            for j in 0..96 {
                for i in 0..96 {
                    let (u, v) = (i as f32 + 0.5, j as f32 + 0.5);
                    if (u - near.0).hypot(v - near.1) < 6.0 {
                        let e = out[j * 96 + i][c];
                        sx += e * u;
                        sy += e * v;
                        s += e;
                    }
                }
            }
            (sx / s, sy / s, s)
        };
        for &(i, j) in &points {
            // Where green lands: the canvas point mapped forward.
            let g = warp.canvas_to_output(i as f32 + 0.5, j as f32 + 0.5);
            let (gx, gy, _) = centroid(1, (g[0], g[1]));
            let (rx, ry, _) = centroid(0, (g[0], g[1]));
            let r = ((gx - 48.0).powi(2) + (gy - 48.0).powi(2)).sqrt();
            let shift = ((rx - 48.0).powi(2) + (ry - 48.0).powi(2)).sqrt() - r;
            assert!((shift - (rs - 1.0) * r).abs() < 0.05 * (rs - 1.0) * r + 0.02, "r {r}: shift {shift}");
        }
    }

    #[test]
    fn drops_show_the_scene_inverted_and_minified() {
        // A vertical gradient: brightness grows downward; inside a drop it grows upward, and faster.
        let k = pinhole(200, 200, 150.0);
        let mut img: Vec<[f32; 4]> = (0..200 * 200).map(|i| [(i / 200) as f32; 4]).collect();
        let drop = LensDrop { center: [100.0, 100.0], radius_px: 20.0 };
        apply_lens_drops(&mut img, &k, &[drop]);
        let at = |j: usize| img[j * 200 + 100][1];
        let slope = (at(110) - at(90)) / 20.0;
        assert!(slope < -2.0 * 0.92, "slope inside the drop {slope}");
        assert_eq!(at(150), 150.0);
    }
}
