//! `exp` eight values at a time, and the two places Marian spends it: `log Σ exp(x)` over
//! a row of logits (beam search's log-softmax) and the swish activation of every
//! feed-forward layer, `x / (1 + exp(−x))`.
//!
//! libm's `expf` one value at a time was an eighth of the int8 beam run (65,001 entries
//! per row) and a sixteenth of the greedy one (2,048 activations per token and layer).
//! `exp` here is Cephes' single-precision polynomial, within 2 ulp of libm on
//! `[−87, 88]` (inputs are clamped there), evaluated with fused multiply-adds. The AVX2
//! code and the plain-Rust code perform the same IEEE operations in the same order, lane
//! for lane, so they give the same results to the bit on every CPU.

/// Lanes summed side by side: four AVX2 registers.
const LANES: usize = 32;
/// Inputs are clamped to `[LOW, HIGH]`, where 2ⁿ stays a normal float: exp(−87) ≈
/// 1.6·10⁻³⁸ is far below half an ulp of a log-sum-exp's sum (at least 1, the maximum's
/// own term) and of swish's `1 + exp(−x)`; exp(88) ≈ 1.7·10³⁸ makes swish 0 to within
/// 10⁻³⁶ as an overflow would.
const LOW: f32 = -87.0;
const HIGH: f32 = 88.0;
const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split in two (Cephes) so that `x − n·ln 2` keeps its low bits.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// Cephes `expf` coefficients of `exp(r) ≈ 1 + r + r²·P(r)` on `|r| ≤ ln2 / 2`.
const P: [f32; 6] = [
    1.987_569_1e-4,
    1.398_199_9e-3,
    8.333_452e-3,
    4.166_579_6e-2,
    1.666_666_5e-1,
    0.5,
];

/// `max + ln Σ exp(x − max)` over `row`, `max` its largest value; −∞ for an empty row
/// or one of −∞ only.
pub fn log_sum_exp(row: &[f32]) -> f32 {
    let simd = simd_available();
    // SAFETY (both): the x86 code runs only where the CPU has AVX2 and FMA.
    let max = match simd {
        #[cfg(target_arch = "x86_64")]
        true => unsafe { x86::max(row) },
        _ => row.iter().copied().fold(f32::NEG_INFINITY, f32::max),
    };
    if max == f32::NEG_INFINITY {
        return max;
    }
    let sum = match simd {
        #[cfg(target_arch = "x86_64")]
        true => unsafe { x86::sum_exp(row, max) },
        _ => sum_exp(row, max),
    };
    sum.ln() + max
}

