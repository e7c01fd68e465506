//! Headless wgpu renderer of diorama: physically based colour (linear HDR luminance from lights in photometric
//! units, GGX materials with procedural textures, shadow maps), exposed by the camera, tone mapped and encoded to
//! sRGB and Y'CbCr 4:2:0 on the GPU; and exact ground truth (metric z-depth, instance ids, world-space normals),
//! never anti-aliased. Readback goes through a ring of staging buffers with frames in flight.
//!
//! The only crate that touches the GPU. Its API is plain data in, images out: a [`SceneMesh`] built from
//! primitives with [`Surface`]s, a [`Lighting`], and one [`FrameCamera`] per frame; frames come back in order
//! through a callback.

mod gpu;
pub mod light;
pub mod mesh;
mod shadows;
pub mod shutter;
pub mod textures;

pub use gpu::{
    AdapterSummary, BackendChoice, Exposure, FrameImages, MAX_LIGHTS, MAX_MOVER_SLOTS, MAX_ZONES, RenderError,
    RenderSettings, RenderTimings, Renderer, Yuv420, half_to_f32,
};
pub use light::{AmbientZone, Emitter, Light, Lighting, Sun};
pub use mesh::{SceneMesh, Surface, Texture, TextureImage, Vertex};

/// A pinhole camera for one frame, OpenCV convention (+x right, +y down, +z forward).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameCamera {
    /// Rotation camera-to-world, row-major.
    pub world_from_camera: [[f32; 3]; 3],
    /// Camera centre in the world, metres.
    pub position: [f32; 3],
    pub fx: f32,
    pub fy: f32,
    pub cx: f32,
    pub cy: f32,
    /// Exposure value at ISO 100 (the camera's shutter, aperture and gain in one number).
    pub ev100: f32,
}

/// Near and far planes of the projection, metres.
pub const NEAR_M: f32 = 0.05;
pub const FAR_M: f32 = 100.0;

impl FrameCamera {
    /// A camera at `position` looking along `forward` (world frame, any length) with no roll, square pixels of
    /// focal length `f_px` and the principal point at the centre of a `width` x `height` image.
    pub fn looking_along(
        position: [f32; 3],
        forward: [f32; 3],
        f_px: f32,
        width: u32,
        height: u32,
        ev100: f32,
    ) -> Self {
        let norm = |v: [f32; 3]| {
            let l = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
            v.map(|c| c / l)
        };
        let fwd = norm(forward);
        // Camera x (right) is horizontal; camera y (down) = forward x right.
        let right = norm([fwd[1], -fwd[0], 0.0]);
        let down = [
            fwd[1] * right[2] - fwd[2] * right[1],
            fwd[2] * right[0] - fwd[0] * right[2],
            fwd[0] * right[1] - fwd[1] * right[0],
        ];
        FrameCamera {
            world_from_camera: [0, 1, 2].map(|i| [right[i], down[i], fwd[i]]),
            position,
            fx: f_px,
            fy: f_px,
            cx: width as f32 / 2.0,
            cy: height as f32 / 2.0,
            ev100,
        }
    }

    /// Row-major clip-from-world for wgpu's clip space (x right, y up, z in [0, 1]) with pixel (0, 0) at the
    /// top left, so that pixel centres land where the OpenCV intrinsics put them.
    pub fn clip_from_world(&self, width: u32, height: u32) -> [[f32; 4]; 4] {
        let (w, h) = (width as f32, height as f32);
        let (n, f) = (NEAR_M, FAR_M);
        let clip_from_camera = [
            [2.0 * self.fx / w, 0.0, 2.0 * self.cx / w - 1.0, 0.0],
            [0.0, -2.0 * self.fy / h, 1.0 - 2.0 * self.cy / h, 0.0],
            [0.0, 0.0, f / (f - n), -f * n / (f - n)],
            [0.0, 0.0, 1.0, 0.0],
        ];
        mul4(&clip_from_camera, &self.camera_from_world())
    }

    /// Row-major camera-from-world: `[R^T | -R^T t]`.
    pub fn camera_from_world(&self) -> [[f32; 4]; 4] {
        let r = self.world_from_camera;
        let t = self.position;
        let mut m = [[0.0; 4]; 4];
        for i in 0..3 {
            for j in 0..3 {
                m[i][j] = r[j][i];
            }
            m[i][3] = -(r[0][i] * t[0] + r[1][i] * t[1] + r[2][i] * t[2]);
        }
        m[3][3] = 1.0;
        m
    }
}

fn mul4(a: &[[f32; 4]; 4], b: &[[f32; 4]; 4]) -> [[f32; 4]; 4] {
    let mut m = [[0.0; 4]; 4];
    for i in 0..4 {
        for j in 0..4 {
            m[i][j] = (0..4).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_puts_points_where_intrinsics_say() {
        // Camera at the origin looking along world +y (right = +x, down = -z).
        let cam = FrameCamera {
            world_from_camera: [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]],
            position: [0.0, 0.0, 0.0],
            fx: 300.0,
            fy: 300.0,
            cx: 320.0,
            cy: 240.0,
            ev100: 7.0,
        };
        let m = cam.clip_from_world(640, 480);
        let p = [0.5f32, 2.0, -0.25, 1.0]; // camera frame (0.5, 0.25, 2.0)
        let clip: Vec<f32> = (0..4).map(|i| (0..4).map(|k| m[i][k] * p[k]).sum()).collect();
        let (xn, yn) = (clip[0] / clip[3], clip[1] / clip[3]);
        let (u, v) = ((xn + 1.0) / 2.0 * 640.0, (1.0 - yn) / 2.0 * 480.0);
        assert!((u - (300.0 * 0.25 + 320.0)).abs() < 1e-3, "u = {u}");
        assert!((v - (300.0 * 0.125 + 240.0)).abs() < 1e-3, "v = {v}");
        assert!(clip[2] / clip[3] > 0.0 && clip[2] / clip[3] < 1.0);
    }

    #[test]
    fn looking_along_puts_the_target_at_the_centre_with_the_horizon_level() {
        let cam = FrameCamera::looking_along([1.0, 2.0, 1.5], [3.0, 4.0, -1.0], 100.0, 200, 100, 7.0);
        let m = cam.clip_from_world(200, 100);
        let p = [4.0f32, 6.0, 0.5, 1.0]; // position + forward
        let clip: Vec<f32> = (0..4).map(|i| (0..4).map(|k| m[i][k] * p[k]).sum()).collect();
        assert!(clip[0].abs() / clip[3] < 1e-5 && clip[1].abs() / clip[3] < 1e-5, "{clip:?}");
        // No roll: the camera's x axis (first column) is horizontal.
        assert!(cam.world_from_camera[2][0].abs() < 1e-6);
    }
}
