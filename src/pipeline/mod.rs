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
//! byte-identical, and a changed file is simply retranslated.

pub mod batch;
pub mod cache;
pub mod manifest;
pub mod merge;
pub mod progress;

use crate::corpus::{CorpusWriter, Format, SentencePair};
use crate::text::{detect::detect, read, segment::split_sentences, Lang};
use crate::translate::Engine;
use anyhow::Context;
use manifest::{EngineInfo, FileEntry, Manifest, Settings, Status, Timings, Totals};
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
}

/// An article after reading and segmentation.
enum Prepared {
    /// To translate: paragraphs (the title first when there is one) of sentences.
    Translate { paragraphs: Vec<Vec<String>> },
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

/// Runs the pipeline with `engine` and returns the manifest it wrote. Files that
/// fail are recorded in the manifest (and printed) and skipped; an error means
/// nothing useful could be done.
pub fn run(opts: &RunOptions, engine: &mut dyn Engine) -> anyhow::Result<Manifest> {
    let start = Instant::now();
    let (from, to) = engine.direction();
    let files = list_files(opts)?;
    let progress = &mut if opts.progress {
        Progress::new(files.len())
    } else {
        Progress::hidden(files.len())
    };
    remove_stale_temp_files(&opts.output);
    let state = opts.output.join(STATE_DIR);
    let direction = format!("{from}-{to}");
    let mut cache = cache::TranslationCache::open(
        &state.join("cache.jsonl"),
        &engine.signature(),
        &direction,
        opts.force,
    )?;
    let mut writers = opts
        .formats
        .iter()
        .map(|&format| CorpusWriter::create(&corpus_path(&opts.output, format), format))
        .collect::<anyhow::Result<Vec<_>>>()?;

    let mut timings = Timings::default();
    let mut entries = Vec::with_capacity(files.len());
    let mut engine_sentences = 0;
    let mut pending: Vec<Article> = Vec::new();
    let mut pending_sentences = 0;
    // Read in parallel windows; chunk boundaries still depend only on file order.
    for window in files.chunks(rayon::current_num_threads().max(1) * 4) {
        let t = Instant::now();
        let articles: Vec<Article> = window
            .par_iter()
            .map(|(rel, path)| prepare(rel, path, to))
            .collect();
        timings.read_s += t.elapsed().as_secs_f64();
        for article in articles {
            if let Prepared::Fail(reason) = &article.prepared {
                eprintln!("bitext: {}: {reason}", opts.input.join(&article.rel).display());
            }
            if let Prepared::Translate { paragraphs } = &article.prepared {
                pending_sentences += paragraphs.iter().map(Vec::len).sum::<usize>();
            }
            pending.push(article);
            if pending_sentences >= opts.chunk_sentences {
                let chunk = std::mem::take(&mut pending);
                pending_sentences = 0;
                engine_sentences += process_chunk(
                    opts,
                    engine,
                    &mut cache,
                    &mut writers,
                    chunk,
                    &mut entries,
                    &mut timings,
                    progress,
                )?;
            }
        }
    }
    engine_sentences += process_chunk(
        opts,
        engine,
        &mut cache,
        &mut writers,
        pending,
        &mut entries,
        &mut timings,
        progress,
    )?;
    progress.finish();

    let t = Instant::now();
    for writer in writers {
        writer.finish()?;
    }
    timings.write_s += t.elapsed().as_secs_f64();
    timings.total_s = start.elapsed().as_secs_f64();
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
            globs: opts.globs.clone(),
            formats: opts.formats.clone(),
            shard: opts.shard.map(|s| s.to_string()),
            batch_size: opts.batch_size,
            max_batch_tokens: opts.max_batch_tokens,
            chunk_sentences: opts.chunk_sentences,
            force: opts.force,
        },
        files: entries,
        timings: timings.with_rates(&totals),
        totals,
    };
    write_manifest(&opts.output, &manifest)?;
    Ok(manifest)
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

