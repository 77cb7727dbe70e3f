//! Q6_K weights in tiles of 8 rows, multiplied with Q8_K activations.
//!
//! A Q6_K superblock holds 256 six-bit values in 16 sub-blocks of 16, each with a signed
//! 8-bit scale, so a value is `d·scale·(q − 32)`. The tiles keep each sub-block's
//! `d·scale` in f32 (exact: an f16 times an 8-bit integer) with one lane per row, and the
//! values one per byte (0..63) so that one 32-byte load gives 4 values of each of the 8
//! rows, as candle's repacked tiles do. Each output is summed as candle's `q6k_tile_avx2`
//! sums it: per sub-block the exact integer `Σ q·x − 32·Σ x`, then
//! `acc += that·(scale·d_x)` as a fused multiply-add.

use super::q8k::{Q8KRows, SUPERBLOCK};
use super::{f16_at, for_each_unit, Packed, SharedOut};
use candle_core::quantized::GgmlDType;
use candle_core::Result;

/// Bytes per Q6_K superblock: 128 bytes of low nibbles, 64 of high bit pairs, 16 signed
/// scales, f16 d.
const BLOCK_BYTES: usize = 210;
/// Weight rows per tile: one f32 lane each.
const TILE_ROWS: usize = 8;
/// Sub-blocks per superblock.
const SUBS: usize = 16;

/// One superblock of 8 weight rows.
#[repr(C, align(32))]
struct Tile {
    /// `d·scale` of sub-block `s` for row `r` at `[s][r]`.
    scales: [[f32; TILE_ROWS]; SUBS],
    /// `[group g of 4 values][row][4 bytes]`: byte `j` is value `4g + j`, 0..63.
    quants: [u8; SUPERBLOCK * TILE_ROWS],
}

/// Q6_K weights as tiles: rows `8t..8t + 8`, superblock `b` is `tiles[t·superblocks + b]`.
pub(super) struct Q6KTiles {
    rows: usize,
    width: usize,
    tiles: Vec<Tile>,
}

/// The 256 six-bit values of a superblock (ggml's `dequantize_row_q6_K` order).
fn values(block: &[u8]) -> [u8; SUPERBLOCK] {
    let mut values = [0u8; SUPERBLOCK];
    for half in 0..2 {
        let low = &block[half * 64..];
        let high = &block[128 + half * 32..];
        let values = &mut values[half * 128..];
        for j in 0..32 {
            values[j] = (low[j] & 0x0F) | (high[j] & 3) << 4;
            values[j + 32] = (low[j + 32] & 0x0F) | (high[j] >> 2 & 3) << 4;
            values[j + 64] = (low[j] >> 4) | (high[j] >> 4 & 3) << 4;
            values[j + 96] = (low[j + 32] >> 4) | (high[j] >> 6 & 3) << 4;
        }
    }
    values
}

impl Q6KTiles {
    /// Tiles `rows` rows of `width` values from GGUF's Q6_K superblock bytes; `rows` must
    /// be a multiple of 16 (two tiles per pass).
    pub(super) fn from_blocks(bytes: &[u8], rows: usize, width: usize) -> Result<Self> {
        if !width.is_multiple_of(SUPERBLOCK)
            || !rows.is_multiple_of(2 * TILE_ROWS)
            || bytes.len() != rows * width / SUPERBLOCK * BLOCK_BYTES
        {
            candle_core::bail!("Q6_K data of {} bytes is not {rows} rows of {width}", bytes.len());
        }
        let superblocks = width / SUPERBLOCK;
        let mut tiles = Vec::with_capacity(rows / TILE_ROWS * superblocks);
        for first_row in (0..rows).step_by(TILE_ROWS) {
            for b in 0..superblocks {
                let mut tile = Tile {
                    scales: [[0.0; TILE_ROWS]; SUBS],
                    quants: [0; SUPERBLOCK * TILE_ROWS],
                };
                for r in 0..TILE_ROWS {
                    let at = ((first_row + r) * superblocks + b) * BLOCK_BYTES;
                    let block = &bytes[at..at + BLOCK_BYTES];
                    let d = f16_at(block, 208);
                    for s in 0..SUBS {
                        tile.scales[s][r] = d * block[192 + s] as i8 as f32;
                    }
                    let values = values(block);
                    for g in 0..SUPERBLOCK / 4 {
                        tile.quants[(g * TILE_ROWS + r) * 4..][..4]
                            .copy_from_slice(&values[4 * g..4 * g + 4]);
                    }
                }
                tiles.push(tile);
            }
        }
        Ok(Q6KTiles { rows, width, tiles })
    }
}

impl Packed for Q6KTiles {
    fn dtype(&self) -> GgmlDType {
        GgmlDType::Q6K
    }

    fn rows(&self) -> usize {
        self.rows
    }

    fn width(&self) -> usize {
        self.width
    }

    fn multiply(&self, x: &[f32], out: &mut [f32]) -> Result<()> {
        let x = Q8KRows::quantize(x, self.width);
        // SAFETY: weights are only packed when AVX2 and FMA are available.
        unsafe { avx2::multiply(self, &x, out) };
        Ok(())
    }
}

