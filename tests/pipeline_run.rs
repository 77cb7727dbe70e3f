//! The `bitext run` pipeline through its library API, with a deterministic test
//! engine: outputs, shared batches, the cache, resume after a crash, changed
//! inputs, bad files, and shards merged back into the unsharded result.

mod common;

use bitext::corpus::{read_corpus, Format};
use bitext::model::embed::load_embedder;
use bitext::model::embed::quality::pair_scores;
use bitext::pipeline::manifest::{Manifest, Rejection, Status};
use bitext::pipeline::{corpus_path, merge::merge, run, RunOptions, Shard};
use bitext::text::Lang;
use bitext::translate::{Engine, InContext, Verdict};
use common::outputs;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What the test engine has been asked to do.
#[derive(Default)]
struct Calls {
    batches: Vec<Vec<String>>,
}

/// A stand-in for a real model: "translates" en → zh by wrapping the sentence.
/// When `batch_sensitive`, the output also carries the longest sentence length of
/// its batch, as padding can nudge a real model's numbers: then only identical
/// batches give identical outputs. With `fail_after`, the engine crashes after that
/// many batches, like a killed process.
struct TestEngine {
    calls: Arc<Mutex<Calls>>,
    batch_sensitive: bool,
    fail_after: Option<usize>,
}

impl TestEngine {
    fn new(batch_sensitive: bool) -> (TestEngine, Arc<Mutex<Calls>>) {
        let calls = Arc::new(Mutex::new(Calls::default()));
        let engine = TestEngine {
            calls: calls.clone(),
            batch_sensitive,
            fail_after: None,
        };
        (engine, calls)
    }
}

impl Engine for TestEngine {
    fn direction(&self) -> (Lang, Lang) {
        (Lang::En, Lang::Zh)
    }

    fn signature(&self) -> String {
        format!("test-engine batch_sensitive={}", self.batch_sensitive)
    }

    fn translate(&mut self, sentences: &[String]) -> anyhow::Result<Vec<String>> {
        let mut calls = self.calls.lock().unwrap();
        if self.fail_after.is_some_and(|n| calls.batches.len() >= n) {
            anyhow::bail!("killed");
        }
        calls.batches.push(sentences.to_vec());
        let longest = sentences.iter().map(|s| s.chars().count()).max().unwrap_or(0);
        Ok(sentences
            .iter()
            .map(|s| {
                if self.batch_sensitive {
                    format!("〔{s}〕{longest}")
                } else {
                    format!("〔{s}〕")
                }
            })
            .collect())
    }
}

/// Writes a folder of small English articles (and one Chinese, one binary file).
fn article_folder(dir: &Path) {
    let files: &[(&str, &str)] = &[
        (
            "a.txt",
            "Rain in Beijing\n\nIt rained on Monday. Li Wei stayed home.\n\nRead more on our website.",
        ),
        (
            "b/c.txt",
            "Markets\n\nStocks rose 2.5% on Tuesday. Bonds fell.\n\nRead more on our website.",
        ),
        (
            "b/d.md",
            "Sports\n\nThe team won. The fans cheered loudly for an hour.",
        ),
        ("e.txt", "Short\n\nOne line only."),
        (
            "f.txt",
            "Weather\n\nIt rained on Monday. Snow is expected on Friday in the north.",
        ),
        ("zh.txt", "北京下雨\n\n周一北京下雨了。李先生待在家里。"),
    ];
    for (rel, text) in files {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    std::fs::write(dir.join("broken.txt"), [0x00, 0x9c, 0xff, 0x00, 0xfe, 0x01]).unwrap();
}

fn options(input: &Path, output: &Path) -> RunOptions {
    RunOptions {
        input: input.to_path_buf(),
        output: output.to_path_buf(),
        engine_kind: "test".into(),
        globs: Vec::new(),
        formats: Format::ALL.to_vec(),
        shard: None,
        force: false,
        batch_size: 3,
        max_batch_tokens: 4096,
        chunk_sentences: 5,
        progress: false,
        pair_dir: None,
        min_score: None,
    }
}

fn run_with(opts: &RunOptions, batch_sensitive: bool) -> (Manifest, Vec<Vec<String>>) {
    let (mut engine, calls) = TestEngine::new(batch_sensitive);
    let manifest = run(opts, &mut engine, None).unwrap();
    let batches = std::mem::take(&mut calls.lock().unwrap().batches);
    (manifest, batches)
}

fn tempdirs() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    article_folder(&input);
    (dir, input)
}

