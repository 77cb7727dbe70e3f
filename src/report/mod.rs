//! `report.html`: one self-contained page to look at what a run produced.
//!
//! [`write`] reads an output folder of `bitext run` (with or without `--pair-dir`) or
//! `bitext merge`: its manifest and its `corpus.jsonl`, streamed once. It keeps only
//! what the page shows: per-file sums for every file, the score histogram, the
//! worst-scored and the flagged pairs, and every pair of a sample of the articles for
//! the side-by-side view. So the page stays small and quick to open for 10,000 articles.

mod html;

use crate::corpus::{open_reader, Format, SentencePair};
use crate::pipeline::manifest::{Manifest, Status};
use crate::pipeline::{corpus_path, merge::read_manifest};
use anyhow::Context;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// Name of the report in the output folder.
pub const REPORT: &str = "report.html";

/// Bins of the score histogram over [0, 1].
pub const BINS: usize = 20;

/// What goes into the page beyond the per-file summaries.
#[derive(Debug, Clone, Copy)]
pub struct ReportOptions {
    /// Articles shown side by side in full (spread evenly over the translated ones).
    pub sample_articles: usize,
    /// Lowest-scored pairs listed (flagged pairs are all listed, up to `max_flagged`).
    pub worst_pairs: usize,
    /// Most flagged pairs listed.
    pub max_flagged: usize,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            sample_articles: 40,
            worst_pairs: 100,
            max_flagged: 2000,
        }
    }
}

/// Sums over the pairs of one file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocStats {
    /// Pairs in the corpus.
    pub pairs: usize,
    /// Pairs with a score.
    pub scored: usize,
    /// Sum of the scores, for the mean.
    pub score_sum: f64,
    /// Lowest score.
    pub min_score: Option<f64>,
}

/// A pair as the page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownPair {
    /// The pair.
    pub pair: SentencePair,
    /// Whether the engine rejected the translation of one of its source sentences.
    pub flagged: bool,
}

/// Everything the page shows, gathered in one pass over the corpus.
#[derive(Debug, Clone)]
pub struct Gathered {
    /// The run's manifest.
    pub manifest: Manifest,
    /// Pairs read from the corpus.
    pub pairs: usize,
    /// Pairs without a score.
    pub unscored: usize,
    /// Scored pairs per bin of width `1 / BINS` (scores clamped to [0, 1]).
    pub histogram: [usize; BINS],
    /// Per file, by path.
    pub docs: HashMap<String, DocStats>,
    /// The flagged pairs, in corpus order (at most `max_flagged`), and how many there are.
    pub flagged: Vec<ShownPair>,
    /// Flagged pairs in all.
    pub flagged_total: usize,
    /// The lowest-scored pairs, lowest first.
    pub worst: Vec<ShownPair>,
    /// The sampled articles with all their pairs, by path.
    pub sample: BTreeMap<String, Vec<ShownPair>>,
}

impl Gathered {
    /// Scored pairs with a score below `threshold`.
    pub fn below(&self, threshold: f64) -> usize {
        // Bin edges are multiples of 1/BINS, so a threshold on an edge counts whole bins.
        let bins = (threshold * BINS as f64).round() as usize;
        self.histogram[..bins.min(BINS)].iter().sum()
    }
}

/// Writes `dir/report.html` for the run output in `dir` and returns its path.
pub fn write(dir: &Path, options: &ReportOptions) -> anyhow::Result<PathBuf> {
    let gathered = gather(dir, options)?;
    let page = html::render(&gathered);
    let path = dir.join(REPORT);
    crate::fsio::write_atomic(&path, page.as_bytes()).with_context(|| path.display().to_string())?;
    Ok(path)
}

