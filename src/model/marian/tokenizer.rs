//! Marian's tokenizer without Python: SentencePiece models (`source.spm`, `target.spm`)
//! read from their protobuf and rebuilt as `tokenizers` Unigram tokenizers, mapped into
//! the model's own id space (`vocab.json`), as HF `MarianTokenizer` does.

use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use std::path::Path;
use tokenizers::models::unigram::Unigram;
use tokenizers::normalizers::precompiled::Precompiled;
use tokenizers::normalizers::replace::{Replace, ReplacePattern};
use tokenizers::normalizers::{NormalizerWrapper, Sequence};
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::Tokenizer;

/// The word-boundary mark SentencePiece puts in place of spaces.
const SPACE_MARK: char = '▁';

/// The parts of a SentencePiece `ModelProto` a tokenizer needs.
#[derive(Debug, Clone, Default)]
pub struct SpmModel {
    /// Pieces with their log-probability scores, in SentencePiece id order.
    pub pieces: Vec<(String, f64)>,
    /// SentencePiece id of the unknown piece.
    pub unk_id: usize,
    /// Whether unknown characters fall back to byte pieces.
    pub byte_fallback: bool,
    /// The compiled normalization rules (`nmt_nfkc` and friends); may be empty.
    pub precompiled_charsmap: Vec<u8>,
    /// Prepend a space to the text (SentencePiece's default).
    pub add_dummy_prefix: bool,
    /// Strip leading/trailing spaces and collapse runs of spaces.
    pub remove_extra_whitespaces: bool,
}

/// A minimal protobuf wire-format reader: enough for SentencePiece's model file.
struct Wire<'a> {
    buf: &'a [u8],
}

/// A field value on the wire.
enum Value<'a> {
    Varint(u64),
    Fixed32(u32),
    Fixed64,
    Bytes(&'a [u8]),
}

impl<'a> Wire<'a> {
    fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.buf.split_first()?;
            self.buf = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.buf.len() {
            return None;
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Some(head)
    }

    /// The next (field number, value), `None` at the end, `Err` on malformed input.
    fn field(&mut self) -> Result<Option<(u64, Value<'a>)>, ()> {
        if self.buf.is_empty() {
            return Ok(None);
        }
        let key = self.varint().ok_or(())?;
        let value = match key & 7 {
            0 => Value::Varint(self.varint().ok_or(())?),
            1 => {
                self.take(8).ok_or(())?;
                Value::Fixed64
            }
            2 => {
                let n = usize::try_from(self.varint().ok_or(())?).map_err(|_| ())?;
                Value::Bytes(self.take(n).ok_or(())?)
            }
            5 => {
                let b = self.take(4).ok_or(())?;
                Value::Fixed32(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            }
            _ => return Err(()),
        };
        Ok(Some((key >> 3, value)))
    }
}

impl SpmModel {
    /// Reads a SentencePiece model file.
    pub fn load(path: &Path) -> Result<SpmModel> {
        let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
        Self::parse(&bytes).with_context(|| format!("{}: not a SentencePiece model", path.display()))
    }

