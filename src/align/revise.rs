//! A second look at the bead search's path, for documents edited between their two
//! editions (news sites drop, add and move sentences). A monotone search cannot pair a
//! moved passage: it leaves its sentences unaligned on both sides, or glues one to a
//! neighbouring bead. This pass pairs them out of order ([`pair_moved`]).
//!
//! Similarities are read on one scale per document ([`Scaled`]): 0 is the median
//! similarity of a sentence to the sentence two places from its partner (related news,
//! not a translation), 1 the median similarity of the path's 1-1 beads.

use super::search::Span;
use std::ops::Range;

/// A similarity of a block of source sentences and a block of target sentences.
pub type Similarity<'a> = &'a (dyn Fn(Range<usize>, Range<usize>) -> f64 + Sync);

/// Similarities on the document's scale, averaged over the signals.
pub struct Scaled<'a> {
    /// Each signal with its `(unrelated, aligned)` medians.
    terms: Vec<(Similarity<'a>, f64, f64)>,
}

impl<'a> Scaled<'a> {
    /// Scales `sims` on the 1-1 beads of `path` (`m` target sentences). Signals that do
    /// not tell aligned from unrelated sentences there are dropped; `None` when none is left.
    pub fn new(path: &[Span], m: usize, sims: &[Similarity<'a>]) -> Option<Self> {
        let terms: Vec<_> = sims
            .iter()
            .filter_map(|&sim| {
                let (u, a) = medians(path, m, sim)?;
                Some((sim, u, a))
            })
            .collect();
        (!terms.is_empty()).then_some(Scaled { terms })
    }

    /// The mean scaled similarity of the two blocks.
    pub fn get(&self, src: Range<usize>, tgt: Range<usize>) -> f64 {
        self.terms
            .iter()
            .map(|(sim, u, a)| (sim(src.clone(), tgt.clone()) - u) / (a - u))
            .sum::<f64>()
            / self.terms.len() as f64
    }
}

fn one_to_one(path: &[Span]) -> impl Iterator<Item = &Span> {
    path.iter().filter(|b| b.src.len() == 1 && b.tgt.len() == 1)
}

/// `(unrelated, aligned)` medians of one similarity, or `None` with fewer than three
/// 1-1 beads or when the two do not differ.
fn medians(path: &[Span], m: usize, sim: Similarity) -> Option<(f64, f64)> {
    let mut aligned = Vec::new();
    let mut unrelated = Vec::new();
    for span in one_to_one(path) {
        let (s, t) = (span.src.start, span.tgt.start);
        aligned.push(sim(s..s + 1, t..t + 1));
        unrelated.extend(
            [t.checked_sub(2), Some(t + 2).filter(|&u| u < m)]
                .into_iter()
                .flatten()
                .map(|u| sim(s..s + 1, u..u + 1)),
        );
    }
    if aligned.len() < 3 || unrelated.is_empty() {
        return None;
    }
    let (a, u) = (median(&mut aligned), median(&mut unrelated));
    (a > u).then_some((u, a))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// How much of a sentence's content a block on the other side shares: `coverage(src,
/// tgt, true)` for a source sentence `src`, `false` for a target sentence `tgt`.
pub type Coverage<'a> = &'a dyn Fn(Range<usize>, Range<usize>, bool) -> f64;

/// `path` with every end sentence of a merged bead side split off as unaligned while it
/// matches the bead's other side below `threshold` (scaled) and shares less than
/// `covered` of its content with it, weakest first. A sentence a translator merged
/// shares its content however loosely it was translated; one glued there shares none.
pub fn split_glued(
    mut path: Vec<Span>,
    scaled: &Scaled,
    coverage: Coverage,
    threshold: f64,
    covered: f64,
) -> Vec<Span> {
    loop {
        let weakest = path
            .iter()
            .enumerate()
            .filter(|(_, b)| !b.src.is_empty() && !b.tgt.is_empty())
            .flat_map(|(k, b)| {
                let src = ends(&b.src).into_iter().map(move |s| (k, s, true));
                let tgt = ends(&b.tgt).into_iter().map(move |t| (k, t, false));
                src.chain(tgt)
            })
            .filter_map(|(k, x, is_src)| {
                let b = &path[k];
                let (s, t) = if is_src {
                    (x..x + 1, b.tgt.clone())
                } else {
                    (b.src.clone(), x..x + 1)
                };
                let v = scaled.get(s.clone(), t.clone());
                (v < threshold && coverage(s, t, is_src) < covered).then_some((v, k, x, is_src))
            })
            .min_by(|a, b| a.0.total_cmp(&b.0));
        let Some((_, k, x, is_src)) = weakest else {
            return path;
        };
        let glued = Candidate {
            sentence: x,
            glued_to: Some(k),
        };
        path = unglued(path, &[(glued, is_src)]);
    }
}

/// A sentence that may belong to a moved passage.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Candidate {
    /// Its index on its side.
    sentence: usize,
    /// The bead of the path it is the first or last sentence of, or `None` when it is
    /// unaligned.
    glued_to: Option<usize>,
}

/// Either side's candidates: every unaligned sentence, and the first and last sentence
/// of a bead's merged side when it matches the bead's other side below `glued`.
fn candidates(path: &[Span], scaled: &Scaled, glued: f64) -> (Vec<Candidate>, Vec<Candidate>) {
    let (mut src, mut tgt) = (Vec::new(), Vec::new());
    let lone = |sentence| Candidate {
        sentence,
        glued_to: None,
    };
    for (k, span) in path.iter().enumerate() {
        if span.tgt.is_empty() {
            src.extend(span.src.clone().map(lone));
        } else if span.src.is_empty() {
            tgt.extend(span.tgt.clone().map(lone));
        } else if span.src.len() == 1 && span.tgt.len() == 1 {
            // A 1-1 bead that matches this poorly may pair a moved sentence with a
            // stranger that took its place.
            if scaled.get(span.src.clone(), span.tgt.clone()) < glued {
                let glued_to = Some(k);
                src.push(Candidate {
                    sentence: span.src.start,
                    glued_to,
                });
                tgt.push(Candidate {
                    sentence: span.tgt.start,
                    glued_to,
                });
            }
        } else {
            let glued_to = Some(k);
            for s in ends(&span.src) {
                if scaled.get(s..s + 1, span.tgt.clone()) < glued {
                    src.push(Candidate {
                        sentence: s,
                        glued_to,
                    });
                }
            }
            for t in ends(&span.tgt) {
                if scaled.get(span.src.clone(), t..t + 1) < glued {
                    tgt.push(Candidate {
                        sentence: t,
                        glued_to,
                    });
                }
            }
        }
    }
    src.sort_by_key(|c| c.sentence);
    tgt.sort_by_key(|c| c.sentence);
    (src, tgt)
}

/// The first and last sentence of a range of two or more.
fn ends(r: &Range<usize>) -> Vec<usize> {
    if r.len() > 1 {
        vec![r.start, r.end - 1]
    } else {
        Vec::new()
    }
}

/// Pairs of candidates that are each other's best match among the candidates and reach
/// `threshold`.
fn mutual_best(src: &[Candidate], tgt: &[Candidate], scaled: &Scaled, threshold: f64) -> Vec<(usize, usize)> {
    let table: Vec<Vec<f64>> = src
        .iter()
        .map(|a| {
            tgt.iter()
                .map(|b| scaled.get(a.sentence..a.sentence + 1, b.sentence..b.sentence + 1))
                .collect()
        })
        .collect();
    (0..src.len())
        .filter_map(|i| {
            let j = argmax(table[i].iter().copied())?;
            (argmax(table.iter().map(|row| row[j])) == Some(i) && table[i][j] >= threshold).then_some((i, j))
        })
        .collect()
}

fn argmax(values: impl Iterator<Item = f64>) -> Option<usize> {
    values
        .enumerate()
        .fold(None, |best: Option<(usize, f64)>, (i, v)| match best {
            Some((_, b)) if b >= v => best,
            _ => Some((i, v)),
        })
        .map(|(i, _)| i)
}

/// `path` with the sentences of moved passages paired out of order: sentences that the
/// search left unaligned, or glued to the edge of a bead whose other side they match
/// below `glued`, are paired one to one when they are each other's best match among
/// them and reach `threshold` (both on the `scaled` scale). A glued sentence so paired
/// leaves its bead. Each pair takes the place of its source sentence, so beads stay in
/// source order (targets cross).
pub fn pair_moved(mut path: Vec<Span>, scaled: &Scaled, glued: f64, threshold: f64) -> Vec<Span> {
    let pairs = loop {
        let (src, tgt) = candidates(&path, scaled, glued);
        // A glued sentence leaves its bead only for an unaligned partner across an
        // aligned bead: nearer, its bead's boundary is the search's own choice; two glued
        // sentences matching across a literary chapter are more often alike than moved
        // (mac-dev MT + length strict F1 0.864 → 0.858 when they may pair).
        let bead_of = |c: &Candidate, is_src: bool| {
            c.glued_to.unwrap_or_else(|| {
                path.iter()
                    .position(|b| {
                        if is_src {
                            b.src.contains(&c.sentence)
                        } else {
                            b.tgt.contains(&c.sentence)
                        }
                    })
                    .unwrap_or(0)
            })
        };
        let across = |a: usize, b: usize| {
            path[a.min(b) + 1..a.max(b)]
                .iter()
                .any(|b| !b.src.is_empty() && !b.tgt.is_empty())
        };
        let pairs: Vec<_> = mutual_best(&src, &tgt, scaled, threshold)
            .into_iter()
            .filter(|&(i, j)| {
                let (a, b) = (&src[i], &tgt[j]);
                match (a.glued_to, b.glued_to) {
                    (None, None) => true,
                    (Some(_), Some(_)) => false,
                    _ => across(bead_of(a, true), bead_of(b, false)),
                }
            })
            .collect();
        let unglue: Vec<(Candidate, bool)> = pairs
            .iter()
            .flat_map(|&(i, j)| [(src[i], true), (tgt[j], false)])
            .filter(|(c, _)| c.glued_to.is_some())
            .collect();
        let beads = path.len();
        if !unglue.is_empty() {
            path = unglued(path, &unglue);
            if path.len() > beads {
                continue;
            }
        }
        // Only pairs of unaligned sentences are left (or glued ones that cannot leave).
        break pairs
            .into_iter()
            .filter(|&(i, j)| src[i].glued_to.is_none() && tgt[j].glued_to.is_none())
            .map(|(i, j)| (src[i].sentence, tgt[j].sentence))
            .collect::<Vec<_>>();
    };
    let partner = |s: usize| pairs.iter().find(|p| p.0 == s).map(|p| p.1);
    let paired_tgt = |t: usize| pairs.iter().any(|p| p.1 == t);
    let mut out = Vec::with_capacity(path.len());
    for span in path {
        if span.tgt.is_empty() {
            for s in span.src {
                let tgt = partner(s).map_or(span.tgt.clone(), |t| t..t + 1);
                out.push(Span { src: s..s + 1, tgt });
            }
        } else if span.src.is_empty() {
            let src = span.src.clone();
            out.extend(span.tgt.filter(|&t| !paired_tgt(t)).map(|t| Span {
                src: src.clone(),
                tgt: t..t + 1,
            }));
        } else {
            out.push(span);
        }
    }
    out
}

/// `path` with each glued candidate taken off the edge of its bead and left unaligned
/// (`true`: a source sentence), next to the bead on its side.
fn unglued(path: Vec<Span>, unglue: &[(Candidate, bool)]) -> Vec<Span> {
    let mut out = Vec::with_capacity(path.len() + unglue.len());
    for (k, mut span) in path.into_iter().enumerate() {
        let (mut before, mut after) = (Vec::new(), Vec::new());
        for &(c, is_src) in unglue.iter().filter(|(c, _)| c.glued_to == Some(k)) {
            let (own, other) = if is_src {
                (&mut span.src, &span.tgt)
            } else {
                (&mut span.tgt, &span.src)
            };
            let at_start = c.sentence == own.start;
            let lone_other = if at_start {
                other.start..other.start
            } else {
                other.end..other.end
            };
            if own.start == own.end || !(at_start || c.sentence + 1 == own.end) {
                continue;
            }
            if at_start {
                own.start += 1;
            } else {
                own.end -= 1;
            }
            let s = c.sentence..c.sentence + 1;
            let lone = if is_src {
                Span {
                    src: s,
                    tgt: lone_other,
                }
            } else {
                Span {
                    src: lone_other,
                    tgt: s,
                }
            };
            if at_start {
                before.push(lone);
            } else {
                after.push(lone);
            }
        }
        out.extend(before);
        out.push(span);
        out.extend(after);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(src: Range<usize>, tgt: Range<usize>) -> Span {
        Span { src, tgt }
    }

    /// 1.0 for a block that holds a translation pair of `pairs`, 0.1 otherwise.
    fn similarity(pairs: &'static [(usize, usize)]) -> impl Fn(Range<usize>, Range<usize>) -> f64 + Sync {
        move |s: Range<usize>, t: Range<usize>| {
            let hit = pairs.iter().any(|(a, b)| s.contains(a) && t.contains(b));
            if hit {
                1.0
            } else {
                0.1
            }
        }
    }

    /// The beads [`pair_moved`] makes of `path` (`m` target sentences), the thresholds
    /// at their defaults.
    fn paired(
        pairs: &'static [(usize, usize)],
        path: Vec<Span>,
        m: usize,
    ) -> Vec<(Range<usize>, Range<usize>)> {
        let sim = similarity(pairs);
        let scaled = Scaled::new(&path, m, &[&sim]).unwrap();
        pair_moved(path, &scaled, 0.3, 0.5)
            .into_iter()
            .map(|b| (b.src, b.tgt))
            .collect()
    }

    #[test]
    fn a_moved_passage_left_unaligned_is_paired_out_of_order() {
        // Source 2-3 moved to the end of the target.
        static PAIRS: [(usize, usize); 6] = [(0, 0), (1, 1), (2, 4), (3, 5), (4, 2), (5, 3)];
        let path = vec![
            span(0..1, 0..1),
            span(1..2, 1..2),
            span(2..3, 2..2),
            span(3..4, 2..2),
            span(4..5, 2..3),
            span(5..6, 3..4),
            span(6..6, 4..5),
            span(6..6, 5..6),
        ];
        assert_eq!(
            paired(&PAIRS, path, 6),
            vec![
                (0..1, 0..1),
                (1..2, 1..2),
                (2..3, 4..5),
                (3..4, 5..6),
                (4..5, 2..3),
                (5..6, 3..4)
            ]
        );
    }

    #[test]
    fn a_moved_sentence_glued_to_a_bead_leaves_it_for_its_partner() {
        // Target 3 is the translation of source 5, glued to bead [2]:[2,3].
        static PAIRS: [(usize, usize); 6] = [(0, 0), (1, 1), (2, 2), (3, 4), (4, 5), (5, 3)];
        let path = vec![
            span(0..1, 0..1),
            span(1..2, 1..2),
            span(2..3, 2..4),
            span(3..4, 4..5),
            span(4..5, 5..6),
            span(5..6, 6..6),
        ];
        assert_eq!(
            paired(&PAIRS, path, 6),
            vec![
                (0..1, 0..1),
                (1..2, 1..2),
                (2..3, 2..3),
                (3..4, 4..5),
                (4..5, 5..6),
                (5..6, 3..4)
            ]
        );
    }

    #[test]
    fn sentences_that_match_nothing_stay_unaligned() {
        static PAIRS: [(usize, usize); 3] = [(0, 0), (1, 1), (3, 3)];
        let path = vec![
            span(0..1, 0..1),
            span(1..2, 1..2),
            span(2..3, 2..2),
            span(3..3, 2..3),
            span(3..4, 3..4),
        ];
        let expected: Vec<_> = path.iter().map(|b| (b.src.clone(), b.tgt.clone())).collect();
        assert_eq!(paired(&PAIRS, path, 4), expected);
    }

    #[test]
    fn a_glued_sentence_that_shares_nothing_is_split_off_and_a_merged_one_stays() {
        // Target 2 was inserted and glued to [1]:[1,2]; [3]:[4,5] is a real 1-2 merge
        // whose second half matches poorly but shares content.
        static PAIRS: [(usize, usize); 5] = [(0, 0), (1, 1), (2, 3), (3, 4), (4, 6)];
        let sim = similarity(&PAIRS);
        let path = vec![
            span(0..1, 0..1),
            span(1..2, 1..3),
            span(2..3, 3..4),
            span(3..4, 4..6),
            span(4..5, 6..7),
        ];
        let scaled = Scaled::new(&path, 7, &[&sim]).unwrap();
        let coverage = |_: Range<usize>, t: Range<usize>, _: bool| if t == (2..3) { 0.0 } else { 0.4 };
        let split = split_glued(path, &scaled, &coverage, 0.2, 0.03);
        let got: Vec<_> = split.into_iter().map(|b| (b.src, b.tgt)).collect();
        assert_eq!(
            got,
            vec![
                (0..1, 0..1),
                (1..2, 1..2),
                (2..2, 2..3),
                (2..3, 3..4),
                (3..4, 4..6),
                (4..5, 6..7)
            ]
        );
    }
}
