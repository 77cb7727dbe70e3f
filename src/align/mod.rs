//! Sentence alignment: pairing the sentences of an article with those of its translation.
//!
//! The aligner scores beads (m source sentences paired with n target sentences, either
//! side possibly empty) with a weighted sum of
//! - a Gale-Church length term on characters, the ratio estimated per document;
//! - a lexical term: TF-IDF cosine between a translation of one side and the other
//!   side, merged beads compared on their concatenations ([`lexical`]);
//! - an embedding term: margin-normalised cosine of multilingual sentence vectors of
//!   the bead's two sides, when [`align_embedded`] is given a model ([`embedding`]);
//! - model-free anchors: numbers, Latin names in Chinese, quotes, question marks
//!   ([`anchors`]);
//! - per-bead costs that make skips and large beads earn their place;
//!
//! and finds the best bead sequence in two passes, as Bertalign does: 1-1 anchors in a
//! band around the length diagonal, then the full bead search in a narrow window
//! around the anchors ([`window`], [`search`]). Without anchors the band is searched.
//! A second look ([`revise`]) splits off sentences glued to a bead they share nothing
//! with and pairs moved passages out of order, as edited news needs. With a translation
//! model to ask, [`align_regrouped`] then moves single sentences across bead boundaries
//! where the model reads them with the neighbouring bead ([`regroup`]).

pub mod anchors;
pub mod calibration;
pub mod document;
pub mod embedding;
pub mod filter;
pub mod ladder;
pub mod length;
pub mod lexical;
pub mod overrides;
pub mod regroup;
pub mod revise;
pub mod search;
pub mod window;

use crate::model::embed::SentenceEmbedder;
use crate::text::{join_sentences, Lang};
use anchors::Anchors;
use calibration::{Evidence, Signals, DOUBT_LIMIT};
use embedding::{EmbeddingError, EmbeddingTerm};
use length::{char_len, LengthModel};
use lexical::{Features, Lexical, Overlap};
use rayon::prelude::*;
use search::{best_path, shapes, Span};
use std::ops::Range;
use window::{Banded, Window};

/// Weights of the bead score terms and the bead costs. Defaults were tuned on mac-dev
/// (see `scripts/align/tune.py`).
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// Weight of the Gale-Church log-probability.
    pub length: f64,
    /// Weight of the lexical cosine.
    pub lexical: f64,
    /// Weight of the chrF-like character n-gram overlap F-score ([`lexical::Overlap`]).
    pub overlap: f64,
    /// How much of the mean lexical cosine of the bead's neighbours (the same bead
    /// with one side moved to the adjacent block of sentences) is subtracted from its own: a margin, as
    /// in Bertalign and LASER, that discounts sentences similar to everything nearby.
    pub neighbours: f64,
    /// Weight of the anchor agreement (−1..1).
    pub anchors: f64,
    /// Weight of the embedding cosine (used only when an embedding model is given).
    pub embedding: f64,
    /// How much of the mean embedding cosine with the sentences around the bead is
    /// subtracted from its own (Bertalign's margin; raw cosines carry a large offset).
    pub embed_margin: f64,
    /// How much of Bertalign's length penalty scales the embedding score: the score is
    /// multiplied by `1 - x + x·log2(1 + short/long)`, short and long being the bead's
    /// two lengths on one scale (the target's divided by the document ratio). Bertalign
    /// needs it (embeddings alone on mac-dev, blocks up to 3: strict F1 0.762 without,
    /// 0.832 with); next to the Gale-Church term it adds nothing (all combined with blocks
    /// of 4, skip 0.4, bead 0.1: 0.877 → 0.878; length + embeddings: 0.848 → 0.842 at
    /// full strength, 0.856 → 0.851 at half with blocks of 4), so the tuned weights leave it at 0.
    pub embed_length_penalty: f64,
    /// Cost of a sentence left unaligned (0-1 or 1-0 bead); lowered in close
    /// translations, where the first pass anchors nearly every sentence.
    pub skip: f64,
    /// How much cheaper skipping a sentence gets per unit by which its best 1-1 match
    /// (embedding margin score, or lexical cosine) falls short of the median best match
    /// of its side: a sentence that resembles nothing in reach was likely inserted or
    /// its counterpart deleted ([`Matches`]).
    pub orphan: f64,
    /// Cost of every bead that pairs sentences (negative values favour merges).
    pub bead: f64,
    /// Cost of a bead that opens with a wordless sentence (a stray closing quote or
    /// bracket the segmenter split off): such fragments close the sentence before them.
    pub fragment: f64,
    /// Cost of every sentence in a bead beyond the second.
    pub merge: f64,
    /// Extra cost of beads with two or more sentences on both sides (2-2, 2-3, 3-2).
    pub crossing: f64,
    /// Gale-Church variance s², in target characters per source character.
    pub variance: f64,
}

impl Weights {
    /// Weights for documents without any translation: length and anchors only.
    pub fn model_free() -> Self {
        Weights {
            length: 0.1,
            anchors: 0.1,
            skip: 0.6,
            merge: 0.05,
            crossing: 0.1,
            // A flat length model: alone it must tolerate loose translations
            // (mac-dev strict F1 0.593 at 75, 0.648 at 250, 0.641 at 400).
            variance: 250.0,
            ..Weights::default()
        }
    }

    /// Weights for lengths, anchors and embeddings, without any translation (tuned on
    /// mac-dev: `scripts/align/tune.py --embed --length-only`).
    pub fn embedded() -> Self {
        Weights {
            length: 0.05,
            embedding: 2.0,
            embed_margin: 1.0,
            skip: 0.2,
            // Edited-news tuning half, length + e5: strict F1 0.780 at 0, 0.818 at 1,
            // 0.899 at 3, 0.882 at 6.
            orphan: 3.0,
            crossing: 0.05,
            variance: 75.0,
            ..Weights::model_free()
        }
    }

