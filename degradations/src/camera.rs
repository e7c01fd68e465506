//! The camera model of one scene: a resolved degradation set turned into what the renderer must integrate
//! (exposure time, rolling-shutter readout, lens samples, the medium, the pinhole canvas a distorting lens
//! needs) and what happens to each rendered frame on the CPU afterwards, in the order of image formation:
//! particles (medium) -> distortion, chromatic aberration, drops on the lens, vignetting (optics) -> sensor
//! (binning for low resolution, photo-electrons, noise) -> ISP -> codec (JPEG per frame; video codecs are the
//! emitter's). Every frame's record lists what was applied with its physical parameters.

use std::collections::BTreeMap;

use rand::Rng;

use crate::digital::{bin_area, binned_size, jpeg_encode, resize_bilinear};
use crate::optics::{
    Distortion, LensDrop, Pinhole, PixelWarp, ThinLens, apply_lens_drops, chromatic_scales, disk_samples, lens_drops,
    vignetting,
};
use crate::sensor::{AE_TARGET, CameraBody, SensorFrame, display_to_srgb8, expose_clean, sense};
use crate::spec::{Kind, Resolved};
use crate::weather::{CameraAt, ParticleField, Precipitation, StreakTarget, beta_for_mor, draw_particles};
use crate::{AppliedDegradation, check_chain};

/// Most sub-frames (time and lens samples) one frame integrates.
pub const MAX_SUBFRAMES: usize = 32;
/// Depth (m) of the point whose image motion sets the motion-blur exposure (a typical indoor distance).
pub const BLUR_REFERENCE_DEPTH_M: f64 = 2.5;

/// The video codec a set asks the emitter for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VideoCodec {
    H264 { crf: u32 },
    H265 { crf: u32 },
    H264Bitrate { bits_per_s: u64 },
}

/// How the sensor runs for a set with a sensor-stage degradation.
#[derive(Debug, Clone, Copy, PartialEq)]
enum SensorMode {
    LowLight { electrons_mid_grey: f64, read_noise_e: f64, row_noise_e: f64, adc_bits: u32 },
    OverExposure { ev: f64 },
    Noise { shot_a: f64, read_b: f64, adc_bits: u32 },
}

/// One sub-frame of an exposure: its time from the frame's instant and its lens sample (metres in the camera's
/// x, y; zero without defocus).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SubFrame {
    pub dt_s: f64,
    pub lens_m: [f32; 2],
}

/// One scene's camera model.
#[derive(Debug, Clone)]
pub struct CameraModel {
    pub set: Vec<Resolved>,
    pub output: Pinhole,
    pub fps: f64,
    /// How long the shutter is open, when the renderer integrates it (motion blur, low light); None: an
    /// instant.
    pub exposure_s: Option<f64>,
    pub readout_s: f64,
    pub lens: Option<ThinLens>,
    pub subframes: usize,
    pub warp: Option<PixelWarp>,
    vignetting: Option<f32>,
    precipitation: Option<(ParticleField, f64)>,
    drops: Vec<LensDrop>,
    /// Drops rain leaves on the lens while the camera is outdoors (when the set has no explicit water_drops).
    rain_drops: Vec<LensDrop>,
    sensor: Option<SensorMode>,
    body: CameraBody,
    low_res: Option<f32>,
    jpeg: Option<u8>,
    pub codec: Option<VideoCodec>,
}

/// Per-frame inputs the camera model needs from the simulation.
pub struct FrameInput<'a> {
    pub k: u32,
    /// Linear radiance integrated by the renderer over the exposure (canvas), RGBA.
    pub linear: &'a [[f32; 4]],
    /// z-depth (m) at the frame's instant (canvas); 0 for sky.
    pub depth_m: &'a [f32],
    /// The metered (middle-grey) luminance of the frame (cd/m²).
    pub metered_cd_m2: f64,
    /// The airlight the renderer's medium used (luminance, cd/m²).
    pub airlight_cd_m2: f64,
    /// The camera at shutter open and close, and those instants (scene time, s).
    pub open: CameraAt,
    pub close: CameraAt,
    pub t_open_s: f64,
    pub t_close_s: f64,
    /// Whether a world point is outdoors (rain and snow fall only there).
    pub outdoors: &'a dyn Fn([f64; 3]) -> bool,
    /// Whether the camera itself is outdoors (rain then wets its lens).
    pub camera_outdoors: bool,
    /// The image-centre speed (px/s) of the camera at this frame (for the blur record).
    pub centre_speed_px_s: f64,
}

