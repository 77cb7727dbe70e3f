//! Alignment scoring equal to Vecalign's `score.py` (`score_multiple`, Thompson & Koehn,
//! 2019), the strict and lax precision, recall and F1 that Vecalign, Bertalign and the MAC
//! benchmark report.
//!
//! An alignment is a list of beads, one per line, written `[0,1]:[0]`: source sentence
//! indices, a colon, target sentence indices, and optionally a third field (Vecalign's bead
//! cost) that scoring ignores. Either side may be empty (`[3]:[]` is a deletion). Scoring
//! follows `score.py` to the letter:
//! - beads are compared as sets (a bead listed twice counts once); `[]:[]` is ignored;
//! - a test bead is a **strict** hit when the same bead is in the gold alignment;
//! - otherwise it is a **lax** hit when one of its source sentences is aligned in gold to one
//!   of its target sentences (so `[3]:[]` can only be a strict hit);
//! - precision counts hits among all test beads; recall counts hits among the gold beads
//!   with the same function and the roles swapped, after dropping every bead with an empty
//!   side (insertions and deletions) from both alignments;
//! - counts are summed over all documents before the ratios are taken, and a 0/0 ratio is 0.

use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// One alignment bead: the source sentences (by index) that translate the target sentences.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bead {
    /// Indices of the source sentences, in document order.
    pub src: Vec<usize>,
    /// Indices of the target sentences, in document order.
    pub tgt: Vec<usize>,
}

impl std::fmt::Display for Bead {
    /// Writes the bead as `[0,1]:[0]`, the format [`parse_beads`] reads.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let join = |ids: &[usize]| ids.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
        write!(f, "[{}]:[{}]", join(&self.src), join(&self.tgt))
    }
}

/// A line that is not a bead.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: expected a bead like `[0,1]:[2]`, found `{text}`")]
pub struct BeadError {
    /// 1-based line number.
    pub line: usize,
    /// The offending line, trimmed.
    pub text: String,
}

/// Parses an alignment file's text: one `[ids]:[ids]` bead per line, optionally followed by
/// `:cost` as Vecalign writes it; blank lines are skipped.
pub fn parse_beads(text: &str) -> Result<Vec<Bead>, BeadError> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            parse_bead(line).ok_or_else(|| BeadError {
                line: i + 1,
                text: line.trim().to_string(),
            })
        })
        .collect()
}

fn parse_bead(line: &str) -> Option<Bead> {
    let mut fields = line.splitn(3, ':');
    let (src, tgt) = (fields.next()?, fields.next()?);
    if let Some(cost) = fields.next() {
        cost.trim().parse::<f64>().ok()?;
    }
    Some(Bead {
        src: parse_ids(src)?,
        tgt: parse_ids(tgt)?,
    })
}

/// Parses `[1, 2]` or `[]`.
fn parse_ids(field: &str) -> Option<Vec<usize>> {
    let inner = field.trim().strip_prefix('[')?.strip_suffix(']')?;
    if inner.trim().is_empty() {
        return Some(Vec::new());
    }
    inner.split(',').map(|id| id.trim().parse().ok()).collect()
}

/// Reads the beads of an alignment file; errors name the file and the line.
pub fn read_beads(path: &Path) -> anyhow::Result<Vec<Bead>> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    parse_beads(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Hit counts of one side (precision or recall), as `score.py` accumulates them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Beads found exactly in the other alignment.
    pub tp_strict: usize,
    /// Beads not found exactly.
    pub fp_strict: usize,
    /// Beads found exactly or overlapping on both sides.
    pub tp_lax: usize,
    /// Beads with no overlap at all.
    pub fp_lax: usize,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.tp_strict += other.tp_strict;
        self.fp_strict += other.fp_strict;
        self.tp_lax += other.tp_lax;
        self.fp_lax += other.fp_lax;
    }
}

impl Counts {
    /// Strict hits over all beads (0 when there are none).
    pub fn strict(&self) -> f64 {
        ratio(self.tp_strict, self.tp_strict + self.fp_strict)
    }

    /// Lax hits over all beads (0 when there are none).
    pub fn lax(&self) -> f64 {
        ratio(self.tp_lax, self.tp_lax + self.fp_lax)
    }
}

fn ratio(hits: usize, all: usize) -> f64 {
    if all == 0 {
        0.0
    } else {
        hits as f64 / all as f64
    }
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * (p * r) / (p + r)
    }
}

/// Counts how many `test` beads are strict and lax hits against `gold`: the precision
/// counts of `score.py` (its `_precision`).
pub fn hit_counts(gold: &[Bead], test: &[Bead]) -> Counts {
    count_hits(gold.iter(), test.iter())
}

