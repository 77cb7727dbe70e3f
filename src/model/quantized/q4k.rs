//! Q4_K weights in tiles of 8 rows, multiplied with Q8_K activations.
//!
//! A Q4_K superblock holds 256 four-bit values in 8 sub-blocks of 32, each with a 6-bit
//! scale and min, so a value is `d·scale·q − dmin·min`. The tiles keep each sub-block's
//! `d·scale` and `dmin·min` in f32 (exact: an f16 times a 6-bit integer) with one lane per
//! row, and the nibbles interleaved so that one 32-byte load gives 4 values of each of the
//! 8 rows, as candle's repacked tiles do. Each output is summed as candle's
//! `q4k_tile_avx2` sums it: per sub-block an exact integer dot product, then
//! `acc += isum·(scale·d_x)` and `acc −= min·(d_x·bsum)` as fused multiply-adds.

use super::q8k::{Q8KRows, SUPERBLOCK};
use super::{f16_at, for_each_unit, Packed, SharedOut};
use candle_core::quantized::GgmlDType;
use candle_core::Result;

/// Bytes per Q4_K superblock: f16 d, f16 dmin, 12 bytes of packed 6-bit scales and mins,
/// 128 bytes of nibbles.
const BLOCK_BYTES: usize = 144;
/// Weight rows per tile: one f32 lane each.
const TILE_ROWS: usize = 8;
/// Sub-blocks per superblock.
const SUBS: usize = 8;

/// One superblock of 8 weight rows.
#[repr(C, align(32))]
struct Tile {
    /// `d·scale` of sub-block `s` for row `r` at `[s][r]`.
    scales: [[f32; TILE_ROWS]; SUBS],
    /// `dmin·min` of sub-block `s` for row `r` at `[s][r]`.
    mins: [[f32; TILE_ROWS]; SUBS],
    /// `[group g of 8 values][row][4 bytes]`: byte `j` holds value `8g + j` in its low
    /// nibble and value `8g + j + 4` in its high nibble.
    quants: [u8; SUPERBLOCK / 8 * TILE_ROWS * 4],
}

/// Q4_K weights as tiles: rows `8t..8t + 8`, superblock `b` is `tiles[t·superblocks + b]`.
pub(super) struct Q4KTiles {
    rows: usize,
    width: usize,
    tiles: Vec<Tile>,
}

/// Sub-block `j`'s 6-bit scale and min from a superblock's 12 packed bytes (ggml's
/// `get_scale_min_k4`).
fn scale_min(j: usize, packed: &[u8]) -> (u8, u8) {
    if j < 4 {
        (packed[j] & 63, packed[j + 4] & 63)
    } else {
        (
            (packed[j + 4] & 0x0F) | ((packed[j - 4] >> 6) << 4),
            (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4),
        )
    }
}

impl Q4KTiles {
    /// Tiles `rows` rows of `width` values from GGUF's Q4_K superblock bytes; `rows` must
    /// be a multiple of 16 (two tiles per pass).
    pub(super) fn from_blocks(bytes: &[u8], rows: usize, width: usize) -> Result<Self> {
        if !width.is_multiple_of(SUPERBLOCK)
            || !rows.is_multiple_of(2 * TILE_ROWS)
            || bytes.len() != rows * width / SUPERBLOCK * BLOCK_BYTES
        {
            candle_core::bail!("Q4_K data of {} bytes is not {rows} rows of {width}", bytes.len());
        }
        let superblocks = width / SUPERBLOCK;
        let mut tiles = Vec::with_capacity(rows / TILE_ROWS * superblocks);
        for first_row in (0..rows).step_by(TILE_ROWS) {
            for b in 0..superblocks {
                let mut tile = Tile {
                    scales: [[0.0; TILE_ROWS]; SUBS],
                    mins: [[0.0; TILE_ROWS]; SUBS],
                    quants: [0; SUPERBLOCK / 8 * TILE_ROWS * 4],
                };
                for r in 0..TILE_ROWS {
                    let at = ((first_row + r) * superblocks + b) * BLOCK_BYTES;
                    let block = &bytes[at..at + BLOCK_BYTES];
                    let (d, dmin) = (f16_at(block, 0), f16_at(block, 2));
                    for s in 0..SUBS {
                        let (scale, min) = scale_min(s, &block[4..16]);
                        tile.scales[s][r] = d * scale as f32;
                        tile.mins[s][r] = dmin * min as f32;
                    }
                    // Byte j of each 32-byte chunk c holds value 64c + j (low nibble) and
                    // value 64c + 32 + j (high nibble).
                    let nibbles = &block[16..];
                    let value = |i: usize| {
                        let byte = nibbles[i / 64 * 32 + i % 32];
                        if i % 64 < 32 {
                            byte & 0x0F
                        } else {
                            byte >> 4
                        }
                    };
                    for g in 0..SUPERBLOCK / 8 {
                        for j in 0..4 {
                            tile.quants[(g * TILE_ROWS + r) * 4 + j] =
                                value(8 * g + j) | value(8 * g + j + 4) << 4;
                        }
                    }
                }
                tiles.push(tile);
            }
        }
        Ok(Q4KTiles { rows, width, tiles })
    }
}

