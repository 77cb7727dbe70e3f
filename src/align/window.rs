//! The part of the alignment grid the search may visit, kept narrow so that time and
//! memory grow linearly with document length.
//!
//! Grid row `i` means "the first `i` source sentences are aligned", column `j` the same
//! for target sentences; row `i` may visit columns `lo[i]..=hi[i]`.

use std::ops::Range;

/// Per-row column bounds over the `(n + 1) × (m + 1)` grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    lo: Vec<usize>,
    hi: Vec<usize>,
    cols: usize,
}

impl Window {
    /// A band of `half_width` columns on each side of the diagonal that the cumulative
    /// sentence lengths suggest (the point where both sides have used the same share of
    /// their characters).
    pub fn band(src_lens: &[usize], tgt_lens: &[usize], half_width: usize) -> Self {
        let m = tgt_lens.len();
        let share = |lens: &[usize]| -> Vec<f64> {
            let total = lens.iter().sum::<usize>().max(1) as f64;
            let mut acc = 0usize;
            let mut out = vec![0.0];
            for &l in lens {
                acc += l;
                out.push(acc as f64 / total);
            }
            out
        };
        let src_share = share(src_lens);
        let tgt_share = share(tgt_lens);
        let mut j = 0;
        let (mut lo, mut hi) = (Vec::new(), Vec::new());
        for &s in &src_share {
            while j < m && tgt_share[j + 1] <= s {
                j += 1;
            }
            lo.push(j.saturating_sub(half_width));
            hi.push((j + half_width).min(m));
        }
        Window::from_bounds(lo, hi, m)
    }

    /// The union of the rectangles between consecutive anchor cells (grid points both
    /// paths must pass), widened by `margin`, and cut to `within` where that leaves room.
    pub fn around_anchors(anchors: &[(usize, usize)], within: &Window, margin: usize) -> Self {
        let n = within.rows() - 1;
        let m = within.cols;
        let mut points = vec![(0, 0)];
        points.extend(anchors.iter().copied());
        points.push((n, m));
        // Rows between two anchors keep the rectangle they span; an anchor's own row
        // belongs to two rectangles and keeps their intersection.
        let mut lo = vec![0; n + 1];
        let mut hi = vec![m; n + 1];
        for pair in points.windows(2) {
            let ((i0, j0), (i1, j1)) = (pair[0], pair[1]);
            for i in i0..=i1.min(n) {
                lo[i] = lo[i].max(j0.saturating_sub(margin));
                hi[i] = hi[i].min((j1 + margin).min(m));
            }
        }
        for i in 0..=n {
            let band = (
                within.lo[i].saturating_sub(margin),
                (within.hi[i] + margin).min(m),
            );
            let (l, h) = (lo[i].max(band.0), hi[i].min(band.1));
            if l <= h {
                (lo[i], hi[i]) = (l, h);
            }
        }
        Window::from_bounds(lo, hi, m)
    }

    /// Makes the bounds a connected monotone staircase from `(0, 0)` to `(n, m)`, so
    /// that at least one path (of skips if nothing else) always exists.
    fn from_bounds(mut lo: Vec<usize>, mut hi: Vec<usize>, m: usize) -> Self {
        let n = lo.len() - 1;
        lo[0] = 0;
        hi[n] = m;
        for i in 1..=n {
            lo[i] = lo[i].max(lo[i - 1]);
        }
        for i in (0..n).rev() {
            hi[i] = hi[i].min(hi[i + 1]);
        }
        for i in 0..n {
            // Row i+1 must reach back to a column row i holds (a 1-0 step).
            lo[i + 1] = lo[i + 1].min(hi[i]);
        }
        for i in 0..=n {
            hi[i] = hi[i].max(lo[i]);
        }
        Window { lo, hi, cols: m }
    }

    /// Number of grid rows (source sentences + 1).
    pub fn rows(&self) -> usize {
        self.lo.len()
    }

    /// The columns row `i` may visit.
    pub fn columns(&self, i: usize) -> Range<usize> {
        self.lo[i]..self.hi[i] + 1
    }

    /// Number of grid cells inside the window.
    pub fn cells(&self) -> usize {
        (0..self.rows()).map(|i| self.columns(i).len()).sum()
    }

