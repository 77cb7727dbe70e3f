//! The qwen translation engine: a Qwen2-family instruction model from one GGUF file,
//! prompted to translate one sentence at a time and decoded greedily.
//!
//! The chat prompt's fixed prefix (system turn and instruction) is run once; every
//! sentence continues from a snapshot of its key/value cache.

pub mod calendar;
pub mod latin;
pub mod model;
pub mod prompt;
pub mod tokenizer;

use crate::model::manifest::{self, Manifest};
use crate::text::detect::is_han;
use crate::text::Lang;
use crate::translate::{Engine, EngineOptions, EngineStats, InContext, Verdict};
use anyhow::{bail, Context, Result};
use calendar::{CalendarTokens, Named};
use candle_core::quantized::gguf_file;
use candle_core::Tensor;
use latin::{KeptWords, NameTokens};
use model::{KvCache, Qwen2, Step};
use prompt::{Defect, Prompt};
use std::collections::VecDeque;
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

/// Index of the normal prompt in [`QwenEngine`]'s prompts.
const NORMAL: usize = 0;
/// Index of the stricter retry prompt.
const STRICT: usize = 1;
/// Into Chinese, an answer whose first this many tokens hold Latin letters but no Han
/// character is abandoned there (and retried, if it was the first): it is a copy of the
/// source or an English rewording, which the script check would reject anyway (on the
/// first 200 WMT21 segments the answers that passed had at most 4 words before their first
/// Han character). Tokens of a copied name do not count: a long name may open an answer.
const HAN_DEADLINE: usize = 8;

/// Preceding source sentences read with each sentence when `--context` is not given: none,
/// because one sentence of context lowered chrF in both directions on the WMT21 dev lines
/// with the 0.5B model (docs/quality.md).
const DEFAULT_CONTEXT: usize = 0;

/// How much an answer into Chinese is pushed to copy a name of its source that the model
/// knows little (see [`latin::copied_names`]) rather than transliterate it: the
/// logit added to the tokens that start it. The model writes unfamiliar names in Han
/// wrongly ("迪米特里·拉巴特" for Dominic Raab), and news references keep them in Latin.
/// Tuned on WMT21 en→zh lines 1–150 with Coder-1.5B: 3 gave chrF 24.6, 5 gave 25.4–25.9,
/// against 22.8 without (docs/quality.md).
const NAME_BONUS: f32 = 5.0;

/// Most answer tokens [`QwenEngine`] scores in one forward pass: each keeps a row of
/// vocabulary-wide logits (600 KB in f32 for Qwen2.5's 151,936 tokens).
const SCORED_TOKENS: usize = 512;

/// A loaded Qwen2 model with its tokenizer and the prompt for one direction.
pub struct QwenEngine {
    model: Qwen2,
    tokenizer: Tokenizer,
    from: Lang,
    to: Lang,
    /// The normal prompt and the stricter one used for a retry.
    prompts: [PreparedPrompt; 2],
    /// Additive logit mask (0 or -inf per token) that rules tokens out, if any.
    banned: Option<Tensor>,
    /// Every token's text, for the Latin-word constraint into Chinese.
    token_texts: Vec<String>,
    /// Into English, the tokens that spell a weekday or a month, which only a source that
    /// names one may have (see [`calendar`]).
    calendar: Option<CalendarTokens>,
    stop: Vec<u32>,
    length_cap: (f32, usize),
    max_new_tokens: Option<usize>,
    signature: String,
    /// Preceding source sentences read with each sentence.
    context: usize,
    batch: (usize, usize),
    stats: EngineStats,
}

/// A prompt with its prefix already run through the model.
struct PreparedPrompt {
    prefix: KvCache,
    suffix: Vec<u32>,
    /// The start of the prefix that a sentence with context shares (see
    /// [`Prompt::split_for_context`]), run through the model, and the tokens of the rest.
    head: KvCache,
    rest: Vec<u32>,
}