impl Packed for Q4KTiles {
    fn dtype(&self) -> GgmlDType {
        GgmlDType::Q4K
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
    use super::{for_each_unit, Q4KTiles, Q8KRows, SharedOut, SUBS, TILE_ROWS};
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
    pub unsafe fn multiply(w: &Q4KTiles, x: &Q8KRows, out: &mut [f32]) {
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
    /// `row..row + R`, summed as candle's `q4k_tile_avx2`.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn tile_dots<const C: usize, const R: usize>(
        w: &Q4KTiles,
        tile: usize,
        x: &Q8KRows,
        row: usize,
    ) -> [[[f32; TILE_ROWS]; C]; R] {
        let superblocks = x.superblocks;
        let tiles = &w.tiles[tile * superblocks..(tile + C) * superblocks];
        let acts = &x.blocks[row * superblocks..(row + R) * superblocks];
        let nibble = _mm256_set1_epi8(0x0F);
        let ones = _mm256_set1_epi16(1);
        let mut acc = [[_mm256_setzero_ps(); C]; R];
        for b in 0..superblocks {
            let t: [_; C] = std::array::from_fn(|c| unsafe { tiles.get_unchecked(c * superblocks + b) });
            let a: [_; R] = std::array::from_fn(|r| unsafe { acts.get_unchecked(r * superblocks + b) });
            for s in 0..SUBS {
                // i16 lanes hold pair sums of ≤ 15·128·2 = 3840, 8 of them per sub-block: no overflow.
                let mut isum = [[_mm256_setzero_si256(); C]; R];
                for g in 4 * s..4 * s + 4 {
                    let mut low_x = [_mm256_setzero_si256(); R];
                    let mut high_x = [_mm256_setzero_si256(); R];
                    for r in 0..R {
                        let quants = a[r].quants.as_ptr().add(8 * g);
                        low_x[r] = _mm256_set1_epi32(quants.cast::<i32>().read_unaligned());
                        high_x[r] = _mm256_set1_epi32(quants.add(4).cast::<i32>().read_unaligned());
                    }
                    for c in 0..C {
                        let packed = _mm256_load_si256(t[c].quants.as_ptr().add(g * 32).cast());
                        let low = _mm256_and_si256(packed, nibble);
                        let high = _mm256_and_si256(_mm256_srli_epi16(packed, 4), nibble);
                        for r in 0..R {
                            isum[r][c] = _mm256_add_epi16(isum[r][c], _mm256_maddubs_epi16(low, low_x[r]));
                            isum[r][c] = _mm256_add_epi16(isum[r][c], _mm256_maddubs_epi16(high, high_x[r]));
                        }
                    }
                }
                for c in 0..C {
                    let scale = _mm256_load_ps(t[c].scales[s].as_ptr());
                    let min = _mm256_load_ps(t[c].mins[s].as_ptr());
                    for r in 0..R {
                        let dot = _mm256_cvtepi32_ps(_mm256_madd_epi16(isum[r][c], ones));
                        acc[r][c] =
                            _mm256_fmadd_ps(dot, _mm256_mul_ps(scale, _mm256_set1_ps(a[r].d)), acc[r][c]);
                        let bsum = (a[r].bsums[2 * s] as i32 + a[r].bsums[2 * s + 1] as i32) as f32;
                        acc[r][c] = _mm256_fnmadd_ps(min, _mm256_set1_ps(a[r].d * bsum), acc[r][c]);
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
    use super::{Q4KTiles, Q8KRows};

    /// Never called: weights are only packed on x86-64.
    pub unsafe fn multiply(_: &Q4KTiles, _: &Q8KRows, _: &mut [f32]) {
        unreachable!("Q4_K weights are only packed on x86-64")
    }
}
