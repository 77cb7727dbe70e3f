//! The Qwen2 tokenizer rebuilt from a GGUF file's own metadata, so that a GGUF alone is
//! enough to translate: byte-level BPE over `tokenizer.ggml.tokens`/`merges`, the Qwen2
//! pre-tokenizer split, NFC normalisation, and the control tokens (`<|im_start|>`...)
//! matched as special tokens. This is what HF `tokenizer.json` files for Qwen2 contain.

use anyhow::{bail, Context, Result};
use candle_core::quantized::gguf_file::{Content, Value};
use tokenizers::models::bpe::{Vocab, BPE};
use tokenizers::normalizers::unicode::NFC;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{AddedToken, SplitDelimiterBehavior, Tokenizer};

/// The pre-tokenizer regex of Qwen2 (llama.cpp `tokenizer.ggml.pre = "qwen2"`): contractions,
/// letter runs with one leading non-letter, single digits, punctuation runs, newlines, spaces.
const QWEN2_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// GGUF token type of ordinary vocabulary entries; every other type (control,
/// user-defined) is an added token matched before BPE.
const TOKEN_TYPE_NORMAL: i32 = 1;

/// Builds the tokenizer described by the GGUF metadata in `content`.
pub fn from_gguf(content: &Content) -> Result<Tokenizer> {
    let meta = |key: &str| {
        content
            .metadata
            .get(key)
            .with_context(|| format!("no {key} in the GGUF metadata"))
    };
    let model = meta("tokenizer.ggml.model")?.to_string()?;
    if model != "gpt2" {
        bail!("tokenizer.ggml.model is {model:?}; only byte-level BPE (\"gpt2\") models are supported");
    }
    let tokens = strings(meta("tokenizer.ggml.tokens")?)?;
    let merges = strings(meta("tokenizer.ggml.merges")?)?
        .into_iter()
        .map(|m| match m.split_once(' ') {
            Some((a, b)) => Ok((a.to_string(), b.to_string())),
            None => bail!("malformed merge {m:?} in tokenizer.ggml.merges"),
        })
        .collect::<Result<Vec<_>>>()?;
    let types = match content.metadata.get("tokenizer.ggml.token_type") {
        Some(v) => v
            .to_vec()?
            .iter()
            .map(|t| Ok(t.to_i32()?))
            .collect::<Result<Vec<_>>>()?,
        None => vec![TOKEN_TYPE_NORMAL; tokens.len()],
    };

    let vocab: Vocab = tokens
        .iter()
        .enumerate()
        .map(|(id, t)| (t.clone(), id as u32))
        .collect();
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .ignore_merges(false)
        .build()
        .map_err(|e| anyhow::anyhow!("cannot build the BPE model: {e}"))?;

    let mut tokenizer = Tokenizer::new(bpe);
    tokenizer
        .with_normalizer(Some(NFC))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let split = Split::new(
        SplitPattern::Regex(QWEN2_SPLIT.into()),
        SplitDelimiterBehavior::Isolated,
        false,
    )
    .map_err(|e| anyhow::anyhow!("bad pre-tokenizer regex: {e}"))?;
    tokenizer.with_pre_tokenizer(Some(Sequence::new(vec![
        split.into(),
        ByteLevel::new(false, false, false).into(),
    ])));
    tokenizer.with_decoder(Some(ByteLevel::default()));
    let special: Vec<AddedToken> = tokens
        .iter()
        .zip(&types)
        .filter(|(_, &t)| t != TOKEN_TYPE_NORMAL)
        .map(|(token, _)| AddedToken::from(token.clone(), true))
        .collect();
    tokenizer
        .add_special_tokens(special)
        .map_err(|e| anyhow::anyhow!("cannot add the control tokens: {e}"))?;
    Ok(tokenizer)
}

fn strings(value: &Value) -> Result<Vec<String>> {
    value
        .to_vec()?
        .iter()
        .map(|v| Ok(v.to_string()?.clone()))
        .collect()
}
