//! The build configuration: a TOML file, every key optional, unknown keys rejected. The defaults are the
//! commented file `default-config.toml` embedded in the binary, so `diorama config --print-default` prints
//! exactly what a build without a config uses.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The default configuration as commented TOML.
pub const DEFAULT_CONFIG_TOML: &str = include_str!("default-config.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {cause}")]
    Read { path: PathBuf, cause: std::io::Error },
    #[error("{origin} is not a valid diorama config: {message}")]
    Parse { origin: String, message: String },
    #[error("{origin}: `{key}` {problem}")]
    Invalid { origin: String, key: &'static str, problem: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub seed: u64,
    pub scenes: u32,
    pub room: RoomConfig,
    pub objects: ObjectsConfig,
    pub camera: CameraConfig,
    pub trajectory: TrajectoryConfig,
    pub dynamics: DynamicsConfig,
    pub lighting: LightingConfig,
    pub qa: QaConfig,
    pub render: RenderConfig,
    pub output: OutputConfig,
    pub degradations: DegradationsConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoomConfig {
    pub count: u32,
    pub outdoor_share: f32,
    pub l_shaped_share: f32,
    pub types: Vec<String>,
    pub width_m: [f32; 2],
    pub depth_m: [f32; 2],
    pub height_m: [f32; 2],
    pub door_width_m: f32,
    pub door_height_m: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ObjectsConfig {
    pub max_furniture: u32,
    pub small_per_surface: [u32; 2],
    pub clutter: f32,
    pub diversity: f32,
    pub categories: Vec<String>,
    pub manifest: String,
    pub min_gap_m: f32,
    pub front_clearance_m: f32,
    pub best_effort: bool,
    pub anneal_iterations: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CameraConfig {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub frames: u32,
    pub hfov_deg: f32,
    pub eye_height_m: f32,
    pub tilt_down_deg: f32,
    pub clearance_m: f32,
    /// Meter each room and adapt (true), or keep `ev100` fixed.
    pub auto_exposure: bool,
    /// Exposure value at ISO 100 when auto-exposure is off.
    pub ev100: f32,
    /// Added to the metered exposure, in stops (positive = brighter).
    pub exposure_compensation_ev: f32,
}

/// How the camera moves through each scene.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrajectoryConfig {
    /// Path kinds the scenes take in turn: "tour", "coverage", "orbit", "actions", or "stills" (independent
    /// views, written as images too).
    pub kinds: Vec<String>,
    /// Orbit radius range around the target object's centre, and how far around the orbit goes.
    pub orbit_radius_m: [f32; 2],
    pub orbit_deg: f32,
    pub orbit_min_deg: f32,
    /// An explicit action script ("forward 0.8", "left 70", "right 45"); empty: one is sampled per scene.
    pub actions: Vec<String>,
    /// Walking speed and turn rate of action scripts.
    pub speed_m_s: f32,
    pub turn_rate_deg_s: f32,
    /// Coverage walks: the least share of each object's camera-facing surface some frame shows, the pause at
    /// each viewpoint, and the most the camera accelerates (speed and turn rate are bounded by the two above).
    pub coverage_share: f32,
    pub coverage_dwell_s: f32,
    pub max_accel_m_s2: f32,
    /// Handheld shake on top of every path: peak offset per axis, peak angle per axis, base frequency.
    pub jitter: bool,
    pub jitter_translation_m: f32,
    pub jitter_rotation_deg: f32,
    pub jitter_hz: f32,
}

impl Default for TrajectoryConfig {
    fn default() -> Self {
        TrajectoryConfig {
            kinds: vec!["tour".into()],
            orbit_radius_m: [0.9, 2.0],
            orbit_deg: 360.0,
            orbit_min_deg: 90.0,
            actions: Vec::new(),
            speed_m_s: 0.5,
            turn_rate_deg_s: 45.0,
            coverage_share: 0.5,
            coverage_dwell_s: 0.25,
            max_accel_m_s2: 0.5,
            jitter: false,
            jitter_translation_m: 0.01,
            jitter_rotation_deg: 0.5,
            jitter_hz: 1.5,
        }
    }
}

/// Trajectory kinds a config may name.
pub const TRAJECTORY_KINDS: [&str; 5] = ["tour", "coverage", "orbit", "actions", "stills"];

impl TrajectoryConfig {
    /// The path kind of scene `index`.
    pub fn kind_of_scene(&self, index: u32) -> &str {
        &self.kinds[index as usize % self.kinds.len()]
    }

    fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.kinds.is_empty() {
            return Err(("trajectory.kinds", "must list at least one kind".into()));
        }
        if let Some(k) = self.kinds.iter().find(|k| !TRAJECTORY_KINDS.contains(&k.as_str())) {
            return Err(("trajectory.kinds", format!("unknown kind `{k}` (kinds: {})", TRAJECTORY_KINDS.join(", "))));
        }
        let r = self.orbit_radius_m;
        if !(r[0].is_finite() && r[1].is_finite() && r[0] >= 0.3 && r[0] <= r[1] && r[1] <= 10.0) {
            return Err((
                "trajectory.orbit_radius_m",
                format!("must be [min, max] with 0.3 <= min <= max <= 10, got {r:?}"),
            ));
        }
        if !(self.orbit_deg >= 10.0 && self.orbit_deg <= 360.0) {
            return Err(("trajectory.orbit_deg", format!("must be 10 to 360 degrees, got {}", self.orbit_deg)));
        }
        if !(self.orbit_min_deg >= 10.0 && self.orbit_min_deg <= self.orbit_deg) {
            return Err((
                "trajectory.orbit_min_deg",
                format!("must be 10 degrees to orbit_deg ({}), got {}", self.orbit_deg, self.orbit_min_deg),
            ));
        }
        for a in &self.actions {
            diorama_sim::paths::Action::parse(a).map_err(|e| ("trajectory.actions", e))?;
        }
        if !(self.speed_m_s > 0.0 && self.speed_m_s <= 3.0) {
            return Err(("trajectory.speed_m_s", format!("must be in (0, 3] m/s, got {}", self.speed_m_s)));
        }
        if !(self.turn_rate_deg_s > 0.0 && self.turn_rate_deg_s <= 360.0) {
            return Err((
                "trajectory.turn_rate_deg_s",
                format!("must be in (0, 360] deg/s, got {}", self.turn_rate_deg_s),
            ));
        }
        if !(self.coverage_share > 0.0 && self.coverage_share <= 1.0) {
            return Err((
                "trajectory.coverage_share",
                format!("must be a share in (0, 1], got {}", self.coverage_share),
            ));
        }
        if !(self.coverage_dwell_s >= 0.0 && self.coverage_dwell_s <= 10.0) {
            return Err(("trajectory.coverage_dwell_s", format!("must be 0 to 10 s, got {}", self.coverage_dwell_s)));
        }
        if !(self.max_accel_m_s2 > 0.0 && self.max_accel_m_s2 <= 10.0) {
            return Err(("trajectory.max_accel_m_s2", format!("must be in (0, 10] m/s², got {}", self.max_accel_m_s2)));
        }
        if !(self.jitter_translation_m >= 0.0 && self.jitter_translation_m <= 0.05) {
            return Err((
                "trajectory.jitter_translation_m",
                format!("must be 0 to 0.05 m (a hand's shake), got {}", self.jitter_translation_m),
            ));
        }
        if !(self.jitter_rotation_deg >= 0.0 && self.jitter_rotation_deg <= 5.0) {
            return Err((
                "trajectory.jitter_rotation_deg",
                format!("must be 0 to 5 degrees, got {}", self.jitter_rotation_deg),
            ));
        }
        if !(self.jitter_hz > 0.0 && self.jitter_hz <= 20.0) {
            return Err(("trajectory.jitter_hz", format!("must be in (0, 20] Hz, got {}", self.jitter_hz)));
        }
        Ok(())
    }

    /// Whether some scene is a set of still views.
    pub fn has_stills(&self) -> bool {
        self.kinds.iter().any(|k| k == "stills")
    }

    /// The shake, when on.
    pub fn jitter_spec(&self) -> Option<diorama_sim::paths::JitterSpec> {
        self.jitter.then(|| diorama_sim::paths::JitterSpec {
            translation_m: self.jitter_translation_m,
            rotation_rad: self.jitter_rotation_deg.to_radians(),
            frequency_hz: self.jitter_hz,
        })
    }
}

/// Objects that move while the camera rolls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DynamicsConfig {
    /// Events per scene (0: a static scene); the kinds are taken in turn.
    pub events: u32,
    /// "slide", "push", "pick_place", "drop", "door", "drawer".
    pub kinds: Vec<String>,
    /// Top speed of slid and carried objects.
    pub speed_m_s: f32,
}