    /// Weights for everything combined: lengths, translation, embeddings and anchors
    /// (tuned on mac-dev: `scripts/align/tune.py --embed`).
    pub fn combined() -> Self {
        Weights {
            embedding: 3.0,
            embed_margin: 1.0,
            // Edited-news tuning half, MT + e5: strict F1 0.903 at 0, 0.909 at 0.5, 0.914 at 1.5.
            orphan: 1.5,
            ..Weights::default()
        }
    }

    /// [`Weights::embedded`] for USE multilingual v3, whose margin-normalised cosines
    /// spread several times wider than e5's. Edited-news tuning half, strict F1: 0.886 at
    /// embedding 0.75 / orphan 0.25, 0.918 at 1 / 0.5 (mac-dev 0.857 and 0.832).
    pub fn embedded_use() -> Self {
        Weights {
            embedding: 1.0,
            orphan: 0.5,
            ..Weights::embedded()
        }
    }

    /// [`Weights::combined`] for USE multilingual v3. Embedding and orphan weights: mac-dev
    /// strict F1 0.820 with e5's, 0.877 at 0.5 / 0, 0.884 at 0.75 / 0, 0.882 at 0.75 / 0.25
    /// (edited-news tuning half 0.973, –, 0.977). Then coordinate descent on the mean of
    /// mac-dev and the tuning half moved lexical, neighbour and bead weights (0.882 and
    /// 0.981); tuned on mac-dev alone it reached 0.894 there but 0.924 on the news.
    pub fn combined_use() -> Self {
        Weights {
            embedding: 0.75,
            orphan: 0.25,
            lexical: 2.0,
            neighbours: 0.2,
            bead: 0.1,
            ..Weights::combined()
        }
    }
}

impl Default for Weights {
    /// MT + length weights, found on mac-dev with `scripts/align/prototype.py --tune`.
    fn default() -> Self {
        Weights {
            length: 0.02,
            lexical: 1.5,
            overlap: 2.0,
            neighbours: 0.0,
            anchors: 0.05,
            embedding: 0.0,
            embed_margin: 0.0,
            embed_length_penalty: 0.0,
            skip: 0.3,
            // Edited-news tuning half, MT: strict F1 0.877 at 0, 0.909 at 0.5, 0.915 at
            // 1; mac-dev MT + length 0.867, 0.864, 0.849.
            orphan: 0.5,
            bead: 0.0,
            fragment: 0.2,
            merge: 0.05,
            crossing: 0.05,
            variance: 6.8,
        }
    }
}

/// Search settings and score weights.
#[derive(Debug, Clone, PartialEq)]
pub struct AlignConfig {
    /// Most sentences in one bead, both sides together (5 allows 1-4 and 4-1).
    pub max_bead: usize,
    /// Least half-width of the first-pass band, in target sentences; long documents
    /// get max(n, m)/50.
    pub band: usize,
    /// How far the second-pass window reaches beyond the anchor rectangles.
    pub margin: usize,
    /// Lexical cosine a 1-1 bead needs to become an anchor.
    pub anchor_threshold: f64,
    /// Lexical feature sets.
    pub features: Vec<Features>,
    /// Score weights when a translation (or a shared language) allows lexical scores.
    pub weights: Weights,
    /// Score weights when only lengths and anchors are available.
    pub model_free: Weights,
    /// Score weights with embeddings but no translation.
    pub embedded: Weights,
    /// Score weights with embeddings and a translation.
    pub combined: Weights,
    /// Longest block of sentences that gets a vector of its own; other blocks get the
    /// normalised sum of their sentences' vectors. With 1, only single sentences are
    /// embedded: on mac-dev that leaves strict F1 where 3 had it (all combined 0.872,
    /// length + embeddings 0.848 → 0.847) and embeds 5.8 times faster from a cold cache.
    /// Above 1, blocks are embedded only where the path found with sums is uncertain;
    /// on edited news 3 gains 0.002 F1 (`docs/alignment.md`).
    pub embed_span: usize,
    /// Scaled similarity (0: a sentence two places from its partner, 1: the document's
    /// median 1-1 bead) below which the first or last sentence of a bead's merged side
    /// may have been glued there from a moved passage ([`revise::pair_moved`]).
    pub glued_threshold: Option<f64>,
    /// Scaled similarity below which the first or last sentence of a merged side is split
    /// off as unaligned, weakest first, as long as the document has merges its sentence
    /// counts do not explain ([`revise::split_glued`]).
    pub split_threshold: Option<f64>,
    /// Scaled similarity two sentences of a moved passage (unaligned or glued) need to
    /// be paired out of order; `None` leaves moved passages as the search found them.
    pub moved_threshold: Option<f64>,
    /// How much more likely (in nats) a translation model must find a neighbouring
    /// bead's grouping of a sentence for [`align_regrouped`] to move it there
    /// ([`regroup`]); `None` keeps the path as it is.
    pub regroup: Option<f64>,
}

impl AlignConfig {
    /// This configuration with the embedding weights tuned for the model whose
    /// fingerprint is given (USE multilingual v3's start `use-`; e5's are the defaults).
    pub fn for_embedder(self, fingerprint: &str) -> Self {
        if !fingerprint.starts_with(crate::model::embed::USE_FINGERPRINT_PREFIX) {
            return self;
        }
        AlignConfig {
            embedded: Weights::embedded_use(),
            combined: Weights::combined_use(),
            ..self
        }
    }
}

