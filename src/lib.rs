//! diorama: synthetic spatial-reasoning video datasets. This library holds the config, the build pipeline and
//! the emitters (the only code that writes files); `main.rs` is a thin CLI over it. See ARCHITECTURE.md.

pub mod config;
pub mod emit;
pub mod lighting;
pub mod pipeline;
pub mod plan;
pub mod preview;
pub mod score;
pub mod shard;
pub mod sheet;
pub mod sweep;
pub mod verify;

pub use config::{Config, ConfigError, DEFAULT_CONFIG_TOML};
pub use pipeline::{
    BuildError, BuildOptions, BuildSummary, MergeSummary, Progress, Shard, StageTimes, build, build_with, merge,
};
