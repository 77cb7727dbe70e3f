//! Linear layers over GGUF-quantized weights.
//!
//! candle's own product of Q8_0 weights (`QMatMul`) computes every output with one
//! vector dot product that converts both block scales from f16 on each call and reloads
//! the weight block for every activation row. [`QuantizedLinear`] keeps Q8_0 weights with
//! their scales already in f32 and multiplies a tile of four weight rows by two activation
//! rows at once, so each weight block is loaded and sign-split once per tile. Each output
//! is still summed exactly as candle's AVX2 `vec_dot_q8_0_q8_0` sums it (same blocks, same
//! order, same fused multiply-adds), so the results are bit-for-bit candle's. Other weight
//! types, and CPUs without AVX2 and FMA, use `QMatMul`.

use candle_core::quantized::k_quants::{BlockQ8_0, GgmlType};
use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{CpuStorage, CustomOp1, Layout, Module, Result, Shape, Tensor};
use std::sync::Arc;

/// Values per Q8_0 block.
const BLOCK: usize = 32;
/// Bytes per Q8_0 block as GGUF and candle store it: an f16 scale, then 32 signed bytes.
const BLOCK_BYTES: usize = 34;
const _: () = assert!(std::mem::size_of::<BlockQ8_0>() == BLOCK_BYTES);

/// A linear layer without bias, `x·Wᵀ`, over quantized weights `W` (out, in).
#[derive(Clone)]
pub struct QuantizedLinear(Kind);

#[derive(Clone)]
enum Kind {
    Q8_0(Arc<Q8_0Rows>),
    Candle(QMatMul),
}

impl QuantizedLinear {
    /// Wraps quantized weights of shape (out, in).
    pub fn new(weights: QTensor) -> Result<Self> {
        if weights.dtype() == GgmlDType::Q8_0 && weights.device().is_cpu() && avx2::available() {
            let (rows, width) = weights.shape().dims2()?;
            let rows = Q8_0Rows::from_blocks(&weights.data()?, rows, width)?;
            return Ok(Self(Kind::Q8_0(Arc::new(rows))));
        }
        Ok(Self(Kind::Candle(QMatMul::from_qtensor(weights)?)))
    }
}

impl std::fmt::Debug for QuantizedLinear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Kind::Q8_0(w) => write!(f, "QuantizedLinear(Q8_0 {}×{})", w.rows, w.width),
            Kind::Candle(w) => write!(f, "QuantizedLinear({w:?})"),
        }
    }
}

impl Module for QuantizedLinear {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match &self.0 {
            Kind::Q8_0(weights) => x.contiguous()?.apply_op1_no_bwd(weights.as_ref()),
            // candle picks another kernel for a single row than for several with some
            // weight types (Q6_K); doubling a lone row gives every row the same numbers
            // whatever else is in its batch.
            Kind::Candle(weights) if x.dim(0)? == 1 => {
                weights.forward(&Tensor::cat(&[x, x], 0)?)?.narrow(0, 0, 1)
            }
            Kind::Candle(weights) => weights.forward(x),
        }
    }
}

/// Rows of Q8_0 blocks, unpacked: row `r`'s block `b` has scale `scales[r·blocks + b]`
/// and values `quants[(r·blocks + b)·32 ..][..32]`.
struct Q8_0Rows {
    rows: usize,
    width: usize,
    scales: Vec<f32>,
    quants: Vec<i8>,
}

impl Q8_0Rows {
    /// Unpacks `rows` rows of `width` values from GGUF's Q8_0 block bytes.
    fn from_blocks(bytes: &[u8], rows: usize, width: usize) -> Result<Self> {
        if !width.is_multiple_of(BLOCK) || bytes.len() != rows * width / BLOCK * BLOCK_BYTES {
            candle_core::bail!("Q8_0 data of {} bytes is not {rows} rows of {width}", bytes.len());
        }
        let blocks = bytes.len() / BLOCK_BYTES;
        let mut scales = Vec::with_capacity(blocks);
        let mut quants = Vec::with_capacity(blocks * BLOCK);
        for block in bytes.chunks_exact(BLOCK_BYTES) {
            scales.push(half::f16::from_le_bytes([block[0], block[1]]).to_f32());
            quants.extend(block[2..].iter().map(|&q| q as i8));
        }
        Ok(Q8_0Rows {
            rows,
            width,
            scales,
            quants,
        })
    }

    /// Quantizes rows of f32 activations with candle's own Q8_0 rounding.
    fn quantize(x: &[f32], width: usize) -> Result<Self> {
        let mut blocks = vec![BlockQ8_0::zeros(); x.len() / BLOCK];
        BlockQ8_0::from_float(x, &mut blocks);
        // SAFETY: BlockQ8_0 is repr(C), 34 bytes without padding (asserted above).
        let bytes =
            unsafe { std::slice::from_raw_parts(blocks.as_ptr().cast::<u8>(), blocks.len() * BLOCK_BYTES) };
        Self::from_blocks(bytes, x.len() / width, width)
    }

    fn blocks_per_row(&self) -> usize {
        self.width / BLOCK
    }
}

