//! glTF 2.0 meshes for object categories, read from bytes (the caller reads files: this crate does no IO)
//! through the `gltf` crate, and written by the project's own asset generator.
//!
//! A mesh is taken in metres (glTF's unit), turned from glTF's frame (+Y up, +Z front, -X right) into the
//! manifest's object frame (+z up, +y front, +x right), and placed by its bounding box: centred in x and y,
//! standing on z = 0. Every primitive of every node of the default scene is merged, with node transforms applied;
//! the first primitive's metallic-roughness material (base colour factor and texture, metallic and roughness
//! factors, normal texture) stands for the whole mesh.

use std::collections::BTreeMap;

/// An RGBA8 image (sRGB-encoded for base colour, linear for normals), rows top first.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetImage {
    pub width: u32,
    pub height: u32,
    pub rgba8: Vec<u8>,
}

/// A triangle mesh with its material, in the manifest's object frame, metres.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetMesh {
    pub name: String,
    pub positions: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    pub uvs: Vec<[f32; 2]>,
    pub indices: Vec<u32>,
    /// Linear RGBA base colour factor.
    pub base_color: [f32; 4],
    pub metallic: f32,
    pub roughness: f32,
    pub base_color_texture: Option<AssetImage>,
    pub normal_texture: Option<AssetImage>,
}

/// A glTF file that cannot be used, named.
#[derive(Debug, thiserror::Error)]
#[error("glTF asset {name}: {message}")]
pub struct AssetError {
    pub name: String,
    pub message: String,
}

fn mul4(m: &[[f32; 4]; 4], p: [f32; 3], w: f32) -> [f32; 3] {
    // `m` is column-major (glTF's layout): m[column][row].
    [0, 1, 2].map(|r| m[0][r] * p[0] + m[1][r] * p[1] + m[2][r] * p[2] + m[3][r] * w)
}

fn mat_mul(a: &[[f32; 4]; 4], b: &[[f32; 4]; 4]) -> [[f32; 4]; 4] {
    let mut out = [[0.0; 4]; 4];
    for (c, col) in out.iter_mut().enumerate() {
        for (r, v) in col.iter_mut().enumerate() {
            *v = (0..4).map(|k| a[k][r] * b[c][k]).sum();
        }
    }
    out
}

/// glTF frame to the manifest's: x = -x_gltf, y = z_gltf, z = y_gltf.
fn from_gltf(v: [f32; 3]) -> [f32; 3] {
    [-v[0], v[2], v[1]]
}

fn to_gltf(v: [f32; 3]) -> [f32; 3] {
    [-v[0], v[2], v[1]]
}

fn image_rgba8(data: &gltf::image::Data) -> Option<AssetImage> {
    use gltf::image::Format;
    let px = (data.width * data.height) as usize;
    let rgba8 = match data.format {
        Format::R8G8B8A8 => data.pixels.clone(),
        Format::R8G8B8 => data.pixels.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
        Format::R8 => data.pixels.iter().flat_map(|&v| [v, v, v, 255]).collect(),
        _ => return None,
    };
    (rgba8.len() == px * 4).then_some(AssetImage { width: data.width, height: data.height, rgba8 })
}

