//! The engine flags shared by `bitext translate` and `bitext run`.

use crate::text::Lang;
use crate::translate::{DeviceKind, EngineKind, EngineOptions, Precision};
use std::path::PathBuf;

/// Which engine and model to load, and how to decode.
#[derive(Debug, Clone, clap::Args)]
pub struct EngineArgs {
    /// Engine: marian (fast, opus-mt) or qwen (GGUF instruction model).
    #[arg(long, value_enum, default_value = "marian")]
    pub engine: EngineKind,

    /// Model name from models/*.toml or a Hugging Face repo id (default: the engine's model
    /// for the direction, e.g. opus-mt-en-zh).
    #[arg(long, conflicts_with = "model_dir")]
    pub model: Option<String>,

    /// Local model directory (Marian: config.json, model.safetensors or pytorch_model.bin,
    /// source.spm, target.spm, vocab.json). `translate` needs a fixed --from with it.
    #[arg(long)]
    pub model_dir: Option<PathBuf>,

    /// Local GGUF model file (Qwen engine).
    #[arg(long)]
    pub model_file: Option<PathBuf>,

    /// Beam size; 1 is greedy search.
    #[arg(long, default_value_t = 1)]
    pub beam: usize,

    /// Most sentences per batch (qwen: most answers decoded at once).
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,

    /// Most padded source tokens per batch (sentences × longest sentence; qwen: most
    /// tokens run in one forward pass).
    #[arg(long, default_value_t = 4096)]
    pub max_batch_tokens: usize,

    /// Hard cap on generated tokens per sentence (`</s>` included).
    #[arg(long)]
    pub max_new_tokens: Option<usize>,

    /// Fewest generated tokens before the sentence may end.
    #[arg(long, default_value_t = 0)]
    pub min_new_tokens: usize,

    /// Never repeat an n-gram of this many tokens in one output (guards against loops); 0 disables.
    #[arg(long, default_value_t = 4)]
    pub no_repeat_ngram: usize,

    /// Output length cap `A,B`: at most A × source tokens + B tokens per sentence.
    #[arg(long, value_name = "A,B", default_value = "2,10", value_parser = parse_length_cap)]
    pub length_cap: (f32, usize),

    /// Compute threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,

    /// Where the model runs.
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceKind,

    /// Precision of weights and activations (f16/bf16 mainly for GPUs; q8_0: Marian's
    /// linear layers with 8-bit block-quantized weights, opt-in, not exact).
    #[arg(long, value_enum, default_value = "f32")]
    pub dtype: Precision,
}

/// Parses `--length-cap A,B`.
fn parse_length_cap(s: &str) -> Result<(f32, usize), String> {
    let (a, b) = s
        .split_once(',')
        .ok_or_else(|| format!("{s:?}: expected A,B such as 2,10"))?;
    let a: f32 = a.trim().parse().map_err(|_| format!("{a:?}: not a number"))?;
    let b: usize = b
        .trim()
        .parse()
        .map_err(|_| format!("{b:?}: not a whole number"))?;
    if !(a.is_finite() && a > 0.0) {
        return Err(format!("{a}: the ratio must be positive"));
    }
    Ok((a, b))
}

impl EngineArgs {
    /// The engine options for translating `from` → `to`.
    pub fn options(&self, from: Lang, to: Lang) -> EngineOptions {
        let mut o = EngineOptions::new(self.engine, from, to);
        o.model = self.model.clone();
        o.model_dir = self.model_dir.clone();
        o.model_file = self.model_file.clone();
        o.beam = self.beam.max(1);
        o.batch_size = self.batch_size.max(1);
        o.max_batch_tokens = self.max_batch_tokens.max(1);
        o.max_new_tokens = self.max_new_tokens;
        o.min_new_tokens = self.min_new_tokens;
        o.no_repeat_ngram = self.no_repeat_ngram;
        o.length_cap = self.length_cap;
        o.threads = self.threads;
        o.device = self.device;
        o.precision = self.dtype;
        o
    }
}
