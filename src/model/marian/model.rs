//! The MarianMT transformer (Junczys-Dowmunt et al. 2018; HF `MarianMTModel`): post-norm
//! encoder and decoder layers, sinusoidal positions, tied embeddings and a final logits bias.
//!
//! Unlike `candle_transformers::models::marian`, the encoder keeps no state between
//! calls, padding is masked in the encoder and in cross-attention, cross-attention keys
//! and values are computed once per batch, and the decoder state can be reordered or
//! shrunk between steps (beam search, finished sequences dropped). The self-attention
//! cache is written in place, and the linear layers can be quantized (opt-in).

use super::config::Config;
use super::simd_exp;
use crate::model::quantized::QuantizedLinear;
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{CpuStorage, CustomOp1, DType, Device, Layout, Module, Shape, Storage, Tensor, D};
use candle_nn::{layer_norm, linear, Activation, LayerNorm, Linear, VarBuilder};

/// How [`MarianModel::quantize`] stores the linear layers' weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantization {
    /// A GGML block type (q8_0 …), multiplied as llama.cpp does.
    Ggml(GgmlDType),
    /// int8 with one scale per output row, multiplied as CTranslate2 int8 does.
    Int8,
}

/// A linear layer `x·Wᵀ + b`: f32 (or f16/bf16) weights as loaded, or quantized weights
/// whose matmul quantizes the activations on the fly (as llama.cpp).
#[derive(Debug, Clone)]
enum Projection {
    Dense(Linear),
    Quantized {
        weight: QuantizedLinear,
        bias: Option<Tensor>,
        /// Zero columns added to reach a whole number of quantization blocks; the
        /// input gets as many zeros, so the product is unchanged.
        pad: usize,
    },
}

impl Projection {
    fn load(in_dim: usize, out_dim: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Projection::Dense(linear(in_dim, out_dim, vb)?))
    }

    /// Quantizes the weights; GGML types zero-pad the input width to whole blocks.
    fn quantize(&mut self, to: Quantization) -> candle_core::Result<()> {
        let Projection::Dense(dense) = self else {
            return Ok(());
        };
        let weight = dense.weight().to_dtype(DType::F32)?;
        if let Quantization::Ggml(dtype) = to {
            let pad = weight.dim(1)?.next_multiple_of(dtype.block_size()) - weight.dim(1)?;
            let weight = weight.pad_with_zeros(1, 0, pad)?;
            *self = Projection::Quantized {
                weight: QuantizedLinear::new(QTensor::quantize(&weight, dtype)?)?,
                bias: dense.bias().cloned(),
                pad,
            };
        } else {
            // The int8 kernel adds the bias as it writes each product.
            *self = Projection::Quantized {
                weight: QuantizedLinear::int8(&weight, dense.bias())?,
                bias: None,
                pad: 0,
            };
        }
        Ok(())
    }
}

impl Module for Projection {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Projection::Dense(dense) => dense.forward(x),
            Projection::Quantized { weight, bias, pad } => {
                let y = if *pad > 0 {
                    weight.forward(&x.pad_with_zeros(D::Minus1, 0, *pad)?)?
                } else {
                    weight.forward(x)?
                };
                match bias {
                    Some(b) => y.broadcast_add(b),
                    None => Ok(y),
                }
            }
        }
    }
}

/// Self-attention keys and values of the steps so far, (batch, heads, capacity,
/// head_dim): each step writes its slot in place; the buffer grows by [`KV_GROWTH`]
/// slots when full instead of being concatenated at every step.
#[derive(Debug, Clone)]
struct KvCache {
    k: Tensor,
    v: Tensor,
    len: usize,
}

/// Slots added whenever the self-attention cache is full.
const KV_GROWTH: usize = 16;

impl KvCache {
    fn empty(like: &Tensor) -> candle_core::Result<Self> {
        let (b, h, _, d) = like.dims4()?;
        let zeros = Tensor::zeros((b, h, 0, d), like.dtype(), like.device())?;
        Ok(KvCache {
            k: zeros.clone(),
            v: zeros,
            len: 0,
        })
    }

