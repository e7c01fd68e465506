//! Tessellation of primitives into one static triangle mesh per scene (pure; no GPU).

use bytemuck::{Pod, Zeroable};

/// One vertex: world position and normal, texture coordinates in metres along the surface, linear albedo, the id
/// of the object it belongs to, and its packed material (see [`Surface::packed`]).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct Vertex {
    pub position: [f32; 3],
    pub normal: [f32; 3],
    pub uv_m: [f32; 2],
    pub albedo: [f32; 3],
    pub instance: u32,
    pub material: u32,
}

/// The procedural textures (layers of the renderer's texture array, in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(u8)]
pub enum Texture {
    /// No texture: the albedo as given.
    #[default]
    Flat = 0,
    Plaster,
    Wood,
    Floorboards,
    Fabric,
    Marble,
    Tiles,
    Carpet,
    Brushed,
    Leather,
    Foliage,
}

impl Texture {
    pub const ALL: [Texture; 11] = [
        Texture::Flat,
        Texture::Plaster,
        Texture::Wood,
        Texture::Floorboards,
        Texture::Fabric,
        Texture::Marble,
        Texture::Tiles,
        Texture::Carpet,
        Texture::Brushed,
        Texture::Leather,
        Texture::Foliage,
    ];

    /// Metres of surface one repeat of the texture covers (real-world scale: 15 cm floorboards, 30 cm tiles).
    pub fn repeat_m(self) -> f32 {
        match self {
            Texture::Flat => 1.0,
            Texture::Plaster => 2.0,
            Texture::Wood => 1.0,
            Texture::Floorboards => 1.2,
            Texture::Fabric => 0.15,
            Texture::Marble => 1.0,
            Texture::Tiles => 1.2,
            Texture::Carpet => 0.5,
            Texture::Brushed => 0.5,
            Texture::Leather => 0.3,
            Texture::Foliage => 0.4,
        }
    }
}

/// What a surface looks like: linear albedo modulated by a texture, GGX roughness and metalness, and where on
/// the texture it starts (so that instances of one material differ).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Surface {
    /// Linear RGB base colour (albedo of a dielectric, specular colour of a metal).
    pub albedo: [f32; 3],
    pub texture: Texture,
    /// Perceptual roughness in [0, 1].
    pub roughness: f32,
    /// 0 for dielectrics, 1 for metals.
    pub metallic: f32,
    /// Offset of the texture on this surface, metres.
    pub uv_offset_m: [f32; 2],
    /// A base-colour image (index into [`SceneMesh::images`]) instead of the procedural texture: the albedo is
    /// multiplied by the image's decoded sRGB colour, and texture coordinates are the image's own (0 to 1).
    pub image: Option<u32>,
    /// A tangent-space normal map (index into [`SceneMesh::images`], glTF's convention: +x along u, +y up the
    /// image), in the image's own texture coordinates.
    pub normal_image: Option<u32>,
}

impl Default for Surface {
    fn default() -> Surface {
        Surface {
            albedo: [0.5; 3],
            texture: Texture::Flat,
            roughness: 0.8,
            metallic: 0.0,
            uv_offset_m: [0.0; 2],
            image: None,
            normal_image: None,
        }
    }
}

impl Surface {
    /// Texture layer in bits 0-7, roughness in 8-15 and metalness in 16-23 (unorm8 each); bit 31 marks a
    /// base-colour image (its layer follows the procedural ones); bits 24-30 hold a normal map's layer (0: none).
    pub fn packed(&self) -> u32 {
        let unorm = |x: f32| (x.clamp(0.0, 1.0) * 255.0).round() as u32;
        let layer = match self.image {
            Some(i) => (Texture::ALL.len() as u32 + i).min(255) | 1 << 31,
            None => self.texture as u32,
        };
        let normal = self.normal_image.map_or(0, |i| (Texture::ALL.len() as u32 + i).min(127));
        layer | unorm(self.roughness) << 8 | unorm(self.metallic) << 16 | normal << 24
    }
}

/// An RGBA8 image, sRGB-encoded, rows top first (a glTF asset's base colour).
#[derive(Debug, Clone, PartialEq)]
pub struct TextureImage {
    pub width: u32,
    pub height: u32,
    pub rgba8: Vec<u8>,
}

/// Most images a scene may use (texture layers are addressed with 8 bits; normal maps with 7, so a normal map
/// must be among the first `127 - Texture::ALL.len()`).
pub const MAX_IMAGES: usize = 255 - Texture::ALL.len();

