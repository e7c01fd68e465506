//! The sensor and the image processing after it: auto-exposure (exposure time up to 1/fps, then analog gain,
//! then underexposure), photo-electrons, Poisson shot noise, read noise, row noise, clipping at the ADC's white
//! point and quantization; then a demosaic-free ISP (black level, white balance, exposure to display, the tone
//! curve of the renderer's clean path, sRGB, 8 bits).

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Normal, Poisson, StandardNormal};

/// Photons per second per m² per lux for broadband (white) light.
pub const PHOTONS_PER_LUX_S_M2: f64 = 1.0e16;
/// Quantum efficiency times the colour filter's transmission.
pub const QE_CFA: f64 = 0.2;
/// Raw level AE aims middle grey at (fraction of white).
pub const AE_TARGET: f64 = 0.15;
/// Full-well capacity behind one output pixel. A real sensor bins several photosites into an output pixel and
/// digitizes each; modelling the group as one 20,000 e⁻ well read by one ADC keeps read noise and quantization
/// where a 10-bit video pipeline has them, whatever the output resolution.
pub const FULL_WELL_E: f64 = 20_000.0;
/// The sensor's relative sensitivity per channel (red and blue see less than green under white light); the
/// ISP's white balance gains are their inverses.
pub const CHANNEL_SENSITIVITY: [f64; 3] = [1.0 / 2.0, 1.0, 1.0 / 1.7];
/// The sensor's colour filters do not match sRGB primaries: camera RGB = this x linear sRGB (rows sum to 1, so
/// grey stays grey). The ISP's colour-correction matrix is its inverse, which mixes the channels' noise.
pub const CAMERA_FROM_SRGB: [[f64; 3]; 3] = [[0.80, 0.16, 0.04], [0.08, 0.84, 0.08], [0.03, 0.17, 0.80]];

fn inverse3(m: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let c = |r: usize, k: usize| {
        let (r1, r2, k1, k2) = ((r + 1) % 3, (r + 2) % 3, (k + 1) % 3, (k + 2) % 3);
        m[r1][k1] * m[r2][k2] - m[r1][k2] * m[r2][k1]
    };
    let det: f64 = (0..3).map(|k| m[0][k] * c(0, k)).sum();
    let mut inv = [[0.0; 3]; 3];
    for (r, row) in inv.iter_mut().enumerate() {
        for (k, v) in row.iter_mut().enumerate() {
            *v = c(k, r) / det;
        }
    }
    inv
}

/// The camera body: the optics' speed and the photosite behind each output pixel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CameraBody {
    pub f_number: f64,
    /// Pixel pitch of one output pixel (m).
    pub pitch_m: f64,
    pub full_well_e: f64,
    pub max_gain: f64,
    pub fps: f64,
}

impl CameraBody {
    /// A phone-like camera (1/2.3" sensor, 6.17 mm wide, f/1.8) imaged to `width` output pixels.
    pub fn phone(width: u32, fps: f64, max_gain: f64) -> CameraBody {
        let pitch_m = 6.17e-3 / width as f64;
        CameraBody { f_number: 1.8, pitch_m, full_well_e: FULL_WELL_E, max_gain, fps }
    }

    /// Photo-electrons per second a surface of luminance `l_cd_m2` gives one pixel (green channel):
    /// sensor illuminance pi L / (4 N²), times pixel area, photon flux per lux and QE.
    pub fn electrons_per_s(&self, l_cd_m2: f64) -> f64 {
        let lux = std::f64::consts::PI * l_cd_m2 / (4.0 * self.f_number * self.f_number);
        lux * self.pitch_m * self.pitch_m * PHOTONS_PER_LUX_S_M2 * QE_CFA
    }

    /// Auto-exposure for a metered (middle-grey) luminance: exposure time up to 1/fps, then analog gain up to
    /// the maximum, then underexposure. Returns (exposure_s, gain, underexposure in EV).
    pub fn auto_exposure(&self, metered_cd_m2: f64) -> (f64, f64, f64) {
        let needed_e = AE_TARGET * self.full_well_e;
        let rate = self.electrons_per_s(metered_cd_m2);
        let t_max = 1.0 / self.fps;
        let t = (needed_e / rate).clamp(1.0 / 8000.0, t_max);
        let gain = (needed_e / (rate * t)).clamp(1.0, self.max_gain);
        let under = (needed_e / (rate * t * gain)).log2().max(0.0);
        (t, gain, under)
    }
}

