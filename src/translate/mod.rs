//! Translation engines behind one trait, with the options shared by all of them.
//!
//! The engines themselves live in [`crate::model`] and implement [`Engine`];
//! `crate::model::load_engine` picks one. This module imports no model, so the layers
//! read top to bottom: `model` → `translate` → `text`.

pub mod batch;
pub mod news;

use crate::text::Lang;
use std::path::PathBuf;

/// A loaded translation model for one direction.
pub trait Engine {
    /// Source and target language of this engine.
    fn direction(&self) -> (Lang, Lang);

    /// What produced the translations, for manifests and corpus headers: the model
    /// name and its revision or sha256, and the decoding settings.
    fn signature(&self) -> String;

    /// Translates `sentences`, returning one translation per input, in input order.
    fn translate(&mut self, sentences: &[String]) -> anyhow::Result<Vec<String>>;

    /// Like [`Engine::translate`], with the engine's [`Verdict`] on each of its answers.
    fn translate_checked(&mut self, sentences: &[String]) -> anyhow::Result<Vec<(String, Verdict)>> {
        Ok(self
            .translate(sentences)?
            .into_iter()
            .map(|t| (t, Verdict::Unchecked))
            .collect())
    }

    /// The log-probability of each pair's target as this engine's answer to its source
    /// (what `bitext align --regroup` asks). Engines that cannot score say so.
    fn log_likelihoods(&mut self, pairs: &[(String, String)]) -> anyhow::Result<Vec<f64>> {
        let _ = pairs;
        anyhow::bail!(
            "{} cannot score translations; --regroup needs --engine qwen",
            self.signature()
        )
    }

    /// How many preceding source sentences of its document the engine reads with each
    /// sentence (0: it translates every sentence alone).
    fn context_window(&self) -> usize {
        0
    }

    /// Translates sentences that come with the source sentences before them in their
    /// document; engines with no [`Engine::context_window`] ignore the context.
    fn translate_in_context(&mut self, items: &[InContext]) -> anyhow::Result<Vec<(String, Verdict)>> {
        let sentences: Vec<String> = items.iter().map(|item| item.sentence.clone()).collect();
        self.translate_checked(&sentences)
    }

    /// Translates the sentences of one document, in order, each with the sentences before
    /// it as its context (see [`in_context`]).
    fn translate_document(&mut self, sentences: &[String]) -> anyhow::Result<Vec<(String, Verdict)>> {
        let items = in_context(sentences, self.context_window());
        self.translate_in_context(&items)
    }

    /// Translates `items` like [`Engine::translate_in_context`], handing each answer to
    /// `done` with its index in `items` as soon as it is final. Engines that finish a
    /// call's sentences together hand them over when the call ends.
    fn translate_each(
        &mut self,
        items: &[InContext],
        done: &mut dyn FnMut(usize, (String, Verdict)) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        for (i, answer) in self.translate_in_context(items)?.into_iter().enumerate() {
            done(i, answer)?;
        }
        Ok(())
    }

    /// True when each answer depends on its own sentence (and context) alone, whichever
    /// sentences share its call, and the engine keeps its rows full itself as answers
    /// end. Callers then hand it all their sentences in one
    /// [`Engine::translate_each`] and may keep answers one by one; otherwise they call it
    /// batch by batch and keep whole batches, so that a resumed run batches as the
    /// first did.
    fn answers_independently(&self) -> bool {
        false
    }

    /// What the engine has done so far (engines that keep no counts report zeros).
    fn stats(&self) -> EngineStats {
        EngineStats::default()
    }
}

/// A sentence to translate and the source sentences just before it in its document,
/// oldest first. The context is source text only, so that a translation depends on its
/// input alone and not on which other translations were made first (batches, shards).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct InContext {
    /// The sentence to translate.
    pub sentence: String,
    /// The sentences before it in the same document, oldest first.
    pub context: Vec<String>,
}

/// The sentences of one document, each with up to `window` sentences before it as its context.
pub fn in_context(document: &[String], window: usize) -> Vec<InContext> {
    document
        .iter()
        .enumerate()
        .map(|(i, sentence)| InContext {
            sentence: sentence.clone(),
            context: document[i.saturating_sub(window)..i].to_vec(),
        })
        .collect()
}

/// `engine`'s answers to `items` in input order, from its [`Engine::translate_each`]: the
/// [`Engine::translate_in_context`] of engines that hand their answers over one by one.
pub fn collect_each(engine: &mut dyn Engine, items: &[InContext]) -> anyhow::Result<Vec<(String, Verdict)>> {
    let mut answers = vec![(String::new(), Verdict::Unchecked); items.len()];
    engine.translate_each(items, &mut |i, answer| {
        answers[i] = answer;
        Ok(())
    })?;
    Ok(answers)
}

/// The engine's judgement of one of its answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The engine does not check its answers.
    Unchecked,
    /// The answer passed the engine's checks.
    Accepted,
    /// The answer failed them even after a retry, for this reason (e.g. `WrongScript`);
    /// it is kept, so that corpus filters can judge it.
    Rejected(String),
}

impl Verdict {
    /// `Some(true)` accepted, `Some(false)` rejected, `None` unchecked.
    pub fn accepted(&self) -> Option<bool> {
        match self {
            Verdict::Unchecked => None,
            Verdict::Accepted => Some(true),
            Verdict::Rejected(_) => Some(false),
        }
    }
}

