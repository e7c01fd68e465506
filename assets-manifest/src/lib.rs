//! Object categories of diorama: real-world sizes, placement rules and procedural mesh recipes.
//!
//! The built-in manifest (`manifest.toml` beside this crate) is embedded in the binary, with the glTF assets it names ([`gltf_asset`]); a user may point the
//! config at a manifest file of their own, which is parsed by the same code ([`Manifest::from_toml_str`]).
//! This crate does no IO of its own: the caller reads the file and passes its text and its name.

pub mod gltf_asset;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Text of the built-in manifest.
pub const BUILTIN_MANIFEST_TOML: &str = include_str!("../manifest.toml");

/// Where an object of a category may stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlacementRule {
    /// Anywhere on the floor, any yaw.
    Floor,
    /// On the floor, back (local -y) against a wall, facing into the room.
    Wall,
    /// Back against one wall and a side against the adjacent one.
    Corner,
    /// Standing on the flat top of a support category.
    Surface,
}

/// The primitive a recipe part is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartKind {
    Box,
    /// Stands along local z; its diameter is `size[0]` of the smaller horizontal extent of the object.
    Cylinder,
}

/// What a surface is made of: the renderer gives each its texture, roughness and metalness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Material {
    /// Untextured, moderately rough (the default).
    #[default]
    Matte,
    /// Painted plaster (walls, ceilings).
    Plaster,
    /// Wood grain (furniture).
    Wood,
    /// Floorboards: wood grain in planks.
    Floorboards,
    /// Woven fabric (upholstery, bedding).
    Fabric,
    /// Leather: smooth, a little glossy.
    Leather,
    /// Veined stone (counter tops).
    Marble,
    /// Ceramic tiles with grout lines (kitchen and bathroom floors, balconies).
    Tiles,
    /// Carpet and rugs.
    Carpet,
    /// Brushed metal.
    Metal,
    /// Smooth plastic.
    Plastic,
    /// Glazed ceramic (cups, bowls, sanitary ware).
    Ceramic,
    /// Glossy glass-like panels (screens).
    Glossy,
    /// Leaves (plants).
    Foliage,
}

/// One primitive of a procedural recipe, in unit coordinates of the object's box
/// (x and y in [-0.5, 0.5], z in [0, 1]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartRecipe {
    pub kind: PartKind,
    pub center: [f32; 3],
    pub size: [f32; 3],
    /// Linear RGB albedo of this part; the category colour when absent.
    #[serde(default)]
    pub color: Option<[f32; 3]>,
    /// What this part is made of; the category's material when absent.
    #[serde(default)]
    pub material: Option<Material>,
}

/// A flat surface small objects may rest on, in unit coordinates of the object's box.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurfaceRecipe {
    /// Height of the surface, as a fraction of the object's height.
    pub z: f32,
    pub x: [f32; 2],
    pub y: [f32; 2],
    /// Free height above the surface as a fraction of the object's height (a shelf's next board);
    /// 0 means open above.
    #[serde(default)]
    pub clear: f32,
}

/// How a category arranges itself around an anchor category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationKind {
    /// Beside the anchor, against the same wall, facing the same way (nightstands by a bed).
    Flank,
    /// Around the anchor, facing it (chairs around a table).
    Around,
    /// In front of the anchor's front, facing it (a desk chair, a coffee table before a sofa).
    Front,
    /// Against the wall opposite the anchor, facing it (a TV stand across from a sofa).
    Facing,
    /// Beneath the anchor, centred on it (a rug under a coffee table).
    Under,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relation {
    pub kind: RelationKind,
    pub anchor: String,
}

/// One line of a room program: a category and how many of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramEntry {
    pub category: String,
    pub count: [u32; 2],
}

/// A room type: its floor size, its furniture program and the small objects its surfaces may hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomType {
    /// An outdoor area (balcony, patio): no ceiling, railings for outer walls, only reached through a door.
    #[serde(default)]
    pub outdoor: bool,
    /// Floor size ranges along x and y, metres.
    pub width_m: [f32; 2],
    pub depth_m: [f32; 2],
    pub furniture: Vec<ProgramEntry>,
    pub small: Vec<String>,
}

