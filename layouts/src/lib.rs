//! Room layouts for diorama: rooms, placements and the constraints they satisfy.
//!
//! Pure and seeded: every function takes its random stream as an argument, does no IO and touches no GPU.
//! [`LayoutGenerator`] is the seam the full optimizer (issue 3) will plug into; [`SimplePlacer`] is the first
//! implementation: one rectangular room, rejection sampling checked exactly with parry3d.

pub mod geom;
pub mod nav;
pub mod placer;
pub mod scene;

pub use nav::NavGrid;
pub use placer::{LayoutGenerator, LayoutSpec, SimplePlacer};
pub use scene::{Constraint, Door, Layout, LayoutReport, Obb, Primitive, Room, SceneObject};

/// Why no layout could be made.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    #[error("unknown category `{0}` in objects.categories (it is not in the assets manifest)")]
    UnknownCategory(String),
    #[error("no layout satisfies the constraints: {0}")]
    Infeasible(String),
}
