//! int8 linear layers as CTranslate2 runs them on CPUs: each weight row (output
//! feature) quantized once at load to signed bytes with its own scale, max |row| / 127;
//! each activation row quantized the same way at run time; exact int32 dot products; one
//! f32 rescale per output.
//!
//! The weights are packed once, in panels of [`PANEL`] output features by the whole input
//! width, the input taken in groups of [`GROUP`]: panel `p`, group `g` holds
//! `W[16p + i][4g + j]` at byte `64g + 4i + j`. One 64-byte load then gives 4 inputs of 16
//! features, which is what `vpdpbusd` consumes (4 byte products summed into each i32
//! lane); AVX2 reads the same bytes as two 32-byte halves. The width is padded with zero
//! weights to whole groups and the features with zero rows to whole panels.
//!
//! Every kernel ([`Kernel`]) computes the same integer sums exactly and shares one f32
//! epilogue, so all of them give the same numbers to the bit.

use super::int8_simd;
use super::{Packed, SharedOut};
use candle_core::Result;
use rayon::prelude::*;

/// Output features per panel: one 512-bit register of i32 sums.
pub(super) const PANEL: usize = 16;
/// Inputs per group: the bytes `vpdpbusd` sums into one i32 lane.
pub(super) const GROUP: usize = 4;
/// Activation rows per tile: 6 × 4 panels keeps 24 sums and 4 weight vectors in AVX-512's
/// 32 registers.
pub(super) const TILE_ROWS: usize = 6;
/// Panels per tile.
pub(super) const TILE_PANELS: usize = 4;
/// Largest quantized magnitude: symmetric, so that negating a value never overflows.
const QMAX: f32 = 127.0;
/// Widest input whose int32 sums cannot overflow even with VNNI's +128 offset
/// (255 · 127 · width < 2³¹).
const MAX_WIDTH: usize = 65536;

/// Which code multiplies: chosen once from the CPU's features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kernel {
    /// AVX-512 VNNI: `vpdpbusd` on 16 features at a time.
    Avx512Vnni,
    /// AVX2: `vpmaddubsw` + `vpmaddwd` on 8 features at a time.
    Avx2,
    /// Plain Rust, any CPU.
    Scalar,
}

impl Kernel {
    /// The fastest kernel this CPU runs.
    pub(super) fn detect() -> Kernel {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx512f")
                && is_x86_feature_detected!("avx512bw")
                && is_x86_feature_detected!("avx512vnni")
            {
                return Kernel::Avx512Vnni;
            }
            if is_x86_feature_detected!("avx2") {
                return Kernel::Avx2;
            }
        }
        Kernel::Scalar
    }
}

/// Weights (out, in) quantized per output row and packed once.
pub(super) struct Int8Weights {
    rows: usize,
    width: usize,
    /// Input groups per panel (width rounded up to whole groups).
    groups: usize,
    /// Panels back to back, `groups · 64` bytes each.
    packed: Vec<i8>,
    /// max |row| / 127 per output feature (0 for an all-zero row).
    scales: Vec<f32>,
    /// 128 · Σ row, per padded output feature: what VNNI's +128 activation offset adds.
    offsets: Vec<i32>,
    /// Added to each output feature after rescaling (zeros for a layer without bias).
    bias: Vec<f32>,
    kernel: Kernel,
}

/// Activation rows quantized like the weights, each `stride` bytes (zero-padded to whole
/// groups), with their scales.
pub(super) struct Int8Rows {
    pub(super) rows: usize,
    pub(super) stride: usize,
    pub(super) quants: Vec<i8>,
    pub(super) scales: Vec<f32>,
}

/// Quantizes `values` to bytes at max |values| / 127 per unit, writing them to `out`;
/// returns the scale (0 for all zeros, whose bytes are all 0; NaN if a value is infinite).
/// NaN values are ignored by the maximum and quantize to 0.
pub(super) fn quantize_row(values: &[f32], out: &mut [i8]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2.
        return unsafe { int8_simd::quantize_row_avx2(values, out) };
    }
    quantize_row_scalar(values, out)
}

/// [`quantize_row`] in plain Rust, any CPU.
fn quantize_row_scalar(values: &[f32], out: &mut [i8]) -> f32 {
    let max = abs_max(values);
    match scale_of(max) {
        Some(inverse) => quantize_with(values, inverse, out),
        None => out.fill(0),
    }
    row_scale(max)
}

/// The scale stored for a row whose largest |value| is `max`.
pub(super) fn row_scale(max: f32) -> f32 {
    if max.is_finite() {
        max / QMAX
    } else {
        f32::NAN
    }
}

/// Largest |value|, NaNs ignored.
fn abs_max(values: &[f32]) -> f32 {
    values.iter().fold(0f32, |m, v| m.max(v.abs()))
}

