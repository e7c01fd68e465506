//! Physical image-formation models applied to rendered frames (issue 6 fills this crate in).
//!
//! What exists now is the contract every model will keep: the order of the camera pipeline and the record of
//! what was applied to a frame (`frames.jsonl` `degradations`). Pure: no IO, no GPU.

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
    pub severity: u8,
    pub params: BTreeMap<String, f64>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ChainError {
    #[error(
        "`{later}` ({later_stage:?}) cannot follow `{earlier}` ({earlier_stage:?}): image formation runs medium -> optics -> shutter -> sensor -> image processing -> codec"
    )]
    OutOfOrder { earlier: String, earlier_stage: Stage, later: String, later_stage: Stage },
    #[error("severity {severity} of `{kind}` is outside 0..=5")]
    Severity { kind: String, severity: u8 },
}

/// Checks that a chain of degradations respects the order of image formation and the severity scale.
pub fn check_chain(chain: &[AppliedDegradation]) -> Result<(), ChainError> {
    for d in chain {
        if d.severity > 5 {
            return Err(ChainError::Severity { kind: d.kind.clone(), severity: d.severity });
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
        AppliedDegradation { kind: kind.into(), stage, severity, params: BTreeMap::from([("exposure_s".into(), 0.01)]) }
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
