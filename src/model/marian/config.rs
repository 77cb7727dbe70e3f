//! `config.json` of a Hugging Face MarianMT checkpoint.

use anyhow::Context;
use serde::Deserialize;
use std::path::Path;

/// The MarianMT hyper-parameters bitext needs, with the defaults of HF's `MarianConfig`
/// for keys that older checkpoints lack.
#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    /// Size of the (source) vocabulary, `vocab.json`'s id space.
    pub vocab_size: usize,
    /// Size of the target vocabulary when it differs from `vocab_size`.
    #[serde(default)]
    pub decoder_vocab_size: Option<usize>,
    /// Width of every hidden state.
    #[serde(default = "defaults::d_model")]
    pub d_model: usize,
    /// Number of encoder layers.
    #[serde(default = "defaults::layers")]
    pub encoder_layers: usize,
    /// Number of decoder layers.
    #[serde(default = "defaults::layers")]
    pub decoder_layers: usize,
    /// Attention heads in each encoder layer.
    #[serde(default = "defaults::heads")]
    pub encoder_attention_heads: usize,
    /// Attention heads in each decoder layer.
    #[serde(default = "defaults::heads")]
    pub decoder_attention_heads: usize,
    /// Inner width of the encoder feed-forward blocks.
    #[serde(default = "defaults::ffn")]
    pub encoder_ffn_dim: usize,
    /// Inner width of the decoder feed-forward blocks.
    #[serde(default = "defaults::ffn")]
    pub decoder_ffn_dim: usize,
    /// Number of sinusoidal positions (source and target tokens each).
    #[serde(default = "defaults::positions")]
    pub max_position_embeddings: usize,
    /// Feed-forward activation (`swish` for opus-mt).
    #[serde(default = "defaults::activation")]
    pub activation_function: candle_nn::Activation,
    /// Multiply token embeddings by √d_model.
    #[serde(default = "defaults::yes")]
    pub scale_embedding: bool,
    /// Encoder, decoder and output layer share one embedding matrix.
    #[serde(default = "defaults::yes")]
    pub share_encoder_decoder_embeddings: bool,
    /// Id of `<pad>`, also the decoder start token.
    pub pad_token_id: u32,
    /// Id of `</s>`.
    #[serde(default)]
    pub eos_token_id: u32,
    /// First decoder input; HF Marian uses `<pad>`.
    #[serde(default)]
    pub decoder_start_token_id: Option<u32>,
}

mod defaults {
    pub fn d_model() -> usize {
        1024
    }
    pub fn layers() -> usize {
        12
    }
    pub fn heads() -> usize {
        16
    }
    pub fn ffn() -> usize {
        4096
    }
    pub fn positions() -> usize {
        1024
    }
    pub fn activation() -> candle_nn::Activation {
        candle_nn::Activation::Gelu
    }
    pub fn yes() -> bool {
        true
    }
}

impl Config {
    /// Reads and checks `config.json`.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))?;
        let config: Config = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a MarianMT config", path.display()))?;
        config
            .check()
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok(config)
    }

    /// Rejects sizes the model cannot be built with.
    fn check(&self) -> Result<(), String> {
        for (heads, what) in [
            (self.encoder_attention_heads, "encoder_attention_heads"),
            (self.decoder_attention_heads, "decoder_attention_heads"),
        ] {
            if heads == 0 || !self.d_model.is_multiple_of(heads) {
                return Err(format!(
                    "d_model {} is not a multiple of {what} {heads}",
                    self.d_model
                ));
            }
        }
        if self.pad_token_id as usize >= self.target_vocab_size() {
            return Err(format!(
                "pad_token_id {} is outside the vocabulary",
                self.pad_token_id
            ));
        }
        if self.eos_token_id as usize >= self.target_vocab_size() {
            return Err(format!(
                "eos_token_id {} is outside the vocabulary",
                self.eos_token_id
            ));
        }
        Ok(())
    }

    /// Size of the output vocabulary.
    pub fn target_vocab_size(&self) -> usize {
        self.decoder_vocab_size.unwrap_or(self.vocab_size)
    }

    /// The token every decoder sequence starts with.
    pub fn decoder_start(&self) -> u32 {
        self.decoder_start_token_id.unwrap_or(self.pad_token_id)
    }
}
