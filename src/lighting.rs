//! The light and materials of a scene in physical terms, and the camera's exposure: what the renderer is given.
//! Pure: no IO, no GPU.
//!
//! Indoor rooms have two ceiling panels whose flux scales with the floor area; daylight is a sun (seeded
//! direction, illuminance in lux) plus a uniform sky, entering through windows and lighting balconies. Indirect
//! light is each room's interreflected illuminance by the lumen method. The camera meters the room it is in
//! (a reflected-light meter, K = 12.5) the view looks into and adapts its exposure smoothly as it moves between
//! rooms.

use diorama_assets::{Manifest, Material};
use diorama_layouts::geom::Vec2;
use diorama_layouts::geom::Vec3;
use diorama_layouts::{Apartment, Layout};
use diorama_render::MAX_LIGHTS;
use diorama_render::light::{ev100_for_luminance, interreflected_lux, normalized_color};
use diorama_render::{AmbientZone, Emitter, Light, Lighting, Sun, Surface, Texture};
use diorama_sim::seed;
use diorama_sim::trajectory::Trajectory;
use rand::RngExt;

use crate::config::{CameraConfig, LightingConfig};

/// Mean reflectance of a room's surfaces for the interreflection estimate (light walls, mid floors).
const ROOM_REFLECTANCE: f32 = 0.45;
/// Warm white (about 3500 K) of the ceiling panels, linear Rec. 709.
const LAMP_COLOR: [f32; 3] = [1.0, 0.86, 0.72];
/// Warmer (about 2700 K) incandescent-like light of floor and table lamps.
const BULB_COLOR: [f32; 3] = [1.0, 0.78, 0.56];
const SUN_COLOR: [f32; 3] = [1.0, 0.95, 0.88];
const SKY_COLOR: [f32; 3] = [0.72, 0.84, 1.0];
/// Panels hang this far below the ceiling.
const PANEL_DROP_M: f32 = 0.02;
/// How far past its room's walls a ceiling panel's light is followed (through doors), metres.
const INFLUENCE_REACH_M: f32 = 1.5;
/// What the auto-exposure can reach (EV100): a camera's longest exposure at its highest gain, and its shortest
/// exposure at base gain. A dark balcony at night stays dark instead of being amplified without bound.
const METER_EV100: [f32; 2] = [-2.0, 20.0];
/// How far ahead of the camera the meter looks for the room in view, metres.
const METER_AHEAD_M: f32 = 1.5;
/// Time constant of the camera's exposure adaptation, seconds.
const ADAPTATION_S: f32 = 0.3;
/// Share of the sky's horizontal illuminance that reaches a window (vertical, half the sky, some obstruction).
const WINDOW_SKY_SHARE: f32 = 0.35;

/// The renderer's material for a manifest material: texture, GGX roughness (before the texture's modulation)
/// and metalness.
pub fn surface_of(material: Material, albedo: [f32; 3], uv_offset_m: [f32; 2]) -> Surface {
    let (texture, roughness, metallic) = match material {
        Material::Matte => (Texture::Flat, 0.85, 0.0),
        Material::Plaster => (Texture::Plaster, 0.9, 0.0),
        Material::Wood => (Texture::Wood, 0.55, 0.0),
        Material::Floorboards => (Texture::Floorboards, 0.45, 0.0),
        Material::Fabric => (Texture::Fabric, 0.95, 0.0),
        Material::Leather => (Texture::Leather, 0.5, 0.0),
        Material::Marble => (Texture::Marble, 0.25, 0.0),
        Material::Tiles => (Texture::Tiles, 0.35, 0.0),
        Material::Carpet => (Texture::Carpet, 1.0, 0.0),
        Material::Metal => (Texture::Brushed, 0.4, 1.0),
        Material::Plastic => (Texture::Flat, 0.45, 0.0),
        Material::Ceramic => (Texture::Flat, 0.2, 0.0),
        Material::Glossy => (Texture::Flat, 0.12, 0.0),
        Material::Foliage => (Texture::Foliage, 0.7, 0.0),
    };
    Surface { albedo, texture, roughness, metallic, uv_offset_m, image: None, normal_image: None }
}

/// How much light a room gets: its ceiling panels' flux, its lamps' lights, and its indirect illuminance.
struct RoomLight {
    lamp_flux_lm: f32,
    lamps: Vec<Light>,
    ambient_lux: f32,
}

/// The spot lights of the lamps (categories with a `light`) standing in `layout`'s room, in object order.
fn lamp_lights(layout: &Layout, manifest: &Manifest, influence: ([f32; 3], [f32; 3])) -> Vec<Light> {
    layout
        .objects
        .iter()
        .filter_map(|o| {
            let lamp = manifest.get(&o.category)?.light?;
            let r = o.obb.world_from_local;
            let origin = o.obb.center - r * Vec3::new(0.0, 0.0, o.obb.size.z / 2.0);
            let at = origin + r * (Vec3::from(lamp.at) * o.obb.size);
            Some(Light {
                emitter: Emitter::Spot {
                    direction: [0.0, 0.0, -1.0],
                    half_angle_rad: lamp.half_angle_deg.to_radians(),
                },
                position: at.to_array(),
                color: normalized_color(BULB_COLOR),
                flux_lm: lamp.flux_lm,
                casts_shadows: false,
                influence: Some(influence),
            })
        })
        .collect()
}