    /// For each source sentence `s`, the target sentences that any bead of at most
    /// `span` sentences a side inside the window can pair it with, widened by `extra`
    /// sentences (for beads shifted that far).
    pub fn sentence_reach(&self, span: usize, extra: usize) -> Vec<Range<usize>> {
        let n = self.rows() - 1;
        (0..n)
            .map(|s| {
                let first = self.lo[s + 1].saturating_sub(span + extra);
                let last = (self.hi[(s + span + extra).min(n)] + extra).min(self.cols);
                first..last
            })
            .collect()
    }
}

/// A matrix that stores only a range of columns in each row.
#[derive(Debug, Clone)]
pub struct Banded<T> {
    rows: Vec<(Range<usize>, usize)>,
    data: Vec<T>,
}

impl<T: Clone> Banded<T> {
    /// A matrix holding `fill` in the columns `ranges[r]` of each row `r`.
    pub fn new(ranges: &[Range<usize>], fill: T) -> Self {
        let mut rows = Vec::with_capacity(ranges.len());
        let mut offset = 0;
        for r in ranges {
            rows.push((r.clone(), offset));
            offset += r.len();
        }
        Banded {
            rows,
            data: vec![fill; offset],
        }
    }
}

impl<T> Banded<T> {
    /// The stored cell at `(row, col)`, if the band holds it.
    pub fn get(&self, row: usize, col: usize) -> Option<&T> {
        let (cols, offset) = self.rows.get(row)?;
        cols.contains(&col).then(|| &self.data[offset + col - cols.start])
    }

    /// Row `row` as a mutable slice, with the column its first element stands for.
    pub fn row_mut(&mut self, row: usize) -> (usize, &mut [T]) {
        let (cols, offset) = &self.rows[row];
        (cols.start, &mut self.data[*offset..offset + cols.len()])
    }

    /// Every row as a mutable slice with its first column, for filling rows in parallel.
    pub fn rows_mut(&mut self) -> Vec<(usize, usize, &mut [T])> {
        let mut rest: &mut [T] = &mut self.data;
        let mut out = Vec::with_capacity(self.rows.len());
        for (r, (cols, _)) in self.rows.iter().enumerate() {
            let (head, tail) = rest.split_at_mut(cols.len());
            out.push((r, cols.start, head));
            rest = tail;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_connected(w: &Window, m: usize) {
        let n = w.rows() - 1;
        assert_eq!(w.columns(0).start, 0);
        assert_eq!(w.columns(n).end, m + 1);
        for i in 0..n {
            let (a, b) = (w.columns(i), w.columns(i + 1));
            assert!(a.start <= b.start && a.end <= b.end, "row {i} not monotone");
            assert!(b.start < a.end, "row {} cannot be entered from row {i}", i + 1);
        }
    }

    #[test]
    fn band_follows_cumulative_length_and_stays_connected() {
        let src = vec![10; 100];
        let tgt = vec![5; 200];
        let w = Window::band(&src, &tgt, 3);
        assert_connected(&w, 200);
        // Half-way through the source is half-way through the target.
        assert!(w.columns(50).contains(&100));
        assert!(!w.columns(50).contains(&90));
        assert!(w.cells() < 101 * 10);
    }

    #[test]
    fn very_unequal_sides_still_have_a_path() {
        let w = Window::band(&[3; 5], &[1; 300], 2);
        assert_connected(&w, 300);
        let w = Window::band(&[1; 300], &[3; 5], 2);
        assert_connected(&w, 5);
        let w = Window::band(&[], &[1; 4], 2);
        assert_connected(&w, 4);
    }

    #[test]
    fn anchors_narrow_the_window_to_rectangles_between_them() {
        let band = Window::band(&[1; 40], &[1; 40], 40);
        let w = Window::around_anchors(&[(10, 12), (30, 29)], &band, 2);
        assert_connected(&w, 40);
        assert_eq!(w.columns(10), 10..15);
        assert_eq!(w.columns(20), 10..32);
        assert!(w.cells() < band.cells() / 2);
    }

    #[test]
    fn banded_matrix_stores_only_its_ranges() {
        let mut b = Banded::new(&[0..2, 5..8], 0u32);
        b.row_mut(1).1[2] = 7;
        assert_eq!(b.get(1, 7), Some(&7));
        assert_eq!(b.get(1, 4), None);
        assert_eq!(b.get(0, 2), None);
        assert_eq!(b.get(2, 0), None);
    }
}
