//! TMX 1.4b: one `<tu>` per pair with a `<tuv xml:lang="en">` and a
//! `<tuv xml:lang="zh-CN">`, source first. The fields TMX has no element for are
//! kept as `<prop>`s (`x-doc`, `x-src-ids`, `x-tgt-ids`, `x-score`) so that reading
//! back gives the same pairs. Written and read with quick-xml, as a stream.

use super::{check_score, format_ids, format_score, parse_ids, SentencePair};
use crate::text::Lang;
use anyhow::Context;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

const PROP_DOC: &str = "x-doc";
const PROP_SRC_IDS: &str = "x-src-ids";
const PROP_TGT_IDS: &str = "x-tgt-ids";
const PROP_SCORE: &str = "x-score";

/// The `xml:lang` code of a language: BCP 47, Simplified Chinese as bitext writes it.
fn xml_lang(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en",
        Lang::Zh => "zh-CN",
    }
}

/// Parses an `xml:lang` value (`en`, `en-US`, `zh`, `zh-CN`, `zh_Hans`...) by its primary subtag.
fn parse_xml_lang(code: &str) -> Option<Lang> {
    code.split(['-', '_']).next()?.parse().ok()
}

/// Escapes `text` for XML element content. A carriage return becomes `&#13;`, since
/// XML parsers turn a literal one into a line feed; characters that XML 1.0 cannot
/// hold at all are an error rather than silently dropped.
fn escape_content(text: &str) -> anyhow::Result<String> {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {
                anyhow::bail!("text contains U+{:04X}, which XML 1.0 cannot represent", c as u32)
            }
            _ => out.push(c),
        }
    }
    Ok(out)
}

/// Writes a TMX document.
pub(super) struct Writer<W: Write> {
    xml: quick_xml::Writer<W>,
    header_written: bool,
}

impl<W: Write> Writer<W> {
    pub(super) fn new(out: W) -> Self {
        Writer {
            xml: quick_xml::Writer::new(out),
            header_written: false,
        }
    }

    /// Writes everything up to `<body>`; `srclang` is the source language of the first pair.
    fn write_header(&mut self, srclang: Lang) -> anyhow::Result<()> {
        let xml = &mut self.xml;
        xml.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        newline(xml, 0)?;
        xml.write_event(Event::Start(
            BytesStart::new("tmx").with_attributes([("version", "1.4")]),
        ))?;
        newline(xml, 1)?;
        xml.write_event(Event::Empty(BytesStart::new("header").with_attributes([
            ("creationtool", "bitext"),
            ("creationtoolversion", env!("CARGO_PKG_VERSION")),
            ("segtype", "sentence"),
            ("o-tmf", "bitext"),
            ("adminlang", "en"),
            ("srclang", xml_lang(srclang)),
            ("datatype", "plaintext"),
        ])))?;
        newline(xml, 1)?;
        xml.write_event(Event::Start(BytesStart::new("body")))?;
        self.header_written = true;
        Ok(())
    }

