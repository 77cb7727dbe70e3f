//! `bitext merge` accepts only one complete shard set (or, with `--allow-partial`,
//! a set with shards missing, recorded in its manifest), and no two processes ever
//! write one output folder at once. Real runs of the tiny Marian fixture model.

mod common;

use common::{bitext, fixture, outputs};
use std::path::{Path, PathBuf};
use std::process::Output;

/// Twelve short English articles.
fn input_folder(dir: &Path) -> PathBuf {
    let input = dir.join("in");
    std::fs::create_dir_all(&input).unwrap();
    for i in 0..12 {
        let text = format!(
            "Report number {i}\n\nThe council met on day {i} to discuss the budget. \
             Members voted {i} times before lunch."
        );
        std::fs::write(input.join(format!("report-{i:02}.txt")), text).unwrap();
    }
    input
}

/// `bitext run` with the tiny en→zh model; panics unless it succeeds.
fn run(input: &Path, out: &Path, extra: &[&str]) {
    let output = bitext()
        .arg("run")
        .arg(input)
        .arg("-o")
        .arg(out)
        .arg("--model-dir")
        .arg(fixture("marian/tiny-en-zh"))
        .args(["--quiet", "--batch-size", "1", "--threads", "1"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs shard `k` of `n` into `dir/shard-k-of-n` and returns that folder.
fn shard(input: &Path, dir: &Path, k: usize, n: usize, extra: &[&str]) -> PathBuf {
    let out = dir.join(format!("shard-{k}-of-{n}"));
    run(input, &out, &[&["--shard", &format!("{k}/{n}")], extra].concat());
    out
}

fn merge(runs: &[&Path], out: &Path, extra: &[&str]) -> Output {
    bitext()
        .arg("merge")
        .args(runs)
        .arg("-o")
        .arg(out)
        .arg("--quiet")
        .args(extra)
        .output()
        .unwrap()
}

/// Asserts that `output` exited with 2 and that its message contains every one of `needles`.
fn assert_refused(output: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    for needle in needles {
        assert!(err.contains(needle), "{needle:?} not in: {err}");
    }
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

/// Four shards, an unsharded reference run and the folder they share.
struct ShardSet {
    dir: tempfile::TempDir,
    input: PathBuf,
    shards: Vec<PathBuf>,
    whole: PathBuf,
}

fn four_shards() -> ShardSet {
    let dir = tempfile::tempdir().unwrap();
    let input = input_folder(dir.path());
    let shards = (0..4).map(|k| shard(&input, dir.path(), k, 4, &[])).collect();
    let whole = dir.path().join("whole");
    run(&input, &whole, &[]);
    ShardSet {
        dir,
        input,
        shards,
        whole,
    }
}

#[test]
fn a_complete_set_merges_into_the_unsharded_run_with_summed_times_and_a_wall_span() {
    let set = four_shards();
    let merged = set.dir.path().join("merged");
    let refs: Vec<&Path> = set.shards.iter().map(PathBuf::as_path).collect();
    let output = merge(&refs, &merged, &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(outputs(&merged), outputs(&set.whole));

    let m = manifest(&merged);
    assert_eq!(m["files"], manifest(&set.whole)["files"]);
    assert_eq!(m["settings"]["shard"], "0,1,2,3/4");
    assert_eq!(m["merge"]["shard_count"], 4);
    assert_eq!(m["merge"]["merged"], serde_json::json!([0, 1, 2, 3]));
    assert_eq!(m["merge"]["missing"], serde_json::json!([]));
    let shard_manifests: Vec<serde_json::Value> = set.shards.iter().map(|s| manifest(s)).collect();
    let sum = |key: &str| -> f64 {
        shard_manifests
            .iter()
            .map(|s| s["timings"][key].as_f64().unwrap())
            .sum()
    };
    for key in ["read_s", "translate_s", "write_s", "total_s"] {
        let merged_s = m["timings"][key].as_f64().unwrap();
        assert!(
            (merged_s - sum(key)).abs() < 1e-9,
            "{key}: {merged_s} vs {}",
            sum(key)
        );
    }
    let sentences = m["totals"]["sentences"].as_f64().unwrap();
    let rate = m["timings"]["sentences_per_s"].as_f64().unwrap();
    assert!(
        (rate - sentences / sum("total_s")).abs() < 1e-6,
        "the rate is per summed second"
    );
    // The shards ran one after the other, so the span covers them all.
    let span = m["merge"]["wall_span_s"].as_f64().unwrap();
    let first_start = shard_manifests
        .iter()
        .map(|s| s["timings"]["started_unix_s"].as_f64().unwrap())
        .fold(f64::INFINITY, f64::min);
    let last_end = shard_manifests
        .iter()
        .map(|s| s["timings"]["finished_unix_s"].as_f64().unwrap())
        .fold(0.0, f64::max);
    assert!((span - (last_end - first_start)).abs() < 1e-6);
    assert!(span >= sum("total_s") - 1e-6, "{span} < {}", sum("total_s"));
}

#[test]
fn a_missing_shard_is_refused_unless_partial_merges_are_allowed() {
    let set = four_shards();
    let three: Vec<&Path> = [0, 1, 3].iter().map(|&k| set.shards[k].as_path()).collect();
    let merged = set.dir.path().join("merged");
    assert_refused(
        &merge(&three, &merged, &[]),
        &["shards missing: 2/4", "--allow-partial"],
    );
    assert!(!merged.join("manifest.json").exists());

    let output = merge(&three, &merged, &["--allow-partial"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let m = manifest(&merged);
    assert_eq!(m["settings"]["shard"], "0,1,3/4");
    assert_eq!(m["merge"]["merged"], serde_json::json!([0, 1, 3]));
    assert_eq!(m["merge"]["missing"], serde_json::json!([2]));
    let files: usize = three
        .iter()
        .map(|s| manifest(s)["files"].as_array().unwrap().len())
        .sum();
    assert_eq!(m["files"].as_array().unwrap().len(), files);

    // The partial merge and the missing shard complete the set.
    let complete = set.dir.path().join("complete");
    let output = merge(&[&merged, &set.shards[2]], &complete, &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(outputs(&complete), outputs(&set.whole));
    assert_eq!(manifest(&complete)["merge"]["missing"], serde_json::json!([]));
}

#[test]
fn a_duplicated_shard_is_refused_even_when_partial_merges_are_allowed() {
    let set = four_shards();
    let twice: Vec<&Path> = [0, 1, 2, 3, 1].iter().map(|&k| set.shards[k].as_path()).collect();
    let merged = set.dir.path().join("merged");
    for extra in [&[][..], &["--allow-partial"]] {
        assert_refused(
            &merge(&twice, &merged, extra),
            &["shard 1/4 is given 2 times", "shard-1-of-4"],
        );
    }
}

#[test]
fn shards_of_different_counts_do_not_mix() {
    let set = four_shards();
    let half = shard(&set.input, set.dir.path(), 0, 2, &[]);
    let merged = set.dir.path().join("merged");
    let output = merge(
        &[&half, &set.shards[1], &set.shards[3]],
        &merged,
        &["--allow-partial"],
    );
    assert_refused(&output, &["the shard counts differ", "N=2 in", "N=4 in"]);
}

#[test]
fn shards_of_other_settings_inputs_or_engines_are_refused() {
    let set = four_shards();
    let rest: Vec<&Path> = set.shards[1..].iter().map(PathBuf::as_path).collect();
    let merged = set.dir.path().join("merged");

    let other_chunks = set.dir.path().join("chunks-8");
    run(
        &set.input,
        &other_chunks,
        &["--shard", "0/4", "--chunk-sentences", "8"],
    );
    assert_refused(
        &merge(&[&[other_chunks.as_path()], &rest[..]].concat(), &merged, &[]),
        &["settings.chunk_sentences differs: 8 in", "chunks-8, 20000 in"],
    );

    let copy = set.dir.path().join("copy-of-in");
    std::fs::create_dir_all(&copy).unwrap();
    for entry in std::fs::read_dir(&set.input).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
    }
    let other_input = shard(&copy, set.dir.path(), 0, 4, &[]);
    assert_refused(
        &merge(&[&[other_input.as_path()], &rest[..]].concat(), &merged, &[]),
        &["settings.input differs", "copy-of-in"],
    );

    let other_engine = set.dir.path().join("beam-2");
    run(&set.input, &other_engine, &["--shard", "0/4", "--beam", "2"]);
    assert_refused(
        &merge(&[&[other_engine.as_path()], &rest[..]].concat(), &merged, &[]),
        &["engine.signature differs"],
    );
    assert!(!merged.exists(), "a refused merge writes nothing");
}

#[test]
fn a_folder_being_written_is_neither_run_into_nor_merged() {
    let set = four_shards();
    // Stand in for a run in progress: hold the lock of shard 2 and of a fresh folder.
    let _running = bitext::pipeline::lock_output(&set.shards[2]).unwrap();
    let refs: Vec<&Path> = set.shards.iter().map(PathBuf::as_path).collect();
    let merged = set.dir.path().join("merged");
    assert_refused(&merge(&refs, &merged, &[]), &["shard-2-of-4", "still writing"]);

    let busy = set.dir.path().join("busy");
    let _other = bitext::pipeline::lock_output(&busy).unwrap();
    let second = bitext()
        .arg("run")
        .arg(&set.input)
        .arg("-o")
        .arg(&busy)
        .arg("--model-dir")
        .arg(fixture("marian/tiny-en-zh"))
        .output()
        .unwrap();
    assert_refused(
        &second,
        &["another bitext run or merge is writing to this folder"],
    );
    assert!(
        !busy.join("corpus.jsonl").exists(),
        "the refused run wrote nothing"
    );
    assert_refused(
        &merge(&refs[..2], &busy, &["--allow-partial"]),
        &["another bitext run or merge"],
    );
}
