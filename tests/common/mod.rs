//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test crate uses its own subset

use std::path::{Path, PathBuf};

/// A file or folder under `../shared/data` (or `$BITEXT_SHARED/data`), or `None`
/// with a visible notice when the shared data is not present.
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let root = std::env::var_os("BITEXT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let path = root.join("data").join(rel);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("SKIPPED: {} is not present (shared data absent)", path.display());
        None
    }
}

/// The lines of a text file, trimmed.
pub fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| l.trim().to_string())
        .collect()
}

/// The path of a committed test fixture.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures")).join(rel)
}

/// The bitext binary built for these tests.
pub fn bitext() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_bitext"))
}

/// The e5-small embedder from the bitext model cache, or `None` with a visible notice.
pub fn cached_e5() -> Option<Box<dyn bitext::model::embed::SentenceEmbedder>> {
    let file = bitext::model::cache_dir().join("e5-small/e5-small-q4.bin");
    if !file.is_file() {
        eprintln!(
            "SKIPPED: {} is not present (run scripts/fetch-models.sh)",
            file.display()
        );
        return None;
    }
    let model = bitext::model::embed::load_embedder("e5-small", &candle_core::Device::Cpu);
    Some(model.expect("the cached e5-small loads"))
}

/// Every output file of a run folder except the manifest (which holds timings) and
/// the state folder, by relative path.
pub fn outputs(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".bitext")
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file() && e.file_name() != "manifest.json")
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}
