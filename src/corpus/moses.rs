//! Moses: two line-aligned files `STEM.en` and `STEM.zh`, English in one and
//! Chinese in the other whatever the translation direction was. Texts are escaped
//! with [`super::escape_line`], so a line break inside a sentence cannot shift the
//! alignment. Only the texts are stored; pairs are read back as en → zh.

use super::{escape_line, unescape_line, Lines, SentencePair};
use crate::text::Lang;
use std::io::{BufRead, Write};

/// Writes the two sides.
pub(super) struct Writer<W> {
    en: W,
    zh: W,
}

impl<W: Write> Writer<W> {
    pub(super) fn new(en: W, zh: W) -> Self {
        Writer { en, zh }
    }

    pub(super) fn write(&mut self, pair: &SentencePair) -> anyhow::Result<()> {
        let (en, zh) = pair.en_zh();
        writeln!(self.en, "{}", escape_line(en))?;
        writeln!(self.zh, "{}", escape_line(zh))?;
        Ok(())
    }

    pub(super) fn finish(self) -> anyhow::Result<(W, W)> {
        Ok((self.en, self.zh))
    }
}

/// Reads the two sides in step.
pub(super) struct Reader<R> {
    en: Lines<R>,
    zh: Lines<R>,
}

impl<R: BufRead> Reader<R> {
    pub(super) fn new(en: Lines<R>, zh: Lines<R>) -> Self {
        Reader { en, zh }
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = anyhow::Result<SentencePair>;

    fn next(&mut self) -> Option<Self::Item> {
        let (en, zh) = match (self.en.next_line(), self.zh.next_line()) {
            (None, None) => return None,
            (Some(Err(e)), _) | (_, Some(Err(e))) => return Some(Err(e)),
            (Some(Ok(en)), Some(Ok(zh))) => (en, zh),
            (None, Some(_)) => {
                return Some(Err(self.zh.error(format!(
                    "{} ends after {} lines; the two sides must have the same number of lines",
                    self.en.path.display(),
                    self.en.number
                ))))
            }
            (Some(_), None) => {
                return Some(Err(self.en.error(format!(
                    "{} ends after {} lines; the two sides must have the same number of lines",
                    self.zh.path.display(),
                    self.zh.number
                ))))
            }
        };
        let unescape = |lines: &Lines<R>, text: &str| unescape_line(text).map_err(|e| lines.error(e));
        let pair = unescape(&self.en, &en).and_then(|en| {
            Ok(SentencePair {
                doc: String::new(),
                src_lang: Lang::En,
                tgt_lang: Lang::Zh,
                src: en,
                tgt: unescape(&self.zh, &zh)?,
                src_ids: Vec::new(),
                tgt_ids: Vec::new(),
                score: None,
            })
        });
        Some(pair)
    }
}
