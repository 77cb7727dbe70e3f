//! The ladder format of Vecalign and Bertalign: one bead a line, `[0,1]:[0]`, with
//! 0-based sentence indices and `[]` for an empty side.

use super::Bead;
use std::ops::Range;

fn indices(r: &Range<usize>) -> String {
    let ids: Vec<String> = r.clone().map(|i| i.to_string()).collect();
    format!("[{}]", ids.join(","))
}

/// Renders beads as ladder lines, unaligned sentences included.
pub fn to_ladder(beads: &[Bead]) -> String {
    beads
        .iter()
        .map(|b| format!("{}:{}\n", indices(&b.src), indices(&b.tgt)))
        .collect()
}

/// One parsed ladder line: source and target sentence indices.
pub type Rung = (Vec<usize>, Vec<usize>);

/// Parses ladder text; the error names the 1-based line that is malformed.
pub fn parse_ladder(text: &str) -> Result<Vec<Rung>, String> {
    let side = |s: &str| -> Option<Vec<usize>> {
        let inner = s.trim().strip_prefix('[')?.strip_suffix(']')?;
        if inner.trim().is_empty() {
            return Some(Vec::new());
        }
        inner.split(',').map(|x| x.trim().parse().ok()).collect()
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, line)| {
            let (a, b) = line
                .split_once(':')
                .ok_or_else(|| format!("line {}: expected `[..]:[..]`", n + 1))?;
            match (side(a), side(b)) {
                (Some(a), Some(b)) => Ok((a, b)),
                _ => Err(format!("line {}: expected `[..]:[..]`, got {line:?}", n + 1)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reads_vecalign_ladders() {
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
        assert_eq!(
            parse_ladder(&text).unwrap(),
            vec![(vec![0, 1], vec![0]), (vec![], vec![1]), (vec![2], vec![])]
        );
    }

    #[test]
    fn malformed_lines_are_reported_with_their_number() {
        let err = parse_ladder("[0]:[0]\n[1]-[1]\n").unwrap_err();
        assert!(err.starts_with("line 2:"), "{err}");
        assert!(parse_ladder("[x]:[0]").is_err());
    }
}
