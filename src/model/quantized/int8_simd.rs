//! The SIMD kernels of [`int8`](super::int8): exact int32 sums of byte products over
//! weights packed in panels of 16 features × groups of 4 inputs (64 bytes per group).
//!
//! Both kernels broadcast 4 activation bytes `a[4g..4g + 4]` of one row to every i32 lane
//! and multiply them with 4 bytes of each of 16 features, summing the 4 products into the
//! feature's lane:
//! - AVX-512 VNNI: `vpdpbusd` multiplies unsigned by signed bytes, so the activation byte
//!   `q` goes in as `q + 128` (its sign bit flipped, `q ^ 0x80`); the sums then carry
//!   `128 · Σ w` extra per feature, which the packing computed once and we subtract.
//!   `vpdpbusd` adds the 4 products into i32 without an intermediate i16, so it cannot
//!   saturate; the sums stay below 2³¹ for widths up to 65536 (255 · 127 · 65536).
//! - AVX2: `vpmaddubsw` multiplies unsigned by signed bytes and adds adjacent pairs into
//!   i16 with saturation. Feeding it `|a|` and `w` with `a`'s sign (`vpsignb`) gives the
//!   products `a · w`; as both factors are within ±127, a pair sums to at most
//!   2 · 127 · 127 = 32258 < 32767, so it never saturates. `vpmaddwd` with ones then adds
//!   the two i16 pairs of each feature into its i32 lane.
//!
//! The integers are therefore the scalar kernel's, exactly.

#[cfg(target_arch = "x86_64")]
pub(super) use x86::{quantize_row_avx2, tile_avx2, tile_vnni};

#[cfg(target_arch = "x86_64")]
// Accumulators are indexed by (row, panel) on purpose: the loops mirror the arithmetic.
#[allow(clippy::needless_range_loop)]
mod x86 {
    use super::super::int8::{quantize_with, row_scale, scale_of, Int8Rows, Int8Weights, GROUP, PANEL};
    use std::arch::x86_64::*;