/// What the sensor does for one frame, in electrons.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SensorFrame {
    /// Electrons a middle-grey (metered) surface gives a photosite over the exposure (green).
    pub mid_grey_e: f64,
    /// Electrons at the ADC's white point (full well over analog gain).
    pub white_e: f64,
    pub read_noise_e: f64,
    pub row_noise_e: f64,
    pub adc_bits: u32,
    /// Electrons the ISP maps to display middle grey (0.18): `mid_grey_e` when it restores brightness.
    pub display_mid_e: f64,
}

impl SensorFrame {
    /// Conversion gain K in digital numbers per electron.
    pub fn dn_per_e(&self) -> f64 {
        self.white_levels() / self.white_e
    }

    fn white_levels(&self) -> f64 {
        ((1u64 << self.adc_bits) - 1) as f64
    }

    /// Raw digital numbers of one plane of mean electron counts (row-major, `width` per row): Poisson shot
    /// noise (a normal with variance equal to the mean above 64 e⁻, where the two agree to the third moment),
    /// Gaussian read noise, one Gaussian offset per row, then conversion, rounding and clipping to the ADC's
    /// range.
    pub fn capture(&self, mean_e: &[f64], width: usize, rng: &mut impl Rng) -> Vec<f64> {
        let k = self.dn_per_e();
        let top = self.white_levels();
        let read = Normal::new(0.0, self.read_noise_e).expect("finite read noise");
        let mut out = Vec::with_capacity(mean_e.len());
        for row in mean_e.chunks(width) {
            let row_offset: f64 = self.row_noise_e * rng.sample::<f64, _>(StandardNormal);
            for &mu in row {
                let electrons = shot(mu, rng);
                let e = electrons + read.sample(rng) + row_offset;
                out.push((e * k).round().clamp(0.0, top));
            }
        }
        out
    }
}

fn shot(mu: f64, rng: &mut impl Rng) -> f64 {
    if mu <= 0.0 {
        0.0
    } else if mu > 64.0 {
        (mu + mu.sqrt() * rng.sample::<f64, _>(StandardNormal)).max(0.0)
    } else {
        Poisson::new(mu).expect("positive mean").sample(rng)
    }
}

/// Khronos PBR Neutral tone mapping, as the renderer's clean path applies it.
pub fn neutral(c: [f32; 3]) -> [f32; 3] {
    let start = 0.8 - 0.04;
    let desaturation = 0.15;
    let x = c[0].min(c[1]).min(c[2]);
    let offset = if x < 0.08 { x - 6.25 * x * x } else { 0.04 };
    let mut c = c.map(|v| v - offset);
    let peak = c[0].max(c[1]).max(c[2]);
    if peak < start {
        return c;
    }
    let d = 1.0 - start;
    let new_peak = 1.0 - d * d / (peak + d - start);
    c = c.map(|v| v * new_peak / peak);
    let g = 1.0 - 1.0 / (desaturation * (peak - new_peak) + 1.0);
    c.map(|v| v + (new_peak - v) * g)
}

pub fn srgb_encode(c: f32) -> f32 {
    if c <= 0.0031308 { c * 12.92 } else { 1.055 * c.max(0.0031308).powf(1.0 / 2.4) - 0.055 }
}

/// Display-linear colour (middle grey 0.18) to 8-bit sRGB through the tone curve.
pub fn display_to_srgb8(c: [f32; 3]) -> [u8; 3] {
    let t = neutral(c.map(|v| v.max(0.0)));
    t.map(|v| (srgb_encode(v.clamp(0.0, 1.0)).clamp(0.0, 1.0) * 255.0).round() as u8)
}