/// Counts how many `gold` beads are strict and lax hits against `test`, insertions and
/// deletions left out of both: the recall counts of `score.py`'s `score_multiple`.
pub fn recall_counts(gold: &[Bead], test: &[Bead]) -> Counts {
    let link = |b: &&Bead| !b.src.is_empty() && !b.tgt.is_empty();
    count_hits(test.iter().filter(link), gold.iter().filter(link))
}

/// How many `test` beads hit `gold`, strictly and laxly.
fn count_hits<'a>(gold: impl Iterator<Item = &'a Bead>, test: impl Iterator<Item = &'a Bead>) -> Counts {
    let non_empty = |b: &&Bead| !(b.src.is_empty() && b.tgt.is_empty());
    let gold: HashSet<&Bead> = gold.filter(non_empty).collect();
    let test: HashSet<&Bead> = test.filter(non_empty).collect();

    // Which target sentences each source sentence is aligned to in gold.
    let mut gold_links: HashMap<usize, HashSet<usize>> = HashMap::new();
    for bead in &gold {
        for &s in &bead.src {
            gold_links.entry(s).or_default().extend(&bead.tgt);
        }
    }

    let mut counts = Counts::default();
    for bead in test {
        if gold.contains(bead) {
            counts.tp_strict += 1;
            counts.tp_lax += 1;
            continue;
        }
        counts.fp_strict += 1;
        let overlaps = bead.src.iter().any(|s| {
            gold_links
                .get(s)
                .is_some_and(|tgts| bead.tgt.iter().any(|t| tgts.contains(t)))
        });
        if overlaps {
            counts.tp_lax += 1;
        } else {
            counts.fp_lax += 1;
        }
    }
    counts
}

/// Strict and lax precision, recall and F1 over a set of documents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct AlignScores {
    /// Hits among the test beads.
    pub precision_counts: Counts,
    /// Hits among the gold beads.
    pub recall_counts: Counts,
    /// Strict precision.
    pub precision_strict: f64,
    /// Strict recall.
    pub recall_strict: f64,
    /// Strict F1.
    pub f1_strict: f64,
    /// Lax precision.
    pub precision_lax: f64,
    /// Lax recall.
    pub recall_lax: f64,
    /// Lax F1.
    pub f1_lax: f64,
}

impl AlignScores {
    /// Scores from counts summed over documents.
    pub fn from_counts(precision_counts: Counts, recall_counts: Counts) -> Self {
        let (ps, pl) = (precision_counts.strict(), precision_counts.lax());
        let (rs, rl) = (recall_counts.strict(), recall_counts.lax());
        AlignScores {
            precision_counts,
            recall_counts,
            precision_strict: ps,
            recall_strict: rs,
            f1_strict: f1(ps, rs),
            precision_lax: pl,
            recall_lax: rl,
            f1_lax: f1(pl, rl),
        }
    }

    /// The table `score.py` prints, three decimals.
    pub fn table(&self) -> String {
        format!(
            " ---------------------------------\n\
             |             |  Strict |    Lax  |\n\
             | Precision   |   {:.3} |   {:.3} |\n\
             | Recall      |   {:.3} |   {:.3} |\n\
             | F1          |   {:.3} |   {:.3} |\n \
             ---------------------------------",
            self.precision_strict,
            self.precision_lax,
            self.recall_strict,
            self.recall_lax,
            self.f1_strict,
            self.f1_lax
        )
    }
}

