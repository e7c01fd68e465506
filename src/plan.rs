//! Turning a config into a planned scene: a layout (one room, or an apartment of several) whose walkthrough
//! keeps its clearance and sees every object, plus the mesh and lights the renderer needs. Pure: no IO, no GPU.

use std::collections::BTreeMap;

use diorama_assets::gltf_asset::{AssetImage, AssetMesh};
use diorama_assets::{Manifest, PartKind};
use diorama_layouts::SceneObject;
use diorama_layouts::floorplan::{PlanSpec, furnish_apartment, plan_apartment};
use diorama_layouts::geom::Vec3;
use diorama_layouts::{Apartment, LayoutError, LayoutGenerator, LayoutSpec, Optimizer};
use diorama_render::{Emitter, FrameCamera, Lighting, SceneMesh, Surface, Texture, TextureImage};
use diorama_sim::coverage::{self, CoverageSpec};
use diorama_sim::dynamics::{DynamicsSpec, SceneDynamics, plan_dynamics};
use diorama_sim::paths::{self, Action, ActionMotion, OrbitSpec, PathScene, ScriptSpec};
use diorama_sim::trajectory::{Trajectory, TrajectoryError, WalkthroughSpec, tour, unseen_objects};
use diorama_sim::{Intrinsics, seed};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::config::Config;
use crate::emit::records::{LightRecord, r};
use crate::lighting::{frame_ev100, scene_lighting, surface_of};

/// Layout attempts per scene before giving up.
pub const MAX_LAYOUT_ATTEMPTS: u32 = 30;

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Layout(#[from] diorama_layouts::LayoutError),
    #[error(
        "scene {scene}: none of {attempts} layouts met every requirement (last problem: {last}); \
         try larger rooms (room.width_m, room.depth_m), less furniture (objects.max_furniture), a smaller \
         objects.front_clearance_m, or objects.best_effort = true"
    )]
    Exhausted { scene: u32, attempts: u32, last: String },
    #[error("scene {scene}: {source}")]
    Path { scene: u32, source: TrajectoryError },
    #[error("room.types lists `{0}`, an outdoor area type; outdoor areas are added by room.outdoor_share")]
    OutdoorInTypes(String),
    #[error("room.outdoor_share is {0}, but the assets manifest has no outdoor room type (outdoor = true)")]
    NoOutdoorType(f32),
}

/// Config problems only the manifest can reveal: unknown categories or room types, outdoor types among the
/// room types, or no outdoor type to draw from.
pub fn check_against_manifest(config: &Config, manifest: &Manifest) -> Result<(), PlanError> {
    if let Some(bad) = config.objects.categories.iter().find(|c| manifest.get(c).is_none()) {
        return Err(LayoutError::UnknownCategory(bad.clone()).into());
    }
    if let Some(bad) = config.room.types.iter().find(|t| !manifest.rooms.contains_key(*t)) {
        return Err(LayoutError::UnknownRoomType(bad.clone()).into());
    }
    if let Some(t) = config.room.types.iter().find(|t| manifest.rooms.get(t.as_str()).is_some_and(|r| r.outdoor)) {
        return Err(PlanError::OutdoorInTypes(t.clone()));
    }
    if config.room.outdoor_share > 0.0 && manifest.outdoor_room_types().is_empty() {
        return Err(PlanError::NoOutdoorType(config.room.outdoor_share));
    }
    Ok(())
}

pub struct PlannedScene {
    pub scene_seed: u64,
    pub apartment: Apartment,
    pub attempts: u32,
    pub trajectory: Trajectory,
    pub intrinsics: Intrinsics,
    pub mesh: SceneMesh,
    pub lighting: Lighting,
    /// The camera's exposure value (ISO 100) at each frame.
    pub ev100: Vec<f32>,
    /// Where each object's textures start, metres.
    pub texture_offsets: BTreeMap<u32, [f32; 2]>,
    /// World triangles of the objects drawn as glTF meshes (their silhouettes for `unoccluded_px`), by id.
    pub asset_triangles: BTreeMap<u32, Vec<[Vec3; 3]>>,
    /// Category -> glTF file of the categories in this scene drawn as meshes.
    pub meshes: BTreeMap<String, String>,
    /// Semantic class (index into [`semantic_classes`]) of every object id; 0 (background) for id 0.
    pub semantic_of: Vec<u16>,
    /// Objects that move during the video (mover slot k + 1 in the mesh is `dynamics.motions[k]`).
    pub dynamics: SceneDynamics,
}

