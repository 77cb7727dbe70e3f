//! A quality score for a translated pair: how close the source and its translation are
//! in a multilingual embedding space (e5-small by default), the signal LASER- and
//! LaBSE-style corpus mining filters on.

use super::SentenceEmbedder;
use anyhow::{ensure, Result};

/// The model that scores pairs when none is named.
pub const DEFAULT_SCORER: &str = "e5-small";

/// Below this score a pair is more likely a poor translation than not; the manifest
/// counts the pairs under it and `--min-score` suggests it. Chosen on half of the WMT21
/// dev lines (docs/quality.md).
pub const DEFAULT_THRESHOLD: f64 = 0.86;

/// The cosine of each `sources[i]` with `translations[i]`, from unit-length vectors.
pub fn pair_scores(
    embedder: &dyn SentenceEmbedder,
    sources: &[String],
    translations: &[String],
) -> Result<Vec<f64>> {
    ensure!(
        sources.len() == translations.len(),
        "{} sources but {} translations",
        sources.len(),
        translations.len()
    );
    let texts: Vec<String> = sources.iter().chain(translations).cloned().collect();
    let vectors = embedder.embed(&texts)?;
    let (src, tgt) = vectors.split_at(sources.len());
    Ok(src
        .iter()
        .zip(tgt)
        .map(|(a, b)| a.iter().zip(b).map(|(x, y)| f64::from(x * y)).sum::<f64>())
        .collect())
}

/// Mean, quartiles and the count under a threshold of a run's pair scores.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScoreSummary {
    /// What scored the pairs (the embedder's fingerprint).
    pub scorer: String,
    /// Pairs scored.
    pub pairs: usize,
    /// Mean score.
    pub mean: f64,
    /// First quartile, median and third quartile (nearest rank).
    pub quartiles: [f64; 3],
    /// The threshold `below` counts under.
    pub threshold: f64,
    /// Pairs scored under `threshold`.
    pub below: usize,
}

impl ScoreSummary {
    /// Summarises `scores` against `threshold`.
    pub fn of(scorer: &str, scores: &[f64], threshold: f64) -> Self {
        let mut sorted = scores.to_vec();
        sorted.sort_by(f64::total_cmp);
        let rank = |q: f64| {
            if sorted.is_empty() {
                0.0
            } else {
                sorted[((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1]
            }
        };
        ScoreSummary {
            scorer: scorer.to_string(),
            pairs: scores.len(),
            mean: if scores.is_empty() {
                0.0
            } else {
                scores.iter().sum::<f64>() / scores.len() as f64
            },
            quartiles: [rank(0.25), rank(0.5), rank(0.75)],
            threshold,
            below: scores.iter().filter(|&&s| s < threshold).count(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_counts_quartiles_and_scores_under_the_threshold() {
        let s = ScoreSummary::of("m", &[0.9, 0.1, 0.5, 0.7], 0.6);
        assert_eq!(s.pairs, 4);
        assert!((s.mean - 0.55).abs() < 1e-12);
        assert_eq!(s.quartiles, [0.1, 0.5, 0.7]);
        assert_eq!(s.below, 2);
        assert_eq!(ScoreSummary::of("m", &[], 0.6).quartiles, [0.0; 3]);
    }
}