#[test]
fn a_run_writes_translations_corpus_and_manifest() {
    let (dir, input) = tempdirs();
    let out = dir.path().join("out");
    let (manifest, _) = run_with(&options(&input, &out), false);

    let a = std::fs::read_to_string(out.join("translated/a.txt")).unwrap();
    assert_eq!(
        a,
        "〔Rain in Beijing〕\n\n〔It rained on Monday.〕〔Li Wei stayed home.〕\n\n〔Read more on our website.〕\n"
    );
    assert!(out.join("translated/b/d.md").exists());
    assert!(
        !out.join("translated/zh.txt").exists(),
        "already in the target language"
    );

    let pairs = read_corpus(&out.join("corpus.jsonl"), Format::Jsonl).unwrap();
    let a_pairs: Vec<_> = pairs.iter().filter(|p| p.doc == "a.txt").collect();
    assert_eq!(a_pairs.len(), 4);
    assert_eq!(a_pairs[2].src, "Li Wei stayed home.");
    assert_eq!(a_pairs[2].tgt, "〔Li Wei stayed home.〕");
    assert_eq!(
        (a_pairs[2].src_ids.clone(), a_pairs[2].tgt_ids.clone()),
        (vec![2], vec![2])
    );
    assert_eq!((a_pairs[2].src_lang, a_pairs[2].tgt_lang), (Lang::En, Lang::Zh));
    for format in [Format::Tsv, Format::Tmx, Format::Moses] {
        let stored: Vec<_> = pairs.iter().map(|p| p.as_stored_in(format)).collect();
        let path = match format {
            Format::Moses => out.join("corpus"),
            f => out.join(format!("corpus.{}", f.extension())),
        };
        assert_eq!(read_corpus(&path, format).unwrap(), stored, "{format:?}");
    }

    let status: BTreeMap<&str, Status> = manifest
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.status))
        .collect();
    assert_eq!(status["a.txt"], Status::Translated);
    assert_eq!(status["b/c.txt"], Status::Translated);
    assert_eq!(status["zh.txt"], Status::Skipped);
    assert_eq!(status["broken.txt"], Status::Failed);
    assert_eq!(
        (
            manifest.totals.translated,
            manifest.totals.skipped,
            manifest.totals.failed
        ),
        (5, 1, 1)
    );
    assert_eq!(manifest.totals.sentences, pairs.len());
    let a_entry = manifest.files.iter().find(|f| f.path == "a.txt").unwrap();
    assert_eq!(a_entry.sha256.as_deref().map(str::len), Some(64));
    assert_eq!(a_entry.output.as_deref(), Some("translated/a.txt"));
    let on_disk: Manifest =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    // serde_json does not promise exact float round trips: compare the records, not the timings.
    assert_eq!(
        (on_disk.files, on_disk.totals, on_disk.settings),
        (manifest.files, manifest.totals, manifest.settings)
    );
}

#[test]
fn sentences_of_many_files_share_batches_and_duplicates_are_translated_once() {
    let (dir, input) = tempdirs();
    let mut opts = options(&input, &dir.path().join("out"));
    opts.batch_size = 64;
    opts.chunk_sentences = 1000;
    let (manifest, batches) = run_with(&opts, false);
    assert_eq!(batches.len(), 1, "all files' sentences fit one shared batch");
    let sent: Vec<&String> = batches.iter().flatten().collect();
    // "Read more on our website." and "It rained on Monday." occur twice.
    assert_eq!(sent.len(), manifest.totals.sentences - 2);
    assert_eq!(manifest.totals.engine_sentences, sent.len());
}