impl CustomOp1 for Q8_0Rows {
    fn name(&self) -> &'static str {
        "q8_0-linear"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (CpuStorage::F32(x), Some((start, end))) = (storage, layout.contiguous_offsets()) else {
            candle_core::bail!("q8_0-linear: expects contiguous f32 input");
        };
        let mut dims = layout.shape().dims().to_vec();
        match dims.last_mut() {
            Some(last) if *last == self.width => *last = self.rows,
            _ => candle_core::bail!(
                "q8_0-linear: input {:?} is not (.., {})",
                layout.shape(),
                self.width
            ),
        }
        let x = Self::quantize(&x[start..end], self.width)?;
        let mut out = vec![0f32; x.rows * self.rows];
        // SAFETY: `Kind::Q8_0` is only built when AVX2 and FMA are available.
        unsafe { avx2::multiply(self, &x, &mut out) };
        Ok((CpuStorage::F32(out), Shape::from(dims)))
    }
}

// Tiles are indexed by (row, column) on purpose: the loops mirror the arithmetic.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::needless_range_loop)]
mod avx2 {
    use super::{Q8_0Rows, BLOCK};
    use std::arch::x86_64::*;

    /// Whether this CPU runs the kernel (candle's own AVX2 kernels need the same).
    pub fn available() -> bool {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
    }

    /// Weight rows per tile.
    const COLS: usize = 4;
    /// Activation rows per tile.
    const ROWS: usize = 2;

    /// `out[r·n + c] = x_r · w_c` for every activation row `r` and weight row `c`
    /// (`n` weight rows), over the pool candle's own matmuls use.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    pub unsafe fn multiply(w: &Q8_0Rows, x: &Q8_0Rows, out: &mut [f32]) {
        let n = w.rows;
        let out_addr = out.as_mut_ptr() as usize;
        // SAFETY: every (row, column) is written by exactly one work item, inside `out`'s
        // x.rows × n elements.
        let store = |row: usize, col: usize, dots: &[f32]| unsafe {
            let dst = (out_addr as *mut f32).add(row * n + col);
            std::ptr::copy_nonoverlapping(dots.as_ptr(), dst, dots.len());
        };
        // A worker takes whole column tiles and walks every activation row through them,
        // so each tile of weights is read from memory once.
        candle_core::utils::barrier_pool().execute_chunked(n.div_ceil(COLS), |tiles| {
            for tile in tiles {
                let col = tile * COLS;
                let cols = COLS.min(n - col);
                for row in (0..x.rows).step_by(ROWS) {
                    let rows = ROWS.min(x.rows - row);
                    // SAFETY (tile_dots): AVX2 and FMA are present (the caller's promise).
                    if (cols, rows) == (COLS, ROWS) {
                        let dots = unsafe { tile_dots::<COLS, ROWS>(w, col, x, row) };
                        for (r, dots) in dots.iter().enumerate() {
                            store(row + r, col, dots);
                        }
                    } else if cols == COLS {
                        for r in row..row + rows {
                            store(r, col, &unsafe { tile_dots::<COLS, 1>(w, col, x, r) }[0]);
                        }
                    } else {
                        for r in row..row + rows {
                            for c in col..col + cols {
                                store(r, c, &unsafe { tile_dots::<1, 1>(w, c, x, r) }[0]);
                            }
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
    use super::Q8_0Rows;

    /// Not an x86-64 CPU: candle's kernels are used.
    pub fn available() -> bool {
        false
    }

    /// Never called: `available` is false.
    pub unsafe fn multiply(_: &Q8_0Rows, _: &Q8_0Rows, _: &mut [f32]) {
        unreachable!("Q8_0 tiles are only built on x86-64")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// Random-looking but fixed weights and activations, quantized by candle.
    fn tensor(rows: usize, cols: usize, seed: f32) -> Tensor {
        let values: Vec<f32> = (0..rows * cols)
            .map(|i| ((i as f32 * 0.7548 + seed).sin() * 43758.547).fract() * 2.0 - 1.0)
            .collect();
        Tensor::from_vec(values, (rows, cols), &Device::Cpu).unwrap()
    }

    #[test]
    fn q8_0_products_are_bit_for_bit_candles() {
        // Widths of whole and odd block counts, row counts that leave tile remainders.
        for (out, width) in [(4, 32), (7, 96), (64, 896), (130, 160)] {
            let quantize = || QTensor::quantize(&tensor(out, width, 1.0), GgmlDType::Q8_0).unwrap();
            let candle = QMatMul::from_qtensor(quantize()).unwrap();
            let ours = QuantizedLinear::new(quantize()).unwrap();
            for rows in [1, 2, 3, 17] {
                let x = tensor(rows, width, 2.0 + rows as f32);
                let expected = candle.forward(&x).unwrap().to_vec2::<f32>().unwrap();
                let got = ours.forward(&x).unwrap().to_vec2::<f32>().unwrap();
                assert_eq!(got, expected, "{rows} × {width} by {out} × {width}");
            }
        }
    }

    #[test]
    fn a_row_gets_the_same_numbers_alone_as_in_a_batch() {
        for dtype in [GgmlDType::Q8_0, GgmlDType::Q6K, GgmlDType::Q4K] {
            let weights = QTensor::quantize(&tensor(8, 256, 3.0), dtype).unwrap();
            let linear = QuantizedLinear::new(weights).unwrap();
            let batch = tensor(3, 256, 4.0);
            let together = linear.forward(&batch).unwrap().to_vec2::<f32>().unwrap();
            for (r, row) in together.iter().enumerate() {
                let alone = linear.forward(&batch.narrow(0, r, 1).unwrap()).unwrap();
                assert_eq!(&alone.to_vec2::<f32>().unwrap()[0], row, "{dtype:?} row {r}");
            }
        }
    }
}
