//! Motion vectors: where each pixel's surface point was in the previous frame's image. The point comes from
//! the frame's z-depth and camera; for a static surface the previous camera alone decides where it was seen,
//! for a moving object its motion since the previous frame moves the point back first.

use std::collections::BTreeMap;

use diorama_layouts::geom::Vec3;

use crate::camera::{CameraPose, Intrinsics};
use crate::dynamics::RigidPose;

/// For every pixel of `depth_m` (row-major, 0 = no surface), the motion vector `[du, dv]` in pixels from its
/// position in the previous frame to this one (`(u, v)_now - (u, v)_prev`), or `None` where there is no surface
/// or the point was behind the previous camera.
pub fn motion_vectors(
    depth_m: &[f32],
    k: &Intrinsics,
    pose: &CameraPose,
    prev: &CameraPose,
    out: &mut Vec<Option<[f32; 2]>>,
) {
    motion_vectors_with_objects(depth_m, &[], &BTreeMap::new(), k, pose, prev, out);
}

/// Like [`motion_vectors`], with objects that moved since the previous frame: `prev_from_now` maps a point on
/// object `id` (the instance map's value at the pixel) to where that point was in the previous frame.
pub fn motion_vectors_with_objects(
    depth_m: &[f32],
    instance: &[u16],
    prev_from_now: &BTreeMap<u16, RigidPose>,
    k: &Intrinsics,
    pose: &CameraPose,
    prev: &CameraPose,
    out: &mut Vec<Option<[f32; 2]>>,
) {
    out.clear();
    let w = k.width as usize;
    // Camera-to-camera: p_prev = R_prev^T (R_now p_now + t_now - t_prev).
    let rot = prev.world_from_camera.transpose() * pose.world_from_camera;
    let shift = prev.world_from_camera.transpose() * (pose.position - prev.position);
    out.extend(depth_m.iter().enumerate().map(|(p, &z)| {
        if z <= 0.0 {
            return None;
        }
        let (u, v) = ((p % w) as f32 + 0.5, (p / w) as f32 + 0.5);
        let now = Vec3::new((u - k.cx) / k.fx * z, (v - k.cy) / k.fy * z, z);
        let moved = instance.get(p).and_then(|id| prev_from_now.get(id));
        let then = match moved {
            None => rot * now + shift,
            Some(m) => prev.camera_from_world(m.apply(pose.world_from_camera * now + pose.position)),
        };
        let (u0, v0) = k.project(then)?;
        Some([u - u0, v - v0])
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sideways_step_moves_a_plane_by_f_times_step_over_depth() {
        let k = Intrinsics { fx: 100.0, fy: 100.0, cx: 40.0, cy: 30.0, width: 80, height: 60 };
        // Looking along +y; the camera steps 0.1 m to its right (+x) between frames; a wall 4 m ahead.
        let prev = CameraPose::from_yaw_pitch(Vec3::ZERO, std::f32::consts::FRAC_PI_2, 0.0);
        let now = CameraPose { position: Vec3::new(0.1, 0.0, 0.0), ..prev };
        let depth = vec![4.0; 80 * 60];
        let mut mv = Vec::new();
        motion_vectors(&depth, &k, &now, &prev, &mut mv);
        // Everything slides left by f * dx / Z = 2.5 px, and not up or down.
        for m in &mv {
            let [du, dv] = m.unwrap();
            assert!((du + 2.5).abs() < 1e-3 && dv.abs() < 1e-3, "{du} {dv}");
        }
    }

    #[test]
    fn an_object_that_moved_carries_its_own_pixels_and_no_others() {
        let k = Intrinsics { fx: 100.0, fy: 100.0, cx: 40.0, cy: 30.0, width: 80, height: 60 };
        // A still camera looking along +y at a wall 4 m ahead; object 5 (the left half of the image) moved
        // 0.1 m to the camera's right (+x) since the previous frame: its points were 0.1 m to the left.
        let cam = CameraPose::from_yaw_pitch(Vec3::ZERO, std::f32::consts::FRAC_PI_2, 0.0);
        let depth = vec![4.0; 80 * 60];
        let instance: Vec<u16> = (0..80 * 60).map(|p| if p % 80 < 40 { 5 } else { 2 }).collect();
        let moved = BTreeMap::from([(
            5u16,
            RigidPose { rotation: diorama_layouts::geom::Quat::IDENTITY, translation: Vec3::new(-0.1, 0.0, 0.0) },
        )]);
        let mut mv = Vec::new();
        motion_vectors_with_objects(&depth, &instance, &moved, &k, &cam, &cam, &mut mv);
        for (p, m) in mv.iter().enumerate() {
            let [du, dv] = m.unwrap();
            let want = if p % 80 < 40 { 2.5 } else { 0.0 };
            assert!((du - want).abs() < 1e-3 && dv.abs() < 1e-3, "pixel {p}: {du} {dv}");
        }
    }

    #[test]
    fn turning_moves_the_centre_by_f_tan_angle_and_empty_pixels_have_none() {
        let k = Intrinsics { fx: 100.0, fy: 100.0, cx: 40.0, cy: 30.0, width: 80, height: 60 };
        // The camera turns 5 degrees to the left (yaw grows): what was at the centre moves right by f tan 5°.
        let prev = CameraPose::from_yaw_pitch(Vec3::ZERO, std::f32::consts::FRAC_PI_2, 0.0);
        let now = CameraPose::from_yaw_pitch(Vec3::ZERO, std::f32::consts::FRAC_PI_2 + 5f32.to_radians(), 0.0);
        let mut depth = vec![3.0; 80 * 60];
        depth[0] = 0.0;
        let mut mv = Vec::new();
        motion_vectors(&depth, &k, &now, &prev, &mut mv);
        assert!(mv[0].is_none());
        // The pixel centred on the optical axis (u = 40, v = 30 is a pixel corner; take pixel (39, 29) and
        // compare with the exact projection of its own point).
        let p = 29 * 80 + 39;
        let [du, dv] = mv[p].unwrap();
        // Now at angle atan(-0.5/100) off the axis; before, 5 degrees further right.
        let a = (-0.5f32 / 100.0).atan();
        let expected = 100.0 * a.tan() - 100.0 * (a - 5f32.to_radians()).tan();
        assert!((du - expected).abs() < 1e-2 && dv.abs() < 1e-2, "{du} {dv} vs {expected}");
    }
}
