//! Light in photometric units. The colour target holds luminance in cd/m² (nits) per linear RGB channel; a
//! light's `color` is its chromaticity, scaled so that its luminance (Rec. 709 weights) is 1.

use std::f32::consts::PI;

/// How a light spreads its flux over directions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Emitter {
    /// The same intensity in every direction: `I = flux / 4π`.
    Point,
    /// A flat panel (a ceiling light) facing `direction`: intensity `I0 cos θ` into the half-space in front,
    /// `I0 = flux / π`.
    Panel { direction: [f32; 3] },
    /// A spot light along `direction`: uniform intensity `flux / (2π (1 - cos θ))` inside the cone of half-angle
    /// `half_angle_rad`, fading to zero over its outer tenth.
    Spot { direction: [f32; 3], half_angle_rad: f32 },
}

/// A light source in the scene.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Light {
    pub emitter: Emitter,
    /// Metres, world frame.
    pub position: [f32; 3],
    /// Linear RGB chromaticity with luminance 1 (see [`normalized_color`]).
    pub color: [f32; 3],
    /// Luminous flux, lumens.
    pub flux_lm: f32,
    /// Whether it casts shadows (through a cube shadow map).
    pub casts_shadows: bool,
    /// Where its light counts, as a box (min, max) in metres: outside it the light adds nothing, and it fades
    /// out over the box's outer `INFLUENCE_FADE_M`. Lets a fragment skip the lights of other rooms (clustered
    /// shading's trade: light through a door into the next room ends at the box). `None`: everywhere.
    pub influence: Option<([f32; 3], [f32; 3])>,
}

/// Width of the fade at the edge of a light's influence box, metres.
pub const INFLUENCE_FADE_M: f32 = 0.75;

impl Light {
    /// Peak luminous intensity, candela.
    pub fn peak_intensity_cd(&self) -> f32 {
        match self.emitter {
            Emitter::Point => self.flux_lm / (4.0 * PI),
            Emitter::Panel { .. } => self.flux_lm / PI,
            Emitter::Spot { half_angle_rad, .. } => self.flux_lm / (2.0 * PI * (1.0 - half_angle_rad.cos())),
        }
    }
}

/// Direct sunlight: parallel rays from `direction_to_sun`, `illuminance_lux` on a surface facing the sun.
/// Shadowed by everything (an orthographic shadow map over the scene).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sun {
    pub direction_to_sun: [f32; 3],
    pub illuminance_lux: f32,
    pub color: [f32; 3],
}

/// Indirect light, approximated as uniform illuminance inside a box (a room): what the walls, floor and ceiling
/// reflect of the direct light (see [`interreflected_lux`]), plus skylight through openings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AmbientZone {
    /// Metres, world frame.
    pub min: [f32; 3],
    pub max: [f32; 3],
    /// Illuminance on a horizontal surface facing up, lux; surfaces facing down get `down_ratio` of it.
    pub illuminance_lux: f32,
    pub down_ratio: f32,
    pub color: [f32; 3],
}

/// Everything that lights a scene.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lighting {
    pub lights: Vec<Light>,
    pub sun: Option<Sun>,
    /// The sky seen through windows and above open areas: luminance in nits and chromaticity.
    pub sky_luminance_nits: f32,
    pub sky_color: [f32; 3],
    pub ambient: Vec<AmbientZone>,
}

/// Scales a linear RGB colour to luminance 1 (Rec. 709 / sRGB primaries).
pub fn normalized_color(rgb: [f32; 3]) -> [f32; 3] {
    let y = luminance(rgb).max(1e-6);
    rgb.map(|c| c / y)
}

/// Relative luminance of linear Rec. 709 RGB.
pub fn luminance(rgb: [f32; 3]) -> f32 {
    0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
}

/// The interreflected illuminance in an enclosure (the integrating-sphere / lumen-method estimate): flux
/// `flux_lm` entering a room whose surfaces have total area `area_m2` and mean reflectance `reflectance` is
/// reflected again and again, adding `flux ρ / (A (1 - ρ))` lux on every surface.
pub fn interreflected_lux(flux_lm: f32, area_m2: f32, reflectance: f32) -> f32 {
    let rho = reflectance.clamp(0.0, 0.95);
    flux_lm * rho / (area_m2.max(1e-3) * (1.0 - rho))
}

/// Exposure of a camera with exposure value `ev100` (at ISO 100): the factor that maps scene luminance (nits)
/// to the sensor's relative exposure, 1 being saturation (the saturation-based ISO definition,
/// `L_max = 1.2 * 2^EV100` nits; 78 / (100 * 0.65) = 1.2).
pub fn exposure_from_ev100(ev100: f32) -> f32 {
    1.0 / (1.2 * 2f32.powf(ev100))
}

/// The exposure value a reflected-light meter (calibration constant K = 12.5) picks for average scene
/// luminance `luminance_nits`: it renders that luminance as middle grey.
pub fn ev100_for_luminance(luminance_nits: f32) -> f32 {
    (luminance_nits.max(1e-4) * 100.0 / 12.5).log2()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intensity_integrates_back_to_the_flux() {
        // Integrate I(θ) over the sphere numerically for each emitter: the flux must come back.
        let flux = 1200.0;
        let cases = [
            (Emitter::Point, None),
            (Emitter::Panel { direction: [0.0, 0.0, -1.0] }, Some(1.0f32)),
            (Emitter::Spot { direction: [0.0, 0.0, -1.0], half_angle_rad: 0.6 }, Some(0.6f32)),
        ];
        for (emitter, param) in cases {
            let l = Light {
                emitter,
                position: [0.0; 3],
                color: [1.0; 3],
                flux_lm: flux,
                casts_shadows: false,
                influence: None,
            };
            let i0 = l.peak_intensity_cd();
            let n = 20_000;
            let mut total = 0.0f64;
            for k in 0..n {
                let theta = (k as f64 + 0.5) / n as f64 * std::f64::consts::PI;
                let i = match (emitter, param) {
                    (Emitter::Point, _) => i0 as f64,
                    (Emitter::Panel { .. }, _) => (i0 as f64 * theta.cos()).max(0.0),
                    (Emitter::Spot { .. }, Some(a)) => i0 as f64 * f64::from(theta < a as f64),
                    _ => unreachable!(),
                };
                total += i * 2.0 * std::f64::consts::PI * theta.sin() * (std::f64::consts::PI / n as f64);
            }
            assert!((total - flux as f64).abs() / (flux as f64) < 1e-3, "{emitter:?}: {total} lm");
        }
    }

    #[test]
    fn a_meter_exposes_middle_grey_at_the_saturation_ratio() {
        // Whatever the scene's level, the metered luminance lands at 12.5 / (100 * 1.2) ≈ 10 % of saturation.
        for l in [5.0f32, 60.0, 4000.0] {
            let ev = ev100_for_luminance(l);
            let relative = l * exposure_from_ev100(ev);
            assert!((relative - 12.5 / 120.0).abs() < 1e-4, "{relative}");
        }
        // Sunny 16: EV100 15 in bright sun.
        assert!((exposure_from_ev100(15.0) * 1.2 * 32768.0 - 1.0).abs() < 1e-5);
    }

    #[test]
    fn interreflection_grows_with_reflectance() {
        let low = interreflected_lux(3000.0, 60.0, 0.2);
        let high = interreflected_lux(3000.0, 60.0, 0.6);
        assert!((low - 12.5).abs() < 1e-3, "{low}");
        assert!((high - 75.0).abs() < 1e-2, "{high}");
        assert!((luminance(normalized_color([0.9, 0.5, 0.2])) - 1.0).abs() < 1e-5);
    }
}