    /// Parses `ModelProto` bytes: pieces (field 1), trainer spec (2), normalizer spec (3).
    pub fn parse(bytes: &[u8]) -> Result<SpmModel> {
        let malformed = |_| anyhow::anyhow!("malformed protobuf");
        let mut model = SpmModel {
            add_dummy_prefix: true,
            remove_extra_whitespaces: true,
            ..SpmModel::default()
        };
        let mut wire = Wire { buf: bytes };
        while let Some((field, value)) = wire.field().map_err(malformed)? {
            match (field, value) {
                (1, Value::Bytes(piece)) => {
                    let (text, score, kind) = parse_piece(piece).map_err(malformed)?;
                    if kind == 2 {
                        model.unk_id = model.pieces.len();
                    }
                    model.pieces.push((text, score));
                }
                (2, Value::Bytes(trainer)) => {
                    let mut w = Wire { buf: trainer };
                    while let Some((f, v)) = w.field().map_err(malformed)? {
                        if let (35, Value::Varint(b)) = (f, v) {
                            model.byte_fallback = b != 0;
                        }
                    }
                }
                (3, Value::Bytes(normalizer)) => {
                    let mut w = Wire { buf: normalizer };
                    while let Some((f, v)) = w.field().map_err(malformed)? {
                        match (f, v) {
                            (2, Value::Bytes(map)) => model.precompiled_charsmap = map.to_vec(),
                            (3, Value::Varint(b)) => model.add_dummy_prefix = b != 0,
                            (4, Value::Varint(b)) => model.remove_extra_whitespaces = b != 0,
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        if model.pieces.is_empty() {
            bail!("no pieces");
        }
        Ok(model)
    }

    /// The equivalent `tokenizers` pipeline, as HF's `SpmConverter` builds it:
    /// Precompiled normalizer, whitespace clean-up, `▁` for spaces, Metaspace prefix,
    /// Unigram model.
    pub fn to_tokenizer(&self) -> Result<Tokenizer> {
        let unigram = Unigram::from(self.pieces.clone(), Some(self.unk_id), self.byte_fallback)
            .map_err(|e| anyhow::anyhow!("cannot build the Unigram model: {e}"))?;
        let mut normalizers: Vec<NormalizerWrapper> = Vec::new();
        if !self.precompiled_charsmap.is_empty() {
            let map = Precompiled::from(&self.precompiled_charsmap)
                .map_err(|e| anyhow::anyhow!("bad precompiled_charsmap: {e}"))?;
            normalizers.push(map.into());
        }
        let replace = |pattern: ReplacePattern, content: &str| -> Result<NormalizerWrapper> {
            Ok(Replace::new(pattern, content)
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .into())
        };
        if self.remove_extra_whitespaces {
            normalizers.push(replace(ReplacePattern::Regex(r"\A +| +\z".into()), "")?);
            normalizers.push(replace(ReplacePattern::Regex(" {2,}".into()), " ")?);
        }
        normalizers.push(replace(ReplacePattern::String(" ".into()), "▁")?);
        if self.add_dummy_prefix {
            // SentencePiece adds the prefix even when the text already starts with `▁`;
            // Metaspace would not, so double it first.
            normalizers.push(replace(ReplacePattern::Regex(r"\A▁".into()), "▁▁")?);
        }
        let mut tokenizer = Tokenizer::new(unigram);
        tokenizer
            .with_normalizer(Some(Sequence::new(normalizers)))
            .map_err(|e| anyhow::anyhow!("cannot build the normalizer: {e}"))?;
        if self.add_dummy_prefix {
            tokenizer.with_pre_tokenizer(Some(Metaspace::new(SPACE_MARK, PrependScheme::Always, false)));
        }
        Ok(tokenizer)
    }
}

/// A `SentencePiece` message: piece (1), score (2), type (3, default NORMAL = 1).
fn parse_piece(bytes: &[u8]) -> Result<(String, f64, u64), ()> {
    let mut wire = Wire { buf: bytes };
    let (mut text, mut score, mut kind) = (String::new(), 0f64, 1u64);
    while let Some((field, value)) = wire.field()? {
        match (field, value) {
            (1, Value::Bytes(b)) => text = String::from_utf8(b.to_vec()).map_err(|_| ())?,
            (2, Value::Fixed32(bits)) => score = f64::from(f32::from_bits(bits)),
            (3, Value::Varint(k)) => kind = k,
            _ => {}
        }
    }
    Ok((text, score, kind))
}

/// How text becomes model ids and back.
enum Pieces {
    /// SentencePiece source model; pieces are mapped through `vocab.json`.
    Spm(Box<Tokenizer>),
    /// A ready `tokenizer.json` whose ids are the model's ids.
    Json(Box<Tokenizer>),
}

/// MarianTokenizer: encodes source text into model ids (with `</s>` appended and an
/// optional `>>lang<<` token first) and decodes target ids into text.
pub struct MarianTokenizer {
    source: Pieces,
    vocab: HashMap<String, u32>,
    id_to_piece: HashMap<u32, String>,
    unk_id: u32,
    eos_id: u32,
    pad_id: u32,
}

impl MarianTokenizer {
    /// Loads `source.spm`, `target.spm` and `vocab.json` from `dir`, or `tokenizer.json`
    /// when the directory has one instead.
    pub fn load(dir: &Path) -> Result<MarianTokenizer> {
        let json = dir.join("tokenizer.json");
        let vocab_path = dir.join("vocab.json");
        if !dir.join("source.spm").exists() && json.exists() {
            let tok = Tokenizer::from_file(&json)
                .map_err(|e| anyhow::anyhow!("{}: cannot load tokenizer: {e}", json.display()))?;
            let vocab: HashMap<String, u32> = tok.get_vocab(true).into_iter().collect();
            return Self::with_vocab(Pieces::Json(Box::new(tok)), vocab, &json);
        }
        let source = SpmModel::load(&dir.join("source.spm"))?.to_tokenizer()?;
        // target.spm is only read to check that it is there and valid: decoding maps ids to
        // pieces through vocab.json and joins them, which is what SentencePiece does.
        SpmModel::load(&dir.join("target.spm"))?;
        let text = std::fs::read_to_string(&vocab_path)
            .with_context(|| format!("{}: cannot read", vocab_path.display()))?;
        let vocab: HashMap<String, u32> = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a JSON object of piece → id", vocab_path.display()))?;
        Self::with_vocab(Pieces::Spm(Box::new(source)), vocab, &vocab_path)
    }

    fn with_vocab(source: Pieces, vocab: HashMap<String, u32>, path: &Path) -> Result<MarianTokenizer> {
        let special = |name: &str| {
            vocab
                .get(name)
                .copied()
                .with_context(|| format!("{}: no {name} in the vocabulary", path.display()))
        };
        let (unk_id, eos_id, pad_id) = (special("<unk>")?, special("</s>")?, special("<pad>")?);
        let id_to_piece = vocab.iter().map(|(p, &i)| (i, p.clone())).collect();
        Ok(MarianTokenizer {
            source,
            vocab,
            id_to_piece,
            unk_id,
            eos_id,
            pad_id,
        })
    }

    /// Id of `</s>`.
    pub fn eos_id(&self) -> u32 {
        self.eos_id
    }

    /// The id of a target-language token such as `>>cmn_Hans<<`, when the vocabulary has it.
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.vocab.get(token).copied()
    }

    /// Source text → model ids ending in `</s>`. A leading `>>lang<<` code is one token.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let mut ids = Vec::new();
        let mut rest = text;
        if let Some(end) = text.strip_prefix(">>").and_then(|t| t.find("<<")) {
            let code = &text[..end + 4];
            ids.push(self.vocab.get(code).copied().unwrap_or(self.unk_id));
            rest = &text[end + 4..];
        }
        match &self.source {
            Pieces::Spm(tok) => {
                let enc = tok
                    .encode(rest, false)
                    .map_err(|e| anyhow::anyhow!("cannot tokenize: {e}"))?;
                ids.extend(
                    enc.get_tokens()
                        .iter()
                        .map(|p| self.vocab.get(p).copied().unwrap_or(self.unk_id)),
                );
            }
            Pieces::Json(tok) => {
                let enc = tok
                    .encode(rest, false)
                    .map_err(|e| anyhow::anyhow!("cannot tokenize: {e}"))?;
                ids.extend_from_slice(enc.get_ids());
            }
        }
        ids.push(self.eos_id);
        Ok(ids)
    }

    /// Target ids → text, skipping `</s>`, `<pad>` and `<unk>` like
    /// `MarianTokenizer.decode(ids, skip_special_tokens=True)`.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        let kept: Vec<u32> = ids
            .iter()
            .copied()
            .filter(|&i| i != self.eos_id && i != self.pad_id && i != self.unk_id)
            .collect();
        if let Pieces::Json(tok) = &self.source {
            return tok
                .decode(&kept, true)
                .map_err(|e| anyhow::anyhow!("cannot decode: {e}"));
        }
        // An id the model has but vocab.json lacks has no text: skipped, like <unk>.
        let text: String = kept
            .iter()
            .filter_map(|id| self.id_to_piece.get(id).map(String::as_str))
            .collect();
        Ok(text.replace(SPACE_MARK, " ").trim().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixture_spm_has_the_settings_it_was_trained_with() {
        // scripts/marian_golden.py trains the English side with vocab_size=300, eos_id=0,
        // unk_id=1 and the default nmt_nfkc normalization.
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/marian/tiny-en-zh");
        let spm = SpmModel::load(&dir.join("source.spm")).unwrap();
        assert_eq!(spm.pieces.len(), 300);
        assert_eq!(spm.pieces[0].0, "</s>");
        assert_eq!((spm.unk_id, spm.pieces[1].0.as_str()), (1, "<unk>"));
        assert!(spm.add_dummy_prefix && spm.remove_extra_whitespaces && !spm.byte_fallback);
        assert!(!spm.precompiled_charsmap.is_empty());
    }

    #[test]
    fn truncated_or_empty_model_files_are_errors_not_panics() {
        assert!(SpmModel::parse(&[]).is_err());
        assert!(SpmModel::parse(&[0x0a, 0xff]).is_err());
        assert!(SpmModel::parse(&[0x0a, 0x05, 0x0a, 0x01]).is_err());
        assert!(SpmModel::parse(b"not a protobuf at all").is_err());
    }
}
