//! `bitext eval`: its output equals sacreBLEU's and Vecalign score.py's, and bad input gets a
//! clear error. Expected values come from `scripts/eval_expected.py`.

mod common;

use bitext::eval::align_score::{parse_beads, Bead};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

fn expected() -> Value {
    let text = std::fs::read_to_string(common::fixture("eval/expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The first fixture case of `metric` whose options, sentence flag and reference count match.
fn case(metric: &str, options: Value, sentence: bool, nrefs: usize) -> Value {
    expected()[metric]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["options"] == options
                && c["sentence"] == sentence
                && c["refs"].as_array().unwrap().len() == nrefs
        })
        .cloned()
        .unwrap_or_else(|| panic!("no {metric} case {options}"))
}

fn write_lines(dir: &Path, name: &str, lines: &Value) -> PathBuf {
    let lines: Vec<&str> = lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// Writes a case's hypotheses and references and returns `--hyp H --ref R1 [--ref R2]`.
fn case_files(dir: &Path, case: &Value) -> Vec<String> {
    let mut args = vec![
        "--hyp".to_string(),
        write_lines(dir, "hyp.txt", &case["hyps"]).display().to_string(),
    ];
    for (i, refs) in case["refs"].as_array().unwrap().iter().enumerate() {
        args.push("--ref".into());
        args.push(
            write_lines(dir, &format!("ref{i}.txt"), refs)
                .display()
                .to_string(),
        );
    }
    args
}

fn bitext(args: &[&str]) -> Output {
    common::bitext().args(args).output().unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn eval(metric: &str, files: &[String], extra: &[&str]) -> String {
    let mut args = vec!["eval", metric];
    args.extend(files.iter().map(String::as_str));
    args.extend(extra);
    stdout(&bitext(&args))
}

#[test]
fn bleu_prints_sacrebleus_text_line_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let case = case("bleu", serde_json::json!({"tokenize": "13a"}), false, 1);
    let files = case_files(dir.path(), &case);
    assert_eq!(
        eval("bleu", &files, &["-w", "4"]).trim_end(),
        case["text"].as_str().unwrap()
    );
    assert_eq!(
        eval("bleu", &files, &["--json", "-w", "2"]).trim_end(),
        case["json"].as_str().unwrap()
    );
}

#[test]
fn chinese_target_selects_the_zh_tokenizer() {
    let dir = tempfile::tempdir().unwrap();
    let case = case("bleu", serde_json::json!({"tokenize": "zh"}), false, 2);
    let files = case_files(dir.path(), &case);
    let got = eval("bleu", &files, &["-l", "en-zh", "-w", "4"]);
    assert_eq!(got.trim_end(), case["text"].as_str().unwrap());
}

#[test]
fn bleu_smoothing_flags_reach_the_signature() {
    let dir = tempfile::tempdir().unwrap();
    let options = serde_json::json!({"smooth_method": "add-k", "smooth_value": 2.0});
    let case = case("bleu", options, false, 2);
    let files = case_files(dir.path(), &case);
    let got = eval(
        "bleu",
        &files,
        &["--smooth", "add-k", "--smooth-value", "2", "-w", "4"],
    );
    assert_eq!(got.trim_end(), case["text"].as_str().unwrap());
}

#[test]
fn sentence_level_bleu_prints_one_sacrebleu_line_per_segment() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = case("bleu", serde_json::json!({"tokenize": "13a"}), false, 2);
    let files = case_files(dir.path(), &corpus);
    let want: Vec<String> = expected()["bleu"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["sentence"] == true && c["options"]["smooth_method"] == "exp")
        .map(|c| c["text"].as_str().unwrap().to_string())
        .collect();
    let got = eval("bleu", &files, &["--sentence-level", "-w", "4"]);
    assert_eq!(got.lines().collect::<Vec<_>>(), want);
}

#[test]
fn chrf_plus_plus_with_two_references() {
    let dir = tempfile::tempdir().unwrap();
    let options = serde_json::json!({"word_order": 2, "eps_smoothing": false});
    let case = case("chrf", options, false, 2);
    let files = case_files(dir.path(), &case);
    let got = eval("chrf", &files, &["--word-order", "2", "-w", "4"]);
    assert_eq!(got.trim_end(), case["text"].as_str().unwrap());
}

#[test]
fn line_count_mismatch_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let hyp = dir.path().join("hyp.txt");
    let reference = dir.path().join("ref.txt");
    std::fs::write(&hyp, "a\nb\n").unwrap();
    std::fs::write(&reference, "a\nb\nc\n").unwrap();
    let out = bitext(&[
        "eval",
        "chrf",
        "--hyp",
        hyp.to_str().unwrap(),
        "--ref",
        reference.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let want = format!("{}: 3 lines, but {} has 2", reference.display(), hyp.display());
    assert!(stderr.contains(&want), "{stderr}");
}

#[test]
fn invalid_utf8_is_reported_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let hyp = dir.path().join("hyp.txt");
    std::fs::write(&hyp, b"ok\n\xff\xfe\n").unwrap();
    let out = bitext(&[
        "eval",
        "bleu",
        "--hyp",
        hyp.to_str().unwrap(),
        "--ref",
        hyp.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}: line 2: not valid UTF-8", hyp.display())),
        "{stderr}"
    );
}

/// The six figures of `bitext eval align --json`, in `score.py`'s table order.
const SCORES: [&str; 6] = [
    "precision_strict",
    "recall_strict",
    "f1_strict",
    "precision_lax",
    "recall_lax",
    "f1_lax",
];

fn align_json(gold: &Path, test: &Path) -> Value {
    let out = bitext(&[
        "eval",
        "align",
        "--gold",
        gold.to_str().unwrap(),
        "--test",
        test.to_str().unwrap(),
        "--json",
    ]);
    serde_json::from_str(&stdout(&out)).unwrap()
}

#[test]
fn mac_dev_gold_against_itself_scores_one() {
    let Some(gold) = common::shared_data("mac-dev/gold") else {
        return;
    };
    let got = align_json(&gold, &gold);
    for key in SCORES {
        assert_eq!(got[key], 1.0, "{key}");
    }
    assert_eq!(
        got["documents"],
        expected()["align"]["files"].as_array().unwrap().len()
    );
}

/// The shifted copy: every target index plus one, as `scripts/eval_expected.py` builds it.
fn shifted(beads: &[Bead]) -> String {
    beads
        .iter()
        .map(|b| {
            Bead {
                src: b.src.clone(),
                tgt: b.tgt.iter().map(|t| t + 1).collect(),
            }
            .to_string()
                + "\n"
        })
        .collect()
}

#[test]
fn mac_dev_gold_against_a_shifted_copy_gives_score_py_counts() {
    let Some(gold) = common::shared_data("mac-dev/gold") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&gold).unwrap() {
        let path = entry.unwrap().path();
        let beads = parse_beads(&std::fs::read_to_string(&path).unwrap()).unwrap();
        std::fs::write(dir.path().join(path.file_name().unwrap()), shifted(&beads)).unwrap();
    }
    let got = align_json(&gold, dir.path());
    let want = &expected()["align"]["shifted"];
    let counts = |c: &Value| {
        [&c["tp_strict"], &c["fp_strict"], &c["tp_lax"], &c["fp_lax"]].map(|v| v.as_u64().unwrap())
    };
    let want_counts = |c: &Value| -> [u64; 4] {
        let v: Vec<u64> = c
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_u64().unwrap())
            .collect();
        [v[0], v[1], v[2], v[3]]
    };
    assert_eq!(
        counts(&got["precision_counts"]),
        want_counts(&want["precision_counts"])
    );
    assert_eq!(counts(&got["recall_counts"]), want_counts(&want["recall_counts"]));
    for key in SCORES {
        let want: f64 = want[key].as_str().unwrap().parse().unwrap();
        assert_eq!(got[key].as_f64().unwrap(), want, "{key}");
    }
}