    /// Appends one step's keys and values (batch, heads, 1, head_dim).
    fn append(&mut self, k: &Tensor, v: &Tensor) -> candle_core::Result<()> {
        if self.len == self.k.dim(2)? {
            let (b, h, _, d) = k.dims4()?;
            let more = Tensor::zeros((b, h, KV_GROWTH, d), k.dtype(), k.device())?;
            self.k = Tensor::cat(&[&self.k, &more], 2)?;
            self.v = Tensor::cat(&[&self.v, &more], 2)?;
        }
        self.k.slice_set(k, 2, self.len)?;
        self.v.slice_set(v, 2, self.len)?;
        self.len += 1;
        Ok(())
    }

    /// Keys and values of the steps so far.
    fn keys_values(&self) -> candle_core::Result<(Tensor, Tensor)> {
        Ok((self.k.narrow(2, 0, self.len)?, self.v.narrow(2, 0, self.len)?))
    }

    fn select(&self, idx: &Tensor) -> candle_core::Result<Self> {
        Ok(KvCache {
            k: self.k.index_select(idx, 0)?,
            v: self.v.index_select(idx, 0)?,
            len: self.len,
        })
    }
}

/// HF MarianSinusoidalPositionalEmbedding: sines in the first half of each vector,
/// cosines in the second, not interleaved.
fn sinusoidal_positions(n_pos: usize, dim: usize, dtype: DType, dev: &Device) -> candle_core::Result<Tensor> {
    let sentinel = dim.div_ceil(2);
    let mut table = vec![0f32; n_pos * dim];
    for pos in 0..n_pos {
        let row = &mut table[pos * dim..(pos + 1) * dim];
        for j in 0..dim {
            let angle = pos as f64 / 10000f64.powf((2 * (j / 2)) as f64 / dim as f64);
            if j % 2 == 0 {
                row[j / 2] = angle.sin() as f32;
            } else {
                row[sentinel + j / 2] = angle.cos() as f32;
            }
        }
    }
    Tensor::from_vec(table, (n_pos, dim), dev)?.to_dtype(dtype)
}

/// Multi-head attention with separate query, key, value and output projections.
#[derive(Debug, Clone)]
struct Attention {
    q_proj: Projection,
    k_proj: Projection,
    v_proj: Projection,
    out_proj: Projection,
    heads: usize,
    head_dim: usize,
}

impl Attention {
    fn new(d_model: usize, heads: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Attention {
            q_proj: Projection::load(d_model, d_model, vb.pp("q_proj"))?,
            k_proj: Projection::load(d_model, d_model, vb.pp("k_proj"))?,
            v_proj: Projection::load(d_model, d_model, vb.pp("v_proj"))?,
            out_proj: Projection::load(d_model, d_model, vb.pp("out_proj"))?,
            heads,
            head_dim: d_model / heads,
        })
    }

    fn projections(&mut self) -> [&mut Projection; 4] {
        [
            &mut self.q_proj,
            &mut self.k_proj,
            &mut self.v_proj,
            &mut self.out_proj,
        ]
    }

    /// (batch, len, d_model) → (batch, heads, len, head_dim).
    fn split_heads(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (b, t, _) = x.dims3()?;
        x.reshape((b, t, self.heads, self.head_dim))?
            .transpose(1, 2)?
            .contiguous()
    }

    /// Keys and values of `x`, split into heads.
    fn keys_values(&self, x: &Tensor) -> candle_core::Result<(Tensor, Tensor)> {
        Ok((
            self.split_heads(&self.k_proj.forward(x)?)?,
            self.split_heads(&self.v_proj.forward(x)?)?,
        ))
    }

    /// softmax(q·kᵀ/√d + mask)·v for queries from `x` (rows, len, d_model) over keys
    /// and values (sets, heads, keys, head_dim). Each key set serves `rows / sets`
    /// consecutive rows (the beams of one sentence share its source), so beams never
    /// need copies of the source's keys. `mask` is additive and broadcasts to (sets,
    /// heads, queries, keys).
    fn attend(
        &self,
        x: &Tensor,
        k: &Tensor,
        v: &Tensor,
        mask: Option<&Tensor>,
    ) -> candle_core::Result<Tensor> {
        let (rows, t, d) = x.dims3()?;
        let sets = k.dim(0)?;
        if sets == 0 || rows % sets != 0 {
            candle_core::bail!("{rows} query rows cannot share {sets} key sets");
        }
        let group = rows / sets;
        let (h, hd) = (self.heads, self.head_dim);
        let scale = (hd as f64).powf(-0.5);
        let q = self.split_heads(&(self.q_proj.forward(x)? * scale)?)?;
        let q = if group > 1 {
            q.reshape((sets, group, h, t, hd))?
                .transpose(1, 2)?
                .reshape((sets, h, group * t, hd))?
        } else {
            q
        };
        let mut scores = q.matmul(&k.t()?)?;
        if let Some(mask) = mask {
            scores = scores.broadcast_add(mask)?;
        }
        let weights = candle_nn::ops::softmax_last_dim(&scores)?;
        let out = weights
            .matmul(v)?
            .reshape((sets, h, group, t, hd))?
            .permute((0, 2, 3, 1, 4))?
            .reshape((rows, t, d))?;
        self.out_proj.forward(&out)
    }
}

