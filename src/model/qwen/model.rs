//! Qwen2 decoder over quantized GGUF weights, after candle-transformers' `quantized_qwen2`,
//! with the key/value cache held outside the model: a [`KvCache`] is a cheap value that can
//! be cloned after a shared prompt prefix and reused for every sentence that follows it.

use crate::model::quantized::QuantizedLinear;
use anyhow::{Context, Result};
use candle_core::quantized::ggml_file::qtensor_from_ggml;
use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
use candle_core::{DType, Device, Module, Tensor, D};
use rayon::prelude::*;
use std::io::{Read, Seek};

/// Hyper-parameters read from the GGUF metadata (`qwen2.*` keys).
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Number of decoder blocks.
    pub block_count: usize,
    /// Width of the residual stream.
    pub embedding_length: usize,
    /// Query heads.
    pub head_count: usize,
    /// Key/value heads (grouped-query attention when fewer than query heads).
    pub head_count_kv: usize,
    /// Positions the model was trained for.
    pub context_length: usize,
    /// RMSNorm epsilon.
    pub rms_norm_eps: f64,
    /// RoPE base frequency.
    pub rope_freq_base: f32,
}

impl Config {
    /// Reads the configuration of a `qwen2` GGUF.
    pub fn from_gguf(ct: &gguf_file::Content) -> Result<Self> {
        let get = |key: &str| {
            ct.metadata
                .get(key)
                .with_context(|| format!("no {key} in the GGUF metadata (not a Qwen2 model?)"))
        };
        let arch = get("general.architecture")?.to_string()?;
        anyhow::ensure!(arch == "qwen2", "GGUF architecture is {arch:?}, not \"qwen2\"");
        let config = Config {
            block_count: get("qwen2.block_count")?.to_u32()? as usize,
            embedding_length: get("qwen2.embedding_length")?.to_u32()? as usize,
            head_count: get("qwen2.attention.head_count")?.to_u32()? as usize,
            head_count_kv: get("qwen2.attention.head_count_kv")?.to_u32()? as usize,
            context_length: get("qwen2.context_length")?.to_u32()? as usize,
            rms_norm_eps: get("qwen2.attention.layer_norm_rms_epsilon")?.to_f32()? as f64,
            rope_freq_base: match ct.metadata.get("qwen2.rope.freq_base") {
                Some(v) => v.to_f32()?,
                None => 10_000.0,
            },
        };
        anyhow::ensure!(
            config.head_count > 0
                && config.head_count_kv > 0
                && config.head_count.is_multiple_of(config.head_count_kv)
                && config.embedding_length.is_multiple_of(config.head_count)
                && config.head_dim().is_multiple_of(2),
            "inconsistent attention shape in the GGUF metadata: {config:?}"
        );
        Ok(config)
    }

    fn head_dim(&self) -> usize {
        self.embedding_length / self.head_count
    }
}

/// Keys and values of every block for the positions seen so far. Cloning shares the
/// tensors (they are never written in place), so a snapshot costs nothing.
#[derive(Debug, Clone, Default)]
pub struct KvCache {
    layers: Vec<(Tensor, Tensor)>,
    len: usize,
}

impl KvCache {
    /// Number of positions cached.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True before the first token.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

struct Weights<'a, R> {
    ct: &'a gguf_file::Content,
    reader: &'a mut R,
    device: &'a Device,
}

impl<R: Read + Seek> Weights<'_, R> {
    fn linear(&mut self, name: &str) -> Result<QuantizedLinear> {
        QuantizedLinear::new(self.qtensor(name)?).with_context(|| format!("cannot load tensor {name}"))
    }

    fn dense(&mut self, name: &str) -> Result<Tensor> {
        Ok(self.qtensor(name)?.dequantize(self.device)?)
    }

    fn qtensor(&mut self, name: &str) -> Result<QTensor> {
        let t = self
            .ct
            .tensor(self.reader, name, self.device)
            .with_context(|| format!("cannot read tensor {name}"))?;
        if t.dtype() == GgmlDType::Q5_0 {
            return q5_0_as_q8_0(&t, self.device).with_context(|| format!("cannot convert tensor {name}"));
        }
        Ok(t)
    }
}

