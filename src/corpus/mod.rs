//! Parallel corpora: the sentence pair record and its file formats.

use crate::text::Lang;
use serde::{Deserialize, Serialize};

/// One aligned sentence pair, as every corpus format stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentencePair {
    /// Document id (usually the article's relative path or stem).
    pub doc: String,
    /// Language of `src`.
    pub src_lang: Lang,
    /// Language of `tgt`.
    pub tgt_lang: Lang,
    /// Source text (one sentence, or several joined by a space for merged beads).
    pub src: String,
    /// Target text.
    pub tgt: String,
    /// Indices of the source sentences in their document.
    pub src_ids: Vec<usize>,
    /// Indices of the target sentences in their document.
    pub tgt_ids: Vec<usize>,
    /// Alignment or translation score, when one is known.
    pub score: Option<f64>,
}

use std::path::Path;

/// A corpus file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `src<TAB>tgt[<TAB>score]` lines.
    Tsv,
    /// One JSON object per line with document id, languages, texts, sentence ids and score.
    Jsonl,
    /// TMX 1.4b translation memory.
    Tmx,
    /// Two line-aligned plain files, `PATH.en` and `PATH.zh`.
    Moses,
}

/// Writes `pairs` to `path` in `format`, atomically. For Moses, `path` is the stem.
pub fn write_corpus(path: &Path, format: Format, pairs: &[SentencePair]) -> anyhow::Result<()> {
    let _ = (path, format, pairs);
    anyhow::bail!("corpus writers are not built yet")
}

/// Reads the pairs stored at `path` in `format`. For Moses, `path` is the stem.
pub fn read_corpus(path: &Path, format: Format) -> anyhow::Result<Vec<SentencePair>> {
    let _ = (path, format);
    anyhow::bail!("corpus readers are not built yet")
}
