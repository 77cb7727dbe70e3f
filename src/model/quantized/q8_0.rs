//! Q8_0 weights: blocks of 32 signed bytes with one scale, multiplied with Q8_0
//! activations as candle's AVX2 `vec_dot_q8_0_q8_0` does, four weight rows by two
//! activation rows per pass.

use super::{f16_at, for_each_unit, Packed, SharedOut};
use candle_core::quantized::k_quants::{BlockQ8_0, GgmlType};
use candle_core::quantized::GgmlDType;
use candle_core::Result;

/// Values per Q8_0 block.
const BLOCK: usize = 32;
/// Bytes per Q8_0 block as GGUF and candle store it: an f16 scale, then 32 signed bytes.
const BLOCK_BYTES: usize = 34;
const _: () = assert!(std::mem::size_of::<BlockQ8_0>() == BLOCK_BYTES);

/// Rows of Q8_0 blocks, unpacked: row `r`'s block `b` has scale `scales[r·blocks + b]`
/// and values `quants[(r·blocks + b)·32 ..][..32]`.
pub(super) struct Q8_0Rows {
    rows: usize,
    width: usize,
    scales: Vec<f32>,
    quants: Vec<i8>,
}

impl Q8_0Rows {
    /// Unpacks `rows` rows of `width` values from GGUF's Q8_0 block bytes.
    pub(super) fn from_blocks(bytes: &[u8], rows: usize, width: usize) -> Result<Self> {
        if !width.is_multiple_of(BLOCK) || bytes.len() != rows * width / BLOCK * BLOCK_BYTES {
            candle_core::bail!("Q8_0 data of {} bytes is not {rows} rows of {width}", bytes.len());
        }
        let blocks = bytes.len() / BLOCK_BYTES;
        let mut scales = vec![0.0; blocks];
        let mut quants = vec![0; blocks * BLOCK];
        unpack(bytes, &mut scales, &mut quants);
        Ok(Q8_0Rows {
            rows,
            width,
            scales,
            quants,
        })
    }

    /// Quantizes rows of f32 activations with candle's own Q8_0 rounding, a row per unit
    /// of work.
    fn quantize(x: &[f32], width: usize) -> Self {
        let rows = x.len() / width;
        let per_row = width / BLOCK;
        let mut blocks = vec![BlockQ8_0::zeros(); rows * per_row];
        let mut scales = vec![0.0; rows * per_row];
        let mut quants = vec![0; rows * width];
        let (blocks_out, scales_out, quants_out) = (
            SharedOut::new(&mut blocks, per_row),
            SharedOut::new(&mut scales, per_row),
            SharedOut::new(&mut quants, width),
        );
        for_each_unit(rows, |r| {
            // SAFETY: row `r` is inside all three matrices and only this unit touches it.
            let (row_blocks, row_scales, row_quants) =
                unsafe { (blocks_out.row(r), scales_out.row(r), quants_out.row(r)) };
            BlockQ8_0::from_float(&x[r * width..(r + 1) * width], row_blocks);
            // SAFETY: BlockQ8_0 is repr(C), 34 bytes without padding (asserted above).
            let bytes = unsafe {
                std::slice::from_raw_parts(row_blocks.as_ptr().cast::<u8>(), per_row * BLOCK_BYTES)
            };
            unpack(bytes, row_scales, row_quants);
        });
        Q8_0Rows {
            rows,
            width,
            scales,
            quants,
        }
    }

    fn blocks_per_row(&self) -> usize {
        self.width / BLOCK
    }
}

/// Splits Q8_0 block bytes into f32 scales and the blocks' values.
fn unpack(bytes: &[u8], scales: &mut [f32], quants: &mut [i8]) {
    for ((block, scale), values) in bytes
        .chunks_exact(BLOCK_BYTES)
        .zip(scales)
        .zip(quants.chunks_exact_mut(BLOCK))
    {
        *scale = f16_at(block, 0);
        for (v, &q) in values.iter_mut().zip(&block[2..]) {
            *v = q as i8;
        }
    }
}

impl Packed for Q8_0Rows {
    fn name(&self) -> String {
        format!("{:?}", GgmlDType::Q8_0)
    }

    fn rows(&self) -> usize {
        self.rows
    }

    fn width(&self) -> usize {
        self.width
    }

    fn multiply(&self, x: &[f32], out: SharedOut<f32>) -> Result<()> {
        let x = Self::quantize(x, self.width);
        // SAFETY: `Q8_0Rows` weights are only built when AVX2 and FMA are available.
        unsafe { avx2::multiply(self, &x, out) };
        Ok(())
    }
}

// Tiles are indexed by (row, column) on purpose: the loops mirror the arithmetic.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::needless_range_loop)]
mod avx2 {
    use super::{for_each_unit, Q8_0Rows, SharedOut, BLOCK};
    use std::arch::x86_64::*;

