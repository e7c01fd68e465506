//! How many pixels an object would cover with nothing else drawn (`unoccluded_px`): its convex parts clipped by
//! the near plane, projected through the pinhole, and counted by pixel centres row by row (the rasterizer's
//! sampling), the union over parts taken per row. Exact geometry from the scene state, no rendering.

use diorama_assets::PartKind;
use diorama_layouts::Primitive;
use diorama_layouts::geom::Vec3;

use crate::camera::{CameraPose, Intrinsics};

/// The corners of a part as the renderer tessellates it (a cylinder as a prism of `segments` sides).
fn part_vertices(p: &Primitive, segments: usize) -> Vec<Vec3> {
    let m = p.world_from_local;
    let h = p.size * 0.5;
    match p.kind {
        PartKind::Box => (0..8)
            .map(|i| {
                let s = Vec3::new(
                    if i & 1 == 0 { -h.x } else { h.x },
                    if i & 2 == 0 { -h.y } else { h.y },
                    if i & 4 == 0 { -h.z } else { h.z },
                );
                p.center + m * s
            })
            .collect(),
        PartKind::Cylinder => (0..segments)
            .flat_map(|i| {
                let a = std::f32::consts::TAU * i as f32 / segments as f32;
                let (x, y) = (h.x * a.cos(), h.x * a.sin());
                [p.center + m * Vec3::new(x, y, -h.z), p.center + m * Vec3::new(x, y, h.z)]
            })
            .collect(),
    }
}

/// Convex hull (counter-clockwise, Andrew's monotone chain) of 2D points.
fn hull(mut pts: Vec<(f32, f32)>) -> Vec<(f32, f32)> {
    pts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    pts.dedup();
    if pts.len() < 3 {
        return pts;
    }
    let cross = |o: (f32, f32), a: (f32, f32), b: (f32, f32)| (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0);
    let mut out: Vec<(f32, f32)> = Vec::with_capacity(pts.len() + 1);
    for pass in 0..2 {
        let start = out.len();
        let ordered: Box<dyn Iterator<Item = &(f32, f32)>> =
            if pass == 0 { Box::new(pts.iter()) } else { Box::new(pts.iter().rev()) };
        for &p in ordered {
            while out.len() >= start + 2 && cross(out[out.len() - 2], out[out.len() - 1], p) <= 0.0 {
                out.pop();
            }
            out.push(p);
        }
        out.pop();
    }
    out
}

/// The part's silhouette in pixel coordinates: its vertices in front of the near plane and the points where
/// the segments between them cross it (the clipped convex body's corners are among these), projected, hulled.
fn silhouette(p: &Primitive, pose: &CameraPose, k: &Intrinsics, segments: usize, near_m: f32) -> Vec<(f32, f32)> {
    convex_silhouette(&part_vertices(p, segments), pose, k, near_m)
}

/// The silhouette of the convex hull of `vertices` (world frame), clipped by the near plane.
fn convex_silhouette(vertices: &[Vec3], pose: &CameraPose, k: &Intrinsics, near_m: f32) -> Vec<(f32, f32)> {
    let cam: Vec<Vec3> = vertices.iter().map(|&v| pose.camera_from_world(v)).collect();
    let mut kept: Vec<Vec3> = cam.iter().copied().filter(|v| v.z >= near_m).collect();
    if kept.is_empty() {
        return Vec::new();
    }
    if kept.len() < cam.len() {
        for a in cam.iter().filter(|v| v.z < near_m) {
            for b in cam.iter().filter(|v| v.z >= near_m) {
                let t = (near_m - a.z) / (b.z - a.z);
                kept.push(*a + (*b - *a) * t);
            }
        }
    }
    hull(kept.iter().map(|v| (k.fx * v.x / v.z + k.cx, k.fy * v.y / v.z + k.cy)).collect())
}

/// Pixels of a `width` x `height` image whose centres fall inside the union of the parts' silhouettes.
pub fn unoccluded_px(parts: &[Primitive], pose: &CameraPose, k: &Intrinsics, segments: usize, near_m: f32) -> u32 {
    count_union(parts.iter().map(|p| silhouette(p, pose, k, segments, near_m)), k)
}

/// The same count for an object drawn as a triangle mesh (a glTF asset), from its triangles in the world frame:
/// each triangle is convex, so the union of their silhouettes is the mesh's. `parts` must contain the mesh (the
/// manifest checks it): when they cover no pixel, neither does the mesh, and its triangles are not projected.
pub fn unoccluded_px_mesh(
    parts: &[Primitive],
    triangles: &[[Vec3; 3]],
    pose: &CameraPose,
    k: &Intrinsics,
    segments: usize,
    near_m: f32,
) -> u32 {
    if unoccluded_px(parts, pose, k, segments, near_m) == 0 {
        return 0;
    }
    count_union(triangles.iter().map(|t| triangle_silhouette(t, pose, k, near_m)), k)
}

