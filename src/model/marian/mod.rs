//! The marian translation engine.

use crate::translate::{Engine, EngineOptions};

/// Loads the marian engine described by `opts`.
pub fn load_engine(_opts: &EngineOptions) -> anyhow::Result<Box<dyn Engine>> {
    anyhow::bail!("the marian engine is not built yet")
}
