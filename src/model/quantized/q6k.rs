//! Q6_K tiles.
//!
//! A Q6_K superblock holds 256 six-bit values in 16 sub-blocks of 16, each with a signed
//! 8-bit scale, so a value is `d·scale·(q − 32)`. A tile keeps each sub-block's `d·scale` in
//! f32 (exact: an f16 times an 8-bit integer) and the values one per byte (0..63). Each
//! output is summed as candle's `q6k_tile_avx2` sums it: per sub-block the exact integer
//! `Σ q·x − 32·Σ x`, then `acc += that·(scale·d_x)` as a fused multiply-add.

use super::f16_at;
use super::q8k::{Q8KBlock, SUPERBLOCK};
use super::tiles::{Tile, TILE_ROWS};
use candle_core::quantized::GgmlDType;
use std::arch::x86_64::*;

/// Sub-blocks per superblock.
const SUBS: usize = 16;

/// One Q6_K superblock of 8 weight rows.
#[repr(C, align(32))]
pub(super) struct Q6KTile {
    /// `d·scale` of sub-block `s` for row `r` at `[s][r]`.
    scales: [[f32; TILE_ROWS]; SUBS],
    /// `[group g of 4 values][row][4 bytes]`: byte `j` is value `4g + j`, 0..63.
    quants: [u8; SUPERBLOCK * TILE_ROWS],
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

impl Tile for Q6KTile {
    const DTYPE: GgmlDType = GgmlDType::Q6K;
    /// 128 bytes of low nibbles, 64 of high bit pairs, 16 signed scales, f16 d.
    const BLOCK_BYTES: usize = 210;

    fn pack(blocks: [&[u8]; TILE_ROWS]) -> Self {
        let mut tile = Q6KTile {
            scales: [[0.0; TILE_ROWS]; SUBS],
            quants: [0; SUPERBLOCK * TILE_ROWS],
        };
        for (r, block) in blocks.into_iter().enumerate() {
            let d = f16_at(block, 208);
            for s in 0..SUBS {
                tile.scales[s][r] = d * block[192 + s] as i8 as f32;
            }
            let values = values(block);
            for g in 0..SUPERBLOCK / 4 {
                tile.quants[(g * TILE_ROWS + r) * 4..][..4].copy_from_slice(&values[4 * g..4 * g + 4]);
            }
        }
        tile
    }

    /// Summed as candle's `q6k_tile_avx2`. Tiles are indexed by (row, column) on purpose: the
    /// loops mirror the arithmetic.
    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::needless_range_loop)]
    unsafe fn accumulate<const C: usize, const R: usize>(
        t: [&Self; C],
        a: [&Q8KBlock; R],
        acc: &mut [[__m256; C]; R],
    ) {
        let ones = _mm256_set1_epi16(1);
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
                    acc[r][c] = _mm256_fmadd_ps(dot, _mm256_mul_ps(scale, _mm256_set1_ps(a[r].d)), acc[r][c]);
                }
            }
        }
    }
}
