//! What a config asks for: degradation types, their severity levels 1 to 5 with the physical parameters of the
//! severity table (`../shared/spec/degradations.md` §7.2), and free physical parameters for experts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Stage;

/// Every degradation type, by its name in configs and records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Fog,
    Haze,
    Rain,
    Snow,
    WaterDrops,
    Defocus,
    Distortion,
    Fisheye,
    Vignetting,
    ChromaticAberration,
    MotionBlur,
    RollingShutter,
    LowLight,
    OverExposure,
    SensorNoise,
    LowRes,
    Jpeg,
    H264,
    H265,
    Bitrate,
}

/// A parameter of a type: its name (with its unit), the values of levels 1 to 5, and the range a free value
/// must lie in.
pub struct Param {
    pub name: &'static str,
    pub levels: [f64; 5],
    pub range: (f64, f64),
}

const fn p(name: &'static str, levels: [f64; 5], range: (f64, f64)) -> Param {
    Param { name, levels, range }
}

impl Kind {
    pub const ALL: [Kind; 20] = [
        Kind::Fog,
        Kind::Haze,
        Kind::Rain,
        Kind::Snow,
        Kind::WaterDrops,
        Kind::Defocus,
        Kind::Distortion,
        Kind::Fisheye,
        Kind::Vignetting,
        Kind::ChromaticAberration,
        Kind::MotionBlur,
        Kind::RollingShutter,
        Kind::LowLight,
        Kind::OverExposure,
        Kind::SensorNoise,
        Kind::LowRes,
        Kind::Jpeg,
        Kind::H264,
        Kind::H265,
        Kind::Bitrate,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Fog => "fog",
            Kind::Haze => "haze",
            Kind::Rain => "rain",
            Kind::Snow => "snow",
            Kind::WaterDrops => "water_drops",
            Kind::Defocus => "defocus",
            Kind::Distortion => "distortion",
            Kind::Fisheye => "fisheye",
            Kind::Vignetting => "vignetting",
            Kind::ChromaticAberration => "chromatic_aberration",
            Kind::MotionBlur => "motion_blur",
            Kind::RollingShutter => "rolling_shutter",
            Kind::LowLight => "low_light",
            Kind::OverExposure => "over_exposure",
            Kind::SensorNoise => "sensor_noise",
            Kind::LowRes => "low_res",
            Kind::Jpeg => "jpeg",
            Kind::H264 => "h264",
            Kind::H265 => "h265",
            Kind::Bitrate => "bitrate",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    pub fn stage(self) -> Stage {
        match self {
            Kind::Fog | Kind::Haze | Kind::Rain | Kind::Snow => Stage::Medium,
            Kind::WaterDrops
            | Kind::Defocus
            | Kind::Distortion
            | Kind::Fisheye
            | Kind::Vignetting
            | Kind::ChromaticAberration => Stage::Optics,
            Kind::MotionBlur | Kind::RollingShutter => Stage::Shutter,
            Kind::LowLight | Kind::OverExposure | Kind::SensorNoise | Kind::LowRes => Stage::Sensor,
            Kind::Jpeg | Kind::H264 | Kind::H265 | Kind::Bitrate => Stage::Codec,
        }
    }

    /// The parameters a config may set, with the severity table's values. Pixel quantities are at the
    /// reference resolution the table names (`_px_1920`: 1920 pixels wide; `_px_1080`: 1080 rows) and are
    /// scaled to the output's size when resolved.
    pub fn params(self) -> &'static [Param] {
        const NO: (f64, f64) = (0.0, f64::INFINITY);
        match self {
            Kind::Fog => const { &[p("mor_m", [1000.0, 600.0, 300.0, 150.0, 75.0], (1.0, 1e6))] },
            Kind::Haze => const { &[p("mor_m", [60.0, 30.0, 15.0, 8.0, 4.0], (0.5, 1e6))] },
            Kind::Rain => {
                const {
                    &[
                        p("rate_mm_h", [2.5, 10.0, 25.0, 50.0, 100.0], (0.1, 300.0)),
                        p("near_field_m", [4.0; 5], (0.5, 20.0)),
                    ]
                }
            }
            Kind::Snow => {
                const {
                    &[
                        p("mor_m", [2000.0, 1000.0, 600.0, 400.0, 200.0], (20.0, 1e5)),
                        p("near_field_m", [4.0; 5], (0.5, 20.0)),
                    ]
                }
            }
            Kind::WaterDrops => const { &[p("coverage_pct", [2.0, 5.0, 10.0, 20.0, 35.0], (0.0, 80.0))] },
            Kind::Defocus => {
                const {
                    &[
                        p("coc_px_1920", [2.0, 4.0, 8.0, 16.0, 32.0], (0.0, 400.0)),
                        p("focus_distance_m", [1.0; 5], (0.1, 1000.0)),
                        p("sensor_width_mm", [36.0; 5], (1.0, 100.0)),
                    ]
                }
            }
            Kind::Distortion => {
                const {
                    &[
                        p("corner_pct", [-2.0, -5.0, -10.0, -18.0, -25.0], (-40.0, 40.0)),
                        p("k1", [f64::NAN; 5], (-2.0, 2.0)),
                        p("k2", [0.0; 5], (-2.0, 2.0)),
                        p("p1", [0.0; 5], (-0.1, 0.1)),
                        p("p2", [0.0; 5], (-0.1, 0.1)),
                        p("k3", [0.0; 5], (-2.0, 2.0)),
                    ]
                }
            }
            Kind::Fisheye => {
                const {
                    &[
                        p("k1", [-0.05, -0.1, -0.15, -0.2, -0.235], (-0.3, 0.3)),
                        p("k2", [0.0, 0.0, 1e-4, 2e-4, 2e-4], (-0.1, 0.1)),
                        p("k3", [0.0, 0.0, 0.0, 1e-4, 1.5e-4], (-0.1, 0.1)),
                        p("k4", [0.0, 0.0, 0.0, 0.0, 5e-5], (-0.1, 0.1)),
                    ]
                }
            }
            Kind::Vignetting => const { &[p("corner_illumination", [0.85, 0.70, 0.55, 0.40, 0.25], (0.01, 1.0))] },
            Kind::ChromaticAberration => {
                const { &[p("corner_shift_px_1080", [0.5, 1.0, 2.0, 3.0, 5.0], (-20.0, 20.0))] }
            }
            Kind::MotionBlur => {
                const { &[p("blur_px_1920", [3.0, 6.0, 12.0, 24.0, 48.0], NO), p("exposure_s", [f64::NAN; 5], (1e-5, 1.0))] }
            }
            Kind::RollingShutter => const { &[p("readout_s", [0.005, 0.010, 0.016, 0.025, 0.033], (0.0, 1.0))] },
            Kind::LowLight => {
                const {
                    &[
                        p("electrons_mid_grey", [300.0, 100.0, 30.0, 10.0, 3.0], (0.1, 1e6)),
                        p("read_noise_e", [2.0; 5], (0.0, 100.0)),
                        p("row_noise_e", [0.3; 5], (0.0, 100.0)),
                        p("adc_bits", [10.0; 5], (6.0, 16.0)),
                        p("max_gain", [64.0; 5], (1.0, 1e4)),
                    ]
                }
            }
            Kind::OverExposure => const { &[p("ev", [1.0, 1.5, 2.0, 2.5, 3.3], (0.0, 10.0))] },
            Kind::SensorNoise => {
                const {
                    &[
                        p("shot_a", [5e-4, 1.5e-3, 4e-3, 8e-3, 1.2e-2], (1e-6, 0.1)),
                        p("read_b", [f64::NAN; 5], (0.0, 0.1)),
                        p("adc_bits", [10.0; 5], (6.0, 16.0)),
                    ]
                }
            }
            Kind::LowRes => const { &[p("scale", [0.75, 0.5, 0.35, 0.25, 0.15], (0.01, 1.0))] },
            Kind::Jpeg => const { &[p("quality", [50.0, 30.0, 18.0, 10.0, 5.0], (1.0, 100.0))] },
            Kind::H264 => const { &[p("crf", [23.0, 29.0, 35.0, 41.0, 47.0], (0.0, 51.0))] },
            Kind::H265 => const { &[p("crf", [28.0, 33.0, 38.0, 43.0, 48.0], (0.0, 51.0))] },
            Kind::Bitrate => const { &[p("mbps_1080p30", [4.0, 2.0, 1.0, 0.5, 0.25], (0.01, 1000.0))] },
        }
    }
}

