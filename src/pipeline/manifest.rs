//! `manifest.json`: what a run read, what it did with each file, and with what.

use crate::corpus::Format;
use crate::model::embed::quality::ScoreSummary;
use serde::{Deserialize, Serialize};

/// The record of one run (or of shards merged by `bitext merge`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// `bitext`.
    pub tool: String,
    /// Version of bitext that wrote the outputs.
    pub tool_version: String,
    /// The engine: family, direction and signature (model, revision or sha256, decoding settings).
    pub engine: EngineInfo,
    /// The settings that shape the outputs.
    pub settings: Settings,
    /// Every input file of this run (or of this shard), sorted by path.
    pub files: Vec<FileEntry>,
    /// Sums over `files`.
    pub totals: Totals,
    /// The translated pairs' quality scores, when they were scored.
    #[serde(default)]
    pub quality: Option<ScoreSummary>,
    /// Wall-clock time spent in each stage, in seconds.
    pub timings: Timings,
    /// How a merged manifest was put together (absent for a single run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge: Option<MergeRecord>,
}

/// The shard set behind a manifest written by `bitext merge`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergeRecord {
    /// N: how many shards the input files were split into.
    pub shard_count: usize,
    /// The shards (K of K/N) merged, ascending.
    pub merged: Vec<usize>,
    /// The shards of `0..N` that were not there (merged with `--allow-partial`); empty
    /// when the set is complete.
    pub missing: Vec<usize>,
    /// Elapsed time from the earliest shard's start to the latest shard's finish, in
    /// seconds (absent when a shard's manifest has no start time). The merged
    /// `timings` are sums over the shards instead: machine time.
    pub wall_span_s: Option<f64>,
}

/// Which engine produced the translations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineInfo {
    /// Engine family (`marian`, `qwen`), as given to `--engine`.
    pub kind: String,
    /// Source language code.
    pub from: String,
    /// Target language code.
    pub to: String,
    /// [`crate::translate::Engine::signature`]: model name, revision/sha256, decoding settings.
    pub signature: String,
}

/// Flags that shape the outputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Glob patterns the relative paths had to match (empty: every article).
    pub globs: Vec<String>,
    /// Corpus formats written.
    pub formats: Vec<Format>,
    /// The absolute path of the input folder (or file), as given.
    #[serde(default)]
    pub input: Option<String>,
    /// `K/N` when only one shard of the files was processed; in a merged manifest, the
    /// shards it holds as `K,K,.../N`.
    pub shard: Option<String>,
    /// Most sentences per batch.
    pub batch_size: usize,
    /// Most estimated padded tokens per batch.
    pub max_batch_tokens: usize,
    /// Sentences gathered before batching (files are never split across chunks).
    pub chunk_sentences: usize,
    /// Whether the cache was ignored (`--force`).
    pub force: bool,
    /// With `--pair-dir`: the folder of existing translations aligned with.
    pub pair_dir: Option<String>,
    /// Pairs scored below this were left out of the corpus.
    #[serde(default)]
    pub min_score: Option<f64>,
}

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Translated; its pairs are in the corpus.
    Translated,
    /// Not translated on purpose (already in the target language, no text to translate).
    Skipped,
    /// Could not be read or decoded.
    Failed,
}

/// One input file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path relative to the input folder, with `/` separators; the corpus `doc` id.
    pub path: String,
    /// SHA-256 of the file's bytes (absent when it could not be read).
    pub sha256: Option<String>,
    /// Size in bytes.
    pub bytes: u64,
    /// What happened.
    pub status: Status,
    /// Why it was skipped or failed.
    pub reason: Option<String>,
    /// Detected language.
    pub lang: Option<String>,
    /// Paragraphs, counting the title as one.
    pub paragraphs: usize,
    /// Source sentences.
    pub sentences: usize,
    /// Pairs written to the corpus for this file (= `sentences` unless aligning with `--pair-dir`).
    pub pairs: usize,
    /// Translations the engine judged unacceptable even after a retry (scored 0 in the corpus).
    #[serde(default)]
    pub flagged: usize,
    /// Machine translations into Chinese that keep a lowercase English word of three or
    /// more letters ([`crate::text::detect::is_code_mixed`]).
    #[serde(default)]
    pub code_mixed: usize,
    /// Every flagged translation: which sentence, and why the engine rejected it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<Rejection>,
    /// With `--pair-dir`: the sentences the aligner left without a counterpart (1-0 and 0-1 beads).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unaligned: Vec<Unaligned>,
    /// Where the translation was written, relative to the output folder.
    pub output: Option<String>,
    /// With `--pair-dir`: the existing translation aligned with, relative to that folder.
    pub counterpart: Option<String>,
    /// SHA-256 of the counterpart's bytes.
    pub counterpart_sha256: Option<String>,
}

