//! A translation model's say on where one bead ends and the next begins. Loose
//! translation (literary dialogue above all) leaves the search unsure which of two
//! neighbouring beads a short sentence belongs to ("'But I—'" after "'I won a dozen
//! taels,' replied Trinket."): lengths fit either way, and a word-level similarity barely
//! moves. The model's log-probability of each bead's target given its source does: moving
//! a sentence across the boundary keeps the same target tokens, so the two groupings'
//! summed log-probabilities compare directly.

use super::search::Span;
use std::collections::HashMap;
use std::ops::Range;

/// The log-probability of each `(source text, target text)` pair under a translation
/// model: the target as the model's answer to the source.
pub type Likelihood<'a> = dyn FnMut(&[(String, String)]) -> anyhow::Result<Vec<f64>> + 'a;

/// A path after [`regroup`], with the model's doubt about each bead.
#[derive(Debug, Clone, PartialEq)]
pub struct Regrouped {
    /// The beads, in the order of the path regrouped.
    pub path: Vec<Span>,
    /// For each bead, the most the model's log-probability (nats, summed over the bead
    /// and a neighbour) would gain from another grouping of a boundary of the bead than
    /// the one kept: negative when the kept one reads best, positive (below the margin)
    /// when a move was not worth making; `None` where no grouping was scored.
    pub doubt: Vec<Option<f64>>,
}

/// The path with single sentences moved across bead boundaries where the model prefers
/// the other grouping by more than `margin` (in nats, summed over both beads). Only
/// neighbouring beads with both sides in order are regrouped; a move keeps at least one
/// sentence on each side of each bead, and may make a bead larger than the search's
/// largest (mac-dev's gold has 1-5 and 1-6 beads). A bead that changed is not
/// reconsidered with its next neighbour (its options were scored before the move).
/// `text` joins a block of sentences of one side.
pub fn regroup(
    mut path: Vec<Span>,
    margin: f64,
    text: &dyn Fn(bool, Range<usize>) -> String,
    likelihood: &mut Likelihood,
) -> anyhow::Result<Regrouped> {
    let choices: Vec<(usize, Vec<(Span, Span)>)> = (1..path.len())
        .filter_map(|k| {
            let options = alternatives(&path[k - 1], &path[k]);
            (!options.is_empty()).then_some((k, options))
        })
        .collect();
    let mut spans: Vec<Span> = Vec::new();
    let mut index: HashMap<Span, usize> = HashMap::new();
    for &(k, ref options) in &choices {
        let current = (path[k - 1].clone(), path[k].clone());
        for (a, b) in std::iter::once(&current).chain(options) {
            for span in [a, b] {
                index.entry(span.clone()).or_insert_with(|| {
                    spans.push(span.clone());
                    spans.len() - 1
                });
            }
        }
    }
    let pairs: Vec<(String, String)> = spans
        .iter()
        .map(|s| (text(true, s.src.clone()), text(false, s.tgt.clone())))
        .collect();
    tracing::info!(
        "regrouping: the engine scores {} beads around {} boundaries",
        pairs.len(),
        choices.len()
    );
    let scores = likelihood(&pairs)?;
    anyhow::ensure!(
        scores.len() == pairs.len(),
        "the model scored {} of {} pairs",
        scores.len(),
        pairs.len()
    );
    let score = |(a, b): &(Span, Span)| scores[index[a]] + scores[index[b]];
    let boundaries = choices.len();
    let mut doubt: Vec<Option<f64>> = vec![None; path.len()];
    let mut changed = usize::MAX;
    let mut moved = 0;
    for (k, options) in choices {
        if changed == k - 1 {
            continue;
        }
        let mut groupings = vec![(path[k - 1].clone(), path[k].clone())];
        groupings.extend(options);
        let sums: Vec<f64> = groupings.iter().map(score).collect();
        // The found grouping starts `margin` ahead; ties keep the earlier grouping.
        let chosen = (1..sums.len()).fold(0, |best, i| {
            let lead = if best == 0 { margin } else { 0.0 };
            if sums[i] > sums[best] + lead {
                i
            } else {
                best
            }
        });
        let rival = (0..sums.len())
            .filter(|&i| i != chosen)
            .map(|i| sums[i] - sums[chosen])
            .fold(f64::NEG_INFINITY, f64::max);
        if chosen == 0 {
            for bead in [k - 1, k] {
                doubt[bead] = Some(doubt[bead].map_or(rival, |d| d.max(rival)));
            }
        } else {
            // What was known of a moved bead's other boundary was about its old shape.
            doubt[k - 1] = Some(rival);
            doubt[k] = Some(rival);
            (path[k - 1], path[k]) = groupings.swap_remove(chosen);
            changed = k;
            moved += 1;
        }
    }
    tracing::info!("regrouping: a sentence moved across {moved} of the {boundaries} boundaries");
    Ok(Regrouped { path, doubt })
}