pub struct FrameOutput {
    /// The frame as the model sees it: 8-bit sRGB, after a per-frame JPEG when the set has one.
    pub rgb8: Vec<u8>,
    /// That JPEG's bytes (a still is written as this file).
    pub jpeg: Option<Vec<u8>>,
    pub applied: Vec<AppliedDegradation>,
}

#[derive(Debug, thiserror::Error)]
pub enum CameraError {
    #[error(
        "the lens of `{0}` folds the image over or turns rays backwards at the image's border; use milder coefficients"
    )]
    BadDistortion(&'static str),
    #[error("JPEG round trip failed: {0}")]
    Jpeg(String),
}

impl CameraModel {
    /// Turns a resolved set into the scene's camera model. `centre_speed_px_s` is each frame's image-centre
    /// speed, which sets the exposure a blur level needs; `seed` draws the drops on the lens and the particles.
    pub fn new(
        set: Vec<Resolved>,
        output: Pinhole,
        fps: f64,
        centre_speed_px_s: &[f64],
        seed: u64,
        rng: &mut impl Rng,
    ) -> Result<CameraModel, CameraError> {
        let find = |k: Kind| set.iter().find(|r| r.kind == k);
        let width_scale = output.width as f64 / 1920.0;
        let t_max = 1.0 / fps;
        let mut exposure_s = None;
        if let Some(r) = find(Kind::MotionBlur) {
            let t = if r.get("exposure_s").is_finite() {
                r.get("exposure_s")
            } else {
                let mut speeds: Vec<f64> = centre_speed_px_s.iter().copied().filter(|s| s.is_finite()).collect();
                speeds.sort_by(f64::total_cmp);
                let median = speeds.get(speeds.len() / 2).copied().unwrap_or(0.0);
                if median > 0.0 { r.get("blur_px_1920") * width_scale / median } else { t_max }
            };
            exposure_s = Some(t.min(t_max));
        }
        let sensor = if let Some(r) = find(Kind::LowLight) {
            // In the dark, auto-exposure has already opened the shutter to 1/fps.
            exposure_s = Some(t_max);
            Some(SensorMode::LowLight {
                electrons_mid_grey: r.get("electrons_mid_grey"),
                read_noise_e: r.get("read_noise_e"),
                row_noise_e: r.get("row_noise_e"),
                adc_bits: r.get("adc_bits") as u32,
            })
        } else if let Some(r) = find(Kind::OverExposure) {
            Some(SensorMode::OverExposure { ev: r.get("ev") })
        } else if let Some(r) = find(Kind::SensorNoise) {
            let a = r.get("shot_a");
            // Brooks et al.: log b = 2.18 log a + 1.20 (the mean of their fit).
            let b = if r.get("read_b").is_finite() { r.get("read_b") } else { (2.18 * a.ln() + 1.20).exp() };
            Some(SensorMode::Noise { shot_a: a, read_b: b, adc_bits: r.get("adc_bits") as u32 })
        } else {
            None
        };
        let max_gain = find(Kind::LowLight).map_or(64.0, |r| r.get("max_gain"));
        let readout_s = find(Kind::RollingShutter).map_or(0.0, |r| r.get("readout_s").min(t_max));
        let lens = find(Kind::Defocus).map(|r| {
            ThinLens::for_coc_at_infinity(
                (r.get("coc_px_1920") * width_scale) as f32,
                r.get("focus_distance_m") as f32,
                output.fx,
            )
        });
        // Sub-frames: enough that a blur step stays near half a pixel (up to the cap), a rolling shutter's rows
        // see distinct instants, and the aperture is sampled densely for the disk's size.
        let mut subframes = 0usize;
        if let Some(t) = exposure_s {
            let fastest = centre_speed_px_s.iter().copied().filter(|s| s.is_finite()).fold(0.0, f64::max);
            subframes = subframes.max((2.0 * fastest * t).ceil() as usize).max(4);
        }
        if readout_s > 0.0 {
            subframes = subframes.max(16);
        }
        if let Some(lens) = lens {
            let coc = lens.coc_px(output.fx, 1e9) as f64;
            subframes = subframes.max(((coc * coc) / 3.0).ceil() as usize).max(8);
        }
        let subframes = subframes.clamp(1, MAX_SUBFRAMES);

        let distortion = if let Some(r) = find(Kind::Distortion) {
            if r.get("corner_pct").is_finite() {
                let r_corner = ((output.width as f64 / 2.0 / output.fx as f64).powi(2)
                    + (output.height as f64 / 2.0 / output.fy as f64).powi(2))
                .sqrt();
                Some(Distortion::radial_for_corner(r.get("corner_pct") as f32, r_corner as f32))
            } else {
                let g = |n| r.get(n) as f32;
                Some(Distortion::BrownConrady { k1: g("k1"), k2: g("k2"), p1: g("p1"), p2: g("p2"), k3: g("k3") })
            }
        } else {
            find(Kind::Fisheye).map(|r| {
                let g = |n| r.get(n) as f32;
                Distortion::Fisheye { k1: g("k1"), k2: g("k2"), k3: g("k3"), k4: g("k4") }
            })
        };
        let (red, blue) = find(Kind::ChromaticAberration).map_or((1.0, 1.0), |r| {
            chromatic_scales((r.get("corner_shift_px_1080") * output.height as f64 / 1080.0) as f32, &output)
        });
        let warp = if distortion.is_some() || red != 1.0 {
            let w = PixelWarp::new(output, distortion, red, blue);
            // A lens whose border rays need a canvas twenty times wider than the output is no camera.
            if w.canvas_scale < 0.05 {
                let name = if find(Kind::Fisheye).is_some() { "fisheye" } else { "distortion" };
                return Err(CameraError::BadDistortion(name));
            }
            Some(w)
        } else {
            None
        };
        let precipitation = if let Some(r) = find(Kind::Rain) {
            Some((
                ParticleField::new(Precipitation::Rain { rate_mm_h: r.get("rate_mm_h") }, seed),
                r.get("near_field_m"),
            ))
        } else {
            find(Kind::Snow)
                .map(|r| (ParticleField::new(Precipitation::snow_for_mor(r.get("mor_m")), seed), r.get("near_field_m")))
        };
        let drops = find(Kind::WaterDrops)
            .map(|r| lens_drops((r.get("coverage_pct") / 100.0) as f32, &output, rng))
            .unwrap_or_default();
        // Rain wets a lens that is out in it: coverage grows with the rate, 2 % + 0.2 % per mm/h, at most 35 %.
        let rain_drops = match (find(Kind::Rain), find(Kind::WaterDrops)) {
            (Some(r), None) => lens_drops(rain_lens_coverage(r.get("rate_mm_h")) as f32, &output, rng),
            _ => Vec::new(),
        };
        let codec = if let Some(r) = find(Kind::H264) {
            Some(VideoCodec::H264 { crf: r.get("crf").round() as u32 })
        } else if let Some(r) = find(Kind::H265) {
            Some(VideoCodec::H265 { crf: r.get("crf").round() as u32 })
        } else {
            find(Kind::Bitrate).map(|r| {
                // The same bits per pixel per second as the 1080p30 target.
                let scale = (output.width * output.height) as f64 / (1920.0 * 1080.0) * fps / 30.0;
                VideoCodec::H264Bitrate { bits_per_s: (r.get("mbps_1080p30") * 1e6 * scale).round().max(1000.0) as u64 }
            })
        };
        Ok(CameraModel {
            output,
            fps,
            exposure_s,
            readout_s,
            lens,
            subframes,
            warp,
            vignetting: find(Kind::Vignetting).map(|r| r.get("corner_illumination") as f32),
            precipitation,
            drops,
            rain_drops,
            sensor,
            body: CameraBody::phone(output.width, fps, max_gain),
            low_res: find(Kind::LowRes).map(|r| r.get("scale") as f32),
            jpeg: find(Kind::Jpeg).map(|r| r.get("quality").round() as u8),
            codec,
            set,
        })
    }