#[test]
fn a_rerun_costs_nothing_and_gives_the_same_outputs() {
    let (dir, input) = tempdirs();
    let opts = options(&input, &dir.path().join("out"));
    let (_, first) = run_with(&opts, true);
    let before = outputs(&opts.output);
    let (manifest, second) = run_with(&opts, true);
    assert!(!first.is_empty());
    assert!(second.is_empty(), "everything came from the cache");
    assert_eq!(manifest.totals.engine_sentences, 0);
    assert_eq!(outputs(&opts.output), before);

    let mut forced = opts.clone();
    forced.force = true;
    let (_, third) = run_with(&forced, true);
    assert_eq!(
        third, first,
        "--force translates everything again, in the same batches"
    );
}

#[test]
fn a_run_that_crashes_at_any_batch_resumes_to_byte_identical_outputs() {
    let (dir, input) = tempdirs();
    let reference = options(&input, &dir.path().join("reference"));
    let (_, batches) = run_with(&reference, true);
    let expected = outputs(&reference.output);
    assert!(
        batches.len() >= 4,
        "the test needs several batches, got {}",
        batches.len()
    );

    for crash_after in 0..batches.len() {
        let opts = options(&input, &dir.path().join(format!("crash-{crash_after}")));
        let (mut engine, _) = TestEngine::new(true);
        engine.fail_after = Some(crash_after);
        assert!(run(&opts, &mut engine, None).is_err());
        let (_, resumed) = run_with(&opts, true);
        assert_eq!(
            resumed,
            batches[crash_after..].to_vec(),
            "resumes with the batches left"
        );
        assert_eq!(
            outputs(&opts.output),
            expected,
            "crash after {crash_after} batches"
        );
    }
}

/// An engine whose answers do not depend on their batch, like Qwen: it takes a whole
/// chunk in one call and hands its answers over one at a time, last sentence first
/// (answers end in their own order). With `fail_after`, it crashes after that many
/// answers, like a killed process.
struct StreamingEngine {
    calls: Arc<Mutex<Vec<Vec<String>>>>,
    answered: usize,
    fail_after: Option<usize>,
}

impl StreamingEngine {
    fn new(fail_after: Option<usize>) -> (StreamingEngine, Arc<Mutex<Vec<Vec<String>>>>) {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let engine = StreamingEngine {
            calls: calls.clone(),
            answered: 0,
            fail_after,
        };
        (engine, calls)
    }
}

impl Engine for StreamingEngine {
    fn direction(&self) -> (Lang, Lang) {
        (Lang::En, Lang::Zh)
    }

    fn signature(&self) -> String {
        "streaming-test-engine".into()
    }

    fn translate(&mut self, sentences: &[String]) -> anyhow::Result<Vec<String>> {
        Ok(sentences.iter().map(|s| format!("〔{s}〕")).collect())
    }

    fn translate_each(
        &mut self,
        items: &[InContext],
        done: &mut dyn FnMut(usize, (String, Verdict)) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let sentences: Vec<String> = items.iter().map(|item| item.sentence.clone()).collect();
        self.calls.lock().unwrap().push(sentences.clone());
        for (i, sentence) in sentences.iter().enumerate().rev() {
            if self.fail_after.is_some_and(|n| self.answered >= n) {
                anyhow::bail!("killed");
            }
            self.answered += 1;
            done(i, (format!("〔{sentence}〕"), Verdict::Accepted))?;
        }
        Ok(())
    }

    fn answers_independently(&self) -> bool {
        true
    }
}

