//! `bitext translate`: text from files or stdin, segmented, translated, one line out per
//! sentence (or per input line with `--lines`).

use crate::cli::exit_code;
use crate::text::{detect::detect, segment::split_sentences, Lang};
use crate::translate::{load_engine, DeviceKind, Engine, EngineKind, EngineOptions, Precision};
use anyhow::{bail, Context};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Source language: a fixed one, or detected per input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum From {
    /// Detect English or Chinese from each input's script.
    Auto,
    /// English.
    En,
    /// Chinese.
    Zh,
}

/// Arguments of `bitext translate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Text files to translate; `-` (or none) reads standard input.
    #[arg(value_name = "FILE")]
    pub inputs: Vec<PathBuf>,

    /// Engine: marian (fast, opus-mt) or qwen (GGUF instruction model).
    #[arg(long, value_enum, default_value = "marian")]
    pub engine: EngineKind,

    /// Source language; `auto` detects it per input from the script.
    #[arg(long, value_enum, default_value = "auto")]
    pub from: From,

    /// Target language; defaults to the other language of the pair.
    #[arg(long)]
    pub to: Option<Lang>,

    /// Model name from models/*.toml or a Hugging Face repo id (default: opus-mt-<from>-<to>).
    #[arg(long, conflicts_with = "model_dir")]
    pub model: Option<String>,

    /// Local model directory (Marian: config.json, model.safetensors or pytorch_model.bin,
    /// source.spm, target.spm, vocab.json). Needs a fixed --from.
    #[arg(long)]
    pub model_dir: Option<PathBuf>,

    /// Local GGUF model file (Qwen engine).
    #[arg(long)]
    pub model_file: Option<PathBuf>,

    /// Beam size; 1 is greedy search.
    #[arg(long, default_value_t = 1)]
    pub beam: usize,

    /// Most sentences per batch.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,

    /// Most padded source tokens per batch (sentences × longest sentence).
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

    /// Translate each input line as one segment instead of splitting it into sentences.
    #[arg(long)]
    pub lines: bool,
}

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

impl Args {
    fn options(&self, from: Lang) -> EngineOptions {
        let to = self.to.unwrap_or(from.other());
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

/// The segments of `text` to translate, grouped by input line (empty lines keep their place).
fn segments(text: &str, from: Lang, lines: bool) -> Vec<Vec<String>> {
    text.lines()
        .map(|line| {
            let line = line.trim();
            if line.is_empty() {
                Vec::new()
            } else if lines {
                vec![line.to_string()]
            } else {
                split_sentences(line, from)
            }
        })
        .collect()
}

/// Runs `bitext translate`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let fixed_from = match args.from {
        From::Auto => None,
        From::En => Some(Lang::En),
        From::Zh => Some(Lang::Zh),
    };
    if fixed_from.is_none() && (args.model_dir.is_some() || args.model_file.is_some() || args.model.is_some())
    {
        bail!("--model, --model-dir and --model-file serve one direction: also pass --from en or --from zh");
    }
    let inputs = if args.inputs.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.inputs.clone()
    };
    // Fail before any work when the model is missing.
    let mut engines: HashMap<Lang, Box<dyn Engine>> = HashMap::new();
    if let Some(from) = fixed_from {
        engines.insert(from, load_engine(&args.options(from))?);
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = 0;
    for path in &inputs {
        let text = match read_input(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("bitext: {}: {e:#}", path.display());
                failed += 1;
                continue;
            }
        };
        let Some(from) = fixed_from.or_else(|| detect(&text)) else {
            eprintln!(
                "bitext: {}: cannot tell the language; pass --from en or --from zh",
                path.display()
            );
            failed += 1;
            continue;
        };
        if args.to == Some(from) {
            eprintln!("bitext: {}: already in {from}", path.display());
            failed += 1;
            continue;
        }
        let engine = match engines.entry(from) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => v.insert(load_engine(&args.options(from))?),
        };
        let grouped = segments(&text, from, args.lines);
        let flat: Vec<String> = grouped.iter().flatten().cloned().collect();
        let translated = match engine.translate(&flat) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("bitext: {}: {e:#}", path.display());
                failed += 1;
                continue;
            }
        };
        let mut translated = translated.into_iter();
        for group in &grouped {
            if group.is_empty() {
                writeln!(out)?;
            }
            for line in translated.by_ref().take(group.len()) {
                writeln!(out, "{line}")?;
            }
        }
        out.flush()?;
    }
    Ok(exit_code(failed))
}

/// The UTF-8 text of `path`, or of standard input for `-`.
fn read_input(path: &PathBuf) -> anyhow::Result<String> {
    let bytes = if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("cannot read standard input")?;
        buf
    } else {
        std::fs::read(path)?
    };
    String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("not UTF-8 text"))
}
