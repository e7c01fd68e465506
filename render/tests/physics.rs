//! The physics the renderer integrates for the degradations' camera model, checked against closed forms on the
//! real renderer (lavapipe in CI): motion blur over sub-frames, thin-lens defocus over lens samples, and the
//! medium along camera rays.

use diorama_degradations::optics::{ThinLens, disk_samples};
use diorama_degradations::weather::beta_for_mor;
use diorama_render::light::{Emitter, Light, Lighting};
use diorama_render::mesh::{SceneMesh, Surface};
use diorama_render::shutter::row_weights;
use diorama_render::{Exposure, FrameCamera, FrameImages, RenderError, RenderSettings, Renderer};

const W: u32 = 320;
const H: u32 = 240;
const F_PX: f32 = 200.0;
const IDENTITY: [[f32; 3]; 3] = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

/// Camera at `position` looking along world +y (camera x = world x, camera y = -world z).
fn camera(position: [f32; 3]) -> FrameCamera {
    FrameCamera {
        world_from_camera: [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]],
        position,
        fx: F_PX,
        fy: F_PX,
        cx: W as f32 / 2.0,
        cy: H as f32 / 2.0,
        ev100: 4.0,
    }
}

fn renderer() -> Renderer {
    let settings = RenderSettings { read_linear: true, max_subframes: 32, msaa_samples: 4, ..Default::default() };
    Renderer::with_settings(W, H, settings).expect("an adapter (lavapipe in CI)")
}

/// A small bright square facing the camera at depth `z_m`, lit head-on; black everywhere else.
fn square_scene(r: &mut Renderer, z_m: f32, side_m: f32) {
    let mut mesh = SceneMesh::default();
    let surface = Surface { albedo: [0.8; 3], roughness: 1.0, ..Surface::default() };
    mesh.add_box([0.0, z_m + 0.001, 0.0], IDENTITY, [side_m, 0.002, side_m], &surface, 7);
    let light = Light {
        emitter: Emitter::Point,
        position: [0.0, z_m - 0.5, 0.0],
        color: [1.0; 3],
        flux_lm: 400.0,
        casts_shadows: false,
        influence: None,
    };
    r.load_scene(&mesh, &Lighting { lights: vec![light], ..Lighting::default() });
}

/// Renders one exposure whose sub-frames use `cameras` (a global shutter) and returns its linear green channel.
fn integrate(r: &mut Renderer, cameras: &[FrameCamera], medium: [f32; 4]) -> (Vec<f32>, Vec<f32>) {
    let times: Vec<f32> = (0..cameras.len()).map(|i| (i as f32 + 0.5) / cameras.len() as f32).collect();
    let weights = row_weights(&times, 1.0, 0.0, H);
    let exposure = Exposure { subframes: cameras, row_weights: &weights, medium, ..Exposure::still(cameras[0]) };
    let mut out = (Vec::new(), Vec::new());
    r.render_exposures(&[exposure], |f: FrameImages<'_>| -> Result<(), RenderError> {
        out.0 = f.linear_rgba32f.chunks_exact(4).map(|p| p[1]).collect();
        out.1 = f.depth_m.to_vec();
        Ok(())
    })
    .unwrap();
    out
}

/// Intensity-weighted sum, mean and variance of the pixel centres along x and y.
fn moments(img: &[f32]) -> (f64, [f64; 2], [f64; 2]) {
    let (mut s, mut m, mut q) = (0.0f64, [0.0f64; 2], [0.0f64; 2]);
    for (i, &v) in img.iter().enumerate() {
        let p = [(i % W as usize) as f64 + 0.5, (i / W as usize) as f64 + 0.5];
        let v = v as f64;
        s += v;
        for a in 0..2 {
            m[a] += v * p[a];
            q[a] += v * p[a] * p[a];
        }
    }
    let mean = m.map(|x| x / s);
    (s, mean, [q[0] / s - mean[0] * mean[0], q[1] / s - mean[1] * mean[1]])
}

/// Motion blur: a square passing sideways at depth Z smears into a streak spanning its projections at shutter
/// open and close (f v T / Z), within 0.5 px; the integral keeps the energy; the length is linear in T.
#[test]
fn motion_blur_streak_spans_the_projections_at_open_and_close() {
    let mut r = renderer();
    let z = 2.0f32;
    square_scene(&mut r, z, 0.03);
    let n = 32;
    let (still, _) = integrate(&mut r, &[camera([0.0; 3])], [0.0; 4]);
    let (e0, _, v0) = moments(&still);
    let mut lengths = Vec::new();
    for travel_m in [0.1f32, 0.2] {
        // The camera slides along x during the exposure: sub-frame k at the midpoint of its slice.
        let cams: Vec<FrameCamera> =
            (0..n).map(|k| camera([((k as f32 + 0.5) / n as f32 - 0.5) * travel_m, 0.0, 0.0])).collect();
        let (blurred, _) = integrate(&mut r, &cams, [0.0; 4]);
        let (e, _, v) = moments(&blurred);
        assert!((e / e0 - 1.0).abs() < 0.01, "energy {e} vs sharp {e0}");
        // N equally spaced copies over the span l have variance l^2 (1 - 1/N^2) / 12 on top of the square's own.
        let measured = (12.0 * (v[0] - v0[0]) / (1.0 - 1.0 / (n * n) as f64)).sqrt();
        let expected = (F_PX * travel_m / z) as f64;
        assert!((measured - expected).abs() < 0.5, "streak {measured:.2} px, projections {expected:.2} px apart");
        assert!((v[1] - v0[1]).abs() < 0.05, "no blur across the motion");
        lengths.push(measured);
    }
    assert!((lengths[1] / lengths[0] - 2.0).abs() < 0.06, "twice the exposure, twice the streak: {lengths:?}");
}

