//! The aligner's settings as flags of `bitext align`: the search (bead size, band,
//! window, embedded blocks) and overrides of the tuned score weights and bead costs
//! (used by `scripts/align/tune.py`).

use super::{AlignConfig, Weights};

/// The search settings of an [`AlignConfig`].
#[derive(Debug, Clone, clap::Args)]
pub struct SearchSettings {
    /// Most sentences in one bead, both sides together (5 allows 1-4 and 4-1).
    #[arg(long, default_value_t = AlignConfig::default().max_bead)]
    pub max_bead: usize,
    /// Least half-width of the first-pass band, in sentences.
    #[arg(long, default_value_t = AlignConfig::default().band)]
    pub band: usize,
    /// Sentences the second-pass window reaches beyond the anchors.
    #[arg(long, default_value_t = AlignConfig::default().margin)]
    pub margin: usize,
    /// Longest block of sentences embedded as one text; longer blocks add their
    /// sentences' vectors. Above 1, blocks are embedded only around beads that are not
    /// one-to-one in a first path found with sums (Bertalign embeds up to --max-bead minus 1).
    #[arg(long, default_value_t = AlignConfig::default().embed_span)]
    pub embed_span: usize,
    /// Scaled similarity below which the first or last sentence of a merged bead side is
    /// split off as unaligned, while the document has merges its sentence counts do not
    /// explain.
    #[arg(long, default_value_t = AlignConfig::default().split_threshold.unwrap_or(0.0))]
    pub split_threshold: f64,
    /// Keep merged beads whole.
    #[arg(long)]
    pub no_split: bool,
    /// Scaled similarity below which the first or last sentence of a merged bead side
    /// may belong to a moved passage (0: how a sentence matches its partner's
    /// neighbours, 1: how the document's aligned pairs match).
    #[arg(long, default_value_t = AlignConfig::default().glued_threshold.unwrap_or(0.0))]
    pub glued_threshold: f64,
    /// Scaled similarity two sentences of a moved passage (unaligned, or glued to a
    /// bead) need to be paired out of order.
    #[arg(long, default_value_t = AlignConfig::default().moved_threshold.unwrap_or(f64::INFINITY))]
    pub moved_threshold: f64,
    /// Leave sentences of moved passages unaligned (pairs stay in order).
    #[arg(long)]
    pub no_moved: bool,
}

impl SearchSettings {
    /// The default configuration with these search settings.
    pub fn config(&self) -> AlignConfig {
        AlignConfig {
            max_bead: self.max_bead,
            band: self.band,
            margin: self.margin,
            embed_span: self.embed_span,
            split_threshold: (!self.no_split).then_some(self.split_threshold),
            glued_threshold: (!self.no_moved).then_some(self.glued_threshold),
            moved_threshold: (!self.no_moved).then_some(self.moved_threshold),
            ..AlignConfig::default()
        }
    }
}

/// Values that replace the tuned weights and costs in every weight set (model-free,
/// MT, embeddings, all combined); `None` keeps the tuned value.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct WeightOverrides {
    /// Weight of the Gale-Church length log-probability.
    #[arg(long)]
    pub length_weight: Option<f64>,
    /// Weight of the lexical (translation) cosine.
    #[arg(long)]
    pub lexical_weight: Option<f64>,
    /// Weight of the chrF-like character n-gram overlap F-score between translation and
    /// target (0 turns it off).
    #[arg(long)]
    pub overlap_weight: Option<f64>,
    /// Share of the neighbouring beads' mean lexical cosine subtracted from a bead's
    /// own (a Bertalign-style margin; 0 turns it off).
    #[arg(long)]
    pub neighbour_weight: Option<f64>,
    /// Weight of the anchor agreement (numbers, Latin names, quotes, question marks).
    #[arg(long)]
    pub anchor_weight: Option<f64>,
    /// Weight of the embedding cosine (with --embed).
    #[arg(long)]
    pub embedding_weight: Option<f64>,
    /// Share of the mean embedding cosine with the sentences around a bead subtracted
    /// from its own (Bertalign's margin; with --embed).
    #[arg(long)]
    pub embed_margin: Option<f64>,
    /// How much Bertalign's length penalty, log2(1 + short/long), scales the embedding
    /// score (0: not at all, 1: fully; with --embed).
    #[arg(long)]
    pub embed_length_penalty: Option<f64>,
    /// Cost of leaving a sentence unaligned (down to half of it in close translations,
    /// where the first pass anchors nearly every sentence).
    #[arg(long, allow_negative_numbers = true)]
    pub skip_cost: Option<f64>,
    /// How much cheaper skipping a sentence gets per unit by which its best 1-1 match
    /// falls short of its side's median best match (with --embed or a translation).
    #[arg(long, allow_negative_numbers = true)]
    pub orphan_weight: Option<f64>,
    /// Cost of every bead that pairs sentences (negative favours merged beads).
    #[arg(long, allow_negative_numbers = true)]
    pub bead_cost: Option<f64>,
    /// Cost of a bead that opens with a sentence without letters or digits (a stray
    /// quote mark split off by the segmenter belongs to the sentence before it).
    #[arg(long, allow_negative_numbers = true)]
    pub fragment_cost: Option<f64>,
    /// Cost of every sentence beyond the second in a bead.
    #[arg(long, allow_negative_numbers = true)]
    pub merge_cost: Option<f64>,
    /// Extra cost of beads with several sentences on both sides (2-2, 2-3, 3-2).
    #[arg(long, allow_negative_numbers = true)]
    pub crossing_cost: Option<f64>,
    /// Gale-Church variance s² of the length model.
    #[arg(long)]
    pub variance: Option<f64>,
}

impl WeightOverrides {
    /// `weights` with the given values put in.
    pub fn apply(&self, mut w: Weights) -> Weights {
        let set = |field: &mut f64, value: Option<f64>| *field = value.unwrap_or(*field);
        set(&mut w.length, self.length_weight);
        set(&mut w.lexical, self.lexical_weight);
        set(&mut w.overlap, self.overlap_weight);
        set(&mut w.neighbours, self.neighbour_weight);
        set(&mut w.anchors, self.anchor_weight);
        set(&mut w.embedding, self.embedding_weight);
        set(&mut w.embed_margin, self.embed_margin);
        set(&mut w.embed_length_penalty, self.embed_length_penalty);
        set(&mut w.skip, self.skip_cost);
        set(&mut w.orphan, self.orphan_weight);
        set(&mut w.bead, self.bead_cost);
        set(&mut w.fragment, self.fragment_cost);
        set(&mut w.merge, self.merge_cost);
        set(&mut w.crossing, self.crossing_cost);
        set(&mut w.variance, self.variance);
        w
    }

    /// `config` with the given values put into each of its weight sets.
    pub fn apply_to(&self, config: AlignConfig) -> AlignConfig {
        AlignConfig {
            weights: self.apply(config.weights.clone()),
            model_free: self.apply(config.model_free.clone()),
            embedded: self.apply(config.embedded.clone()),
            combined: self.apply(config.combined.clone()),
            ..config
        }
    }
}
