//! How well one score ranks segments against another: Kendall's tau-b, and what a
//! threshold on the first catches of the worst segments by the second.

/// Kendall's tau-b of `x` against `y` (ties corrected), from -1 to 1; 0 when either is
/// constant or the inputs have fewer than two items.
pub fn kendall_tau_b(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len());
    let (mut concordant, mut discordant, mut ties_x, mut ties_y) = (0i64, 0i64, 0i64, 0i64);
    for i in 0..n {
        for j in i + 1..n {
            let dx = x[i].total_cmp(&x[j]) as i64;
            let dy = y[i].total_cmp(&y[j]) as i64;
            match (dx, dy) {
                (0, 0) => {}
                (0, _) => ties_x += 1,
                (_, 0) => ties_y += 1,
                _ if dx == dy => concordant += 1,
                _ => discordant += 1,
            }
        }
    }
    let denominator =
        (((concordant + discordant + ties_x) * (concordant + discordant + ties_y)) as f64).sqrt();
    if denominator == 0.0 {
        0.0
    } else {
        (concordant - discordant) as f64 / denominator
    }
}

/// What dropping the segments scored under `threshold` does, measured against the
/// `share` of segments that are worst by `truth`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Catch {
    /// The threshold on the score.
    pub threshold: f64,
    /// Worst segments (by truth) scored under the threshold.
    pub caught: usize,
    /// Worst segments in all.
    pub worst: usize,
    /// Other segments scored under the threshold (the cost).
    pub lost: usize,
    /// Other segments in all.
    pub others: usize,
}

/// [`Catch`] for `threshold`: the worst `share` of segments by `truth` (lowest first)
/// against those `score` puts under `threshold`.
pub fn catch(score: &[f64], truth: &[f64], share: f64, threshold: f64) -> Catch {
    let n = score.len().min(truth.len());
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| truth[a].total_cmp(&truth[b]).then(a.cmp(&b)));
    let worst_n = ((share * n as f64).round() as usize).min(n);
    let mut worst = vec![false; n];
    for &i in &order[..worst_n] {
        worst[i] = true;
    }
    let under = |i: usize| score[i] < threshold;
    Catch {
        threshold,
        caught: (0..n).filter(|&i| worst[i] && under(i)).count(),
        worst: worst_n,
        lost: (0..n).filter(|&i| !worst[i] && under(i)).count(),
        others: n - worst_n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tau_b_matches_scipy_on_small_cases() {
        // scipy.stats.kendalltau([1, 2, 3, 4], [1, 3, 2, 4]) = 0.6666...
        assert!((kendall_tau_b(&[1., 2., 3., 4.], &[1., 3., 2., 4.]) - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(kendall_tau_b(&[1., 2., 3.], &[3., 2., 1.]), -1.0);
        // With ties: scipy.stats.kendalltau([1, 1, 2, 3], [1, 2, 2, 3]) = 0.8
        assert!((kendall_tau_b(&[1., 1., 2., 3.], &[1., 2., 2., 3.]) - 0.8).abs() < 1e-12);
        assert_eq!(kendall_tau_b(&[1., 1.], &[1., 2.]), 0.0);
    }

    #[test]
    fn catch_counts_worst_segments_under_the_threshold() {
        let truth = [10., 90., 20., 80., 70.];
        let score = [0.5, 0.9, 0.95, 0.6, 0.9];
        // The worst 40% by truth are segments 0 and 2; under 0.7 are 0 and 3.
        let c = catch(&score, &truth, 0.4, 0.7);
        assert_eq!((c.caught, c.worst, c.lost, c.others), (1, 2, 1, 3));
    }
}
