//! Scene model, cameras, trajectories, visibility and spatial questions for diorama.
//!
//! Pure and seeded: no IO, no GPU. Ground truth comes from the simulation state (the layout and the camera
//! poses); the one exception is visibility, counted from the instance map rendered with each frame.

pub mod camera;
pub mod coverage;
pub mod dynamics;
pub mod motion;
pub mod paths;
pub mod qa;
pub mod seed;
pub mod silhouette;
pub mod trajectory;
pub mod visibility;

pub use camera::{CameraPose, Intrinsics};
pub use qa::{QaSpec, Question};
pub use seed::stream;
pub use trajectory::{Trajectory, WalkthroughSpec};
pub use visibility::{FrameVisibility, ObjectVisibility, VisibilitySummary};