impl Default for AlignConfig {
    fn default() -> Self {
        AlignConfig {
            max_bead: 5,
            band: 30,
            margin: 16,
            anchor_threshold: 0.3,
            features: lexical::DEFAULT_FEATURES.to_vec(),
            weights: Weights::default(),
            model_free: Weights::model_free(),
            embedded: Weights::embedded(),
            combined: Weights::combined(),
            embed_span: 1,
            split_threshold: Some(0.2),
            glued_threshold: Some(0.3),
            moved_threshold: Some(0.5),
            regroup: None,
        }
    }
}

/// One side of a document pair.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// The sentences, in order.
    pub sentences: &'a [String],
    /// Their language.
    pub lang: Lang,
    /// A translation into the other side's language, one line per sentence.
    pub translation: Option<&'a [String]>,
}

/// An aligned bead with its score.
#[derive(Debug, Clone, PartialEq)]
pub struct Bead {
    /// Source sentence indices (empty for a target sentence with no counterpart).
    pub src: Range<usize>,
    /// Target sentence indices (empty for a source sentence with no counterpart).
    pub tgt: Range<usize>,
    /// The estimated probability that the bead is right, on one scale whatever the
    /// signals ([`calibration`]); 0 for unaligned sentences.
    pub score: f64,
}

/// The alignment of one document pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Alignment {
    /// Beads covering every sentence of both sides, in source order; the target order
    /// crosses where a moved passage was paired ([`revise`]).
    pub beads: Vec<Bead>,
    /// What was known about each bead, in the order of `beads` (`None` for unaligned
    /// sentences): the input of its score ([`calibration`]).
    pub evidence: Vec<Option<Evidence>>,
    /// The signals the document pair was aligned with.
    pub signals: Signals,
    /// Number of first-pass anchors the second pass was built around.
    pub anchors: usize,
    /// Grid cells the second pass searched (a measure of its time and memory).
    pub cells: usize,
}

impl Alignment {
    /// Source sentences in 1-0 beads.
    pub fn unaligned_src(&self) -> usize {
        self.beads
            .iter()
            .filter(|b| b.tgt.is_empty())
            .map(|b| b.src.len())
            .sum()
    }

    /// Target sentences in 0-1 beads.
    pub fn unaligned_tgt(&self) -> usize {
        self.beads
            .iter()
            .filter(|b| b.src.is_empty())
            .map(|b| b.tgt.len())
            .sum()
    }
}

/// Why a document pair could not be aligned.
#[derive(Debug, thiserror::Error)]
pub enum AlignError {
    /// A translation does not have one line per sentence.
    #[error("the {side} translation has {got} lines for {want} sentences")]
    TranslationLength {
        /// `source` or `target`.
        side: &'static str,
        /// Lines in the translation.
        got: usize,
        /// Sentences on that side.
        want: usize,
    },
    /// `max_bead` is below 2: not even a 1-1 bead fits.
    #[error("--max-bead must be at least 2 (got {0})")]
    MaxBead(usize),
    /// The embedding model failed.
    #[error(transparent)]
    Embedding(#[from] EmbeddingError),
    /// The translation model that regroups beads failed.
    #[error("regrouping beads: {0:#}")]
    Regroup(anyhow::Error),
}

/// Anchor density (first-pass anchors per sentence of the shorter side) from which a
/// document counts as a close translation. mac-dev's literary chapters reach 0.24-0.75,
/// the synthetic WMT21 news documents 0.77-1.0.
const CLOSE_DENSITY: f64 = 0.75;

/// Share of the skip cost left to a document whose anchors cover every sentence.
const CLOSE_SKIP_SHARE: f64 = 0.3;

/// The skip cost for a document whose first pass found `density` anchors per sentence:
/// `skip` up to [`CLOSE_DENSITY`], falling linearly to `skip` × [`CLOSE_SKIP_SHARE`] at
/// 0.925 and beyond. In a close translation nearly every sentence has a confident
/// partner, so one without a partner is more likely inserted or deleted than part of a
/// loosely translated neighbour: skipping it must be cheaper (synthetic WMT21 strict F1
/// 0.960 → 0.973 with the earlier weights; with the current ones a share of 0.5 scores
/// 0.969, 0.3 scores 0.970; mac-dev unchanged).
fn skip_cost(skip: f64, density: f64) -> f64 {
    let slope = 1.0 / (1.0 - CLOSE_DENSITY);
    skip * (slope * (1.0 - density)).clamp(CLOSE_SKIP_SHARE, 1.0)
}

/// Share of a sentence's character n-grams (IDF-weighted) below which it shares no
/// content with its bead's other side. Merged-bead ends on mac-dev share 0.09 at the
/// 5th percentile when the gold keeps them merged; on the edited-news dev set (both
/// halves) 27 of 30 glued ends share less than 0.03, and none that belong.
const SPLIT_COVERAGE: f64 = 0.03;

/// What the 1-1 similarities within the search window say about each sentence.
struct Matches {
    /// How far each source sentence's best 1-1 similarity falls short of the median
    /// best of its side; a sentence that meets nothing counts as the least matched one.
    src_short: Vec<f64>,
    /// The same for each target sentence.
    tgt_short: Vec<f64>,
}

impl Matches {
    /// No similarity known: every sentence matches as well as any other.
    fn none(n: usize, m: usize) -> Self {
        Matches {
            src_short: vec![0.0; n],
            tgt_short: vec![0.0; m],
        }
    }