/// The box a room's lights are followed in: its own, `reach` beyond its walls.
fn room_box(layout: &Layout, reach: f32) -> ([f32; 3], [f32; 3]) {
    let room = &layout.room;
    (
        [room.origin.x - reach, room.origin.y - reach, -1.0],
        [room.origin.x + room.width_m + reach, room.origin.y + room.depth_m + reach, room.height_m + 1.0],
    )
}

fn room_light(layout: &Layout, config: &LightingConfig, manifest: &Manifest) -> RoomLight {
    let room = &layout.room;
    // Lamps have no shadows: their light stays inside their room.
    let lamps = if config.lamps { lamp_lights(layout, manifest, room_box(layout, 0.0)) } else { Vec::new() };
    let lamps_lm: f32 = lamps.iter().map(|l| l.flux_lm).sum();
    if room.outdoor {
        return RoomLight { lamp_flux_lm: 0.0, lamps, ambient_lux: config.sky_lux };
    }
    let lamp_flux_lm = config.lamp_lm_per_m2 * room.area_m2();
    let window_m2: f32 = layout.windows.iter().map(|w| w.width_m * w.height_m).sum();
    let daylight_lm = window_m2 * config.sky_lux * WINDOW_SKY_SHARE;
    let perimeter = 2.0 * (room.width_m + room.depth_m);
    let surfaces_m2 = 2.0 * room.area_m2() + perimeter * room.height_m;
    let ambient_lux = interreflected_lux(lamp_flux_lm + lamps_lm + daylight_lm, surfaces_m2, ROOM_REFLECTANCE);
    RoomLight { lamp_flux_lm, lamps, ambient_lux }
}

/// Lights, sun, sky and indirect light of an apartment. The sun's direction comes from the scene's seed.
pub fn scene_lighting(
    apartment: &Apartment,
    config: &LightingConfig,
    manifest: &Manifest,
    scene_seed: u64,
) -> Lighting {
    let mut rng = seed::stream(scene_seed, "lighting");
    let azimuth = rng.random_range(0.0..std::f32::consts::TAU);
    let [lo, hi] = config.sun_elevation_deg;
    let elevation = if hi > lo { rng.random_range(lo..hi) } else { lo }.to_radians();
    let mut lighting = Lighting {
        sun: (config.sun_lux > 0.0).then(|| Sun {
            direction_to_sun: [elevation.cos() * azimuth.cos(), elevation.cos() * azimuth.sin(), elevation.sin()],
            illuminance_lux: config.sun_lux,
            color: normalized_color(SUN_COLOR),
        }),
        sky_luminance_nits: config.sky_lux / std::f32::consts::PI,
        sky_color: normalized_color(SKY_COLOR),
        ..Lighting::default()
    };
    let mut lamps = Vec::new();
    for layout in &apartment.rooms {
        let room = &layout.room;
        let light = room_light(layout, config, manifest);
        lamps.extend(light.lamps.iter().copied());
        if light.lamp_flux_lm > 0.0 {
            for fx in [0.3f32, 0.7] {
                let p = room.origin + Vec2::new(room.width_m * fx, room.depth_m * 0.5);
                // In an L-shaped room a panel over the notch moves to the room's centre line of the other arm.
                let p =
                    if room.contains(p) { p } else { room.origin + Vec2::new(room.width_m * 0.5, room.depth_m * 0.25) };
                let p = if room.contains(p) {
                    p
                } else {
                    room.origin + Vec2::new(room.width_m * 0.25, room.depth_m * 0.75)
                };
                lighting.lights.push(Light {
                    emitter: Emitter::Panel { direction: [0.0, 0.0, -1.0] },
                    position: [p.x, p.y, room.height_m - PANEL_DROP_M],
                    color: normalized_color(LAMP_COLOR),
                    flux_lm: light.lamp_flux_lm / 2.0,
                    casts_shadows: true,
                    influence: Some(room_box(layout, INFLUENCE_REACH_M)),
                });
            }
        }
        let ambient_color = if room.outdoor { normalized_color(SKY_COLOR) } else { normalized_color(LAMP_COLOR) };
        lighting.ambient.push(AmbientZone {
            min: [room.origin.x - 0.01, room.origin.y - 0.01, -0.05],
            max: [room.origin.x + room.width_m + 0.01, room.origin.y + room.depth_m + 0.01, room.height_m + 0.05],
            illuminance_lux: light.ambient_lux,
            // Indoors the interreflected light comes from all around; outdoors the ground returns a fifth.
            down_ratio: if room.outdoor { 0.2 } else { 0.8 },
            color: ambient_color,
        });
    }
    // Lamps after every ceiling panel, as many as the renderer takes (in object order: deterministic).
    let room_for_lamps = MAX_LIGHTS.saturating_sub(lighting.lights.len());
    if lamps.len() > room_for_lamps {
        tracing::debug!(lamps = lamps.len(), kept = room_for_lamps, "more lamps than the renderer takes");
    }
    lighting.lights.extend(lamps.into_iter().take(room_for_lamps));
    lighting
}

