//! Batch processing of article folders: resume, shards, progress and manifests.
//!
//! [`run`] reads every article under a folder, translates the ones in the source
//! language and writes, under the output folder, `translated/<relative path>`, the
//! corpus files `corpus.{tsv,jsonl,tmx,en,zh}` and `manifest.json`.
//!
//! Files are taken in path order and gathered into chunks of about
//! [`RunOptions::chunk_sentences`] sentences; the distinct sentences of a chunk
//! are translated in shared length-sorted batches, so short files do not waste
//! batches. Chunks and batches depend only on the inputs, and every finished batch
//! lands in the on-disk [`cache::TranslationCache`], so a killed run started again
//! replays its finished batches from the cache and translates the rest in exactly
//! the batches an uninterrupted run would have used: the outputs come out
//! byte-identical, and a changed file is simply retranslated. An engine whose
//! answers do not depend on their batch (Qwen, see
//! [`Engine::answers_independently`]) gets a chunk's sentences in one call, keeps its
//! rows full itself, and each answer is cached as it ends: progress moves with every
//! sentence and a killed run loses none.

pub mod batch;
pub mod cache;
pub mod manifest;
pub mod merge;
pub mod progress;

use crate::align::document::{align_documents, AlignedDocument, DocumentPair, Text};
use crate::align::AlignConfig;
use crate::corpus::{CorpusWriter, Format, SentencePair};
use crate::model::embed::quality::{self, ScoreSummary};
use crate::model::embed::SentenceEmbedder;
use crate::text::{self, clean, detect::is_code_mixed, join_sentences, read, Lang};
use crate::translate::{in_context, Engine, InContext, Verdict};
use anyhow::Context;
use manifest::{
    BeadSide, EngineInfo, FileEntry, Manifest, Rejection, Settings, Status, Timings, Totals, Unaligned,
};
use progress::Progress;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

/// Where the run keeps its cache, under the output folder.
pub const STATE_DIR: &str = ".bitext";
/// Stem of the corpus files in the output folder.
pub const CORPUS_STEM: &str = "corpus";
/// Name of the manifest in the output folder.
pub const MANIFEST: &str = "manifest.json";
/// Folder of the translated articles in the output folder.
pub const TRANSLATED_DIR: &str = "translated";
/// The lock file under [`STATE_DIR`] that a run or merge holds while it writes the folder.
pub const LOCK: &str = "lock";

/// One share of the input files: those whose path hash is `index` modulo `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which share, from 0 to `count - 1`.
    pub index: usize,
    /// How many shares.
    pub count: usize,
}