    /// Compares every source sentence with the targets in its `reach` (`m` target
    /// sentences). Edited news keeps most sentences and adds or drops a few: the added
    /// and the orphaned ones match nothing as well as their neighbours match their
    /// counterparts.
    fn new(reach: &[Range<usize>], m: usize, sim: impl Fn(usize, usize) -> f64 + Sync) -> Self {
        let rows: Vec<Vec<(usize, f64)>> = reach
            .par_iter()
            .enumerate()
            .map(|(s, r)| r.clone().map(|t| (t, sim(s, t))).collect())
            .collect();
        let mut src_best = vec![f64::NEG_INFINITY; reach.len()];
        let mut tgt_best = vec![f64::NEG_INFINITY; m];
        for (s, row) in rows.iter().enumerate() {
            for &(t, v) in row {
                src_best[s] = src_best[s].max(v);
                tgt_best[t] = tgt_best[t].max(v);
            }
        }
        let short = |best: &[f64]| -> Vec<f64> {
            let mut known: Vec<f64> = best.iter().copied().filter(|v| v.is_finite()).collect();
            known.sort_by(f64::total_cmp);
            let Some(&median) = known.get(known.len() / 2) else {
                return vec![0.0; best.len()];
            };
            best.iter().map(|b| (median - b.max(known[0])).max(0.0)).collect()
        };
        Matches {
            src_short: short(&src_best),
            tgt_short: short(&tgt_best),
        }
    }
}

/// Lexical similarity of the two sides, from whichever texts share a language.
struct LexicalTerm {
    tables: Vec<Lexical>,
    overlaps: Vec<Overlap>,
}

impl LexicalTerm {
    /// Compares the texts that share a language: both sides when they do, otherwise
    /// each available translation with the other side. `overlap` adds the F-score.
    fn new(
        src: &Side,
        tgt: &Side,
        features: &[Features],
        reach: &[Range<usize>],
        span: usize,
        overlap: bool,
    ) -> Option<Self> {
        let mut comparable: Vec<(&[String], &[String])> = Vec::new();
        if src.lang == tgt.lang {
            comparable.push((src.sentences, tgt.sentences));
        } else {
            if let Some(mt) = src.translation {
                comparable.push((mt, tgt.sentences));
            }
            if let Some(mt) = tgt.translation {
                comparable.push((src.sentences, mt));
            }
        }
        if comparable.is_empty() {
            return None;
        }
        Some(LexicalTerm {
            tables: comparable
                .iter()
                .map(|(a, b)| Lexical::new(a, b, features, reach, span))
                .collect(),
            overlaps: if overlap {
                comparable.iter().map(|(a, b)| Overlap::new(a, b, span)).collect()
            } else {
                Vec::new()
            },
        })
    }

    fn fscore(&self, src: Range<usize>, tgt: Range<usize>) -> f64 {
        let sum: f32 = self
            .overlaps
            .iter()
            .map(|o| o.fscore(src.clone(), tgt.clone()))
            .sum();
        f64::from(sum) / self.overlaps.len().max(1) as f64
    }

    /// Mean share of one sentence's n-grams that a block on the other side shares
    /// ([`Overlap::coverage`]); 0 without overlap tables.
    fn coverage(&self, src: Range<usize>, tgt: Range<usize>, of_src: bool) -> f64 {
        let sum: f32 = self
            .overlaps
            .iter()
            .map(|o| o.coverage(src.clone(), tgt.clone(), of_src))
            .sum();
        f64::from(sum) / self.overlaps.len().max(1) as f64
    }

    fn cosine(&self, src: Range<usize>, tgt: Range<usize>) -> f64 {
        let sum: f32 = self
            .tables
            .iter()
            .map(|t| t.cosine(src.clone(), tgt.clone()))
            .sum();
        f64::from(sum) / self.tables.len() as f64
    }
}

/// Everything that scores a bead of one document pair.
struct Scorer<'a> {
    weights: &'a Weights,
    /// Cost of leaving each source sentence unaligned ([`skip_cost`], [`Matches`]).
    src_skip: Vec<f64>,
    /// The same for each target sentence.
    tgt_skip: Vec<f64>,
    length: LengthModel,
    src_lens: Vec<usize>,
    tgt_lens: Vec<usize>,
    /// Whether each sentence has no letter or digit.
    src_wordless: Vec<bool>,
    tgt_wordless: Vec<bool>,
    lexical: Option<LexicalTerm>,
    embedding: Option<EmbeddingTerm>,
    anchors: Anchors,
}

