//! Pinhole camera in OpenCV convention (+x right, +y down, +z forward) and its pose in the world.

use diorama_layouts::geom::{Mat3, Vec3};

/// Pinhole intrinsics in pixels. Pixel (i, j) covers [i, i+1) x [j, j+1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Intrinsics {
    pub fx: f32,
    pub fy: f32,
    pub cx: f32,
    pub cy: f32,
    pub width: u32,
    pub height: u32,
}

impl Intrinsics {
    /// Square pixels, principal point at the image centre, horizontal field of view `hfov_rad`.
    pub fn from_hfov(width: u32, height: u32, hfov_rad: f32) -> Intrinsics {
        let fx = width as f32 / 2.0 / (hfov_rad / 2.0).tan();
        Intrinsics { fx, fy: fx, cx: width as f32 / 2.0, cy: height as f32 / 2.0, width, height }
    }

    /// Continuous image coordinates of a camera-frame point (None behind the camera).
    pub fn project(&self, p_c: Vec3) -> Option<(f32, f32)> {
        (p_c.z > 0.0).then(|| (self.fx * p_c.x / p_c.z + self.cx, self.fy * p_c.y / p_c.z + self.cy))
    }
}

/// Camera-to-world pose: `p_w = world_from_camera * p_c + position`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CameraPose {
    pub world_from_camera: Mat3,
    pub position: Vec3,
}

impl CameraPose {
    /// A camera at `position` looking along `yaw_rad` (about +z from +x) tilted by `pitch_rad` (negative: down),
    /// with no roll.
    pub fn from_yaw_pitch(position: Vec3, yaw_rad: f32, pitch_rad: f32) -> CameraPose {
        let forward = Vec3::new(pitch_rad.cos() * yaw_rad.cos(), pitch_rad.cos() * yaw_rad.sin(), pitch_rad.sin());
        let right = forward.cross(Vec3::Z).normalize();
        let down = forward.cross(right);
        CameraPose { world_from_camera: Mat3::from_cols(right, down, forward), position }
    }

    pub fn camera_from_world(&self, p_w: Vec3) -> Vec3 {
        self.world_from_camera.transpose() * (p_w - self.position)
    }

    pub fn forward(&self) -> Vec3 {
        self.world_from_camera.z_axis
    }

    /// `T_wc` as a row-major 4x4 (last row 0 0 0 1).
    pub fn t_wc_row_major(&self) -> [[f32; 4]; 4] {
        let r = self.world_from_camera;
        let t = self.position;
        [
            [r.x_axis.x, r.y_axis.x, r.z_axis.x, t.x],
            [r.x_axis.y, r.y_axis.y, r.z_axis.y, t.y],
            [r.x_axis.z, r.y_axis.z, r.z_axis.z, t.z],
            [0.0, 0.0, 0.0, 1.0],
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camera_axes_follow_opencv() {
        // Facing +y (yaw 90 degrees) with +z up, the right hand points to +x and "down" is -z.
        let pose = CameraPose::from_yaw_pitch(Vec3::ZERO, std::f32::consts::FRAC_PI_2, 0.0);
        let right = pose.world_from_camera.x_axis;
        let down = pose.world_from_camera.y_axis;
        assert!((right - Vec3::X).length() < 1e-6, "facing +y, right is +x: {right}");
        assert!((down + Vec3::Z).length() < 1e-6);
        // A point 2 m ahead and 1 m to the right lands right of the centre.
        let k = Intrinsics::from_hfov(640, 480, 90f32.to_radians());
        let (u, v) = k.project(pose.camera_from_world(Vec3::new(1.0, 2.0, 0.0))).unwrap();
        assert!((u - (320.0 + 320.0 * 0.5)).abs() < 1e-3 && (v - 240.0).abs() < 1e-3, "{u} {v}");
    }

    #[test]
    fn t_wc_maps_camera_origin_and_axes() {
        let pose = CameraPose::from_yaw_pitch(Vec3::new(1.0, 2.0, 1.6), 0.3, -0.2);
        let t = pose.t_wc_row_major();
        assert_eq!([t[0][3], t[1][3], t[2][3]], [1.0, 2.0, 1.6]);
        let p_c = Vec3::new(0.3, -0.2, 2.0);
        let p_w = pose.world_from_camera * p_c + pose.position;
        let back = pose.camera_from_world(p_w);
        assert!((back - p_c).length() < 1e-5);
        // Rotation is orthonormal.
        let r = pose.world_from_camera;
        assert!((r.transpose() * r - Mat3::IDENTITY).abs_diff_eq(Mat3::ZERO, 1e-5));
    }

    #[test]
    fn hfov_gives_focal_length() {
        let k = Intrinsics::from_hfov(640, 480, 90f32.to_radians());
        assert!((k.fx - 320.0).abs() < 1e-3);
    }
}