#[test]
fn an_engine_with_independent_answers_gets_whole_chunks_and_a_crash_loses_no_answer() {
    let (dir, input) = tempdirs();
    let reference = options(&input, &dir.path().join("reference"));
    let (mut engine, calls) = StreamingEngine::new(None);
    let manifest = run(&reference, &mut engine, None).unwrap();
    let expected = outputs(&reference.output);
    let calls = std::mem::take(&mut *calls.lock().unwrap());
    assert!(
        calls.iter().any(|call| call.len() > reference.batch_size),
        "a chunk goes to the engine in one call, not in batches of {}: {calls:?}",
        reference.batch_size
    );
    let total: usize = calls.iter().map(Vec::len).sum();
    assert_eq!(manifest.totals.engine_sentences, total);
    assert!(total >= 6, "the test needs several answers, got {total}");

    for crash_after in 0..total {
        let opts = options(&input, &dir.path().join(format!("crash-{crash_after}")));
        let (mut engine, _) = StreamingEngine::new(Some(crash_after));
        assert!(run(&opts, &mut engine, None).is_err());
        let (mut engine, calls) = StreamingEngine::new(None);
        let resumed = run(&opts, &mut engine, None).unwrap();
        let left: usize = calls.lock().unwrap().iter().map(Vec::len).sum();
        assert_eq!(
            left,
            total - crash_after,
            "every answer given before the crash was kept"
        );
        assert_eq!(resumed.totals.engine_sentences, left);
        assert_eq!(
            outputs(&opts.output),
            expected,
            "crash after {crash_after} answers"
        );
    }
}

#[test]
fn a_changed_input_is_translated_again_and_the_rest_comes_from_the_cache() {
    let (dir, input) = tempdirs();
    let opts = options(&input, &dir.path().join("out"));
    run_with(&opts, false);
    std::fs::write(input.join("e.txt"), "Short\n\nA brand new sentence.").unwrap();
    let (manifest, batches) = run_with(&opts, false);
    assert_eq!(batches, vec![vec!["A brand new sentence.".to_string()]]);
    assert_eq!(manifest.totals.engine_sentences, 1);
    let e = std::fs::read_to_string(opts.output.join("translated/e.txt")).unwrap();
    assert_eq!(e, "〔Short〕\n\n〔A brand new sentence.〕\n");
}

#[test]
fn globs_select_files_by_relative_path() {
    let (dir, input) = tempdirs();
    let mut opts = options(&input, &dir.path().join("out"));
    opts.globs = vec!["b/**".into()];
    let (manifest, _) = run_with(&opts, false);
    let paths: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, vec!["b/c.txt", "b/d.md"]);
}

#[test]
fn shards_cover_every_file_once_and_merge_into_the_unsharded_result() {
    let (dir, input) = tempdirs();
    let whole = options(&input, &dir.path().join("whole"));
    let (whole_manifest, _) = run_with(&whole, false);

    let mut shard_dirs = Vec::new();
    let mut shard_files = 0;
    for index in 0..3 {
        let mut opts = options(&input, &dir.path().join(format!("shard-{index}")));
        opts.shard = Some(Shard { index, count: 3 });
        let (manifest, _) = run_with(&opts, false);
        shard_files += manifest.files.len();
        shard_dirs.push(opts.output);
    }
    assert_eq!(shard_files, whole_manifest.files.len());
    let merged_dir = dir.path().join("merged");
    let merged = merge(&shard_dirs, &merged_dir, false).unwrap();
    assert_eq!(outputs(&merged_dir), outputs(&whole.output));
    assert_eq!(merged.files, whole_manifest.files);
    assert_eq!(merged.totals.sentences, whole_manifest.totals.sentences);
    assert_eq!(merged.settings.shard.as_deref(), Some("0,1,2/3"));
    let record = merged.merge.unwrap();
    assert_eq!(
        (record.shard_count, record.merged, record.missing),
        (3, vec![0, 1, 2], vec![])
    );
    assert!(
        merge(&shard_dirs, &shard_dirs[1], false).is_err(),
        "refuses to merge into an input"
    );
}