impl Default for DynamicsConfig {
    fn default() -> Self {
        let kinds = ["slide", "push", "pick_place", "drop", "door", "drawer"].map(String::from).to_vec();
        DynamicsConfig { events: 2, kinds, speed_m_s: 0.4 }
    }
}

impl DynamicsConfig {
    fn validate(&self) -> Result<(), (&'static str, String)> {
        // Slot 0 of the renderer's movers is the static scene.
        let most = diorama_render::MAX_MOVER_SLOTS as u32 - 1;
        if self.events > most {
            return Err(("dynamics.events", format!("at most {most} moving objects per scene, got {}", self.events)));
        }
        if self.kinds.is_empty() {
            return Err(("dynamics.kinds", "must list at least one kind".into()));
        }
        if let Some(k) = self.kinds.iter().find(|k| diorama_sim::dynamics::EventKind::parse(k).is_none()) {
            let names: Vec<&str> = diorama_sim::dynamics::EventKind::ALL.iter().map(|k| k.name()).collect();
            return Err(("dynamics.kinds", format!("unknown kind `{k}` (kinds: {})", names.join(", "))));
        }
        if !(self.speed_m_s > 0.0 && self.speed_m_s <= 3.0) {
            return Err(("dynamics.speed_m_s", format!("must be in (0, 3] m/s, got {}", self.speed_m_s)));
        }
        Ok(())
    }