/// One entry of a config's degradation set: a type and a severity level, or physical parameters, or both
/// (parameters given override the level's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DegradationSpec {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<u8>,
    #[serde(flatten)]
    pub params: BTreeMap<String, f64>,
}

/// A type with every parameter resolved to a number (NaN where the model derives it later).
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub kind: Kind,
    /// The level asked for; `None` when only physical parameters were given.
    pub severity: Option<u8>,
    pub params: BTreeMap<&'static str, f64>,
}

impl Resolved {
    pub fn get(&self, name: &str) -> f64 {
        self.params.get(name).copied().unwrap_or(f64::NAN)
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SpecError {
    #[error("unknown degradation type `{0}` (known: {known})", known = known_types())]
    UnknownType(String),
    #[error("`{kind}` has no parameter `{param}` (it takes: {known}, and `severity`)")]
    UnknownParam { kind: &'static str, param: String, known: String },
    #[error("`{kind}` severity {severity} is outside 1..=5")]
    Severity { kind: &'static str, severity: u8 },
    #[error("`{kind}`.{param} = {value} is outside [{lo}, {hi}]")]
    OutOfRange { kind: &'static str, param: &'static str, value: f64, lo: f64, hi: f64 },
    #[error("`{kind}` needs a `severity` (1..=5) or at least one of its parameters ({known})")]
    Empty { kind: &'static str, known: String },
    #[error("`{a}` and `{b}` cannot be combined in one set: {why}")]
    Conflict { a: &'static str, b: &'static str, why: &'static str },
    #[error("`{0}` appears twice in one set")]
    Twice(&'static str),
    #[error("{0}")]
    Syntax(String),
}

fn known_types() -> String {
    Kind::ALL.map(Kind::name).join(", ")
}

/// Parses a set written on one line (for command lines and sweeps): entries joined by `+`, each `type`, then
/// `:severity` and/or `:param=value` parts, e.g. `low_light:3+rain:rate_mm_h=25+jpeg:2:quality=40`.
pub fn parse_set(text: &str) -> Result<Vec<DegradationSpec>, SpecError> {
    let mut out = Vec::new();
    for entry in text.split('+').map(str::trim).filter(|e| !e.is_empty()) {
        let mut parts = entry.split(':').map(str::trim);
        let kind = parts.next().unwrap_or_default().to_string();
        let mut spec = DegradationSpec { kind, severity: None, params: BTreeMap::new() };
        for part in parts {
            match part.split_once('=') {
                Some((name, value)) => {
                    let v: f64 = value
                        .trim()
                        .parse()
                        .map_err(|_| SpecError::Syntax(format!("`{part}`: `{value}` is not a number")))?;
                    spec.params.insert(name.trim().to_string(), v);
                }
                None => {
                    let s: u8 = part.parse().map_err(|_| {
                        SpecError::Syntax(format!("`{part}` in `{entry}` is neither a severity (1-5) nor param=value"))
                    })?;
                    spec.severity = Some(s);
                }
            }
        }
        resolve(&spec)?;
        out.push(spec);
    }
    if out.is_empty() {
        return Err(SpecError::Syntax(format!("`{text}` names no degradation")));
    }
    resolve_set(&out)?;
    Ok(out)
}

/// Resolves one entry: the level's values (level 3 for parameters a severity-less entry leaves out), then the
/// explicit parameters, each checked against its range.
pub fn resolve(spec: &DegradationSpec) -> Result<Resolved, SpecError> {
    let kind = Kind::parse(&spec.kind).ok_or_else(|| SpecError::UnknownType(spec.kind.clone()))?;
    let known = || kind.params().iter().map(|p| p.name).collect::<Vec<_>>().join(", ");
    if let Some(s) = spec.severity
        && !(1..=5).contains(&s)
    {
        return Err(SpecError::Severity { kind: kind.name(), severity: s });
    }
    if spec.severity.is_none() && spec.params.is_empty() {
        return Err(SpecError::Empty { kind: kind.name(), known: known() });
    }
    let level = spec.severity.unwrap_or(3) as usize - 1;
    let mut params: BTreeMap<&'static str, f64> = kind.params().iter().map(|p| (p.name, p.levels[level])).collect();
    for (name, &value) in &spec.params {
        let param = kind.params().iter().find(|p| p.name == name).ok_or_else(|| SpecError::UnknownParam {
            kind: kind.name(),
            param: name.clone(),
            known: known(),
        })?;
        let (lo, hi) = param.range;
        if !(value >= lo && value <= hi) {
            return Err(SpecError::OutOfRange { kind: kind.name(), param: param.name, value, lo, hi });
        }
        params.insert(param.name, value);
    }
    // An explicit k1 replaces the corner percentage the level implies.
    if kind == Kind::Distortion && spec.params.contains_key("k1") && !spec.params.contains_key("corner_pct") {
        params.insert("corner_pct", f64::NAN);
    }
    if kind == Kind::MotionBlur && spec.params.contains_key("exposure_s") && !spec.params.contains_key("blur_px_1920") {
        params.insert("blur_px_1920", f64::NAN);
    }
    Ok(Resolved { kind, severity: spec.severity, params })
}

/// Resolves a whole set (one scene's combination) and rejects combinations no camera produces.
pub fn resolve_set(set: &[DegradationSpec]) -> Result<Vec<Resolved>, SpecError> {
    let mut out: Vec<Resolved> = set.iter().map(resolve).collect::<Result<_, _>>()?;
    out.sort_by_key(|r| (r.kind.stage(), r.kind));
    for w in out.windows(2) {
        if w[0].kind == w[1].kind {
            return Err(SpecError::Twice(w[0].kind.name()));
        }
    }
    let has = |k: Kind| out.iter().any(|r| r.kind == k);
    let exclusive: [(Kind, Kind, &str); 7] = [
        (Kind::Distortion, Kind::Fisheye, "a lens has one distortion model"),
        (Kind::LowLight, Kind::OverExposure, "auto-exposure either runs out of light or overshoots"),
        (Kind::LowLight, Kind::SensorNoise, "both set the sensor's noise; pick one"),
        (Kind::OverExposure, Kind::SensorNoise, "both set the sensor's exposure; pick one"),
        (Kind::H264, Kind::H265, "a video has one codec"),
        (Kind::H264, Kind::Bitrate, "`bitrate` is H.264 at a target bitrate instead of a CRF"),
        (Kind::H265, Kind::Bitrate, "`bitrate` is H.264 at a target bitrate instead of a CRF"),
    ];
    for (a, b, why) in exclusive {
        if has(a) && has(b) {
            return Err(SpecError::Conflict { a: a.name(), b: b.name(), why });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: &str, severity: Option<u8>, params: &[(&str, f64)]) -> DegradationSpec {
        DegradationSpec {
            kind: kind.into(),
            severity,
            params: params.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }

    #[test]
    fn levels_follow_the_severity_table() {
        let r = resolve(&spec("haze", Some(4), &[])).unwrap();
        assert_eq!(r.get("mor_m"), 8.0);
        let r = resolve(&spec("jpeg", Some(1), &[])).unwrap();
        assert_eq!(r.get("quality"), 50.0);
        let r = resolve(&spec("fog", None, &[("mor_m", 42.0)])).unwrap();
        assert_eq!((r.get("mor_m"), r.severity), (42.0, None));
    }

    #[test]
    fn every_type_resolves_at_every_level() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.name()), Some(k));
            for s in 1..=5 {
                resolve(&spec(k.name(), Some(s), &[])).unwrap();
            }
        }
    }

    #[test]
    fn bad_entries_name_the_problem() {
        let e = resolve(&spec("smog", Some(1), &[])).unwrap_err().to_string();
        assert!(e.contains("smog") && e.contains("haze"), "{e}");
        let e = resolve(&spec("fog", Some(6), &[])).unwrap_err().to_string();
        assert!(e.contains("severity 6"), "{e}");
        let e = resolve(&spec("fog", None, &[("beta", 1.0)])).unwrap_err().to_string();
        assert!(e.contains("beta") && e.contains("mor_m"), "{e}");
        let e = resolve(&spec("jpeg", None, &[("quality", 0.0)])).unwrap_err().to_string();
        assert!(e.contains("quality") && e.contains("outside"), "{e}");
        let e = resolve(&spec("jpeg", None, &[])).unwrap_err().to_string();
        assert!(e.contains("needs a `severity`"), "{e}");
        let e = resolve_set(&[spec("h264", Some(1), &[]), spec("h265", Some(2), &[])]).unwrap_err().to_string();
        assert!(e.contains("one codec"), "{e}");
    }

    #[test]
    fn one_line_sets_parse() {
        let set = parse_set("low_light:3 + rain:rate_mm_h=25 + jpeg:2:quality=40").unwrap();
        assert_eq!(set.len(), 3);
        assert_eq!(set[0], spec("low_light", Some(3), &[]));
        assert_eq!(set[1], spec("rain", None, &[("rate_mm_h", 25.0)]));
        assert_eq!(set[2], spec("jpeg", Some(2), &[("quality", 40.0)]));
        let e = parse_set("fog:hard").unwrap_err().to_string();
        assert!(e.contains("hard"), "{e}");
        assert!(parse_set("").is_err());
        assert!(parse_set("h264:1+h265:1").is_err());
    }

    #[test]
    fn sets_come_out_in_image_formation_order() {
        let set = [spec("jpeg", Some(2), &[]), spec("low_light", Some(3), &[]), spec("rain", Some(1), &[])];
        let kinds: Vec<Kind> = resolve_set(&set).unwrap().iter().map(|r| r.kind).collect();
        assert_eq!(kinds, [Kind::Rain, Kind::LowLight, Kind::Jpeg]);
    }
}
