//! The ladder format of Vecalign and Bertalign, which `bitext eval align` scores: one
//! bead a line, `[0,1]:[0]`, with 0-based sentence indices and `[]` for an empty side.

use super::Bead;
use crate::eval::align_score;

impl From<&Bead> for align_score::Bead {
    fn from(b: &Bead) -> Self {
        align_score::Bead {
            src: b.src.clone().collect(),
            tgt: b.tgt.clone().collect(),
        }
    }
}

/// Renders beads as ladder lines, unaligned sentences included.
pub fn to_ladder(beads: &[Bead]) -> String {
    beads
        .iter()
        .map(|b| format!("{}\n", align_score::Bead::from(b)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_vecalign_ladders_that_eval_reads_back() {
        let beads = [
            Bead {
                src: 0..2,
                tgt: 0..1,
                score: 0.5,
            },
            Bead {
                src: 2..2,
                tgt: 1..2,
                score: 0.0,
            },
            Bead {
                src: 2..3,
                tgt: 2..2,
                score: 0.0,
            },
        ];
        let text = to_ladder(&beads);
        assert_eq!(text, "[0,1]:[0]\n[]:[1]\n[2]:[]\n");
        let back = align_score::parse_beads(&text).unwrap();
        assert_eq!(
            back,
            beads.iter().map(align_score::Bead::from).collect::<Vec<_>>()
        );
    }
}
