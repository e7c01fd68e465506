//! Room layouts for diorama: rooms, placements and the constraints they satisfy.
//!
//! Pure and seeded: every function takes its random stream as an argument, does no IO and touches no GPU.
//! [`LayoutGenerator`] is the seam; [`Optimizer`] is the implementation: a room type's program placed
//! greedily with its arrangements, refined by simulated annealing, certified by [`constraints`].

pub mod apartment;
pub mod constraints;
pub mod floorplan;
pub mod geom;
pub mod nav;
pub mod optimizer;
pub mod scene;
pub mod shell;

pub use apartment::{Apartment, DoorLink, check_apartment};
pub use nav::NavGrid;
pub use optimizer::{LayoutGenerator, LayoutSpec, Optimizer};
pub use scene::{
    Constraint, Door, Layout, LayoutReport, Notch, Obb, OptimizerStats, Primitive, Room, SceneObject, Surface,
};

/// Why no layout could be made.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    #[error("unknown category `{0}` in objects.categories (it is not in the assets manifest)")]
    UnknownCategory(String),
    #[error("unknown room type `{0}` in room.types (the assets manifest has no [rooms.{0}])")]
    UnknownRoomType(String),
    #[error("no layout satisfies the constraints: {0}")]
    Infeasible(String),
}
