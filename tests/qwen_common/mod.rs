//! Finding a real Qwen GGUF for the real-model tests.
#![allow(dead_code)] // each test crate uses its own subset

use bitext::model::{cache_dir, manifest};
use std::path::PathBuf;

/// The GGUF the real-model tests run: `$BITEXT_QWEN_GGUF`, else the offline copy that
/// `scripts/fetch-models.sh` puts in the bitext cache (the 0.5B, which is faster, before
/// the 1.5B). `None`, with a visible notice, when none is there.
pub fn qwen_gguf() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("BITEXT_QWEN_GGUF") {
        return Some(PathBuf::from(path));
    }
    let paths: Vec<PathBuf> = ["qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"]
        .iter()
        .map(|name| {
            let m = manifest::find(name).expect("the offline manifests are built in");
            cache_dir().join(&m.name).join(&m.pypi[0].file)
        })
        .collect();
    let found = paths.iter().find(|p| p.is_file()).cloned();
    if found.is_none() {
        eprintln!(
            "SKIPPED: no Qwen GGUF at {} (run scripts/fetch-models.sh or set BITEXT_QWEN_GGUF)",
            paths[1].display()
        );
    }
    found
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