/// The same weights as Q8_0. llama.cpp stores rows whose length is not a multiple of 256
/// (Qwen2.5-0.5B's width 896) as Q5_0, which candle multiplies with scalar code only;
/// every Q5_0 value `d·(q - 16)` is exactly the Q8_0 value `d·q8` with `q8 = q - 16`, and
/// both multiply against Q8_0-quantized activations, so the results are unchanged.
pub fn q5_0_as_q8_0(t: &QTensor, device: &Device) -> Result<QTensor> {
    const Q5_0_BLOCK: usize = 22; // f16 scale, 32 high bits, 16 bytes of low nibbles
    let src = t.data()?;
    let mut out = Vec::with_capacity(src.len() / Q5_0_BLOCK * 34);
    for block in src.chunks_exact(Q5_0_BLOCK) {
        let (scale, rest) = block.split_at(2);
        let (high, low) = rest.split_at(4);
        let high = u32::from_le_bytes([high[0], high[1], high[2], high[3]]);
        let mut q = [0u8; 32];
        for (j, &byte) in low.iter().enumerate() {
            // As llama.cpp's dequantize_row_q5_0: bit j of `high` tops value j, bit j+16 value j+16.
            let top_lo = (((high >> j) << 4) & 0x10) as u8;
            let top_hi = ((high >> (j + 12)) & 0x10) as u8;
            q[j] = ((byte & 0x0f) | top_lo).wrapping_sub(16);
            q[j + 16] = ((byte >> 4) | top_hi).wrapping_sub(16);
        }
        out.extend_from_slice(scale);
        out.extend_from_slice(&q);
    }
    Ok(qtensor_from_ggml(
        GgmlDType::Q8_0,
        &out,
        t.shape().dims().to_vec(),
        device,
    )?)
}

/// Rotary position embedding tables (NeoX layout: halves rotated, not pairs).
struct Rope {
    cos: Tensor,
    sin: Tensor,
}

impl Rope {
    fn new(cfg: &Config, device: &Device) -> Result<Self> {
        let dim = cfg.head_dim();
        let inv_freq: Vec<f32> = (0..dim)
            .step_by(2)
            .map(|i| 1.0 / cfg.rope_freq_base.powf(i as f32 / dim as f32))
            .collect();
        let inv_freq = Tensor::new(inv_freq.as_slice(), device)?.unsqueeze(0)?;
        let positions = Tensor::arange(0u32, cfg.context_length as u32, device)?
            .to_dtype(DType::F32)?
            .unsqueeze(1)?;
        let angles = positions.matmul(&inv_freq)?;
        Ok(Rope {
            cos: angles.cos()?,
            sin: angles.sin()?,
        })
    }

    /// Rotates `x` of shape (1, heads, seq, head_dim) for positions `start..start + seq`.
    fn apply(&self, x: &Tensor, start: usize) -> Result<Tensor> {
        let seq = x.dim(2)?;
        let cos = self.cos.narrow(0, start, seq)?;
        let sin = self.sin.narrow(0, start, seq)?;
        Ok(candle_nn::rotary_emb::rope(&x.contiguous()?, &cos, &sin)?)
    }
}

struct Attention {
    q: QuantizedLinear,
    k: QuantizedLinear,
    v: QuantizedLinear,
    q_bias: Tensor,
    k_bias: Tensor,
    v_bias: Tensor,
    o: QuantizedLinear,
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
}

impl Attention {
    /// Queries, keys and values of the rows of `x` (rows, hidden), biases added.
    fn project(&self, x: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
        Ok((
            self.q.forward(x)?.broadcast_add(&self.q_bias)?,
            self.k.forward(x)?.broadcast_add(&self.k_bias)?,
            self.v.forward(x)?.broadcast_add(&self.v_bias)?,
        ))
    }

    /// Self-attention of one sequence: its projected rows `q`, `k`, `v` (seq, ·) at
    /// positions `start..`, over its cached keys and values and itself. `mask` is
    /// additive, (seq, cached + seq), or `None` for a single token. Returns the attended
    /// rows (seq, hidden), before the output projection, and the grown cache entry.
    fn attend(
        &self,
        (q, k, v): (Tensor, Tensor, Tensor),
        rope: &Rope,
        cache: Option<&(Tensor, Tensor)>,
        start: usize,
        mask: Option<&Tensor>,
    ) -> Result<(Tensor, (Tensor, Tensor))> {
        let seq = q.dim(0)?;
        let heads = |t: Tensor, n: usize| -> Result<Tensor> {
            Ok(t.reshape((1, seq, n, self.head_dim))?.transpose(1, 2)?)
        };
        let q = rope.apply(&heads(q, self.heads)?, start)?;
        let k = rope.apply(&heads(k, self.kv_heads)?, start)?;
        let v = heads(v, self.kv_heads)?.contiguous()?;
        let (k, v) = match cache {
            Some((k_past, v_past)) => (Tensor::cat(&[k_past, &k], 2)?, Tensor::cat(&[v_past, &v], 2)?),
            None => (k, v),
        };

        // Grouped-query attention without copying keys: the query heads that share a
        // key/value head are stacked as extra rows of that head's query matrix.
        let groups = self.heads / self.kv_heads;
        let kv_len = k.dim(2)?;
        let q = q.reshape((self.kv_heads, groups * seq, self.head_dim))?;
        let k2 = k.reshape((self.kv_heads, kv_len, self.head_dim))?;
        let v2 = v.reshape((self.kv_heads, kv_len, self.head_dim))?;
        let scores = (q.matmul(&k2.t()?)? / (self.head_dim as f64).sqrt())?;
        let scores = match mask {
            Some(mask) => scores
                .reshape((self.kv_heads, groups, seq, kv_len))?
                .broadcast_add(mask)?
                .reshape((self.kv_heads, groups * seq, kv_len))?,
            None => scores,
        };
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let y = probs
            .matmul(&v2)?
            .reshape((self.heads, seq, self.head_dim))?
            .transpose(0, 1)?
            .reshape((seq, self.heads * self.head_dim))?;
        Ok((y, (k, v)))
    }
}

