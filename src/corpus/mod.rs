//! Parallel corpora: the sentence pair record and its file formats.
//!
//! Every format is read as a stream ([`open_reader`]) and written as a stream
//! ([`CorpusWriter`]), so converting a corpus holds one pair in memory at a time.
//! What each format keeps:
//!
//! | field                 | JSONL | TMX | TSV | Moses |
//! |-----------------------|-------|-----|-----|-------|
//! | `src`, `tgt`          | yes   | yes | yes | yes   |
//! | `src_lang`/`tgt_lang` | yes   | yes | detected from the text | no: always read as en → zh |
//! | `doc`, `src_ids`, `tgt_ids` | yes | yes | no (read as empty) | no (read as empty) |
//! | `score`               | yes   | yes | yes | no    |
//!
//! TSV and Moses escape the characters that would break their line structure with
//! backslashes (see [`escape_line`]).

mod jsonl;
mod moses;
mod tmx;
mod tsv;

use crate::text::Lang;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufWriter};
use std::path::{Path, PathBuf};

/// One aligned sentence pair, as every corpus format stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentencePair {
    /// Document id (usually the article's relative path or stem).
    pub doc: String,
    /// Language of `src`.
    pub src_lang: Lang,
    /// Language of `tgt`.
    pub tgt_lang: Lang,
    /// Source text (one sentence, or several joined by a space for merged beads).
    pub src: String,
    /// Target text.
    pub tgt: String,
    /// Indices of the source sentences in their document.
    pub src_ids: Vec<usize>,
    /// Indices of the target sentences in their document.
    pub tgt_ids: Vec<usize>,
    /// Alignment or translation score, when one is known.
    pub score: Option<f64>,
}

impl SentencePair {
    /// The pair reduced to what `format` can store, i.e. what reading it back yields.
    pub fn as_stored_in(&self, format: Format) -> SentencePair {
        match format {
            Format::Jsonl | Format::Tmx => self.clone(),
            Format::Tsv => SentencePair {
                doc: String::new(),
                src_ids: Vec::new(),
                tgt_ids: Vec::new(),
                ..self.clone()
            },
            Format::Moses => {
                let (en, zh) = self.en_zh();
                SentencePair {
                    doc: String::new(),
                    src_lang: Lang::En,
                    tgt_lang: Lang::Zh,
                    src: en.to_string(),
                    tgt: zh.to_string(),
                    src_ids: Vec::new(),
                    tgt_ids: Vec::new(),
                    score: None,
                }
            }
        }
    }

    /// The English and the Chinese side, whichever is the source.
    fn en_zh(&self) -> (&str, &str) {
        if self.src_lang == Lang::Zh {
            (&self.tgt, &self.src)
        } else {
            (&self.src, &self.tgt)
        }
    }
}

/// A corpus file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `src<TAB>tgt[<TAB>score]` lines.
    Tsv,
    /// One JSON object per line with document id, languages, texts, sentence ids and score.
    Jsonl,
    /// TMX 1.4b translation memory.
    Tmx,
    /// Two line-aligned plain files, `PATH.en` and `PATH.zh`.
    Moses,
}

impl Format {
    /// Every format, in the order bitext writes them.
    pub const ALL: [Format; 4] = [Format::Tsv, Format::Jsonl, Format::Tmx, Format::Moses];

    /// The file name extension of this format (`en` for Moses, whose stem gets `.en` and `.zh`).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Tsv => "tsv",
            Format::Jsonl => "jsonl",
            Format::Tmx => "tmx",
            Format::Moses => "en",
        }
    }

    /// Guesses the format of `path` from its extension: `.tsv`, `.jsonl`, `.tmx`, or
    /// `.en`/`.zh` for one side of a Moses pair. Returns the format and the path to
    /// hand to the readers and writers (the stem for Moses).
    pub fn guess(path: &Path) -> Option<(Format, PathBuf)> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "tsv" => Some((Format::Tsv, path.to_path_buf())),
            "jsonl" => Some((Format::Jsonl, path.to_path_buf())),
            "tmx" => Some((Format::Tmx, path.to_path_buf())),
            "en" | "zh" => Some((Format::Moses, path.with_extension(""))),
            _ => None,
        }
    }
}

/// The two files of a Moses corpus with stem `stem`: `stem.en` and `stem.zh`.
pub fn moses_paths(stem: &Path) -> (PathBuf, PathBuf) {
    let with = |ext: &str| {
        let mut name = stem.as_os_str().to_os_string();
        name.push(".");
        name.push(ext);
        PathBuf::from(name)
    };
    (with("en"), with("zh"))
}