    /// The pinhole the renderer draws with: the output's, or a wider canvas for a distorting lens.
    pub fn canvas(&self) -> Pinhole {
        self.warp.as_ref().map_or(self.output, |w| w.canvas)
    }

    /// The whole shutter window (exposure plus readout), seconds.
    pub fn window_s(&self) -> f64 {
        self.exposure_s.unwrap_or(0.0) + self.readout_s
    }

    /// The sub-frames of every exposure: instants spread evenly over the window (midpoints of equal slices,
    /// centred on the frame's instant), each paired with a lens sample (a Vogel spiral walked in a
    /// co-prime stride, so time and aperture position are not correlated).
    pub fn subframe_plan(&self) -> Vec<SubFrame> {
        let n = self.subframes;
        let window = self.window_s();
        let disk = disk_samples(n);
        let stride =
            (1..n.max(2)).rev().find(|s| gcd(*s, n) == 1 && *s <= (n as f64 * 0.618).ceil() as usize).unwrap_or(1);
        (0..n)
            .map(|i| SubFrame {
                dt_s: ((i as f64 + 0.5) / n as f64 - 0.5) * window,
                lens_m: self.lens.map_or([0.0; 2], |l| l.lens_offset_m(disk[(i * stride) % n])),
            })
            .collect()
    }

