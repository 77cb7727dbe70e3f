//! chrF (Popović, 2015) and chrF++ (Popović, 2017) exactly as sacreBLEU 2.6.0 computes them
//! (`sacrebleu/metrics/chrf.py`): character n-grams without whitespace, optional word
//! n-grams with punctuation split off word edges, statistics of the best-scoring reference
//! per segment, and sacreBLEU's effective-order averaging (or eps smoothing on request).

use super::score::{Report, Signature};
use super::{pystr, LineCountError};
use std::collections::HashMap;
use std::hash::Hash;

/// chrF settings; the defaults are sacreBLEU's chrF2 (`word_order: 2` gives chrF++).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChrfConfig {
    /// Character n-gram orders 1 to `char_order`.
    pub char_order: usize,
    /// Word n-gram orders 1 to `word_order` (0 for chrF, 2 for chrF++).
    pub word_order: usize,
    /// Recall is `beta` times as important as precision.
    pub beta: u32,
    /// Lowercase everything first.
    pub lowercase: bool,
    /// Keep whitespace inside character n-grams.
    pub whitespace: bool,
    /// chrF++.py's eps smoothing instead of averaging over the orders that occur.
    pub eps_smoothing: bool,
}

impl Default for ChrfConfig {
    fn default() -> Self {
        ChrfConfig {
            char_order: 6,
            word_order: 0,
            beta: 2,
            lowercase: false,
            whitespace: false,
            eps_smoothing: false,
        }
    }
}

/// chrF statistics: `[hyp, ref, match]` n-gram counts per order, character orders first.
pub type ChrfStats = Vec<[u64; 3]>;

/// The chrF metric with fixed settings.
#[derive(Debug, Clone, Copy, Default)]
pub struct Chrf {
    /// The settings.
    pub config: ChrfConfig,
}

/// Punctuation split off word edges for word n-grams (Python's `string.punctuation`).
const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// The n-gram counts of one segment.
struct Ngrams<'a> {
    chars: Vec<HashMap<&'a str, u64>>,
    words: Vec<HashMap<&'a [&'a str], u64>>,
}

impl Chrf {
    /// chrF with these settings.
    pub fn new(config: ChrfConfig) -> Self {
        Chrf { config }
    }

    /// The metric's name as sacreBLEU prints it: `chrF2`, `chrF2++`.
    pub fn name(&self) -> String {
        format!("chrF{}{}", self.config.beta, "+".repeat(self.config.word_order))
    }

    fn orders(&self) -> usize {
        self.config.char_order + self.config.word_order
    }