impl Scorer<'_> {
    /// The bead's contribution to the path score.
    fn score(&self, src: Range<usize>, tgt: Range<usize>) -> f64 {
        let w = self.weights;
        let (a, b) = (src.len(), tgt.len());
        let opens_with_fragment =
            |r: &Range<usize>, wordless: &[bool]| !r.is_empty() && wordless.get(r.start) == Some(&true);
        let fragment = if opens_with_fragment(&src, &self.src_wordless)
            || opens_with_fragment(&tgt, &self.tgt_wordless)
        {
            w.fragment
        } else {
            0.0
        };
        if a == 0 || b == 0 {
            // A lone fragment is no more a sentence of its own than a bead's opening one.
            let skips: f64 = self.src_skip[src].iter().chain(&self.tgt_skip[tgt]).sum();
            return -skips - fragment;
        }
        let (ls, lt) = (
            self.src_lens[src.clone()].iter().sum(),
            self.tgt_lens[tgt.clone()].iter().sum(),
        );
        let mut s = w.length * self.length.log_prob(ls, lt);
        if let Some(lex) = &self.lexical {
            let own = lex.cosine(src.clone(), tgt.clone());
            let margin = if w.neighbours != 0.0 {
                own - w.neighbours * self.neighbour_mean(lex, &src, &tgt)
            } else {
                own
            };
            s += w.lexical * margin;
            if w.overlap != 0.0 {
                s += w.overlap * lex.fscore(src.clone(), tgt.clone());
            }
        }
        if let Some(e) = &self.embedding {
            let mut e = w.embedding * e.score(src.clone(), tgt.clone(), w.embed_margin);
            if w.embed_length_penalty != 0.0 {
                let x = w.embed_length_penalty;
                e *= 1.0 - x + x * self.length.length_penalty(ls, lt);
            }
            s += e;
        }
        s += w.anchors * f64::from(self.anchors.agreement(src.clone(), tgt.clone()));
        let cost = w.bead
            + w.merge * (a + b).saturating_sub(2) as f64
            + if a > 1 && b > 1 { w.crossing } else { 0.0 }
            + fragment;
        s - cost
    }

    /// Mean lexical cosine of the bead with either side moved to its adjacent block.
    fn neighbour_mean(&self, lex: &LexicalTerm, src: &Range<usize>, tgt: &Range<usize>) -> f64 {
        let (n, m) = (self.src_lens.len(), self.tgt_lens.len());
        // Shift by the range's own length: the adjacent block, not an overlapping one.
        let shift = |r: &Range<usize>, up: bool, len: usize| -> Option<Range<usize>> {
            let k = r.len();
            if up {
                (r.end + k <= len).then(|| r.start + k..r.end + k)
            } else {
                (r.start >= k).then(|| r.start - k..r.end - k)
            }
        };
        let mut sum = 0.0;
        let mut count = 0;
        for up in [false, true] {
            if let Some(s) = shift(src, up, n) {
                sum += lex.cosine(s, tgt.clone());
                count += 1;
            }
            if let Some(t) = shift(tgt, up, m) {
                sum += lex.cosine(src.clone(), t);
                count += 1;
            }
        }
        if count == 0 {
            0.0
        } else {
            sum / count as f64
        }
    }

    /// What is known about a bead that pairs sentences (`None` for an unaligned one),
    /// the input of its calibrated score.
    fn evidence(
        &self,
        src: Range<usize>,
        tgt: Range<usize>,
        scaled: Option<&revise::Scaled>,
        doubt: Option<f64>,
    ) -> Option<Evidence> {
        if src.is_empty() || tgt.is_empty() {
            return None;
        }
        let (ls, lt) = (
            self.src_lens[src.clone()].iter().sum(),
            self.tgt_lens[tgt.clone()].iter().sum(),
        );
        Some(Evidence {
            length: self.length.log_prob(ls, lt),
            anchors: f64::from(self.anchors.agreement(src.clone(), tgt.clone())),
            lexical: self
                .lexical
                .as_ref()
                .map_or(0.0, |l| l.cosine(src.clone(), tgt.clone())),
            embedding: self
                .embedding
                .as_ref()
                .map_or(0.0, |e| e.cosine(src.clone(), tgt.clone())),
            scaled: scaled.map_or(0.0, |s| s.get(src.clone(), tgt.clone()).clamp(-1.0, 2.0)),
            extra_sentences: (src.len() + tgt.len()).saturating_sub(2),
            regroup: doubt.map_or(-DOUBT_LIMIT, |d| d.clamp(-DOUBT_LIMIT, DOUBT_LIMIT)),
        })
    }
}

/// Aligns the sentences of `src` and `tgt`.
pub fn align(src: &Side, tgt: &Side, config: &AlignConfig) -> Result<Alignment, AlignError> {
    align_with(src, tgt, config, None, None)
}

/// Aligns the sentences of `src` and `tgt`, adding the cosine of their vectors from
/// `embedder` to the bead scores (with [`AlignConfig::embedded`] or
/// [`AlignConfig::combined`] weights).
pub fn align_embedded(
    src: &Side,
    tgt: &Side,
    config: &AlignConfig,
    embedder: &dyn SentenceEmbedder,
) -> Result<Alignment, AlignError> {
    align_with(src, tgt, config, Some(embedder), None)
}

/// Aligns like [`align`] (or [`align_embedded`] with `embedder`), then regroups the path
/// with `likelihood`, a translation model's log-probability of a target block given a
/// source block, when [`AlignConfig::regroup`] is set ([`regroup`]).
pub fn align_regrouped(
    src: &Side,
    tgt: &Side,
    config: &AlignConfig,
    embedder: Option<&dyn SentenceEmbedder>,
    likelihood: &mut regroup::Likelihood,
) -> Result<Alignment, AlignError> {
    align_with(src, tgt, config, embedder, Some(likelihood))
}