    /// The medium the renderer puts along every ray: `[beta, airlight rgb]`. Outdoor fog scatters the sky's
    /// light (its airlight is the sky radiance `sky`, or the metered luminance when there is no sky); indoor
    /// haze scatters the room's (the metered luminance): the uniform-illumination limit of in-scattering. Both
    /// together add their extinctions and mix their airlights by extinction.
    pub fn medium(&self, metered_cd_m2: f64, sky: [f32; 3]) -> [f32; 4] {
        let m = metered_cd_m2 as f32;
        let fog_air = if sky.iter().any(|c| *c > 0.0) { sky } else { [m; 3] };
        let parts: Vec<(f32, [f32; 3])> = [
            self.find(Kind::Fog).map(|r| (beta_for_mor(r.get("mor_m")) as f32, fog_air)),
            self.find(Kind::Haze).map(|r| (beta_for_mor(r.get("mor_m")) as f32, [m; 3])),
        ]
        .into_iter()
        .flatten()
        .collect();
        let beta: f32 = parts.iter().map(|p| p.0).sum();
        if beta <= 0.0 {
            return [0.0; 4];
        }
        let air = [0, 1, 2].map(|c| parts.iter().map(|p| p.0 * p.1[c]).sum::<f32>() / beta);
        [beta, air[0], air[1], air[2]]
    }

    /// Whether frames need the CPU camera model at all (else the renderer's own clean finish is exact).
    pub fn is_clean(&self) -> bool {
        self.set.iter().all(|r| matches!(r.kind, Kind::H264 | Kind::H265 | Kind::Bitrate))
    }