/// Reads the manifest and streams the corpus of the run output in `dir`.
pub fn gather(dir: &Path, options: &ReportOptions) -> anyhow::Result<Gathered> {
    let manifest = read_manifest(dir)?;
    let jsonl = corpus_path(dir, Format::Jsonl);
    if !jsonl.is_file() {
        anyhow::bail!(
            "{}: missing; the report needs the corpus in jsonl (the default --formats include it)",
            jsonl.display()
        );
    }
    let rejected: HashMap<&str, BTreeSet<usize>> = manifest
        .files
        .iter()
        .filter(|f| !f.rejected.is_empty())
        .map(|f| (f.path.as_str(), f.rejected.iter().map(|r| r.sentence).collect()))
        .collect();
    let sampled = sample(&manifest, options.sample_articles);
    let mut gathered = Gathered {
        manifest: manifest.clone(),
        pairs: 0,
        unscored: 0,
        histogram: [0; BINS],
        docs: HashMap::new(),
        flagged: Vec::new(),
        flagged_total: 0,
        worst: Vec::new(),
        sample: sampled.iter().map(|p| (p.clone(), Vec::new())).collect(),
    };
    // The worst pairs so far, kept sorted by score then corpus order.
    let mut worst: Vec<(f64, usize, ShownPair)> = Vec::new();
    for pair in open_reader(&jsonl, Format::Jsonl)? {
        let pair = pair.with_context(|| jsonl.display().to_string())?;
        let flagged = rejected
            .get(pair.doc.as_str())
            .is_some_and(|ids| pair.src_ids.iter().any(|i| ids.contains(i)));
        let doc = gathered.docs.entry(pair.doc.clone()).or_default();
        doc.pairs += 1;
        gathered.pairs += 1;
        match pair.score {
            Some(score) => {
                doc.scored += 1;
                doc.score_sum += score;
                doc.min_score = Some(doc.min_score.map_or(score, |m: f64| m.min(score)));
                let bin = (score.clamp(0.0, 1.0) * BINS as f64).floor() as usize;
                gathered.histogram[bin.min(BINS - 1)] += 1;
            }
            None => gathered.unscored += 1,
        }
        let shown = ShownPair { pair, flagged };
        if flagged {
            gathered.flagged_total += 1;
            if gathered.flagged.len() < options.max_flagged {
                gathered.flagged.push(shown.clone());
            }
        }
        if let Some(score) = shown.pair.score {
            let full = worst.len() >= options.worst_pairs;
            if !full || worst.last().is_some_and(|w| score < w.0) {
                let at = worst.partition_point(|w| w.0 <= score);
                worst.insert(at, (score, gathered.pairs, shown.clone()));
                worst.truncate(options.worst_pairs);
            }
        }
        if let Some(pairs) = gathered.sample.get_mut(&shown.pair.doc) {
            pairs.push(shown);
        }
    }
    gathered.worst = worst.into_iter().map(|w| w.2).collect();
    Ok(gathered)
}

/// The articles shown side by side: up to `n` translated files spread evenly over the
/// path order, so the same run always gives the same sample.
fn sample(manifest: &Manifest, n: usize) -> Vec<String> {
    let translated: Vec<&str> = manifest
        .files
        .iter()
        .filter(|f| f.status == Status::Translated)
        .map(|f| f.path.as_str())
        .collect();
    if n == 0 || translated.is_empty() {
        return Vec::new();
    }
    let step = translated.len().div_ceil(n);
    translated.iter().step_by(step).map(|p| p.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_spreads_over_the_translated_files() {
        let manifest: Manifest = serde_json::from_value(serde_json::json!({
            "tool": "bitext", "tool_version": "0",
            "engine": {"kind": "marian", "from": "en", "to": "zh", "signature": "s"},
            "settings": {"globs": [], "formats": ["jsonl"], "shard": null, "batch_size": 1,
                         "max_batch_tokens": 1, "chunk_sentences": 1, "force": false, "pair_dir": null},
            "files": (0..10).map(|i| serde_json::json!({
                "path": format!("{i}.txt"), "sha256": null, "bytes": 1,
                "status": if i == 3 { "skipped" } else { "translated" },
                "reason": null, "lang": "en", "paragraphs": 1, "sentences": 1, "pairs": 1,
                "output": null, "counterpart": null, "counterpart_sha256": null
            })).collect::<Vec<_>>(),
            "totals": {"files": 10, "translated": 9, "skipped": 1, "failed": 0, "sentences": 9,
                       "pairs": 9, "engine_sentences": 9},
            "timings": {"read_s": 0.0, "translate_s": 0.0, "write_s": 0.0, "total_s": 0.0,
                        "engine_sentences_per_s": 0.0, "sentences_per_s": 0.0, "articles_per_min": 0.0}
        }))
        .unwrap();
        assert_eq!(sample(&manifest, 3), vec!["0.txt", "4.txt", "7.txt"]);
        assert_eq!(sample(&manifest, 100).len(), 9);
        assert!(sample(&manifest, 0).is_empty());
    }
}