/// The factor that maps `max` to 127, or None when the bytes must all be 0.
pub(super) fn scale_of(max: f32) -> Option<f32> {
    (max != 0.0 && max.is_finite()).then(|| QMAX / max)
}

/// `values · inverse` rounded half to even and clamped to ±127; NaN gives 0.
pub(super) fn quantize_with(values: &[f32], inverse: f32, out: &mut [i8]) {
    for (q, &v) in out.iter_mut().zip(values) {
        *q = (v * inverse).round_ties_even().clamp(-QMAX, QMAX) as i8;
    }
}

impl Int8Rows {
    /// Quantizes rows of `width` values each, padding them to `stride` bytes.
    pub(super) fn quantize(x: &[f32], width: usize, stride: usize) -> Self {
        let rows = x.len() / width;
        let mut quants = vec![0i8; rows * stride];
        let scales = x
            .chunks_exact(width)
            .zip(quants.chunks_exact_mut(stride))
            .map(|(row, q)| quantize_row(row, &mut q[..width]))
            .collect();
        Int8Rows {
            rows,
            stride,
            quants,
            scales,
        }
    }
}

impl Int8Weights {
    /// Quantizes and packs `w`, `rows` rows of `width` values, for this CPU's kernel.
    pub(super) fn new(w: &[f32], rows: usize, width: usize) -> Result<Self> {
        Self::with_kernel(w, rows, width, Kernel::detect())
    }

    /// As [`new`](Self::new), for a given kernel (tests compare them).
    pub(super) fn with_kernel(w: &[f32], rows: usize, width: usize, kernel: Kernel) -> Result<Self> {
        if w.len() != rows * width || width == 0 || width > MAX_WIDTH {
            candle_core::bail!("int8: {} weights are not {rows} rows of 1..={MAX_WIDTH}", w.len());
        }
        let groups = width.div_ceil(GROUP);
        let panels = rows.div_ceil(PANEL);
        let q = Int8Rows::quantize(w, width, groups * GROUP);
        let mut packed = vec![0i8; panels * groups * PANEL * GROUP];
        let mut offsets = vec![0i32; panels * PANEL];
        for (row, quants) in q.quants.chunks_exact(q.stride).enumerate() {
            let (panel, lane) = (row / PANEL, row % PANEL);
            let base = panel * groups * PANEL * GROUP + lane * GROUP;
            for (g, four) in quants.chunks_exact(GROUP).enumerate() {
                let at = base + g * PANEL * GROUP;
                packed[at..at + GROUP].copy_from_slice(four);
            }
            offsets[row] = 128 * quants.iter().map(|&v| v as i32).sum::<i32>();
        }
        Ok(Int8Weights {
            rows,
            width,
            groups,
            packed,
            scales: q.scales,
            offsets,
            bias: vec![0.0; rows],
            kernel,
        })
    }

    /// Adds `bias` (one value per output feature) to every product, in the epilogue,
    /// rounded as a separate addition after the product would be.
    pub(super) fn with_bias(mut self, bias: Vec<f32>) -> Result<Self> {
        if bias.len() != self.rows {
            candle_core::bail!("int8: {} bias values for {} features", bias.len(), self.rows);
        }
        self.bias = bias;
        Ok(self)
    }

    /// Input groups per panel.
    pub(super) fn groups(&self) -> usize {
        self.groups
    }

    /// Panel `p`'s bytes.
    pub(super) fn panel(&self, p: usize) -> &[i8] {
        let size = self.groups * PANEL * GROUP;
        &self.packed[p * size..(p + 1) * size]
    }

    /// 128 · Σ row of the features of panel `p`.
    pub(super) fn offsets(&self, p: usize) -> &[i32] {
        &self.offsets[p * PANEL..(p + 1) * PANEL]
    }

    /// Exact sums `x_r · w_c` of activation rows `row..row + R` and the features of panels
    /// `panel..panel + P`, row-major, 16 per panel.
    fn tile_sums<const R: usize, const P: usize>(
        &self,
        x: &Int8Rows,
        row: usize,
        panel: usize,
    ) -> [[i32; 64]; R] {
        match self.kernel {
            // SAFETY: these kernels are only chosen when the CPU has their features.
            Kernel::Avx512Vnni => unsafe { int8_simd::tile_vnni::<R, P>(self, x, row, panel) },
            Kernel::Avx2 => unsafe { int8_simd::tile_avx2::<R, P>(self, x, row, panel) },
            Kernel::Scalar => self.tile_scalar::<R, P>(x, row, panel),
        }
    }