    /// The kinds, parsed (the config was validated).
    pub fn event_kinds(&self) -> Vec<diorama_sim::dynamics::EventKind> {
        self.kinds.iter().filter_map(|k| diorama_sim::dynamics::EventKind::parse(k)).collect()
    }
}

/// The scene's light in physical units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LightingConfig {
    /// Flux of a room's ceiling panels per square metre of floor, lumens.
    pub lamp_lm_per_m2: f32,
    /// Direct sunlight on a surface facing the sun, lux (0: no sun).
    pub sun_lux: f32,
    /// Skylight on a horizontal surface under the open sky, lux (0: night).
    pub sky_lux: f32,
    /// Range of the sun's elevation above the horizon, degrees (seeded per scene, as is its azimuth).
    pub sun_elevation_deg: [f32; 2],
    /// Whether lamps (categories with a `light` in the manifest) are switched on.
    pub lamps: bool,
}

impl Default for LightingConfig {
    fn default() -> Self {
        LightingConfig {
            lamp_lm_per_m2: 150.0,
            sun_lux: 30_000.0,
            sky_lux: 10_000.0,
            sun_elevation_deg: [20.0, 60.0],
            lamps: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QaConfig {
    pub enabled: bool,
    pub min_visible_px: u32,
    pub max_per_type: u32,
    pub min_abs_distance_m: f32,
    /// Multiple-choice questions offer "cannot be determined from the video", and a question whose objects no
    /// degraded frame shows well enough becomes an abstention question (answered with that option) instead of
    /// being dropped.
    pub abstention: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RenderConfig {
    /// "auto", "vulkan" or "gl".
    pub backend: String,
    /// Samples per pixel for the colour (0: 4 on a GPU, 1 on a CPU rasterizer; 1; or 4); ground truth is never
    /// anti-aliased.
    pub msaa: u32,
    /// Texels per side of each face of a ceiling light's cube shadow map.
    pub shadow_map_px: u32,
    /// Texels per side of the sun's shadow map.
    pub sun_shadow_map_px: u32,
}

impl Default for RenderConfig {
    fn default() -> Self {
        RenderConfig { backend: "auto".into(), msaa: 0, shadow_map_px: 512, sun_shadow_map_px: 2048 }
    }
}

impl RenderConfig {
    /// The renderer's settings (the config was validated).
    pub fn settings(&self) -> diorama_render::RenderSettings {
        diorama_render::RenderSettings {
            backend: self.backend_choice(),
            msaa_samples: self.msaa,
            read_rgba8: false,
            shadow_map_px: self.shadow_map_px,
            sun_shadow_map_px: self.sun_shadow_map_px,
            ..Default::default()
        }
    }

    /// The backend as the renderer takes it (the config was validated).
    pub fn backend_choice(&self) -> diorama_render::BackendChoice {
        match self.backend.as_str() {
            "vulkan" => diorama_render::BackendChoice::Vulkan,
            "gl" => diorama_render::BackendChoice::Gl,
            _ => diorama_render::BackendChoice::Auto,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DegradationsConfig {
    /// Scene i takes set i modulo the number of sets; no sets: every scene is clean.
    pub sets: Vec<Vec<diorama_degradations::DegradationSpec>>,
    /// Also write clean.mp4 (the same trajectory without degradations) for a degraded scene.
    pub clean_video: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutputConfig {
    pub depth: bool,
    pub instance: bool,
    pub semantic: bool,
    pub normals: bool,
    pub motion: bool,
    pub video_crf: u32,
    pub video_preset: String,
}

// The defaults, by hand; a test checks that `default-config.toml` parses to exactly these, so the printed
// default and the behaviour cannot drift apart.
impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 0,
            scenes: 4,
            room: RoomConfig::default(),
            objects: ObjectsConfig::default(),
            camera: CameraConfig::default(),
            trajectory: TrajectoryConfig::default(),
            dynamics: DynamicsConfig::default(),
            lighting: LightingConfig::default(),
            qa: QaConfig::default(),
            render: RenderConfig::default(),
            output: OutputConfig::default(),
            degradations: DegradationsConfig::default(),
        }
    }
}

impl Default for RoomConfig {
    fn default() -> Self {
        RoomConfig {
            count: 4,
            outdoor_share: 0.5,
            l_shaped_share: 0.3,
            types: diorama_assets::Manifest::builtin().indoor_room_types(),
            width_m: [2.5, 7.0],
            depth_m: [2.5, 7.0],
            height_m: [2.6, 3.0],
            door_width_m: 0.9,
            door_height_m: 2.1,
        }
    }
}

impl Default for ObjectsConfig {
    fn default() -> Self {
        ObjectsConfig {
            max_furniture: 20,
            small_per_surface: [1, 3],
            clutter: 0.3,
            diversity: 1.0,
            categories: diorama_assets::Manifest::builtin().categories.keys().cloned().collect(),
            manifest: String::new(),
            min_gap_m: 0.03,
            front_clearance_m: 0.6,
            best_effort: true,
            anneal_iterations: 300,
        }
    }
}

impl Default for CameraConfig {
    fn default() -> Self {
        CameraConfig {
            width: 640,
            height: 480,
            fps: 12,
            frames: 192,
            hfov_deg: 70.0,
            eye_height_m: 1.6,
            tilt_down_deg: 20.0,
            clearance_m: 0.15,
            auto_exposure: true,
            ev100: 7.0,
            exposure_compensation_ev: 0.0,
        }
    }
}

impl Default for QaConfig {
    fn default() -> Self {
        QaConfig { enabled: true, min_visible_px: 300, max_per_type: 4, min_abs_distance_m: 0.2, abstention: false }
    }
}

impl Default for DegradationsConfig {
    fn default() -> Self {
        DegradationsConfig { sets: Vec::new(), clean_video: false }
    }
}

impl Config {
    /// The resolved degradation set of scene `index` (empty when the build is clean).
    pub fn degradation_set(&self, index: u32) -> Vec<diorama_degradations::Resolved> {
        let sets = &self.degradations.sets;
        if sets.is_empty() {
            return Vec::new();
        }
        diorama_degradations::resolve_set(&sets[index as usize % sets.len()]).expect("validated with the config")
    }
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig {
            depth: true,
            instance: true,
            semantic: true,
            normals: false,
            motion: false,
            video_crf: 18,
            video_preset: "veryfast".into(),
        }
    }
}

impl Config {
    /// Reads and validates a config file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|cause| ConfigError::Read { path: path.to_path_buf(), cause })?;
        Config::from_toml_str(&text, &path.display().to_string())
    }

    /// Parses and validates config text; `origin` names it in errors.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text)
            .map_err(|e| ConfigError::Parse { origin: origin.to_string(), message: e.to_string() })?;
        config.validate(origin)?;
        Ok(config)
    }

    /// Checks values TOML's types cannot: ranges, sizes, limits.
    pub fn validate(&self, origin: &str) -> Result<(), ConfigError> {
        let bad =
            |key: &'static str, problem: String| Err(ConfigError::Invalid { origin: origin.to_string(), key, problem });
        let range_f = |r: [f32; 2]| r[0].is_finite() && r[1].is_finite() && r[0] > 0.0 && r[0] <= r[1];
        if self.scenes == 0 {
            return bad("scenes", "must be at least 1".into());
        }
        for (key, r) in [
            ("room.width_m", self.room.width_m),
            ("room.depth_m", self.room.depth_m),
            ("room.height_m", self.room.height_m),
        ] {
            if !range_f(r) {
                return bad(key, format!("must be [min, max] with 0 < min <= max, got {r:?}"));
            }
        }
        if self.room.width_m[0] < 2.5 || self.room.depth_m[0] < 2.5 {
            return bad(
                "room.width_m",
                "rooms narrower than 2.5 m leave no space to walk and furnish; raise the minimum".into(),
            );
        }
        if self.room.height_m[0] < self.camera.eye_height_m + self.camera.clearance_m + 0.1 {
            return bad(
                "room.height_m",
                format!("the ceiling must clear the camera (eye_height_m {} + clearance_m)", self.camera.eye_height_m),
            );
        }
        if !(self.room.door_width_m > 0.5
            && self.room.door_height_m > 1.5
            && self.room.door_height_m < self.room.height_m[0])
        {
            return bad(
                "room.door_width_m",
                "door must be wider than 0.5 m and between 1.5 m and the ceiling in height".into(),
            );
        }
        if !(1..=6).contains(&self.room.count) {
            return bad("room.count", format!("an apartment has 1 to 6 rooms, got {}", self.room.count));
        }
        if !(0.0..=1.0).contains(&self.room.outdoor_share) {
            return bad("room.outdoor_share", format!("must be a share from 0 to 1, got {}", self.room.outdoor_share));
        }
        if !(0.0..=1.0).contains(&self.room.l_shaped_share) {
            return bad(
                "room.l_shaped_share",
                format!("must be a share from 0 to 1, got {}", self.room.l_shaped_share),
            );
        }
        if self.room.types.is_empty() {
            return bad("room.types", "must list at least one room type".into());
        }
        if self.objects.max_furniture == 0 || self.objects.max_furniture > 60 {
            return bad("objects.max_furniture", format!("must be 1 to 60, got {}", self.objects.max_furniture));
        }
        if self.objects.small_per_surface[0] > self.objects.small_per_surface[1]
            || self.objects.small_per_surface[1] > 6
        {
            return bad(
                "objects.small_per_surface",
                format!("must be [min, max] with min <= max <= 6, got {:?}", self.objects.small_per_surface),
            );
        }
        if !(0.0..=0.9).contains(&self.objects.clutter) {
            return bad(
                "objects.clutter",
                format!("must be a floor fraction from 0 to 0.9, got {}", self.objects.clutter),
            );
        }
        if !(self.objects.diversity > 0.0 && self.objects.diversity <= 1.0) {
            return bad("objects.diversity", format!("must be in (0, 1], got {}", self.objects.diversity));
        }
        if !(self.objects.front_clearance_m >= 0.0 && self.objects.front_clearance_m <= 3.0) {
            return bad(
                "objects.front_clearance_m",
                format!("must be 0 to 3 m, got {}", self.objects.front_clearance_m),
            );
        }
        if self.objects.anneal_iterations > 100_000 {
            return bad(
                "objects.anneal_iterations",
                format!("must be at most 100000, got {}", self.objects.anneal_iterations),
            );
        }
        if self.objects.categories.is_empty() {
            return bad("objects.categories", "must list at least one category".into());
        }
        if !(self.objects.min_gap_m >= 0.0 && self.objects.min_gap_m < 1.0) {
            return bad("objects.min_gap_m", format!("must be in [0, 1), got {}", self.objects.min_gap_m));
        }
        let c = &self.camera;
        if c.width < 16
            || c.height < 16
            || !c.width.is_multiple_of(2)
            || !c.height.is_multiple_of(2)
            || c.width > 8192
            || c.height > 8192
        {
            return bad(
                "camera.width",
                format!(
                    "width and height must be even numbers from 16 to 8192 (the video is 4:2:0), got {}x{}",
                    c.width, c.height
                ),
            );
        }
        if !(-6.0..=24.0).contains(&c.ev100) {
            return bad("camera.ev100", format!("must be -6 to 24, got {}", c.ev100));
        }
        if !(-8.0..=8.0).contains(&c.exposure_compensation_ev) {
            return bad(
                "camera.exposure_compensation_ev",
                format!("must be -8 to 8 stops, got {}", c.exposure_compensation_ev),
            );
        }
        let l = &self.lighting;
        if !(0.0..=5000.0).contains(&l.lamp_lm_per_m2) {
            return bad("lighting.lamp_lm_per_m2", format!("must be 0 to 5000 lm/m², got {}", l.lamp_lm_per_m2));
        }
        if !(0.0..=150_000.0).contains(&l.sun_lux) {
            return bad("lighting.sun_lux", format!("must be 0 to 150000 lux, got {}", l.sun_lux));
        }
        if !(0.0..=60_000.0).contains(&l.sky_lux) {
            return bad("lighting.sky_lux", format!("must be 0 to 60000 lux, got {}", l.sky_lux));
        }
        let [lo, hi] = l.sun_elevation_deg;
        if !(lo >= 1.0 && lo <= hi && hi <= 90.0) {
            return bad(
                "lighting.sun_elevation_deg",
                format!("must be [min, max] with 1 <= min <= max <= 90, got {:?}", l.sun_elevation_deg),
            );
        }
        let r = &self.render;
        if ![0, 1, 4].contains(&r.msaa) {
            return bad("render.msaa", format!("must be 0 (by adapter), 1 (off) or 4, got {}", r.msaa));
        }
        if !(64..=4096).contains(&r.shadow_map_px) {
            return bad("render.shadow_map_px", format!("must be 64 to 4096, got {}", r.shadow_map_px));
        }
        if !(256..=8192).contains(&r.sun_shadow_map_px) {
            return bad("render.sun_shadow_map_px", format!("must be 256 to 8192, got {}", r.sun_shadow_map_px));
        }
        if c.fps == 0 || c.fps > 240 {
            return bad("camera.fps", format!("must be 1 to 240, got {}", c.fps));
        }
        if c.frames < 2 || c.frames > 100_000 {
            return bad("camera.frames", format!("must be 2 to 100000, got {}", c.frames));
        }
        if !(c.hfov_deg > 10.0 && c.hfov_deg < 160.0) {
            return bad("camera.hfov_deg", format!("must be between 10 and 160 degrees, got {}", c.hfov_deg));
        }
        if !(c.eye_height_m > 0.3 && c.clearance_m > 0.0 && c.clearance_m < 1.0 && c.tilt_down_deg.abs() < 80.0) {
            return bad(
                "camera.eye_height_m",
                "eye height must exceed 0.3 m, clearance be in (0, 1) m and tilt within 80 degrees".into(),
            );
        }
        if let Err((key, problem)) = self.trajectory.validate().and_then(|()| self.dynamics.validate()) {
            return bad(key, problem);
        }
        if !["auto", "vulkan", "gl"].contains(&self.render.backend.as_str()) {
            return bad(
                "render.backend",
                format!("must be \"auto\", \"vulkan\" or \"gl\", got \"{}\"", self.render.backend),
            );
        }
        for (i, set) in self.degradations.sets.iter().enumerate() {
            if let Err(e) = diorama_degradations::resolve_set(set) {
                return bad("degradations.sets", format!("set {i}: {e}"));
            }
            let kinds: Vec<_> = set.iter().map(|d| d.kind.as_str()).collect();
            let geometric = kinds.iter().find(|k| ["distortion", "fisheye"].contains(k));
            if let Some(k) = geometric
                && self.output.motion
            {
                return bad(
                    "degradations.sets",
                    format!(
                        "set {i}: `{k}` warps the image, and motion vectors are not warped yet; turn output.motion off"
                    ),
                );
            }
        }
        if self.output.video_crf > 51 {
            return bad("output.video_crf", format!("must be 0 to 51, got {}", self.output.video_crf));
        }
        const PRESETS: [&str; 10] =
            ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"];
        if !PRESETS.contains(&self.output.video_preset.as_str()) {
            return bad(
                "output.video_preset",
                format!("must be an x264 preset ({}), got `{}`", PRESETS.join(", "), self.output.video_preset),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_default_is_the_default() {
        let d = Config::default();
        d.validate("default").unwrap();
        assert_eq!(Config::from_toml_str(DEFAULT_CONFIG_TOML, "embedded").unwrap(), d);
        // Every key is written out in the printed file: no table or key relies on serde's defaults.
        let printed: toml::Table = toml::from_str(DEFAULT_CONFIG_TOML).unwrap();
        let full: toml::Table = toml::from_str(&toml::to_string(&d).unwrap()).unwrap();
        for (table, value) in &full {
            match value.as_table() {
                Some(t) => {
                    for key in t.keys() {
                        assert!(
                            printed[table].as_table().unwrap().contains_key(key),
                            "{table}.{key} missing from the printed default"
                        );
                    }
                }
                None => assert!(printed.contains_key(table), "{table} missing from the printed default"),
            }
        }
        assert_eq!((d.scenes, d.camera.frames, d.camera.width, d.camera.height, d.camera.fps), (4, 192, 640, 480, 12));
    }

    #[test]
    fn every_example_config_is_valid() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        names.sort();
        let tomls: Vec<_> = names.iter().filter(|p| p.extension().is_some_and(|x| x == "toml")).collect();
        assert!(tomls.len() >= 3, "{tomls:?}");
        for path in tomls {
            Config::from_file(path).unwrap_or_else(|e| panic!("{e}"));
        }
        let showcase = Config::from_file(&dir.join("showcase.toml")).unwrap();
        let o = &showcase.output;
        assert!(o.depth && o.instance && o.semantic && o.normals && o.motion, "the showcase writes every pass");
        assert_eq!((showcase.camera.width, showcase.camera.height, showcase.render.msaa), (1280, 720, 4));
    }

    #[test]
    fn missing_keys_take_defaults() {
        let c = Config::from_toml_str("seed = 9\n[camera]\nframes = 10\n", "t.toml").unwrap();
        assert_eq!((c.seed, c.camera.frames, c.camera.width), (9, 10, 640));
    }

    #[test]
    fn unknown_key_is_named() {
        let e = Config::from_toml_str("[camera]\nzoom = 2\n", "t.toml").unwrap_err().to_string();
        assert!(e.contains("t.toml") && e.contains("zoom"), "{e}");
    }

    #[test]
    fn negative_count_is_rejected_with_its_place() {
        let e = Config::from_toml_str("scenes = -1\n", "t.toml").unwrap_err().to_string();
        assert!(e.contains("t.toml") && e.contains("scenes") && e.contains("-1"), "{e}");
    }

    #[test]
    fn rendering_and_lighting_values_out_of_range_are_named() {
        for (text, key) in [
            ("[render]\nmsaa = 3\n", "render.msaa"),
            ("[render]\nshadow_map_px = 8\n", "render.shadow_map_px"),
            ("[lighting]\nsun_elevation_deg = [70.0, 30.0]\n", "lighting.sun_elevation_deg"),
            ("[lighting]\nsun_lux = -5.0\n", "lighting.sun_lux"),
            ("[camera]\nev100 = 40.0\n", "camera.ev100"),
        ] {
            let e = Config::from_toml_str(text, "t.toml").unwrap_err().to_string();
            assert!(e.contains("t.toml") && e.contains(key), "{text}: {e}");
        }
    }

    #[test]
    fn trajectory_values_out_of_range_are_named() {
        for (text, key, detail) in [
            ("[trajectory]\nkinds = [\"spiral\"]\n", "trajectory.kinds", "spiral"),
            ("[trajectory]\nkinds = []\n", "trajectory.kinds", "at least one"),
            ("[trajectory]\nactions = [\"forward 1\", \"jump 2\"]\n", "trajectory.actions", "jump"),
            ("[trajectory]\nactions = [\"left\"]\n", "trajectory.actions", "left"),
            ("[trajectory]\norbit_radius_m = [2.0, 1.0]\n", "trajectory.orbit_radius_m", "2.0"),
            ("[trajectory]\norbit_min_deg = 400.0\n", "trajectory.orbit_min_deg", "400"),
            ("[trajectory]\ncoverage_share = 1.5\n", "trajectory.coverage_share", "1.5"),
            ("[trajectory]\njitter_translation_m = 0.5\n", "trajectory.jitter_translation_m", "0.5"),
            ("[trajectory]\nspeed_m_s = 0.0\n", "trajectory.speed_m_s", "0"),
        ] {
            let e = Config::from_toml_str(text, "t.toml").unwrap_err().to_string();
            assert!(e.contains("t.toml") && e.contains(key) && e.contains(detail), "{text}: {e}");
        }
        let c = Config::from_toml_str("[trajectory]\nkinds = [\"orbit\", \"tour\"]\n", "t.toml").unwrap();
        assert_eq!(
            [c.trajectory.kind_of_scene(0), c.trajectory.kind_of_scene(1), c.trajectory.kind_of_scene(2)],
            ["orbit", "tour", "orbit"]
        );
    }

    #[test]
    fn odd_width_is_rejected() {
        let e = Config::from_toml_str("[camera]\nwidth = 641\n", "t.toml").unwrap_err().to_string();
        assert!(e.contains("camera.width") && e.contains("641"), "{e}");
    }
}