/// Counts an engine keeps over its lifetime, for logs and manifests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EngineStats {
    /// Sentences translated (empty ones not counted).
    pub sentences: usize,
    /// Tokens the model read: prompts and sources.
    pub input_tokens: usize,
    /// Tokens the model generated.
    pub output_tokens: usize,
    /// Answers rejected on the first try and asked again (a stricter prompt).
    pub retried: usize,
    /// Sentences whose final answer is still not an acceptable translation (kept, flagged).
    pub flagged: usize,
}

impl std::fmt::Display for EngineStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} sentences, {} tokens in, {} tokens out, {} retried, {} flagged",
            self.sentences, self.input_tokens, self.output_tokens, self.retried, self.flagged
        )
    }
}

/// Which engine family to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    /// MarianMT (Helsinki-NLP opus-mt): fast encoder-decoder.
    Marian,
    /// Qwen2-family instruction model from a GGUF file: slower, better on news.
    Qwen,
}

/// Where the model runs.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    /// The CPU (always available).
    #[default]
    Cpu,
    /// An NVIDIA GPU (build with `--features cuda`).
    Cuda,
    /// An Apple GPU (build with `--features metal`).
    Metal,
}

impl DeviceKind {
    /// Opens the candle device, with a clear error when the build lacks support.
    pub fn open(self) -> anyhow::Result<candle_core::Device> {
        Ok(match self {
            DeviceKind::Cpu => candle_core::Device::Cpu,
            DeviceKind::Cuda => candle_core::Device::new_cuda(0).map_err(|e| {
                anyhow::anyhow!("cannot open CUDA device 0 ({e}); build bitext with `--features cuda`")
            })?,
            DeviceKind::Metal => candle_core::Device::new_metal(0).map_err(|e| {
                anyhow::anyhow!("cannot open Metal device 0 ({e}); build bitext with `--features metal`")
            })?,
        })
    }
}

/// Floating-point precision of the weights and activations.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// 32-bit floats (exact reference results).
    #[default]
    F32,
    /// 16-bit floats (GPU).
    F16,
    /// bfloat16 (GPU, recent CPUs).
    Bf16,
    /// f32 activations, linear-layer weights in 8-bit blocks (ggml q8_0; Marian on CPU).
    #[value(name = "q8_0")]
    #[serde(rename = "q8_0")]
    Q8_0,
    /// f32 activations, linear-layer weights in int8 with one scale per output row, int8
    /// matrix products (CTranslate2's int8; Marian on CPU).
    Int8,
}

/// Everything needed to load an engine and decode with it.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Engine family.
    pub engine: EngineKind,
    /// Source language.
    pub from: Lang,
    /// Target language.
    pub to: Lang,
    /// Model name from `models/*.toml` or a hub repo id; `None` picks the default for the direction.
    pub model: Option<String>,
    /// A local directory holding the model's files (Marian: config.json, weights, spm files).
    pub model_dir: Option<PathBuf>,
    /// A single local model file (Qwen: a GGUF).
    pub model_file: Option<PathBuf>,
    /// Beam size; 1 is greedy.
    pub beam: usize,
    /// Most sentences in one batch.
    pub batch_size: usize,
    /// Most source tokens (padded) in one batch.
    pub max_batch_tokens: usize,
    /// Hard cap on generated tokens; `None` uses the model's limit and the length cap.
    pub max_new_tokens: Option<usize>,
    /// Fewest generated tokens before end-of-sentence may be chosen.
    pub min_new_tokens: usize,
    /// Block repeated n-grams of this size in the output; 0 disables the guard.
    pub no_repeat_ngram: usize,
    /// Output length cap as `a·source_tokens + b`.
    pub length_cap: (f32, usize),
    /// Preceding source sentences read with each sentence (qwen); `None` uses the
    /// engine's default for the direction.
    pub context: Option<usize>,
    /// Compute threads; `None` uses all cores.
    pub threads: Option<usize>,
    /// Where to run.
    pub device: DeviceKind,
    /// Precision of weights and activations.
    pub precision: Precision,
    /// Whether the news conventions are written by rule around the engine (datelines,
    /// whole quotations, headline credits, pinyin names: [`news::NewsEngine`]).
    pub news_rules: bool,
}

impl EngineOptions {
    /// Default options for translating `from` → `to` with `engine`.
    pub fn new(engine: EngineKind, from: Lang, to: Lang) -> Self {
        EngineOptions {
            engine,
            from,
            to,
            model: None,
            model_dir: None,
            model_file: None,
            beam: 1,
            batch_size: 32,
            max_batch_tokens: 4096,
            max_new_tokens: None,
            min_new_tokens: 0,
            no_repeat_ngram: 0,
            length_cap: (2.0, 10),
            context: None,
            threads: None,
            device: DeviceKind::Cpu,
            precision: Precision::F32,
            news_rules: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_sentence_gets_at_most_window_sentences_before_it() {
        let document: Vec<String> = ["A.", "B.", "C.", "D."].iter().map(|s| s.to_string()).collect();
        let items = in_context(&document, 2);
        let contexts: Vec<Vec<&str>> = items
            .iter()
            .map(|i| i.context.iter().map(String::as_str).collect())
            .collect();
        assert_eq!(
            contexts,
            vec![vec![], vec!["A."], vec!["A.", "B."], vec!["B.", "C."]]
        );
        assert_eq!(items[3].sentence, "D.");
        assert!(in_context(&document, 0).iter().all(|i| i.context.is_empty()));
    }
}
