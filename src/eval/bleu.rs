//! BLEU (Papineni et al., 2002) exactly as sacreBLEU 2.6.0 computes it
//! (`sacrebleu/metrics/bleu.py`): same tokenizers, smoothing, closest reference length and
//! floating-point order of operations, so scores agree to the last digit.

use super::score::{Report, Signature};
use super::tokenize::Tokenizer;
use super::{pystr, LineCountError};
use std::collections::HashMap;

/// The largest n-gram order.
pub const MAX_ORDER: usize = 4;

/// How BLEU treats n-gram orders without a match (Chen & Cherry, 2014).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Smooth {
    /// Method 3, as mteval-v13a: the k-th empty order counts 1/2^k matches.
    Exp,
    /// Method 1: an empty order counts `value` matches (default 0.1).
    Floor,
    /// Method 2: adds `value` (default 1) to matches and totals of orders 2 and up.
    #[value(name = "add-k")]
    AddK,
    /// No smoothing: one empty order makes BLEU 0.
    None,
}

impl Smooth {
    /// sacreBLEU's name.
    pub fn name(self) -> &'static str {
        match self {
            Smooth::Exp => "exp",
            Smooth::Floor => "floor",
            Smooth::AddK => "add-k",
            Smooth::None => "none",
        }
    }

    /// The value used when none is given, for the methods that take one.
    pub fn default_value(self) -> Option<f64> {
        match self {
            Smooth::Floor => Some(0.1),
            Smooth::AddK => Some(1.0),
            Smooth::Exp | Smooth::None => None,
        }
    }
}

/// BLEU settings; the defaults are sacreBLEU's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BleuConfig {
    /// Tokenizer applied to hypotheses and references.
    pub tokenizer: Tokenizer,
    /// Smoothing method.
    pub smooth: Smooth,
    /// Smoothing value for `floor` and `add-k`; `None` means the method's default.
    pub smooth_value: Option<f64>,
    /// Lowercase everything first.
    pub lowercase: bool,
    /// Average only over the n-gram orders the hypothesis has (for sentence BLEU).
    pub effective_order: bool,
}

impl Default for BleuConfig {
    fn default() -> Self {
        BleuConfig {
            tokenizer: Tokenizer::Mteval13a,
            smooth: Smooth::Exp,
            smooth_value: None,
            lowercase: false,
            effective_order: false,
        }
    }
}

/// BLEU's sufficient statistics, summed over segments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BleuStats {
    /// Hypothesis tokens.
    pub sys_len: u64,
    /// Tokens of the reference closest in length to each hypothesis.
    pub ref_len: u64,
    /// Clipped n-gram matches, orders 1 to 4.
    pub correct: [u64; MAX_ORDER],
    /// Hypothesis n-grams, orders 1 to 4.
    pub total: [u64; MAX_ORDER],
}

impl std::ops::Add for BleuStats {
    type Output = BleuStats;
    fn add(mut self, other: BleuStats) -> BleuStats {
        self.sys_len += other.sys_len;
        self.ref_len += other.ref_len;
        for n in 0..MAX_ORDER {
            self.correct[n] += other.correct[n];
            self.total[n] += other.total[n];
        }
        self
    }
}

/// A BLEU score with the details sacreBLEU prints.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BleuScore {
    /// BLEU, 0 to 100.
    pub score: f64,
    /// The statistics it was computed from.
    pub stats: BleuStats,
    /// Smoothed n-gram precisions, 0 to 100.
    pub precisions: [f64; MAX_ORDER],
    /// Brevity penalty.
    pub bp: f64,
}

impl BleuScore {
    /// Hypothesis length over reference length (0 without reference tokens).
    pub fn ratio(&self) -> f64 {
        if self.stats.ref_len == 0 {
            0.0
        } else {
            self.stats.sys_len as f64 / self.stats.ref_len as f64
        }
    }