struct Mlp {
    gate: QuantizedLinear,
    up: QuantizedLinear,
    down: QuantizedLinear,
}

impl Module for Mlp {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let gate = candle_nn::ops::silu(&self.gate.forward(x)?)?;
        self.down.forward(&(gate * self.up.forward(x)?)?)
    }
}

struct Block {
    attn_norm: Tensor,
    attn: Attention,
    ffn_norm: Tensor,
    mlp: Mlp,
}

/// A Qwen2 model ready to run on quantized weights.
pub struct Qwen2 {
    config: Config,
    /// Token embeddings, kept in f16 to halve their memory (they are only gathered).
    embeddings: Tensor,
    blocks: Vec<Block>,
    norm: Tensor,
    lm_head: QuantizedLinear,
    rope: Rope,
    device: Device,
}

impl Qwen2 {
    /// Loads the model from an opened GGUF file.
    pub fn from_gguf<R: Read + Seek>(
        ct: &gguf_file::Content,
        reader: &mut R,
        device: &Device,
    ) -> Result<Self> {
        let config = Config::from_gguf(ct)?;
        let mut w = Weights { ct, reader, device };
        let embeddings = w.qtensor("token_embd.weight")?.dequantize_f16(device)?;
        let lm_head = if ct.tensor_infos.contains_key("output.weight") {
            w.linear("output.weight")?
        } else {
            w.linear("token_embd.weight")? // tied embeddings
        };
        let mut blocks = Vec::with_capacity(config.block_count);
        for i in 0..config.block_count {
            let name = |n: &str| format!("blk.{i}.{n}");
            blocks.push(Block {
                attn_norm: w.dense(&name("attn_norm.weight"))?,
                attn: Attention {
                    q: w.linear(&name("attn_q.weight"))?,
                    k: w.linear(&name("attn_k.weight"))?,
                    v: w.linear(&name("attn_v.weight"))?,
                    q_bias: w.dense(&name("attn_q.bias"))?,
                    k_bias: w.dense(&name("attn_k.bias"))?,
                    v_bias: w.dense(&name("attn_v.bias"))?,
                    o: w.linear(&name("attn_output.weight"))?,
                    heads: config.head_count,
                    kv_heads: config.head_count_kv,
                    head_dim: config.head_dim(),
                },
                ffn_norm: w.dense(&name("ffn_norm.weight"))?,
                mlp: Mlp {
                    gate: w.linear(&name("ffn_gate.weight"))?,
                    up: w.linear(&name("ffn_up.weight"))?,
                    down: w.linear(&name("ffn_down.weight"))?,
                },
            });
        }
        Ok(Qwen2 {
            rope: Rope::new(&config, device)?,
            norm: w.dense("output_norm.weight")?,
            config,
            embeddings,
            blocks,
            lm_head,
            device: device.clone(),
        })
    }

    /// Number of tokens the model scores (the length of its logits).
    pub fn vocab_size(&self) -> usize {
        self.embeddings.dims().first().copied().unwrap_or_default()
    }

    /// The model's hyper-parameters.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Runs `tokens` after the positions in `cache`, appends their keys and values to
    /// it, and returns the next-token logits after the last of them (f32, vocab).
    pub fn forward(&self, tokens: &[u32], cache: &mut KvCache) -> Result<Tensor> {
        Ok(self.forward_batch(&mut [Step { tokens, cache }])?.squeeze(0)?)
    }

