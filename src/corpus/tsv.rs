//! TSV: `src<TAB>tgt[<TAB>score]`, one pair a line, texts escaped with
//! [`super::escape_line`]. The languages are not stored: the reader detects the
//! source language from the script of `src` (then `tgt`), and defaults to en → zh.

use super::{check_score, escape_line, format_score, unescape_line, Lines, SentencePair};
use crate::text::{detect::detect, Lang};
use std::io::{BufRead, Write};

/// Writes TSV lines.
pub(super) struct Writer<W> {
    out: W,
}

impl<W: Write> Writer<W> {
    pub(super) fn new(out: W) -> Self {
        Writer { out }
    }

    pub(super) fn write(&mut self, pair: &SentencePair) -> anyhow::Result<()> {
        check_score(pair.score)?;
        write!(self.out, "{}\t{}", escape_line(&pair.src), escape_line(&pair.tgt))?;
        if let Some(score) = pair.score {
            write!(self.out, "\t{}", format_score(score))?;
        }
        self.out.write_all(b"\n")?;
        Ok(())
    }

    pub(super) fn finish(self) -> anyhow::Result<W> {
        Ok(self.out)
    }
}

/// Reads TSV lines.
pub(super) struct Reader<R> {
    lines: Lines<R>,
}

impl<R: BufRead> Reader<R> {
    pub(super) fn new(lines: Lines<R>) -> Self {
        Reader { lines }
    }

    fn parse(&self, line: &str) -> anyhow::Result<SentencePair> {
        let fields: Vec<&str> = line.split('\t').collect();
        let (src, tgt, score) = match fields[..] {
            [src, tgt] => (src, tgt, None),
            [src, tgt, score] => {
                let score = score
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite())
                    .ok_or_else(|| self.lines.error(format!("score {score:?} is not a number")))?;
                (src, tgt, Some(score))
            }
            _ => {
                return Err(self.lines.error(format!(
                    "expected 2 or 3 tab-separated fields (src, tgt, score), found {}",
                    fields.len()
                )))
            }
        };
        let src = unescape_line(src).map_err(|e| self.lines.error(e))?;
        let tgt = unescape_line(tgt).map_err(|e| self.lines.error(e))?;
        let src_lang = detect(&src)
            .or_else(|| detect(&tgt).map(Lang::other))
            .unwrap_or(Lang::En);
        Ok(SentencePair {
            doc: String::new(),
            src_lang,
            tgt_lang: src_lang.other(),
            src,
            tgt,
            src_ids: Vec::new(),
            tgt_ids: Vec::new(),
            score,
        })
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = anyhow::Result<SentencePair>;

    fn next(&mut self) -> Option<Self::Item> {
        let line = self.lines.next_line()?;
        Some(line.and_then(|line| self.parse(&line)))
    }
}