/// The groupings of two neighbouring beads with one sentence moved across their
/// boundary, on either side.
fn alternatives(a: &Span, b: &Span) -> Vec<(Span, Span)> {
    let in_order = a.src.end == b.src.start && a.tgt.end == b.tgt.start;
    let paired = |s: &Span| !s.src.is_empty() && !s.tgt.is_empty();
    if !in_order || !paired(a) || !paired(b) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for on_src in [true, false] {
        let side = |s: &Span| if on_src { s.src.clone() } else { s.tgt.clone() };
        let with = |s: &Span, r: Range<usize>| {
            if on_src {
                Span {
                    src: r,
                    tgt: s.tgt.clone(),
                }
            } else {
                Span {
                    src: s.src.clone(),
                    tgt: r,
                }
            }
        };
        let (ra, rb) = (side(a), side(b));
        let split = ra.end;
        for boundary in [split - 1, split + 1] {
            if boundary > ra.start && boundary < rb.end {
                out.push((with(a, ra.start..boundary), with(b, boundary..rb.end)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(src: Range<usize>, tgt: Range<usize>) -> Span {
        Span { src, tgt }
    }

    /// A likelihood that rewards beads listed in `right` and charges the rest by size.
    fn likes(
        right: Vec<Span>,
        calls: &mut usize,
    ) -> impl FnMut(&[(String, String)]) -> anyhow::Result<Vec<f64>> + '_ {
        move |pairs: &[(String, String)]| {
            *calls += 1;
            Ok(pairs
                .iter()
                .map(|(s, t)| {
                    let bead = span(parse(s), parse(t));
                    if right.contains(&bead) {
                        0.0
                    } else {
                        -10.0
                    }
                })
                .collect())
        }
    }

    fn parse(text: &str) -> Range<usize> {
        let (a, b) = text.split_once("..").unwrap();
        a.parse().unwrap()..b.parse().unwrap()
    }

    fn text(_: bool, r: Range<usize>) -> String {
        format!("{}..{}", r.start, r.end)
    }

    #[test]
    fn a_sentence_moves_to_the_bead_the_model_prefers() {
        // Target sentence 2 was given to the first bead; the model reads it with the second.
        let path = vec![
            span(0..1, 0..1),
            span(1..2, 1..3),
            span(2..3, 3..4),
            span(3..4, 4..5),
        ];
        let right = vec![
            span(0..1, 0..1),
            span(1..2, 1..2),
            span(2..3, 2..4),
            span(3..4, 4..5),
        ];
        let mut calls = 0;
        let out = regroup(path, 1.0, &text, &mut likes(right.clone(), &mut calls)).unwrap();
        assert_eq!(out.path, right);
        assert_eq!(calls, 1, "every option is scored in one call");
        // Taking target sentence 2 into the first bead would lose 10 nats; the moved beads
        // lose 20 by any other grouping; the last boundary was not looked at again.
        assert_eq!(out.doubt, vec![Some(-10.0), Some(-20.0), Some(-20.0), None]);
    }

    #[test]
    fn nothing_moves_under_the_margin_or_out_of_order() {
        let path = vec![span(0..1, 0..2), span(1..2, 2..3)];
        let right = vec![span(0..1, 0..1), span(1..2, 1..3)];
        let mut calls = 0;
        let out = regroup(path.clone(), 25.0, &text, &mut likes(right.clone(), &mut calls)).unwrap();
        assert_eq!(out.path, path, "a gain of 20 is under a margin of 25");
        assert_eq!(out.doubt, vec![Some(20.0); 2], "the move not made is doubt");
        let crossed = vec![span(0..1, 3..5), span(1..2, 0..1)];
        let out = regroup(crossed.clone(), 0.0, &text, &mut likes(right, &mut calls)).unwrap();
        assert_eq!(out.path, crossed, "beads whose targets cross are left alone");
        assert_eq!(out.doubt, vec![None; 2]);
    }

    #[test]
    fn moves_keep_both_sides_of_every_bead() {
        assert!(alternatives(&span(0..1, 0..1), &span(1..2, 1..2)).is_empty());
        assert!(alternatives(&span(0..1, 0..1), &span(1..1, 1..2)).is_empty());
        assert_eq!(
            alternatives(&span(0..1, 0..3), &span(1..2, 3..4)),
            vec![(span(0..1, 0..2), span(1..2, 2..4))]
        );
        assert_eq!(
            alternatives(&span(0..2, 0..1), &span(2..3, 1..3)),
            vec![
                (span(0..1, 0..1), span(1..3, 1..3)),
                (span(0..2, 0..2), span(2..3, 2..3))
            ]
        );
    }
}