fn align_with(
    src: &Side,
    tgt: &Side,
    config: &AlignConfig,
    embedder: Option<&dyn SentenceEmbedder>,
    likelihood: Option<&mut regroup::Likelihood>,
) -> Result<Alignment, AlignError> {
    if config.max_bead < 2 {
        return Err(AlignError::MaxBead(config.max_bead));
    }
    for (side, name) in [(src, "source"), (tgt, "target")] {
        if let Some(t) = side.translation {
            if t.len() != side.sentences.len() {
                return Err(AlignError::TranslationLength {
                    side: name,
                    got: t.len(),
                    want: side.sentences.len(),
                });
            }
        }
    }
    let (n, m) = (src.sentences.len(), tgt.sentences.len());
    let src_lens: Vec<usize> = src.sentences.iter().map(|s| char_len(s)).collect();
    let tgt_lens: Vec<usize> = tgt.sentences.iter().map(|s| char_len(s)).collect();
    let band = Window::band(&src_lens, &tgt_lens, config.band.max(n.max(m) / 50));
    let first_pass = first_pass(src, tgt, &band, config);
    let anchor_count = first_pass.anchors.len();
    let window = if first_pass.anchors.is_empty() {
        band
    } else {
        Window::around_anchors(&first_pass.anchors, &band, config.margin)
    };
    let span = config.max_bead - 1;
    let lexical = LexicalTerm::new(
        src,
        tgt,
        &config.features,
        &window.sentence_reach(span, span),
        span,
        config.weights.overlap != 0.0,
    );
    let embedding = match embedder {
        Some(e) if n > 0 && m > 0 => Some(EmbeddingTerm::new(
            (src.sentences, src.lang),
            (tgt.sentences, tgt.lang),
            config.embed_span.min(span),
            e,
        )?),
        _ => None,
    };
    let weights = match (lexical.is_some(), embedding.is_some()) {
        (true, true) => &config.combined,
        (false, true) => &config.embedded,
        (true, false) => &config.weights,
        (false, false) => &config.model_free,
    };
    let density = anchor_count as f64 / n.min(m).max(1) as f64;
    let skip = skip_cost(weights.skip, density);
    let reach = window.sentence_reach(1, 0);
    let mut matches = match (&embedding, &lexical) {
        (Some(e), _) => Matches::new(&reach, m, |s, t| {
            e.score(s..s + 1, t..t + 1, weights.embed_margin)
        }),
        (None, Some(lex)) => Matches::new(&reach, m, |s, t| lex.cosine(s..s + 1, t..t + 1)),
        (None, None) => Matches::none(n, m),
    };
    let (src_wordless, tgt_wordless) = (wordless(src.sentences), wordless(tgt.sentences));
    // A stray quote mark matches nothing, yet belongs to the sentence before it.
    for (short, wordless) in [
        (&mut matches.src_short, &src_wordless),
        (&mut matches.tgt_short, &tgt_wordless),
    ] {
        short
            .iter_mut()
            .zip(wordless)
            .filter(|(_, &w)| w)
            .for_each(|(d, _)| *d = 0.0);
    }
    // Skipping a sentence that matches nothing in reach is cheaper (`Weights::orphan`).
    let skips = |short: &[f64]| -> Vec<f64> { short.iter().map(|d| skip - weights.orphan * d).collect() };
    let mut scorer = Scorer {
        weights,
        src_skip: skips(&matches.src_short),
        tgt_skip: skips(&matches.tgt_short),
        length: LengthModel::estimate(&src_lens, &tgt_lens, weights.variance),
        lexical,
        embedding,
        anchors: Anchors::new(src.sentences, src.lang, tgt.sentences, tgt.lang),
        src_wordless,
        tgt_wordless,
        src_lens,
        tgt_lens,
    };
    let mut path = best_path(&window, &shapes(config.max_bead), |s, t| scorer.score(s, t));
    if let (Some(term), Some(embedder), true) = (scorer.embedding.as_mut(), embedder, config.embed_span > 1) {
        let (src_uncertain, tgt_uncertain) = uncertain(&path, n, m);
        let embedded = term.embed_blocks(
            (src.sentences, src.lang),
            (tgt.sentences, tgt.lang),
            &window,
            config.max_bead,
            (&src_uncertain, &tgt_uncertain),
            embedder,
        )?;
        if embedded > 0 {
            path = best_path(&window, &shapes(config.max_bead), |s, t| scorer.score(s, t));
        }
    }
    let lexical = |s: Range<usize>, t: Range<usize>| scorer.lexical.as_ref().map_or(0.0, |l| l.cosine(s, t));
    let embedding =
        |s: Range<usize>, t: Range<usize>| scorer.embedding.as_ref().map_or(0.0, |e| e.cosine(s, t));
    let mut sims: Vec<revise::Similarity> = Vec::new();
    if scorer.lexical.is_some() {
        sims.push(&lexical);
    }
    if scorer.embedding.is_some() {
        sims.push(&embedding);
    }
    let scaled = revise::Scaled::new(&path, m, &sims);
    let path = match &scaled {
        Some(scaled) => revise_path(path, &scorer, scaled, config),
        None => path,
    };
    let (path, doubt) = match (config.regroup, likelihood) {
        (Some(margin), Some(likelihood)) => {
            let text = |of_src: bool, r: Range<usize>| {
                let side = if of_src { src } else { tgt };
                join_sentences(&side.sentences[r], side.lang)
            };
            let regrouped = regroup::regroup(path, margin, &text, likelihood).map_err(AlignError::Regroup)?;
            (regrouped.path, Some(regrouped.doubt))
        }
        _ => (path, None),
    };
    let signals = Signals::of(
        scorer.lexical.is_some(),
        scorer.embedding.is_some(),
        doubt.is_some(),
    );
    let (beads, evidence) = path
        .into_iter()
        .enumerate()
        .map(|(k, span)| {
            let doubt = doubt.as_ref().and_then(|d| d[k]);
            let evidence = scorer.evidence(span.src.clone(), span.tgt.clone(), scaled.as_ref(), doubt);
            let bead = Bead {
                score: evidence.map_or(0.0, |e| e.probability(signals)),
                src: span.src,
                tgt: span.tgt,
            };
            (bead, evidence)
        })
        .unzip();
    Ok(Alignment {
        beads,
        evidence,
        signals,
        anchors: anchor_count,
        cells: window.cells(),
    })
}