/// Defocus: integrating lens samples over a thin lens images an out-of-focus square as a disk of the
/// thin-lens circle of confusion (second moment E[r²] = R²/2, within 0.5 px of the diameter); a square on the
/// focus plane stays sharp.
#[test]
fn defocus_images_a_point_as_the_thin_lens_disk() {
    let mut r = renderer();
    let focus_m = 1.0f32;
    let lens = ThinLens::for_coc_at_infinity(24.0, focus_m, F_PX);
    let n = 32;
    let samples = disk_samples(n);
    let lens_cameras = |lens: &ThinLens| -> Vec<FrameCamera> {
        samples
            .iter()
            .map(|&s| {
                let [dx, dy] = lens.lens_offset_m(s);
                let mut c = camera([dx, 0.0, -dy]);
                // Shift the principal point so the focus plane projects where it did (an off-axis frustum).
                c.cx += F_PX * dx / focus_m;
                c.cy += F_PX * dy / focus_m;
                c
            })
            .collect()
    };
    for z in [3.0f32, 1.0] {
        // Big enough (10 px at 3 m) that pixel coverage, which varies with each sample's sub-pixel phase,
        // averages out of the energy.
        square_scene(&mut r, z, 0.15);
        let (sharp, _) = integrate(&mut r, &[camera([0.0; 3])], [0.0; 4]);
        let (blurred, _) = integrate(&mut r, &lens_cameras(&lens), [0.0; 4]);
        let (e0, _, v0) = moments(&sharp);
        let (e, _, v) = moments(&blurred);
        assert!((e / e0 - 1.0).abs() < 0.01, "energy {e} vs {e0}");
        let second = (v[0] - v0[0]) + (v[1] - v0[1]);
        let diameter = 2.0 * (2.0 * second).max(0.0).sqrt();
        let expected = lens.coc_px(F_PX, z) as f64;
        assert!((diameter - expected).abs() < 0.5, "z {z}: disk {diameter:.2} px, thin lens {expected:.2} px");
        if z == focus_m {
            let worst = sharp.iter().zip(&blurred).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            let peak = sharp.iter().copied().fold(0.0f32, f32::max);
            assert!(worst < 0.02 * peak, "the focus plane matches the pinhole render ({worst} of {peak})");
        }
    }
}

/// Fog and haze: black targets show I = A (1 - exp(-beta d)) with d the Euclidean ray length: fitting beta
/// from targets at several distances recovers it within 1 %, two targets at the same z but different angles
/// differ as their ray lengths do, and the sky shows the airlight.
#[test]
fn medium_transmittance_follows_the_ray_length() {
    let mut r = renderer();
    let mut mesh = SceneMesh::default();
    // Black squares (no light at all in the scene) at depths 1.5..6 m across the view, and one pair at equal z.
    let black = Surface { albedo: [0.0; 3], roughness: 1.0, ..Surface::default() };
    let targets: [(f32, f32, u32); 6] =
        [(-0.9, 1.5, 1), (-0.4, 2.5, 2), (0.4, 4.0, 3), (1.6, 6.0, 4), (0.0, 3.0, 5), (2.0, 3.0, 6)];
    for (x, y, id) in targets {
        mesh.add_box([x, y + 0.05, -0.6], IDENTITY, [0.3, 0.1, 0.3], &black, id);
    }
    r.load_scene(&mesh, &Lighting::default());
    let beta = beta_for_mor(15.0) as f32;
    let airlight = 50.0f32;
    let (img, depth) = integrate(&mut r, &[camera([0.0; 3])], [beta, airlight, airlight, airlight]);
    let mut fits = Vec::new();
    for (x, y, _) in targets {
        // The pixel at the square's centre.
        let (u, v) = (F_PX * x / y + W as f32 / 2.0, F_PX * 0.6 / y + H as f32 / 2.0);
        let i = v as usize * W as usize + u as usize;
        let z = depth[i];
        assert!((z - y).abs() < 0.01, "target at {y} m: depth {z}");
        let (xc, yc) = ((u.floor() + 0.5 - W as f32 / 2.0) / F_PX, (v.floor() + 0.5 - H as f32 / 2.0) / F_PX);
        let ray_m = z * (1.0 + xc * xc + yc * yc).sqrt();
        let t = 1.0 - img[i] / airlight;
        fits.push((ray_m as f64, -(t as f64).ln(), z));
    }
    // Least squares through the origin: -ln t = beta d.
    let fitted = fits.iter().map(|(d, l, _)| d * l).sum::<f64>() / fits.iter().map(|(d, _, _)| d * d).sum::<f64>();
    assert!((fitted / beta as f64 - 1.0).abs() < 0.01, "fitted beta {fitted} vs {beta}");
    // The pair at z = 3 m: the off-axis one lies behind more medium.
    let (on, off) = (fits[4], fits[5]);
    assert!((on.2 - off.2).abs() < 0.01 && off.1 > on.1 * 1.05, "same z, different angles: {on:?} {off:?}");
    assert!(((off.1 / on.1) - off.0 / on.0).abs() < 0.01);
    // The sky (top-left corner: nothing drawn) is the airlight.
    assert_eq!(depth[0], 0.0);
    assert!((img[0] - airlight).abs() < 1e-3 * airlight, "sky {}", img[0]);
}