/// The output pixels of a distorting lens, for counting silhouettes through it: per output pixel, the point of
/// the pinhole canvas its ray samples (NaN where it has none), and the lens's forward map (canvas -> output).
pub struct LensPixels<'a> {
    pub source: &'a [[f32; 2]],
    pub width: u32,
    pub height: u32,
    pub to_output: &'a dyn Fn(f32, f32) -> [f32; 2],
}

/// [`unoccluded_px`] through a lens: output pixels whose ray falls inside the union of the parts' silhouettes
/// on the canvas (`k`: the canvas's intrinsics).
pub fn unoccluded_px_through(
    parts: &[Primitive],
    pose: &CameraPose,
    k: &Intrinsics,
    segments: usize,
    near_m: f32,
    lens: &LensPixels<'_>,
) -> u32 {
    count_union_through(parts.iter().map(|p| silhouette(p, pose, k, segments, near_m)), lens)
}

/// [`unoccluded_px_mesh`] through a lens.
pub fn unoccluded_px_mesh_through(
    parts: &[Primitive],
    triangles: &[[Vec3; 3]],
    pose: &CameraPose,
    k: &Intrinsics,
    segments: usize,
    near_m: f32,
    lens: &LensPixels<'_>,
) -> u32 {
    if unoccluded_px_through(parts, pose, k, segments, near_m, lens) == 0 {
        return 0;
    }
    count_union_through(triangles.iter().map(|t| triangle_silhouette(t, pose, k, near_m)), lens)
}

/// Output pixels whose canvas point lies inside the union of convex polygons (canvas pixel coordinates). Each
/// polygon's canvas bounding box, mapped forward through the lens (its border sampled), bounds the output
/// pixels to test.
fn count_union_through(polygons: impl Iterator<Item = Vec<(f32, f32)>>, lens: &LensPixels<'_>) -> u32 {
    let (w, h) = (lens.width as i64, lens.height as i64);
    let mut hits: Vec<u32> = Vec::new();
    for poly in polygons {
        if poly.len() < 3 {
            continue;
        }
        let (mut x0, mut y0, mut x1, mut y1) = (f32::INFINITY, f32::INFINITY, f32::NEG_INFINITY, f32::NEG_INFINITY);
        for q in &poly {
            (x0, y0, x1, y1) = (x0.min(q.0), y0.min(q.1), x1.max(q.0), y1.max(q.1));
        }
        let (mut u0, mut v0, mut u1, mut v1) = (f32::INFINITY, f32::INFINITY, f32::NEG_INFINITY, f32::NEG_INFINITY);
        const STEPS: usize = 16;
        for s in 0..=STEPS {
            let t = s as f32 / STEPS as f32;
            let (x, y) = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
            for (a, b) in [(x, y0), (x, y1), (x0, y), (x1, y)] {
                let [u, v] = (lens.to_output)(a, b);
                (u0, v0, u1, v1) = (u0.min(u), v0.min(v), u1.max(u), v1.max(v));
            }
        }
        if !(u0.is_finite() && v0.is_finite() && u1.is_finite() && v1.is_finite()) {
            continue;
        }
        let (i0, i1) = (((u0 - 2.0).floor() as i64).max(0), ((u1 + 2.0).ceil() as i64).min(w));
        let (j0, j1) = (((v0 - 2.0).floor() as i64).max(0), ((v1 + 2.0).ceil() as i64).min(h));
        let area: f32 = (0..poly.len())
            .map(|e| {
                let (a, b) = (poly[e], poly[(e + 1) % poly.len()]);
                a.0 * b.1 - b.0 * a.1
            })
            .sum();
        let sign = if area >= 0.0 { 1.0 } else { -1.0 };
        for j in j0..j1 {
            for i in i0..i1 {
                let index = (j * w + i) as usize;
                let [x, y] = lens.source[index];
                if !x.is_finite() {
                    continue;
                }
                let inside = (0..poly.len()).all(|e| {
                    let (a, b) = (poly[e], poly[(e + 1) % poly.len()]);
                    sign * ((b.0 - a.0) * (y - a.1) - (b.1 - a.1) * (x - a.0)) >= 0.0
                });
                if inside {
                    hits.push(index as u32);
                }
            }
        }
    }
    hits.sort_unstable();
    hits.dedup();
    hits.len() as u32
}