impl Shard {
    /// True when the file with relative path `rel` belongs to this shard. The hash is
    /// SHA-256 of the path, so the split is the same on every machine.
    pub fn contains(&self, rel: &str) -> bool {
        let digest = Sha256::digest(rel.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        (u64::from_be_bytes(first) % self.count as u64) as usize == self.index
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("bad shard {s:?}: expected K/N with 0 <= K < N, e.g. 0/4");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What [`run`] does, apart from the engine.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The folder of articles (or one article file).
    pub input: PathBuf,
    /// Where the outputs go.
    pub output: PathBuf,
    /// Engine family name for the manifest.
    pub engine_kind: String,
    /// Only relative paths matching one of these globs (all articles when empty).
    pub globs: Vec<String>,
    /// Corpus formats to write.
    pub formats: Vec<Format>,
    /// Process only this share of the files.
    pub shard: Option<Shard>,
    /// Ignore and replace the translation cache.
    pub force: bool,
    /// Most sentences per batch.
    pub batch_size: usize,
    /// Most estimated padded tokens per batch.
    pub max_batch_tokens: usize,
    /// Sentences gathered before batching; larger chunks share batches better and hold more in memory.
    pub chunk_sentences: usize,
    /// Show progress (a bar on a terminal, log lines otherwise).
    pub progress: bool,
    /// Align each article with its existing translation of the same stem in this
    /// folder (the engine's translation serves as the aligner's signal) instead of
    /// pairing it with the machine translation.
    pub pair_dir: Option<PathBuf>,
    /// Leave pairs scored below this out of the corpus (they stay in the translated
    /// articles and are counted in the manifest).
    pub min_score: Option<f64>,
}

/// An article after reading and segmentation.
enum Prepared {
    /// To translate: paragraphs (the title first when there is one) of sentences,
    /// and with `--pair-dir` the sentences of the existing translation.
    Translate {
        paragraphs: Vec<Vec<String>>,
        counterpart: Option<Vec<String>>,
    },
    /// Not translated, for this reason.
    Skip(String),
    /// Unreadable, for this reason.
    Fail(String),
}

/// One input file through the run.
struct Article {
    rel: String,
    entry: FileEntry,
    prepared: Prepared,
}

/// Runs the pipeline with `engine` and returns the manifest it wrote; with `scorer`,
/// every translated pair is scored by [`quality::pair_scores`]. Files that fail are
/// recorded in the manifest (and printed) and skipped; an error means nothing useful
/// could be done.
pub fn run(
    opts: &RunOptions,
    engine: &mut dyn Engine,
    scorer: Option<&dyn SentenceEmbedder>,
) -> anyhow::Result<Manifest> {
    let start = Instant::now();
    let started_unix_s = unix_now();
    let (from, to) = engine.direction();
    let files = list_files(opts)?;
    let _lock = lock_output(&opts.output)?;
    let bytes: u64 = files
        .iter()
        .filter_map(|(_, path)| std::fs::metadata(path).ok())
        .map(|m| m.len())
        .sum();
    let progress = if opts.progress {
        Progress::new(files.len(), bytes)
    } else {
        Progress::hidden(files.len(), bytes)
    };
    remove_stale_temp_files(&opts.output);
    let state = opts.output.join(STATE_DIR);
    let direction = format!("{from}-{to}");
    let cache = cache::TranslationCache::open(
        &state.join("cache.jsonl"),
        &engine.signature(),
        &direction,
        opts.force,
    )?;
    let writers = opts
        .formats
        .iter()
        .map(|&format| CorpusWriter::create(&corpus_path(&opts.output, format), format))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut runner = Runner {
        opts,
        engine,
        cache,
        writers,
        entries: Vec::with_capacity(files.len()),
        timings: Timings::default(),
        progress,
        engine_sentences: 0,
        scorer,
        scores: Vec::new(),
    };
    let mut pending: Vec<Article> = Vec::new();
    let mut pending_sentences = 0;
    // Read in parallel windows; chunk boundaries still depend only on file order.
    for window in files.chunks(rayon::current_num_threads().max(1) * 4) {
        let t = Instant::now();
        let articles: Vec<Article> = window
            .par_iter()
            .map(|(rel, path)| prepare(rel, path, to, opts.pair_dir.as_deref()))
            .collect();
        runner.timings.read_s += t.elapsed().as_secs_f64();
        for article in articles {
            if let Prepared::Fail(reason) = &article.prepared {
                progress::eprint_line(&format!(
                    "bitext: {}: {reason}",
                    opts.input.join(&article.rel).display()
                ));
            }
            runner
                .progress
                .file_read(article.entry.bytes, article.entry.sentences);
            if let Prepared::Translate { paragraphs, .. } = &article.prepared {
                pending_sentences += paragraphs.iter().map(Vec::len).sum::<usize>();
            }
            pending.push(article);
            if pending_sentences >= opts.chunk_sentences {
                pending_sentences = 0;
                runner.process_chunk(std::mem::take(&mut pending))?;
            }
        }
    }
    runner.process_chunk(pending)?;
    runner.progress.finish();

    let Runner {
        engine,
        writers,
        entries,
        mut timings,
        engine_sentences,
        scorer,
        scores,
        ..
    } = runner;
    let t = Instant::now();
    for writer in writers {
        writer.finish()?;
    }
    timings.write_s += t.elapsed().as_secs_f64();
    timings.total_s = start.elapsed().as_secs_f64();
    timings.started_unix_s = Some(started_unix_s);
    timings.finished_unix_s = Some(unix_now());
    let mut totals = Totals::of(&entries);
    totals.engine_sentences = engine_sentences;
    let manifest = Manifest {
        tool: "bitext".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        engine: EngineInfo {
            kind: opts.engine_kind.clone(),
            from: from.code().into(),
            to: to.code().into(),
            signature: engine.signature(),
        },
        settings: Settings {
            input: Some(std::path::absolute(&opts.input)?.display().to_string()),
            globs: opts.globs.clone(),
            formats: opts.formats.clone(),
            shard: opts.shard.map(|s| s.to_string()),
            batch_size: opts.batch_size,
            max_batch_tokens: opts.max_batch_tokens,
            chunk_sentences: opts.chunk_sentences,
            force: opts.force,
            pair_dir: opts.pair_dir.as_ref().map(|d| d.display().to_string()),
            min_score: opts.min_score,
        },
        quality: scorer.map(|s| {
            ScoreSummary::of(
                &s.fingerprint(),
                &scores,
                opts.min_score.unwrap_or(quality::DEFAULT_THRESHOLD),
            )
        }),
        files: entries,
        timings: timings.with_rates(&totals),
        totals,
        merge: None,
    };
    write_manifest(&opts.output, &manifest)?;
    Ok(manifest)
}

/// Seconds since the Unix epoch.
fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Locks `output` (creating it) for this process until the returned file is
/// dropped, so that two runs or merges never interleave their writes. The lock is
/// the operating system's (`flock`): it dies with the process, even by SIGKILL,
/// so a killed run never leaves a stale lock behind.
pub fn lock_output(output: &Path) -> anyhow::Result<std::fs::File> {
    let path = output.join(STATE_DIR).join(LOCK);
    let context = || path.display().to_string();
    std::fs::create_dir_all(output.join(STATE_DIR)).with_context(context)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(context)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "{}: another bitext run or merge is writing to this folder (it holds {}); \
             wait for it to finish or choose another output folder",
            output.display(),
            path.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => Err(e).with_context(context),
    }
}

/// The article files to process: `(relative path with '/', full path)`, filtered by
/// the globs and the shard, sorted by relative path.
fn list_files(opts: &RunOptions) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let found = read::find_articles(&opts.input)?;
    let mut globs = globset::GlobSetBuilder::new();
    for pattern in &opts.globs {
        globs.add(globset::Glob::new(pattern).with_context(|| format!("bad --glob {pattern:?}"))?);
    }
    let globs = globs.build()?;
    let mut files: Vec<(String, PathBuf)> = found
        .into_iter()
        .map(|path| {
            let rel = match path.strip_prefix(&opts.input) {
                Ok(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
                _ => PathBuf::from(path.file_name().unwrap_or(path.as_os_str())),
            };
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            (rel, path)
        })
        .filter(|(rel, _)| opts.globs.is_empty() || globs.is_match(rel))
        .filter(|(rel, _)| opts.shard.is_none_or(|s| s.contains(rel)))
        .collect();
    files.sort();
    if files.is_empty() && opts.shard.is_none() {
        anyhow::bail!(
            "{}: no article files ({}) to process",
            opts.input.display(),
            read::SUPPORTED_EXTENSIONS
                .iter()
                .map(|e| format!(".{e}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    Ok(files)
}

/// Reads, cleans, detects and segments one file (and its counterpart in
/// `pair_dir`). Runs in parallel.
fn prepare(rel: &str, path: &Path, to: Lang, pair_dir: Option<&Path>) -> Article {
    let mut entry = FileEntry {
        path: rel.to_string(),
        sha256: None,
        bytes: 0,
        status: Status::Failed,
        reason: None,
        lang: None,
        paragraphs: 0,
        sentences: 0,
        pairs: 0,
        flagged: 0,
        code_mixed: 0,
        rejected: Vec::new(),
        unaligned: Vec::new(),
        output: None,
        counterpart: None,
        counterpart_sha256: None,
    };
    let fail = |mut entry: FileEntry, reason: String| Article {
        rel: rel.to_string(),
        entry: {
            entry.reason = Some(reason.clone());
            entry
        },
        prepared: Prepared::Fail(reason),
    };
    match std::fs::read(path) {
        Ok(bytes) => {
            entry.bytes = bytes.len() as u64;
            entry.sha256 = Some(cache::hex(&Sha256::digest(&bytes)));
        }
        Err(e) => return fail(entry, e.to_string()),
    }
    let article = match load_clean(path) {
        Ok(article) => article,
        Err(reason) => return fail(entry, reason),
    };
    entry.lang = Some(article.lang.code().to_string());
    let counterpart = match pair_dir {
        _ if article.lang == to => None,
        None => None,
        Some(dir) => match find_counterpart(dir, rel) {
            None => Some(Err(Prepared::Skip(format!(
                "no counterpart of the same stem in {}",
                dir.display()
            )))),
            Some((pair_rel, pair_path)) => {
                entry.counterpart = Some(pair_rel);
                entry.counterpart_sha256 = std::fs::read(&pair_path)
                    .ok()
                    .map(|b| cache::hex(&Sha256::digest(&b)));
                Some(match load_clean(&pair_path) {
                    Ok(pair) if pair.lang == to => Ok(pair.sentences().concat()),
                    Ok(pair) => Err(Prepared::Fail(format!(
                        "counterpart {} is in {}, not {to}",
                        pair_path.display(),
                        pair.lang
                    ))),
                    Err(reason) => Err(Prepared::Fail(format!(
                        "counterpart {}: {reason}",
                        pair_path.display()
                    ))),
                })
            }
        },
    };
    let prepared = match counterpart {
        _ if article.lang == to => Prepared::Skip(format!("already in {to}")),
        Some(Err(not_paired)) => not_paired,
        counterpart => {
            let paragraphs = article.sentences();
            entry.paragraphs = paragraphs.len();
            Prepared::Translate {
                paragraphs,
                counterpart: counterpart.and_then(Result::ok),
            }
        }
    };
    match &prepared {
        Prepared::Skip(reason) => {
            entry.status = Status::Skipped;
            entry.reason = Some(reason.clone());
        }
        Prepared::Translate { paragraphs, .. } => {
            entry.status = Status::Translated;
            entry.sentences = paragraphs.iter().map(Vec::len).sum();
        }
        Prepared::Fail(reason) => entry.reason = Some(reason.clone()),
    }
    Article {
        rel: rel.to_string(),
        entry,
        prepared,
    }
}

/// Reads and cleans one article with the per-file rules only: folder-wide
/// boilerplate removal would make a file's output depend on which other files
/// share the run (globs, shards). Errors are the reason alone, without the path.
fn load_clean(path: &Path) -> Result<text::article::Article, String> {
    let article = read::read_document(path).and_then(|mut doc| {
        clean::clean_document(&mut doc);
        text::article::Article::new(path, doc, None)
    });
    article.map_err(|e| {
        let message = e.to_string();
        let prefix = format!("{}: ", path.display());
        message.strip_prefix(&prefix).unwrap_or(&message).to_string()
    })
}

/// The article in `dir` with the same relative folder and stem as `rel` (any
/// supported extension, in [`read::SUPPORTED_EXTENSIONS`] order): its relative path and full path.
fn find_counterpart(dir: &Path, rel: &str) -> Option<(String, PathBuf)> {
    let rel_path = Path::new(rel);
    read::SUPPORTED_EXTENSIONS.iter().find_map(|ext| {
        let candidate = rel_path.with_extension(ext);
        let full = dir.join(&candidate);
        full.is_file()
            .then(|| (candidate.to_string_lossy().replace('\\', "/"), full))
    })
}

/// What a run carries from chunk to chunk.
struct Runner<'a> {
    opts: &'a RunOptions,
    engine: &'a mut dyn Engine,
    cache: cache::TranslationCache,
    writers: Vec<CorpusWriter>,
    entries: Vec<FileEntry>,
    timings: Timings,
    progress: Progress,
    /// Sentences the engine translated (the rest came from the cache).
    engine_sentences: usize,
    /// What scores the translated pairs, if anything.
    scorer: Option<&'a dyn SentenceEmbedder>,
    /// Every translated pair's score, for the manifest's summary.
    scores: Vec<f64>,
}

impl Runner<'_> {
    /// Translates the distinct sentences of `chunk` in shared batches (through the
    /// cache), then writes each file's translation and pairs.
    fn process_chunk(&mut self, chunk: Vec<Article>) -> anyhow::Result<()> {
        let (from, to) = self.engine.direction();
        let window = self.engine.context_window();
        // Distinct normalised sentences (with their context, when the engine reads one) in
        // order of first appearance, and each article's sentences as indices into them.
        let mut index: HashMap<InContext, usize> = HashMap::new();
        let mut distinct: Vec<InContext> = Vec::new();
        let mut article_items: Vec<Vec<usize>> = Vec::new();
        for article in &chunk {
            let mut items = Vec::new();
            if let Prepared::Translate { paragraphs, .. } = &article.prepared {
                let document: Vec<String> =
                    paragraphs.iter().flatten().map(|s| cache::normalize(s)).collect();
                for item in in_context(&document, window) {
                    let next = distinct.len();
                    items.push(*index.entry(item.clone()).or_insert_with(|| {
                        distinct.push(item);
                        next
                    }));
                }
            }
            article_items.push(items);
        }
        let keys: Vec<String> = distinct
            .iter()
            .map(|item| self.cache.key_in_context(item))
            .collect();
        let texts: Vec<String> = distinct.iter().map(|item| item.sentence.clone()).collect();
        // Progress counts distinct sentences while the chunk translates (cached ones at
        // once), then the chunk's source sentences.
        let base = self.progress.done();
        let cached = keys.iter().filter(|k| self.cache.get(k).is_some()).count();
        self.progress.set_done(base + cached);
        let t = Instant::now();
        let independent = self.engine.answers_independently();
        let calls = if independent {
            vec![(0..texts.len()).collect()]
        } else {
            batch::length_sorted_batches(&texts, self.opts.batch_size, self.opts.max_batch_tokens)
        };
        for call in calls {
            let todo: Vec<usize> = call
                .into_iter()
                .filter(|&i| self.cache.get(&keys[i]).is_none())
                .collect();
            if todo.is_empty() {
                continue;
            }
            let sources: Vec<InContext> = todo.iter().map(|&i| distinct[i].clone()).collect();
            let mut answers: Vec<Option<(String, Verdict)>> = vec![None; todo.len()];
            let (cache, progress) = (&mut self.cache, &self.progress);
            self.engine.translate_each(&sources, &mut |j, answer| {
                let slot = answers
                    .get_mut(j)
                    .with_context(|| format!("the engine answered sentence {j} of {}", todo.len()))?;
                if independent {
                    // Kept at once, so that an interrupted chunk loses no finished answer.
                    cache.insert_batch(vec![keys[todo[j]].clone()], vec![answer.clone()])?;
                }
                if slot.replace(answer).is_none() {
                    progress.add_done(1);
                }
                Ok(())
            })?;
            let answers = answers
                .into_iter()
                .collect::<Option<Vec<_>>>()
                .context("the engine left a sentence without a translation")?;
            if !independent {
                self.cache
                    .insert_batch(todo.iter().map(|&i| keys[i].clone()).collect(), answers)?;
            }
            self.engine_sentences += todo.len();
        }
        self.timings.translate_s += t.elapsed().as_secs_f64();
        let sources: usize = chunk.iter().map(|a| a.entry.sentences).sum();
        self.progress.set_done(base + sources);

        let t = Instant::now();
        for (mut article, items) in chunk.into_iter().zip(article_items) {
            if let Prepared::Translate {
                paragraphs,
                counterpart,
            } = &article.prepared
            {
                let mut item_keys = items.iter().map(|&i| &keys[i]);
                let translations = paragraphs
                    .iter()
                    .map(|paragraph| {
                        item_keys
                            .by_ref()
                            .take(paragraph.len())
                            .map(|key| {
                                self.cache
                                    .get(key)
                                    .map(str::to_string)
                                    .context("a translation is missing from the cache")
                            })
                            .collect::<anyhow::Result<Vec<String>>>()
                    })
                    .collect::<anyhow::Result<Vec<Vec<String>>>>()?;
                let verdicts: Vec<&Verdict> = items.iter().map(|&i| self.cache.verdict(&keys[i])).collect();
                let accepted: Vec<Option<bool>> = verdicts.iter().map(|v| v.accepted()).collect();
                article.entry.rejected = verdicts
                    .iter()
                    .enumerate()
                    .filter_map(|(sentence, v)| match v {
                        Verdict::Rejected(reason) => Some(Rejection {
                            sentence,
                            reason: reason.clone(),
                        }),
                        _ => None,
                    })
                    .collect();
                article.entry.flagged = article.entry.rejected.len();
                warn_rejections(&article.entry);
                if to == Lang::Zh {
                    article.entry.code_mixed =
                        translations.iter().flatten().filter(|t| is_code_mixed(t)).count();
                }
                let pairs = match counterpart {
                    None => {
                        let rel_out = translated_path(&article.rel);
                        let path = self.opts.output.join(&rel_out);
                        let text = render(&translations, to);
                        crate::fsio::write_atomic(&path, text.as_bytes())
                            .with_context(|| path.display().to_string())?;
                        article.entry.output = Some(rel_out);
                        let scores = match self.scorer {
                            Some(scorer) => Some(
                                quality::pair_scores(scorer, &paragraphs.concat(), &translations.concat())
                                    .context("cannot score the translations")?,
                            ),
                            None => None,
                        };
                        let pairs = translation_pairs(
                            &article.rel,
                            (from, to),
                            paragraphs,
                            &translations,
                            &accepted,
                            scores.as_deref(),
                        );
                        if scores.is_some() {
                            self.scores.extend(pairs.iter().filter_map(|p| p.score));
                        }
                        pairs
                    }
                    Some(target) => {
                        let path = self.opts.input.join(&article.rel);
                        let pair = DocumentPair {
                            doc: article.rel.clone(),
                            src: Text {
                                path: path.clone(),
                                lang: from,
                                sentences: paragraphs.concat(),
                                translation: Some(translations.concat()),
                            },
                            tgt: Text {
                                path,
                                lang: to,
                                sentences: target.clone(),
                                translation: None,
                            },
                        };
                        let config = AlignConfig::default();
                        let aligned = align_documents(vec![pair], None, None, &config, false, None)?.pop();
                        match aligned.context("one result per document pair")? {
                            Ok(aligned) => {
                                article.entry.unaligned = unaligned_sentences(&aligned);
                                aligned.pairs
                            }
                            Err(e) => {
                                // The error carries the source path as context; the cause is the reason.
                                let reason = format!("cannot align: {}", e.root_cause());
                                progress::eprint_line(&format!(
                                    "bitext: {}: {reason}",
                                    self.opts.input.join(&article.rel).display()
                                ));
                                article.entry.status = Status::Failed;
                                article.entry.reason = Some(reason);
                                Vec::new()
                            }
                        }
                    }
                };
                let mut written = 0;
                for pair in &pairs {
                    if self
                        .opts
                        .min_score
                        .is_some_and(|min| pair.score.unwrap_or(0.0) < min)
                    {
                        continue;
                    }
                    for writer in self.writers.iter_mut() {
                        writer.write(pair)?;
                    }
                    written += 1;
                }
                article.entry.pairs = written;
            }
            self.progress.file_done();
            self.entries.push(article.entry);
        }
        self.timings.write_s += t.elapsed().as_secs_f64();
        Ok(())
    }
}

/// One warning for all the translations of `entry` the engine rejected, with their
/// count by reason; the sentences are listed in the manifest.
fn warn_rejections(entry: &FileEntry) {
    if entry.rejected.is_empty() {
        return;
    }
    let reasons: Vec<String> = entry
        .rejections_by_reason()
        .iter()
        .map(|(reason, n)| format!("{n} {reason}"))
        .collect();
    tracing::warn!(
        "{}: {} of {} translations rejected by the engine ({}); kept with score 0, listed in {MANIFEST}",
        entry.path,
        entry.rejected.len(),
        entry.sentences,
        reasons.join(", ")
    );
}

/// The translated article: one line per paragraph (the title first), blank lines between.
fn render(translations: &[Vec<String>], to: Lang) -> String {
    let paragraphs: Vec<String> = translations.iter().map(|p| join_sentences(p, to)).collect();
    let mut text = paragraphs.join("\n\n");
    text.push('\n');
    text
}

/// One pair per source sentence with its machine translation; sentence ids count
/// from the title. A translation the engine judged unacceptable even after a retry
/// scores 0; the others score their `quality` score when there is one, else 1 from an
/// engine that checks its answers, else nothing.
fn translation_pairs(
    doc: &str,
    (from, to): (Lang, Lang),
    paragraphs: &[Vec<String>],
    translations: &[Vec<String>],
    accepted: &[Option<bool>],
    quality: Option<&[f64]>,
) -> Vec<SentencePair> {
    paragraphs
        .concat()
        .into_iter()
        .zip(translations.concat())
        .zip(accepted)
        .enumerate()
        .map(|(id, ((src, tgt), accepted))| SentencePair {
            score: match (accepted, quality) {
                (Some(false), _) => Some(0.0),
                (_, Some(scores)) => Some(scores[id]),
                (accepted, None) => accepted.map(|_| 1.0),
            },
            doc: doc.to_string(),
            src_lang: from,
            tgt_lang: to,
            src,
            tgt,
            src_ids: vec![id],
            tgt_ids: vec![id],
        })
        .collect()
}

/// The sentences of `aligned`'s one-sided beads (1-0 and 0-1), for the manifest.
fn unaligned_sentences(aligned: &AlignedDocument) -> Vec<Unaligned> {
    let (source, target) = (&aligned.pair.src.sentences, &aligned.pair.tgt.sentences);
    aligned
        .alignment
        .beads
        .iter()
        .filter(|b| b.src.is_empty() || b.tgt.is_empty())
        .flat_map(|b| {
            let sources = b.src.clone().map(|i| Unaligned {
                side: BeadSide::Source,
                sentence: i,
                text: source[i].clone(),
            });
            let targets = b.tgt.clone().map(|j| Unaligned {
                side: BeadSide::Target,
                sentence: j,
                text: target[j].clone(),
            });
            sources.chain(targets)
        })
        .collect()
}

/// Where the translation of the article at `rel` goes, relative to the output
/// folder: `translated/<rel>`, with `.txt` appended to HTML files (the translation is plain text).
pub fn translated_path(rel: &str) -> String {
    let is_html = Path::new(rel)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
    if is_html {
        format!("{TRANSLATED_DIR}/{rel}.txt")
    } else {
        format!("{TRANSLATED_DIR}/{rel}")
    }
}

/// The path the corpus functions take for `format` in `dir` (the stem for Moses).
pub fn corpus_path(dir: &Path, format: Format) -> PathBuf {
    match format {
        Format::Moses => dir.join(CORPUS_STEM),
        _ => dir.join(format!("{CORPUS_STEM}.{}", format.extension())),
    }
}

/// Writes `manifest` as `dir/manifest.json`, atomically.
pub fn write_manifest(dir: &Path, manifest: &Manifest) -> anyhow::Result<()> {
    let mut json = serde_json::to_vec_pretty(manifest)?;
    json.push(b'\n');
    let path = dir.join(MANIFEST);
    crate::fsio::write_atomic(&path, &json).with_context(|| path.display().to_string())
}

/// Removes the temporary files (`.tmp*`, tempfile's names) that a killed run left
/// in the output folder before they were renamed into place.
fn remove_stale_temp_files(output: &Path) {
    if !output.is_dir() {
        return;
    }
    let walker = walkdir::WalkDir::new(output)
        .into_iter()
        .filter_entry(|e| e.file_name() != STATE_DIR)
        .filter_map(Result::ok);
    for entry in walker {
        let stale =
            entry.file_type().is_file() && entry.file_name().to_str().is_some_and(|n| n.starts_with(".tmp"));
        if stale {
            if let Err(e) = std::fs::remove_file(entry.path()) {
                tracing::warn!(
                    "{}: cannot remove stale temporary file: {e}",
                    entry.path().display()
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_partition_the_paths() {
        assert_eq!("1/4".parse::<Shard>().unwrap(), Shard { index: 1, count: 4 });
        for bad in ["4/4", "1", "a/2", "0/0", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        let paths: Vec<String> = (0..200).map(|i| format!("dir/{i}.txt")).collect();
        let shards: Vec<Shard> = (0..3).map(|index| Shard { index, count: 3 }).collect();
        for p in &paths {
            assert_eq!(shards.iter().filter(|s| s.contains(p)).count(), 1, "{p}");
        }
        assert!(shards
            .iter()
            .all(|s| paths.iter().filter(|p| s.contains(p)).count() > 40));
    }

    #[test]
    fn html_translations_get_a_txt_name() {
        assert_eq!(translated_path("a/b.txt"), "translated/a/b.txt");
        assert_eq!(translated_path("a/b.HTML"), "translated/a/b.HTML.txt");
    }
}
