//! Geometry shared by the pure crates: glam types as re-exported by parry3d (one glam version in the workspace),
//! and conversions of diorama's primitives to parry3d shapes.

pub use parry3d::glamx::{Mat3, Mat4, Quat, Vec2, Vec3, Vec4};
use parry3d::math::Pose;
use parry3d::shape::{Cuboid, Cylinder, Shape};

use crate::scene::Primitive;
use diorama_assets::PartKind;

/// Rotation about world +z by `yaw_rad`.
pub fn world_from_yaw(yaw_rad: f32) -> Mat3 {
    Mat3::from_rotation_z(yaw_rad)
}

/// A primitive as a parry3d shape and its pose in the world.
pub fn parry_shape(p: &Primitive) -> (Box<dyn Shape>, Pose) {
    let rot = Quat::from_mat3(&p.world_from_local);
    match p.kind {
        PartKind::Box => (Box::new(Cuboid::new(p.size * 0.5)), Pose::from_parts(p.center, rot)),
        PartKind::Cylinder => {
            // parry's cylinder stands along its local y; ours along local z: turn y onto z first.
            let y_to_z = Quat::from_rotation_x(std::f32::consts::FRAC_PI_2);
            (Box::new(Cylinder::new(p.size.z * 0.5, p.size.x * 0.5)), Pose::from_parts(p.center, rot * y_to_z))
        }
    }
}

/// Closest distance between two primitives (0 when they touch or overlap).
pub fn primitive_distance(a: &Primitive, b: &Primitive) -> f32 {
    let (sa, pa) = parry_shape(a);
    let (sb, pb) = parry_shape(b);
    parry3d::query::distance(&pa, sa.as_ref(), &pb, sb.as_ref())
        .map(|d| d.distance)
        .expect("parry3d supports box and cylinder distances")
}

/// Signed distance between two primitives: the gap when apart, minus the penetration depth when they overlap.
pub fn primitive_signed_distance(a: &Primitive, b: &Primitive) -> f32 {
    let (sa, pa) = parry_shape(a);
    let (sb, pb) = parry_shape(b);
    match parry3d::query::contact(&pa, sa.as_ref(), &pb, sb.as_ref(), 0.0)
        .expect("parry3d supports box and cylinder contacts")
    {
        Some(c) => c.dist,
        None => primitive_distance(a, b),
    }
}

/// Least signed distance between two sets of primitives (negative: the deepest penetration).
pub fn parts_signed_distance(a: &[Primitive], b: &[Primitive]) -> f32 {
    let mut best = f32::INFINITY;
    for pa in a {
        for pb in b {
            best = best.min(primitive_signed_distance(pa, pb));
        }
    }
    best
}

/// Closest distance between two sets of primitives.
pub fn parts_distance(a: &[Primitive], b: &[Primitive]) -> f32 {
    let mut best = f32::INFINITY;
    for pa in a {
        for pb in b {
            best = best.min(primitive_distance(pa, pb));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cube(center: Vec3, size: Vec3, yaw: f32) -> Primitive {
        Primitive {
            kind: PartKind::Box,
            center,
            size,
            world_from_local: world_from_yaw(yaw),
            color: [1.0; 3],
            material: Default::default(),
        }
    }

    #[test]
    fn box_distance_matches_closed_form() {
        // Two unit cubes 3 m apart centre to centre along x: gap 2 m.
        let a = cube(Vec3::ZERO, Vec3::ONE, 0.0);
        let b = cube(Vec3::new(3.0, 0.0, 0.0), Vec3::ONE, 0.0);
        assert!((primitive_distance(&a, &b) - 2.0).abs() < 1e-5);
        // Rotating b by 45 degrees about z brings its corner sqrt(2)/2 towards a.
        let b45 = cube(Vec3::new(3.0, 0.0, 0.0), Vec3::ONE, std::f32::consts::FRAC_PI_4);
        let expected = 3.0 - 0.5 - std::f32::consts::SQRT_2 / 2.0;
        assert!((primitive_distance(&a, &b45) - expected).abs() < 1e-4);
    }

    #[test]
    fn signed_distance_reports_penetration_depth() {
        // Unit cubes 0.8 m apart centre to centre overlap by 0.2 m.
        let a = cube(Vec3::ZERO, Vec3::ONE, 0.0);
        let b = cube(Vec3::new(0.8, 0.0, 0.0), Vec3::ONE, 0.0);
        assert!((primitive_signed_distance(&a, &b) + 0.2).abs() < 1e-4);
        let c = cube(Vec3::new(1.3, 0.0, 0.0), Vec3::ONE, 0.0);
        assert!((primitive_signed_distance(&a, &c) - 0.3).abs() < 1e-4);
    }

    #[test]
    fn cylinder_stands_along_z() {
        // A cylinder of height 2 centred at z=0; a cube above it at z = 1.5 +- 0.25 is 0.25 m away.
        let cyl = Primitive {
            kind: PartKind::Cylinder,
            center: Vec3::ZERO,
            size: Vec3::new(0.2, 0.2, 2.0),
            world_from_local: Mat3::IDENTITY,
            color: [1.0; 3],
            material: Default::default(),
        };
        let above = cube(Vec3::new(0.0, 0.0, 1.5), Vec3::splat(0.5), 0.0);
        assert!((primitive_distance(&cyl, &above) - 0.25).abs() < 1e-4);
        let side = cube(Vec3::new(0.6, 0.0, 0.0), Vec3::splat(0.5), 0.0);
        assert!((primitive_distance(&cyl, &side) - 0.25).abs() < 1e-4);
    }
}