/// 8-bit sRGB to the encoder's Y'CbCr 4:2:0 (BT.709, limited range), as the renderer's clean path does it:
/// luma per pixel, chroma from the average of each 2 x 2 block's encoded colours. Returns (Y, Cb, Cr) planes
/// with rows `width` and `(width + 1) / 2` bytes long.
pub fn srgb8_to_yuv420(rgb: &[u8], width: usize, height: usize) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let at = |i: usize, j: usize| {
        let p = &rgb[(j.min(height - 1) * width + i.min(width - 1)) * 3..][..3];
        [p[0] as f32 / 255.0, p[1] as f32 / 255.0, p[2] as f32 / 255.0]
    };
    let mut y = Vec::with_capacity(width * height);
    for j in 0..height {
        for i in 0..width {
            let c = at(i, j);
            y.push((16.0 + 219.0 * (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2])).round() as u8);
        }
    }
    let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
    let (mut u, mut v) = (Vec::with_capacity(cw * ch), Vec::with_capacity(cw * ch));
    for j in 0..ch {
        for i in 0..cw {
            let mut c = [0.0f32; 3];
            for (di, dj) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                let p = at(2 * i + di, 2 * j + dj);
                for k in 0..3 {
                    c[k] += p[k] / 4.0;
                }
            }
            u.push((128.0 + 224.0 * (-0.1146 * c[0] - 0.3854 * c[1] + 0.5 * c[2])).round() as u8);
            v.push((128.0 + 224.0 * (0.5 * c[0] - 0.4542 * c[1] - 0.0458 * c[2])).round() as u8);
        }
    }
    (y, u, v)
}

/// The sensor and ISP over a linear image (RGBA, luminance per channel in cd/m²): each channel's mean
/// electrons (`radiance / metered * mid_grey_e * sensitivity`), captured with noise, then white balanced and
/// scaled so `display_mid_e` electrons give display middle grey. Returns display-linear RGB.
pub fn sense(
    linear: &[[f32; 4]],
    width: usize,
    metered_cd_m2: f64,
    frame: &SensorFrame,
    rng: &mut impl Rng,
) -> Vec<[f32; 3]> {
    let mut out = vec![[0.0f32; 3]; linear.len()];
    let k = frame.dn_per_e();
    // After white balance a channel that clipped in raw would tint highlights (a clipped green under unclipped
    // red and blue reads magenta); like camera ISPs, clip every channel at the balanced white point instead.
    let white = (frame.white_e / frame.display_mid_e * 0.18) as f32;
    let m = &CAMERA_FROM_SRGB;
    for c in 0..3 {
        let plane: Vec<f64> = linear
            .iter()
            .map(|p| {
                let camera_rgb = (0..3).map(|j| m[c][j] * p[j].max(0.0) as f64).sum::<f64>();
                camera_rgb / metered_cd_m2 * frame.mid_grey_e * CHANNEL_SENSITIVITY[c]
            })
            .collect();
        let dn = frame.capture(&plane, width, rng);
        for (o, d) in out.iter_mut().zip(dn) {
            o[c] = ((d / k / CHANNEL_SENSITIVITY[c] / frame.display_mid_e * 0.18) as f32).min(white);
        }
    }
    // Colour correction back to sRGB primaries, after white balance and the clip.
    let ccm = inverse3(m).map(|r| r.map(|v| v as f32));
    for o in &mut out {
        let c = *o;
        *o = [0, 1, 2].map(|r| ccm[r][0] * c[0] + ccm[r][1] * c[1] + ccm[r][2] * c[2]);
    }
    out
}