/// fc1 → activation → fc2.
#[derive(Debug, Clone)]
struct FeedForward {
    fc1: Projection,
    fc2: Projection,
    act: Activation,
}

impl FeedForward {
    fn new(d_model: usize, ffn: usize, act: Activation, vb: &VarBuilder) -> candle_core::Result<Self> {
        Ok(FeedForward {
            fc1: Projection::load(d_model, ffn, vb.pp("fc1"))?,
            fc2: Projection::load(ffn, d_model, vb.pp("fc2"))?,
            act,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let h = self.fc1.forward(x)?;
        let h = match self.act {
            Activation::Swish | Activation::Silu if h.device().is_cpu() && h.dtype() == DType::F32 => {
                h.contiguous()?.apply_op1_no_bwd(&Silu)?
            }
            act => act.forward(&h)?,
        };
        self.fc2.forward(&h)
    }
}

/// Swish (SiLU) of f32 values on the CPU with [`simd_exp`]'s vectorised exp: candle's
/// runs libm's `expf` one value at a time.
struct Silu;

impl CustomOp1 for Silu {
    fn name(&self) -> &'static str {
        "silu"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let (CpuStorage::F32(x), Some((start, end))) = (storage, layout.contiguous_offsets()) else {
            candle_core::bail!("silu: expects contiguous f32 values");
        };
        Ok((
            CpuStorage::F32(simd_exp::silu(&x[start..end])),
            layout.shape().clone(),
        ))
    }
}

/// Self-attention and feed-forward, each followed by residual add and LayerNorm.
#[derive(Debug, Clone)]
struct EncoderLayer {
    self_attn: Attention,
    self_attn_layer_norm: LayerNorm,
    ffn: FeedForward,
    final_layer_norm: LayerNorm,
}

impl EncoderLayer {
    fn new(cfg: &Config, vb: VarBuilder) -> candle_core::Result<Self> {
        let d = cfg.d_model;
        Ok(EncoderLayer {
            self_attn: Attention::new(d, cfg.encoder_attention_heads, vb.pp("self_attn"))?,
            self_attn_layer_norm: layer_norm(d, 1e-5, vb.pp("self_attn_layer_norm"))?,
            ffn: FeedForward::new(d, cfg.encoder_ffn_dim, cfg.activation_function, &vb)?,
            final_layer_norm: layer_norm(d, 1e-5, vb.pp("final_layer_norm"))?,
        })
    }

    fn forward(&self, x: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        let (k, v) = self.self_attn.keys_values(x)?;
        let x = self
            .self_attn_layer_norm
            .forward(&(x + self.self_attn.attend(x, &k, &v, Some(mask))?)?)?;
        self.final_layer_norm.forward(&(&x + self.ffn.forward(&x)?)?)
    }
}

/// Masked self-attention, cross-attention over the encoder, feed-forward; post-norm.
#[derive(Debug, Clone)]
struct DecoderLayer {
    self_attn: Attention,
    self_attn_layer_norm: LayerNorm,
    encoder_attn: Attention,
    encoder_attn_layer_norm: LayerNorm,
    ffn: FeedForward,
    final_layer_norm: LayerNorm,
}

impl DecoderLayer {
    fn new(cfg: &Config, vb: VarBuilder) -> candle_core::Result<Self> {
        let d = cfg.d_model;
        let heads = cfg.decoder_attention_heads;
        Ok(DecoderLayer {
            self_attn: Attention::new(d, heads, vb.pp("self_attn"))?,
            self_attn_layer_norm: layer_norm(d, 1e-5, vb.pp("self_attn_layer_norm"))?,
            encoder_attn: Attention::new(d, heads, vb.pp("encoder_attn"))?,
            encoder_attn_layer_norm: layer_norm(d, 1e-5, vb.pp("encoder_attn_layer_norm"))?,
            ffn: FeedForward::new(d, cfg.decoder_ffn_dim, cfg.activation_function, &vb)?,
            final_layer_norm: layer_norm(d, 1e-5, vb.pp("final_layer_norm"))?,
        })
    }