    /// Runs several sequences in one pass: every step's tokens continue its own cache.
    /// The rows of all steps share the matrix multiplications; attention runs per
    /// sequence. Returns the next-token logits after each step's last token (steps, vocab),
    /// the same numbers each step would get alone.
    pub fn forward_batch(&self, steps: &mut [Step<'_>]) -> Result<Tensor> {
        self.forward_picked(steps, |_, seq| vec![seq - 1])
    }

    /// Runs `steps` as [`Qwen2::forward_batch`] does and returns the next-token logits
    /// after the tokens `pick` chooses (positions in a step, given the step's index and
    /// length), step after step (picked, vocab).
    pub fn forward_picked(
        &self,
        steps: &mut [Step<'_>],
        pick: impl Fn(usize, usize) -> Vec<usize>,
    ) -> Result<Tensor> {
        anyhow::ensure!(steps.iter().all(|s| !s.tokens.is_empty()), "no tokens to run");
        let mut spans = Vec::with_capacity(steps.len());
        let mut rows = 0;
        for step in steps.iter() {
            let (start, seq) = (step.cache.len, step.tokens.len());
            anyhow::ensure!(
                start + seq <= self.config.context_length,
                "prompt and output need {} positions; the model has {}",
                start + seq,
                self.config.context_length
            );
            spans.push((rows, seq, start));
            rows += seq;
        }
        let ids: Vec<u32> = steps.iter().flat_map(|s| s.tokens.iter().copied()).collect();
        let ids = Tensor::new(ids.as_slice(), &self.device)?;
        let mut x = self.embeddings.index_select(&ids, 0)?.to_dtype(DType::F32)?;
        let masks = spans
            .iter()
            .map(|&(_, seq, start)| {
                (seq > 1)
                    .then(|| causal_mask(seq, start, &self.device))
                    .transpose()
            })
            .collect::<Result<Vec<_>>>()?;
        let eps = self.config.rms_norm_eps as f32;
        let mut layers: Vec<Vec<(Tensor, Tensor)>> = vec![Vec::with_capacity(self.blocks.len()); steps.len()];
        for (i, block) in self.blocks.iter().enumerate() {
            let h = candle_nn::ops::rms_norm(&x, &block.attn_norm, eps)?;
            let (q, k, v) = block.attn.project(&h)?;
            // Rows attend to their own caches only, so they run side by side: one row's
            // attention is many small serial ops that would leave the other threads idle.
            let rows = spans
                .par_iter()
                .zip(steps.par_iter())
                .zip(masks.par_iter())
                .map(|((&(row, seq, start), step), mask)| {
                    let qkv = (
                        q.narrow(0, row, seq)?,
                        k.narrow(0, row, seq)?,
                        v.narrow(0, row, seq)?,
                    );
                    block
                        .attn
                        .attend(qkv, &self.rope, step.cache.layers.get(i), start, mask.as_ref())
                })
                .collect::<Result<Vec<_>>>()?;
            let mut attended = Vec::with_capacity(steps.len());
            for ((y, kv), layer) in rows.into_iter().zip(layers.iter_mut()) {
                attended.push(y);
                layer.push(kv);
            }
            let y = Tensor::cat(&attended, 0)?;
            x = (x + block.attn.o.forward(&y)?)?;
            let h = candle_nn::ops::rms_norm(&x, &block.ffn_norm, eps)?;
            x = (&x + block.mlp.forward(&h)?)?;
        }
        for (step, (kv, &(_, seq, start))) in steps.iter_mut().zip(layers.into_iter().zip(&spans)) {
            step.cache.layers = kv;
            step.cache.len = start + seq;
        }
        let picked: Vec<u32> = spans
            .iter()
            .enumerate()
            .flat_map(|(i, &(row, seq, _))| pick(i, seq).into_iter().map(move |p| (row + p) as u32))
            .collect();
        let picked = x.index_select(&Tensor::new(picked.as_slice(), &self.device)?, 0)?;
        let picked = candle_nn::ops::rms_norm(&picked, &self.norm, eps)?;
        Ok(self.lm_head.forward(&picked)?.to_dtype(DType::F32)?)
    }
}

/// One sequence of a batched forward pass: tokens to run after what `cache` holds.
pub struct Step<'a> {
    /// The new tokens (at least one).
    pub tokens: &'a [u32],
    /// The sequence's keys and values so far; the step appends its own.
    pub cache: &'a mut KvCache,
}

/// Additive mask (seq, start + seq): position `start + i` sees keys `0..=start + i`.
fn causal_mask(seq: usize, start: usize, device: &Device) -> Result<Tensor> {
    let mask: Vec<f32> = (0..seq)
        .flat_map(|i| (0..start + seq).map(move |j| if j > start + i { f32::NEG_INFINITY } else { 0.0 }))
        .collect();
    Ok(Tensor::from_vec(mask, (seq, start + seq), device)?)
}

/// Index of the largest logit (greedy decoding).
pub fn argmax(logits: &Tensor) -> Result<u32> {
    Ok(logits.argmax(D::Minus1)?.to_scalar::<u32>()?)
}
