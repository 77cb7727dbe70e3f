//! The Marian translation engine: Helsinki-NLP opus-mt models (MarianMT) on candle.
//!
//! [`config`] reads HF's `config.json`, [`model`] is the transformer, [`tokenizer`]
//! rebuilds Marian's SentencePiece tokenizers in Rust, [`generate`] decodes (greedy and
//! beam search, HF semantics), [`weights`] reads safetensors without a memory map.
//! [`MarianEngine`] ties them to the [`Engine`] trait:
//! length-sorted batches, long sentences split at clauses, output back in input order.

pub mod config;
pub mod generate;
pub mod model;
mod simd_exp;
pub mod tokenizer;
pub mod weights;

use crate::model::{hub, manifest};
use crate::text::Lang;
use crate::translate::{batch, Engine, EngineOptions, Precision};
use anyhow::{bail, Context, Result};
use candle_core::quantized::GgmlDType;
use candle_core::DType;
use candle_nn::VarBuilder;
use config::Config;
use generate::DecodeOptions;
use model::{MarianModel, Quantization};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokenizer::MarianTokenizer;

/// Files a Marian model directory provides (weights: either format).
const TOKENIZER_FILES: &[&str] = &["source.spm", "target.spm", "vocab.json"];

/// Target-language tokens multilingual opus-mt models expect first, by preference.
fn language_tokens(lang: Lang) -> &'static [&'static str] {
    match lang {
        Lang::Zh => &[">>cmn_Hans<<", ">>zho_Hans<<", ">>cmn<<", ">>zho<<", ">>zh<<"],
        Lang::En => &[">>eng<<", ">>en<<"],
    }
}

/// A loaded MarianMT model with its tokenizer and decoding settings.
pub struct MarianEngine {
    model: MarianModel,
    tokenizer: MarianTokenizer,
    opts: EngineOptions,
    decode: DecodeOptions,
    language_token: Option<String>,
    signature: String,
}

/// Loads the marian engine described by `opts`: from `--model-dir`, or a manifest /
/// hub repository named by `--model` (default `opus-mt-<from>-<to>`).
pub fn load_engine(opts: &EngineOptions) -> Result<Box<dyn Engine>> {
    Ok(Box::new(MarianEngine::load(opts)?))
}

/// Where the model comes from: its directory and a name for signatures.
fn resolve(opts: &EngineOptions) -> Result<(PathBuf, String)> {
    if let Some(dir) = &opts.model_dir {
        if !dir.is_dir() {
            bail!("{}: model directory not found", dir.display());
        }
        return Ok((dir.clone(), dir.display().to_string()));
    }
    let name = opts
        .model
        .clone()
        .unwrap_or_else(|| format!("opus-mt-{}-{}", opts.from, opts.to));
    let hint = "pass --model-dir DIR with config.json, model.safetensors or pytorch_model.bin, \
                source.spm, target.spm and vocab.json";
    let (repo, revision, files) = match manifest::find(&name) {
        Some(m) => match m.hub {
            Some(h) if m.engine == "marian" => (h.repo, h.revision, h.files),
            _ => bail!("model {name} is not a Marian model on the Hugging Face hub"),
        },
        None if name.contains('/') => {
            let mut files: Vec<String> = vec!["config.json".into(), "pytorch_model.bin".into()];
            files.extend(TOKENIZER_FILES.iter().map(|f| f.to_string()));
            (name.clone(), "main".to_string(), files)
        }
        None => bail!(
            "unknown model {name}: use a name from models/*.toml, a hub repo id (org/name), or --model-dir"
        ),
    };
    let refs: Vec<&str> = files.iter().map(String::as_str).collect();
    let paths = hub::fetch(&repo, &revision, &refs, hint)?;
    let dir = paths
        .first()
        .and_then(|p| p.parent())
        .map(Path::to_path_buf)
        .with_context(|| format!("{repo}: manifest lists no files"))?;
    Ok((dir, format!("{repo}@{revision}")))
}

