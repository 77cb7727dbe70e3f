//! JSONL: one [`SentencePair`] object a line, with every field
//! (`doc`, `src_lang`, `tgt_lang`, `src`, `tgt`, `src_ids`, `tgt_ids`, `score`).
//! Blank lines are skipped when reading.

use super::{check_score, Lines, SentencePair};
use std::io::{BufRead, Write};

/// Writes JSON lines.
pub(super) struct Writer<W> {
    out: W,
}

impl<W: Write> Writer<W> {
    pub(super) fn new(out: W) -> Self {
        Writer { out }
    }

    pub(super) fn write(&mut self, pair: &SentencePair) -> anyhow::Result<()> {
        check_score(pair.score)?;
        serde_json::to_writer(&mut self.out, pair)?;
        self.out.write_all(b"\n")?;
        Ok(())
    }

    pub(super) fn finish(self) -> anyhow::Result<W> {
        Ok(self.out)
    }
}

/// Reads JSON lines.
pub(super) struct Reader<R> {
    lines: Lines<R>,
}

impl<R: BufRead> Reader<R> {
    pub(super) fn new(lines: Lines<R>) -> Self {
        Reader { lines }
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = anyhow::Result<SentencePair>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let line = match self.lines.next_line()? {
                Ok(line) => line,
                Err(e) => return Some(Err(e)),
            };
            if line.trim().is_empty() {
                continue;
            }
            return Some(serde_json::from_str(&line).map_err(|e| self.lines.error(e)));
        }
    }
}
