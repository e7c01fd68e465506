//! Physical image-formation models applied to rendered frames (`../shared/spec/degradations.md`): the scene's
//! medium and particles, optics, shutter, sensor, image processing and codec, each with physical parameters,
//! severity levels 1 to 5 and a record of what was applied to every frame. Pure and seeded: no IO, no GPU. What
//! needs the renderer (sub-frames over the exposure and the aperture, the medium along every ray) is planned
//! here and integrated there; the rest runs on the rendered linear radiance.

pub mod camera;
pub mod digital;
pub mod optics;
pub mod sensor;
pub mod spec;
pub mod weather;

pub use camera::{CameraModel, FrameInput, FrameOutput, SubFrame, VideoCodec};
pub use spec::{DegradationSpec, Kind, Resolved, SpecError, parse_set, resolve_set};

use std::collections::BTreeMap;

use serde::Serialize;

/// Stages of image formation, in the only order they may be applied: scene medium and particles, optics,
/// shutter, sensor, image processing, codec. Every linear operation comes before noise (sensor), nothing is
/// resampled after noise, and compression is last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Medium,
    Optics,
    Shutter,
    Sensor,
    ImageProcessing,
    Codec,
}

/// One degradation actually applied to a frame, with its physical parameters in SI units.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppliedDegradation {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip)]
    pub stage: Stage,
    /// The level asked for (1 to 5); null when the config gave physical parameters only.
    pub severity: Option<u8>,
    pub params: BTreeMap<String, f64>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ChainError {
    #[error(
        "`{later}` ({later_stage:?}) cannot follow `{earlier}` ({earlier_stage:?}): image formation runs medium -> optics -> shutter -> sensor -> image processing -> codec"
    )]
    OutOfOrder { earlier: String, earlier_stage: Stage, later: String, later_stage: Stage },
    #[error("severity {severity} of `{kind}` is outside 1..=5")]
    Severity { kind: String, severity: u8 },
}

/// Checks that a chain of degradations respects the order of image formation and the severity scale.
pub fn check_chain(chain: &[AppliedDegradation]) -> Result<(), ChainError> {
    for d in chain {
        if let Some(s) = d.severity
            && !(1..=5).contains(&s)
        {
            return Err(ChainError::Severity { kind: d.kind.clone(), severity: s });
        }
    }
    for w in chain.windows(2) {
        if w[1].stage < w[0].stage {
            return Err(ChainError::OutOfOrder {
                earlier: w[0].kind.clone(),
                earlier_stage: w[0].stage,
                later: w[1].kind.clone(),
                later_stage: w[1].stage,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(kind: &str, stage: Stage, severity: u8) -> AppliedDegradation {
        AppliedDegradation {
            kind: kind.into(),
            stage,
            severity: Some(severity),
            params: BTreeMap::from([("exposure_s".into(), 0.01)]),
        }
    }

    #[test]
    fn physical_order_is_accepted() {
        let chain = [
            d("fog", Stage::Medium, 2),
            d("motion_blur", Stage::Shutter, 3),
            d("sensor_noise", Stage::Sensor, 1),
            d("h264", Stage::Codec, 2),
        ];
        assert_eq!(check_chain(&chain), Ok(()));
        assert_eq!(check_chain(&[]), Ok(()));
    }

    #[test]
    fn blur_after_noise_is_rejected() {
        let err = check_chain(&[d("sensor_noise", Stage::Sensor, 1), d("motion_blur", Stage::Shutter, 1)]).unwrap_err();
        assert!(err.to_string().contains("motion_blur"), "{err}");
    }

    #[test]
    fn record_serialises_with_contract_names() {
        let json = serde_json::to_string(&d("fog", Stage::Medium, 2)).unwrap();
        assert_eq!(json, r#"{"type":"fog","severity":2,"params":{"exposure_s":0.01}}"#);
    }
}
