//! Fetching model files through the Hugging Face hub cache (`hf-hub`).
//!
//! Files already in the cache (`$HF_HOME/hub`, default `~/.cache/huggingface/hub`)
//! are used without any network access. With `HF_HUB_OFFLINE=1`, or when the hub
//! cannot be reached within a few seconds, a missing file is a one-line error that
//! says how to supply it instead of a hang.

use anyhow::{bail, Context, Result};
use hf_hub::{Cache, Repo, RepoType};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

/// How long to wait for the hub before declaring it unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// True when `HF_HUB_OFFLINE` asks for no network access.
pub fn offline() -> bool {
    std::env::var("HF_HUB_OFFLINE").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false" | "False"))
}

/// Returns local paths of `files` from hub repo `repo` at `revision`, downloading
/// the missing ones unless offline. `hint` tells the user how else to supply the
/// files (for example "pass --model-dir DIR").
pub fn fetch(repo: &str, revision: &str, files: &[&str], hint: &str) -> Result<Vec<PathBuf>> {
    let cached = Cache::from_env().repo(Repo::with_revision(repo.into(), RepoType::Model, revision.into()));
    let missing: Vec<&str> = files
        .iter()
        .copied()
        .filter(|f| cached.get(f).is_none())
        .collect();
    if missing.is_empty() {
        return Ok(files
            .iter()
            .map(|f| cached.get(f).expect("checked above"))
            .collect());
    }
    if offline() {
        bail!(
            "{repo}: {} not in the Hugging Face cache and HF_HUB_OFFLINE is set; {hint}",
            missing.join(", ")
        );
    }
    let endpoint = std::env::var("HF_ENDPOINT").unwrap_or_else(|_| "https://huggingface.co".into());
    if !reachable(&endpoint) {
        bail!(
            "{repo}: cannot reach {endpoint} to download {} (no network?); {hint}, or copy the files into \
             the Hugging Face cache on a machine with access",
            missing.join(", ")
        );
    }
    let api = hf_hub::api::sync::ApiBuilder::from_env()
        .with_progress(true)
        .build()
        .context("cannot set up the Hugging Face hub client")?;
    let remote = api.repo(Repo::with_revision(repo.into(), RepoType::Model, revision.into()));
    files
        .iter()
        .map(|f| {
            remote
                .get(f)
                .with_context(|| format!("{repo}: cannot download {f}; {hint}"))
        })
        .collect()
}

/// A quick TCP connect to the endpoint's host, so that a closed network fails in
/// seconds rather than after the HTTP client's long timeouts.
fn reachable(endpoint: &str) -> bool {
    let rest = endpoint.split("://").nth(1).unwrap_or(endpoint);
    let authority = rest.split('/').next().unwrap_or(rest);
    let addr = if authority.contains(':') {
        authority.to_string()
    } else if endpoint.starts_with("http://") {
        format!("{authority}:80")
    } else {
        format!("{authority}:443")
    };
    match addr.to_socket_addrs() {
        Ok(addrs) => addrs
            .into_iter()
            .any(|a| TcpStream::connect_timeout(&a, CONNECT_TIMEOUT).is_ok()),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offline_missing_file_is_an_error_that_says_what_to_do() {
        let home = tempfile::tempdir().unwrap();
        // Environment variables are process-wide; this test owns HF_HOME/HF_HUB_OFFLINE
        // for the duration of the call and no other unit test reads them.
        std::env::set_var("HF_HOME", home.path());
        std::env::set_var("HF_HUB_OFFLINE", "1");
        let err = fetch(
            "Helsinki-NLP/opus-mt-en-zh",
            "main",
            &["config.json"],
            "pass --model-dir DIR",
        )
        .unwrap_err()
        .to_string();
        std::env::remove_var("HF_HUB_OFFLINE");
        std::env::remove_var("HF_HOME");
        assert!(err.contains("HF_HUB_OFFLINE"), "{err}");
        assert!(err.contains("--model-dir"), "{err}");
    }

    #[test]
    fn unreachable_endpoint_is_detected_quickly() {
        // Port 9 on loopback (discard) is closed on these machines: refused at once.
        assert!(!reachable("http://127.0.0.1:9"));
    }
}