/// A category of objects as declared in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Name used in question text ("floor lamp").
    pub name: String,
    pub placement: PlacementRule,
    /// Width range (local x), metres.
    pub size_x_m: [f32; 2],
    /// Depth range (local y), metres.
    pub size_y_m: [f32; 2],
    /// Height range (local z), metres.
    pub size_z_m: [f32; 2],
    /// Linear RGB albedo of the category.
    pub color: [f32; 3],
    /// What the category is made of (parts may say otherwise).
    #[serde(default)]
    pub material: Material,
    /// Whether small objects may stand on its whole flat top (shorthand for one surface at z = 1).
    #[serde(default)]
    pub support: bool,
    /// Support surfaces given explicitly (shelf boards, a mattress, a seat).
    #[serde(default)]
    pub surfaces: Vec<SurfaceRecipe>,
    /// Has a functional front (seat, drawers, doors) to keep clear.
    #[serde(default)]
    pub front: bool,
    /// Arrangement around an anchor category.
    #[serde(default)]
    pub relation: Option<Relation>,
    /// Categories a `surface` object may stand on.
    #[serde(default)]
    pub supports: Vec<String>,
    /// A flat covering (a rug): furniture may stand on it.
    #[serde(default)]
    pub flat: bool,
    #[serde(default = "default_max_per_room")]
    pub max_per_room: u32,
    pub parts: Vec<PartRecipe>,
    /// A glTF 2.0 mesh (a path relative to the manifest) drawn instead of the parts, which stay the shape used
    /// for collision and placement: the mesh must lie within them. Scaled to each object's box (both horizontal
    /// axes by the smaller factor, so round things stay round); its own size must fall within the size ranges.
    #[serde(default)]
    pub gltf: Option<String>,
    /// The light the object gives when switched on (lamps).
    #[serde(default)]
    pub light: Option<LampLight>,
    /// Its body can hold a drawer that slides out of its front (the `drawer` dynamic event).
    #[serde(default)]
    pub drawers: bool,
}

/// A lamp's light: a spot light pointing down from `at` (unit coordinates of the object's box, like parts).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LampLight {
    /// Luminous flux, lumens.
    pub flux_lm: f32,
    pub at: [f32; 3],
    /// Half-angle of the cone of light, degrees (0 to 90).
    pub half_angle_deg: f32,
}

fn default_max_per_room() -> u32 {
    1
}

/// The set of categories, keyed by manifest key (`floor_lamp`), in key order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub categories: BTreeMap<String, Category>,
    /// Room types by key (`bedroom`), in key order.
    #[serde(default)]
    pub rooms: BTreeMap<String, RoomType>,
    /// The loaded glTF meshes of the categories that name one, by category key (see [`Manifest::load_assets`]).
    #[serde(skip)]
    pub assets: BTreeMap<String, std::sync::Arc<gltf_asset::AssetMesh>>,
}

/// What is wrong with a manifest. `source` names the file (or "built-in manifest").
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{source_name} is not a valid assets manifest: {message}")]
    Parse { source_name: String, message: String },
    #[error("{source_name}: category `{key}`: {problem}")]
    Invalid { source_name: String, key: String, problem: String },
    #[error("{source_name}: category `{key}`: cannot read its glTF file {path}: {message}")]
    AssetRead { source_name: String, key: String, path: String, message: String },
    // The asset error is part of this message, not a separate cause, so it is printed once.
    #[error("{source_name}: category `{key}`: {error}")]
    Asset { source_name: String, key: String, error: gltf_asset::AssetError },
}

impl Manifest {
    /// Keys of the indoor room types, in key order.
    pub fn indoor_room_types(&self) -> Vec<String> {
        self.rooms.iter().filter(|(_, r)| !r.outdoor).map(|(k, _)| k.clone()).collect()
    }

