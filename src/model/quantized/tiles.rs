//! K-quant weights (Q4_K, Q6_K) in tiles of 8 rows by one superblock, multiplied with Q8_K
//! activations two tiles by two activation rows per pass.
//!
//! A tile keeps one f32 lane per row for every sub-block scale and interleaves the quants so
//! that one 32-byte load gives 4 values of each of its 8 rows, as candle's repacked tiles
//! do; a kernel then sums 4 products per row and lane with no horizontal sums.

use super::q8k::{Q8KBlock, Q8KRows, SUPERBLOCK};
use super::{for_each_unit, Packed, SharedOut};
use candle_core::quantized::GgmlDType;
use candle_core::Result;
use std::arch::x86_64::*;

/// Weight rows per tile: one f32 lane each.
pub(super) const TILE_ROWS: usize = 8;
/// Tiles per pass.
const COLS: usize = 2;
/// Activation rows per pass.
const ROWS: usize = 2;

/// One superblock of 8 weight rows in a kernel's layout.
pub(super) trait Tile: Sized + Send + Sync {
    /// The GGUF weight type.
    const DTYPE: GgmlDType;
    /// Bytes of one row's superblock in GGUF.
    const BLOCK_BYTES: usize;

    /// Packs the same superblock of 8 rows.
    fn pack(blocks: [&[u8]; TILE_ROWS]) -> Self;

    /// Adds one superblock's products to `acc[r][c]`: tile `t[c]`'s rows (one lane each)
    /// times activation block `a[r]`.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    unsafe fn accumulate<const C: usize, const R: usize>(
        t: [&Self; C],
        a: [&Q8KBlock; R],
        acc: &mut [[__m256; C]; R],
    );
}

/// Weights as tiles: rows `8t..8t + 8`, superblock `b` is `tiles[t·superblocks + b]`.
pub(super) struct Tiled<T> {
    rows: usize,
    width: usize,
    tiles: Vec<T>,
}

impl<T: Tile> Tiled<T> {
    /// Tiles `rows` rows of `width` values from GGUF's superblock bytes; `rows` must be a
    /// multiple of 16 (two tiles per pass).
    pub(super) fn from_blocks(bytes: &[u8], rows: usize, width: usize) -> Result<Self> {
        if !width.is_multiple_of(SUPERBLOCK)
            || !rows.is_multiple_of(COLS * TILE_ROWS)
            || bytes.len() != rows * width / SUPERBLOCK * T::BLOCK_BYTES
        {
            candle_core::bail!(
                "{:?} data of {} bytes is not {rows} rows of {width}",
                T::DTYPE,
                bytes.len()
            );
        }
        let superblocks = width / SUPERBLOCK;
        let block = |row: usize, b: usize| {
            let at = (row * superblocks + b) * T::BLOCK_BYTES;
            &bytes[at..at + T::BLOCK_BYTES]
        };
        let mut tiles = Vec::with_capacity(rows / TILE_ROWS * superblocks);
        for first_row in (0..rows).step_by(TILE_ROWS) {
            for b in 0..superblocks {
                tiles.push(T::pack(std::array::from_fn(|r| block(first_row + r, b))));
            }
        }
        Ok(Tiled { rows, width, tiles })
    }
}

impl<T: Tile> Packed for Tiled<T> {
    fn name(&self) -> String {
        format!("{:?}", T::DTYPE)
    }

    fn rows(&self) -> usize {
        self.rows
    }

    fn width(&self) -> usize {
        self.width
    }

    fn multiply(&self, x: &[f32], out: SharedOut<f32>) -> Result<()> {
        let x = Q8KRows::quantize(x, self.width);
        let n = x.superblocks;
        // SAFETY (store): every (row, column) is written by exactly one unit, inside the
        // x.rows × self.rows output. SAFETY (dots): weights are only tiled when AVX2 and
        // FMA are available; the slices hold whole tiles and rows.
        for_each_unit(self.rows / TILE_ROWS / COLS, |unit| unsafe {
            let tile = unit * COLS;
            let tiles = &self.tiles[tile * n..(tile + COLS) * n];
            let store = |row: usize, dots: &[[[f32; TILE_ROWS]; COLS]]| {
                for (r, dots) in dots.iter().enumerate() {
                    for (c, dots) in dots.iter().enumerate() {
                        out.store(row + r, (tile + c) * TILE_ROWS, dots);
                    }
                }
            };
            for row in (0..x.rows).step_by(ROWS) {
                if x.rows - row >= ROWS {
                    store(
                        row,
                        &dots::<T, COLS, ROWS>(tiles, &x.blocks[row * n..(row + ROWS) * n], n),
                    );
                } else {
                    store(
                        row,
                        &dots::<T, COLS, 1>(tiles, &x.blocks[row * n..(row + 1) * n], n),
                    );
                }
            }
        });
        Ok(())
    }
}

/// `dots[r][c][l]`: row `l` of tile `c` times activation row `r`, where tile `c`'s
/// superblocks are `tiles[c·n..][..n]` and row `r`'s are `acts[r·n..][..n]`.
///
/// # Safety
/// The CPU must support AVX2 and FMA; the slices hold `C·n` and `R·n` superblocks.
#[target_feature(enable = "avx2,fma")]
unsafe fn dots<T: Tile, const C: usize, const R: usize>(
    tiles: &[T],
    acts: &[Q8KBlock],
    n: usize,
) -> [[[f32; TILE_ROWS]; C]; R] {
    let mut acc = [[_mm256_setzero_ps(); C]; R];
    for b in 0..n {
        let t = std::array::from_fn(|c| unsafe { tiles.get_unchecked(c * n + b) });
        let a = std::array::from_fn(|r| unsafe { acts.get_unchecked(r * n + b) });
        T::accumulate(t, a, &mut acc);
    }
    acc.map(|row| {
        row.map(|lanes| {
            let mut dots = [0f32; TILE_ROWS];
            _mm256_storeu_ps(dots.as_mut_ptr(), lanes);
            dots
        })
    })
}