/// An engine that knows the translation of a few sentences.
struct DictEngine(BTreeMap<String, String>);

impl Engine for DictEngine {
    fn direction(&self) -> (Lang, Lang) {
        (Lang::En, Lang::Zh)
    }

    fn signature(&self) -> String {
        "dictionary".into()
    }

    fn translate(&mut self, sentences: &[String]) -> anyhow::Result<Vec<String>> {
        Ok(sentences
            .iter()
            .map(|s| self.0.get(s).cloned().unwrap_or_default())
            .collect())
    }
}

#[test]
fn with_a_pair_dir_articles_are_aligned_with_their_existing_translations() {
    let dir = tempfile::tempdir().unwrap();
    let (input, pairs_dir) = (dir.path().join("en"), dir.path().join("zh"));
    std::fs::create_dir_all(input.join("sub")).unwrap();
    std::fs::create_dir_all(pairs_dir.join("sub")).unwrap();
    std::fs::write(
        input.join("sub/rain.txt"),
        "Rain in Beijing\n\nIt rained all day on Monday. Li Wei stayed at home with his family.\n\nSnow is expected on Friday in the north.",
    )
    .unwrap();
    // The existing translation has an extra line the English edition lacks.
    std::fs::write(
        pairs_dir.join("sub/rain.md"),
        "北京下雨\n\n周一下了一整天的雨。李伟和家人待在家里。\n\n本报记者从气象台获悉以下消息。\n\n北方周五预计有雪。",
    )
    .unwrap();
    std::fs::write(
        input.join("alone.txt"),
        "No twin\n\nThis article has no translation.",
    )
    .unwrap();
    let dictionary: BTreeMap<String, String> = [
        ("Rain in Beijing", "北京下雨"),
        ("It rained all day on Monday.", "周一下了一整天的雨。"),
        ("Li Wei stayed at home with his family.", "李伟和家人待在家里。"),
        ("Snow is expected on Friday in the north.", "北方周五预计有雪。"),
    ]
    .into_iter()
    .map(|(en, zh)| (en.to_string(), zh.to_string()))
    .collect();

    let mut opts = options(&input, &dir.path().join("out"));
    opts.pair_dir = Some(pairs_dir);
    let manifest = run(&opts, &mut DictEngine(dictionary.clone()), None).unwrap();

    let pairs = read_corpus(&opts.output.join("corpus.jsonl"), Format::Jsonl).unwrap();
    let got: Vec<(&str, &str, Vec<usize>, Vec<usize>)> = pairs
        .iter()
        .map(|p| {
            (
                p.src.as_str(),
                p.tgt.as_str(),
                p.src_ids.clone(),
                p.tgt_ids.clone(),
            )
        })
        .collect();
    let ids = [(0, 0), (1, 1), (2, 2), (3, 4)];
    let expected: Vec<(&str, &str, Vec<usize>, Vec<usize>)> = dictionary_in_order(&dictionary)
        .into_iter()
        .zip(ids)
        .map(|((en, zh), (s, t))| (en, zh, vec![s], vec![t]))
        .collect();
    assert_eq!(got, expected);
    assert!(pairs.iter().all(|p| p.doc == "sub/rain.txt" && p.score.is_some()));

    let rain = manifest.files.iter().find(|f| f.path == "sub/rain.txt").unwrap();
    assert_eq!(rain.counterpart.as_deref(), Some("sub/rain.md"));
    assert_eq!((rain.sentences, rain.pairs, rain.output.as_deref()), (4, 4, None));
    let alone = manifest.files.iter().find(|f| f.path == "alone.txt").unwrap();
    assert_eq!(alone.status, Status::Skipped);
    assert!(alone.reason.as_deref().unwrap().contains("no counterpart"));
}