/// Sentences whose bead is not one-to-one, or lies next to such a bead: where vectors of
/// whole blocks may change the path (one flag per sentence, per side).
fn uncertain(path: &[Span], n: usize, m: usize) -> (Vec<bool>, Vec<bool>) {
    let (mut src, mut tgt) = (vec![false; n], vec![false; m]);
    for (k, span) in path.iter().enumerate() {
        if span.src.len() == 1 && span.tgt.len() == 1 {
            continue;
        }
        for near in &path[k.saturating_sub(1)..(k + 2).min(path.len())] {
            src[near.src.clone()].fill(true);
            tgt[near.tgt.clone()].fill(true);
        }
    }
    (src, tgt)
}

/// The path after [`revise`]'s second look: glued sentences split off
/// ([`revise::split_glued`], with a translation only), then moved passages paired out of
/// order ([`revise::pair_moved`]).
fn revise_path(path: Vec<Span>, scorer: &Scorer, scaled: &revise::Scaled, config: &AlignConfig) -> Vec<Span> {
    let path = match (config.split_threshold, &scorer.lexical) {
        (Some(threshold), Some(lex)) if !lex.overlaps.is_empty() => {
            // Too short a sentence shares little with anything ("And yours?"): without
            // this limit mac-dev MT + length strict F1 falls 0.864 → 0.858, with it 0.861.
            let (src_short, tgt_short) = (quarter_median(&scorer.src_lens), quarter_median(&scorer.tgt_lens));
            let coverage = |s: Range<usize>, t: Range<usize>, of_src: bool| {
                let short = if of_src {
                    scorer.src_lens[s.start] < src_short
                } else {
                    scorer.tgt_lens[t.start] < tgt_short
                };
                if short {
                    1.0
                } else {
                    lex.coverage(s, t, of_src)
                }
            };
            revise::split_glued(path, scaled, &coverage, threshold, SPLIT_COVERAGE)
        }
        _ => path,
    };
    match (config.glued_threshold, config.moved_threshold) {
        (Some(glued), Some(threshold)) => revise::pair_moved(path, scaled, glued, threshold),
        _ => path,
    }
}

/// A quarter of the median of `lens` (0 when empty).
fn quarter_median(lens: &[usize]) -> usize {
    let mut sorted = lens.to_vec();
    sorted.sort_unstable();
    sorted.get(sorted.len() / 2).map_or(0, |m| m / 4)
}

/// Whether each sentence lacks any letter or digit.
fn wordless(sentences: &[String]) -> Vec<bool> {
    sentences
        .iter()
        .map(|s| !s.chars().any(char::is_alphanumeric))
        .collect()
}

/// What the first pass learns: anchor cells, and each sentence's best 1-1 cosine.
struct FirstPass {
    /// Grid cells right after each anchor bead, in order.
    anchors: Vec<(usize, usize)>,
    /// Best 1-1 cosine of each source sentence within the band (0 without a translation).
    src_best: Vec<f64>,
    /// Best 1-1 cosine of each target sentence within the band.
    tgt_best: Vec<f64>,
}

