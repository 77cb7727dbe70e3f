//! Dynamic programming over beads inside a [`Window`]: the highest-scoring sequence of
//! beads that covers both documents in order.

use super::window::{Banded, Window};
use rayon::prelude::*;
use std::ops::Range;

/// A bead: consecutive source sentences paired with consecutive target sentences.
/// Either side may be empty (a sentence with no counterpart).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Span {
    /// Source sentence indices.
    pub src: Range<usize>,
    /// Target sentence indices.
    pub tgt: Range<usize>,
}

/// The bead shapes `(source sentences, target sentences)` with at most `max_bead`
/// sentences in all: 0-1, 1-0 and every m-n with m, n ≥ 1.
pub fn shapes(max_bead: usize) -> Vec<(usize, usize)> {
    let mut out = vec![(0, 1), (1, 0)];
    for a in 1..max_bead {
        for b in 1..=max_bead - a {
            out.push((a, b));
        }
    }
    out
}

/// The best path from `(0, 0)` to the window's last cell, using beads of the given
/// `shapes`, each scored by `score(src, tgt)`. Time and memory are linear in the
/// number of window cells.
pub fn best_path<F>(window: &Window, shapes: &[(usize, usize)], score: F) -> Vec<Span>
where
    F: Fn(Range<usize>, Range<usize>) -> f64 + Sync,
{
    let rows = window.rows();
    let ranges: Vec<Range<usize>> = (0..rows).map(|i| window.columns(i)).collect();
    let mut total = Banded::new(&ranges, f64::NEG_INFINITY);
    let mut back = Banded::new(&ranges, u8::MAX);
    let (vertical, diagonal): (Vec<_>, Vec<_>) = shapes.iter().enumerate().partition(|(_, &(a, _))| a == 0);
    for (i, columns) in ranges.iter().enumerate() {
        // Beads that use source sentences come from earlier rows: score cells in parallel.
        let from_above: Vec<(f64, u8)> = columns
            .clone()
            .into_par_iter()
            .map(|j| {
                if i == 0 && j == 0 {
                    return (0.0, u8::MAX);
                }
                let mut best = (f64::NEG_INFINITY, u8::MAX);
                for &(k, &(a, b)) in &diagonal {
                    if a > i || b > j {
                        continue;
                    }
                    let Some(&prev) = total.get(i - a, j - b) else {
                        continue;
                    };
                    if prev == f64::NEG_INFINITY {
                        continue;
                    }
                    let s = prev + score(i - a..i, j - b..j);
                    if s > best.0 {
                        best = (s, k as u8);
                    }
                }
                best
            })
            .collect();
        // Beads with no source sentence stay in this row: a left-to-right sweep.
        let (first, row) = total.row_mut(i);
        let (_, row_back) = back.row_mut(i);
        for (c, (s, k)) in from_above.into_iter().enumerate() {
            row[c] = s;
            row_back[c] = k;
            let j = first + c;
            for &(k, &(_, b)) in &vertical {
                if c >= b && row[c - b] > f64::NEG_INFINITY {
                    let s = row[c - b] + score(i..i, j - b..j);
                    if s > row[c] {
                        row[c] = s;
                        row_back[c] = k as u8;
                    }
                }
            }
        }
    }
    let (mut i, mut j) = (rows - 1, ranges[rows - 1].end - 1);
    let mut path = Vec::new();
    while let Some(&k) = back.get(i, j) {
        let Some(&(a, b)) = shapes.get(k as usize) else {
            break;
        };
        path.push(Span {
            src: i - a..i,
            tgt: j - b..j,
        });
        (i, j) = (i - a, j - b);
    }
    path.reverse();
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_up_to_five_sentences() {
        let s = shapes(5);
        assert_eq!(s.len(), 12);
        assert!(s.contains(&(1, 4)) && s.contains(&(4, 1)) && s.contains(&(2, 3)));
        assert!(!s.contains(&(3, 3)) && !s.contains(&(0, 0)));
    }

    #[test]
    fn finds_the_planted_path_and_covers_every_sentence() {
        // Gold: [0]:[0,1]  [1]:[]  [2,3]:[2]  []:[3]  [4]:[4]
        let gold = [
            Span { src: 0..1, tgt: 0..2 },
            Span { src: 1..2, tgt: 2..2 },
            Span { src: 2..4, tgt: 2..3 },
            Span { src: 4..4, tgt: 3..4 },
            Span { src: 4..5, tgt: 4..5 },
        ];
        let window = Window::band(&[1; 5], &[1; 5], 5);
        let path = best_path(&window, &shapes(5), |s, t| {
            if gold.iter().any(|g| g.src == s && g.tgt == t) {
                1.0
            } else {
                -1.0
            }
        });
        assert_eq!(path, gold);
    }

    #[test]
    fn a_narrow_window_still_yields_a_complete_path() {
        let window = Window::band(&[1; 3], &[1; 40], 1);
        let path = best_path(&window, &shapes(3), |s, t| -((s.len() + t.len()) as f64));
        assert_eq!(path.first().map(|p| (p.src.start, p.tgt.start)), Some((0, 0)));
        let last = path.last().unwrap();
        assert_eq!((last.src.end, last.tgt.end), (3, 40));
        for w in path.windows(2) {
            assert_eq!((w[0].src.end, w[0].tgt.end), (w[1].src.start, w[1].tgt.start));
        }
    }
}
