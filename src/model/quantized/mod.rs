//! Linear layers over GGUF-quantized weights.
//!
//! candle's products of quantized weights (`QMatMul`) lose time where a model spends
//! most of it: the Q8_0 path converts both block scales from f16 on every call and
//! reloads each weight block for every activation row, and the repacked Q4_K/Q6_K tiles
//! keep their partial sums in memory while they also keep the original weights, so both
//! copies stay resident. [`QuantizedLinear`] holds each of these weight types once, in its
//! own layout ([`q8_0`], [`tiles`] of [`q4k`] and [`q6k`]), and multiplies several weight rows by several
//! activation rows per pass with the partial sums in registers. Every output is still
//! summed exactly as candle's AVX2 kernel sums it (same integer sums, same fused
//! multiply-adds in the same order), so the results are bit-for-bit candle's. Other weight
//! types, shapes candle does not tile, and CPUs without AVX2 and FMA use `QMatMul`.
//!
//! [`QuantizedLinear::int8`] is CTranslate2's int8 scheme for f32 models instead: weights
//! quantized once per output row and packed once, activations quantized per row, exact
//! int32 sums ([`int8`]; SIMD kernels in [`int8_simd`]).

// The K-quant tiles are AVX2 code throughout.
mod int8;
mod int8_simd;
#[cfg(target_arch = "x86_64")]
mod q4k;
#[cfg(target_arch = "x86_64")]
mod q6k;
mod q8_0;
#[cfg(target_arch = "x86_64")]
mod q8k;
#[cfg(target_arch = "x86_64")]
mod tiles;

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{CpuStorage, CustomOp1, Layout, Module, Result, Shape, Tensor};
use int8::Int8Weights;
use q8_0::Q8_0Rows;
use std::sync::Arc;

/// A linear layer without bias, `x·Wᵀ`, over quantized weights `W` (out, in).
#[derive(Clone)]
pub struct QuantizedLinear(Kind);

#[derive(Clone)]
enum Kind {
    Packed(Arc<dyn Packed>),
    Candle(QMatMul),
}

/// Weights held in one of our layouts, with the kernel that multiplies them.
trait Packed: Send + Sync {
    /// The weight type, for debug output.
    fn name(&self) -> String;
    /// Output features (weight rows).
    fn rows(&self) -> usize;
    /// Input features (weight columns).
    fn width(&self) -> usize;
    /// `out[r·rows + c] = x_r · w_c` for each contiguous activation row `x_r` of `x`,
    /// writing every value of `out` (which may start uninitialised).
    fn multiply(&self, x: &[f32], out: SharedOut<f32>) -> Result<()>;
}

/// `x·Wᵀ` for the contiguous rows `x`, in fresh memory that is not zeroed first (the
/// output projection's is 65001 floats per row).
fn packed_product(weights: &dyn Packed, x: &[f32]) -> Result<Vec<f32>> {
    let n = x.len() / weights.width() * weights.rows();
    let mut out = Vec::with_capacity(n);
    weights.multiply(
        x,
        SharedOut::uninit(&mut out.spare_capacity_mut()[..n], weights.rows()),
    )?;
    // SAFETY: `multiply` wrote all n values.
    unsafe { out.set_len(n) };
    Ok(out)
}

impl QuantizedLinear {
    /// Wraps quantized weights of shape (out, in).
    pub fn new(weights: QTensor) -> Result<Self> {
        if weights.device().is_cpu() && avx2_available() {
            let (rows, width) = weights.shape().dims2()?;
            // Q4_K/Q6_K: only the shapes candle multiplies with its tiles (whole tiles of
            // 16 rows), so every shape keeps candle's numbers.
            let bytes = || weights.data();
            let packed: Option<Arc<dyn Packed>> = match weights.dtype() {
                GgmlDType::Q8_0 => Some(Arc::new(Q8_0Rows::from_blocks(&bytes()?, rows, width)?)),
                #[cfg(target_arch = "x86_64")]
                GgmlDType::Q4K if rows % 16 == 0 => Some(Arc::new(
                    tiles::Tiled::<q4k::Q4KTile>::from_blocks(&bytes()?, rows, width)?,
                )),
                #[cfg(target_arch = "x86_64")]
                GgmlDType::Q6K if rows % 16 == 0 => Some(Arc::new(
                    tiles::Tiled::<q6k::Q6KTile>::from_blocks(&bytes()?, rows, width)?,
                )),
                _ => None,
            };
            if let Some(packed) = packed {
                return Ok(Self(Kind::Packed(packed)));
            }
        }
        Ok(Self(Kind::Candle(QMatMul::from_qtensor(weights)?)))
    }
}