    pub(super) fn write(&mut self, pair: &SentencePair) -> anyhow::Result<()> {
        check_score(pair.score)?;
        if !self.header_written {
            self.write_header(pair.src_lang)?;
        }
        let xml = &mut self.xml;
        newline(xml, 2)?;
        let tu = BytesStart::new("tu").with_attributes([("srclang", xml_lang(pair.src_lang))]);
        xml.write_event(Event::Start(tu))?;
        let ids = (format_ids(&pair.src_ids), format_ids(&pair.tgt_ids));
        let score = pair.score.map(format_score);
        let props = [
            (PROP_DOC, Some(pair.doc.as_str())),
            (PROP_SRC_IDS, Some(ids.0.as_str())),
            (PROP_TGT_IDS, Some(ids.1.as_str())),
            (PROP_SCORE, score.as_deref()),
        ];
        for (kind, value) in props {
            let Some(value) = value.filter(|v| !v.is_empty()) else {
                continue;
            };
            newline(xml, 3)?;
            xml.write_event(Event::Start(
                BytesStart::new("prop").with_attributes([("type", kind)]),
            ))?;
            xml.write_event(Event::Text(BytesText::from_escaped(escape_content(value)?)))?;
            xml.write_event(Event::End(BytesEnd::new("prop")))?;
        }
        for (lang, text) in [(pair.src_lang, &pair.src), (pair.tgt_lang, &pair.tgt)] {
            newline(xml, 3)?;
            let tuv = BytesStart::new("tuv").with_attributes([("xml:lang", xml_lang(lang))]);
            xml.write_event(Event::Start(tuv))?;
            xml.write_event(Event::Start(BytesStart::new("seg")))?;
            xml.write_event(Event::Text(BytesText::from_escaped(escape_content(text)?)))?;
            xml.write_event(Event::End(BytesEnd::new("seg")))?;
            xml.write_event(Event::End(BytesEnd::new("tuv")))?;
        }
        newline(xml, 2)?;
        xml.write_event(Event::End(BytesEnd::new("tu")))?;
        Ok(())
    }

    pub(super) fn finish(mut self) -> anyhow::Result<W> {
        if !self.header_written {
            self.write_header(Lang::En)?;
        }
        let xml = &mut self.xml;
        newline(xml, 1)?;
        xml.write_event(Event::End(BytesEnd::new("body")))?;
        newline(xml, 0)?;
        xml.write_event(Event::End(BytesEnd::new("tmx")))?;
        newline(xml, 0)?;
        Ok(self.xml.into_inner())
    }
}

/// Starts a new line indented to `depth` (between elements, never inside `<seg>`).
fn newline<W: Write>(xml: &mut quick_xml::Writer<W>, depth: usize) -> std::io::Result<()> {
    let indent = format!("\n{}", "  ".repeat(depth));
    xml.write_event(Event::Text(BytesText::from_escaped(indent)))
}

/// The `<tu>` being read.
#[derive(Default)]
struct Unit {
    srclang: Option<Lang>,
    props: Vec<(String, String)>,
    variants: Vec<(Option<Lang>, String)>,
}

/// What the text being read belongs to.
enum Capture {
    Prop(String),
    Seg,
}

/// Reads a TMX document as a stream of pairs.
pub(super) struct Reader<R> {
    xml: quick_xml::Reader<R>,
    path: PathBuf,
    buf: Vec<u8>,
    header_srclang: Option<Lang>,
    seen_root: bool,
    unit: Option<Unit>,
    /// `xml:lang` of the open `<tuv>`.
    tuv_lang: Option<Option<Lang>>,
    capture: Option<Capture>,
    text: String,
    /// Depth of inline markup inside `<seg>` whose content is not text (`<ph>`, `<bpt>`...).
    skip_depth: usize,
    done: bool,
}

impl<R: BufRead> Reader<R> {
    pub(super) fn new(input: R, path: &Path) -> Self {
        let mut xml = quick_xml::Reader::from_reader(input);
        xml.config_mut().trim_text(false);
        xml.config_mut().check_end_names = true;
        Reader {
            xml,
            path: path.to_path_buf(),
            buf: Vec::new(),
            header_srclang: None,
            seen_root: false,
            unit: None,
            tuv_lang: None,
            capture: None,
            text: String::new(),
            skip_depth: 0,
            done: false,
        }
    }

    /// An error at byte `pos`, located by line for the user.
    fn error_at(&self, pos: u64, reason: impl std::fmt::Display) -> anyhow::Error {
        let line = line_of(&self.path, pos);
        anyhow::anyhow!("{}:{line}: {reason}", self.path.display())
    }

    fn error(&self, reason: impl std::fmt::Display) -> anyhow::Error {
        self.error_at(self.xml.buffer_position(), reason)
    }