/// Writes `pairs` to `path` in `format`, atomically. For Moses, `path` is the stem.
pub fn write_corpus(path: &Path, format: Format, pairs: &[SentencePair]) -> anyhow::Result<()> {
    let mut writer = CorpusWriter::create(path, format)?;
    for pair in pairs {
        writer.write(pair)?;
    }
    writer.finish()
}

/// Reads the pairs stored at `path` in `format`. For Moses, `path` is the stem.
pub fn read_corpus(path: &Path, format: Format) -> anyhow::Result<Vec<SentencePair>> {
    open_reader(path, format)?.collect()
}

/// A stream of pairs read from a corpus file; each error names the file and line.
pub type PairReader = Box<dyn Iterator<Item = anyhow::Result<SentencePair>>>;

/// Opens the corpus at `path` (the stem for Moses) and streams its pairs.
pub fn open_reader(path: &Path, format: Format) -> anyhow::Result<PairReader> {
    let open = |p: &Path| -> anyhow::Result<std::io::BufReader<std::fs::File>> {
        let file = std::fs::File::open(p).with_context(|| format!("{}", p.display()))?;
        Ok(std::io::BufReader::new(file))
    };
    Ok(match format {
        Format::Tsv => Box::new(tsv::Reader::new(Lines::new(open(path)?, path))),
        Format::Jsonl => Box::new(jsonl::Reader::new(Lines::new(open(path)?, path))),
        Format::Tmx => Box::new(tmx::Reader::new(open(path)?, path)),
        Format::Moses => {
            let (en, zh) = moses_paths(path);
            Box::new(moses::Reader::new(
                Lines::new(open(&en)?, &en),
                Lines::new(open(&zh)?, &zh),
            ))
        }
    })
}

/// Writes a corpus pair by pair. Each output file is built as a temporary file next
/// to its destination and renamed over it by [`CorpusWriter::finish`], so a crash
/// never leaves a truncated corpus (the streaming form of [`crate::fsio::write_atomic`]).
pub struct CorpusWriter {
    encoder: Encoder,
    destinations: Vec<PathBuf>,
}

type TempOut = BufWriter<tempfile::NamedTempFile>;

enum Encoder {
    Tsv(tsv::Writer<TempOut>),
    Jsonl(jsonl::Writer<TempOut>),
    Tmx(tmx::Writer<TempOut>),
    Moses(moses::Writer<TempOut>),
}

impl CorpusWriter {
    /// Starts writing a corpus to `path` (the stem for Moses) in `format`.
    pub fn create(path: &Path, format: Format) -> anyhow::Result<CorpusWriter> {
        let temp_for = |dest: &Path| -> anyhow::Result<TempOut> {
            let dir = match dest.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            std::fs::create_dir_all(dir).with_context(|| format!("{}", dir.display()))?;
            let tmp = tempfile::NamedTempFile::new_in(dir).with_context(|| format!("{}", dest.display()))?;
            Ok(BufWriter::new(tmp))
        };
        let (encoder, destinations) = match format {
            Format::Tsv => (Encoder::Tsv(tsv::Writer::new(temp_for(path)?)), vec![path.into()]),
            Format::Jsonl => (
                Encoder::Jsonl(jsonl::Writer::new(temp_for(path)?)),
                vec![path.into()],
            ),
            Format::Tmx => (Encoder::Tmx(tmx::Writer::new(temp_for(path)?)), vec![path.into()]),
            Format::Moses => {
                let (en, zh) = moses_paths(path);
                let writer = moses::Writer::new(temp_for(&en)?, temp_for(&zh)?);
                (Encoder::Moses(writer), vec![en, zh])
            }
        };
        Ok(CorpusWriter {
            encoder,
            destinations,
        })
    }

    /// Appends one pair.
    pub fn write(&mut self, pair: &SentencePair) -> anyhow::Result<()> {
        let result = match &mut self.encoder {
            Encoder::Tsv(w) => w.write(pair),
            Encoder::Jsonl(w) => w.write(pair),
            Encoder::Tmx(w) => w.write(pair),
            Encoder::Moses(w) => w.write(pair),
        };
        result.with_context(|| format!("{}", self.destinations[0].display()))
    }

    /// Completes the files and moves them into place.
    pub fn finish(self) -> anyhow::Result<()> {
        let outputs = match self.encoder {
            Encoder::Tsv(w) => vec![w.finish()?],
            Encoder::Jsonl(w) => vec![w.finish()?],
            Encoder::Tmx(w) => vec![w.finish()?],
            Encoder::Moses(w) => {
                let (en, zh) = w.finish()?;
                vec![en, zh]
            }
        };
        for (out, dest) in outputs.into_iter().zip(&self.destinations) {
            let context = || format!("{}", dest.display());
            let tmp = out
                .into_inner()
                .map_err(|e| e.into_error())
                .with_context(context)?;
            tmp.as_file().sync_all().with_context(context)?;
            tmp.persist(dest).map_err(|e| e.error).with_context(context)?;
        }
        Ok(())
    }
}