    /// sacreBLEU's details: `62.3/37.9/25.6/18.3 (BP = 1.000 ratio = 1.030 hyp_len = … ref_len = …)`.
    pub fn verbose(&self) -> String {
        let precisions: Vec<String> = self.precisions.iter().map(|p| format!("{p:.1}")).collect();
        format!(
            "{} (BP = {:.3} ratio = {:.3} hyp_len = {} ref_len = {})",
            precisions.join("/"),
            self.bp,
            self.ratio(),
            self.stats.sys_len,
            self.stats.ref_len
        )
    }
}

/// The BLEU metric with fixed settings.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bleu {
    /// The settings.
    pub config: BleuConfig,
}

impl Bleu {
    /// BLEU with these settings.
    pub fn new(config: BleuConfig) -> Self {
        Bleu { config }
    }

    /// Lowercases (if asked), strips trailing whitespace and tokenizes, as sacreBLEU does to
    /// hypotheses and references alike.
    fn preprocess(&self, line: &str) -> String {
        if self.config.lowercase {
            self.config
                .tokenizer
                .tokenize(pystr::rstrip(&line.to_lowercase()))
        } else {
            self.config.tokenizer.tokenize(pystr::rstrip(line))
        }
    }

    /// Statistics of one hypothesis against its references: n-gram matches are clipped by
    /// the largest count in any reference; the reference length is the closest one
    /// (the shorter on ties).
    pub fn segment_stats(&self, hyp: &str, refs: &[&str]) -> BleuStats {
        let mut ref_counts: HashMap<&[&str], u32> = HashMap::new();
        let mut ref_lens = Vec::with_capacity(refs.len());
        let refs: Vec<String> = refs.iter().map(|r| self.preprocess(r)).collect();
        let ref_tokens: Vec<Vec<&str>> = refs.iter().map(|r| pystr::split(r).collect()).collect();
        for tokens in &ref_tokens {
            ref_lens.push(tokens.len() as u64);
            for (ngram, count) in ngram_counts(tokens) {
                let best = ref_counts.entry(ngram).or_insert(0);
                *best = (*best).max(count);
            }
        }

        let hyp = self.preprocess(hyp);
        let hyp_tokens: Vec<&str> = pystr::split(&hyp).collect();
        let mut stats = BleuStats {
            sys_len: hyp_tokens.len() as u64,
            ref_len: closest_ref_len(hyp_tokens.len() as u64, &ref_lens),
            ..BleuStats::default()
        };
        for (ngram, count) in ngram_counts(&hyp_tokens) {
            let n = ngram.len() - 1;
            stats.total[n] += u64::from(count);
            if let Some(&in_ref) = ref_counts.get(ngram) {
                stats.correct[n] += u64::from(count.min(in_ref));
            }
        }
        stats
    }

    /// Corpus BLEU of `hyps` against one or more reference streams, each as long as `hyps`.
    pub fn corpus_score<S: AsRef<str> + Sync>(
        &self,
        hyps: &[S],
        refs: &[Vec<S>],
    ) -> Result<BleuScore, LineCountError> {
        let stats = super::corpus_stats(
            hyps,
            refs,
            |hyp, refs| self.segment_stats(hyp, refs),
            BleuStats::default,
            |a, b| a + b,
        )?;
        Ok(self.score(&stats))
    }

    /// BLEU of one sentence (sacreBLEU's `sentence_score`; enable `effective_order`).
    pub fn sentence_score(&self, hyp: &str, refs: &[&str]) -> BleuScore {
        self.score(&self.segment_stats(hyp, refs))
    }