impl AssetMesh {
    /// Parses a self-contained glTF (a .glb, or a .gltf with its buffers and images embedded as data URIs).
    pub fn from_gltf_bytes(bytes: &[u8], name: &str) -> Result<AssetMesh, AssetError> {
        let err = |message: String| AssetError { name: name.to_string(), message };
        let (doc, buffers, images) =
            gltf::import_slice(bytes).map_err(|e| err(format!("not a readable glTF 2.0 file ({e})")))?;
        let scene = doc.default_scene().or_else(|| doc.scenes().next()).ok_or_else(|| err("it has no scene".into()))?;
        let mut mesh = AssetMesh {
            name: name.to_string(),
            positions: Vec::new(),
            normals: Vec::new(),
            uvs: Vec::new(),
            indices: Vec::new(),
            base_color: [1.0; 4],
            metallic: 1.0,
            roughness: 1.0,
            base_color_texture: None,
            normal_texture: None,
        };
        let identity = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]];
        let mut stack: Vec<(gltf::Node<'_>, [[f32; 4]; 4])> = scene.nodes().map(|n| (n, identity)).collect();
        let mut material_set = false;
        while let Some((node, parent)) = stack.pop() {
            let world = mat_mul(&parent, &node.transform().matrix());
            stack.extend(node.children().map(|c| (c, world)));
            let Some(m) = node.mesh() else { continue };
            for prim in m.primitives() {
                if prim.mode() != gltf::mesh::Mode::Triangles {
                    return Err(err(format!("mesh `{}` has a non-triangle primitive", m.name().unwrap_or("?"))));
                }
                let reader = prim.reader(|b| buffers.get(b.index()).map(|d| &d.0[..]));
                let positions: Vec<[f32; 3]> =
                    reader.read_positions().ok_or_else(|| err("a primitive has no POSITION".into()))?.collect();
                let base = mesh.positions.len() as u32;
                let normals: Vec<[f32; 3]> = match reader.read_normals() {
                    Some(n) => n.collect(),
                    None => return Err(err("a primitive has no NORMAL (flat normals are not derived)".into())),
                };
                if normals.len() != positions.len() {
                    return Err(err("NORMAL and POSITION counts differ".into()));
                }
                let uvs: Vec<[f32; 2]> = match reader.read_tex_coords(0) {
                    Some(t) => t.into_f32().collect(),
                    None => vec![[0.0; 2]; positions.len()],
                };
                let indices: Vec<u32> = match reader.read_indices() {
                    Some(i) => i.into_u32().collect(),
                    None => (0..positions.len() as u32).collect(),
                };
                if indices.len() % 3 != 0 || indices.iter().any(|&i| i as usize >= positions.len()) {
                    return Err(err("indices out of range or not whole triangles".into()));
                }
                for (p, n) in positions.iter().zip(&normals) {
                    mesh.positions.push(from_gltf(mul4(&world, *p, 1.0)));
                    let n = mul4(&world, *n, 0.0);
                    let l = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt().max(1e-12);
                    mesh.normals.push(from_gltf(n.map(|c| c / l)));
                }
                mesh.uvs.extend(uvs);
                // The frame change mirrors nothing (a rotation), so windings stay counter-clockwise.
                mesh.indices.extend(indices.iter().map(|i| base + i));
                if !material_set {
                    material_set = true;
                    let pbr = prim.material().pbr_metallic_roughness();
                    mesh.base_color = pbr.base_color_factor();
                    mesh.metallic = pbr.metallic_factor();
                    mesh.roughness = pbr.roughness_factor();
                    let image_of = |index: usize| {
                        let data = images.get(index).ok_or_else(|| err(format!("texture image {index} is missing")))?;
                        image_rgba8(data).ok_or_else(|| err(format!("texture image {index} has an unsupported format")))
                    };
                    if let Some(t) = pbr.base_color_texture() {
                        mesh.base_color_texture = Some(image_of(t.texture().source().index())?);
                    }
                    if let Some(t) = prim.material().normal_texture() {
                        mesh.normal_texture = Some(image_of(t.texture().source().index())?);
                    }
                }
            }
        }
        if mesh.indices.is_empty() {
            return Err(err("it holds no triangles".into()));
        }
        if mesh.positions.iter().flatten().any(|c| !c.is_finite()) {
            return Err(err("it has non-finite vertex positions".into()));
        }
        mesh.place_on_floor();
        Ok(mesh)
    }

    /// Centres the mesh in x and y and stands it on z = 0.
    fn place_on_floor(&mut self) {
        let (lo, hi) = self.bounds();
        let shift = [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0, lo[2]];
        for p in &mut self.positions {
            for i in 0..3 {
                p[i] -= shift[i];
            }
        }
    }

    /// Least and greatest corner of the bounding box, metres.
    pub fn bounds(&self) -> ([f32; 3], [f32; 3]) {
        let mut lo = [f32::INFINITY; 3];
        let mut hi = [f32::NEG_INFINITY; 3];
        for p in &self.positions {
            for i in 0..3 {
                lo[i] = lo[i].min(p[i]);
                hi[i] = hi[i].max(p[i]);
            }
        }
        (lo, hi)
    }

    /// The factors that scale the mesh to an object of `size` (width, depth, height): both horizontal axes by the
    /// smaller of their factors, so round things stay round and the mesh stays within the object's parts.
    pub fn scale_to(&self, size: [f32; 3]) -> [f32; 3] {
        let native = self.size();
        let horizontal = (size[0] / native[0]).min(size[1] / native[1]);
        [horizontal, horizontal, size[2] / native[2]]
    }

    /// Extents of the bounding box (width, depth, height), metres.
    pub fn size(&self) -> [f32; 3] {
        let (lo, hi) = self.bounds();
        [hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]]
    }

    /// A self-contained binary glTF (.glb) of the mesh and its material; images are stored as PNG bytes
    /// given by the caller (base colour, normal map), so this crate needs no image encoder.
    pub fn to_glb(&self, base_color_png: Option<&[u8]>, normal_png: Option<&[u8]>) -> Vec<u8> {
        let mut bin: Vec<u8> = Vec::new();
        let mut views = Vec::new();
        let mut push_view = |bin: &mut Vec<u8>, bytes: &[u8], target: Option<u32>| {
            while bin.len() % 4 != 0 {
                bin.push(0);
            }
            let offset = bin.len();
            bin.extend_from_slice(bytes);
            let mut v = serde_json::json!({"buffer": 0, "byteOffset": offset, "byteLength": bytes.len()});
            if let Some(t) = target {
                v["target"] = t.into();
            }
            views.push(v);
            views.len() - 1
        };
        let floats =
            |v: &[[f32; 3]]| v.iter().flat_map(|p| to_gltf(*p)).flat_map(f32::to_le_bytes).collect::<Vec<u8>>();
        let pos_view = push_view(&mut bin, &floats(&self.positions), Some(34962));
        let nrm_view = push_view(&mut bin, &floats(&self.normals), Some(34962));
        let uv_bytes: Vec<u8> = self.uvs.iter().flatten().flat_map(|c| c.to_le_bytes()).collect();
        let uv_view = push_view(&mut bin, &uv_bytes, Some(34962));
        let idx_bytes: Vec<u8> = self.indices.iter().flat_map(|i| i.to_le_bytes()).collect();
        let idx_view = push_view(&mut bin, &idx_bytes, Some(34963));
        // glTF's frame negates x, so the box's x bounds swap.
        let (ours_lo, ours_hi) = self.bounds();
        let (lo, hi) = (to_gltf([ours_hi[0], ours_lo[1], ours_lo[2]]), to_gltf([ours_lo[0], ours_hi[1], ours_hi[2]]));
        let n = self.positions.len();
        let mut pbr = serde_json::json!({
            "baseColorFactor": self.base_color,
            "metallicFactor": self.metallic,
            "roughnessFactor": self.roughness,
        });
        let mut json = serde_json::json!({
            "asset": {"version": "2.0", "generator": "diorama asset generator"},
            "scene": 0,
            "scenes": [{"nodes": [0]}],
            "nodes": [{"mesh": 0, "name": self.name}],
            "meshes": [{"name": self.name, "primitives": [{
                "attributes": {"POSITION": 0, "NORMAL": 1, "TEXCOORD_0": 2},
                "indices": 3,
                "material": 0,
            }]}],
            "accessors": [
                {"bufferView": pos_view, "componentType": 5126, "count": n, "type": "VEC3", "min": lo, "max": hi},
                {"bufferView": nrm_view, "componentType": 5126, "count": n, "type": "VEC3"},
                {"bufferView": uv_view, "componentType": 5126, "count": n, "type": "VEC2"},
                {"bufferView": idx_view, "componentType": 5125, "count": self.indices.len(), "type": "SCALAR"},
            ],
        });
        let mut images = Vec::new();
        let mut textures = Vec::new();
        let mut material = serde_json::json!({"name": self.name});
        for (png, normal) in [(base_color_png, false), (normal_png, true)] {
            let Some(png) = png else { continue };
            let view = push_view(&mut bin, png, None);
            images.push(serde_json::json!({"bufferView": view, "mimeType": "image/png"}));
            textures.push(serde_json::json!({"source": images.len() - 1, "sampler": 0}));
            if normal {
                material["normalTexture"] = serde_json::json!({"index": textures.len() - 1});
            } else {
                pbr["baseColorTexture"] = serde_json::json!({"index": textures.len() - 1});
            }
        }
        if !images.is_empty() {
            json["images"] = serde_json::Value::Array(images);
            json["samplers"] =
                serde_json::json!([{"magFilter": 9729, "minFilter": 9987, "wrapS": 10497, "wrapT": 10497}]);
            json["textures"] = serde_json::Value::Array(textures);
        }
        material["pbrMetallicRoughness"] = pbr;
        json["materials"] = serde_json::json!([material]);
        while bin.len() % 4 != 0 {
            bin.push(0);
        }
        json["buffers"] = serde_json::json!([{"byteLength": bin.len()}]);
        json["bufferViews"] = serde_json::Value::Array(views);
        let mut text = serde_json::to_vec(&json).expect("glTF JSON serialises");
        while text.len() % 4 != 0 {
            text.push(b' ');
        }
        let total = 12 + 8 + text.len() + 8 + bin.len();
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(b"glTF");
        out.extend_from_slice(&2u32.to_le_bytes());
        out.extend_from_slice(&(total as u32).to_le_bytes());
        out.extend_from_slice(&(text.len() as u32).to_le_bytes());
        out.extend_from_slice(b"JSON");
        out.extend_from_slice(&text);
        out.extend_from_slice(&(bin.len() as u32).to_le_bytes());
        out.extend_from_slice(b"BIN\0");
        out.extend_from_slice(&bin);
        out
    }
}