/// The dictionary's pairs in the order of the article.
fn dictionary_in_order(d: &BTreeMap<String, String>) -> Vec<(&str, &str)> {
    let order = [
        "Rain in Beijing",
        "It rained all day on Monday.",
        "Li Wei stayed at home with his family.",
        "Snow is expected on Friday in the north.",
    ];
    order.iter().map(|en| (*en, d[*en].as_str())).collect()
}

#[test]
fn merge_refuses_a_corpus_that_is_not_in_document_order() {
    let (dir, input) = tempdirs();
    let opts = options(&input, &dir.path().join("run"));
    run_with(&opts, false);
    let jsonl = opts.output.join("corpus.jsonl");
    let text = std::fs::read_to_string(&jsonl).unwrap();
    let reversed: Vec<&str> = text.lines().rev().collect();
    std::fs::write(&jsonl, reversed.join("\n") + "\n").unwrap();
    let err = merge(
        std::slice::from_ref(&opts.output),
        &dir.path().join("merged"),
        false,
    )
    .unwrap_err();
    let err = format!("{err:#}");
    assert!(
        err.contains("corpus.jsonl") && err.contains("document order"),
        "{err}"
    );
}

/// An engine that checks its own answers, like the qwen engine: it rejects its
/// translation of any sentence that mentions bonds.
struct CheckingEngine;

impl Engine for CheckingEngine {
    fn direction(&self) -> (Lang, Lang) {
        (Lang::En, Lang::Zh)
    }

    fn signature(&self) -> String {
        "checking".into()
    }

    fn translate(&mut self, sentences: &[String]) -> anyhow::Result<Vec<String>> {
        Ok(sentences.iter().map(|s| format!("〔{s}〕")).collect())
    }

    fn translate_checked(&mut self, sentences: &[String]) -> anyhow::Result<Vec<(String, Verdict)>> {
        let texts = self.translate(sentences)?;
        Ok(texts
            .into_iter()
            .zip(sentences)
            .map(|(t, s)| {
                let verdict = if s.contains("Bonds") {
                    Verdict::Rejected("MentionsBonds".into())
                } else {
                    Verdict::Accepted
                };
                (t, verdict)
            })
            .collect())
    }
}

#[test]
fn translations_the_engine_rejects_are_scored_0_counted_and_survive_a_rerun() {
    let (dir, input) = tempdirs();
    let out = dir.path().join("out");
    let opts = options(&input, &out);
    let first = run(&opts, &mut CheckingEngine, None).unwrap();
    let c = first.files.iter().find(|f| f.path == "b/c.txt").unwrap();
    assert_eq!((c.flagged, first.totals.flagged), (1, 1));
    let corpus = read_corpus(&out.join("corpus.jsonl"), Format::Jsonl).unwrap();
    for pair in &corpus {
        let expected = if pair.src == "Bonds fell." { 0.0 } else { 1.0 };
        assert_eq!(pair.score, Some(expected), "{}", pair.src);
    }
    // The manifest names the sentence and the engine's reason.
    let bonds = corpus.iter().find(|p| p.src == "Bonds fell.").unwrap();
    let listed = vec![Rejection {
        sentence: bonds.src_ids[0],
        reason: "MentionsBonds".into(),
    }];
    assert_eq!(c.rejected, listed);
    // From the cache: the verdicts and reasons come back with the translations.
    let rerun = run(&opts, &mut CheckingEngine, None).unwrap();
    assert_eq!((rerun.totals.flagged, rerun.totals.engine_sentences), (1, 0));
    let c = rerun.files.iter().find(|f| f.path == "b/c.txt").unwrap();
    assert_eq!(c.rejected, listed);
    assert_eq!(
        read_corpus(&out.join("corpus.jsonl"), Format::Jsonl).unwrap(),
        corpus
    );

    // `bitext convert --min-score` drops them.
    let kept = dir.path().join("kept.tsv");
    let status = common::bitext()
        .args(["convert", "--min-score", "0.5"])
        .arg(out.join("corpus.jsonl"))
        .arg(&kept)
        .status()
        .unwrap();
    assert!(status.success());
    let kept = read_corpus(&kept, Format::Tsv).unwrap();
    assert_eq!(kept.len(), corpus.len() - 1);
    assert!(kept.iter().all(|p| p.src != "Bonds fell."));
}