impl QuantizedLinear {
    /// Quantizes f32 weights of shape (out, in) to int8, one scale per output row, and
    /// packs them once for this CPU's int8 kernel (see [`int8`]); `bias` (out) is added
    /// as the products are written.
    pub fn int8(weights: &Tensor, bias: Option<&Tensor>) -> Result<Self> {
        let (rows, width) = weights.dims2()?;
        let weights = weights.to_dtype(candle_core::DType::F32)?.contiguous()?;
        // Read in place: a copy of the output projection alone would be 65001 × 512 floats.
        let (storage, layout) = weights.storage_and_layout();
        let (candle_core::Storage::Cpu(CpuStorage::F32(values)), Some((start, end))) =
            (&*storage, layout.contiguous_offsets())
        else {
            candle_core::bail!("int8: weights must be f32 on the CPU");
        };
        let mut packed = Int8Weights::new(&values[start..end], rows, width)?;
        if let Some(bias) = bias {
            packed = packed.with_bias(bias.flatten_all()?.to_dtype(candle_core::DType::F32)?.to_vec1()?)?;
        }
        Ok(Self(Kind::Packed(Arc::new(packed))))
    }
}

impl std::fmt::Debug for QuantizedLinear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Kind::Packed(w) => write!(f, "QuantizedLinear({} {}×{})", w.name(), w.rows(), w.width()),
            Kind::Candle(w) => write!(f, "QuantizedLinear({w:?})"),
        }
    }
}

impl Module for QuantizedLinear {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match &self.0 {
            Kind::Packed(weights) => x.contiguous()?.apply_op1_no_bwd(&Product(weights.as_ref())),
            // candle picks another kernel for a single row than for several with some
            // weight types; doubling a lone row gives every row the same numbers whatever
            // else is in its batch.
            Kind::Candle(weights) if x.dim(0)? == 1 => {
                weights.forward(&Tensor::cat(&[x, x], 0)?)?.narrow(0, 0, 1)
            }
            Kind::Candle(weights) => weights.forward(x),
        }
    }
}

/// `x·Wᵀ` as a candle op over packed weights.
struct Product<'a>(&'a dyn Packed);

impl CustomOp1 for Product<'_> {
    fn name(&self) -> &'static str {
        "quantized-linear"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let weights = self.0;
        let (CpuStorage::F32(x), Some((start, end))) = (storage, layout.contiguous_offsets()) else {
            candle_core::bail!("quantized-linear: expects contiguous f32 input");
        };
        let mut dims = layout.shape().dims().to_vec();
        match dims.last_mut() {
            Some(last) if *last == weights.width() => *last = weights.rows(),
            _ => candle_core::bail!(
                "quantized-linear: input {:?} is not (.., {})",
                layout.shape(),
                weights.width()
            ),
        }
        let out = packed_product(weights, &x[start..end])?;
        Ok((CpuStorage::F32(out), Shape::from(dims)))
    }
}

/// Whether this CPU runs our kernels (candle's own AVX2 kernels need the same).
fn avx2_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    return is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// A row-major matrix that workers fill in disjoint pieces.
struct SharedOut<T> {
    addr: usize,
    columns: usize,
    item: std::marker::PhantomData<T>,
}

impl<T> Clone for SharedOut<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for SharedOut<T> {}

impl<T: Send> SharedOut<T> {
    fn new(out: &mut [T], columns: usize) -> Self {
        Self::at_address(out.as_mut_ptr(), columns)
    }

    /// Over memory not yet written: only [`store`](Self::store) and
    /// [`write`](Self::write) may touch it.
    fn uninit(out: &mut [std::mem::MaybeUninit<T>], columns: usize) -> Self {
        Self::at_address(out.as_mut_ptr().cast(), columns)
    }

    fn at_address(first: *mut T, columns: usize) -> Self {
        SharedOut {
            addr: first as usize,
            columns,
            item: std::marker::PhantomData,
        }
    }

    /// Row `row`, to fill.
    ///
    /// # Safety
    /// The row lies inside the matrix and no other worker touches it.
    #[allow(clippy::mut_from_ref)]
    unsafe fn row(&self, row: usize) -> &mut [T] {
        std::slice::from_raw_parts_mut(self.at(row, 0), self.columns)
    }