/// How an answer ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ending {
    /// With a stop token.
    Stopped,
    /// At the length cap, without ending (usually a loop).
    Capped,
    /// At [`HAN_DEADLINE`], with no Han character in it.
    Abandoned,
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
        // candle's reader panics on some damaged headers (`general.alignment = 0`
        // divides by zero): a damaged file must be an error, not a crash.
        let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            gguf_file::Content::read(&mut file)
        }));
        let content = read.unwrap_or_else(|panic| {
            let what = (panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(candle_core::Error::Msg(format!("the GGUF reader failed: {what}")))
        });
        let content = content.map_err(|e| {
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
        let token_texts: Vec<String> = (0..model.vocab_size() as u32)
            .map(|id| tokenizer.decode(&[id], false).unwrap_or_default())
            .collect();
        // Into English, Han tokens are ruled out from the first answer on: small models
        // otherwise leave words untranslated, and each such answer cost a retry. Into
        // Chinese, Latin letters are constrained per sentence (see `latin`).
        let (banned, calendar) = match opts.to {
            Lang::En => (
                Some(han_mask(&token_texts, &device)?),
                Some(CalendarTokens::new(&token_texts)),
            ),
            Lang::Zh => (None, None),
        };
        let prompts = [
            prepare(&model, &tokenizer, Prompt::new(opts.from, opts.to, false))?,
            prepare(&model, &tokenizer, Prompt::new(opts.from, opts.to, true))?,
        ];
        let context = opts.context.unwrap_or(DEFAULT_CONTEXT);
        Ok(QwenEngine {
            signature: signature(path, opts.to, opts.length_cap, context),
            model,
            tokenizer,
            from: opts.from,
            to: opts.to,
            prompts,
            banned,
            token_texts,
            calendar,
            stop,
            length_cap: opts.length_cap,
            context,
            max_new_tokens: opts.max_new_tokens,
            batch: (opts.batch_size.max(1), opts.max_batch_tokens),
            stats: EngineStats::default(),
        })
    }

    fn decode(&self, tokens: &[u32]) -> Result<String> {
        self.tokenizer
            .decode(tokens, true)
            .map_err(|e| anyhow::anyhow!("cannot decode the answer: {e}"))
    }

    /// Translates `sentences`, taken alternately shortest and longest, with up to
    /// `--batch-size` answers decoded together (and at most `--max-batch-tokens` tokens in
    /// one pass): every forward pass runs one step of each running answer, and a finished
    /// sentence's place goes to the next one at once. An answer that is empty, in the wrong
    /// script, a copy of the source, cut off by the length cap, without one of the source's
    /// numbers or stuttering is judged as soon as it ends and its sentence starts again at
    /// once with the strict prompt. A row's numbers do not depend on its
    /// neighbours, so every translation is the one its sentence gets alone. Each comes with
    /// the defect its answer kept after the retry, if any, handed to `done` with its index
    /// in `items` as soon as it is final.
    ///
    /// The first try reads each sentence after the last [`QwenEngine::context_window`]
    /// sentences of its context; the strict retry reads the sentence alone, so that a model
    /// that mistook the context for the text gets a second chance without it.
    pub fn translate_judged(
        &mut self,
        items: &[InContext],
        done: &mut dyn FnMut(usize, (String, Option<Defect>)) -> Result<()>,
    ) -> Result<()> {
        let sources: Vec<&str> = items.iter().map(|s| s.sentence.trim()).collect();
        let mut results: Vec<(String, Option<Defect>)> = vec![(String::new(), None); sources.len()];
        let mut ids = sources
            .iter()
            .map(|s| encode(&self.tokenizer, &prompt::as_read(s, self.to)))
            .collect::<Result<Vec<_>>>()?;
        let mut context_ids = items
            .iter()
            .map(|item| {
                let window: Vec<String> = item.context[item.context.len().saturating_sub(self.context)..]
                    .iter()
                    .map(|s| prompt::as_read(s, self.to).into_owned())
                    .collect();
                encode(&self.tokenizer, &prompt::context_block(&window))
            })
            .collect::<Result<Vec<_>>>()?;
        let kept: Vec<KeptWords> = match self.to {
            Lang::Zh => sources.iter().map(|s| KeptWords::from_source(s)).collect(),
            Lang::En => Vec::new(),
        };
        let named: Vec<Named> = sources.iter().map(|s| Named::in_source(s)).collect();
        let one_token = |text: &str| encode(&self.tokenizer, text).is_ok_and(|ids| ids.len() == 1);
        let names: Vec<NameTokens> = (kept.iter().zip(&sources))
            .map(|(kept, source)| {
                NameTokens::new(&latin::copied_names(source, kept, one_token), &self.token_texts)
            })
            .collect();
        let mut queue: Vec<usize> = Vec::with_capacity(sources.len());
        for (i, source) in sources.iter().enumerate() {
            if source.is_empty() {
                done(i, (String::new(), None))?;
            } else {
                queue.push(i);
            }
        }
        // Taken alternately from the short and the long end, so that short answers end
        // every few steps all through a long call (progress moves) while long ones are
        // under way.
        queue.sort_by_key(|&i| (ids[i].len(), std::cmp::Reverse(i)));
        let mut queue = VecDeque::from(queue);
        let mut short_next = true;
        self.stats.sentences += queue.len();
        let (max_rows, max_tokens) = self.batch;
        let mut rows: Vec<Answer> = Vec::new();
        loop {
            rows.retain(|r| r.ending.is_none());
            let mut tokens: usize = rows.iter().map(|r| r.pending.len()).sum();
            while let Some(&i) = if short_next { queue.front() } else { queue.back() } {
                let prompt = &self.prompts[NORMAL];
                let context = match context_ids[i].len() {
                    0 => 0,
                    n => n + prompt.rest.len(),
                };
                let need = context + ids[i].len() + prompt.suffix.len();
                if !rows.is_empty() && (rows.len() >= max_rows || tokens + need > max_tokens) {
                    break;
                }
                if short_next {
                    queue.pop_front();
                } else {
                    queue.pop_back();
                }
                short_next = !short_next;
                let (a, b) = self.length_cap;
                let cap = (a * ids[i].len() as f32).ceil() as usize + b;
                let cap = self.max_new_tokens.map_or(cap, |max| cap.min(max));
                if cap == 0 {
                    self.stats.flagged += 1;
                    done(i, (String::new(), Some(Defect::Empty)))?;
                    continue;
                }
                tokens += need;
                self.stats.input_tokens += need;
                let mut row =
                    Answer::start(i, std::mem::take(&mut ids[i]), cap, NORMAL, &self.prompts[NORMAL]);
                if !context_ids[i].is_empty() {
                    // The sentence's context goes into the system turn: the row starts
                    // from the shared head and runs the context and the rest itself.
                    let prompt = &self.prompts[NORMAL];
                    row.cache = prompt.head.clone();
                    let context = std::mem::take(&mut context_ids[i]);
                    row.pending
                        .splice(..0, context.into_iter().chain(prompt.rest.iter().copied()));
                }
                rows.push(row);
            }
            if rows.is_empty() {
                break;
            }
            let mut steps: Vec<Step> = rows
                .iter_mut()
                .map(|r| Step {
                    tokens: &r.pending,
                    cache: &mut r.cache,
                })
                .collect();
            let mut logits = self.model.forward_batch(&mut steps)?;
            if let Some(mask) = &self.banned {
                logits = logits.broadcast_add(mask)?;
            }
            let next = logits.argmax(candle_core::D::Minus1)?.to_vec1::<u32>()?;
            for (r, (row, mut token)) in rows.iter_mut().zip(next).enumerate() {
                if let Some(kept) = kept.get(row.sentence) {
                    let run = &row.latin_run;
                    let allowed =
                        self.stop.contains(&token) || kept.allows(run, &self.token_texts[token as usize]);
                    let starts = names[row.sentence].after(run);
                    let name_may_start = !starts.is_empty() && !starts.contains(&token);
                    if !allowed || name_may_start {
                        let scores = logits.get(r)?.to_vec1::<f32>()?;
                        if !allowed {
                            token = self.best_allowed(&scores, kept, run)?;
                        }
                        if name_may_start {
                            token = name_or(token, &scores, starts);
                        }
                    }
                    row.latin_run.push_str(&self.token_texts[token as usize]);
                    let open = latin::trailing_run(&row.latin_run).len();
                    row.latin_run.drain(..row.latin_run.len() - open);
                    row.unnamed += usize::from(!names[row.sentence].within(&row.latin_run));
                }
                let calendar = self.calendar.as_ref().filter(|c| c.spells(token));
                if let Some(calendar) = calendar {
                    let (named, before) = (named[row.sentence], self.decode(&row.out)?);
                    if calendar.forbids(named, token, &before) {
                        token = calendar.best_allowed(&logits.get(r)?.to_vec1::<f32>()?, named, &before);
                    }
                }
                if self.stop.contains(&token) {
                    row.ending = Some(Ending::Stopped);
                } else {
                    row.out.push(token);
                    row.pending = vec![token];
                    if row.out.len() >= row.cap {
                        row.ending = Some(Ending::Capped);
                    } else if self.to == Lang::Zh
                        && row.unnamed == HAN_DEADLINE
                        && prompt::latin_without_han(&self.decode(&row.out)?)
                    {
                        row.ending = Some(Ending::Abandoned);
                    }
                }
                let Some(ending) = row.ending else { continue };
                self.stats.output_tokens += row.out.len();
                let answer = self.decode(&row.out)?;
                tracing::debug!("qwen raw answer ({ending:?}): {answer:?}");
                let source = sources[row.sentence];
                let (text, defect) = self.judge(&answer, ending, source);
                let result = &mut results[row.sentence];
                match (row.prompt, defect, result.1) {
                    (NORMAL, Some(_), _) => {
                        *result = (text, defect);
                        *row = Answer::start(
                            row.sentence,
                            std::mem::take(&mut row.ids),
                            row.cap,
                            STRICT,
                            &self.prompts[STRICT],
                        );
                        self.stats.input_tokens += row.pending.len();
                        self.stats.retried += 1;
                    }
                    (_, Some(again), Some(problem)) => {
                        tracing::debug!(
                            "qwen: no acceptable translation ({problem:?}, then {again:?}) for: {source}"
                        );
                        // The milder fault wins (an answer that lost a number over one
                        // that loops); on a tie, the first answer, which read the context.
                        if again < problem {
                            *result = (text, Some(again));
                        }
                    }
                    _ => *result = (text, None),
                }
                if row.ending.is_some() {
                    let mut answer = std::mem::take(result);
                    // Reported speech is still a translation: worth a retry, not a flag.
                    if answer.1 == Some(Defect::QuoteLost) {
                        answer.1 = None;
                    }
                    self.stats.flagged += usize::from(answer.1.is_some());
                    done(row.sentence, answer)?;
                }
            }
        }
        Ok(())
    }

    /// The highest-scoring token in `logits` (one row) that the Latin-word constraint
    /// allows after `run`; a stop token is always allowed.
    fn best_allowed(&self, scores: &[f32], kept: &KeptWords, run: &str) -> Result<u32> {
        best_token(scores, |t| {
            self.stop.contains(&t) || kept.allows(run, &self.token_texts[t as usize])
        })
        .context("no token is allowed")
    }

    /// The cleaned-up text of an answer to `source` and what is wrong with it, if anything.
    /// An abandoned answer stands for the source itself, which is what it was becoming
    /// (or English close to it).
    fn judge(&self, answer: &str, ending: Ending, source: &str) -> (String, Option<Defect>) {
        if ending == Ending::Abandoned {
            return (source.to_string(), Some(Defect::WrongScript));
        }
        let text = prompt::clean_output(answer, source);
        let text = match self.to {
            Lang::En => calendar::without_invented_years(&calendar::with_article(&text), source).into_owned(),
            Lang::Zh => text,
        };
        let defect = prompt::defect(&text, source, self.to);
        let defect = match ending {
            Ending::Capped => defect.or(Some(Defect::LengthCap)),
            _ => defect,
        };
        (text, defect)
    }
}

/// The highest-scoring token in `scores` (one row of logits) that `allowed` lets through.
fn best_token(scores: &[f32], allowed: impl Fn(u32) -> bool) -> Option<u32> {
    let mut order: Vec<u32> = (0..scores.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| scores[b as usize].total_cmp(&scores[a as usize]));
    order.into_iter().find(|&t| allowed(t))
}

/// `token`, or the best of `starts` where its score with [`NAME_BONUS`] added beats
/// `token`'s. The Latin-word constraint allows every one of `starts`: they spell the start
/// of a kept word, after a closed run or none.
fn name_or(token: u32, scores: &[f32], starts: &[u32]) -> u32 {
    let best = (starts.iter().copied()).max_by(|&a, &b| scores[a as usize].total_cmp(&scores[b as usize]));
    match best {
        Some(name) if scores[name as usize] + NAME_BONUS > scores[token as usize] => name,
        _ => token,
    }
}

/// One sentence's answer being decoded.
struct Answer {
    /// Index of the sentence in the engine's input.
    sentence: usize,
    /// The sentence's tokens.
    ids: Vec<u32>,
    /// The most tokens the answer may have.
    cap: usize,
    /// Index of the prompt it answers: NORMAL or STRICT.
    prompt: usize,
    cache: KvCache,
    /// Tokens to run next: the sentence and prompt suffix, then the last answer token.
    pending: Vec<u32>,
    out: Vec<u32>,
    /// The run of ASCII letters and digits the answer ends with.
    latin_run: String,
    /// Answer tokens that were not part of a copied name, for [`HAN_DEADLINE`].
    unnamed: usize,
    /// How it ended; `None` while it runs.
    ending: Option<Ending>,
}

impl Answer {
    /// Starts answering sentence `sentence` (`ids`) from prompt `index`'s prepared prefix.
    fn start(sentence: usize, ids: Vec<u32>, cap: usize, index: usize, prompt: &PreparedPrompt) -> Self {
        Answer {
            sentence,
            pending: ids.iter().chain(&prompt.suffix).copied().collect(),
            ids,
            cap,
            prompt: index,
            cache: prompt.prefix.clone(),
            out: Vec::new(),
            latin_run: String::new(),
            unnamed: 0,
            ending: None,
        }
    }
}

/// What produced the translations: the model file and every setting that changes them.
/// Into Chinese without context it is the signature of the engine before context existed,
/// so that caches and manifests made then still match.
fn signature(path: &Path, to: Lang, length_cap: (f32, usize), context: usize) -> String {
    let mut signature = format!(
        "qwen:{}|greedy|cap={}x+{}|prompt=v4|scales=v1|script-check=v9|latin=source-words-v1|names=copy-rare-v1|retry=strict|han-deadline={HAN_DEADLINE}",
        path.file_name().unwrap_or_default().to_string_lossy(),
        length_cap.0,
        length_cap.1
    );
    if to == Lang::En {
        signature.push_str("|calendar=source-only-v4");
    }
    if context > 0 {
        signature.push_str(&format!("|context=source-{context}"));
    }
    signature
}

/// Runs the prefix of `prompt`, and its head for sentences with context, through the
/// model, and tokenizes its suffix and the rest after the head.
fn prepare(model: &Qwen2, tokenizer: &Tokenizer, prompt: Prompt) -> Result<PreparedPrompt> {
    let run = |text: &str| -> Result<KvCache> {
        let mut cache = KvCache::default();
        model.forward(&encode(tokenizer, text)?, &mut cache)?;
        Ok(cache)
    };
    let (head, rest) = prompt.split_for_context();
    Ok(PreparedPrompt {
        prefix: run(&prompt.prefix)?,
        suffix: encode(tokenizer, &prompt.suffix)?,
        head: run(head)?,
        rest: encode(tokenizer, rest)?,
    })
}

/// The mask that keeps Chinese out of an English answer: every token that decodes to a Han
/// character, or to part of a multi-byte character (from which Han could be spelled), is
/// ruled out. Small models otherwise leave words untranslated ("the global价值链").
fn han_mask(token_texts: &[String], device: &candle_core::Device) -> Result<Tensor> {
    let mask: Vec<f32> = token_texts
        .iter()
        .map(|text| {
            if text
                .chars()
                .any(|c| is_han(c) || c == char::REPLACEMENT_CHARACTER)
            {
                f32::NEG_INFINITY
            } else {
                0.0
            }
        })
        .collect();
    Ok(Tensor::from_vec(mask, token_texts.len(), device)?)
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

    /// Each target read as the answer to its source with the normal prompt, its end token
    /// included; pairs share forward passes of up to [`SCORED_TOKENS`] target tokens.
    fn log_likelihoods(&mut self, pairs: &[(String, String)]) -> Result<Vec<f64>> {
        let prompt = &self.prompts[NORMAL];
        let mut rows = Vec::with_capacity(pairs.len());
        for (source, target) in pairs {
            let mut tokens = encode(&self.tokenizer, &prompt::as_read(source.trim(), self.to))?;
            tokens.extend_from_slice(&prompt.suffix);
            let mut answer = encode(&self.tokenizer, target.trim())?;
            answer.push(self.stop[0]);
            tokens.extend_from_slice(&answer);
            rows.push((tokens, answer));
        }
        let mut out = Vec::with_capacity(pairs.len());
        let mut rest = &rows[..];
        while !rest.is_empty() {
            let mut take = 0;
            let mut scored = 0;
            while take < rest.len() && (take == 0 || scored + rest[take].1.len() <= SCORED_TOKENS) {
                scored += rest[take].1.len();
                take += 1;
            }
            let (batch, after) = rest.split_at(take);
            rest = after;
            let mut caches = vec![prompt.prefix.clone(); batch.len()];
            let mut steps: Vec<Step> = caches
                .iter_mut()
                .zip(batch)
                .map(|(cache, (tokens, _))| Step { tokens, cache })
                .collect();
            // The logits after the answer's first token's predecessor up to its last
            // token's predecessor predict the answer's tokens.
            let logits = self.model.forward_picked(&mut steps, |i, seq| {
                (seq - batch[i].1.len() - 1..seq - 1).collect()
            })?;
            let logp = candle_nn::ops::log_softmax(&logits, candle_core::D::Minus1)?;
            let targets: Vec<u32> = batch
                .iter()
                .flat_map(|(_, answer)| answer.iter().copied())
                .collect();
            let targets = Tensor::new(targets.as_slice(), logp.device())?.unsqueeze(1)?;
            let picked = logp.gather(&targets, 1)?.squeeze(1)?.to_vec1::<f32>()?;
            let mut at = 0;
            for (_, answer) in batch {
                out.push(picked[at..at + answer.len()].iter().map(|&v| f64::from(v)).sum());
                at += answer.len();
            }
        }
        Ok(out)
    }

    fn signature(&self) -> String {
        self.signature.clone()
    }

    fn translate(&mut self, sentences: &[String]) -> Result<Vec<String>> {
        Ok(self
            .translate_checked(sentences)?
            .into_iter()
            .map(|(text, _)| text)
            .collect())
    }

    fn translate_checked(&mut self, sentences: &[String]) -> Result<Vec<(String, Verdict)>> {
        let alone = crate::translate::in_context(sentences, 0);
        self.translate_in_context(&alone)
    }

    fn context_window(&self) -> usize {
        self.context
    }

    fn translate_in_context(&mut self, items: &[InContext]) -> Result<Vec<(String, Verdict)>> {
        crate::translate::collect_each(self, items)
    }

    fn translate_each(
        &mut self,
        items: &[InContext],
        done: &mut dyn FnMut(usize, (String, Verdict)) -> Result<()>,
    ) -> Result<()> {
        self.translate_judged(items, &mut |i, (text, defect)| {
            let verdict = defect.map_or(Verdict::Accepted, |d| Verdict::Rejected(format!("{d:?}")));
            done(i, (text, verdict))
        })
    }

    fn answers_independently(&self) -> bool {
        true
    }

    fn stats(&self) -> EngineStats {
        self.stats
    }
}
