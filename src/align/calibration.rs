//! Calibrated pair scores: each bead that pairs sentences is scored with the estimated
//! probability that it is right (a strict match of a gold bead), from a logistic model
//! over what the aligner knows about it. Each set of signals has its own model, so a
//! score means the same whether it came from lengths alone, a translation, embeddings or
//! both, and `--min-score 0.5` keeps the pairs more likely right than wrong.
//!
//! The coefficients are fitted by `scripts/align/calibrate.py` on the gold of the
//! dev sets (docs/alignment.md gives the commands), from the features that
//! `bitext align --evidence` writes.

/// The signals a document pair was aligned with; each has its own fitted model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signals {
    /// Lengths and model-free anchors.
    Length,
    /// Lengths, anchors and a translation (lexical similarity).
    Translation,
    /// Lengths, anchors and sentence embeddings.
    Embedding,
    /// Lengths, anchors, a translation and embeddings.
    Combined,
    /// Lengths, anchors, a translation and a translation model's doubt about the bead's
    /// grouping ([`super::regroup`]); embeddings, if any, are not read, so that one model
    /// serves runs with and without them.
    Regrouped,
}

impl Signals {
    /// The set for the signals present.
    pub fn of(translation: bool, embedding: bool, regrouped: bool) -> Self {
        match (translation, embedding, regrouped) {
            (_, _, true) => Signals::Regrouped,
            (false, false, false) => Signals::Length,
            (true, false, false) => Signals::Translation,
            (false, true, false) => Signals::Embedding,
            (true, true, false) => Signals::Combined,
        }
    }

    /// Its name in the evidence file and the calibration script.
    pub fn name(self) -> &'static str {
        match self {
            Signals::Length => "length",
            Signals::Translation => "mt",
            Signals::Embedding => "embed",
            Signals::Combined => "combined",
            Signals::Regrouped => "regroup",
        }
    }

    /// Logistic coefficients, in [`FEATURE_NAMES`] order.
    fn coefficients(self) -> [f64; FEATURES] {
        match self {
            Signals::Length => LENGTH,
            Signals::Translation => TRANSLATION,
            Signals::Embedding => EMBEDDING,
            Signals::Combined => COMBINED,
            Signals::Regrouped => REGROUPED,
        }
    }
}

/// What the aligner knows about one bead that pairs sentences. A term whose signal is
/// absent is 0.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Evidence {
    /// Log-probability of the two lengths under the document's length model.
    pub length: f64,
    /// Agreement of numbers, Latin names and punctuation anchors (−1..1).
    pub anchors: f64,
    /// Lexical cosine of the source's translation and the target.
    pub lexical: f64,
    /// Cosine of the two sides' embeddings.
    pub embedding: f64,
    /// The similarity on the document's own scale (0 unrelated, 1 a typical 1-1 bead;
    /// [`super::revise::Scaled`]), clamped to −1..2.
    pub scaled: f64,
    /// Sentences in the bead beyond one a side.
    pub extra_sentences: usize,
    /// The model's doubt about the bead's grouping, in nats ([`super::regroup::Regrouped::doubt`]),
    /// clamped to ±[`DOUBT_LIMIT`]; −[`DOUBT_LIMIT`] where no other grouping was scored.
    pub regroup: f64,
}

/// How far the regrouping doubt reaches either way: beyond 30 nats one grouping is as
/// good as certain.
pub const DOUBT_LIMIT: f64 = 30.0;

/// Number of model inputs, the intercept included.
pub const FEATURES: usize = 8;

/// Feature names, in the order of [`Evidence::features`].
pub const FEATURE_NAMES: [&str; FEATURES] = [
    "bias",
    "length",
    "anchors",
    "lexical",
    "embedding",
    "scaled",
    "extra_sentences",
    "regroup",
];

impl Evidence {
    /// The model inputs: an intercept, then each term.
    pub fn features(&self) -> [f64; FEATURES] {
        [
            1.0,
            self.length,
            self.anchors,
            self.lexical,
            self.embedding,
            self.scaled,
            self.extra_sentences as f64,
            self.regroup,
        ]
    }

    /// Estimated probability that the bead is right.
    pub fn probability(&self, signals: Signals) -> f64 {
        let z: f64 = signals
            .coefficients()
            .iter()
            .zip(self.features())
            .map(|(w, x)| w * x)
            .sum();
        1.0 / (1.0 + (-z).exp())
    }
}

// Fitted by `scripts/align/calibrate.py`; docs/alignment.md gives the command.
const LENGTH: [f64; FEATURES] = [1.48, 2.107, 0.5635, 0.0, 0.0, 0.0, -0.9528, 0.0];
const TRANSLATION: [f64; FEATURES] = [2.027, 0.1882, 0.3836, 1.82, 0.0, 0.3719, -0.6558, 0.0];
const EMBEDDING: [f64; FEATURES] = [1.513, 1.118, 0.1813, 0.0, 0.5324, 0.9536, -0.9708, 0.0];
const COMBINED: [f64; FEATURES] = [1.15, 0.1883, 0.2679, 1.45, 0.8646, 0.7675, -0.7266, 0.0];
const REGROUPED: [f64; FEATURES] = [0.4749, 0.195, 0.2775, -1.066, 0.0, 1.632, -0.1429, -0.06603];