    /// BLEU from summed statistics (sacreBLEU's `compute_bleu`).
    pub fn score(&self, stats: &BleuStats) -> BleuScore {
        let (sys_len, ref_len) = (stats.sys_len as f64, stats.ref_len as f64);
        let bp = if stats.sys_len >= stats.ref_len {
            1.0
        } else if stats.sys_len > 0 {
            (1.0 - ref_len / sys_len).exp()
        } else {
            0.0
        };
        let mut precisions = [0.0; MAX_ORDER];
        if stats.correct.iter().all(|&c| c == 0) {
            return BleuScore {
                score: 0.0,
                stats: *stats,
                precisions,
                bp,
            };
        }

        let smooth = self.config.smooth;
        let smooth_value = self.config.smooth_value.or(smooth.default_value()).unwrap_or(0.0);
        let mut mteval_denominator = 1.0;
        let mut orders = MAX_ORDER;
        for (n, precision) in precisions.iter_mut().enumerate() {
            let (mut correct, mut total) = (stats.correct[n] as f64, stats.total[n] as f64);
            if smooth == Smooth::AddK && n > 0 {
                correct += smooth_value;
                total += smooth_value;
            }
            if total == 0.0 {
                break;
            }
            if self.config.effective_order {
                orders = n + 1;
            }
            *precision = if correct > 0.0 {
                100.0 * correct / total
            } else {
                match smooth {
                    Smooth::Exp => {
                        mteval_denominator *= 2.0;
                        100.0 / (mteval_denominator * total)
                    }
                    Smooth::Floor => 100.0 * smooth_value / total,
                    Smooth::AddK | Smooth::None => 0.0,
                }
            };
        }
        let log_sum: f64 = precisions[..orders].iter().map(|&p| floored_ln(p)).sum();
        BleuScore {
            score: bp * (log_sum / orders as f64).exp(),
            stats: *stats,
            precisions,
            bp,
        }
    }

    /// sacreBLEU's signature for a run with `nrefs` references.
    pub fn signature(&self, nrefs: usize) -> Signature {
        let c = &self.config;
        // Only methods that take a value show it: `floor[0.10]`, `add-k[1.00]`.
        let smooth = match c.smooth.default_value() {
            Some(default) => format!("{}[{:.2}]", c.smooth.name(), c.smooth_value.unwrap_or(default)),
            None => c.smooth.name().to_string(),
        };
        Signature::new(
            nrefs,
            vec![
                ("case", if c.lowercase { "lc" } else { "mixed" }.to_string()),
                ("eff", if c.effective_order { "yes" } else { "no" }.to_string()),
                ("tok", c.tokenizer.signature().to_string()),
                ("smooth", smooth),
            ],
        )
    }

    /// The printable result of a run with `nrefs` references.
    pub fn report(&self, score: &BleuScore, nrefs: usize) -> Report {
        Report {
            name: "BLEU".to_string(),
            score: score.score,
            signature: self.signature(nrefs),
            verbose: Some(score.verbose()),
        }
    }
}

/// Sentence BLEU with sacreBLEU's `sentence_bleu` defaults (13a, exp smoothing, effective
/// order), 0 to 100.
pub fn sentence_bleu(hyp: &str, refs: &[&str]) -> f64 {
    let config = BleuConfig {
        effective_order: true,
        ..BleuConfig::default()
    };
    Bleu::new(config).sentence_score(hyp, refs).score
}

/// sacreBLEU's `my_log`: ln, with ln(0) floored to -9999999999.
fn floored_ln(x: f64) -> f64 {
    if x == 0.0 {
        -9_999_999_999.0
    } else {
        x.ln()
    }
}

/// The reference length closest to `hyp_len`; the shorter one on ties.
fn closest_ref_len(hyp_len: u64, ref_lens: &[u64]) -> u64 {
    ref_lens
        .iter()
        .copied()
        .min_by_key(|&len| (len.abs_diff(hyp_len), len))
        .unwrap_or(0)
}

/// Counts of all n-grams of orders 1 to [`MAX_ORDER`].
fn ngram_counts<'a>(tokens: &'a [&'a str]) -> HashMap<&'a [&'a str], u32> {
    let mut counts = HashMap::with_capacity(tokens.len() * MAX_ORDER);
    for n in 1..=MAX_ORDER {
        for ngram in tokens.windows(n) {
            *counts.entry(ngram).or_insert(0) += 1;
        }
    }
    counts
}