    /// One decoding step for `x` (batch, 1, d): appends this step's keys and values to
    /// `cache`, attends over all earlier steps (no causal mask needed) and the source.
    fn step(&self, x: &Tensor, cache: &mut LayerCache) -> candle_core::Result<Tensor> {
        let (k, v) = self.self_attn.keys_values(x)?;
        let self_kv = match &mut cache.self_kv {
            Some(kv) => kv,
            None => cache.self_kv.insert(KvCache::empty(&k)?),
        };
        self_kv.append(&k, &v)?;
        let (k, v) = self_kv.keys_values()?;
        let h = self.self_attn.attend(x, &k, &v, None)?;
        let x = self.self_attn_layer_norm.forward(&(x + h)?)?;
        let h = self
            .encoder_attn
            .attend(&x, &cache.cross_k, &cache.cross_v, Some(&cache.source_mask))?;
        let x = self.encoder_attn_layer_norm.forward(&(x + h)?)?;
        self.final_layer_norm.forward(&(&x + self.ffn.forward(&x)?)?)
    }
}

/// What one decoder layer remembers between steps.
#[derive(Debug, Clone)]
struct LayerCache {
    cross_k: Tensor,
    cross_v: Tensor,
    source_mask: Tensor,
    self_kv: Option<KvCache>,
}

/// Encoded source sentences: states (batch, len, d) and the additive padding mask
/// (batch, 1, 1, len).
#[derive(Debug, Clone)]
pub struct Encoded {
    /// Last encoder layer's output.
    pub states: Tensor,
    /// 0 for real tokens, −∞ for padding.
    pub mask: Tensor,
}

/// Per-sequence decoder state: cross-attention keys/values (computed once), the
/// self-attention cache and the number of tokens fed so far.
#[derive(Debug, Clone)]
pub struct DecoderState {
    layers: Vec<LayerCache>,
    position: usize,
}

impl DecoderState {
    /// Keeps only the decoder rows `rows` (in that order, repeats allowed): drops
    /// finished sequences and reorders beams. Rows come in groups of `group` consecutive
    /// rows that decode one source sentence (its beams; 1 for greedy), before and after.
    pub fn select(&mut self, rows: &[u32], group: usize) -> candle_core::Result<()> {
        let Some(first) = self.layers.first() else {
            return Ok(());
        };
        let device = first.cross_k.device().clone();
        let group = group.max(1);
        let sentences: Vec<u32> = rows.chunks(group).map(|c| c[0] / group as u32).collect();
        let unchanged = sentences.len() == first.cross_k.dim(0)?
            && sentences.iter().enumerate().all(|(i, &s)| s as usize == i);
        let rows = Tensor::new(rows, &device)?;
        let sentences = Tensor::new(sentences, &device)?;
        for layer in &mut self.layers {
            if !unchanged {
                layer.cross_k = layer.cross_k.index_select(&sentences, 0)?;
                layer.cross_v = layer.cross_v.index_select(&sentences, 0)?;
                layer.source_mask = layer.source_mask.index_select(&sentences, 0)?;
            }
            if let Some(kv) = &layer.self_kv {
                layer.self_kv = Some(kv.select(&rows)?);
            }
        }
        Ok(())
    }

