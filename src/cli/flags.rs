//! The flags that several subcommands share, each declared once: engine flags
//! (`run`, `translate`, `align`), compute flags (`run`, `translate`, `align`, `embed`) and
//! embedding flags (`align`, `embed`). Subcommands flatten these structs, so a flag has
//! one spelling and one help text everywhere.

use crate::text::Lang;
use crate::translate::{DeviceKind, EngineKind, EngineOptions, Precision};
use std::path::PathBuf;

/// Which engine and model to load, and how to decode.
#[derive(Debug, Clone, clap::Args)]
pub struct EngineArgs {
    /// Translation engine: marian (the default; opus-mt, fast) or qwen (GGUF instruction
    /// model). `align` translates only when an engine or model flag is given.
    #[arg(long, value_enum)]
    pub engine: Option<EngineKind>,

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

    /// Qwen: how many preceding source sentences of the same document (input file with
    /// `translate`, article with `run`) the model reads with each sentence, to keep names,
    /// pronouns and terms consistent; 0 translates every sentence alone (default: the
    /// engine's choice for the direction, see docs/quality.md).
    #[arg(long, value_name = "N")]
    pub context: Option<usize>,

    /// Precision of weights and activations (f16/bf16 mainly for GPUs; q8_0: Marian's
    /// linear layers with 8-bit block-quantized weights; int8: Marian's linear layers as
    /// CTranslate2 int8 runs them, the fastest on CPUs; both opt-in, not exact).
    #[arg(long, value_enum, default_value = "f32")]
    pub dtype: Precision,

    /// Print every sentence as the engine answers it: no dateline, whole quotation,
    /// headline credit or pinyin name written by rule (for comparing the engine alone
    /// with another implementation of the same model).
    #[arg(long)]
    pub no_news_rules: bool,
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
    /// The engine family: `--engine`, else Marian.
    pub fn kind(&self) -> EngineKind {
        self.engine.unwrap_or(EngineKind::Marian)
    }

    /// Whether an engine or a model was named (`align` translates only then).
    pub fn requested(&self) -> bool {
        self.engine.is_some() || self.model.is_some() || self.model_dir.is_some() || self.model_file.is_some()
    }

    /// The engine options for translating `from` → `to` on `compute`'s device and threads.
    pub fn options(&self, compute: &ComputeArgs, from: Lang, to: Lang) -> EngineOptions {
        let mut o = EngineOptions::new(self.kind(), from, to);
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
        o.context = self.context;
        o.threads = compute.threads();
        o.device = compute.device;
        o.precision = self.dtype;
        o.news_rules = !self.no_news_rules;
        o
    }
}

/// Where models run and on how many threads.
#[derive(Debug, Clone, clap::Args)]
pub struct ComputeArgs {
    /// Compute threads (default or 0: one per core).
    #[arg(long)]
    pub threads: Option<usize>,

    /// Where the models run (cuda and metal need bitext built with that cargo feature).
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceKind,
}

impl ComputeArgs {
    /// `--threads`, with 0 meaning one per core.
    pub fn threads(&self) -> Option<usize> {
        self.threads.filter(|&n| n > 0)
    }

    /// Sizes the thread pool of candle's CPU kernels (and bitext's own parallel loops)
    /// from `--threads`; call before any work starts.
    pub fn init_thread_pool(&self) {
        if let Some(n) = self.threads() {
            std::env::set_var("RAYON_NUM_THREADS", n.to_string());
        }
    }
}

/// Which sentence-embedding model to load.
#[derive(Debug, Clone, clap::Args)]
pub struct EmbedArgs {
    /// Sentence-embedding model: e5-small (the default), labse, a Hugging Face model
    /// directory (BERT or XLM-R) or an E5S1 file with tokenizer.json beside it.
    #[arg(long, value_name = "MODEL")]
    pub embed_model: Option<String>,
}

impl EmbedArgs {
    /// The model to load: `--embed-model`, else e5-small.
    pub fn model(&self) -> &str {
        self.embed_model.as_deref().unwrap_or(DEFAULT_EMBED_MODEL)
    }
}

/// The embedding model used when none is named.
pub const DEFAULT_EMBED_MODEL: &str = "e5-small";