    unsafe fn at(self, row: usize, col: usize) -> *mut T {
        (self.addr as *mut T).add(row * self.columns + col)
    }
}

impl<T: Copy + Send> SharedOut<T> {
    /// Writes `values` at (row, col..).
    ///
    /// # Safety
    /// The span lies inside the matrix and no other worker writes it.
    unsafe fn store(self, row: usize, col: usize, values: &[T]) {
        std::ptr::copy_nonoverlapping(values.as_ptr(), self.at(row, col), values.len());
    }

    /// Writes `value` at (row, col).
    ///
    /// # Safety
    /// (row, col) lies inside the matrix and no other worker writes it.
    unsafe fn write(self, row: usize, col: usize, value: T) {
        self.at(row, col).write(value);
    }
}

/// Runs `work` on each of `units` units, spread over the thread pool candle's own
/// matmuls use. Threads take one unit at a time from a shared cursor, so neither waits
/// long for the other at the end (the pool's own chunks are 1/8 of a thread's share).
/// `work` must not use the pool itself: a nested call would wait on its own lock.
fn for_each_unit(units: usize, work: impl Fn(usize) + Sync) {
    let pool = candle_core::utils::barrier_pool();
    if units <= 1 || pool.n_workers() == 0 {
        return (0..units).for_each(work);
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    pool.execute(|_| loop {
        let unit = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if unit >= units {
            break;
        }
        work(unit);
    });
}

/// Reads an f16 stored little-endian as f32.
fn f16_at(bytes: &[u8], at: usize) -> f32 {
    half::f16::from_le_bytes([bytes[at], bytes[at + 1]]).to_f32()
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// Random-looking but fixed weights and activations.
    fn tensor(rows: usize, cols: usize, seed: f32) -> Tensor {
        let values: Vec<f32> = (0..rows * cols)
            .map(|i| ((i as f32 * 0.7548 + seed).sin() * 43758.547).fract() * 2.0 - 1.0)
            .collect();
        Tensor::from_vec(values, (rows, cols), &Device::Cpu).unwrap()
    }

    /// candle's product with its batch kernel: a lone row is doubled, as
    /// `QuantizedLinear` does for the types it leaves to candle.
    fn candles_product(weights: &QMatMul, x: &Tensor) -> Vec<Vec<f32>> {
        let doubled = Tensor::cat(&[x, x], 0).unwrap();
        let rows = x.dim(0).unwrap();
        weights
            .forward(&doubled)
            .unwrap()
            .narrow(0, 0, rows)
            .unwrap()
            .to_vec2()
            .unwrap()
    }

    #[test]
    fn products_are_bit_for_bit_candles() {
        // Whole and odd block counts; weight and activation rows that leave tile remainders.
        let shapes = [
            (GgmlDType::Q8_0, &[(4, 32), (7, 96), (64, 896), (130, 160)][..]),
            (GgmlDType::Q4K, &[(16, 256), (48, 768), (32, 1536)][..]),
            (GgmlDType::Q6K, &[(16, 256), (48, 768), (32, 1536)][..]),
        ];
        for (dtype, shapes) in shapes {
            for &(out, width) in shapes {
                let quantize = || QTensor::quantize(&tensor(out, width, 1.0), dtype).unwrap();
                let candle = QMatMul::from_qtensor(quantize()).unwrap();
                let ours = QuantizedLinear::new(quantize()).unwrap();
                assert!(
                    matches!(ours.0, Kind::Packed(_)),
                    "{dtype:?} {out}×{width} not packed"
                );
                for rows in [1, 2, 3, 17] {
                    let x = tensor(rows, width, 2.0 + rows as f32);
                    let expected = candles_product(&candle, &x);
                    let got = ours.forward(&x).unwrap().to_vec2::<f32>().unwrap();
                    assert_eq!(got, expected, "{dtype:?}: {rows} × {width} by {out} × {width}");
                }
            }
        }
    }

    #[test]
    fn a_row_gets_the_same_numbers_alone_as_in_a_batch() {
        // Q4_K with 8 rows is left to candle (not a whole 16-row tile).
        for (dtype, rows) in [
            (GgmlDType::Q8_0, 8),
            (GgmlDType::Q6K, 16),
            (GgmlDType::Q4K, 16),
            (GgmlDType::Q4K, 8),
        ] {
            let weights = QTensor::quantize(&tensor(rows, 256, 3.0), dtype).unwrap();
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
