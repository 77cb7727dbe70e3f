//! Q8_K activations: rows of f32 quantized per 256 values to signed bytes with one f32
//! scale and the sums of each 16 bytes, the form candle's Q4_K and Q6_K kernels take.

use super::{for_each_unit, SharedOut};
use candle_core::quantized::k_quants::{BlockQ8K, GgmlType};

/// Values per superblock.
pub(super) const SUPERBLOCK: usize = 256;

/// One superblock of activations, laid out as candle's `BlockQ8K`.
#[repr(C)]
#[derive(Clone, Copy)]
pub(super) struct Q8KBlock {
    /// Scale: value `i` is `d · quants[i]`.
    pub d: f32,
    pub quants: [i8; SUPERBLOCK],
    /// `bsums[j]` is the sum of `quants[16j..16j + 16]`.
    pub bsums: [i16; SUPERBLOCK / 16],
}

const _: () = assert!(std::mem::size_of::<Q8KBlock>() == std::mem::size_of::<BlockQ8K>());
const _: () = assert!(std::mem::align_of::<Q8KBlock>() == std::mem::align_of::<BlockQ8K>());

/// Activation rows as Q8_K superblocks: row `r`'s superblock `b` is `blocks[r·superblocks + b]`.
pub(super) struct Q8KRows {
    pub rows: usize,
    pub superblocks: usize,
    pub blocks: Vec<Q8KBlock>,
}

impl Q8KRows {
    /// Quantizes rows of `width` f32 values with candle's own Q8_K rounding, a row per
    /// unit of work.
    pub fn quantize(x: &[f32], width: usize) -> Self {
        let zero = Q8KBlock {
            d: 0.0,
            quants: [0; SUPERBLOCK],
            bsums: [0; SUPERBLOCK / 16],
        };
        let superblocks = width / SUPERBLOCK;
        let rows = x.len() / width;
        let mut blocks = vec![zero; rows * superblocks];
        let out = SharedOut::new(&mut blocks, superblocks);
        for_each_unit(rows, |r| {
            // SAFETY: row `r` is inside `blocks` and only this unit writes it. Q8KBlock has
            // BlockQ8K's fields in BlockQ8K's order, both repr(C), with the same size and
            // alignment (asserted above).
            let row = unsafe { out.row(r) };
            let candle_blocks =
                unsafe { std::slice::from_raw_parts_mut(row.as_mut_ptr().cast::<BlockQ8K>(), row.len()) };
            BlockQ8K::from_float(&x[r * width..(r + 1) * width], candle_blocks);
        });
        Q8KRows {
            rows,
            superblocks,
            blocks,
        }
    }
}