    /// Tokens fed to the decoder so far (the next token's position).
    pub fn position(&self) -> usize {
        self.position
    }
}

/// MarianMTModel with HF weight names (`model.encoder.layers.N…`, `model.shared.weight`,
/// `final_logits_bias`), so HF checkpoints load unchanged.
#[derive(Debug, Clone)]
pub struct MarianModel {
    encoder_embed: Tensor,
    decoder_embed: Tensor,
    /// The output projection, with `final_logits_bias` as its bias.
    lm_head: Projection,
    positions: Tensor,
    embed_scale: f64,
    encoder: Vec<EncoderLayer>,
    decoder: Vec<DecoderLayer>,
    config: Config,
    dtype: DType,
}

impl MarianModel {
    /// Builds the model from weights in `vb`.
    pub fn new(config: &Config, vb: VarBuilder) -> candle_core::Result<Self> {
        let d = config.d_model;
        let src_vocab = config.vocab_size;
        let tgt_vocab = config.target_vocab_size();
        let m = vb.pp("model");
        let (encoder_embed, decoder_embed) = if m.contains_tensor("shared.weight") {
            let shared = m.get((src_vocab, d), "shared.weight")?;
            let dec = if m.contains_tensor("decoder.embed_tokens.weight")
                && !config.share_encoder_decoder_embeddings
            {
                m.get((tgt_vocab, d), "decoder.embed_tokens.weight")?
            } else {
                shared.clone()
            };
            (shared, dec)
        } else {
            (
                m.get((src_vocab, d), "encoder.embed_tokens.weight")?,
                m.get((tgt_vocab, d), "decoder.embed_tokens.weight")?,
            )
        };
        let final_logits_bias = if vb.contains_tensor("final_logits_bias") {
            vb.get((1, tgt_vocab), "final_logits_bias")?.flatten_all()?
        } else {
            Tensor::zeros(tgt_vocab, vb.dtype(), vb.device())?
        };
        // HF adds `final_logits_bias` after the output projection: it is that layer's bias.
        let lm_head = Projection::Dense(Linear::new(
            if vb.contains_tensor("lm_head.weight") {
                vb.get((tgt_vocab, d), "lm_head.weight")?
            } else {
                decoder_embed.clone()
            },
            Some(final_logits_bias),
        ));
        let encoder = (0..config.encoder_layers)
            .map(|i| EncoderLayer::new(config, m.pp(format!("encoder.layers.{i}"))))
            .collect::<candle_core::Result<_>>()?;
        let decoder = (0..config.decoder_layers)
            .map(|i| DecoderLayer::new(config, m.pp(format!("decoder.layers.{i}"))))
            .collect::<candle_core::Result<_>>()?;
        Ok(MarianModel {
            encoder_embed,
            decoder_embed,
            lm_head,
            positions: sinusoidal_positions(config.max_position_embeddings, d, vb.dtype(), vb.device())?,
            embed_scale: if config.scale_embedding {
                (d as f64).sqrt()
            } else {
                1.0
            },
            encoder,
            decoder,
            config: config.clone(),
            dtype: vb.dtype(),
        })
    }

    /// Quantizes the weights of every linear layer and of the output projection;
    /// embeddings, norms and biases stay as loaded.
    pub fn quantize(&mut self, to: Quantization) -> candle_core::Result<()> {
        let encoder = self.encoder.iter_mut().flat_map(|l| {
            l.self_attn
                .projections()
                .into_iter()
                .chain([&mut l.ffn.fc1, &mut l.ffn.fc2])
        });
        let decoder = self.decoder.iter_mut().flat_map(|l| {
            l.self_attn
                .projections()
                .into_iter()
                .chain(l.encoder_attn.projections())
                .chain([&mut l.ffn.fc1, &mut l.ffn.fc2])
        });
        for projection in encoder.chain(decoder).chain([&mut self.lm_head]) {
            projection.quantize(to)?;
        }
        Ok(())
    }

    /// The model's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The device the weights live on.
    pub fn device(&self) -> &Device {
        self.positions.device()
    }

    /// Token embeddings × scale + positions `start..start+len` for `ids` (batch, len).
    fn embed(&self, table: &Tensor, ids: &Tensor, start: usize) -> candle_core::Result<Tensor> {
        let (b, t) = ids.dims2()?;
        let tokens = table.index_select(&ids.flatten_all()?, 0)?.reshape((b, t, ()))?;
        let positions = self.positions.narrow(0, start, t)?;
        (tokens * self.embed_scale)?.broadcast_add(&positions)
    }