/// Whether this CPU runs the AVX2 + FMA code.
fn simd_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    return is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// `exp(x)`, as the SIMD lanes compute it.
fn exp(x: f32) -> f32 {
    let x = x.clamp(LOW, HIGH);
    let n = (x * LOG2_E).round_ties_even();
    let r = (-n).mul_add(LN2_LO, (-n).mul_add(LN2_HI, x));
    let p = P[1..].iter().fold(P[0], |p, &c| p.mul_add(r, c));
    let e = p.mul_add(r * r, r) + 1.0;
    e * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// Swish (SiLU), `x / (1 + exp(−x))` as torch computes it, for every value.
pub fn silu(values: &[f32]) -> Vec<f32> {
    #[cfg(target_arch = "x86_64")]
    if simd_available() {
        // SAFETY: the CPU has AVX2 and FMA.
        return unsafe { x86::silu(values) };
    }
    values.iter().map(|&x| silu_one(x)).collect()
}

fn silu_one(x: f32) -> f32 {
    x / (1.0 + exp(-x))
}

/// Σ exp(x − max): lane `k` sums the entries `k, k + 32, …` of the whole 32-value
/// chunks, the lanes are added four registers' worth at a time, then in order; the tail
/// is summed on its own and added last.
fn sum_exp(row: &[f32], max: f32) -> f32 {
    let whole = row.len() / LANES * LANES;
    let mut acc = [0f32; LANES];
    for chunk in row[..whole].chunks_exact(LANES) {
        for (a, &x) in acc.iter_mut().zip(chunk) {
            *a += exp(x - max);
        }
    }
    let mut lanes = [0f32; 8];
    for (k, lane) in lanes.iter_mut().enumerate() {
        *lane = (acc[k] + acc[k + 8]) + (acc[k + 16] + acc[k + 24]);
    }
    let tail: f32 = row[whole..].iter().map(|&x| exp(x - max)).sum();
    lanes.iter().sum::<f32>() + tail
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{exp, silu_one, HIGH, LANES, LN2_HI, LN2_LO, LOG2_E, LOW, P};
    use std::arch::x86_64::*;

    /// [`exp`] on 8 lanes.
    #[target_feature(enable = "avx2,fma")]
    fn exp8(x: __m256) -> __m256 {
        let x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(LOW)), _mm256_set1_ps(HIGH));
        let n = _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm256_mul_ps(
            x,
            _mm256_set1_ps(LOG2_E),
        ));
        let minus_n = _mm256_sub_ps(_mm256_setzero_ps(), n);
        let r = _mm256_fmadd_ps(
            minus_n,
            _mm256_set1_ps(LN2_LO),
            _mm256_fmadd_ps(minus_n, _mm256_set1_ps(LN2_HI), x),
        );
        let mut p = _mm256_set1_ps(P[0]);
        for &c in &P[1..] {
            p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(c));
        }
        let e = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0));
        let scale = _mm256_slli_epi32::<23>(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)));
        _mm256_mul_ps(e, _mm256_castsi256_ps(scale))
    }

    /// The largest value (NaNs skipped, as `f32::max` skips them), −∞ for none.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn max(row: &[f32]) -> f32 {
        let whole = row.len() / 8 * 8;
        let mut acc = _mm256_set1_ps(f32::NEG_INFINITY);
        for chunk in row[..whole].chunks_exact(8) {
            // SAFETY: chunks of 8 floats. `vmaxps` returns its second operand when the
            // first is NaN, so the running maximum goes second.
            acc = _mm256_max_ps(unsafe { _mm256_loadu_ps(chunk.as_ptr()) }, acc);
        }
        let mut lanes = [0f32; 8];
        // SAFETY: 8 floats.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), acc) };
        lanes
            .iter()
            .chain(&row[whole..])
            .copied()
            .fold(f32::NEG_INFINITY, f32::max)
    }

    /// [`silu`](super::silu) in AVX2.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn silu(values: &[f32]) -> Vec<f32> {
        let whole = values.len() / 8 * 8;
        let mut out = Vec::with_capacity(values.len());
        let one = _mm256_set1_ps(1.0);
        for chunk in values[..whole].chunks_exact(8) {
            // SAFETY: chunks of 8 floats.
            let x = unsafe { _mm256_loadu_ps(chunk.as_ptr()) };
            let e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), x));
            let mut lanes = [0f32; 8];
            // SAFETY: 8 floats.
            unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), _mm256_div_ps(x, _mm256_add_ps(one, e))) };
            out.extend_from_slice(&lanes);
        }
        out.extend(values[whole..].iter().map(|&x| silu_one(x)));
        out
    }

    /// [`sum_exp`](super::sum_exp) in AVX2.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn sum_exp(row: &[f32], max: f32) -> f32 {
        let whole = row.len() / LANES * LANES;
        let m = _mm256_set1_ps(max);
        let mut acc = [_mm256_setzero_ps(); 4];
        for chunk in row[..whole].chunks_exact(LANES) {
            for (i, a) in acc.iter_mut().enumerate() {
                // SAFETY: a chunk holds 32 floats.
                let x = unsafe { _mm256_loadu_ps(chunk.as_ptr().add(8 * i)) };
                *a = _mm256_add_ps(*a, exp8(_mm256_sub_ps(x, m)));
            }
        }
        let sum = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        let mut lanes = [0f32; 8];
        // SAFETY: 8 floats.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), sum) };
        let tail: f32 = row[whole..].iter().map(|&x| exp(x - max)).sum();
        lanes.iter().sum::<f32>() + tail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fixed logits of the spread a translation model produces.
    fn logits(n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| ((i as f32 * 0.7548).sin() * 43758.547).fract() * 24.0 - 12.0)
            .collect()
    }

    #[test]
    fn exp_is_within_two_ulp_of_libm() {
        for i in -87_000..=88_000 {
            let x = i as f32 / 1000.0;
            let (ours, libm) = (exp(x), x.exp());
            let ulps = (ours.to_bits() as i64 - libm.to_bits() as i64).abs();
            assert!(ulps <= 2, "exp({x}) = {ours}, libm {libm}: {ulps} ulp");
        }
        assert_eq!(exp(f32::NEG_INFINITY), exp(LOW));
        assert!(exp(f32::NEG_INFINITY) < 1e-37);
        assert!(exp(f32::INFINITY).is_finite());
    }

    #[test]
    fn silu_is_within_float_error_of_its_definition() {
        let values: Vec<f32> = logits(1001)
            .into_iter()
            .chain([0.0, -100.0, 100.0, 1e-30])
            .collect();
        for (&x, &y) in values.iter().zip(&silu(&values)) {
            let exact = x as f64 / (1.0 + (-x as f64).exp());
            // Relative float error, and the clamp's 10⁻³⁶ far below zero.
            let bound = 4e-7 * exact.abs() + 1e-36;
            assert!((y as f64 - exact).abs() <= bound, "silu({x}) = {y}, not {exact}");
        }
    }

    #[test]
    fn log_sum_exp_matches_the_plain_sum() {
        for n in [1, 31, 32, 33, 1000, 65001] {
            let row = logits(n);
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let plain = row.iter().map(|&x| ((x - max) as f64).exp()).sum::<f64>().ln() + max as f64;
            let ours = log_sum_exp(&row);
            assert!((ours as f64 - plain).abs() < 1e-5, "{n}: {ours} vs {plain}");
        }
        assert_eq!(log_sum_exp(&[]), f32::NEG_INFINITY);
        assert_eq!(log_sum_exp(&[f32::NEG_INFINITY; 3]), f32::NEG_INFINITY);
        // Banned entries (−∞) add nothing.
        assert_eq!(log_sum_exp(&[0.0, f32::NEG_INFINITY]), 0.0);
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn the_simd_code_gives_the_plain_rust_numbers_to_the_bit() {
        if !(is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")) {
            eprintln!("SKIPPED: this CPU has no AVX2 and FMA; the SIMD sum is not compared");
            return;
        }
        for n in [1, 31, 32, 33, 100, 1000, 65001] {
            let mut row = logits(n);
            row[n / 2] = f32::NEG_INFINITY;
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            // SAFETY: checked above.
            let simd = unsafe { x86::sum_exp(&row, max) };
            assert_eq!(simd.to_bits(), sum_exp(&row, max).to_bits(), "{n} values");
            // SAFETY: checked above.
            assert_eq!(unsafe { x86::max(&row) }, max, "{n} values");
            let plain: Vec<f32> = row.iter().map(|&x| silu_one(x)).collect();
            // SAFETY: checked above.
            assert_eq!(unsafe { x86::silu(&row) }, plain, "{n} values");
        }
    }
}