/// Ladders of the six mac-dev chapters made by `bitext align --lines` at commit e267e81
/// (length only, `--src-trans`, `--src-trans --max-bead 3`; the commands are in
/// docs/alignment-eval.md), and what Vecalign's `score.py` gives for each, to 6 decimals.
#[test]
fn mac_dev_alignments_score_what_vecalign_score_py_gives() {
    let Some(gold) = common::shared_data("mac-dev/gold") else {
        return;
    };
    let cases = [
        (
            "length",
            [0.643223, 0.656694, 0.649889, 0.878388, 0.877337, 0.877862],
        ),
        ("mt", [0.853535, 0.881825, 0.867450, 0.988456, 0.994016, 0.991228]),
        (
            "mt-bead3",
            [0.714862, 0.792072, 0.751489, 0.917283, 0.988781, 0.951691],
        ),
    ];
    for (setting, want) in cases {
        let got = align_json(&gold, &common::fixture(&format!("eval/mac-dev/{setting}")));
        assert_eq!(got["documents"], 6, "{setting}");
        for (key, want) in SCORES.iter().zip(want) {
            let got = got[key].as_f64().unwrap();
            assert_eq!(format!("{got:.6}"), format!("{want:.6}"), "{setting} {key}");
        }
    }
}

#[test]
fn missing_test_file_is_reported_and_the_rest_scored() {
    let dir = tempfile::tempdir().unwrap();
    let (gold, test) = (dir.path().join("gold"), dir.path().join("test"));
    std::fs::create_dir_all(&gold).unwrap();
    std::fs::create_dir_all(&test).unwrap();
    std::fs::write(gold.join("001.align"), "[0]:[0]\n[1]:[1]\n").unwrap();
    std::fs::write(gold.join("002.align"), "[0]:[0]\n").unwrap();
    std::fs::write(test.join("001.align"), "[0]:[0]\n[1]:[1]\n").unwrap();
    let out = bitext(&[
        "eval",
        "align",
        "--gold",
        gold.to_str().unwrap(),
        "--test",
        test.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("bitext: {}: missing", test.join("002.align").display())),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("| F1          |   1.000 |   1.000 |"), "{stdout}");
    assert!(stdout.contains("documents: 1 scored, 1 skipped"), "{stdout}");
}