    /// Encodes right-padded sentences. `ids` are equal-length rows, `lengths` the real
    /// length of each. Rows longer than `max_position_embeddings` are an error.
    pub fn encode(&self, ids: &[Vec<u32>], lengths: &[usize]) -> candle_core::Result<Encoded> {
        let b = ids.len();
        let t = ids.first().map_or(0, Vec::len);
        if t > self.config.max_position_embeddings {
            candle_core::bail!(
                "source of {t} tokens exceeds the model's {} positions",
                self.config.max_position_embeddings
            );
        }
        let flat: Vec<u32> = ids.iter().flatten().copied().collect();
        let ids = Tensor::from_vec(flat, (b, t), self.device())?;
        let mask: Vec<f32> = lengths
            .iter()
            .flat_map(|&n| (0..t).map(move |j| if j < n { 0.0 } else { f32::NEG_INFINITY }))
            .collect();
        let mask = Tensor::from_vec(mask, (b, 1, 1, t), self.device())?.to_dtype(self.dtype)?;
        let mut x = self.embed(&self.encoder_embed, &ids, 0)?;
        for layer in &self.encoder {
            x = layer.forward(&x, &mask)?;
        }
        Ok(Encoded { states: x, mask })
    }

    /// Starts decoding: cross-attention keys and values of every layer, computed once.
    /// Each sentence may be decoded by several consecutive rows (beams): the first
    /// [`decode_step`](Self::decode_step) sets how many by the number of tokens it gets.
    pub fn start_decoding(&self, encoded: &Encoded) -> candle_core::Result<DecoderState> {
        let layers = self
            .decoder
            .iter()
            .map(|layer| {
                let (cross_k, cross_v) = layer.encoder_attn.keys_values(&encoded.states)?;
                Ok(LayerCache {
                    cross_k,
                    cross_v,
                    source_mask: encoded.mask.clone(),
                    self_kv: None,
                })
            })
            .collect::<candle_core::Result<_>>()?;
        Ok(DecoderState { layers, position: 0 })
    }

    /// Feeds one token per row and returns next-token logits (rows, target vocab) in f32.
    pub fn decode_step(&self, state: &mut DecoderState, tokens: &[u32]) -> candle_core::Result<Tensor> {
        if state.position >= self.config.max_position_embeddings {
            candle_core::bail!(
                "output longer than the model's {} positions",
                self.config.max_position_embeddings
            );
        }
        let ids = Tensor::from_vec(tokens.to_vec(), (tokens.len(), 1), self.device())?;
        let mut x = self.embed(&self.decoder_embed, &ids, state.position)?;
        for (layer, cache) in self.decoder.iter().zip(state.layers.iter_mut()) {
            x = layer.step(&x, cache)?;
        }
        state.position += 1;
        self.logits(&x.squeeze(1)?)?.to_dtype(DType::F32)
    }

    /// Next-token logits `x·Wᵀ + bias` for `x` (rows, d).
    fn logits(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        // gemm re-packs the weight side of `x·Wᵀ` at every call (65001 × 512 floats for
        // opus-mt, a quarter of the f32 run time) but reads the weights of `W·xᵀ` where
        // they lie: multiply that way round, then transpose while adding the bias.
        if let Projection::Dense(dense) = &self.lm_head {
            if let (true, Some(bias)) = (x.device().is_cpu() && x.dtype() == DType::F32, dense.bias()) {
                return transpose_adding(&dense.weight().matmul(&x.t()?)?, bias);
            }
        }
        self.lm_head.forward(x)
    }
}

/// `yᵀ + bias` for f32 `y` (vocab, rows) on the CPU and `bias` (vocab), transposed in
/// blocks of vocabulary entries that stay in cache.
fn transpose_adding(y: &Tensor, bias: &Tensor) -> candle_core::Result<Tensor> {
    const BLOCK: usize = 64;
    let (vocab, rows) = y.dims2()?;
    let bias = bias.flatten_all()?.to_vec1::<f32>()?;
    let y = y.contiguous()?;
    let (storage, layout) = y.storage_and_layout();
    let (Storage::Cpu(CpuStorage::F32(values)), Some((start, end)), true) =
        (&*storage, layout.contiguous_offsets(), bias.len() == vocab)
    else {
        candle_core::bail!("logits: expects f32 (vocab, rows) on the CPU and a bias per entry");
    };
    let values = &values[start..end];
    let mut out = vec![0f32; rows * vocab];
    for first in (0..vocab).step_by(BLOCK) {
        let last = (first + BLOCK).min(vocab);
        for (r, row) in out.chunks_exact_mut(vocab).enumerate() {
            for (v, o) in (first..last).zip(&mut row[first..last]) {
                *o = values[v * rows + r] + bias[v];
            }
        }
    }
    Tensor::from_vec(out, (rows, vocab), y.device())
}
