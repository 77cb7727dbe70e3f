//! A BERT sentence encoder: tokenize, batch by length, encode, pool, normalise.

use super::cache::hex;
use super::SentenceEmbedder;
use anyhow::{Context, Result};
use candle_core::{DType, Device, Tensor, D};
use candle_nn::{Linear, Module};
use candle_transformers::models::bert::BertModel;
use sha2::{Digest, Sha256};
use tokenizers::Tokenizer;

/// How token vectors become one sentence vector (sentence-transformers' `1_Pooling`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    /// The average of the non-padding token vectors (e5).
    Mean,
    /// The first token's vector (LaBSE).
    Cls,
}

/// Sentences per forward pass: long enough to keep the matrix kernels busy,
/// short enough that sorting by length leaves little padding.
const BATCH: usize = 64;

/// A BERT encoder with a pooling head, producing unit-length sentence vectors.
pub struct BertEmbedder {
    model: BertModel,
    tokenizer: Tokenizer,
    pooling: Pooling,
    /// Optional dense layer after pooling, followed by `tanh` (sentence-transformers' `2_Dense`).
    dense: Option<Linear>,
    /// Text put before every input, e.g. `query: ` for e5.
    prefix: String,
    pad_id: u32,
    dim: usize,
    device: Device,
    fingerprint: String,
}

impl BertEmbedder {
    /// Assembles an embedder; `dim` is the length of the vectors it returns.
    /// The fingerprint is computed from `files` (weights, tokenizer), the pooling and the prefix.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        model: BertModel,
        tokenizer: Tokenizer,
        pooling: Pooling,
        dense: Option<Linear>,
        prefix: &str,
        pad_id: u32,
        dim: usize,
        device: Device,
        files: &[&[u8]],
    ) -> Self {
        let mut hasher = Sha256::new();
        for bytes in files {
            hasher.update(Sha256::digest(bytes));
        }
        hasher.update(format!("{pooling:?}\0{prefix}\0{}", dense.is_some()));
        let fingerprint = format!("{}-{}", hex(&hasher.finalize()[..8]), dim);
        Self {
            fingerprint,
            model,
            tokenizer,
            pooling,
            dense,
            prefix: prefix.to_string(),
            pad_id,
            dim,
            device,
        }
    }

    /// Embeds already tokenized inputs (special tokens included), all in one batch.
    pub fn embed_ids(&self, batch: &[Vec<u32>]) -> Result<Vec<Vec<f32>>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let width = batch.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let mut ids = Vec::with_capacity(batch.len() * width);
        let mut mask = Vec::with_capacity(batch.len() * width);
        for seq in batch {
            ids.extend(
                seq.iter()
                    .copied()
                    .chain(std::iter::repeat(self.pad_id))
                    .take(width),
            );
            mask.extend((0..width).map(|i| u32::from(i < seq.len())));
        }
        let shape = (batch.len(), width);
        let ids = Tensor::from_vec(ids, shape, &self.device)?;
        let mask = Tensor::from_vec(mask, shape, &self.device)?;
        let hidden = self.model.forward(&ids, &ids.zeros_like()?, Some(&mask))?;
        let pooled = match self.pooling {
            Pooling::Mean => {
                let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
                let sum = hidden.broadcast_mul(&mask)?.sum(1)?;
                sum.broadcast_div(&mask.sum(1)?.clamp(1f32, f32::MAX)?)?
            }
            Pooling::Cls => hidden.narrow(1, 0, 1)?.squeeze(1)?,
        };
        let pooled = match &self.dense {
            Some(dense) => dense.forward(&pooled)?.tanh()?,
            None => pooled,
        };
        let norm = pooled
            .sqr()?
            .sum_keepdim(D::Minus1)?
            .sqrt()?
            .clamp(1e-12f32, f32::MAX)?;
        Ok(pooled.broadcast_div(&norm)?.to_vec2()?)
    }
}

impl SentenceEmbedder for BertEmbedder {
    fn dim(&self) -> usize {
        self.dim
    }

    fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        let inputs: Vec<String> = texts.iter().map(|t| format!("{}{t}", self.prefix)).collect();
        let encodings = self
            .tokenizer
            .encode_batch(inputs, true)
            .map_err(anyhow::Error::msg)
            .context("cannot tokenize")?;
        let ids: Vec<&[u32]> = encodings.iter().map(|e| e.get_ids()).collect();
        // Sorting by length keeps padding (wasted work) small within each batch.
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| ids[i].len());
        let mut out = vec![Vec::new(); ids.len()];
        for chunk in order.chunks(BATCH) {
            let batch: Vec<Vec<u32>> = chunk.iter().map(|&i| ids[i].to_vec()).collect();
            for (&i, vector) in chunk.iter().zip(self.embed_ids(&batch)?) {
                out[i] = vector;
            }
        }
        Ok(out)
    }
}