/// Reads, detects and segments one file. Runs in parallel.
fn prepare(rel: &str, path: &Path, to: Lang) -> Article {
    let mut entry = FileEntry {
        path: rel.to_string(),
        sha256: None,
        bytes: 0,
        status: Status::Failed,
        reason: None,
        lang: None,
        paragraphs: 0,
        sentences: 0,
        output: None,
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
    let doc = match read::read_document(path) {
        Ok(doc) => doc,
        Err(read::ReadError::Io { source, .. }) => return fail(entry, source.to_string()),
        Err(read::ReadError::Undecodable { reason, .. }) => return fail(entry, reason),
    };
    let texts: Vec<&String> = doc.title.iter().chain(&doc.paragraphs).collect();
    if texts.is_empty() {
        return fail(entry, "no text".into());
    }
    let whole = texts.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n");
    let lang = detect(&whole);
    entry.lang = lang.map(|l| l.code().to_string());
    entry.paragraphs = texts.len();
    let prepared = match lang {
        None => Prepared::Skip("no English or Chinese text".into()),
        Some(lang) if lang == to => Prepared::Skip(format!("already in {to}")),
        Some(lang) => Prepared::Translate {
            paragraphs: texts.iter().map(|t| split_sentences(t, lang)).collect(),
        },
    };
    match &prepared {
        Prepared::Skip(reason) => {
            entry.status = Status::Skipped;
            entry.reason = Some(reason.clone());
        }
        Prepared::Translate { paragraphs } => {
            entry.status = Status::Translated;
            entry.sentences = paragraphs.iter().map(Vec::len).sum();
        }
        Prepared::Fail(_) => {}
    }
    Article {
        rel: rel.to_string(),
        entry,
        prepared,
    }
}

/// Translates the distinct sentences of `chunk` in shared batches (through the
/// cache), then writes each file's translation and pairs. Returns how many
/// sentences the engine translated.
#[allow(clippy::too_many_arguments)]
fn process_chunk(
    opts: &RunOptions,
    engine: &mut dyn Engine,
    cache: &mut cache::TranslationCache,
    writers: &mut [CorpusWriter],
    chunk: Vec<Article>,
    entries: &mut Vec<FileEntry>,
    timings: &mut Timings,
    progress: &mut Progress,
) -> anyhow::Result<usize> {
    let (from, to) = engine.direction();
    // Distinct normalised sentences in order of first appearance.
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut distinct: Vec<String> = Vec::new();
    for article in &chunk {
        if let Prepared::Translate { paragraphs } = &article.prepared {
            for sentence in paragraphs.iter().flatten() {
                let norm = cache::normalize(sentence);
                index.entry(norm.clone()).or_insert_with(|| {
                    distinct.push(norm);
                    distinct.len() - 1
                });
            }
        }
    }
    let keys: Vec<String> = distinct.iter().map(|s| cache.key(s)).collect();
    let mut translated = 0;
    let t = Instant::now();
    for batch in batch::length_sorted_batches(&distinct, opts.batch_size, opts.max_batch_tokens) {
        let todo: Vec<usize> = batch
            .into_iter()
            .filter(|&i| cache.get(&keys[i]).is_none())
            .collect();
        if todo.is_empty() {
            continue;
        }
        let sources: Vec<String> = todo.iter().map(|&i| distinct[i].clone()).collect();
        let outputs = engine.translate(&sources)?;
        if outputs.len() != sources.len() {
            anyhow::bail!(
                "the engine returned {} translations for {} sentences",
                outputs.len(),
                sources.len()
            );
        }
        translated += todo.len();
        cache.insert_batch(todo.iter().map(|&i| keys[i].clone()).collect(), outputs)?;
    }
    timings.translate_s += t.elapsed().as_secs_f64();

    let t = Instant::now();
    for mut article in chunk {
        if let Prepared::Translate { paragraphs } = &article.prepared {
            let translation = |s: &String| -> anyhow::Result<String> {
                let key = &keys[index[&cache::normalize(s)]];
                cache
                    .get(key)
                    .map(str::to_string)
                    .context("a translation is missing from the cache")
            };
            let mut text = String::new();
            let mut id = 0;
            for paragraph in paragraphs {
                let mut out = Vec::with_capacity(paragraph.len());
                for sentence in paragraph {
                    let tgt = translation(sentence)?;
                    let pair = SentencePair {
                        doc: article.rel.clone(),
                        src_lang: from,
                        tgt_lang: to,
                        src: sentence.clone(),
                        tgt: tgt.clone(),
                        src_ids: vec![id],
                        tgt_ids: vec![id],
                        score: None,
                    };
                    for writer in writers.iter_mut() {
                        writer.write(&pair)?;
                    }
                    out.push(tgt);
                    id += 1;
                }
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&out.join(if to == Lang::Zh { "" } else { " " }));
                text.push('\n');
            }
            let rel_out = translated_path(&article.rel);
            let path = opts.output.join(&rel_out);
            crate::fsio::write_atomic(&path, text.as_bytes()).with_context(|| path.display().to_string())?;
            article.entry.output = Some(rel_out);
        }
        progress.file_done(article.entry.sentences);
        entries.push(article.entry);
    }
    timings.write_s += t.elapsed().as_secs_f64();
    Ok(translated)
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