    /// [`quantize_row`](super::super::int8::quantize_row) 32 values at a time, with the
    /// same bytes: the maximum is exact in any order (`vmaxps` with the running maximum
    /// second skips NaNs as `f32::max` does), the product is the same IEEE product, and
    /// `vcvtps2dq` rounds half to even under the default MXCSR, as `round_ties_even` does.
    /// NaN lanes are zeroed first, as `NaN as i8` gives 0; the saturating packs clamp.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn quantize_row_avx2(values: &[f32], out: &mut [i8]) -> f32 {
        assert!(out.len() >= values.len());
        let sign = _mm256_set1_ps(-0.0);
        let whole = values.len() / 32 * 32;
        let mut acc = _mm256_setzero_ps();
        for chunk in values[..whole].chunks_exact(8) {
            // SAFETY: chunks of 8 floats.
            let v = unsafe { _mm256_loadu_ps(chunk.as_ptr()) };
            acc = _mm256_max_ps(_mm256_andnot_ps(sign, v), acc);
        }
        let mut lanes = [0f32; 8];
        // SAFETY: 8 floats.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), acc) };
        let max = values[whole..]
            .iter()
            .chain(&lanes)
            .fold(0f32, |m, v| m.max(v.abs()));
        let Some(inverse) = scale_of(max) else {
            out[..values.len()].fill(0);
            return row_scale(max);
        };
        let factor = _mm256_set1_ps(inverse);
        // Byte order after the in-lane packs: 4-value pieces of a, b, c, d, a, b, c, d.
        let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        for (chunk, q) in values[..whole].chunks_exact(32).zip(out.chunks_exact_mut(32)) {
            // A loop, not `array::from_fn`: a closure would not inherit AVX2.
            let mut quads = [_mm256_setzero_si256(); 4];
            for (i, quad) in quads.iter_mut().enumerate() {
                // SAFETY: chunks of 32 floats.
                let v = unsafe { _mm256_loadu_ps(chunk.as_ptr().add(8 * i)) };
                let x = _mm256_mul_ps(v, factor);
                let x = _mm256_and_ps(x, _mm256_cmp_ps::<_CMP_ORD_Q>(x, x));
                *quad = _mm256_cvtps_epi32(x);
            }
            let pairs = _mm256_packs_epi16(
                _mm256_packs_epi32(quads[0], quads[1]),
                _mm256_packs_epi32(quads[2], quads[3]),
            );
            let bytes = _mm256_permutevar8x32_epi32(pairs, order);
            // SAFETY: chunks of 32 bytes.
            unsafe { _mm256_storeu_si256(q.as_mut_ptr().cast(), bytes) };
        }
        quantize_with(&values[whole..], inverse, &mut out[whole..]);
        row_scale(max)
    }

    /// Checks what the kernels' unchecked reads rely on.
    fn check<const R: usize, const P: usize>(w: &Int8Weights, x: &Int8Rows, row: usize, panel: usize) {
        assert!(R <= 6 && P <= 4 && row + R <= x.rows && x.stride == w.groups() * GROUP);
        assert!(x.quants.len() >= x.rows * x.stride);
        // `panel` panics if the last panel is out of range.
        let _ = w.panel(panel + P - 1);
    }

    /// The 4 activation bytes of row `r`, group `g`, as one i32.
    ///
    /// # Safety
    /// `r < x.rows` and `g < x.stride / 4`.
    unsafe fn four(x: &Int8Rows, r: usize, g: usize) -> i32 {
        unsafe {
            x.quants
                .as_ptr()
                .add(r * x.stride + g * GROUP)
                .cast::<i32>()
                .read_unaligned()
        }
    }

    /// Exact sums of activation rows `row..row + R` with the features of panels
    /// `panel..panel + P`, 16 per panel, by `vpdpbusd`.
    ///
    /// # Safety
    /// The CPU must support AVX-512 F, BW and VNNI.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub unsafe fn tile_vnni<const R: usize, const P: usize>(
        w: &Int8Weights,
        x: &Int8Rows,
        row: usize,
        panel: usize,
    ) -> [[i32; 64]; R] {
        check::<R, P>(w, x, row, panel);
        let panels: [&[i8]; P] = std::array::from_fn(|p| w.panel(panel + p));
        let mut acc = [[_mm512_setzero_si512(); P]; R];
        for g in 0..w.groups() {
            let mut wv = [_mm512_setzero_si512(); P];
            for p in 0..P {
                // SAFETY: a panel holds groups · 64 bytes (check).
                wv[p] = unsafe { _mm512_loadu_si512(panels[p].as_ptr().add(g * PANEL * GROUP).cast()) };
            }
            for r in 0..R {
                // Flipping each byte's sign bit turns signed q into unsigned q + 128.
                // SAFETY: row + r < x.rows and g < groups = stride / 4 (check).
                let a = _mm512_set1_epi32(unsafe { four(x, row + r, g) } ^ 0x8080_8080u32 as i32);
                for p in 0..P {
                    acc[r][p] = _mm512_dpbusd_epi32(acc[r][p], a, wv[p]);
                }
            }
        }
        let mut sums = [[0i32; 64]; R];
        for p in 0..P {
            // SAFETY: offsets() is 16 i32 long; sums rows are 64 long and p < 4.
            unsafe {
                let offset = _mm512_loadu_si512(w.offsets(panel + p).as_ptr().cast());
                for r in 0..R {
                    let exact = _mm512_sub_epi32(acc[r][p], offset);
                    _mm512_storeu_si512(sums[r].as_mut_ptr().add(p * PANEL).cast(), exact);
                }
            }
        }
        sums
    }

    /// The same sums by `vpmaddubsw` + `vpmaddwd`, one panel (two 8-feature halves) at a
    /// time so that the accumulators fit AVX2's 16 registers.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn tile_avx2<const R: usize, const P: usize>(
        w: &Int8Weights,
        x: &Int8Rows,
        row: usize,
        panel: usize,
    ) -> [[i32; 64]; R] {
        check::<R, P>(w, x, row, panel);
        let ones = _mm256_set1_epi16(1);
        let mut sums = [[0i32; 64]; R];
        for p in 0..P {
            let bytes = w.panel(panel + p);
            let mut acc = [[_mm256_setzero_si256(); 2]; R];
            for g in 0..w.groups() {
                // SAFETY: a panel holds groups · 64 bytes (check).
                let halves = unsafe {
                    let at = bytes.as_ptr().add(g * PANEL * GROUP);
                    [
                        _mm256_loadu_si256(at.cast()),
                        _mm256_loadu_si256(at.add(32).cast()),
                    ]
                };
                for r in 0..R {
                    // SAFETY: row + r < x.rows and g < groups = stride / 4 (check).
                    let a = _mm256_set1_epi32(unsafe { four(x, row + r, g) });
                    let a_abs = _mm256_sign_epi8(a, a);
                    for h in 0..2 {
                        let w_signed = _mm256_sign_epi8(halves[h], a);
                        let pairs = _mm256_maddubs_epi16(a_abs, w_signed);
                        acc[r][h] = _mm256_add_epi32(acc[r][h], _mm256_madd_epi16(pairs, ones));
                    }
                }
            }
            for r in 0..R {
                for h in 0..2 {
                    // SAFETY: p · 16 + h · 8 + 8 ≤ 64.
                    unsafe {
                        _mm256_storeu_si256(sums[r].as_mut_ptr().add(p * PANEL + h * 8).cast(), acc[r][h]);
                    }
                }
            }
        }
        sums
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod other {
    use super::super::int8::{Int8Rows, Int8Weights};

    /// Never called: only x86-64 checks for AVX2.
    pub unsafe fn quantize_row_avx2(_: &[f32], _: &mut [i8]) -> f32 {
        unreachable!("AVX2 is x86-64 only")
    }

    /// Never called: the kernel is only chosen on x86-64.
    pub unsafe fn tile_vnni<const R: usize, const P: usize>(
        _: &Int8Weights,
        _: &Int8Rows,
        _: usize,
        _: usize,
    ) -> [[i32; 64]; R] {
        unreachable!("AVX-512 is x86-64 only")
    }

    /// Never called: the kernel is only chosen on x86-64.
    pub unsafe fn tile_avx2<const R: usize, const P: usize>(
        _: &Int8Weights,
        _: &Int8Rows,
        _: usize,
        _: usize,
    ) -> [[i32; 64]; R] {
        unreachable!("AVX2 is x86-64 only")
    }
}

#[cfg(not(target_arch = "x86_64"))]
pub(super) use other::{quantize_row_avx2, tile_avx2, tile_vnni};