#[test]
fn every_translated_pair_carries_its_quality_score_in_every_format() {
    let (dir, input) = tempdirs();
    let out = dir.path().join("out");
    let scorer = load_embedder(
        common::fixture("embed/tiny-xlmr").to_str().unwrap(),
        &candle_core::Device::Cpu,
    )
    .unwrap();
    let manifest = run(&options(&input, &out), &mut CheckingEngine, Some(scorer.as_ref())).unwrap();
    let corpus = read_corpus(&out.join("corpus.jsonl"), Format::Jsonl).unwrap();
    let (rejected, accepted): (Vec<_>, Vec<_>) = corpus.iter().partition(|p| p.src == "Bonds fell.");
    // A translation the engine rejected keeps 0; the others get the embedding cosine.
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].score, Some(0.0));
    let sources: Vec<String> = accepted.iter().map(|p| p.src.clone()).collect();
    let targets: Vec<String> = accepted.iter().map(|p| p.tgt.clone()).collect();
    let expected = pair_scores(scorer.as_ref(), &sources, &targets).unwrap();
    for (pair, want) in accepted.iter().zip(&expected) {
        let got = pair.score.unwrap();
        assert!(
            (got - want).abs() < 1e-6 && got != 1.0,
            "{}: {got} vs {want}",
            pair.src
        );
    }
    // The same scores in the other formats that carry one.
    for format in [Format::Tsv, Format::Tmx] {
        let other = read_corpus(&corpus_path(&out, format), format).unwrap();
        let scores: Vec<_> = other.iter().map(|p| p.score.unwrap()).collect();
        let want: Vec<_> = corpus.iter().map(|p| p.score.unwrap()).collect();
        for (a, b) in scores.iter().zip(&want) {
            assert!((a - b).abs() < 1e-4, "{format:?}: {a} vs {b}");
        }
    }
    // The manifest summarises them.
    let quality = manifest.quality.expect("a quality summary");
    assert_eq!(quality.pairs, corpus.len());
    let threshold = quality.threshold;
    let below = corpus.iter().filter(|p| p.score.unwrap() < threshold).count();
    assert_eq!(quality.below, below);

    // --min-score leaves the pairs under it out of the corpus, and says so in the counts.
    let min = expected.iter().copied().fold(f64::INFINITY, f64::min) + 1e-9;
    let filtered_out = dir.path().join("filtered");
    let mut opts = options(&input, &filtered_out);
    opts.min_score = Some(min);
    let filtered = run(&opts, &mut CheckingEngine, Some(scorer.as_ref())).unwrap();
    let kept = read_corpus(&filtered_out.join("corpus.jsonl"), Format::Jsonl).unwrap();
    assert_eq!(kept.len(), corpus.len() - 2);
    assert!(kept.iter().all(|p| p.score.unwrap() >= min));
    assert_eq!(filtered.totals.pairs, kept.len());
    assert_eq!(filtered.settings.min_score, Some(min));
}

/// An engine that reads one sentence of context: its "translation" wraps the sentence
/// and names the sentence before it, so that every output shows which context it had.
struct ContextEngine {
    batches: Arc<Mutex<Vec<Vec<InContext>>>>,
}

impl Engine for ContextEngine {
    fn direction(&self) -> (Lang, Lang) {
        (Lang::En, Lang::Zh)
    }

    fn signature(&self) -> String {
        "context-test-engine".into()
    }

    fn context_window(&self) -> usize {
        1
    }