    /// Forms the frame's image from the rendered linear radiance and returns it with its record.
    pub fn process(&self, input: &FrameInput<'_>, rng: &mut impl Rng) -> Result<FrameOutput, CameraError> {
        let canvas = self.canvas();
        let mut params: BTreeMap<Kind, BTreeMap<String, f64>> = BTreeMap::new();
        let mut img = input.linear.to_vec();

        // (1) Medium: fog and haze were rendered per sub-frame; particles are drawn here.
        for kind in [Kind::Fog, Kind::Haze] {
            if let Some(r) = self.find(kind) {
                let beta = beta_for_mor(r.get("mor_m"));
                params.insert(
                    kind,
                    rec(&[("mor_m", r.get("mor_m")), ("beta_per_m", beta), ("airlight_cd_m2", input.metered_cd_m2)]),
                );
            }
        }
        if let Some((field, near)) = &self.precipitation {
            let radiance = particle_radiance(&img, input.depth_m, field.precipitation.is_snow());
            let mut target = StreakTarget {
                image: &mut img,
                depth_m: input.depth_m,
                width: canvas.width,
                height: canvas.height,
                fx: canvas.fx as f64,
                fy: canvas.fy as f64,
                cx: canvas.cx as f64,
                cy: canvas.cy as f64,
            };
            // Streaks last the exposure: the one the renderer integrated, or else the one auto-exposure picks
            // for this light (the frame itself is then rendered as an instant).
            let (t0, t1) = if self.exposure_s.is_some() {
                (input.t_open_s, input.t_close_s)
            } else {
                let mid = (input.t_open_s + input.t_close_s) / 2.0;
                let t = self.body.auto_exposure(input.metered_cd_m2).0;
                (mid - t / 2.0, mid + t / 2.0)
            };
            let stats =
                draw_particles(field, &mut target, &input.open, &input.close, t0, t1, *near, radiance, input.outdoors);
            let p = field.precipitation;
            let (kind, rate) = match p {
                Precipitation::Rain { rate_mm_h } => (Kind::Rain, rate_mm_h),
                Precipitation::Snow { rate_mm_h } => (Kind::Snow, rate_mm_h),
            };
            let mut m = rec(&[
                ("rate_mm_h", rate),
                ("density_per_m3", p.density_per_m3()),
                ("extinction_per_m", p.extinction_per_m()),
                ("mor_m", crate::weather::mor_for_beta(p.extinction_per_m())),
                ("near_field_m", *near),
                ("particles_drawn", stats.particles as f64),
                ("mean_streak_px", stats.mean_streak_px),
                ("streak_time_s", t1 - t0),
            ]);
            if kind == Kind::Snow {
                m.insert("flake_over_melted_diameter".into(), crate::weather::FLAKE_OVER_MELTED);
            }
            params.insert(kind, m);
        }

        // (2) Optics.
        if let Some(lens) = &self.lens {
            let r = self.find(Kind::Defocus).expect("lens from defocus");
            let f_px = self.output.fx as f64;
            let pitch_m = r.get("sensor_width_mm") * 1e-3 / self.output.width as f64;
            let focal_m = f_px * pitch_m;
            let mut depths: Vec<f32> = input.depth_m.iter().copied().filter(|d| *d > 0.0).collect();
            let median = quantile(&mut depths, 1, 2).unwrap_or(0.0);
            params.insert(
                Kind::Defocus,
                rec(&[
                    ("focus_distance_m", lens.focus_distance_m as f64),
                    ("aperture_m", lens.aperture_m as f64),
                    ("focal_length_mm", focal_m * 1e3),
                    ("f_number", focal_m / lens.aperture_m as f64),
                    ("coc_px_at_infinity", lens.coc_px(self.output.fx, 1e9) as f64),
                    (
                        "coc_px_at_median_depth",
                        if median > 0.0 { lens.coc_px(self.output.fx, median) as f64 } else { f64::NAN },
                    ),
                    ("lens_samples", self.subframes as f64),
                ]),
            );
        }
        if let Some(warp) = &self.warp {
            img = warp.warp_linear(&img);
            match warp.distortion {
                Some(Distortion::BrownConrady { k1, k2, p1, p2, k3 }) => {
                    let r = self.find(Kind::Distortion).expect("distortion");
                    params.insert(
                        Kind::Distortion,
                        rec(&[
                            ("k1", k1 as f64),
                            ("k2", k2 as f64),
                            ("p1", p1 as f64),
                            ("p2", p2 as f64),
                            ("k3", k3 as f64),
                            ("corner_pct", r.get("corner_pct")),
                            ("canvas_scale", warp.canvas_scale as f64),
                        ]),
                    );
                }
                Some(Distortion::Fisheye { k1, k2, k3, k4 }) => {
                    params.insert(
                        Kind::Fisheye,
                        rec(&[
                            ("k1", k1 as f64),
                            ("k2", k2 as f64),
                            ("k3", k3 as f64),
                            ("k4", k4 as f64),
                            ("canvas_scale", warp.canvas_scale as f64),
                        ]),
                    );
                }
                None => {}
            }
            if let Some(r) = self.find(Kind::ChromaticAberration) {
                params.insert(
                    Kind::ChromaticAberration,
                    rec(&[
                        ("corner_shift_px", r.get("corner_shift_px_1080") * self.output.height as f64 / 1080.0),
                        ("red_scale", warp.red_scale as f64),
                        ("blue_scale", warp.blue_scale as f64),
                    ]),
                );
            }
        }
        if input.camera_outdoors && !self.rain_drops.is_empty() {
            apply_lens_drops(&mut img, &self.output, &self.rain_drops);
            if let Some(m) = params.get_mut(&Kind::Rain) {
                let rate = self.find(Kind::Rain).map_or(0.0, |r| r.get("rate_mm_h"));
                m.insert("lens_coverage_pct".into(), 100.0 * rain_lens_coverage(rate));
                m.insert("lens_drops".into(), self.rain_drops.len() as f64);
            }
        }
        if !self.drops.is_empty() {
            apply_lens_drops(&mut img, &self.output, &self.drops);
            let r = self.find(Kind::WaterDrops).expect("drops");
            params.insert(
                Kind::WaterDrops,
                rec(&[("coverage_pct", r.get("coverage_pct")), ("drops", self.drops.len() as f64)]),
            );
        }
        if let Some(corner) = self.vignetting {
            let k = &self.output;
            for (i, p) in img.iter_mut().enumerate() {
                let (u, v) = ((i % k.width as usize) as f32 + 0.5, (i / k.width as usize) as f32 + 0.5);
                let g = vignetting(corner, k, u, v);
                for c in 0..3 {
                    p[c] *= g;
                }
            }
            params.insert(Kind::Vignetting, rec(&[("corner_illumination", corner as f64)]));
        }

        // (3) Shutter: integrated by the renderer; recorded here.
        if let Some(t) = self.exposure_s
            && self.find(Kind::MotionBlur).is_some()
        {
            params.insert(
                Kind::MotionBlur,
                rec(&[
                    ("exposure_s", t),
                    ("blur_px", input.centre_speed_px_s * t),
                    ("subframes", self.subframes as f64),
                    ("reference_depth_m", BLUR_REFERENCE_DEPTH_M),
                ]),
            );
        }
        if self.readout_s > 0.0 {
            params.insert(
                Kind::RollingShutter,
                rec(&[("readout_s", self.readout_s), ("line_time_s", self.readout_s / self.output.height as f64)]),
            );
        }

        // (4) Sensor: low resolution first (larger photosites integrate more area), then electrons and noise.
        let (w, h) = (self.output.width as usize, self.output.height as usize);
        let (sw, sh) = self.low_res.map_or((w, h), |s| binned_size(w, h, s));
        if self.low_res.is_some() {
            img = bin_area(&img, w, h, sw, sh);
            let r = self.find(Kind::LowRes).expect("low_res");
            params.insert(
                Kind::LowRes,
                rec(&[("scale", r.get("scale")), ("sensor_width_px", sw as f64), ("sensor_height_px", sh as f64)]),
            );
        }
        let mut display = match self.sensor_frame(input.metered_cd_m2, &mut params) {
            Some(frame) => sense(&img, sw, input.metered_cd_m2, &frame, rng),
            None => expose_clean(&img, input.metered_cd_m2),
        };
        // (5) ISP: the display's resize of a low-resolution sensor, tone curve, 8 bits.
        if self.low_res.is_some() {
            display = resize_bilinear(&display, sw, sh, w, h);
        }
        let mut rgb8: Vec<u8> = display.iter().flat_map(|c| display_to_srgb8(*c)).collect();
        // (6) Codec: JPEG per frame (video codecs are applied by the emitter to the whole clip).
        let mut jpeg = None;
        if let Some(q) = self.jpeg {
            let bytes = jpeg_encode(&rgb8, w as u32, h as u32, q).map_err(|e| CameraError::Jpeg(e.to_string()))?;
            rgb8 = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
                .map_err(|e| CameraError::Jpeg(e.to_string()))?
                .to_rgb8()
                .into_raw();
            params.insert(Kind::Jpeg, rec(&[("quality", q as f64), ("bytes", bytes.len() as f64)]));
            jpeg = Some(bytes);
        }
        if let Some((kind, name, value)) = self.codec_param() {
            params.insert(kind, rec(&[(name, value)]));
        }
        let mut applied: Vec<AppliedDegradation> = params
            .into_iter()
            .map(|(kind, params)| AppliedDegradation {
                kind: kind.name().to_string(),
                stage: kind.stage(),
                severity: self.find(kind).and_then(|r| r.severity),
                params,
            })
            .collect();
        applied.sort_by_key(|a| (a.stage, Kind::parse(&a.kind)));
        debug_assert_eq!(check_chain(&applied), Ok(()));
        Ok(FrameOutput { rgb8, jpeg, applied })
    }