    /// Keys of the outdoor area types (balcony, patio), in key order.
    pub fn outdoor_room_types(&self) -> Vec<String> {
        self.rooms.iter().filter(|(_, r)| r.outdoor).map(|(k, _)| k.clone()).collect()
    }

    /// The manifest shipped with diorama, with its glTF assets.
    pub fn builtin() -> Manifest {
        static BUILTIN: std::sync::OnceLock<Manifest> = std::sync::OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                let mut m = Manifest::from_toml_str(BUILTIN_MANIFEST_TOML, "built-in manifest")
                    .expect("the built-in manifest is checked by this crate's tests");
                let embedded = gltf_asset::builtin_asset_bytes();
                m.load_assets("built-in manifest", |path| {
                    embedded.get(path).map(|b| b.to_vec()).ok_or_else(|| "not among the embedded assets".to_string())
                })
                .expect("the built-in assets are checked by this crate's tests");
                m
            })
            .clone()
    }

    /// Loads the glTF mesh of every category that names one, reading files through `read` (given the path as
    /// the manifest writes it), and checks that each mesh's size lies within its category's size ranges.
    pub fn load_assets(
        &mut self,
        source_name: &str,
        read: impl Fn(&str) -> Result<Vec<u8>, String>,
    ) -> Result<(), ManifestError> {
        for (key, cat) in &self.categories {
            let Some(path) = &cat.gltf else { continue };
            let bytes = read(path).map_err(|message| ManifestError::AssetRead {
                source_name: source_name.into(),
                key: key.clone(),
                path: path.clone(),
                message,
            })?;
            let mesh = gltf_asset::AssetMesh::from_gltf_bytes(&bytes, path).map_err(|error| ManifestError::Asset {
                source_name: source_name.into(),
                key: key.clone(),
                error,
            })?;
            let size = mesh.size();
            for (axis, range, s) in [
                ("size_x_m", cat.size_x_m, size[0]),
                ("size_y_m", cat.size_y_m, size[1]),
                ("size_z_m", cat.size_z_m, size[2]),
            ] {
                // A centimetre of slack: the mesh is its real-world size, the ranges are what instances may be.
                if s < range[0] - 0.01 || s > range[1] + 0.01 {
                    return Err(ManifestError::Invalid {
                        source_name: source_name.into(),
                        key: key.clone(),
                        problem: format!("its glTF mesh {path} is {s:.3} m along {axis}, outside {range:?}"),
                    });
                }
            }
            if let Some((vertex, size)) = cat.mesh_outside_parts(&mesh) {
                return Err(ManifestError::Invalid {
                    source_name: source_name.into(),
                    key: key.clone(),
                    problem: format!(
                        "its glTF mesh {path} reaches outside its parts (vertex {vertex:?} m of an object of size \
                         {size:?} m); the parts are its collision shape and must contain the mesh"
                    ),
                });
            }
            self.assets.insert(key.clone(), std::sync::Arc::new(mesh));
        }
        Ok(())
    }

    /// Parses and validates a manifest; `source_name` names it in errors.
    pub fn from_toml_str(text: &str, source_name: &str) -> Result<Manifest, ManifestError> {
        let manifest: Manifest = toml::from_str(text)
            .map_err(|e| ManifestError::Parse { source_name: source_name.to_string(), message: e.to_string() })?;
        manifest.validate(source_name)?;
        Ok(manifest)
    }

    pub fn get(&self, key: &str) -> Option<&Category> {
        self.categories.get(key)
    }

    fn validate(&self, source_name: &str) -> Result<(), ManifestError> {
        let invalid = |key: &str, problem: String| ManifestError::Invalid {
            source_name: source_name.to_string(),
            key: key.to_string(),
            problem,
        };
        for (key, cat) in &self.categories {
            for (axis, range) in [("size_x_m", cat.size_x_m), ("size_y_m", cat.size_y_m), ("size_z_m", cat.size_z_m)] {
                if !(range[0] > 0.0 && range[0] <= range[1] && range[1].is_finite()) {
                    return Err(invalid(key, format!("{axis} must be [min, max] with 0 < min <= max, got {range:?}")));
                }
            }
            if cat.parts.is_empty() {
                return Err(invalid(key, "has no parts in its recipe".into()));
            }
            if let Some(l) = &cat.light
                && !(l.flux_lm > 0.0 && l.flux_lm <= 20_000.0 && l.half_angle_deg > 0.0 && l.half_angle_deg <= 90.0)
            {
                return Err(invalid(
                    key,
                    format!("light must have 0 < flux_lm <= 20000 and 0 < half_angle_deg <= 90, got {l:?}"),
                ));
            }
            for (i, part) in cat.parts.iter().enumerate() {
                if part.size.iter().any(|s| !(*s > 0.0 && s.is_finite())) {
                    return Err(invalid(key, format!("part {i} has a non-positive size {:?}", part.size)));
                }
            }
            for surf in &cat.surfaces {
                if !(surf.z > 0.0
                    && surf.z <= 1.0
                    && surf.x[0] < surf.x[1]
                    && surf.y[0] < surf.y[1]
                    && surf.clear >= 0.0)
                {
                    return Err(invalid(key, format!("surface {surf:?} is not inside the unit box")));
                }
            }
            if let Some(rel) = &cat.relation
                && !self.categories.contains_key(&rel.anchor)
            {
                return Err(invalid(key, format!("relation names unknown anchor category `{}`", rel.anchor)));
            }
            if cat.placement == PlacementRule::Surface {
                if cat.supports.is_empty() {
                    return Err(invalid(key, "is placed on a surface but lists no `supports`".into()));
                }
                for s in &cat.supports {
                    match self.categories.get(s) {
                        None => return Err(invalid(key, format!("lists unknown support category `{s}`"))),
                        Some(c) if c.support_surfaces().is_empty() => {
                            return Err(invalid(
                                key,
                                format!("lists `{s}` as support, but `{s}` has no support surface"),
                            ));
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        for (key, room) in &self.rooms {
            for (name, r) in [("width_m", room.width_m), ("depth_m", room.depth_m)] {
                if !(r[0] >= 2.0 && r[0] <= r[1] && r[1] <= 30.0) {
                    return Err(invalid(
                        key,
                        format!("{name} must be [min, max] with 2 <= min <= max <= 30, got {r:?}"),
                    ));
                }
            }
            for entry in &room.furniture {
                match self.categories.get(&entry.category) {
                    None => {
                        return Err(invalid(key, format!("room program names unknown category `{}`", entry.category)));
                    }
                    Some(c) if c.placement == PlacementRule::Surface => {
                        return Err(invalid(
                            key,
                            format!("`{}` stands on surfaces: list it under `small`", entry.category),
                        ));
                    }
                    Some(_) if entry.count[0] > entry.count[1] => {
                        return Err(invalid(
                            key,
                            format!("count of `{}` must be [min, max] with min <= max", entry.category),
                        ));
                    }
                    Some(_) => {}
                }
            }
            for small in &room.small {
                if self.categories.get(small).is_none_or(|c| c.placement != PlacementRule::Surface) {
                    return Err(invalid(key, format!("`{small}` in `small` is not a category placed on surfaces")));
                }
            }
        }
        Ok(())
    }
}

impl Category {
    /// The surfaces small objects may rest on (the whole top when `support = true`).
    pub fn support_surfaces(&self) -> Vec<SurfaceRecipe> {
        let mut v = self.surfaces.clone();
        if self.support && !v.iter().any(|s| s.z >= 1.0) {
            v.push(SurfaceRecipe { z: 1.0, x: [-0.5, 0.5], y: [-0.5, 0.5], clear: 0.0 });
        }
        v
    }

    /// Recipe parts with their colours resolved.
    pub fn part_color(&self, part: &PartRecipe) -> [f32; 3] {
        part.color.unwrap_or(self.color)
    }

    pub fn part_material(&self, part: &PartRecipe) -> Material {
        part.material.unwrap_or(self.material)
    }

    /// A vertex of `mesh` (scaled to an object of this category) outside every part of the recipe, and the object
    /// size it was found at, checking the eight extremes of the size ranges; `None` when the parts contain the
    /// mesh, as layouts and silhouettes rely on.
    pub fn mesh_outside_parts(&self, mesh: &gltf_asset::AssetMesh) -> Option<([f32; 3], [f32; 3])> {
        const EPS_M: f32 = 1e-4;
        for corner in 0..8 {
            let pick = |r: [f32; 2], bit: usize| if corner >> bit & 1 == 0 { r[0] } else { r[1] };
            let size = [pick(self.size_x_m, 0), pick(self.size_y_m, 1), pick(self.size_z_m, 2)];
            let s = mesh.scale_to(size);
            for p in &mesh.positions {
                let q = [p[0] * s[0], p[1] * s[1], p[2] * s[2]];
                let inside = self.parts.iter().any(|part| {
                    let c = [0, 1, 2].map(|i| part.center[i] * size[i]);
                    match part.kind {
                        PartKind::Box => (0..3).all(|i| (q[i] - c[i]).abs() <= part.size[i] * size[i] / 2.0 + EPS_M),
                        PartKind::Cylinder => {
                            let r = part.size[0] * size[0].min(size[1]) / 2.0;
                            let h = part.size[2] * size[2] / 2.0;
                            (q[0] - c[0]).hypot(q[1] - c[1]) <= r + EPS_M && (q[2] - c[2]).abs() <= h + EPS_M
                        }
                    }
                });
                if !inside {
                    return Some((q, size));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_meshes_stay_inside_their_collision_parts() {
        let m = Manifest::builtin();
        assert_eq!(m.assets.len(), 3);
        for (key, mesh) in &m.assets {
            assert_eq!(m.categories[key].mesh_outside_parts(mesh), None, "{key}");
        }
    }

    #[test]
    fn a_mesh_reaching_past_its_parts_is_rejected_naming_it() {
        // The vase's mesh on a category whose only part is a thin post: the mesh sticks out.
        let text = BUILTIN_MANIFEST_TOML.replace(
            "  { kind = \"cylinder\", center = [0.0, 0.0, 0.35], size = [1.0, 1.0, 0.7] },\n  { kind = \"cylinder\", center = [0.0, 0.0, 0.85], size = [0.5, 0.5, 0.3] },",
            "  { kind = \"cylinder\", center = [0.0, 0.0, 0.5], size = [0.2, 0.2, 1.0] },",
        );
        assert_ne!(text, BUILTIN_MANIFEST_TOML);
        let mut m = Manifest::from_toml_str(&text, "thin.toml").unwrap();
        let embedded = gltf_asset::builtin_asset_bytes();
        let e = m.load_assets("thin.toml", |p| Ok(embedded[p].to_vec())).unwrap_err().to_string();
        assert!(e.contains("thin.toml") && e.contains("vase") && e.contains("outside its parts"), "{e}");
    }

    #[test]
    fn builtin_manifest_has_at_least_twelve_valid_categories() {
        let m = Manifest::builtin();
        assert!(m.categories.len() >= 30, "only {} categories", m.categories.len());
        for key in ["cup", "book", "bottle", "laptop", "vase", "pillow"] {
            assert_eq!(m.get(key).unwrap().placement, PlacementRule::Surface, "{key}");
        }
        for room in ["bedroom", "living_room", "kitchen", "dining_room", "office", "bathroom"] {
            assert!(m.rooms.contains_key(room), "missing room type {room}");
        }
        for key in ["bed", "table", "chair", "sofa", "bookshelf", "cabinet", "desk", "floor_lamp", "plant", "tv", "rug"]
        {
            assert!(m.get(key).is_some(), "missing category {key}");
        }
    }

    #[test]
    fn recipes_stay_inside_their_unit_box() {
        // A part that pokes out of the object's box would make the recorded OBB wrong.
        for (key, cat) in &Manifest::builtin().categories {
            for p in &cat.parts {
                // Check at the corners of the size ranges, where a cylinder's diameter (a fraction of the smaller
                // side) is largest relative to the other side.
                for sx in cat.size_x_m {
                    for sy in cat.size_y_m {
                        let (half_x, half_y) = match p.kind {
                            PartKind::Box => (p.size[0] * sx / 2.0, p.size[1] * sy / 2.0),
                            PartKind::Cylinder => (p.size[0] * sx.min(sy) / 2.0, p.size[0] * sx.min(sy) / 2.0),
                        };
                        assert!(
                            p.center[0].abs() * sx + half_x <= 0.5 * sx + 1e-4,
                            "{key}: part {p:?} leaves the box in x"
                        );
                        assert!(
                            p.center[1].abs() * sy + half_y <= 0.5 * sy + 1e-4,
                            "{key}: part {p:?} leaves the box in y"
                        );
                    }
                }
                assert!(p.center[2] - p.size[2] / 2.0 >= -1e-4, "{key}: part below the floor");
                assert!(p.center[2] + p.size[2] / 2.0 <= 1.0 + 1e-4, "{key}: part above the box");
            }
        }
    }

    #[test]
    fn unknown_key_is_an_error_naming_it() {
        let text = "[categories.x]\nname='x'\nplacement='floor'\nsize_x_m=[1,1]\nsize_y_m=[1,1]\nsize_z_m=[1,1]\ncolor=[1,1,1]\nwheels=4\nparts=[]";
        let err = Manifest::from_toml_str(text, "my.toml").unwrap_err().to_string();
        assert!(err.contains("my.toml") && err.contains("wheels"), "{err}");
    }

    #[test]
    fn surface_category_needs_known_supports() {
        let text = "[categories.cup]\nname='cup'\nplacement='surface'\nsupports=['altar']\nsize_x_m=[0.1,0.1]\nsize_y_m=[0.1,0.1]\nsize_z_m=[0.1,0.1]\ncolor=[1,1,1]\nparts=[{kind='box',center=[0,0,0.5],size=[1,1,1]}]";
        let err = Manifest::from_toml_str(text, "m.toml").unwrap_err().to_string();
        assert!(err.contains("altar") && err.contains("cup"), "{err}");
    }

    #[test]
    fn shelf_boards_leave_room_for_what_they_hold() {
        let m = Manifest::builtin();
        let shelf = m.get("bookshelf").unwrap();
        let inside: Vec<_> = shelf.support_surfaces().into_iter().filter(|s| s.clear > 0.0).collect();
        assert!(inside.len() >= 2);
        // The tallest book fits on the lowest shelf of the shortest bookshelf.
        let book_h = m.get("book").unwrap().size_z_m[1];
        assert!(inside.iter().all(|s| s.clear * shelf.size_z_m[0] > book_h), "books must fit inside the shelves");
    }

    #[test]
    fn room_program_with_unknown_category_is_rejected() {
        let text = format!(
            "{BUILTIN_MANIFEST_TOML}\n[rooms.attic]\nwidth_m = [3, 4]\ndepth_m = [3, 4]\nfurniture = [{{ category = \"piano\", count = [1, 1] }}]\nsmall = []\n"
        );
        let err = Manifest::from_toml_str(&text, "m.toml").unwrap_err().to_string();
        assert!(err.contains("piano") && err.contains("attic"), "{err}");
    }

    #[test]
    fn inverted_size_range_is_rejected() {
        let text = "[categories.x]\nname='x'\nplacement='floor'\nsize_x_m=[2,1]\nsize_y_m=[1,1]\nsize_z_m=[1,1]\ncolor=[1,1,1]\nparts=[{kind='box',center=[0,0,0.5],size=[1,1,1]}]";
        let err = Manifest::from_toml_str(text, "m.toml").unwrap_err().to_string();
        assert!(err.contains("size_x_m"), "{err}");
    }
}