    /// Weight rows per tile.
    const COLS: usize = 4;
    /// Activation rows per tile.
    const ROWS: usize = 2;

    /// `out[r·n + c] = x_r · w_c` for every activation row `r` and weight row `c`
    /// (`n` weight rows).
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    pub unsafe fn multiply(w: &Q8_0Rows, x: &Q8_0Rows, out: SharedOut<f32>) {
        let n = w.rows;
        // SAFETY (store): every (row, column) is written by exactly one unit, inside the
        // x.rows × n output. SAFETY (tile_dots): AVX2 and FMA are present (the caller's promise).
        for_each_unit(n.div_ceil(COLS), |tile| unsafe {
            let col = tile * COLS;
            let cols = COLS.min(n - col);
            for row in (0..x.rows).step_by(ROWS) {
                let rows = ROWS.min(x.rows - row);
                if (cols, rows) == (COLS, ROWS) {
                    let dots = tile_dots::<COLS, ROWS>(w, col, x, row);
                    for (r, dots) in dots.iter().enumerate() {
                        out.store(row + r, col, dots);
                    }
                } else if cols == COLS {
                    for r in row..row + rows {
                        out.store(r, col, &tile_dots::<COLS, 1>(w, col, x, r)[0]);
                    }
                } else {
                    for r in row..row + rows {
                        for c in col..col + cols {
                            out.store(r, c, &tile_dots::<1, 1>(w, c, x, r)[0]);
                        }
                    }
                }
            }
        });
    }

    /// Dot products of weight rows `col..col + C` with activation rows `row..row + R`,
    /// each summed as candle's `vec_dot_q8_0_q8_0`: per block, the i8 products summed in
    /// pairs (maddubs on |w| and sign-adjusted x), in fours (madd), converted to f32 and
    /// fused-multiply-added with `scale_w · scale_x` into 8 lanes, added up at the end.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn tile_dots<const C: usize, const R: usize>(
        w: &Q8_0Rows,
        col: usize,
        x: &Q8_0Rows,
        row: usize,
    ) -> [[f32; C]; R] {
        let blocks = w.blocks_per_row();
        // Every block read below lies in these slices, so the loads need no checks.
        let w_quants = &w.quants[col * blocks * BLOCK..(col + C) * blocks * BLOCK];
        let w_scales = &w.scales[col * blocks..(col + C) * blocks];
        let x_quants = &x.quants[row * blocks * BLOCK..(row + R) * blocks * BLOCK];
        let x_scales = &x.scales[row * blocks..(row + R) * blocks];
        let ones = _mm256_set1_epi16(1);
        let mut acc = [[_mm256_setzero_ps(); C]; R];
        for b in 0..blocks {
            let mut wq = [_mm256_setzero_si256(); C];
            let mut w_abs = [_mm256_setzero_si256(); C];
            let mut ws = [0f32; C];
            for c in 0..C {
                let block = c * blocks + b;
                wq[c] = unsafe { _mm256_loadu_si256(w_quants.as_ptr().add(block * BLOCK).cast()) };
                w_abs[c] = _mm256_sign_epi8(wq[c], wq[c]);
                ws[c] = unsafe { *w_scales.get_unchecked(block) };
            }
            for r in 0..R {
                let block = r * blocks + b;
                let xq = unsafe { _mm256_loadu_si256(x_quants.as_ptr().add(block * BLOCK).cast()) };
                let xs = unsafe { *x_scales.get_unchecked(block) };
                for c in 0..C {
                    let signed = _mm256_sign_epi8(xq, wq[c]);
                    let pairs = _mm256_maddubs_epi16(w_abs[c], signed);
                    let sums = _mm256_cvtepi32_ps(_mm256_madd_epi16(ones, pairs));
                    acc[r][c] = _mm256_fmadd_ps(_mm256_set1_ps(ws[c] * xs), sums, acc[r][c]);
                }
            }
        }
        let mut dots = [[0f32; C]; R];
        for r in 0..R {
            for c in 0..C {
                dots[r][c] = hsum(acc[r][c]);
            }
        }
        dots
    }

    /// The sum of 8 lanes, in candle's `hsum_float_8` order.
    #[target_feature(enable = "avx2,fma")]
    fn hsum(x: __m256) -> f32 {
        let sum = _mm_add_ps(_mm256_extractf128_ps(x, 1), _mm256_castps256_ps128(x));
        let sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
        let sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
        _mm_cvtss_f32(sum)
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod avx2 {
    use super::{Q8_0Rows, SharedOut};

    /// Never called: weights are only packed on x86-64.
    pub unsafe fn multiply(_: &Q8_0Rows, _: &Q8_0Rows, _: SharedOut<f32>) {
        unreachable!("Q8_0 weights are only packed on x86-64")
    }
}
