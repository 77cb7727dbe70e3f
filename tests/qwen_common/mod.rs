//! Finding a real Qwen GGUF for the real-model tests.
#![allow(dead_code)] // each test crate uses its own subset

use bitext::model::{cache_dir, manifest};
use std::path::PathBuf;

/// The GGUF the real-model tests run: `$BITEXT_QWEN_GGUF`, else the 0.5B offline copy that
/// `scripts/fetch-models.sh` puts in the bitext cache. `None`, with a visible notice, when
/// neither is there.
pub fn qwen_gguf() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("BITEXT_QWEN_GGUF") {
        return Some(PathBuf::from(path));
    }
    let m = manifest::find("qwen2.5-coder-0.5b").expect("the 0.5B manifest is built in");
    let path = cache_dir().join(&m.name).join(&m.pypi[0].file);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "SKIPPED: no Qwen GGUF at {} (run scripts/fetch-models.sh or set BITEXT_QWEN_GGUF)",
            path.display()
        );
        None
    }
}

/// Lines of a committed fixture file.
pub fn fixture_lines(rel: &str) -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(str::to_string)
        .collect()
}