/// Scores `(gold, test)` alignments of several documents together (`score.py`'s
/// `score_multiple`): counts are summed over documents, then turned into ratios.
pub fn score_documents<'a>(docs: impl IntoIterator<Item = (&'a [Bead], &'a [Bead])>) -> AlignScores {
    let mut precision = Counts::default();
    let mut recall = Counts::default();
    for (gold, test) in docs {
        precision += hit_counts(gold, test);
        recall += recall_counts(gold, test);
    }
    AlignScores::from_counts(precision, recall)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beads(text: &str) -> Vec<Bead> {
        parse_beads(text).unwrap()
    }

    #[test]
    fn reads_vecalign_beads_with_empty_sides_and_spaces() {
        let got = beads("[0,1]:[0]\n[2]:[]\n\n[ ]:[1, 2]\n");
        assert_eq!(
            got,
            vec![
                Bead {
                    src: vec![0, 1],
                    tgt: vec![0]
                },
                Bead {
                    src: vec![2],
                    tgt: vec![]
                },
                Bead {
                    src: vec![],
                    tgt: vec![1, 2]
                },
            ]
        );
        assert_eq!(got[0].to_string(), "[0,1]:[0]");
        assert_eq!(got[1].to_string(), "[2]:[]");
    }

    #[test]
    fn bad_bead_line_is_reported_with_its_number() {
        let err = parse_beads("[0]:[0]\n[1]-[1]\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert_eq!(
            err.to_string(),
            "line 2: expected a bead like `[0,1]:[2]`, found `[1]-[1]`"
        );
        assert!(parse_beads("[a]:[0]").is_err());
        assert!(parse_beads("[0]:[0").is_err());
    }

    #[test]
    fn identical_alignment_scores_one() {
        let gold = beads("[0]:[0]\n[1,2]:[1]\n[3]:[]\n");
        let s = score_documents([(&gold[..], &gold[..])]);
        assert_eq!(
            (s.precision_strict, s.recall_strict, s.f1_strict),
            (1.0, 1.0, 1.0)
        );
        assert_eq!((s.precision_lax, s.recall_lax, s.f1_lax), (1.0, 1.0, 1.0));
    }

    /// Worked by hand from `score.py`'s definitions.
    #[test]
    fn strict_and_lax_hits_follow_score_py() {
        let gold = beads("[0]:[0]\n[1,2]:[1]\n[3]:[2]\n[4]:[]\n");
        let test = beads("[0]:[0]\n[1]:[1]\n[2]:[]\n[3]:[2,3]\n[4]:[]\n[]:[]\n");
        // Test beads: [0]:[0] and [4]:[] strict; [1]:[1] and [3]:[2,3] overlap gold on both
        // sides (lax); [2]:[] has no target, so no overlap.
        assert_eq!(
            hit_counts(&gold, &test),
            Counts {
                tp_strict: 2,
                fp_strict: 3,
                tp_lax: 4,
                fp_lax: 1
            }
        );
        // Recall leaves out beads with an empty side: gold [0]:[0] is strict; [1,2]:[1]
        // overlaps test [1]:[1]; [3]:[2] overlaps test [3]:[2,3].
        assert_eq!(
            recall_counts(&gold, &test),
            Counts {
                tp_strict: 1,
                fp_strict: 2,
                tp_lax: 3,
                fp_lax: 0
            }
        );
        let s = score_documents([(&gold[..], &test[..])]);
        assert_eq!(s.precision_strict, 2.0 / 5.0);
        assert_eq!(s.recall_strict, 1.0 / 3.0);
        assert_eq!(s.f1_strict, 2.0 * (0.4 * (1.0 / 3.0)) / (0.4 + 1.0 / 3.0));
        assert_eq!(s.precision_lax, 4.0 / 5.0);
        assert_eq!(s.recall_lax, 1.0);
    }

    #[test]
    fn recall_ignores_insertions_and_deletions_on_both_sides() {
        // The test misses the gold deletion and adds an insertion: recall does not see
        // either, precision counts the insertion as a miss.
        let gold = beads("[0]:[0]\n[1]:[]\n[2]:[1]\n");
        let test = beads("[0]:[0]\n[1,2]:[1]\n[]:[2]\n");
        let s = score_documents([(&gold[..], &test[..])]);
        assert_eq!((s.recall_strict, s.recall_lax), (1.0 / 2.0, 1.0));
        assert_eq!((s.precision_strict, s.precision_lax), (1.0 / 3.0, 2.0 / 3.0));
        // A deletion both alignments share is a precision hit and nothing for recall.
        let gold = beads("[0]:[]\n");
        let s = score_documents([(&gold[..], &gold[..])]);
        assert_eq!(
            (s.precision_strict, s.recall_strict, s.f1_strict),
            (1.0, 0.0, 0.0)
        );
    }

    #[test]
    fn vecalign_bead_costs_are_read_and_ignored() {
        assert_eq!(beads("[0]:[1]:0.123456\n"), beads("[0]:[1]\n"));
        assert!(parse_beads("[0]:[1]:x").is_err());
    }

    #[test]
    fn counts_are_summed_over_documents_before_ratios() {
        let gold_a = beads("[0]:[0]\n");
        let gold_b = beads("[0]:[0]\n[1]:[1]\n[2]:[2]\n");
        let test_b = beads("[0,1]:[0,1]\n[2]:[2]\n");
        let s = score_documents([(&gold_a[..], &gold_a[..]), (&gold_b[..], &test_b[..])]);
        // Precision: 1/1 + 1/2 -> 2/3 (a mean of ratios would say 3/4).
        assert_eq!(s.precision_strict, 2.0 / 3.0);
        assert_eq!(s.recall_strict, 2.0 / 4.0);
    }

    #[test]
    fn empty_alignments_score_zero_not_nan() {
        let s = score_documents([(&[][..], &[][..])]);
        assert_eq!((s.precision_strict, s.recall_lax, s.f1_strict), (0.0, 0.0, 0.0));
    }
}