/// Structural categories, which have semantic classes too.
const STRUCTURE: [&str; 6] = ["floor", "ceiling", "wall", "railing", "door", "drawer"];

/// The semantic classes of a build: `background` (0), the structure, then the manifest's categories in key
/// order. dataset.json lists them; semantic maps hold their indices.
pub fn semantic_classes(manifest: &Manifest) -> Vec<String> {
    std::iter::once("background")
        .chain(STRUCTURE)
        .map(String::from)
        .chain(manifest.categories.keys().cloned())
        .collect()
}

/// Semantic class of every object id of a scene.
fn semantic_lut(apartment: &Apartment, manifest: &Manifest) -> Vec<u16> {
    let classes = semantic_classes(manifest);
    let max_id = apartment.objects().map(|o| o.id).max().unwrap_or(0) as usize;
    let mut lut = vec![0u16; max_id + 1];
    for o in apartment.objects() {
        lut[o.id as usize] = classes.iter().position(|c| *c == o.category).unwrap_or(0) as u16;
    }
    lut
}

pub fn layout_spec(config: &Config) -> LayoutSpec {
    let o = &config.objects;
    LayoutSpec {
        width_m: config.room.width_m,
        depth_m: config.room.depth_m,
        height_m: config.room.height_m,
        door_width_m: config.room.door_width_m,
        door_height_m: config.room.door_height_m,
        room_types: config.room.types.clone(),
        categories: o.categories.clone(),
        max_furniture: o.max_furniture,
        small_per_surface: o.small_per_surface,
        clutter: o.clutter,
        diversity: o.diversity,
        furniture_gap_m: o.min_gap_m,
        front_clearance_m: o.front_clearance_m,
        agent_radius_m: 0.2,
        // Open tops below eye height minus a little, so the camera sees what stands on them.
        max_support_top_m: config.camera.eye_height_m - 0.3,
        anneal_iterations: o.anneal_iterations,
        best_effort: o.best_effort,
        l_shaped_share: config.room.l_shaped_share,
    }
}

pub fn intrinsics(config: &Config) -> Intrinsics {
    Intrinsics::from_hfov(config.camera.width, config.camera.height, config.camera.hfov_deg.to_radians())
}

/// The room types of scene `index`. Types go round-robin from a seeded offset: every type appears equally often
/// across a build, and the types of a scene depend only on (seed, index).
pub fn scene_room_types(config: &Config, index: u32) -> Vec<String> {
    let types = &config.room.types;
    let offset = seed::stream(config.seed, "room-types").random_range(0..types.len());
    let n = config.room.count as usize;
    (0..n).map(|k| types[(offset + index as usize * n + k) % types.len()].clone()).collect()
}

/// The floor plan request of an apartment: each room type's area range, from its manifest sizes within the
/// config's room size limits.
fn plan_spec(config: &Config, manifest: &Manifest, types: &[String]) -> Result<PlanSpec, LayoutError> {
    let names: Vec<&str> = types.iter().map(String::as_str).collect();
    let mut spec = PlanSpec::for_room_types(manifest, &names, config.room.door_width_m)?;
    let (w, d) = (config.room.width_m, config.room.depth_m);
    for (t, area) in &mut spec.rooms {
        let r = &manifest.rooms[t.as_str()];
        // Within the type's sizes where they meet the config's limits; never above the config's largest area.
        let cap = w[1] * d[1];
        let lo = (r.width_m[0].max(w[0]) * r.depth_m[0].max(d[0])).min(cap);
        let hi = (r.width_m[1].min(w[1]) * r.depth_m[1].min(d[1])).min(cap);
        *area = [lo, hi.max(lo)];
    }
    spec.min_side_m = w[0].min(d[0]);
    // The entrance opens into the largest room type (a living room before a bathroom); ties keep their order.
    spec.rooms.sort_by(|a, b| b.1[1].total_cmp(&a.1[1]));
    Ok(spec)
}

/// The outdoor area type of scene `index`, if it has one: a share `room.outdoor_share` of scenes do, drawn from
/// the scene's own stream ("outdoor"), so retries keep it.
pub fn scene_outdoor(config: &Config, manifest: &Manifest, index: u32) -> Option<String> {
    let types = manifest.outdoor_room_types();
    let mut rng = seed::stream(seed::scene_seed(config.seed, index), "outdoor");
    if types.is_empty() || rng.random::<f32>() >= config.room.outdoor_share {
        return None;
    }
    Some(types[rng.random_range(0..types.len())].clone())
}

