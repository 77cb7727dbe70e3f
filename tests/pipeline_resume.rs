//! `bitext run` as a process with the tiny Marian fixture model: killed with
//! SIGKILL at several moments and started again, it must finish with the same
//! bytes as an uninterrupted run; changed inputs are redone; a bad file is
//! reported and skipped with exit code 1; shards merged equal the unsharded run.

mod common;

use common::{bitext, fixture, outputs};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// A folder with the English examples, some generated short articles (so the run
/// has many batches), a Chinese article and an undecodable file.
fn input_folder(dir: &Path) -> PathBuf {
    let input = dir.join("in");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    for entry in walkdir::WalkDir::new(&examples).into_iter().map(|e| e.unwrap()) {
        let rel = entry.path().strip_prefix(&examples).unwrap();
        if entry.file_type().is_file() {
            std::fs::create_dir_all(input.join(rel).parent().unwrap()).unwrap();
            std::fs::copy(entry.path(), input.join(rel)).unwrap();
        }
    }
    for i in 0..12 {
        let text = format!(
            "Report number {i}\n\nThe council met on day {i} to discuss the budget. \
             Members voted {i} times before lunch.\n\nThe next meeting is in {} weeks.",
            i + 2
        );
        std::fs::write(input.join(format!("en/report-{i:02}.txt")), text).unwrap();
    }
    std::fs::write(input.join("en/broken.txt"), [0x00, 0x9c, 0xff, 0x00, 0xfe, 0x01]).unwrap();
    input
}

/// Small batches and chunks, so that a run has many of them to be killed between.
const SETTINGS: [&str; 6] = ["--batch-size", "2", "--chunk-sentences", "8", "--threads", "1"];

fn run_command(input: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = bitext();
    cmd.arg("run")
        .arg(input)
        .arg("-o")
        .arg(out)
        .arg("--model-dir")
        .arg(fixture("marian/tiny-en-zh"))
        .arg("--quiet")
        .args(extra);
    cmd
}

/// Runs to completion and returns the exit code.
fn run_to_end(input: &Path, out: &Path, extra: &[&str]) -> i32 {
    let output = run_command(input, out, extra).output().unwrap();
    output.status.code().unwrap_or(-1)
}

/// The `files` list of a manifest.
fn manifest_files(dir: &Path) -> serde_json::Value {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    manifest["files"].clone()
}

#[test]
fn a_run_killed_at_any_moment_resumes_to_byte_identical_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let input = input_folder(dir.path());
    let reference = dir.path().join("reference");
    let start = Instant::now();
    assert_eq!(
        run_to_end(&input, &reference, &SETTINGS),
        1,
        "the broken file makes the exit code 1"
    );
    let full = start.elapsed();
    let expected = outputs(&reference);
    assert!(expected.contains_key("corpus.tmx") && expected.contains_key("translated/en/report-00.txt"));

    let mut interrupted = 0;
    for (i, fraction) in [0.1, 0.25, 0.4, 0.55, 0.7, 0.85].into_iter().enumerate() {
        let out = dir.path().join(format!("killed-{i}"));
        let mut child = run_command(&input, &out, &SETTINGS)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full.mul_f64(fraction));
        child.kill().unwrap(); // SIGKILL: no destructors, no cleanup
        child.wait().unwrap();
        if !out.join("manifest.json").exists() {
            interrupted += 1;
        }
        assert_eq!(run_to_end(&input, &out, &SETTINGS), 1);
        assert_eq!(
            outputs(&out),
            expected,
            "killed at {:.0}% of a run",
            fraction * 100.0
        );
        assert_eq!(manifest_files(&out), manifest_files(&reference));
    }
    assert!(
        interrupted >= 2,
        "only {interrupted} kills landed before the run finished"
    );
}

#[test]
fn a_changed_file_is_redone_and_a_bad_file_is_reported_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let input = input_folder(dir.path());
    let out = dir.path().join("out");
    let first = run_command(&input, &out, &SETTINGS).output().unwrap();
    assert_eq!(first.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(stderr.contains("broken.txt"), "{stderr}");
    let files = manifest_files(&out);
    let broken = files
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "en/broken.txt")
        .unwrap();
    assert_eq!(broken["status"], "failed");
    assert!(out.join("translated/en/report-03.txt").exists());

    let before = std::fs::read(out.join("translated/en/report-03.txt")).unwrap();
    std::fs::write(
        input.join("en/report-03.txt"),
        "A new title\n\nSomething else happened today.",
    )
    .unwrap();
    std::fs::remove_file(input.join("en/broken.txt")).unwrap();
    assert_eq!(run_to_end(&input, &out, &SETTINGS), 0, "nothing fails any more");
    let after = std::fs::read(out.join("translated/en/report-03.txt")).unwrap();
    assert_ne!(after, before);
    let reference = dir.path().join("fresh");
    run_to_end(&input, &reference, &SETTINGS);
    assert_eq!(
        outputs(&out),
        outputs(&reference),
        "the rerun equals a fresh run on the new inputs"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["totals"]["engine_sentences"], 2,
        "only the changed file's sentences were translated"
    );
}

#[test]
fn shards_merged_equal_the_unsharded_run() {
    let dir = tempfile::tempdir().unwrap();
    let input = input_folder(dir.path());
    let whole = dir.path().join("whole");
    // One sentence per batch, so the shards' batches equal the unsharded run's.
    let single = ["--batch-size", "1", "--threads", "1"];
    assert_eq!(run_to_end(&input, &whole, &single), 1);
    let mut merge = bitext();
    merge.arg("merge");
    for k in 0..3 {
        let out = dir.path().join(format!("shard-{k}"));
        let shard = format!("{k}/3");
        let code = run_to_end(&input, &out, &[&single[..], &["--shard", &shard]].concat());
        assert!(code == 0 || code == 1, "shard {shard} exited with {code}");
        merge.arg(out);
    }
    let merged = dir.path().join("merged");
    let status = merge.arg("-o").arg(&merged).arg("--quiet").output().unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert_eq!(outputs(&merged), outputs(&whole));
    assert_eq!(manifest_files(&merged), manifest_files(&whole));
}
