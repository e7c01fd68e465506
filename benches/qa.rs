//! Questions per second: `sim::qa::generate` on furnished rooms (every object seen, a camera walking through),
//! the GPU not involved.
//!
//! Run: `cargo bench --bench qa`.

use std::collections::BTreeMap;
use std::time::Instant;

use diorama_assets::Manifest;
use diorama_layouts::geom::Vec3;
use diorama_layouts::{Apartment, LayoutGenerator, LayoutSpec, Optimizer};
use diorama_sim::CameraPose;
use diorama_sim::camera::Intrinsics;
use diorama_sim::paths::PathScene;
use diorama_sim::qa::{QaSpec, generate};
use diorama_sim::trajectory::WalkthroughSpec;
use diorama_sim::visibility::{FrameVisibility, VisibilitySummary};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn main() {
    let manifest = Manifest::builtin();
    let spec = LayoutSpec { room_types: vec!["living_room".into()], ..LayoutSpec::typical(&manifest) };
    let rooms: Vec<Apartment> = (0..40u64)
        .filter_map(|s| Optimizer.generate(&spec, &manifest, &mut ChaCha8Rng::seed_from_u64(s)).ok())
        .map(Apartment::single)
        .collect();
    let frames = 96u32;
    let qa = QaSpec {
        min_visible_px: 100,
        max_per_type: 4,
        min_abs_distance_m: 0.2,
        fps: 12,
        motion_centres: BTreeMap::new(),
        abstention: false,
    };
    let mut questions = 0usize;
    let mut routes = 0usize;
    let mut spent = std::time::Duration::ZERO;
    for room in &rooms {
        // Each object salient from a frame of its own, so appearance-order questions exist.
        let mut vis = VisibilitySummary::with_salient_px(100);
        let ids: Vec<u32> = room.objects().map(|o| o.id).collect();
        for k in 0..frames {
            let shown = &ids[..((k as usize + 1) * ids.len() / frames as usize).max(1)];
            let map: Vec<u16> = shown.iter().flat_map(|&id| std::iter::repeat_n(id as u16, 200)).collect();
            vis.add(k, &FrameVisibility::from_instance_map(&map, 200, shown.len() as u32));
        }
        let poses: Vec<CameraPose> = (0..frames)
            .map(|k| {
                CameraPose::from_yaw_pitch(Vec3::new(0.5 + k as f32 * 0.03, 0.5, 1.6), 0.8 + k as f32 * 0.01, -0.3)
            })
            .collect();
        // The robot's floor for route questions (built once per scene in a build, outside this timing).
        let walk = WalkthroughSpec {
            frames,
            eye_height_m: 1.2,
            clearance_m: 0.15,
            tilt_down_rad: 0.0,
            intrinsics: Intrinsics::from_hfov(640, 480, 1.2),
        };
        let nav = PathScene::new(room, &walk).ok();
        let start = Instant::now();
        let qs = generate(room, &vis, &poses, frames, &qa, nav.as_ref(), &mut ChaCha8Rng::seed_from_u64(1));
        spent += start.elapsed();
        questions += qs.len();
        routes += qs.iter().filter(|q| q.question_type == "route_planning").count();
    }
    println!(
        "{} rooms, {questions} questions ({routes} routes) in {:.3} s: {:.0} questions/s ({:.1} ms per room)",
        rooms.len(),
        spent.as_secs_f64(),
        questions as f64 / spent.as_secs_f64(),
        spent.as_secs_f64() * 1e3 / rooms.len() as f64
    );
}