impl MarianEngine {
    /// Loads config, weights and tokenizer.
    pub fn load(opts: &EngineOptions) -> Result<MarianEngine> {
        if let Some(n) = opts.threads {
            // candle's CPU kernels size their pools from rayon's global pool.
            std::env::set_var("RAYON_NUM_THREADS", n.to_string());
            rayon::ThreadPoolBuilder::new().num_threads(n).build_global().ok();
        }
        if opts.precision != Precision::Q8_0 && std::env::var_os("CANDLE_NUM_THREADS").is_none() {
            // Besides rayon's pool (f32 matmuls), candle runs element-wise ops and quantized
            // matmuls on a busy-waiting pool of its own. The decoder's element-wise tensors
            // are too small to gain from it, and on a busy CPU its spinning cost ~15% of
            // the f32 run time (scripts/bench/marian.sh): keep those ops on one thread.
            std::env::set_var("CANDLE_NUM_THREADS", "1");
        }
        let (dir, name) = resolve(opts)?;
        let config = Config::load(&dir.join("config.json"))?;
        let device = opts.device.open()?;
        let dtype = match opts.precision {
            Precision::F32 | Precision::Q8_0 | Precision::Int8 => DType::F32,
            Precision::F16 => DType::F16,
            Precision::Bf16 => DType::BF16,
        };
        let weights_path = ["model.safetensors", "pytorch_model.bin"]
            .iter()
            .map(|f| dir.join(f))
            .find(|p| p.exists())
            .with_context(|| format!("{}: no model.safetensors or pytorch_model.bin", dir.display()))?;
        let digest = sha256_prefix(&weights_path)?;
        let vb = if weights_path.extension().is_some_and(|e| e == "safetensors") {
            let file = weights::SafetensorsFile::open(&weights_path)?;
            VarBuilder::from_backend(Box::new(file), dtype, device.clone())
        } else {
            VarBuilder::from_pth(&weights_path, dtype, &device)
                .with_context(|| format!("{}: cannot read weights", weights_path.display()))?
        };
        let mut model = MarianModel::new(&config, vb)
            .with_context(|| format!("{}: weights do not match config.json", weights_path.display()))?;
        match opts.precision {
            Precision::Q8_0 => model.quantize(Quantization::Ggml(GgmlDType::Q8_0))?,
            Precision::Int8 => model.quantize(Quantization::Int8)?,
            Precision::F32 | Precision::F16 | Precision::Bf16 => {}
        }
        let tokenizer = MarianTokenizer::load(&dir)?;
        let language_token = language_tokens(opts.to)
            .iter()
            .find(|t| tokenizer.token_id(t).is_some())
            .map(|t| t.to_string());
        let decode = DecodeOptions {
            beam: opts.beam.max(1),
            min_new_tokens: opts.min_new_tokens,
            no_repeat_ngram: opts.no_repeat_ngram,
            length_penalty: 1.0,
        };
        let signature = format!(
            "marian:{name}:sha256={digest}|{}-{}|beam={}|max_new={}|min_new={}|no_repeat_ngram={}|cap={}*len+{}|{:?}",
            opts.from,
            opts.to,
            decode.beam,
            opts.max_new_tokens.map_or("auto".to_string(), |n| n.to_string()),
            opts.min_new_tokens,
            opts.no_repeat_ngram,
            opts.length_cap.0,
            opts.length_cap.1,
            opts.precision,
        );
        Ok(MarianEngine {
            model,
            tokenizer,
            opts: opts.clone(),
            decode,
            language_token,
            signature,
        })
    }