/// All triangles of a scene in world coordinates, and the images their surfaces name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SceneMesh {
    pub vertices: Vec<Vertex>,
    pub indices: Vec<u32>,
    pub images: Vec<TextureImage>,
}

/// Segments around a cylinder.
/// Side facets of a tessellated cylinder (the silhouette counter in `sim` uses the same).
pub const CYLINDER_SEGMENTS: usize = 20;

fn apply(axes: &[[f32; 3]; 3], v: [f32; 3]) -> [f32; 3] {
    // `axes` are the columns (local x, y, z in world coordinates).
    [0, 1, 2].map(|i| axes[0][i] * v[0] + axes[1][i] * v[1] + axes[2][i] * v[2])
}

fn add(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

impl SceneMesh {
    fn push_quad(&mut self, corners: [([f32; 3], [f32; 2]); 4], normal: [f32; 3], surface: &Surface, instance: u32) {
        let base = self.vertices.len() as u32;
        let material = surface.packed();
        for (position, uv) in corners {
            let uv_m = [uv[0] + surface.uv_offset_m[0], uv[1] + surface.uv_offset_m[1]];
            self.vertices.push(Vertex { position, normal, uv_m, albedo: surface.albedo, instance, material });
        }
        self.indices.extend_from_slice(&[base, base + 1, base + 2, base, base + 2, base + 3]);
    }

    /// A box with full extents `size` along `axes` (columns: local x, y, z in world coordinates).
    /// An indexed triangle list already in world coordinates (a glTF asset placed in the scene); `uvs` are the
    /// asset's own texture coordinates.
    pub fn add_triangles(
        &mut self,
        positions: &[[f32; 3]],
        normals: &[[f32; 3]],
        uvs: &[[f32; 2]],
        indices: &[u32],
        surface: &Surface,
        instance: u32,
    ) {
        let base = self.vertices.len() as u32;
        let material = surface.packed();
        for ((&position, &normal), &uv_m) in positions.iter().zip(normals).zip(uvs) {
            self.vertices.push(Vertex { position, normal, uv_m, albedo: surface.albedo, instance, material });
        }
        self.indices.extend(indices.iter().map(|i| base + i));
    }

    /// Texture coordinates run along each face in metres, so textures keep their real-world scale.
    /// Makes object `instance` a mover in `slot` (1 to 15): the renderer places its vertices by the frame's
    /// transform for that slot (`Exposure::movers[slot - 1]`), and leaves it out of the shadow maps.
    pub fn assign_mover(&mut self, instance: u16, slot: u16) {
        assert!((1..crate::gpu::MAX_MOVER_SLOTS as u16).contains(&slot), "mover slot {slot} out of range");
        for v in self.vertices.iter_mut().filter(|v| v.instance & 0xffff == instance as u32) {
            v.instance = instance as u32 | (slot as u32) << 16;
        }
    }

    pub fn add_box(&mut self, center: [f32; 3], axes: [[f32; 3]; 3], size: [f32; 3], surface: &Surface, instance: u32) {
        let h = size.map(|s| s / 2.0);
        for axis in 0..3 {
            for sign in [-1.0f32, 1.0] {
                let (u, v) = ((axis + 1) % 3, (axis + 2) % 3);
                let mut n = [0.0; 3];
                n[axis] = sign;
                // Counter-clockwise seen from outside.
                let (su, sv) = if sign > 0.0 { (1.0, 1.0) } else { (1.0, -1.0) };
                let corner = |a: f32, b: f32| {
                    let mut l = [0.0; 3];
                    l[axis] = sign * h[axis];
                    l[u] = a * su * h[u];
                    l[v] = b * sv * h[v];
                    // The longer side of the face runs along the texture's u (wood grain along a board).
                    let (du, dv) = (l[u] + h[u], l[v] + h[v]);
                    let uv = if size[u] >= size[v] { [du, dv] } else { [dv, du] };
                    (add(center, apply(&axes, l)), uv)
                };
                let quad = [corner(-1.0, -1.0), corner(1.0, -1.0), corner(1.0, 1.0), corner(-1.0, 1.0)];
                self.push_quad(quad, apply(&axes, n), surface, instance);
            }
        }
    }

    /// A cylinder of diameter `diameter` and height `height` standing along `axes`' local z.
    pub fn add_cylinder(
        &mut self,
        center: [f32; 3],
        axes: [[f32; 3]; 3],
        diameter: f32,
        height: f32,
        surface: &Surface,
        instance: u32,
    ) {
        let r = diameter / 2.0;
        let (albedo, material, off) = (surface.albedo, surface.packed(), surface.uv_offset_m);
        let hz = height / 2.0;
        let ring: Vec<[f32; 2]> = (0..CYLINDER_SEGMENTS)
            .map(|i| {
                let a = std::f32::consts::TAU * i as f32 / CYLINDER_SEGMENTS as f32;
                [a.cos(), a.sin()]
            })
            .collect();
        let world = |x: f32, y: f32, z: f32| add(center, apply(&axes, [x, y, z]));
        // Side: one quad per segment, smooth normals.
        for i in 0..CYLINDER_SEGMENTS {
            let (a, b) = (ring[i], ring[(i + 1) % CYLINDER_SEGMENTS]);
            let base = self.vertices.len() as u32;
            // u runs around the circumference (metres of arc), v up the side.
            let arc = |k: usize| std::f32::consts::TAU * r * k as f32 / CYLINDER_SEGMENTS as f32;
            for (c, z, s) in [(a, -hz, arc(i)), (b, -hz, arc(i + 1)), (b, hz, arc(i + 1)), (a, hz, arc(i))] {
                self.vertices.push(Vertex {
                    position: world(r * c[0], r * c[1], z),
                    normal: apply(&axes, [c[0], c[1], 0.0]),
                    uv_m: [s + off[0], z + hz + off[1]],
                    albedo,
                    instance,
                    material,
                });
            }
            self.indices.extend_from_slice(&[base, base + 1, base + 2, base, base + 2, base + 3]);
        }
        // Caps: triangle fans.
        for (z, nz) in [(hz, 1.0f32), (-hz, -1.0)] {
            let base = self.vertices.len() as u32;
            let normal = apply(&axes, [0.0, 0.0, nz]);
            let vertex = |x: f32, y: f32| Vertex {
                position: world(x, y, z),
                normal,
                uv_m: [x + r + off[0], y + r + off[1]],
                albedo,
                instance,
                material,
            };
            self.vertices.push(vertex(0.0, 0.0));
            for c in &ring {
                self.vertices.push(vertex(r * c[0], r * c[1]));
            }
            for i in 0..CYLINDER_SEGMENTS as u32 {
                let (p, q) = (base + 1 + i, base + 1 + (i + 1) % CYLINDER_SEGMENTS as u32);
                if nz > 0.0 {
                    self.indices.extend_from_slice(&[base, p, q]);
                } else {
                    self.indices.extend_from_slice(&[base, q, p]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDENTITY: [[f32; 3]; 3] = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

    fn sub(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
        [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
    }
    fn cross(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
        [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    }
    fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
        a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
    }

    /// Every triangle winds counter-clockwise around its stated normal, and the mesh encloses the volume
    /// (divergence theorem: sum of signed tetrahedron volumes).
    fn check_closed_and_outward(mesh: &SceneMesh, volume: f32) {
        let mut v6 = 0.0;
        for t in mesh.indices.chunks(3) {
            let [a, b, c] = [0, 1, 2].map(|i| mesh.vertices[t[i] as usize]);
            let n = cross(sub(b.position, a.position), sub(c.position, a.position));
            assert!(dot(n, a.normal) > 0.0, "triangle {t:?} winds against its normal");
            v6 += dot(a.position, cross(b.position, c.position));
        }
        assert!((v6 / 6.0 - volume).abs() < volume * 0.02, "volume {} vs {volume}", v6 / 6.0);
    }

    #[test]
    fn box_is_closed_with_outward_normals() {
        let mut m = SceneMesh::default();
        m.add_box([1.0, 2.0, 3.0], IDENTITY, [1.0, 2.0, 0.5], &Surface::default(), 7);
        assert_eq!((m.vertices.len(), m.indices.len()), (24, 36));
        check_closed_and_outward(&m, 1.0);
    }

    #[test]
    fn cylinder_is_closed_with_outward_normals() {
        let mut m = SceneMesh::default();
        let axes = [[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]];
        m.add_cylinder([0.5, 0.0, 1.0], axes, 0.4, 1.0, &Surface::default(), 3);
        // A 20-gon prism: area = n/2 r^2 sin(2 pi / n).
        let area = 10.0 * 0.04 * (std::f32::consts::TAU / 20.0).sin();
        check_closed_and_outward(&m, area);
    }
}
