//! `bitext run` and `bitext merge` on the command line: failures that must happen
//! before any work, with a clear message and exit code 2.

mod common;

use common::bitext;
use std::path::Path;

fn examples() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

#[test]
fn a_missing_model_fails_before_any_output_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = bitext()
        .arg("run")
        .arg(examples())
        .arg("-o")
        .arg(&out)
        .arg("--model-dir")
        .arg(dir.path().join("no-such-model"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("cannot load the translation model"), "{err}");
    assert!(!out.exists(), "nothing may be written when the model is missing");
}

#[test]
fn a_missing_input_folder_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder");
    let run = bitext()
        .arg("run")
        .arg(&missing)
        .arg("-o")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("no-such-folder"), "{err}");
}

#[test]
fn a_bad_shard_is_rejected() {
    let run = bitext()
        .args(["run", "examples", "-o", "x", "--shard", "3/3"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("0 <= K < N"));
}

#[test]
fn merge_names_a_folder_without_a_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let run = bitext()
        .arg("merge")
        .arg(dir.path())
        .arg("-o")
        .arg(dir.path().join("merged"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("manifest.json"), "{err}");
}
