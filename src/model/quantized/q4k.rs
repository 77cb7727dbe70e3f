//! Q4_K tiles.
//!
//! A Q4_K superblock holds 256 four-bit values in 8 sub-blocks of 32, each with a 6-bit
//! scale and min, so a value is `d·scale·q − dmin·min`. A tile keeps each sub-block's
//! `d·scale` and `dmin·min` in f32 (exact: an f16 times a 6-bit integer). Each output is
//! summed as candle's `q4k_tile_avx2` sums it: per sub-block an exact integer dot product,
//! then `acc += isum·(scale·d_x)` and `acc −= min·(d_x·bsum)` as fused multiply-adds.

use super::f16_at;
use super::q8k::{Q8KBlock, SUPERBLOCK};
use super::tiles::{Tile, TILE_ROWS};
use candle_core::quantized::GgmlDType;
use std::arch::x86_64::*;

/// Sub-blocks per superblock.
const SUBS: usize = 8;

/// One Q4_K superblock of 8 weight rows.
#[repr(C, align(32))]
pub(super) struct Q4KTile {
    /// `d·scale` of sub-block `s` for row `r` at `[s][r]`.
    scales: [[f32; TILE_ROWS]; SUBS],
    /// `dmin·min` of sub-block `s` for row `r` at `[s][r]`.
    mins: [[f32; TILE_ROWS]; SUBS],
    /// `[group g of 8 values][row][4 bytes]`: byte `j` holds value `8g + j` in its low
    /// nibble and value `8g + j + 4` in its high nibble.
    quants: [u8; SUPERBLOCK / 8 * TILE_ROWS * 4],
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

impl Tile for Q4KTile {
    const DTYPE: GgmlDType = GgmlDType::Q4K;
    /// f16 d, f16 dmin, 12 bytes of packed 6-bit scales and mins, 128 bytes of nibbles.
    const BLOCK_BYTES: usize = 144;

    fn pack(blocks: [&[u8]; TILE_ROWS]) -> Self {
        let mut tile = Q4KTile {
            scales: [[0.0; TILE_ROWS]; SUBS],
            mins: [[0.0; TILE_ROWS]; SUBS],
            quants: [0; SUPERBLOCK / 8 * TILE_ROWS * 4],
        };
        for (r, block) in blocks.into_iter().enumerate() {
            let (d, dmin) = (f16_at(block, 0), f16_at(block, 2));
            for s in 0..SUBS {
                let (scale, min) = scale_min(s, &block[4..16]);
                tile.scales[s][r] = d * scale as f32;
                tile.mins[s][r] = dmin * min as f32;
            }
            // Byte j of each 32-byte chunk c holds value 64c + j (low nibble) and value
            // 64c + 32 + j (high nibble).
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
                    tile.quants[(g * TILE_ROWS + r) * 4 + j] = value(8 * g + j) | value(8 * g + j + 4) << 4;
                }
            }
        }
        tile
    }

    /// Summed as candle's `q4k_tile_avx2`. Tiles are indexed by (row, column) on purpose: the
    /// loops mirror the arithmetic.
    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::needless_range_loop)]
    unsafe fn accumulate<const C: usize, const R: usize>(
        t: [&Self; C],
        a: [&Q8KBlock; R],
        acc: &mut [[__m256; C]; R],
    ) {
        let nibble = _mm256_set1_epi8(0x0F);
        let ones = _mm256_set1_epi16(1);
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
                    acc[r][c] = _mm256_fmadd_ps(dot, _mm256_mul_ps(scale, _mm256_set1_ps(a[r].d)), acc[r][c]);
                    let bsum = (a[r].bsums[2 * s] as i32 + a[r].bsums[2 * s + 1] as i32) as f32;
                    acc[r][c] = _mm256_fnmadd_ps(min, _mm256_set1_ps(a[r].d * bsum), acc[r][c]);
                }
            }
        }
    }
}