    /// The transformer.
    pub fn model(&self) -> &MarianModel {
        &self.model
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &MarianTokenizer {
        &self.tokenizer
    }

    /// Source text → model ids, with the target-language token when the model wants one.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        match &self.language_token {
            Some(token) => self.tokenizer.encode(&format!("{token} {text}")),
            None => self.tokenizer.encode(text),
        }
    }

    /// Most tokens that may be generated for a source of `source_len` ids: the length
    /// cap `a·len + b`, `--max-new-tokens`, and the model's positions, whichever is least.
    fn max_new(&self, source_len: usize) -> usize {
        let (a, b) = self.opts.length_cap;
        let cap = (a * source_len as f32).floor() as usize + b;
        let limit = self.opts.max_new_tokens.unwrap_or(usize::MAX);
        cap.min(limit)
            .min(self.model.config().max_position_embeddings)
            .max(1)
    }

    /// Translates already-tokenized sentences, batched by length; returns generated ids
    /// (ending in `</s>`) in input order.
    ///
    /// Batches are decoded side by side, one per thread: a decoding step is many small
    /// operations that one thread runs alone, so two batches at once keep both cores busy
    /// where splitting each product between them left one idle most of the time. A batch
    /// gives the same tokens as each of its sentences alone, so how the sentences are
    /// grouped and which thread takes a group never changes the output. Batches are made
    /// smaller when there would be fewer of them than threads.
    pub fn translate_ids(&self, sources: &[Vec<u32>]) -> Result<Vec<Vec<u32>>> {
        let lengths: Vec<usize> = sources.iter().map(Vec::len).collect();
        let per_thread = sources.len().div_ceil(rayon::current_num_threads()).max(1);
        let groups = batch::by_length(
            &lengths,
            self.opts.batch_size.min(per_thread),
            self.opts.max_batch_tokens,
        );
        let generated: Vec<Vec<Vec<u32>>> = groups
            .par_iter()
            .map(|group| self.translate_batch(sources, group))
            .collect::<Result<_>>()?;
        let mut out = vec![Vec::new(); sources.len()];
        for (group, ids) in groups.iter().zip(generated) {
            for (&i, ids) in group.iter().zip(ids) {
                out[i] = ids;
            }
        }
        Ok(out)
    }

    /// Decodes the sentences `group` of `sources` as one padded batch.
    fn translate_batch(&self, sources: &[Vec<u32>], group: &[usize]) -> Result<Vec<Vec<u32>>> {
        let pad = self.model.config().pad_token_id;
        let lens: Vec<usize> = group.iter().map(|&i| sources[i].len()).collect();
        let longest = lens.iter().copied().max().unwrap_or(0);
        let padded: Vec<Vec<u32>> = group
            .iter()
            .map(|&i| {
                let mut row = sources[i].clone();
                row.resize(longest, pad);
                row
            })
            .collect();
        let max_new: Vec<usize> = lens.iter().map(|&n| self.max_new(n)).collect();
        let encoded = self.model.encode(&padded, &lens)?;
        Ok(generate::generate(&self.model, &encoded, &max_new, &self.decode)?)
    }

    /// Target ids → text.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.tokenizer.decode(ids)
    }
}

impl Engine for MarianEngine {
    fn direction(&self) -> (Lang, Lang) {
        (self.opts.from, self.opts.to)
    }

    fn signature(&self) -> String {
        self.signature.clone()
    }

    fn translate(&mut self, sentences: &[String]) -> Result<Vec<String>> {
        // Sentences longer than the model's positions are cut at clauses and their
        // translations joined, never truncated.
        let limit = self.model.config().max_position_embeddings;
        let mut pieces: Vec<Vec<u32>> = Vec::new();
        let mut owner: Vec<usize> = Vec::new();
        for (i, sentence) in sentences.iter().enumerate() {
            let ids = self.encode(sentence)?;
            if ids.len() <= limit {
                pieces.push(ids);
                owner.push(i);
                continue;
            }
            let parts = batch::split_to_fit(sentence, &|s: &str| {
                self.encode(s).is_ok_and(|ids| ids.len() <= limit)
            });
            tracing::warn!(
                "sentence {} has {} tokens, more than the model's {limit}: translated in {} parts",
                i + 1,
                ids.len(),
                parts.len()
            );
            for part in parts {
                pieces.push(self.encode(&part)?);
                owner.push(i);
            }
        }
        let generated = self.translate_ids(&pieces)?;
        let joiner = if self.opts.to == Lang::Zh { "" } else { " " };
        let mut out: Vec<Vec<String>> = vec![Vec::new(); sentences.len()];
        for (i, ids) in owner.into_iter().zip(generated) {
            out[i].push(self.decode(&ids)?);
        }
        Ok(out.into_iter().map(|parts| parts.join(joiner)).collect())
    }
}

/// First 16 hex digits of the file's SHA-256, to pin the weights in signatures.
fn sha256_prefix(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).with_context(|| format!("{}: cannot read", path.display()))?;
    let hex: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(hex[..16].to_string())
}