/// A triangle's silhouette: its projected corners when it lies in front of the near plane (a triangle needs no
/// hull), else clipped like any convex body.
fn triangle_silhouette(t: &[Vec3; 3], pose: &CameraPose, k: &Intrinsics, near_m: f32) -> Vec<(f32, f32)> {
    let cam = t.map(|v| pose.camera_from_world(v));
    if cam.iter().all(|v| v.z >= near_m) {
        cam.iter().map(|v| (k.fx * v.x / v.z + k.cx, k.fy * v.y / v.z + k.cy)).collect()
    } else {
        convex_silhouette(t, pose, k, near_m)
    }
}

/// Pixels whose centres fall inside the union of convex polygons (pixel coordinates).
fn count_union(polygons: impl Iterator<Item = Vec<(f32, f32)>>, k: &Intrinsics) -> u32 {
    let (w, h) = (k.width as i64, k.height as i64);
    // Per row, the covered pixel ranges [i0, i1) of every polygon.
    let mut spans: Vec<(i64, i64, i64)> = Vec::new();
    for poly in polygons {
        if poly.len() < 3 {
            continue;
        }
        let (y0, y1) = poly.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), q| (a.min(q.1), b.max(q.1)));
        let (j0, j1) = (((y0 - 0.5).ceil() as i64).max(0), ((y1 - 0.5).ceil() as i64).min(h));
        for j in j0..j1 {
            let y = j as f32 + 0.5;
            let (mut xl, mut xr) = (f32::INFINITY, f32::NEG_INFINITY);
            for e in 0..poly.len() {
                let (a, b) = (poly[e], poly[(e + 1) % poly.len()]);
                if (a.1 <= y && b.1 > y) || (b.1 <= y && a.1 > y) {
                    let x = a.0 + (y - a.1) / (b.1 - a.1) * (b.0 - a.0);
                    xl = xl.min(x);
                    xr = xr.max(x);
                }
            }
            if xl < xr {
                let (i0, i1) = (((xl - 0.5).ceil() as i64).max(0), ((xr - 0.5).ceil() as i64).min(w));
                if i0 < i1 {
                    spans.push((j, i0, i1));
                }
            }
        }
    }
    spans.sort_unstable();
    let mut count = 0i64;
    let mut current: Option<(i64, i64, i64)> = None;
    for (j, i0, i1) in spans {
        match current {
            Some((cj, c0, c1)) if cj == j && i0 <= c1 => current = Some((cj, c0, c1.max(i1))),
            _ => {
                if let Some((_, c0, c1)) = current {
                    count += c1 - c0;
                }
                current = Some((j, i0, i1));
            }
        }
    }
    if let Some((_, c0, c1)) = current {
        count += c1 - c0;
    }
    count as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use diorama_layouts::geom::Mat3;

    fn cube(center: Vec3, side: f32) -> Primitive {
        Primitive {
            kind: PartKind::Box,
            center,
            size: Vec3::splat(side),
            world_from_local: Mat3::IDENTITY,
            color: [0.5; 3],
            material: Default::default(),
        }
    }

    /// At the origin looking along +y (camera x = world x, camera y = world -z).
    fn pose() -> CameraPose {
        CameraPose::from_yaw_pitch(Vec3::ZERO, std::f32::consts::FRAC_PI_2, 0.0)
    }

    #[test]
    fn counting_through_an_identity_lens_matches_the_pinhole_count() {
        let k = Intrinsics { fx: 100.0, fy: 100.0, cx: 80.0, cy: 60.0, width: 160, height: 120 };
        let source: Vec<[f32; 2]> = (0..160 * 120).map(|i| [(i % 160) as f32 + 0.5, (i / 160) as f32 + 0.5]).collect();
        let lens = LensPixels { source: &source, width: 160, height: 120, to_output: &|u, v| [u, v] };
        for c in [cube(Vec3::new(0.1, 3.0, 0.2), 0.7), cube(Vec3::new(-1.5, 2.0, -0.3), 1.0)] {
            let plain = unoccluded_px(std::slice::from_ref(&c), &pose(), &k, 16, 0.05);
            let through = unoccluded_px_through(std::slice::from_ref(&c), &pose(), &k, 16, 0.05, &lens);
            assert!(plain > 0);
            // Pixel centres on a polygon's edge may count on either side.
            assert!((plain as i64 - through as i64).abs() <= (plain as f64).sqrt() as i64, "{plain} vs {through}");
        }
    }

    #[test]
    fn a_face_on_square_covers_its_projected_area_exactly() {
        // A 1 m cube whose near face is 2.5 m ahead: with f = 80 px, a 32 px square centred on the image.
        let k = Intrinsics { fx: 80.0, fy: 80.0, cx: 80.0, cy: 60.0, width: 160, height: 120 };
        let n = unoccluded_px(&[cube(Vec3::new(0.0, 3.0, 0.0), 1.0)], &pose(), &k, 20, 0.05);
        assert_eq!(n, 32 * 32);
    }

    #[test]
    fn overlapping_parts_count_once_and_the_image_clips() {
        let k = Intrinsics { fx: 80.0, fy: 80.0, cx: 80.0, cy: 60.0, width: 160, height: 120 };
        let a = cube(Vec3::new(0.0, 3.0, 0.0), 1.0);
        let n = unoccluded_px(&[a.clone(), a.clone()], &pose(), &k, 20, 0.05);
        assert_eq!(n, 32 * 32, "the same part twice is one silhouette");
        // A huge wall close by covers the whole image, however far it reaches beyond it.
        let wall = Primitive { size: Vec3::new(50.0, 0.1, 50.0), ..cube(Vec3::new(0.0, 1.0, 0.0), 1.0) };
        assert_eq!(unoccluded_px(&[wall], &pose(), &k, 20, 0.05), 160 * 120);
        // Behind the camera: nothing.
        assert_eq!(unoccluded_px(&[cube(Vec3::new(0.0, -3.0, 0.0), 1.0)], &pose(), &k, 20, 0.05), 0);
    }

    #[test]
    fn a_part_through_the_near_plane_is_clipped_not_mirrored() {
        // A long box from 1 m behind the camera to 3 m ahead, below the eye: its visible part is what lies
        // ahead of the near plane, a trapezoid reaching the bottom of the image.
        let k = Intrinsics { fx: 80.0, fy: 80.0, cx: 80.0, cy: 60.0, width: 160, height: 120 };
        let floor = Primitive { size: Vec3::new(1.0, 4.0, 0.1), ..cube(Vec3::new(0.0, 1.0, -1.0), 1.0) };
        let n = unoccluded_px(&[floor], &pose(), &k, 20, 0.05);
        // Its far edge 3 m ahead sits at v = 60 + 80 * 1/3 (top of the strip, 26.7 px below the centre); from
        // there down to the image's bottom edge the strip widens: more than its far width (26.7 px) per row.
        assert!(n > 27 * 33 && n < 160 * 34, "{n}");
    }

    #[test]
    fn a_triangulated_face_counts_as_the_square_it_makes() {
        // The near face of the cube as two triangles (a mesh): the same 32 x 32 pixels; one triangle alone, half
        // of them (pixel centres on the diagonal go to one side only).
        let k = Intrinsics { fx: 80.0, fy: 80.0, cx: 80.0, cy: 60.0, width: 160, height: 120 };
        let c = |x: f32, z: f32| Vec3::new(x, 2.5, z);
        let tris = [[c(-0.5, -0.5), c(0.5, -0.5), c(0.5, 0.5)], [c(-0.5, -0.5), c(0.5, 0.5), c(-0.5, 0.5)]];
        let face = [cube(Vec3::new(0.0, 2.55, 0.0), 0.1)];
        let proxy = Primitive { size: Vec3::new(1.0, 0.1, 1.0), ..face[0].clone() };
        let parts = std::slice::from_ref(&proxy);
        assert_eq!(unoccluded_px_mesh(parts, &tris, &pose(), &k, 20, 0.05), 32 * 32);
        let one = unoccluded_px_mesh(parts, &tris[..1], &pose(), &k, 20, 0.05);
        assert!((one as i32 - 512).abs() <= 32, "{one}");
        // A triangle reaching behind the camera is clipped at the near plane, not mirrored: the same count as
        // its part in front, which hulls the clipped corners.
        let through = [[Vec3::new(-0.5, -1.0, -0.5), Vec3::new(0.5, 3.0, -0.5), Vec3::new(-0.5, 3.0, -0.5)]];
        let clipped = unoccluded_px_mesh(parts, &through, &pose(), &k, 20, 0.05);
        assert!(clipped > 0 && clipped < 160 * 120 / 2, "{clipped}");
        // Parts out of view: nothing, whatever the triangles say.
        let behind = [Primitive { center: Vec3::new(0.0, -3.0, 0.0), ..proxy.clone() }];
        assert_eq!(unoccluded_px_mesh(&behind, &tris, &pose(), &k, 20, 0.05), 0);
    }
}