    /// Reads events until a `<tu>` is complete or the document ends.
    fn next_pair(&mut self) -> anyhow::Result<Option<SentencePair>> {
        loop {
            self.buf.clear();
            let event = match self.xml.read_event_into(&mut self.buf) {
                Ok(event) => event.into_owned(),
                Err(e) => return Err(self.error_at(self.xml.error_position(), format!("malformed XML: {e}"))),
            };
            match event {
                Event::Start(e) => self.open(&e)?,
                Event::Empty(e) => {
                    self.open(&e)?;
                    self.close(e.name().as_ref())?;
                }
                Event::End(e) => {
                    if let Some(pair) = self.close(e.name().as_ref())? {
                        return Ok(Some(pair));
                    }
                }
                Event::Text(t) if self.capturing() => {
                    let text = t
                        .unescape()
                        .map_err(|e| self.error(format!("malformed XML: {e}")))?;
                    self.text.push_str(&text);
                }
                Event::CData(t) if self.capturing() => {
                    let text = t
                        .decode()
                        .map_err(|e| self.error(format!("malformed XML: {e}")))?;
                    self.text.push_str(&text);
                }
                Event::Eof => {
                    if !self.seen_root {
                        return Err(self.error("not a TMX file (no <tmx> element)"));
                    }
                    return Ok(None);
                }
                _ => {}
            }
        }
    }

    /// True inside a `<prop>` or `<seg>`, outside non-text inline markup.
    fn capturing(&self) -> bool {
        self.capture.is_some() && self.skip_depth == 0
    }

    fn attribute(&self, e: &BytesStart, name: &str) -> anyhow::Result<Option<String>> {
        let attr = e
            .try_get_attribute(name)
            .map_err(|err| self.error(format!("malformed attribute: {err}")))?;
        attr.map(|a| a.unescape_value().map(|v| v.into_owned()))
            .transpose()
            .map_err(|err| self.error(format!("malformed attribute: {err}")))
    }

    fn lang_attribute(&self, e: &BytesStart, name: &str) -> anyhow::Result<Option<Lang>> {
        match self.attribute(e, name)? {
            None => Ok(None),
            Some(code) => parse_xml_lang(&code)
                .map(Some)
                .ok_or_else(|| self.error(format!("unsupported language {code:?} (expected en or zh)"))),
        }
    }

    fn open(&mut self, e: &BytesStart) -> anyhow::Result<()> {
        if matches!(self.capture, Some(Capture::Seg)) {
            if self.skip_depth > 0 || matches!(e.name().as_ref(), b"bpt" | b"ept" | b"it" | b"ph" | b"ut") {
                self.skip_depth += 1;
            }
            return Ok(());
        }
        match e.name().as_ref() {
            b"tmx" => self.seen_root = true,
            _ if !self.seen_root => return Err(self.error("not a TMX file (the root element is not <tmx>)")),
            b"header" => {
                self.header_srclang = match self.attribute(e, "srclang")? {
                    Some(code) => parse_xml_lang(&code),
                    None => None,
                }
            }
            b"tu" => {
                self.unit = Some(Unit {
                    srclang: self.lang_attribute(e, "srclang")?,
                    ..Unit::default()
                })
            }
            b"prop" if self.unit.is_some() => {
                let kind = self.attribute(e, "type")?.unwrap_or_default();
                self.capture = Some(Capture::Prop(kind));
                self.text.clear();
            }
            b"tuv" if self.unit.is_some() => {
                let lang = match self.lang_attribute(e, "xml:lang")? {
                    Some(lang) => Some(lang),
                    None => self.lang_attribute(e, "lang")?,
                };
                self.tuv_lang = Some(lang);
            }
            b"seg" if self.tuv_lang.is_some() => {
                self.capture = Some(Capture::Seg);
                self.text.clear();
            }
            _ => {}
        }
        Ok(())
    }