    /// The plain-Rust kernel: the same sums, one product at a time.
    fn tile_scalar<const R: usize, const P: usize>(
        &self,
        x: &Int8Rows,
        row: usize,
        panel: usize,
    ) -> [[i32; 64]; R] {
        let mut sums = [[0i32; 64]; R];
        for (r, sums) in sums.iter_mut().enumerate() {
            let a = &x.quants[(row + r) * x.stride..][..x.stride];
            for p in 0..P {
                for (g, block) in self.panel(panel + p).chunks_exact(PANEL * GROUP).enumerate() {
                    let four = &a[g * GROUP..][..GROUP];
                    for (lane, w) in block.chunks_exact(GROUP).enumerate() {
                        let dot: i32 = w.iter().zip(four).map(|(&w, &a)| w as i32 * a as i32).sum();
                        sums[p * PANEL + lane] += dot;
                    }
                }
            }
        }
        sums
    }

    /// Rescales one tile's sums into `out` (f32, `rows` columns) and adds the bias.
    fn store<const R: usize>(
        &self,
        x: &Int8Rows,
        row: usize,
        panel: usize,
        sums: &[[i32; 64]; R],
        out: SharedOut<f32>,
    ) {
        let col = panel * PANEL;
        let cols = (self.rows - col).min(64);
        let w_scales = &self.scales[col..col + cols];
        let bias = &self.bias[col..col + cols];
        for (r, sums) in sums.iter().enumerate() {
            let x_scale = x.scales[row + r];
            for (c, ((&s, &w), &b)) in sums.iter().zip(w_scales).zip(bias).enumerate() {
                // SAFETY: (row + r, col + c) is inside the output and only this tile
                // writes it.
                unsafe { out.write(row + r, col + c, s as f32 * (x_scale * w) + b) };
            }
        }
    }

    /// One tile: activation rows `row..row + R`, panels `panel..panel + P`.
    fn tile<const R: usize, const P: usize>(
        &self,
        x: &Int8Rows,
        row: usize,
        panel: usize,
        out: SharedOut<f32>,
    ) {
        let sums = self.tile_sums::<R, P>(x, row, panel);
        self.store::<R>(x, row, panel, &sums, out);
    }

    /// A column of tiles: panels `panel..panel + P`, every activation row, the last
    /// tile as tall as the rows left.
    fn column<const P: usize>(&self, x: &Int8Rows, panel: usize, out: SharedOut<f32>) {
        let mut row = 0;
        while row < x.rows {
            let rows = (x.rows - row).min(TILE_ROWS);
            match rows {
                1 => self.tile::<1, P>(x, row, panel, out),
                2 => self.tile::<2, P>(x, row, panel, out),
                3 => self.tile::<3, P>(x, row, panel, out),
                4 => self.tile::<4, P>(x, row, panel, out),
                5 => self.tile::<5, P>(x, row, panel, out),
                _ => self.tile::<TILE_ROWS, P>(x, row, panel, out),
            }
            row += rows;
        }
    }
}

impl Packed for Int8Weights {
    fn name(&self) -> String {
        format!("int8 ({:?} kernel)", self.kernel)
    }

    fn rows(&self) -> usize {
        self.rows
    }

    fn width(&self) -> usize {
        self.width
    }

    fn multiply(&self, x: &[f32], shared: SharedOut<f32>) -> Result<()> {
        let x = Int8Rows::quantize(x, self.width, self.groups * GROUP);
        let panels = self.rows.div_ceil(PANEL);
        let columns = panels.div_ceil(TILE_PANELS);
        let column = |c: usize| {
            let panel = c * TILE_PANELS;
            match panels - panel {
                1 => self.column::<1>(&x, panel, shared),
                2 => self.column::<2>(&x, panel, shared),
                3 => self.column::<3>(&x, panel, shared),
                _ => self.column::<TILE_PANELS>(&x, panel, shared),
            }
        };
        // Below about a million products, handing work to other threads costs more than it saves.
        if x.rows * self.rows * self.width < 1 << 20 {
            (0..columns).for_each(column);
        } else {
            (0..columns).into_par_iter().for_each(column);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fixed pseudo-random values in (−1, 1), with a few larger outliers.
    fn values(n: usize, seed: f32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                let v = ((i as f32 * 0.7548 + seed).sin() * 43758.547).fract() * 2.0 - 1.0;
                if i % 97 == 0 {
                    v * 8.0
                } else {
                    v
                }
            })
            .collect()
    }

    fn product(w: &Int8Weights, x: &[f32]) -> Vec<f32> {
        super::super::packed_product(w, x).unwrap()
    }