    /// The video codec's type and its one parameter.
    fn codec_param(&self) -> Option<(Kind, &'static str, f64)> {
        Some(match self.codec? {
            VideoCodec::H264 { crf } => (Kind::H264, "crf", crf as f64),
            VideoCodec::H265 { crf } => (Kind::H265, "crf", crf as f64),
            VideoCodec::H264Bitrate { bits_per_s } => (Kind::Bitrate, "bits_per_s", bits_per_s as f64),
        })
    }

    /// The record of the video codec alone, for frames the renderer finished itself (a codec-only set).
    pub fn codec_record(&self) -> Option<AppliedDegradation> {
        let (kind, name, value) = self.codec_param()?;
        Some(AppliedDegradation {
            kind: kind.name().to_string(),
            stage: kind.stage(),
            severity: self.find(kind).and_then(|r| r.severity),
            params: rec(&[(name, value)]),
        })
    }

    fn find(&self, kind: Kind) -> Option<&Resolved> {
        self.set.iter().find(|r| r.kind == kind)
    }

    /// This frame's sensor settings (auto-exposure from the metered luminance), recorded into `params`.
    fn sensor_frame(&self, metered: f64, params: &mut BTreeMap<Kind, BTreeMap<String, f64>>) -> Option<SensorFrame> {
        let body = &self.body;
        let fw = body.full_well_e;
        let frame = match self.sensor? {
            SensorMode::LowLight { electrons_mid_grey: e, read_noise_e, row_noise_e, adc_bits } => {
                let t = 1.0 / self.fps;
                let gain = (AE_TARGET * fw / e).clamp(1.0, body.max_gain);
                let light_scale = e / (body.electrons_per_s(metered) * t);
                params.insert(
                    Kind::LowLight,
                    rec(&[
                        ("electrons_mid_grey", e),
                        ("exposure_s", t),
                        ("analog_gain", gain),
                        ("iso", 100.0 * gain),
                        ("underexposure_ev", (AE_TARGET * fw / (e * gain)).log2().max(0.0)),
                        ("scene_light_scale", light_scale),
                        ("mid_grey_luminance_cd_m2", metered * light_scale),
                        ("snr_mid_grey", e / (e + read_noise_e * read_noise_e + row_noise_e * row_noise_e).sqrt()),
                        ("read_noise_e", read_noise_e),
                        ("row_noise_e", row_noise_e),
                        ("full_well_e", fw),
                        ("adc_bits", adc_bits as f64),
                    ]),
                );
                SensorFrame { mid_grey_e: e, white_e: fw / gain, read_noise_e, row_noise_e, adc_bits, display_mid_e: e }
            }
            SensorMode::OverExposure { ev } => {
                let (t, gain, _) = body.auto_exposure(metered);
                let white_e = fw / gain;
                let normal = AE_TARGET * white_e;
                params.insert(
                    Kind::OverExposure,
                    rec(&[
                        ("ev", ev),
                        ("exposure_s", t),
                        ("analog_gain", gain * 2f64.powf(ev)),
                        ("clipped_above_display", 0.18 / AE_TARGET / 2f64.powf(ev)),
                    ]),
                );
                SensorFrame {
                    mid_grey_e: normal * 2f64.powf(ev),
                    white_e,
                    read_noise_e: 2.0,
                    row_noise_e: 0.0,
                    adc_bits: 12,
                    display_mid_e: normal,
                }
            }
            SensorMode::Noise { shot_a, read_b, adc_bits } => {
                let white_e = 1.0 / shot_a;
                let read_noise_e = read_b.sqrt() * white_e;
                params.insert(
                    Kind::SensorNoise,
                    rec(&[
                        ("shot_a", shot_a),
                        ("read_b", read_b),
                        ("white_e", white_e),
                        ("read_noise_e", read_noise_e),
                        ("adc_bits", adc_bits as f64),
                    ]),
                );
                let mid = AE_TARGET * white_e;
                SensorFrame { mid_grey_e: mid, white_e, read_noise_e, row_noise_e: 0.0, adc_bits, display_mid_e: mid }
            }
        };
        Some(frame)
    }
}

