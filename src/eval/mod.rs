//! Scoring: sacreBLEU-exact BLEU and chrF, alignment precision/recall/F1, and how well a
//! quality score ranks segments ([`rank`]).
//!
//! [`bleu`] and [`chrf`] reproduce sacreBLEU 2.6.0 to the last digit, signatures included
//! (they carry `version:2.6.0`, see [`score::SACREBLEU_VERSION`]); [`align_score`]
//! reproduces Vecalign's `score.py`.

pub mod align_score;
pub mod bleu;
pub mod chrf;
pub mod pystr;
pub mod rank;
pub mod score;
pub mod tokenize;

use std::path::Path;

/// A reference stream whose length differs from the hypotheses'.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineCountError {
    /// No reference stream at all.
    #[error("no references")]
    NoReferences,
    /// Reference stream `index` (0-based) has `refs` lines, the hypotheses `hyps`.
    #[error("reference {index} has {refs} lines but the hypotheses have {hyps}")]
    Mismatch {
        /// Which reference stream.
        index: usize,
        /// Its line count.
        refs: usize,
        /// The hypotheses' line count.
        hyps: usize,
    },
}

impl LineCountError {
    /// Checks that there are references and that each stream has `hyps` lines.
    pub fn check<S>(hyps: usize, refs: &[Vec<S>]) -> Result<(), LineCountError> {
        if refs.is_empty() {
            return Err(LineCountError::NoReferences);
        }
        match refs.iter().position(|r| r.len() != hyps) {
            Some(index) => Err(LineCountError::Mismatch {
                index,
                refs: refs[index].len(),
                hyps,
            }),
            None => Ok(()),
        }
    }
}

/// Reads a UTF-8 text file as sacreBLEU reads hypotheses and references (see
/// [`pystr::lines`]); errors name the file.
pub fn read_lines(path: &Path) -> anyhow::Result<Vec<String>> {
    let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let line = 1 + count_newlines(&e.as_bytes()[..e.utf8_error().valid_up_to()]);
        anyhow::anyhow!("{}: line {line}: not valid UTF-8", path.display())
    })?;
    Ok(pystr::lines(&text))
}

fn count_newlines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

/// Sums per-segment statistics over a corpus, in parallel. `refs` holds reference
/// streams, each as long as `hyps`; `segment` computes one segment's statistics.
pub(crate) fn corpus_stats<S, T>(
    hyps: &[S],
    refs: &[Vec<S>],
    segment: impl Fn(&str, &[&str]) -> T + Sync + Send,
    zero: impl Fn() -> T + Sync + Send,
    add: impl Fn(T, T) -> T + Sync + Send,
) -> Result<T, LineCountError>
where
    S: AsRef<str> + Sync,
    T: Send,
{
    use rayon::prelude::*;
    LineCountError::check(hyps.len(), refs)?;
    Ok((0..hyps.len())
        .into_par_iter()
        .map(|i| {
            let segment_refs: Vec<&str> = refs.iter().map(|r| r[i].as_ref()).collect();
            segment(hyps[i].as_ref(), &segment_refs)
        })
        .reduce(zero, add))
}