/// The noiseless ISP of the clean path: display-linear colour of a radiance, metered luminance to 0.18.
pub fn expose_clean(linear: &[[f32; 4]], metered_cd_m2: f64) -> Vec<[f32; 3]> {
    let gain = (0.18 / metered_cd_m2) as f32;
    linear.iter().map(|p| [p[0] * gain, p[1] * gain, p[2] * gain]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn frame(white_e: f64) -> SensorFrame {
        SensorFrame {
            mid_grey_e: 100.0,
            white_e,
            read_noise_e: 2.0,
            row_noise_e: 0.3,
            adc_bits: 12,
            display_mid_e: 100.0,
        }
    }

    /// Photon transfer: the temporal variance of a flat patch is affine in its mean, slope K (DN/e⁻), intercept
    /// K² sigma_read² + K² sigma_row² + 1/12; electrons have Fano factor 1.
    #[test]
    fn photon_transfer_curve_is_linear_with_slope_k() {
        let s = frame(8000.0);
        let k = s.dn_per_e();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (w, h) = (64usize, 64usize);
        let mut points = Vec::new();
        for level in [20.0, 50.0, 100.0, 200.0, 400.0, 800.0, 1600.0, 3200.0, 5000.0, 7000.0] {
            // Two frames of the same flat patch: the difference removes fixed patterns (none here) and gives
            // twice the temporal variance.
            let plane = vec![level; w * h];
            let a = s.capture(&plane, w, &mut rng);
            let b = s.capture(&plane, w, &mut rng);
            let mean = a.iter().chain(&b).sum::<f64>() / (2 * w * h) as f64;
            let diff_var = a.iter().zip(&b).map(|(x, y)| (x - y).powi(2)).sum::<f64>() / (w * h) as f64 / 2.0;
            points.push((mean, diff_var));
        }
        let n = points.len() as f64;
        let (mx, my) = (points.iter().map(|p| p.0).sum::<f64>() / n, points.iter().map(|p| p.1).sum::<f64>() / n);
        let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
        let syy: f64 = points.iter().map(|p| (p.1 - my).powi(2)).sum();
        let slope = sxy / sxx;
        let r2 = sxy * sxy / (sxx * syy);
        assert!((slope / k - 1.0).abs() < 0.03, "slope {slope} vs K {k}");
        assert!(r2 > 0.99, "R² {r2}");
        // The intercept (read noise, row noise and quantization), at the darkest patch where the fit's slope
        // error does not swamp it. Row offsets differ between the two frames, so they stay in the difference.
        let intercept = points[0].1 - k * points[0].0;
        let expected = k * k * (2.0f64.powi(2) + 0.3f64.powi(2)) + 1.0 / 12.0;
        assert!((intercept - expected).abs() < 0.1 * points[0].1, "intercept {intercept} vs {expected}");
    }

    #[test]
    fn electrons_have_fano_factor_one_and_frames_are_independent() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for mu in [3.0, 30.0, 300.0] {
            let x: Vec<f64> = (0..200_000).map(|_| shot(mu, &mut rng)).collect();
            let m = x.iter().sum::<f64>() / x.len() as f64;
            let v = x.iter().map(|e| (e - m).powi(2)).sum::<f64>() / x.len() as f64;
            assert!((v / m - 1.0).abs() < 0.02, "mu {mu}: Fano {}", v / m);
        }
        // Two frames of the same patch: their noise is uncorrelated, and uncorrelated between neighbours.
        let s = SensorFrame { row_noise_e: 0.0, ..frame(8000.0) };
        let plane = vec![1000.0; 128 * 128];
        let a = s.capture(&plane, 128, &mut rng);
        let b = s.capture(&plane, 128, &mut rng);
        let corr = |x: &[f64], y: &[f64]| {
            let (mx, my) = (x.iter().sum::<f64>() / x.len() as f64, y.iter().sum::<f64>() / y.len() as f64);
            let c: f64 = x.iter().zip(y).map(|(p, q)| (p - mx) * (q - my)).sum();
            let vx: f64 = x.iter().map(|p| (p - mx).powi(2)).sum();
            let vy: f64 = y.iter().map(|q| (q - my).powi(2)).sum();
            c / (vx * vy).sqrt()
        };
        assert!(corr(&a, &b).abs() < 0.03);
        assert!(corr(&a[1..], &a[..a.len() - 1]).abs() < 0.03, "lag-1 spatial correlation");
    }

    #[test]
    fn row_noise_shows_in_row_means_of_a_dark_frame() {
        let s = SensorFrame { read_noise_e: 1.0, row_noise_e: 3.0, ..frame(1000.0) };
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (w, h) = (512usize, 400usize);
        // A small pedestal keeps the clip at zero out of the way.
        let dn = s.capture(&vec![200.0; w * h], w, &mut rng);
        let k = s.dn_per_e();
        let means: Vec<f64> = dn.chunks(w).map(|r| r.iter().sum::<f64>() / w as f64 / k).collect();
        let m = means.iter().sum::<f64>() / h as f64;
        let var = means.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (h - 1) as f64;
        let per_pixel = 200.0 + 1.0 + 1.0 / 12.0 / (k * k);
        let row = var - per_pixel / w as f64;
        assert!((row.sqrt() - 3.0).abs() < 0.4, "row sigma {}", row.sqrt());
    }

    #[test]
    fn auto_exposure_lengthens_the_exposure_then_raises_gain_then_underexposes() {
        let body = CameraBody::phone(640, 30.0, 64.0);
        let bright = body.auto_exposure(5000.0);
        assert!(bright.0 < 1.0 / 30.0 && bright.1 == 1.0 && bright.2 == 0.0, "{bright:?}");
        let dim = body.auto_exposure(0.3);
        assert!(dim.0 == 1.0 / 30.0 && dim.1 > 1.0 && dim.1 <= 64.0, "{dim:?}");
        let dark = body.auto_exposure(0.001);
        assert!(dark.0 == 1.0 / 30.0 && dark.1 == 64.0 && dark.2 > 0.0, "{dark:?}");
        // Linearity: -1 EV of light halves the electrons.
        assert!((body.electrons_per_s(10.0) / body.electrons_per_s(5.0) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn the_isp_undoes_the_sensors_colour_and_white_balance() {
        // With millions of electrons (shot noise 0.1 %), sensor then ISP returns the clean exposure's colours.
        let s = SensorFrame {
            mid_grey_e: 1e6,
            white_e: 1e8,
            read_noise_e: 0.0,
            row_noise_e: 0.0,
            adc_bits: 24,
            display_mid_e: 1e6,
        };
        let linear = vec![[3.0f32, 1.0, 0.5, 1.0], [0.2, 0.4, 0.9, 1.0], [2.0, 2.0, 2.0, 1.0]];
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let got = sense(&linear, 3, 2.0, &s, &mut rng);
        let want = expose_clean(&linear, 2.0);
        for (g, w) in got.iter().zip(&want) {
            for c in 0..3 {
                assert!((g[c] - w[c]).abs() < 0.01 * w[c].max(0.05), "{got:?} vs {want:?}");
            }
        }
        let id = inverse3(&CAMERA_FROM_SRGB);
        let back: Vec<f64> = (0..3).map(|r| (0..3).map(|k| id[r][k] * CAMERA_FROM_SRGB[k][r]).sum()).collect();
        // The colour-correction matrix really is the inverse: (CCM x M) has a unit diagonal.
        assert!(back.iter().all(|v| (v - 1.0).abs() < 1e-12), "{back:?}");
    }

    #[test]
    fn noiseless_isp_round_trips_to_the_clean_exposure() {
        let s = SensorFrame {
            read_noise_e: 0.0,
            row_noise_e: 0.0,
            adc_bits: 16,
            mid_grey_e: 5000.0,
            white_e: 60000.0,
            display_mid_e: 5000.0,
        };
        let linear = vec![[3.0f32, 1.0, 0.5, 1.0], [0.2, 0.4, 0.9, 1.0]];
        // Without shot noise: a huge mean-free check through capture's rounding only.
        let k = s.dn_per_e();
        for p in &linear {
            for c in 0..3 {
                let e = p[c] as f64 / 2.0 * s.mid_grey_e * CHANNEL_SENSITIVITY[c];
                let back = (e * k).round() / k / CHANNEL_SENSITIVITY[c] / s.display_mid_e * 0.18;
                let clean = p[c] as f64 * 0.18 / 2.0;
                assert!((back - clean).abs() < 1e-3 * clean.max(0.01), "{back} vs {clean}");
            }
        }
        let clean = expose_clean(&linear, 2.0);
        assert!((clean[0][0] - 0.27).abs() < 1e-6);
    }

    #[test]
    fn neutral_tone_curve_keeps_darks_and_compresses_highlights() {
        let mid = neutral([0.18; 3]);
        assert!((mid[0] - 0.14).abs() < 1e-6);
        let hi = neutral([4.0; 3]);
        assert!(hi[0] < 1.0 && hi[0] > 0.9);
        assert_eq!(display_to_srgb8([0.0; 3]), [0, 0, 0]);
    }
}