    fn ngrams<'a>(&self, chars: &'a str, words: &'a [&'a str]) -> Ngrams<'a> {
        let bounds: Vec<usize> = chars
            .char_indices()
            .map(|(i, _)| i)
            .chain([chars.len()])
            .collect();
        let char_ngrams = (1..=self.config.char_order)
            .map(|n| count(bounds.windows(n + 1).map(|w| &chars[w[0]..w[n]])))
            .collect();
        let word_ngrams = (1..=self.config.word_order)
            .map(|n| count(words.windows(n)))
            .collect();
        Ngrams {
            chars: char_ngrams,
            words: word_ngrams,
        }
    }

    /// Statistics of one hypothesis against its references: those of the reference
    /// that gives the highest chrF (the first on ties).
    pub fn segment_stats(&self, hyp: &str, refs: &[&str]) -> ChrfStats {
        let hyp = self.lowercase(hyp);
        let (hyp_chars, hyp_words) = (self.char_text(&hyp), split_punctuation(&hyp));
        let hyp_ngrams = self.ngrams(&hyp_chars, &hyp_words);

        let mut best: (f64, ChrfStats) = (-1.0, Vec::new());
        for r in refs {
            let r = self.lowercase(r);
            let (ref_chars, ref_words) = (self.char_text(&r), split_punctuation(&r));
            let ref_ngrams = self.ngrams(&ref_chars, &ref_words);
            let stats: ChrfStats = hyp_ngrams
                .chars
                .iter()
                .zip(&ref_ngrams.chars)
                .map(|(h, r)| match_stats(h, r))
                .chain(
                    hyp_ngrams
                        .words
                        .iter()
                        .zip(&ref_ngrams.words)
                        .map(|(h, r)| match_stats(h, r)),
                )
                .collect();
            let f = self.f_score(&stats);
            if f > best.0 {
                best = (f, stats);
            }
        }
        best.1
    }

    fn lowercase<'a>(&self, line: &'a str) -> std::borrow::Cow<'a, str> {
        if self.config.lowercase {
            line.to_lowercase().into()
        } else {
            line.into()
        }
    }

    /// The text character n-grams are taken from: without whitespace unless asked.
    fn char_text<'a>(&self, line: &'a str) -> std::borrow::Cow<'a, str> {
        if self.config.whitespace {
            line.into()
        } else {
            pystr::split(line).collect::<String>().into()
        }
    }

    /// Corpus chrF of `hyps` against one or more reference streams, each as long as `hyps`.
    pub fn corpus_score<S: AsRef<str> + Sync>(
        &self,
        hyps: &[S],
        refs: &[Vec<S>],
    ) -> Result<f64, LineCountError> {
        let stats = super::corpus_stats(
            hyps,
            refs,
            |hyp, refs| self.segment_stats(hyp, refs),
            || vec![[0; 3]; self.orders()],
            |mut a, b| {
                for (sum, s) in a.iter_mut().zip(&b) {
                    for k in 0..3 {
                        sum[k] += s[k];
                    }
                }
                a
            },
        )?;
        Ok(self.f_score(&stats))
    }

    /// chrF of one sentence, 0 to 100.
    pub fn sentence_score(&self, hyp: &str, refs: &[&str]) -> f64 {
        self.f_score(&self.segment_stats(hyp, refs))
    }

    /// The F-score, 0 to 100, of summed statistics (sacreBLEU's `_compute_f_score`).
    pub fn f_score(&self, stats: &[[u64; 3]]) -> f64 {
        const EPS: f64 = 1e-16;
        let factor = f64::from(self.config.beta.pow(2));
        let (mut eps_sum, mut avg_prec, mut avg_rec, mut effective_order) = (0.0, 0.0, 0.0, 0);
        for &[n_hyp, n_ref, n_match] in stats {
            let prec = if n_hyp > 0 {
                n_match as f64 / n_hyp as f64
            } else {
                EPS
            };
            let rec = if n_ref > 0 {
                n_match as f64 / n_ref as f64
            } else {
                EPS
            };
            let denom = factor * prec + rec;
            eps_sum += if denom > 0.0 {
                (1.0 + factor) * prec * rec / denom
            } else {
                EPS
            };
            if n_hyp > 0 && n_ref > 0 {
                avg_prec += prec;
                avg_rec += rec;
                effective_order += 1;
            }
        }
        if self.config.eps_smoothing {
            return 100.0 * eps_sum / self.orders() as f64;
        }
        if effective_order == 0 {
            return 0.0;
        }
        avg_prec /= effective_order as f64;
        avg_rec /= effective_order as f64;
        if avg_prec + avg_rec == 0.0 {
            return 0.0;
        }
        let score = (1.0 + factor) * avg_prec * avg_rec / ((factor * avg_prec) + avg_rec);
        100.0 * score
    }

    /// sacreBLEU's signature for a run with `nrefs` references.
    pub fn signature(&self, nrefs: usize) -> Signature {
        let c = &self.config;
        let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
        Signature::new(
            nrefs,
            vec![
                ("case", if c.lowercase { "lc" } else { "mixed" }.to_string()),
                ("eff", yes_no(!c.eps_smoothing)),
                ("nc", c.char_order.to_string()),
                ("nw", c.word_order.to_string()),
                ("space", yes_no(c.whitespace)),
            ],
        )
    }

    /// The printable result of a run with `nrefs` references.
    pub fn report(&self, score: f64, nrefs: usize) -> Report {
        Report {
            name: self.name(),
            score,
            signature: self.signature(nrefs),
            verbose: None,
        }
    }
}

/// Sentence chrF2 (character order 6, no word n-grams), 0 to 100: sacreBLEU's
/// `sentence_chrf` with its defaults.
pub fn sentence_chrf(hyp: &str, refs: &[&str]) -> f64 {
    Chrf::default().sentence_score(hyp, refs)
}

/// Words for word n-grams: one punctuation character is split off the end of a word, or
/// else off its start (so `(hi)` gives `(hi` and `)`, as in sacreBLEU).
fn split_punctuation(line: &str) -> Vec<&str> {
    let mut words = Vec::new();
    for w in pystr::split(line) {
        let mut chars = w.chars();
        let (first, last) = (chars.next(), chars.next_back());
        match (first, last) {
            (Some(_), Some(l)) if PUNCTUATION.contains(l) => {
                let cut = w.len() - l.len_utf8();
                words.extend([&w[..cut], &w[cut..]]);
            }
            (Some(f), Some(_)) if PUNCTUATION.contains(f) => {
                let cut = f.len_utf8();
                words.extend([&w[..cut], &w[cut..]]);
            }
            _ => words.push(w),
        }
    }
    words
}

fn count<K: Hash + Eq>(items: impl Iterator<Item = K>) -> HashMap<K, u64> {
    let mut counts = HashMap::new();
    for item in items {
        *counts.entry(item).or_insert(0) += 1;
    }
    counts
}

/// `[hyp, ref, match]` counts of one order; hypothesis n-grams count only when the
/// reference has some of this order.
fn match_stats<K: Hash + Eq>(hyp: &HashMap<K, u64>, reference: &HashMap<K, u64>) -> [u64; 3] {
    let (mut n_hyp, mut n_match) = (0, 0);
    for (ngram, &count) in hyp {
        n_hyp += count;
        if let Some(&in_ref) = reference.get(ngram) {
            n_match += count.min(in_ref);
        }
    }
    let n_ref = reference.values().sum();
    [if reference.is_empty() { 0 } else { n_hyp }, n_ref, n_match]
}