/// Layout attempt `attempt` of scene `index`: a single room, or a floor plan (rooms, and an outdoor area for
/// some scenes) furnished room by room. It draws from its own stream ("layout/<attempt>"), so it depends only
/// on (build seed, scene index, attempt).
pub fn scene_layout(config: &Config, manifest: &Manifest, index: u32, attempt: u32) -> Result<Apartment, LayoutError> {
    let mut spec = layout_spec(config);
    spec.room_types = scene_room_types(config, index);
    let outdoor = scene_outdoor(config, manifest, index);
    let mut rng = seed::stream(seed::scene_seed(config.seed, index), &format!("layout/{attempt}"));
    if config.room.count == 1 && outdoor.is_none() {
        return Optimizer.generate(&spec, manifest, &mut rng).map(Apartment::single);
    }
    let mut plan = plan_spec(config, manifest, &spec.room_types)?;
    if let Some(t) = &outdoor {
        plan = plan.with_outdoor(manifest, t)?;
    }
    furnish_apartment(&plan_apartment(&plan, &mut rng)?, &spec, manifest, &mut rng)
}

/// The camera's walk as the config sets it (also the robot's floor for route questions).
pub fn walkthrough_spec(config: &Config) -> WalkthroughSpec {
    WalkthroughSpec {
        frames: config.camera.frames,
        eye_height_m: config.camera.eye_height_m,
        clearance_m: config.camera.clearance_m,
        tilt_down_rad: config.camera.tilt_down_deg.to_radians(),
        intrinsics: intrinsics(config),
    }
}

/// Plans scene `index`: layout attempts draw from their own streams ("layout/<attempt>"), so the result
/// depends only on (build seed, scene index).
pub fn plan_scene(config: &Config, manifest: &Manifest, index: u32) -> Result<PlannedScene, PlanError> {
    let scene_seed = seed::scene_seed(config.seed, index);
    let walk = walkthrough_spec(config);
    let k = walk.intrinsics;
    let mut last = String::new();
    // The attempt whose walkthrough missed the fewest objects, in case none sees them all.
    let mut partial: Option<(Apartment, Trajectory, u32)> = None;
    for attempt in 0..MAX_LAYOUT_ATTEMPTS {
        let apartment = match scene_layout(config, manifest, index, attempt) {
            Ok(l) => l,
            Err(e @ (LayoutError::UnknownCategory(_) | LayoutError::UnknownRoomType(_))) => return Err(e.into()),
            Err(e) => {
                last = e.to_string();
                tracing::debug!(scene = index, attempt, "layout failed: {last}");
                continue;
            }
        };
        let kind = config.trajectory.kind_of_scene(index);
        match plan_path(
            config,
            &apartment,
            &walk,
            kind,
            &mut seed::stream(scene_seed, &format!("trajectory/{attempt}")),
        ) {
            // A tour must see everything; an orbit or a script shows what it shows.
            Ok(t) if t.unseen_objects.is_empty() || kind != "tour" => {
                return Ok(finish(config, scene_seed, apartment, t, attempt + 1, k, manifest));
            }
            Ok(t) => {
                last = format!("the walkthrough could not see objects {:?}", t.unseen_objects);
                tracing::debug!(scene = index, attempt, "{last}");
                if partial.as_ref().is_none_or(|(_, p, _)| t.unseen_objects.len() < p.unseen_objects.len()) {
                    partial = Some((apartment, t, attempt + 1));
                }
            }
            // No other layout would change this: the config asks for it.
            Err(e @ TrajectoryError::ScriptTooLong { .. }) => return Err(PlanError::Path { scene: index, source: e }),
            Err(e) => {
                last = e.to_string();
                tracing::debug!(scene = index, attempt, "walkthrough failed: {last}");
            }
        }
    }
    match partial {
        Some((apartment, t, attempts)) => {
            // Better a scene with a few unseen objects (listed in scene.json, never named by a question) than
            // none: short videos cannot always see inside every shelf.
            tracing::warn!(scene = index, unseen = ?t.unseen_objects, "no walkthrough saw every object; keeping the best");
            Ok(finish(config, scene_seed, apartment, t, attempts, k, manifest))
        }
        None => Err(PlanError::Exhausted { scene: index, attempts: MAX_LAYOUT_ATTEMPTS, last }),
    }
}

