//! `bitext align` end to end: outputs, folder mode and the bad inputs of issue 6.

mod common;

use bitext::eval::align_score::{parse_beads, Bead};
use common::{bitext, fixture};
use std::path::Path;
use std::process::Output;

fn run(args: &[&str]) -> Output {
    bitext()
        .arg("-q")
        .arg("align")
        .args(args)
        .output()
        .expect("runs bitext")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn beads(out: &Output) -> Vec<Bead> {
    assert!(out.status.success(), "stderr: {}", stderr(out));
    parse_beads(&stdout(out)).expect("ladder output")
}

/// Every sentence index of both sides appears exactly once, in order.
fn assert_covers(beads: &[Bead], n: usize, m: usize) {
    let src: Vec<usize> = beads.iter().flat_map(|b| b.src.clone()).collect();
    let tgt: Vec<usize> = beads.iter().flat_map(|b| b.tgt.clone()).collect();
    assert_eq!(src, (0..n).collect::<Vec<_>>());
    assert_eq!(tgt, (0..m).collect::<Vec<_>>());
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn f(name: &str) -> String {
    fixture(&format!("align/{name}")).display().to_string()
}

#[test]
fn news_pair_with_translation_matches_the_hand_made_gold() {
    let out = run(&[
        &f("zh.txt"),
        &f("en.txt"),
        "--lines",
        "--src-trans",
        &f("zh.trans"),
        "-f",
        "ladder",
    ]);
    let gold = parse_beads(&std::fs::read_to_string(f("gold.align")).unwrap()).unwrap();
    assert_eq!(beads(&out), gold);
}

#[test]
fn without_translation_numbers_and_lengths_still_cover_both_sides() {
    let out = run(&[&f("zh.txt"), &f("en.txt"), "--lines", "-f", "ladder"]);
    let b = beads(&out);
    assert_covers(&b, 5, 7);
    // 18.3% and 1992 anchor the first two sentences.
    assert_eq!(
        b[0],
        Bead {
            src: vec![0],
            tgt: vec![0]
        }
    );
    assert_eq!(
        b[1],
        Bead {
            src: vec![1],
            tgt: vec![1]
        }
    );
}

#[test]
fn tsv_output_has_one_scored_pair_per_bead_and_reports_unaligned_sentences() {
    let out = bitext()
        .args([
            "align",
            &f("zh.txt"),
            &f("en.txt"),
            "--lines",
            "--src-trans",
            &f("zh.trans"),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 5, "{text}");
    assert!(rows[2][1].starts_with("Analysts said") && rows[2][1].ends_with("also recovered."));
    for r in &rows {
        let score: f64 = r[2].parse().expect("score column");
        assert!(score > 0.1 && score <= 1.0, "{r:?}");
    }
    assert!(
        stderr(&out).contains("0 source and 1 target sentences unaligned"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn filters_drop_low_scores_and_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let zh = write(dir.path(), "zh", "今天下雨。\n今天下雨。\n他买了三本书。\n");
    let mt = write(
        dir.path(),
        "zh.trans",
        "It is raining today.\nIt is raining today.\nHe bought three books.\n",
    );
    let en = write(
        dir.path(),
        "en",
        "It rains today.\nIt rains today.\nThe weather is bad in winter.\n",
    );
    let args = [zh.as_str(), &en, "--lines", "--src-trans", &mt, "--dedup"];
    let deduped = run(&args);
    assert!(deduped.status.success(), "{}", stderr(&deduped));
    let scores: Vec<f64> = stdout(&deduped)
        .lines()
        .map(|l| l.rsplit('\t').next().unwrap().parse().unwrap())
        .collect();
    // The duplicate pair is written once; the unrelated pair scores below the right one.
    assert_eq!(scores.len(), 2, "{}", stdout(&deduped));
    assert!(scores[1] < scores[0], "{scores:?}");
    let threshold = format!("{}", (scores[0] + scores[1]) / 2.0);
    let out = run(&[&args[..], &["--min-score", &threshold]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).lines().collect::<Vec<_>>(),
        [stdout(&deduped).lines().next().unwrap()]
    );
}

#[test]
fn an_empty_side_leaves_every_sentence_of_the_other_unaligned() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.txt", "");
    let b = beads(&run(&[
        &f("zh.txt"),
        &empty,
        "--lines",
        "--tgt-lang",
        "en",
        "-f",
        "ladder",
    ]));
    assert_eq!(b.len(), 5);
    assert!(b.iter().all(|b| b.src.len() == 1 && b.tgt.is_empty()));
}

#[test]
fn a_side_twenty_times_longer_still_aligns_completely() {
    let dir = tempfile::tempdir().unwrap();
    let en_lines: String = (0..100)
        .map(|i| format!("Line {i} of a long English report about the harvest.\n"))
        .collect();
    let en = write(dir.path(), "en.txt", &en_lines);
    let zh = write(
        dir.path(),
        "zh.txt",
        "报告的第7行。\n报告的第55行。\n报告结束。\n收成很好。\n一切正常。\n",
    );
    let b = beads(&run(&[&zh, &en, "--lines", "-f", "ladder"]));
    assert_covers(&b, 5, 100);
    // The numbers pull the first two sentences to their lines.
    assert!(b.iter().any(|b| b.src == [0] && b.tgt.contains(&7)), "{b:?}");
    assert!(b.iter().any(|b| b.src == [1] && b.tgt.contains(&55)), "{b:?}");
}

#[test]
fn two_sides_in_one_language_are_refused_unless_declared() {
    let out = run(&[&f("en.txt"), &f("en.txt"), "--lines"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("en.txt") && err.contains("both sides are en"),
        "{err}"
    );
}

#[test]
fn identical_text_declared_as_one_language_aligns_one_to_one() {
    let out = run(&[
        &f("en.txt"),
        &f("en.txt"),
        "--lines",
        "--src-lang",
        "en",
        "--tgt-lang",
        "en",
        "-f",
        "ladder",
    ]);
    let b = beads(&out);
    let diagonal: Vec<Bead> = (0..7)
        .map(|i| Bead {
            src: vec![i],
            tgt: vec![i],
        })
        .collect();
    assert_eq!(b, diagonal);
}

#[test]
fn a_translation_with_the_wrong_line_count_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let short = write(dir.path(), "short.trans", "one line\n");
    let out = run(&[&f("zh.txt"), &f("en.txt"), "--lines", "--src-trans", &short]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("short.trans") && err.contains("1 lines for 5 sentences"),
        "{err}"
    );
}

#[test]
fn folders_pair_files_by_stem_use_trans_files_and_report_orphans() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, out) = (
        dir.path().join("zh"),
        dir.path().join("en"),
        dir.path().join("out"),
    );
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    for (to, from) in [
        (a.join("doc1"), "zh.txt"),
        (a.join("doc1.trans"), "zh.trans"),
        (b.join("doc1"), "en.txt"),
    ] {
        std::fs::copy(f(from), to).unwrap();
    }
    std::fs::write(a.join("orphan"), "只有中文。\n").unwrap();
    let res = run(&[
        "--src-dir",
        a.to_str().unwrap(),
        "--tgt-dir",
        b.to_str().unwrap(),
        "--lines",
        "-f",
        "ladder",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(res.status.code(), Some(1), "{}", stderr(&res));
    assert!(stderr(&res).contains("orphan"), "{}", stderr(&res));
    let got = parse_beads(&std::fs::read_to_string(out.join("doc1.align")).unwrap()).unwrap();
    let gold = parse_beads(&std::fs::read_to_string(f("gold.align")).unwrap()).unwrap();
    assert_eq!(got, gold);
}

#[test]
fn an_english_source_aligns_as_the_mirror_of_the_chinese_one() {
    let forward = beads(&run(&[&f("zh.txt"), &f("en.txt"), "--lines", "-f", "ladder"]));
    let reversed = beads(&run(&[&f("en.txt"), &f("zh.txt"), "--lines", "-f", "ladder"]));
    let mirrored: Vec<Bead> = forward
        .into_iter()
        .map(|b| Bead {
            src: b.tgt,
            tgt: b.src,
        })
        .collect();
    assert_eq!(reversed, mirrored);
}

#[test]
fn regrouping_needs_an_engine_that_scores_translations() {
    let out = run(&[&f("zh.txt"), &f("en.txt"), "--lines", "--regroup"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--regroup needs an engine"),
        "{}",
        stderr(&out)
    );
    let marian = fixture("marian/tiny-zh-en").display().to_string();
    let out = run(&[
        &f("zh.txt"),
        &f("en.txt"),
        "--lines",
        "--engine",
        "marian",
        "--model-dir",
        &marian,
        "--regroup",
        "4",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot score translations"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_unknown_embedding_model_is_a_clear_error() {
    let out = run(&[&f("zh.txt"), &f("en.txt"), "--lines", "--embed=/no/such/model"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("/no/such/model") && err.contains("not an embedding model"),
        "{err}"
    );
}

#[test]
fn embeddings_align_the_news_pair_and_a_rerun_reads_them_from_the_cache() {
    let model = bitext::model::cache_dir().join("e5-small/e5-small-q4.bin");
    if !model.is_file() {
        eprintln!(
            "SKIPPED: {} is not present (run scripts/fetch-models.sh)",
            model.display()
        );
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().display().to_string();
    let align = || {
        bitext()
            .args(["-v", "align", &f("zh.txt"), &f("en.txt"), "--lines"])
            .args([
                "--src-trans",
                &f("zh.trans"),
                "--embed",
                "--embed-cache",
                &cache_dir,
            ])
            .args(["-f", "ladder"])
            .output()
            .expect("runs bitext")
    };
    let gold = parse_beads(&std::fs::read_to_string(f("gold.align")).unwrap()).unwrap();
    let first = align();
    assert_eq!(beads(&first), gold);
    assert!(
        stderr(&first).contains("0 texts from the cache"),
        "{}",
        stderr(&first)
    );
    let second = align();
    assert_eq!(beads(&second), gold);
    assert!(stderr(&second).contains(" 0 embedded"), "{}", stderr(&second));
}