    fn close(&mut self, name: &[u8]) -> anyhow::Result<Option<SentencePair>> {
        if matches!(self.capture, Some(Capture::Seg)) && name != b"seg" {
            self.skip_depth = self.skip_depth.saturating_sub(1);
            return Ok(None);
        }
        match name {
            b"prop" => {
                if let (Some(Capture::Prop(kind)), Some(unit)) = (self.capture.take(), self.unit.as_mut()) {
                    unit.props.push((kind, std::mem::take(&mut self.text)));
                }
            }
            b"seg" => {
                self.capture = None;
                if let (Some(lang), Some(unit)) = (self.tuv_lang, self.unit.as_mut()) {
                    unit.variants.push((lang, std::mem::take(&mut self.text)));
                }
            }
            b"tuv" => self.tuv_lang = None,
            b"tu" => {
                if let Some(unit) = self.unit.take() {
                    return self.pair(unit).map(Some);
                }
            }
            _ => {}
        }
        Ok(None)
    }

    /// Turns a complete `<tu>` into a pair: the variant in the unit's (or the
    /// header's) source language is the source, the other one the target.
    fn pair(&self, unit: Unit) -> anyhow::Result<SentencePair> {
        let [(first_lang, first), (second_lang, second)]: [(Option<Lang>, String); 2] =
            unit.variants.try_into().map_err(|v: Vec<_>| {
                self.error(format!(
                    "<tu> has {} <tuv> with a <seg>; bitext reads exactly 2",
                    v.len()
                ))
            })?;
        let (first_lang, second_lang) = match (first_lang, second_lang) {
            (Some(a), Some(b)) if a != b => (a, b),
            _ => return Err(self.error("the two <tuv> of a <tu> need xml:lang en and zh")),
        };
        let srclang = unit.srclang.or(self.header_srclang).unwrap_or(first_lang);
        let ((src_lang, src), (tgt_lang, tgt)) = if srclang == second_lang {
            ((second_lang, second), (first_lang, first))
        } else {
            ((first_lang, first), (second_lang, second))
        };
        let mut pair = SentencePair {
            doc: String::new(),
            src_lang,
            tgt_lang,
            src,
            tgt,
            src_ids: Vec::new(),
            tgt_ids: Vec::new(),
            score: None,
        };
        for (kind, value) in unit.props {
            match kind.as_str() {
                PROP_DOC => pair.doc = value,
                PROP_SRC_IDS => pair.src_ids = parse_ids(&value).map_err(|e| self.error(e))?,
                PROP_TGT_IDS => pair.tgt_ids = parse_ids(&value).map_err(|e| self.error(e))?,
                PROP_SCORE => {
                    let score = value.trim().parse::<f64>().ok().filter(|s| s.is_finite());
                    pair.score =
                        Some(score.ok_or_else(|| self.error(format!("score {value:?} is not a number")))?);
                }
                _ => {}
            }
        }
        Ok(pair)
    }
}

/// The 1-based line holding byte `pos` of the file at `path` (computed only for errors).
fn line_of(path: &Path, pos: u64) -> usize {
    let count = || -> anyhow::Result<usize> {
        let bytes = std::fs::read(path).with_context(|| path.display().to_string())?;
        let end = usize::try_from(pos).unwrap_or(usize::MAX).min(bytes.len());
        Ok(bytes[..end].iter().filter(|&&b| b == b'\n').count() + 1)
    };
    count().unwrap_or(0)
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = anyhow::Result<SentencePair>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let result = self.next_pair();
        if !matches!(result, Ok(Some(_))) {
            self.done = true;
        }
        result.transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_escaping_covers_markup_and_carriage_returns() {
        assert_eq!(
            escape_content("a<b>&c\r\nd\"e'").unwrap(),
            "a&lt;b&gt;&amp;c&#13;\nd\"e'"
        );
        assert!(escape_content("bell\u{7}")
            .unwrap_err()
            .to_string()
            .contains("U+0007"));
    }

    #[test]
    fn xml_lang_codes_map_by_primary_subtag() {
        assert_eq!(parse_xml_lang("zh-CN"), Some(Lang::Zh));
        assert_eq!(parse_xml_lang("zh_Hans"), Some(Lang::Zh));
        assert_eq!(parse_xml_lang("EN-us"), Some(Lang::En));
        assert_eq!(parse_xml_lang("fr"), None);
    }
}