/// The camera path of one kind through the apartment, with the handheld shake on top when asked. Paths are
/// planned with the shake's largest offset added to the clearance, and checked again once shaken.
fn plan_path(
    config: &Config,
    apartment: &Apartment,
    walk: &WalkthroughSpec,
    kind: &str,
    rng: &mut ChaCha8Rng,
) -> Result<Trajectory, TrajectoryError> {
    let tc = &config.trajectory;
    let jitter = tc.jitter_spec();
    if kind == "stills" {
        // Independent views: no path between them to shake.
        return coverage::stills(&PathScene::new(apartment, walk)?, config.camera.frames, tc.coverage_share, rng);
    }
    let padded = WalkthroughSpec { clearance_m: walk.clearance_m + jitter.map_or(0.0, |j| j.max_offset_m()), ..*walk };
    let scene = PathScene::new(apartment, &padded)?;
    let mut t = match kind {
        "orbit" => {
            let spec = OrbitSpec {
                radius_m: tc.orbit_radius_m,
                sweep_rad: tc.orbit_deg.to_radians(),
                min_sweep_rad: tc.orbit_min_deg.to_radians(),
            };
            paths::orbit(&scene, &spec, rng)?
        }
        "coverage" => {
            let spec = CoverageSpec {
                min_share: tc.coverage_share,
                max_speed_m_s: tc.speed_m_s,
                max_accel_m_s2: tc.max_accel_m_s2,
                max_turn_rate_rad_s: tc.turn_rate_deg_s.to_radians(),
                dwell_s: tc.coverage_dwell_s,
                fps: config.camera.fps,
            };
            coverage::coverage(&scene, &spec, rng)?
        }
        "actions" => {
            let spec = ScriptSpec {
                actions: tc.actions.iter().map(|a| Action::parse(a).expect("validated")).collect(),
                motion: ActionMotion { speed_m_s: tc.speed_m_s, turn_rate_rad_s: tc.turn_rate_deg_s.to_radians() },
                fps: config.camera.fps,
            };
            paths::action_script(&scene, &spec, rng)?
        }
        _ => tour(&scene, rng)?,
    };
    if let Some(j) = jitter {
        paths::apply_jitter(&mut t.poses, config.camera.fps, &j, rng);
        t.min_clearance_m = paths::chord_clearance(&scene.shapes, &t.poses);
        if t.min_clearance_m < walk.clearance_m {
            return Err(TrajectoryError::Clearance { clearance_m: walk.clearance_m, closest_m: t.min_clearance_m });
        }
        t.unseen_objects = unseen_objects(apartment, &scene.shapes, &t.poses, &walk.intrinsics);
        t.jitter = Some(j);
    }
    Ok(t)
}

fn finish(
    config: &Config,
    scene_seed: u64,
    mut apartment: Apartment,
    trajectory: Trajectory,
    attempts: u32,
    intrinsics: Intrinsics,
    manifest: &Manifest,
) -> PlannedScene {
    vary_albedo(&mut apartment, scene_seed);
    let texture_offsets = texture_offsets(&apartment, scene_seed);
    let dynamics = scene_dynamics(config, &apartment, &trajectory, &intrinsics, manifest, scene_seed);
    // Door leaves and drawers come with their events (their textures start at 0, so no other object's offset
    // shifts), and furniture holding a drawer is hollowed.
    dynamics.apply_to(&mut apartment);
    let (mut mesh, asset_triangles) = scene_mesh(&apartment, &texture_offsets, manifest);
    for (k, m) in dynamics.motions.iter().enumerate() {
        mesh.assign_mover(m.object as u16, k as u16 + 1);
    }
    let meshes: BTreeMap<String, String> = apartment
        .objects()
        .filter_map(|o| Some((o.category.clone(), manifest.get(&o.category)?.gltf.clone()?)))
        .collect();
    let lighting = scene_lighting(&apartment, &config.lighting, manifest, scene_seed);
    let ev100 = frame_ev100(&apartment, &lighting, &trajectory, &config.camera, &config.lighting);
    let semantic_of = semantic_lut(&apartment, manifest);
    PlannedScene {
        scene_seed,
        apartment,
        attempts,
        trajectory,
        intrinsics,
        mesh,
        lighting,
        ev100,
        texture_offsets,
        asset_triangles,
        meshes,
        semantic_of,
        dynamics,
    }
}