/// Share of the image rain-drops cover on a lens out in rain of `rate_mm_h`.
fn rain_lens_coverage(rate_mm_h: f64) -> f64 {
    ((2.0 + 0.2 * rate_mm_h) / 100.0).min(0.35)
}

fn rec(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// A falling drop acts as a wide-angle lens: its radiance is about the mean of what surrounds it (Garg and
/// Nayar), approximated by half the sky's mean (its upper hemisphere) plus half the frame's (the ground); a
/// flake is a bright diffuser, lit like the brightest tenth of the view (the sky, the lit façade).
fn particle_radiance(img: &[[f32; 4]], depth: &[f32], snow: bool) -> [f32; 3] {
    if snow {
        let mut lum: Vec<f32> = img.iter().map(|p| 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2]).collect();
        return [0.9 * quantile(&mut lum, 9, 10).unwrap_or(0.0); 3];
    }
    // Outdoors the upper half of a drop's view is sky: the mean of the sky the frame shows, else of the frame.
    let mean = |px: &mut dyn Iterator<Item = &[f32; 4]>| {
        let (mut sum, mut n) = ([0.0f32; 3], 0usize);
        for p in px {
            (0..3).for_each(|c| sum[c] += p[c]);
            n += 1;
        }
        (n > 0).then(|| sum.map(|v| v / n as f32))
    };
    let frame = mean(&mut img.iter()).unwrap_or([0.0; 3]);
    match mean(&mut img.iter().zip(depth).filter(|(_, d)| **d == 0.0).map(|(p, _)| p)) {
        Some(sky) => [0, 1, 2].map(|c| 0.5 * sky[c] + 0.5 * frame[c]),
        None => frame,
    }
}