/// The exposure (EV100) the camera's meter asks for in each room, by room index: average luminance of mid-grey
/// surfaces under the room's mean illuminance: its indirect light (the ambient zone `scene_lighting` made for it)
/// plus the sun on an open area, or the panels' direct light on the floor indoors.
fn room_ev100(apartment: &Apartment, lighting: &Lighting, config: &LightingConfig) -> Vec<f32> {
    let sun_up = lighting.sun.map_or(0.0, |s| s.illuminance_lux * s.direction_to_sun[2].max(0.0));
    debug_assert_eq!(apartment.rooms.len(), lighting.ambient.len(), "one ambient zone per room");
    apartment
        .rooms
        .iter()
        .zip(&lighting.ambient)
        .map(|(layout, zone)| {
            let lux = if layout.room.outdoor {
                zone.illuminance_lux + sun_up
            } else {
                // The panels' flux over the floor with a utilisation factor of one half.
                zone.illuminance_lux + 0.5 * config.lamp_lm_per_m2
            };
            ev100_for_luminance(ROOM_REFLECTANCE * lux / std::f32::consts::PI).clamp(METER_EV100[0], METER_EV100[1])
        })
        .collect()
}

/// Per frame, the camera's EV100: fixed when auto-exposure is off, else the metered value of the room the view
/// looks into, approached with a first-order lag (time constant `ADAPTATION_S`), plus the exposure compensation.
pub fn frame_ev100(
    apartment: &Apartment,
    lighting: &Lighting,
    trajectory: &Trajectory,
    camera: &CameraConfig,
    config: &LightingConfig,
) -> Vec<f32> {
    if !camera.auto_exposure {
        return vec![camera.ev100; trajectory.poses.len()];
    }
    let metered = room_ev100(apartment, lighting, config);
    let dt = 1.0 / camera.fps as f32;
    let alpha = 1.0 - (-dt / ADAPTATION_S).exp();
    let mut current: Option<f32> = None;
    trajectory
        .poses
        .iter()
        .map(|pose| {
            // A centre-weighted meter: the room the view looks into (a point ahead of the camera), else the
            // room it stands in; looking from a sunny balcony into a room, the camera exposes for the room.
            let at = pose.position.truncate();
            let ahead = at + pose.world_from_camera.z_axis.truncate().normalize_or_zero() * METER_AHEAD_M;
            let room_of = |p| apartment.rooms.iter().position(|l| l.room.contains(p));
            let room = room_of(ahead).or_else(|| room_of(at));
            let target = room.map_or_else(|| current.unwrap_or(metered[0]), |i| metered[i]);
            // Still views are independent shots: each is metered afresh.
            let ev =
                if trajectory.kind == "stills" { target } else { current.map_or(target, |c| c + (target - c) * alpha) };
            current = Some(ev);
            ev - camera.exposure_compensation_ev
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn materials_map_to_sensible_surfaces() {
        let metal = surface_of(Material::Metal, [0.8; 3], [0.0; 2]);
        assert_eq!((metal.texture, metal.metallic), (Texture::Brushed, 1.0));
        let glossy = surface_of(Material::Glossy, [0.1; 3], [0.0; 2]);
        assert!(glossy.roughness < surface_of(Material::Carpet, [0.5; 3], [0.0; 2]).roughness);
    }

    #[test]
    fn exposure_adapts_smoothly_within_the_camera_range_and_holds_when_fixed() {
        let mut config = crate::Config::default();
        config.camera.frames = 96;
        config.room.outdoor_share = 1.0;
        // Night: the balcony is dark, so the meter would ask for more than any camera gives.
        config.lighting.sun_lux = 0.0;
        config.lighting.sky_lux = 0.0;
        let manifest = Manifest::builtin();
        let planned = crate::plan::plan_scene(&config, &manifest, 0).unwrap();
        let ev = &planned.ev100;
        assert_eq!(ev.len(), 96);
        let alpha = 1.0 - (-1.0 / (config.camera.fps as f32 * ADAPTATION_S)).exp();
        let span = METER_EV100[1] - METER_EV100[0];
        for w in ev.windows(2) {
            assert!((w[1] - w[0]).abs() <= alpha * span + 1e-4, "a jump from {} to {}", w[0], w[1]);
        }
        assert!(ev.iter().all(|e| (METER_EV100[0]..=METER_EV100[1]).contains(e)), "{ev:?}");
        assert!(ev.iter().any(|&e| e < ev[0] - 1.0), "the dark balcony opens the exposure: {ev:?}");
        config.camera.auto_exposure = false;
        config.camera.ev100 = 9.5;
        let fixed = crate::plan::plan_scene(&config, &manifest, 0).unwrap().ev100;
        assert!(fixed.iter().all(|&e| e == 9.5));
    }
}