/// First pass: 1-1 beads on the best path through `band` (1-1 beads scored by their
/// word cosine minus the threshold, skips free) that are also the mutual best match of
/// their two sentences within the band.
fn first_pass(src: &Side, tgt: &Side, band: &Window, config: &AlignConfig) -> FirstPass {
    let words = [Features::WordPrefixes { len: 5 }];
    let reach = band.sentence_reach(1, 0);
    let mut out = FirstPass {
        anchors: Vec::new(),
        src_best: vec![0.0; src.sentences.len()],
        tgt_best: vec![0.0; tgt.sentences.len()],
    };
    let Some(lex) = LexicalTerm::new(src, tgt, &words, &reach, 1, false) else {
        return out;
    };
    let mut sim = Banded::new(&reach, 0.0f64);
    sim.rows_mut().into_par_iter().for_each(|(s, first, row)| {
        for (k, cell) in row.iter_mut().enumerate() {
            *cell = lex.cosine(s..s + 1, first + k..first + k + 1);
        }
    });
    for (s, r) in reach.iter().enumerate() {
        for t in r.clone() {
            let v = sim.get(s, t).copied().unwrap_or(0.0);
            out.src_best[s] = out.src_best[s].max(v);
            out.tgt_best[t] = out.tgt_best[t].max(v);
        }
    }
    let threshold = config.anchor_threshold;
    let path = best_path(band, &[(0, 1), (1, 0), (1, 1)], |s, t| {
        if s.is_empty() || t.is_empty() {
            0.0
        } else {
            sim.get(s.start, t.start)
                .map_or(f64::NEG_INFINITY, |v| v - threshold)
        }
    });
    out.anchors = path
        .into_iter()
        .filter(|b| b.src.len() == 1 && b.tgt.len() == 1)
        .filter(|b| {
            let v = sim.get(b.src.start, b.tgt.start).copied().unwrap_or(0.0);
            v >= threshold && v >= out.src_best[b.src.start] && v >= out.tgt_best[b.tgt.start]
        })
        .map(|b| (b.src.end, b.tgt.end))
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[&str]) -> Vec<String> {
        text.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn use_models_get_their_own_embedding_weights() {
        let e5 = AlignConfig::default().for_embedder("f92d9c608d5340d9-384");
        assert_eq!(e5.combined, Weights::combined());
        assert_eq!(e5.embedded, Weights::embedded());
        let use_m3 = AlignConfig::default().for_embedder("use-0123456789abcdef-512");
        assert_eq!(use_m3.combined, Weights::combined_use());
        assert_eq!(use_m3.embedded, Weights::embedded_use());
        assert_ne!(Weights::combined_use(), Weights::combined());
        assert_eq!(
            use_m3.weights,
            Weights::default(),
            "the weights without embeddings stay"
        );
    }

    #[test]
    fn a_sentence_that_matches_nothing_falls_short_of_its_side() {
        // Three sources, four targets; target 2 was inserted: its best match is 0.1
        // where every other sentence's is 0.9 or more.
        let sim = |s: usize, t: usize| match (s, t) {
            (0, 0) | (1, 1) => 0.9,
            (2, 3) => 1.0,
            (_, 2) => 0.1,
            _ => 0.0,
        };
        let matches = Matches::new(&[0..4, 0..4, 0..4], 4, sim);
        let (src, tgt) = (matches.src_short, matches.tgt_short);
        assert_eq!(src, vec![0.0; 3]);
        assert_eq!(tgt[..2], [0.0, 0.0]);
        assert!((tgt[2] - 0.8).abs() < 1e-12, "{tgt:?}");
        assert_eq!(tgt[3], 0.0);
    }

    #[test]
    fn a_sentence_out_of_reach_falls_as_short_as_the_least_matched_one() {
        let matches = Matches::new(&[0..1, 1..2], 3, |s, _| if s == 0 { 0.8 } else { 0.4 });
        assert_eq!(matches.src_short, vec![0.0, 0.4]);
        assert_eq!(matches.tgt_short, vec![0.0, 0.4, 0.4]);
    }

    #[test]
    fn skipping_gets_cheaper_only_in_close_translations() {
        assert_eq!(skip_cost(0.2, 0.0), 0.2);
        assert_eq!(skip_cost(0.2, CLOSE_DENSITY), 0.2);
        assert!((skip_cost(0.2, 0.8125) - 0.15).abs() < 1e-12);
        assert!((skip_cost(0.2, 0.875) - 0.1).abs() < 1e-12);
        assert!((skip_cost(0.2, 0.925) - 0.06).abs() < 1e-12);
        assert!((skip_cost(0.2, 1.0) - 0.06).abs() < 1e-12);
    }

    #[test]
    fn a_stray_quote_mark_closes_the_sentence_before_it() {
        let src = lines(&[
            "The minister said the bridge would reopen in May.",
            "Traffic has been diverted through the old town since March.",
        ]);
        let tgt = lines(&[
            "The minister said the bridge would reopen in May.",
            "”",
            "Traffic has been diverted through the old town since March.",
        ]);
        let side = |sentences| Side {
            sentences,
            lang: Lang::En,
            translation: None,
        };
        let alignment = align(&side(&src), &side(&tgt), &AlignConfig::default()).unwrap();
        let beads: Vec<_> = alignment
            .beads
            .iter()
            .map(|b| (b.src.clone(), b.tgt.clone()))
            .collect();
        assert_eq!(beads, vec![(0..1, 0..2), (1..2, 2..3)]);
    }

    #[test]
    fn a_grouping_the_model_doubts_scores_lower() {
        let src = lines(&[
            "The minister spoke in the capital on Monday morning.",
            "She said the old bridge would reopen in May, once the repairs to its deck are done.",
            "Traffic has been diverted through the old town since March.",
        ]);
        let tgt = lines(&[
            "The minister spoke in the capital on Monday morning.",
            "She said the old bridge would reopen in May.",
            "The repairs to its deck must be done first.",
            "Traffic has been diverted through the old town since March.",
        ]);
        let side = |sentences| Side {
            sentences,
            lang: Lang::En,
            translation: None,
        };
        let (src, tgt) = (side(&src), side(&tgt));
        let config = AlignConfig {
            regroup: Some(8.0),
            ..AlignConfig::default()
        };
        let found = align(&src, &tgt, &config).unwrap();
        let spans: Vec<_> = found
            .beads
            .iter()
            .map(|b| (b.src.clone(), b.tgt.clone()))
            .collect();
        assert_eq!(spans, vec![(0..1, 0..1), (1..2, 1..3), (2..3, 3..4)]);
        let texts: Vec<(String, String)> = spans
            .iter()
            .map(|(s, t)| {
                (
                    src.sentences[s.clone()].join(" "),
                    tgt.sentences[t.clone()].join(" "),
                )
            })
            .collect();
        // The model reads the found beads at 0 nats and every other grouping at `other`.
        let regrouped = |other: f64| {
            let mut likelihood = |pairs: &[(String, String)]| -> anyhow::Result<Vec<f64>> {
                Ok(pairs
                    .iter()
                    .map(|p| if texts.contains(p) { 0.0 } else { other })
                    .collect())
            };
            align_regrouped(&src, &tgt, &config, None, &mut likelihood).unwrap()
        };
        let (sure, unsure) = (regrouped(-10.0), regrouped(2.5));
        assert_eq!(sure.signals, Signals::Regrouped);
        for run in [&sure, &unsure] {
            let spans: Vec<_> = run.beads.iter().map(|b| (b.src.clone(), b.tgt.clone())).collect();
            assert_eq!(
                spans,
                vec![(0..1, 0..1), (1..2, 1..3), (2..3, 3..4)],
                "no move gains 8 nats"
            );
        }
        let doubts = |a: &Alignment| -> Vec<f64> { a.evidence.iter().map(|e| e.unwrap().regroup).collect() };
        assert_eq!(doubts(&sure), vec![-20.0; 3]);
        assert_eq!(doubts(&unsure), vec![5.0; 3]);
        for (s, u) in sure.beads.iter().zip(&unsure.beads) {
            assert!(s.score > u.score + 0.01, "{} against {}", s.score, u.score);
        }
    }
}