/// The glTF assets shipped with diorama (made by `cargo run -p diorama-assets --example make_assets`), by file
/// name as the built-in manifest names them.
pub fn builtin_asset_bytes() -> BTreeMap<&'static str, &'static [u8]> {
    BTreeMap::from([
        ("assets/mug.glb", &include_bytes!("../assets/mug.glb")[..]),
        ("assets/vase.glb", &include_bytes!("../assets/vase.glb")[..]),
        ("assets/bowl.glb", &include_bytes!("../assets/bowl.glb")[..]),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin(name: &str) -> AssetMesh {
        AssetMesh::from_gltf_bytes(builtin_asset_bytes()[name], name).unwrap()
    }

    #[test]
    fn shipped_assets_load_standing_on_the_floor_with_a_texture() {
        for name in builtin_asset_bytes().keys() {
            let m = builtin(name);
            let (lo, hi) = m.bounds();
            assert!(lo[2].abs() < 1e-6 && (lo[0] + hi[0]).abs() < 1e-5 && (lo[1] + hi[1]).abs() < 1e-5, "{name}");
            assert!(m.size().iter().all(|&s| s > 0.03 && s < 0.5), "{name}: {:?}", m.size());
            let tex = m.base_color_texture.as_ref().expect("a base colour texture");
            assert_eq!(tex.rgba8.len(), (tex.width * tex.height * 4) as usize);
            assert_eq!(m.normals.len(), m.positions.len());
            if name.contains("vase") {
                let n = m.normal_texture.as_ref().expect("the vase has a normal map");
                // Unit normals around +z in tangent space.
                for px in n.rgba8.chunks_exact(4) {
                    let v: Vec<f32> = px[..3].iter().map(|&c| c as f32 / 127.5 - 1.0).collect();
                    let len = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
                    assert!((len - 1.0).abs() < 0.03 && v[2] > 0.5, "{v:?}");
                }
            }
            // Normals point outwards: for a lathe, away from the axis on the side wall.
            let outward = m.positions.iter().zip(&m.normals).filter(|(p, n)| p[0] * n[0] + p[1] * n[1] > 0.0).count();
            assert!(outward * 3 > m.positions.len(), "{name}: {outward} of {}", m.positions.len());
        }
    }

    #[test]
    fn a_round_trip_keeps_the_geometry() {
        let m = builtin("assets/mug.glb");
        let again = AssetMesh::from_gltf_bytes(&m.to_glb(None, None), "again").unwrap();
        assert_eq!(again.indices, m.indices);
        for (a, b) in again.positions.iter().zip(&m.positions) {
            assert!((0..3).all(|i| (a[i] - b[i]).abs() < 1e-6));
        }
    }

    #[test]
    fn truncated_or_garbled_files_are_named() {
        let bytes = builtin_asset_bytes()["assets/vase.glb"];
        for (what, bad) in [("truncated", &bytes[..bytes.len() / 2]), ("garbled", &b"glTF\x02\x00\x00\x00nonsense"[..])]
        {
            let e = AssetMesh::from_gltf_bytes(bad, "shelf/vase.glb").unwrap_err().to_string();
            assert!(e.contains("shelf/vase.glb") && e.contains("glTF"), "{what}: {e}");
        }
        let e =
            AssetMesh::from_gltf_bytes(b"{\"asset\": {\"version\": \"2.0\"}}", "empty.gltf").unwrap_err().to_string();
        assert!(e.contains("empty.gltf") && e.contains("no scene"), "{e}");
    }
}
