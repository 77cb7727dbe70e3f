//! Filters for corpus output: drop pairs that are probably misaligned or not in the
//! languages they claim, and exact duplicates.

use super::document::AlignedDocument;
use crate::corpus::SentencePair;
use crate::text::detect::detect;
use std::collections::{BTreeMap, HashSet};

/// Which pairs to keep (also the corpus filter flags of `bitext align`).
#[derive(Debug, Clone, Default, PartialEq, clap::Args)]
pub struct Filters {
    /// Corpus output: drop pairs scored below this.
    #[arg(long)]
    pub min_score: Option<f64>,
    /// Corpus output: drop pairs whose length ratio, relative to their document's, is
    /// above this or below its inverse (e.g. 2).
    #[arg(long)]
    pub max_length_ratio: Option<f64>,
    /// Corpus output: drop pairs whose Chinese side is not mostly Han or whose English
    /// side is not mostly Latin.
    #[arg(long)]
    pub script_check: bool,
    /// Corpus output: drop exact duplicate pairs.
    #[arg(long)]
    pub dedup: bool,
}

/// Why a pair was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rejection {
    /// Its score is below `min_score`.
    Score,
    /// Its length ratio is out of bounds.
    LengthRatio,
    /// A side is not in its language's script.
    Script,
    /// It repeats an earlier pair.
    Duplicate,
}

impl Rejection {
    /// What the dropped pairs failed, named after the flag that dropped them.
    pub fn describe(self) -> &'static str {
        match self {
            Rejection::Score => "below --min-score",
            Rejection::LengthRatio => "outside --max-length-ratio",
            Rejection::Script => "failing --script-check",
            Rejection::Duplicate => "duplicates",
        }
    }
}

impl Filters {
    /// The corpus pairs of `docs` that pass every filter, in order, and how many pairs
    /// each rejection dropped.
    pub fn apply(&self, docs: &[AlignedDocument]) -> (Vec<SentencePair>, BTreeMap<Rejection, usize>) {
        let mut kept = Vec::new();
        let mut rejected = BTreeMap::new();
        for doc in docs {
            for pair in &doc.pairs {
                match self.check(pair, doc.length_ratio) {
                    Ok(()) => kept.push(pair.clone()),
                    Err(r) => *rejected.entry(r).or_default() += 1,
                }
            }
        }
        let duplicates = self.dedup_pairs(&mut kept);
        if duplicates > 0 {
            rejected.insert(Rejection::Duplicate, duplicates);
        }
        (kept, rejected)
    }

    /// Checks one pair from a document whose target/source character ratio is
    /// `doc_ratio`. Duplicates are checked by [`Filters::dedup_pairs`].
    pub fn check(&self, pair: &SentencePair, doc_ratio: f64) -> Result<(), Rejection> {
        if let Some(min) = self.min_score {
            if pair.score.unwrap_or(0.0) < min {
                return Err(Rejection::Score);
            }
        }
        if let Some(max) = self.max_length_ratio {
            let (s, t) = (super::char_len(&pair.src), super::char_len(&pair.tgt));
            let r = t as f64 / (s.max(1) as f64 * doc_ratio);
            if r > max || r < 1.0 / max {
                return Err(Rejection::LengthRatio);
            }
        }
        if self.script_check
            && (detect(&pair.src) != Some(pair.src_lang) || detect(&pair.tgt) != Some(pair.tgt_lang))
        {
            return Err(Rejection::Script);
        }
        Ok(())
    }

    /// Removes pairs whose exact (source, target) text was seen before, in order, when
    /// `dedup` is set; returns how many were removed.
    pub fn dedup_pairs(&self, pairs: &mut Vec<SentencePair>) -> usize {
        if !self.dedup {
            return 0;
        }
        let before = pairs.len();
        let mut seen = HashSet::new();
        pairs.retain(|p| seen.insert((p.src.clone(), p.tgt.clone())));
        before - pairs.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Lang;

    fn pair(src: &str, tgt: &str, score: f64) -> SentencePair {
        SentencePair {
            doc: "d".into(),
            src_lang: Lang::Zh,
            tgt_lang: Lang::En,
            src: src.into(),
            tgt: tgt.into(),
            src_ids: vec![0],
            tgt_ids: vec![0],
            score: Some(score),
        }
    }

    #[test]
    fn each_filter_rejects_what_it_names() {
        let f = Filters {
            min_score: Some(0.2),
            max_length_ratio: Some(2.0),
            script_check: true,
            dedup: false,
        };
        assert_eq!(f.check(&pair("我们很好。", "We are fine.", 0.5), 2.0), Ok(()));
        assert_eq!(
            f.check(&pair("我们很好。", "We are fine.", 0.1), 2.0),
            Err(Rejection::Score)
        );
        assert_eq!(
            f.check(
                &pair("我们很好。", "We are fine, thank you very much, and you?", 0.5),
                2.0
            ),
            Err(Rejection::LengthRatio)
        );
        assert_eq!(
            f.check(&pair("We are fine.", "We are fine.", 0.5), 1.0),
            Err(Rejection::Script)
        );
        assert_eq!(Filters::default().check(&pair("a", "b", -1.0), 1.0), Ok(()));
    }

    #[test]
    fn dedup_keeps_the_first_of_identical_pairs() {
        let mut pairs = vec![
            pair("一", "one", 0.1),
            pair("一", "one", 0.9),
            pair("一", "One", 0.5),
        ];
        let f = Filters {
            dedup: true,
            ..Filters::default()
        };
        assert_eq!(f.dedup_pairs(&mut pairs), 1);
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[0].score, Some(0.1));
    }
}