    fn kernels() -> Vec<Kernel> {
        let mut kernels = vec![Kernel::Scalar];
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx2") {
                kernels.push(Kernel::Avx2);
            }
            if Kernel::detect() == Kernel::Avx512Vnni {
                kernels.push(Kernel::Avx512Vnni);
            } else {
                eprintln!("SKIPPED: this CPU has no AVX-512 VNNI; its kernel is not compared");
            }
        }
        kernels
    }

    #[test]
    fn every_kernel_gives_the_scalar_numbers_on_odd_shapes() {
        // Widths not a multiple of 4, features not a multiple of 16 or 64, rows not of 4.
        for &(features, width) in &[(1, 1), (5, 3), (17, 7), (64, 512), (70, 130), (200, 33)] {
            let w = values(features * width, 1.0);
            let scalar = Int8Weights::with_kernel(&w, features, width, Kernel::Scalar).unwrap();
            for rows in [1, 2, 3, 5, 9] {
                let x = values(rows * width, 2.0 + rows as f32);
                let expected = product(&scalar, &x);
                for kernel in kernels() {
                    let ours = Int8Weights::with_kernel(&w, features, width, kernel).unwrap();
                    assert_eq!(
                        product(&ours, &x),
                        expected,
                        "{kernel:?}: {rows}×{width} by {features}×{width}"
                    );
                }
            }
        }
    }

    #[test]
    fn products_stay_within_the_quantization_error() {
        let (features, width, rows) = (48, 200, 3);
        let (w, x) = (values(features * width, 3.0), values(rows * width, 4.0));
        let got = product(&Int8Weights::new(&w, features, width).unwrap(), &x);
        for r in 0..rows {
            let xr = &x[r * width..][..width];
            let x_max = xr.iter().fold(0f32, |m, v| m.max(v.abs()));
            for c in 0..features {
                let wc = &w[c * width..][..width];
                let w_max = wc.iter().fold(0f32, |m, v| m.max(v.abs()));
                let exact: f32 = xr.iter().zip(wc).map(|(a, b)| a * b).sum();
                // Each factor is off by at most half a step: |Δ(ab)| ≤ |a|·Δb + |b|·Δa + ΔaΔb.
                let bound = width as f32 * (x_max * w_max / QMAX) * (1.0 + 0.25 / QMAX);
                let error = (got[r * features + c] - exact).abs();
                assert!(error <= bound, "({r}, {c}): off by {error}, bound {bound}");
                assert!(
                    error < 0.05 * bound,
                    "({r}, {c}): off by {error}: worst case is rare"
                );
            }
        }
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn the_simd_quantizer_gives_the_scalar_bytes() {
        if !is_x86_feature_detected!("avx2") {
            eprintln!("SKIPPED: this CPU has no AVX2; its quantizer is not compared");
            return;
        }
        // Ties (max 127 makes the factor 1), NaN, infinity, zeros, and widths with tails.
        let mut ties = vec![2.5, -3.5, 0.5, -0.5, 127.0, 1.5, f32::NAN, -126.5];
        ties.resize(40, 64.5);
        let rows = [
            ties,
            values(512, 5.0),
            values(33, 6.0),
            vec![0.0; 64],
            [1.0, f32::INFINITY, 2.0, 3.0].repeat(9),
            vec![f32::NAN; 35],
        ];
        for row in rows {
            let (mut scalar, mut simd) = (vec![0i8; row.len()], vec![0i8; row.len()]);
            let s = quantize_row_scalar(&row, &mut scalar);
            // SAFETY: checked above.
            let v = unsafe { int8_simd::quantize_row_avx2(&row, &mut simd) };
            assert_eq!(simd, scalar, "{row:?}");
            assert_eq!(v.to_bits(), s.to_bits(), "{row:?}");
        }
    }

    #[test]
    fn the_bias_is_added_as_a_separate_rounding() {
        let (features, width, rows) = (70, 130, 5);
        let (w, x) = (values(features * width, 7.0), values(rows * width, 8.0));
        let bias = values(features, 9.0);
        let plain = product(&Int8Weights::new(&w, features, width).unwrap(), &x);
        let biased = Int8Weights::new(&w, features, width)
            .unwrap()
            .with_bias(bias.clone())
            .unwrap();
        let expected: Vec<f32> = plain
            .chunks_exact(features)
            .flat_map(|row| row.iter().zip(&bias).map(|(y, b)| y + b))
            .collect();
        assert_eq!(product(&biased, &x), expected);
        assert!(Int8Weights::new(&w, features, width)
            .unwrap()
            .with_bias(vec![0.0; features - 1])
            .is_err());
    }

    #[test]
    fn zero_rows_give_zeros_and_bad_shapes_are_errors() {
        let w = Int8Weights::new(&[0.0; 8], 2, 4).unwrap();
        assert_eq!(product(&w, &[1.0, 2.0, 3.0, 4.0]), vec![0.0, 0.0]);
        assert!(Int8Weights::new(&[0.0; 7], 2, 4).is_err());
        assert!(Int8Weights::new(&[], 0, 0).is_err());
    }
}