/// Escapes `text` so it fits on one line of a TSV or Moses file: backslash becomes
/// `\\`, tab `\t`, line feed `\n` and carriage return `\r`. Every other character,
/// including other Unicode line separators, is written as is.
pub fn escape_line(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(['\\', '\t', '\n', '\r']) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ => out.push(c),
        }
    }
    out.into()
}

/// Reverses [`escape_line`]; fails on a backslash not followed by `\`, `t`, `n` or `r`.
pub fn unescape_line(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => return Err(format!("unknown escape \\{other} (write a backslash as \\\\)")),
            None => return Err("line ends with a lone backslash (write it as \\\\)".into()),
        }
    }
    Ok(out)
}

/// Reads UTF-8 lines with their 1-based numbers, for error messages.
struct Lines<R> {
    inner: R,
    path: PathBuf,
    number: usize,
    buf: Vec<u8>,
}

impl<R: BufRead> Lines<R> {
    fn new(inner: R, path: &Path) -> Self {
        Lines {
            inner,
            path: path.to_path_buf(),
            number: 0,
            buf: Vec::new(),
        }
    }

    /// An error at the current line of this file.
    fn error(&self, reason: impl std::fmt::Display) -> anyhow::Error {
        anyhow::anyhow!("{}:{}: {reason}", self.path.display(), self.number)
    }

    /// The next line without its `\n` or `\r\n`, or `None` at the end of the file.
    fn next_line(&mut self) -> Option<anyhow::Result<String>> {
        self.buf.clear();
        match self.inner.read_until(b'\n', &mut self.buf) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) => return Some(Err(self.error(e))),
        }
        self.number += 1;
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
            if self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
        }
        Some(match std::str::from_utf8(&self.buf) {
            Ok(s) => Ok(s.to_string()),
            Err(_) => Err(self.error("not valid UTF-8")),
        })
    }
}

/// Formats a score so that parsing it gives back the same `f64` (Rust prints the
/// shortest representation that round-trips).
fn format_score(score: f64) -> String {
    format!("{score}")
}

/// Formats sentence indices as `0,1,2`.
fn format_ids(ids: &[usize]) -> String {
    ids.iter().map(usize::to_string).collect::<Vec<_>>().join(",")
}

/// Parses sentence indices written by [`format_ids`].
fn parse_ids(text: &str) -> Result<Vec<usize>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|id| {
            id.trim()
                .parse()
                .map_err(|_| format!("bad sentence index {id:?}"))
        })
        .collect()
}

/// Rejects scores that some formats cannot store (JSON has no NaN or infinity).
fn check_score(score: Option<f64>) -> anyhow::Result<()> {
    match score {
        Some(s) if !s.is_finite() => anyhow::bail!("score {s} is not a finite number"),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_escape_round_trips_and_removes_line_breaks() {
        let text = "a\tb\nc\r\nd \\n e\\";
        let escaped = escape_line(text);
        assert!(!escaped.contains(['\t', '\n', '\r']));
        assert_eq!(escaped, "a\\tb\\nc\\r\\nd \\\\n e\\\\");
        assert_eq!(unescape_line(&escaped).unwrap(), text);
    }

    #[test]
    fn unescape_rejects_unknown_and_dangling_escapes() {
        assert!(unescape_line("a\\x").unwrap_err().contains("\\x"));
        assert!(unescape_line("a\\").unwrap_err().contains("lone backslash"));
    }

    #[test]
    fn formats_are_guessed_from_extensions() {
        let g = |p: &str| Format::guess(Path::new(p));
        assert_eq!(g("out/c.tsv"), Some((Format::Tsv, "out/c.tsv".into())));
        assert_eq!(g("c.JSONL"), Some((Format::Jsonl, "c.JSONL".into())));
        assert_eq!(g("c.tmx"), Some((Format::Tmx, "c.tmx".into())));
        assert_eq!(g("dir/corpus.zh"), Some((Format::Moses, "dir/corpus".into())));
        assert_eq!(g("corpus.en"), Some((Format::Moses, "corpus".into())));
        assert_eq!(g("corpus.txt"), None);
        assert_eq!(g("corpus"), None);
    }

    #[test]
    fn ids_format_and_parse() {
        assert_eq!(format_ids(&[0, 12, 3]), "0,12,3");
        assert_eq!(parse_ids("0,12,3").unwrap(), vec![0, 12, 3]);
        assert_eq!(parse_ids("").unwrap(), Vec::<usize>::new());
        assert!(parse_ids("1,x").is_err());
    }
}