/// The value at fraction `num / den` of `values` in sorted order (reorders them; linear time, once per frame).
fn quantile(values: &mut [f32], num: usize, den: usize) -> Option<f32> {
    if values.is_empty() {
        return None;
    }
    let at = (values.len() * num / den).min(values.len() - 1);
    Some(*values.select_nth_unstable_by(at, f32::total_cmp).1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{DegradationSpec, resolve_set};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn pinhole() -> Pinhole {
        Pinhole { fx: 80.0, fy: 80.0, cx: 48.0, cy: 32.0, width: 96, height: 64 }
    }

    fn model(entries: &[(&str, u8)]) -> CameraModel {
        let set: Vec<DegradationSpec> = entries
            .iter()
            .map(|(k, s)| DegradationSpec { kind: k.to_string(), severity: Some(*s), params: Default::default() })
            .collect();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        CameraModel::new(resolve_set(&set).unwrap(), pinhole(), 30.0, &[200.0; 10], 1, &mut rng).unwrap()
    }

    fn run(m: &CameraModel, linear: &[[f32; 4]], seed: u64) -> FrameOutput {
        let cam = CameraAt {
            world_from_camera: [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]],
            position: [0.0, 0.0, 1.5],
        };
        let depth = vec![3.0f32; linear.len()];
        let input = FrameInput {
            k: 0,
            linear,
            depth_m: &depth,
            metered_cd_m2: 10.0,
            airlight_cd_m2: 10.0,
            open: cam,
            close: cam,
            t_open_s: 0.0,
            t_close_s: 0.0,
            outdoors: &|_| false,
            camera_outdoors: false,
            centre_speed_px_s: 200.0,
        };
        m.process(&input, &mut ChaCha8Rng::seed_from_u64(seed)).unwrap()
    }

    #[test]
    fn motion_blur_level_sets_the_exposure_from_the_cameras_speed() {
        let m = model(&[("motion_blur", 3)]);
        // 12 px at 1920 is 0.6 px at 96 wide; the centre moves 200 px/s.
        assert!((m.exposure_s.unwrap() - 12.0 * 96.0 / 1920.0 / 200.0).abs() < 1e-12);
        let plan = m.subframe_plan();
        assert!((plan.iter().map(|s| s.dt_s).sum::<f64>()).abs() < 1e-12, "centred on the frame's instant");
        assert!(plan.iter().all(|s| s.lens_m == [0.0, 0.0]));
    }

    #[test]
    fn low_light_opens_the_shutter_and_adds_noise_that_grows_with_severity() {
        let flat = vec![[10.0f32, 10.0, 10.0, 1.0]; 96 * 64];
        let clean = run(&model(&[]), &flat, 1).rgb8;
        let spread = |img: &[u8]| {
            let g: Vec<f64> = img.chunks(3).map(|p| p[1] as f64).collect();
            let m = g.iter().sum::<f64>() / g.len() as f64;
            (g.iter().map(|x| (x - m).powi(2)).sum::<f64>() / g.len() as f64).sqrt()
        };
        assert_eq!(spread(&clean), 0.0);
        let mut last = 0.0;
        for level in [1, 3, 5] {
            let m = model(&[("low_light", level)]);
            assert_eq!(m.exposure_s, Some(1.0 / 30.0));
            let out = run(&m, &flat, 1);
            let s = spread(&out.rgb8);
            assert!(s > last, "level {level}: spread {s} after {last}");
            last = s;
            let rec = &out.applied[0];
            assert_eq!((rec.kind.as_str(), rec.severity), ("low_light", Some(level)));
            assert!(rec.params["analog_gain"] <= 64.0);
        }
    }

    #[test]
    fn noise_is_seeded_and_changes_with_the_frames_stream() {
        let flat = vec![[10.0f32, 8.0, 6.0, 1.0]; 96 * 64];
        let m = model(&[("sensor_noise", 4), ("jpeg", 2)]);
        assert_eq!(run(&m, &flat, 5).rgb8, run(&m, &flat, 5).rgb8);
        assert_ne!(run(&m, &flat, 5).rgb8, run(&m, &flat, 6).rgb8);
        let kinds: Vec<String> = run(&m, &flat, 5).applied.into_iter().map(|a| a.kind).collect();
        assert_eq!(kinds, ["sensor_noise", "jpeg"]);
    }

    #[test]
    fn a_clean_model_reproduces_the_clean_exposure() {
        let img: Vec<[f32; 4]> = (0..96 * 64).map(|i| [(i % 17) as f32, 5.0, 1.0, 1.0]).collect();
        let out = run(&model(&[]), &img, 0);
        assert!(out.applied.is_empty());
        let expected = display_to_srgb8([img[5][0] * 0.018, img[5][1] * 0.018, img[5][2] * 0.018]);
        assert_eq!(&out.rgb8[15..18], &expected);
    }

    #[test]
    fn over_exposure_clips_highlights_in_raw() {
        let img: Vec<[f32; 4]> =
            (0..96 * 64).map(|i| [(i % 40) as f32, (i % 40) as f32, (i % 40) as f32, 1.0]).collect();
        let out = run(&model(&[("over_exposure", 5)]), &img, 0);
        let clean = run(&model(&[]), &img, 0);
        let brighter = out.rgb8.iter().zip(&clean.rgb8).filter(|(a, b)| a > b).count();
        assert!(brighter > out.rgb8.len() / 2);
        // Every radiance above the clip gives the same (saturated) colour.
        assert_eq!(out.rgb8[39 * 3 + 1], out.rgb8[30 * 3 + 1]);
    }
}