// Tiles are indexed by (row, column) on purpose: the loops mirror the arithmetic.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::needless_range_loop)]
mod avx2 {
    use super::{for_each_unit, Q6KTiles, Q8KRows, SharedOut, SUBS, TILE_ROWS};
    use std::arch::x86_64::*;

    /// Weight tiles per pass.
    const COLS: usize = 2;
    /// Activation rows per pass.
    const ROWS: usize = 2;

    /// `out[r·n + c] = x_r · w_c` for every activation row `r` and weight row `c`
    /// (`n` weight rows, a multiple of 16).
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    pub unsafe fn multiply(w: &Q6KTiles, x: &Q8KRows, out: &mut [f32]) {
        let tiles = w.rows / TILE_ROWS;
        let out = SharedOut::new(out, w.rows);
        // SAFETY (store): every (row, column) is written by exactly one unit, inside the
        // x.rows × n output. SAFETY (tile_dots): AVX2 and FMA are present (the caller's promise).
        for_each_unit(tiles / COLS, |unit| unsafe {
            let tile = unit * COLS;
            let store = |row: usize, dots: &[[[f32; TILE_ROWS]; COLS]]| {
                for (r, dots) in dots.iter().enumerate() {
                    for (c, dots) in dots.iter().enumerate() {
                        out.store(row + r, (tile + c) * TILE_ROWS, dots);
                    }
                }
            };
            for row in (0..x.rows).step_by(ROWS) {
                if x.rows - row >= ROWS {
                    store(row, &tile_dots::<COLS, ROWS>(w, tile, x, row));
                } else {
                    store(row, &tile_dots::<COLS, 1>(w, tile, x, row));
                }
            }
        });
    }

    /// The products of weight tiles `tile..tile + C` (8 rows each) with activation rows
    /// `row..row + R`, summed as candle's `q6k_tile_avx2`.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn tile_dots<const C: usize, const R: usize>(
        w: &Q6KTiles,
        tile: usize,
        x: &Q8KRows,
        row: usize,
    ) -> [[[f32; TILE_ROWS]; C]; R] {
        let superblocks = x.superblocks;
        let tiles = &w.tiles[tile * superblocks..(tile + C) * superblocks];
        let acts = &x.blocks[row * superblocks..(row + R) * superblocks];
        let ones = _mm256_set1_epi16(1);
        let mut acc = [[_mm256_setzero_ps(); C]; R];
        for b in 0..superblocks {
            let t: [_; C] = std::array::from_fn(|c| unsafe { tiles.get_unchecked(c * superblocks + b) });
            let a: [_; R] = std::array::from_fn(|r| unsafe { acts.get_unchecked(r * superblocks + b) });
            for s in 0..SUBS {
                let mut isum = [[_mm256_setzero_si256(); C]; R];
                // i16 lanes hold pair sums of ≤ 63·128·2 = 16128: two of them fit, not more.
                for g in (4 * s..4 * s + 4).step_by(2) {
                    let mut x_quants = [[_mm256_setzero_si256(); 2]; R];
                    for r in 0..R {
                        let quants = a[r].quants.as_ptr().add(4 * g);
                        x_quants[r][0] = _mm256_set1_epi32(quants.cast::<i32>().read_unaligned());
                        x_quants[r][1] = _mm256_set1_epi32(quants.add(4).cast::<i32>().read_unaligned());
                    }
                    for c in 0..C {
                        let first = _mm256_load_si256(t[c].quants.as_ptr().add(g * 32).cast());
                        let second = _mm256_load_si256(t[c].quants.as_ptr().add(g * 32 + 32).cast());
                        for r in 0..R {
                            let pairs = _mm256_add_epi16(
                                _mm256_maddubs_epi16(first, x_quants[r][0]),
                                _mm256_maddubs_epi16(second, x_quants[r][1]),
                            );
                            isum[r][c] = _mm256_add_epi32(isum[r][c], _mm256_madd_epi16(pairs, ones));
                        }
                    }
                }
                for c in 0..C {
                    let scale = _mm256_load_ps(t[c].scales[s].as_ptr());
                    for r in 0..R {
                        // Exact in i32 as in f32: |Σ q·x| ≤ 16·63·128, |32·Σ x| ≤ 32·16·128.
                        let offset = _mm256_set1_epi32(32 * a[r].bsums[s] as i32);
                        let dot = _mm256_cvtepi32_ps(_mm256_sub_epi32(isum[r][c], offset));
                        acc[r][c] =
                            _mm256_fmadd_ps(dot, _mm256_mul_ps(scale, _mm256_set1_ps(a[r].d)), acc[r][c]);
                    }
                }
            }
        }
        let mut dots = [[[0f32; TILE_ROWS]; C]; R];
        for r in 0..R {
            for c in 0..C {
                _mm256_storeu_ps(dots[r][c].as_mut_ptr(), acc[r][c]);
            }
        }
        dots
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod avx2 {
    use super::{Q6KTiles, Q8KRows};

    /// Never called: weights are only packed on x86-64.
    pub unsafe fn multiply(_: &Q6KTiles, _: &Q8KRows, _: &mut [f32]) {
        unreachable!("Q6_K weights are only packed on x86-64")
    }
}