/// The scene's moving objects (none unless `dynamics.events`); lamps stay put, since their light would not
/// follow them.
fn scene_dynamics(
    config: &Config,
    apartment: &Apartment,
    trajectory: &Trajectory,
    intrinsics: &Intrinsics,
    manifest: &Manifest,
    scene_seed: u64,
) -> SceneDynamics {
    if config.dynamics.events == 0 {
        return SceneDynamics::default();
    }
    if trajectory.kind == "stills" {
        let skipped = vec!["still views are independent snapshots: nothing moves between them".to_string()];
        return SceneDynamics { skipped, ..Default::default() };
    }
    let lamps: Vec<u32> = apartment
        .objects()
        .filter(|o| manifest.get(&o.category).is_some_and(|c| c.light.is_some()))
        .map(|o| o.id)
        .collect();
    let spec = DynamicsSpec {
        events: config.dynamics.events,
        kinds: config.dynamics.event_kinds(),
        fps: config.camera.fps,
        frames: config.camera.frames,
        speed_m_s: config.dynamics.speed_m_s,
        clearance_m: config.camera.clearance_m,
        drawer_categories: manifest.categories.iter().filter(|(_, c)| c.drawers).map(|(k, _)| k.clone()).collect(),
    };
    let d = plan_dynamics(
        apartment,
        &trajectory.poses,
        intrinsics,
        &spec,
        &lamps,
        &mut seed::stream(scene_seed, "dynamics"),
    );
    for why in &d.skipped {
        tracing::warn!("{why}");
    }
    d
}

/// Where each object's textures start (metres), so that two tables of one wood do not show the same grain.
fn texture_offsets(apartment: &Apartment, scene_seed: u64) -> BTreeMap<u32, [f32; 2]> {
    let mut rng = seed::stream(scene_seed, "textures");
    apartment.objects().map(|o| (o.id, [rng.random_range(0.0f32..8.0), rng.random_range(0.0f32..8.0)])).collect()
}

/// Each piece of furniture gets its own shade of its category's colours, so instances are distinguishable.
fn vary_albedo(apartment: &mut Apartment, scene_seed: u64) {
    let mut rng = seed::stream(scene_seed, "materials");
    for o in apartment.rooms.iter_mut().flat_map(|l| l.objects.iter_mut()).filter(|o| !o.structural) {
        let f = [rng.random_range(0.8f32..1.2), rng.random_range(0.8f32..1.2), rng.random_range(0.8f32..1.2)];
        for p in &mut o.parts {
            p.color = [0, 1, 2].map(|i| (p.color[i] * f[i]).clamp(0.02, 0.95));
        }
    }
}

/// Triangles of every part, tagged with its object's id, with its material; an object whose category has a glTF
/// mesh is drawn with it instead (scaled to its box), and its world triangles are returned by id.
pub fn scene_mesh(
    apartment: &Apartment,
    texture_offsets: &BTreeMap<u32, [f32; 2]>,
    manifest: &Manifest,
) -> (SceneMesh, BTreeMap<u32, Vec<[Vec3; 3]>>) {
    let mut mesh = SceneMesh::default();
    let mut triangles = BTreeMap::new();
    // Each asset's images are uploaded once per scene, however many objects use them.
    let mut image_of: BTreeMap<(&str, bool), u32> = BTreeMap::new();
    for o in apartment.objects() {
        if let Some(asset) = manifest.assets.get(&o.category) {
            let mut upload = |image: &Option<AssetImage>, normal: bool| {
                image.as_ref().map(|t| {
                    *image_of.entry((o.category.as_str(), normal)).or_insert_with(|| {
                        mesh.images.push(TextureImage { width: t.width, height: t.height, rgba8: t.rgba8.clone() });
                        mesh.images.len() as u32 - 1
                    })
                })
            };
            let images = (upload(&asset.base_color_texture, false), upload(&asset.normal_texture, true));
            triangles.insert(o.id, add_asset(&mut mesh, o, asset, images));
            continue;
        }
        let offset = texture_offsets.get(&o.id).copied().unwrap_or_default();
        for p in &o.parts {
            let m = p.world_from_local;
            let axes = [m.x_axis.to_array(), m.y_axis.to_array(), m.z_axis.to_array()];
            let surface = surface_of(p.material, p.color, offset);
            match p.kind {
                PartKind::Box => mesh.add_box(p.center.to_array(), axes, p.size.to_array(), &surface, o.id),
                PartKind::Cylinder => mesh.add_cylinder(p.center.to_array(), axes, p.size.x, p.size.z, &surface, o.id),
            }
        }
    }
    (mesh, triangles)
}