/// A translation the engine rejected (kept in the corpus with score 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// Index of the source sentence in its file, counting the title as 0 (the corpus `src_ids`).
    pub sentence: usize,
    /// The engine's reason, e.g. `WrongScript`, `CopiedSource`, `LengthCap`.
    pub reason: String,
}

/// A sentence of an aligned article that no corpus pair holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unaligned {
    /// Which document it is in.
    pub side: BeadSide,
    /// Its index there (the corpus `src_ids` or `tgt_ids`).
    pub sentence: usize,
    /// The sentence.
    pub text: String,
}

/// One side of an alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BeadSide {
    /// The article translated.
    Source,
    /// Its existing translation.
    Target,
}

impl FileEntry {
    /// The reasons of this file's rejections, each with how many sentences it rejected,
    /// most frequent first (ties by name).
    pub fn rejections_by_reason(&self) -> Vec<(&str, usize)> {
        let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
        for r in &self.rejected {
            *counts.entry(r.reason.as_str()).or_default() += 1;
        }
        let mut counts: Vec<(&str, usize)> = counts.into_iter().collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        counts
    }
}

/// Sums over the files.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Files considered.
    pub files: usize,
    /// Files translated.
    pub translated: usize,
    /// Files skipped on purpose.
    pub skipped: usize,
    /// Files that failed.
    pub failed: usize,
    /// Source sentences in translated files.
    pub sentences: usize,
    /// Corpus pairs.
    pub pairs: usize,
    /// Flagged translations (see [`FileEntry::flagged`]).
    #[serde(default)]
    pub flagged: usize,
    /// Code-mixed translations (see [`FileEntry::code_mixed`]).
    #[serde(default)]
    pub code_mixed: usize,
    /// `code_mixed` over the sentences of files translated into Chinese (0 into English).
    #[serde(default)]
    pub code_mixing_rate: f64,
    /// Distinct normalised sentences sent to the engine by this run (the rest came from the cache).
    pub engine_sentences: usize,
}

impl Totals {
    /// Counts `files`; `engine_sentences` is left for the caller.
    pub fn of(files: &[FileEntry]) -> Totals {
        let count = |status| files.iter().filter(|f| f.status == status).count();
        Totals {
            files: files.len(),
            translated: count(Status::Translated),
            skipped: count(Status::Skipped),
            failed: count(Status::Failed),
            sentences: files.iter().map(|f| f.sentences).sum(),
            pairs: files.iter().map(|f| f.pairs).sum(),
            flagged: files.iter().map(|f| f.flagged).sum(),
            code_mixed: files.iter().map(|f| f.code_mixed).sum(),
            code_mixing_rate: code_mixing_rate(files),
            engine_sentences: 0,
        }
    }
}

/// The share of sentences translated into Chinese that are code-mixed.
fn code_mixing_rate(files: &[FileEntry]) -> f64 {
    let into_zh: usize = files
        .iter()
        .filter(|f| f.status == Status::Translated && f.lang.as_deref() == Some("en"))
        .map(|f| f.sentences)
        .sum();
    let mixed: usize = files.iter().map(|f| f.code_mixed).sum();
    if into_zh == 0 {
        0.0
    } else {
        mixed as f64 / into_zh as f64
    }
}

/// Seconds spent per stage, and the resulting rates. In a merged manifest every
/// time is the sum over the shards (machine time) and the rates are per second of
/// it; [`MergeRecord::wall_span_s`] is the elapsed time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Reading, cleaning and segmenting.
    pub read_s: f64,
    /// Inside the engine.
    pub translate_s: f64,
    /// Writing translations and corpora.
    pub write_s: f64,
    /// The whole run.
    pub total_s: f64,
    /// Engine throughput: `engine_sentences / translate_s`.
    pub engine_sentences_per_s: f64,
    /// End-to-end: source sentences / `total_s` (cache hits included).
    pub sentences_per_s: f64,
    /// Translated files per minute of `total_s`.
    pub articles_per_min: f64,
    /// When the run started, in seconds since the Unix epoch (earliest shard when merged).
    #[serde(default)]
    pub started_unix_s: Option<f64>,
    /// When the run finished, in seconds since the Unix epoch (latest shard when merged).
    #[serde(default)]
    pub finished_unix_s: Option<f64>,
}

impl Timings {
    /// Fills in the rates from the times and `totals`.
    pub fn with_rates(mut self, totals: &Totals) -> Timings {
        let per = |n: usize, s: f64| if s > 0.0 { n as f64 / s } else { 0.0 };
        self.engine_sentences_per_s = per(totals.engine_sentences, self.translate_s);
        self.sentences_per_s = per(totals.sentences, self.total_s);
        self.articles_per_min = per(totals.translated, self.total_s) * 60.0;
        self
    }
}