    fn translate(&mut self, sentences: &[String]) -> anyhow::Result<Vec<String>> {
        let alone = bitext::translate::in_context(sentences, 0);
        Ok(self
            .translate_in_context(&alone)?
            .into_iter()
            .map(|(t, _)| t)
            .collect())
    }

    fn translate_in_context(&mut self, items: &[InContext]) -> anyhow::Result<Vec<(String, Verdict)>> {
        self.batches.lock().unwrap().push(items.to_vec());
        Ok(items
            .iter()
            .map(|item| {
                let before = item.context.last().map_or("", String::as_str);
                (format!("〔{}〕«{before}»", item.sentence), Verdict::Accepted)
            })
            .collect())
    }
}

/// Runs `opts` with a [`ContextEngine`]: the manifest and the items of every batch.
fn run_in_context(opts: &RunOptions) -> (Manifest, Vec<Vec<InContext>>) {
    let batches = Arc::new(Mutex::new(Vec::new()));
    let mut engine = ContextEngine {
        batches: batches.clone(),
    };
    let manifest = run(opts, &mut engine, None).unwrap();
    let batches = std::mem::take(&mut *batches.lock().unwrap());
    (manifest, batches)
}

#[test]
fn each_sentence_reads_the_one_before_it_in_its_article_and_is_cached_with_it() {
    let (dir, input) = tempdirs();
    let opts = options(&input, &dir.path().join("out"));
    let (manifest, batches) = run_in_context(&opts);
    // The context crosses paragraphs: the first body sentence reads the title.
    let a = std::fs::read_to_string(opts.output.join("translated/a.txt")).unwrap();
    assert_eq!(
        a,
        "〔Rain in Beijing〕«»\n\n〔It rained on Monday.〕«Rain in Beijing»〔Li Wei stayed home.〕«It rained on Monday.»\n\n\
         〔Read more on our website.〕«Li Wei stayed home.»\n"
    );
    // The same sentence after different sentences is translated once for each.
    let f = std::fs::read_to_string(opts.output.join("translated/f.txt")).unwrap();
    assert!(f.contains("〔It rained on Monday.〕«Weather»"), "{f}");
    let c = std::fs::read_to_string(opts.output.join("translated/b/c.txt")).unwrap();
    assert!(c.contains("〔Read more on our website.〕«Bonds fell.»"), "{c}");
    let items: Vec<&InContext> = batches.iter().flatten().collect();
    let rained = items
        .iter()
        .filter(|i| i.sentence == "It rained on Monday.")
        .count();
    assert_eq!(rained, 2);
    assert_eq!(items.len(), manifest.totals.engine_sentences);

    // A rerun finds every sentence in the cache under the same context.
    let (again, batches) = run_in_context(&opts);
    assert!(batches.is_empty(), "{batches:?}");
    assert_eq!(again.totals.engine_sentences, 0);
    assert_eq!(
        std::fs::read_to_string(opts.output.join("translated/a.txt")).unwrap(),
        a
    );
}

#[test]
fn with_context_batch_sizes_and_shards_give_the_same_outputs() {
    let (dir, input) = tempdirs();
    let whole = options(&input, &dir.path().join("whole"));
    run_in_context(&whole);
    let mut single = options(&input, &dir.path().join("single"));
    (single.batch_size, single.chunk_sentences) = (1, 1);
    run_in_context(&single);
    assert_eq!(outputs(&single.output), outputs(&whole.output));

    let mut shard_dirs = Vec::new();
    for index in 0..2 {
        let mut opts = options(&input, &dir.path().join(format!("shard-{index}")));
        opts.shard = Some(Shard { index, count: 2 });
        run_in_context(&opts);
        shard_dirs.push(opts.output);
    }
    let merged_dir = dir.path().join("merged");
    merge(&shard_dirs, &merged_dir, false).unwrap();
    assert_eq!(outputs(&merged_dir), outputs(&whole.output));
}