/// Places an asset's mesh on object `o` (its footprint centre on the floor of its box, its axes, scaled to its
/// box) and returns the world triangles.
fn add_asset(
    mesh: &mut SceneMesh,
    o: &SceneObject,
    asset: &AssetMesh,
    (image, normal_image): (Option<u32>, Option<u32>),
) -> Vec<[Vec3; 3]> {
    let r = o.obb.world_from_local;
    let origin = o.obb.center - r * Vec3::new(0.0, 0.0, o.obb.size.z / 2.0);
    let s = Vec3::from(asset.scale_to(o.obb.size.to_array()));
    let positions: Vec<Vec3> = asset.positions.iter().map(|&p| origin + r * (Vec3::from(p) * s)).collect();
    // Normals transform by the inverse transpose of the scale.
    let normals: Vec<[f32; 3]> =
        asset.normals.iter().map(|&n| (r * (Vec3::from(n) / s)).normalize_or_zero().to_array()).collect();
    let [cr, cg, cb, _] = asset.base_color;
    let surface = Surface {
        albedo: [cr, cg, cb],
        texture: Texture::Flat,
        roughness: asset.roughness,
        metallic: asset.metallic,
        uv_offset_m: [0.0; 2],
        image,
        normal_image,
    };
    let world: Vec<[f32; 3]> = positions.iter().map(|p| p.to_array()).collect();
    mesh.add_triangles(&world, &normals, &asset.uvs, &asset.indices, &surface, o.id);
    asset.indices.chunks_exact(3).map(|t| [0, 1, 2].map(|i| positions[t[i] as usize])).collect()
}

pub fn light_records(lighting: &Lighting) -> Vec<LightRecord> {
    let mut out: Vec<LightRecord> = lighting
        .lights
        .iter()
        .map(|l| {
            let (kind, direction, half_angle_deg) = match l.emitter {
                Emitter::Point => ("point", None, None),
                Emitter::Panel { direction } => ("panel", Some(direction.map(r)), None),
                Emitter::Spot { direction, half_angle_rad } => {
                    ("spot", Some(direction.map(r)), Some(r(half_angle_rad.to_degrees())))
                }
            };
            LightRecord {
                kind,
                position: Some(l.position.map(r)),
                direction,
                half_angle_deg,
                color: l.color.map(r),
                flux_lm: Some(r(l.flux_lm)),
                casts_shadows: l.casts_shadows,
                ..Default::default()
            }
        })
        .collect();
    if let Some(sun) = lighting.sun {
        out.push(LightRecord {
            kind: "sun",
            direction: Some(sun.direction_to_sun.map(r)),
            color: sun.color.map(r),
            illuminance_lux: Some(r(sun.illuminance_lux)),
            casts_shadows: true,
            ..Default::default()
        });
    }
    out.push(LightRecord {
        kind: "sky",
        color: lighting.sky_color.map(r),
        luminance_nits: Some(r(lighting.sky_luminance_nits)),
        ..Default::default()
    });
    out.extend(lighting.ambient.iter().map(|z| LightRecord {
        kind: "ambient",
        box_min: Some(z.min.map(r)),
        box_max: Some(z.max.map(r)),
        color: z.color.map(r),
        illuminance_lux: Some(r(z.illuminance_lux)),
        down_ratio: Some(r(z.down_ratio)),
        ..Default::default()
    }));
    out
}

pub fn frame_cameras(trajectory: &Trajectory, k: &Intrinsics, ev100: &[f32]) -> Vec<FrameCamera> {
    trajectory
        .poses
        .iter()
        .zip(ev100)
        .map(|(pose, &ev100)| {
            let m = pose.world_from_camera;
            FrameCamera {
                // Row-major rows of the rotation.
                world_from_camera: [m.row(0).to_array(), m.row(1).to_array(), m.row(2).to_array()],
                position: pose.position.to_array(),
                fx: k.fx,
                fy: k.fy,
                cx: k.cx,
                cy: k.cy,
                ev100,
            }
        })
        .collect()
}
