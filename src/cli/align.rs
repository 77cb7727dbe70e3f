//! `bitext align`: pair the sentences of two texts (or two folders of texts) into a
//! parallel corpus or a Vecalign-style ladder.

use crate::align::filter::{Filters, Rejection};
use crate::align::ladder::to_ladder;
use crate::align::{align, align_embedded, AlignConfig, Alignment, Side, Weights};
use crate::corpus::{write_corpus, Format, SentencePair};
use crate::model::embed::{load_embedder, CachedEmbedder, SentenceEmbedder};
use crate::text::{detect::detect, read::read_document, segment::split_sentences, Lang};
use crate::model::load_engine;
use crate::translate::{DeviceKind, EngineKind, EngineOptions};
use anyhow::{bail, Context};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Output formats of `bitext align`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Vecalign ladder lines, `[0,1]:[0]`, every bead including 1-0 and 0-1.
    Ladder,
    /// `src<TAB>tgt<TAB>score` lines.
    Tsv,
    /// One JSON object per pair.
    Jsonl,
    /// TMX 1.4b.
    Tmx,
    /// Two line-aligned files `OUT.en` and `OUT.zh` (needs `-o`).
    Moses,
}

/// Arguments of `bitext align`.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("pair").args(["src", "src_dir"]).required(true))]
pub struct Args {
    /// Source text: an article (txt, md, html) or, with --lines, one sentence a line.
    #[arg(requires = "tgt")]
    pub src: Option<PathBuf>,
    /// Target text, the translation of SRC.
    #[arg(conflicts_with = "src_dir")]
    pub tgt: Option<PathBuf>,
    /// Folder of source texts; each is paired with the file of the same stem in --tgt-dir.
    /// A file `X.trans` next to `X` is read as its line-by-line translation.
    #[arg(long, requires = "tgt_dir", conflicts_with = "src")]
    pub src_dir: Option<PathBuf>,
    /// Folder of target texts (see --src-dir).
    #[arg(long, requires = "src_dir")]
    pub tgt_dir: Option<PathBuf>,
    /// Inputs hold one sentence per line (no segmentation); ladder indices are line numbers.
    #[arg(long)]
    pub lines: bool,
    /// Language of the source side (detected from its script when omitted).
    #[arg(long)]
    pub src_lang: Option<Lang>,
    /// Language of the target side (detected from its script when omitted).
    #[arg(long)]
    pub tgt_lang: Option<Lang>,
    /// Machine translation of the source side into the target language, one line per
    /// source sentence (with --lines: one per source line).
    #[arg(long, conflicts_with = "src_dir")]
    pub src_trans: Option<PathBuf>,
    /// Machine translation of the target side into the source language (see --both-ways).
    #[arg(long, conflicts_with = "src_dir")]
    pub tgt_trans: Option<PathBuf>,
    /// Compare both ways: the source's translation with the target and the target's
    /// translation with the source (needs --tgt-trans, `.trans` files or --engine).
    #[arg(long)]
    pub both_ways: bool,
    /// Translate the sides that have no translation file with this local engine.
    #[arg(long, value_enum)]
    pub engine: Option<EngineKind>,
    /// Model for --engine (a name from models/*.toml or a hub repo id).
    #[arg(long, requires = "engine")]
    pub model: Option<String>,
    /// Add the cosine of multilingual sentence embeddings to the bead scores, with this
    /// model (`--embed` alone: e5-small; or `--embed=labse`, a model directory or an
    /// E5S1 file). Sentences and the concatenations merged beads need are embedded.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "e5-small")]
    pub embed: Option<String>,
    /// Folder of the embedding cache (vectors keyed by model fingerprint and text, so
    /// reruns embed nothing twice); default: `embeddings/` in the bitext cache folder.
    #[arg(long, requires = "embed")]
    pub embed_cache: Option<PathBuf>,
    /// Longest block of sentences embedded as one text; longer blocks add their
    /// sentences' vectors. Bertalign embeds up to --max-bead minus 1; 4 embeds 1.7 times
    /// the text of 3 (the cost grows with the square of the span).
    #[arg(long, requires = "embed", default_value_t = AlignConfig::default().embed_span)]
    pub embed_span: usize,
    /// Where the embedding model runs.
    #[arg(long, value_enum, default_value_t = DeviceKind::Cpu)]
    pub device: DeviceKind,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = OutputFormat::Tsv)]
    pub format: OutputFormat,
    /// Output file (a folder for --format ladder with --src-dir); standard output when omitted.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Most sentences in one bead, both sides together (5 allows 1-4 and 4-1).
    #[arg(long, default_value_t = 5)]
    pub max_bead: usize,
    /// Least half-width of the first-pass band, in sentences.
    #[arg(long, default_value_t = AlignConfig::default().band)]
    pub band: usize,
    /// Sentences the second-pass window reaches beyond the anchors.
    #[arg(long, default_value_t = AlignConfig::default().margin)]
    pub margin: usize,
    /// Score weights and bead costs (defaults tuned on mac-dev).
    #[command(flatten)]
    pub weights: Box<WeightFlags>,
    /// Corpus output: drop pairs scored below this.
    #[arg(long)]
    pub min_score: Option<f64>,
    /// Corpus output: drop pairs whose length ratio, relative to their document's, is
    /// above this or below its inverse (e.g. 2).
    #[arg(long)]
    pub max_length_ratio: Option<f64>,
    /// Corpus output: drop pairs whose Chinese side is not mostly Han or whose English
    /// side is not mostly Latin.
    #[arg(long)]
    pub script_check: bool,
    /// Corpus output: drop exact duplicate pairs.
    #[arg(long)]
    pub dedup: bool,
}

/// Flags that override the tuned score weights and bead costs, whichever set applies
/// (model-free, MT, embeddings, or all combined).
#[derive(Debug, clap::Args)]
pub struct WeightFlags {
    /// Weight of the Gale-Church length log-probability.
    #[arg(long)]
    pub length_weight: Option<f64>,
    /// Weight of the lexical (translation) cosine.
    #[arg(long)]
    pub lexical_weight: Option<f64>,
    /// Weight of the chrF-like character n-gram overlap F-score between translation and
    /// target (0 turns it off).
    #[arg(long)]
    pub overlap_weight: Option<f64>,
    /// Share of the neighbouring beads' mean lexical cosine subtracted from a bead's
    /// own (a Bertalign-style margin; 0 turns it off).
    #[arg(long)]
    pub neighbour_weight: Option<f64>,
    /// Weight of the anchor agreement (numbers, Latin names, quotes, question marks).
    #[arg(long)]
    pub anchor_weight: Option<f64>,
    /// Weight of the embedding cosine (with --embed).
    #[arg(long)]
    pub embedding_weight: Option<f64>,
    /// Share of the mean embedding cosine with the sentences around a bead subtracted
    /// from its own (Bertalign's margin; with --embed).
    #[arg(long)]
    pub embed_margin: Option<f64>,
    /// How much Bertalign's length penalty, log2(1 + short/long), scales the embedding
    /// score (0: not at all, 1: fully; with --embed).
    #[arg(long)]
    pub embed_length_penalty: Option<f64>,
    /// Cost of leaving a sentence unaligned (down to half of it in close translations,
    /// where the first pass anchors nearly every sentence).
    #[arg(long, allow_negative_numbers = true)]
    pub skip_cost: Option<f64>,
    /// Cost of every bead that pairs sentences (negative favours merged beads).
    #[arg(long, allow_negative_numbers = true)]
    pub bead_cost: Option<f64>,
    /// Cost of a bead that opens with a sentence without letters or digits (a stray
    /// quote mark split off by the segmenter belongs to the sentence before it).
    #[arg(long, allow_negative_numbers = true)]
    pub fragment_cost: Option<f64>,
    /// Cost of every sentence beyond the second in a bead.
    #[arg(long, allow_negative_numbers = true)]
    pub merge_cost: Option<f64>,
    /// Extra cost of beads with several sentences on both sides (2-2, 2-3, 3-2).
    #[arg(long, allow_negative_numbers = true)]
    pub crossing_cost: Option<f64>,
    /// Gale-Church variance s² of the length model.
    #[arg(long)]
    pub variance: Option<f64>,
}

/// One side of a document pair, read and segmented.
struct Text {
    path: PathBuf,
    lang: Lang,
    sentences: Vec<String>,
    translation: Option<Vec<String>>,
}

/// A document pair ready to align.
struct Job {
    doc: String,
    src: Text,
    tgt: Text,
}

/// The outcome of aligning one document pair.
struct Aligned {
    job: Job,
    alignment: Alignment,
    ratio: f64,
}

/// Runs `bitext align`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.format == OutputFormat::Moses && args.output.is_none() {
        bail!("--format moses writes two files and needs -o STEM");
    }
    if args.format == OutputFormat::Ladder && args.src_dir.is_some() && args.output.is_none() {
        bail!("--format ladder with --src-dir needs -o FOLDER (one STEM.align per pair)");
    }
    let config = config(&args);
    let (jobs, mut failed) = match (&args.src, &args.tgt, &args.src_dir, &args.tgt_dir) {
        (Some(src), Some(tgt), _, _) => (vec![single_job(&args, src, tgt)?], 0),
        (_, _, Some(a), Some(b)) => folder_jobs(&args, a, b)?,
        _ => bail!("give SRC and TGT, or --src-dir and --tgt-dir"),
    };
    let jobs = translate_missing(&args, jobs)?;
    let embedder = load_cached_embedder(&args)?;
    let results: Vec<Result<Aligned, String>> = jobs
        .into_par_iter()
        .map(|job| {
            let src = side(&job.src);
            let tgt = side(&job.tgt);
            let aligned = match &embedder {
                Some(e) => align_embedded(&src, &tgt, &config, e),
                None => align(&src, &tgt, &config),
            };
            match aligned {
                Ok(alignment) => {
                    let ratio = length_ratio(&job);
                    Ok(Aligned {
                        job,
                        alignment,
                        ratio,
                    })
                }
                Err(e) => Err(format!("bitext: {}: {e}", job.src.path.display())),
            }
        })
        .collect();
    let mut done = Vec::new();
    for r in results {
        match r {
            Ok(a) => done.push(a),
            Err(e) => {
                eprintln!("{e}");
                failed += 1;
            }
        }
    }
    for a in &done {
        tracing::info!(
            "{}: {} beads ({} anchors), {} source and {} target sentences unaligned",
            a.job.doc,
            a.alignment.beads.len(),
            a.alignment.anchors,
            a.alignment.unaligned_src(),
            a.alignment.unaligned_tgt(),
        );
    }
    if let Some(e) = &embedder {
        let stats = e.stats();
        tracing::info!(
            "embeddings: {} texts from the cache, {} embedded (cache {})",
            stats.hits,
            stats.embedded,
            e.dir().display()
        );
    }
    write_output(&args, &done)?;
    Ok(super::exit_code(failed))
}

/// The `--embed` model behind its on-disk cache, or `None` without `--embed`.
fn load_cached_embedder(args: &Args) -> anyhow::Result<Option<CachedEmbedder>> {
    let Some(spec) = &args.embed else {
        return Ok(None);
    };
    let device = args.device.open()?;
    let model = load_embedder(spec, &device)?;
    let dir = args
        .embed_cache
        .clone()
        .unwrap_or_else(|| crate::model::cache_dir().join("embeddings"));
    let cached = CachedEmbedder::open(model, &dir)?;
    tracing::info!("embedding with {spec} ({})", cached.fingerprint());
    Ok(Some(cached))
}

/// The tuned weights (with and without a translation), with the flags given applied.
fn config(args: &Args) -> AlignConfig {
    let flags = &args.weights;
    let apply = |mut w: Weights| {
        let set = |field: &mut f64, flag: Option<f64>| *field = flag.unwrap_or(*field);
        set(&mut w.length, flags.length_weight);
        set(&mut w.lexical, flags.lexical_weight);
        set(&mut w.overlap, flags.overlap_weight);
        set(&mut w.neighbours, flags.neighbour_weight);
        set(&mut w.anchors, flags.anchor_weight);
        set(&mut w.embedding, flags.embedding_weight);
        set(&mut w.embed_margin, flags.embed_margin);
        set(&mut w.embed_length_penalty, flags.embed_length_penalty);
        set(&mut w.skip, flags.skip_cost);
        set(&mut w.bead, flags.bead_cost);
        set(&mut w.fragment, flags.fragment_cost);
        set(&mut w.merge, flags.merge_cost);
        set(&mut w.crossing, flags.crossing_cost);
        set(&mut w.variance, flags.variance);
        w
    };
    let defaults = AlignConfig::default();
    AlignConfig {
        max_bead: args.max_bead,
        band: args.band,
        margin: args.margin,
        weights: apply(defaults.weights.clone()),
        model_free: apply(defaults.model_free.clone()),
        embedded: apply(defaults.embedded.clone()),
        combined: apply(defaults.combined.clone()),
        embed_span: args.embed_span,
        ..defaults
    }
}

fn side(text: &Text) -> Side<'_> {
    Side {
        sentences: &text.sentences,
        lang: text.lang,
        translation: text.translation.as_deref(),
    }
}

/// Target characters per source character over the whole document pair.
fn length_ratio(job: &Job) -> f64 {
    let count = |t: &Text| -> usize {
        t.sentences
            .iter()
            .map(|s| crate::align::length::char_len(s))
            .sum()
    };
    let (s, t) = (count(&job.src), count(&job.tgt));
    if s == 0 || t == 0 {
        1.0
    } else {
        t as f64 / s as f64
    }
}

/// Reads a text as sentences in `lang` (detected when `None`).
fn read_text(path: &Path, lines: bool, lang: Option<Lang>) -> anyhow::Result<(Lang, Vec<String>)> {
    let raw: Vec<String> = if lines {
        let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
        text.lines().map(|l| l.trim().to_string()).collect()
    } else {
        let doc = read_document(path)?;
        doc.title.into_iter().chain(doc.paragraphs).collect()
    };
    let lang = match lang {
        Some(l) => l,
        None => detect(&raw.join("\n")).with_context(|| {
            format!(
                "{}: cannot tell the language (no Latin or Han letters); pass --src-lang/--tgt-lang",
                path.display()
            )
        })?,
    };
    let sentences = if lines {
        raw
    } else {
        raw.iter().flat_map(|p| split_sentences(p, lang)).collect()
    };
    if sentences.is_empty() {
        tracing::warn!(
            "{}: no sentences; every sentence of the other side stays unaligned",
            path.display()
        );
    }
    Ok((lang, sentences))
}

/// Reads a translation file: one line per sentence.
fn read_translation(path: &Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    Ok(text.lines().map(|l| l.trim().to_string()).collect())
}

fn load_pair(
    args: &Args,
    doc: String,
    src: &Path,
    tgt: &Path,
    src_trans: Option<&Path>,
    tgt_trans: Option<&Path>,
) -> anyhow::Result<Job> {
    let (src_lang, src_sents) = read_text(src, args.lines, args.src_lang)?;
    let (tgt_lang, tgt_sents) = read_text(tgt, args.lines, args.tgt_lang)?;
    let explicit = args.src_lang.is_some() && args.tgt_lang.is_some();
    if src_lang == tgt_lang && !explicit && !(src_sents.is_empty() || tgt_sents.is_empty()) {
        bail!(
            "{}: both sides are {src_lang}; give an en/zh pair, or pass --src-lang and \
             --tgt-lang to align two texts in one language",
            tgt.display()
        );
    }
    let trans = |p: Option<&Path>, want: usize| -> anyhow::Result<Option<Vec<String>>> {
        let Some(p) = p else { return Ok(None) };
        let t = read_translation(p)?;
        if t.len() != want {
            bail!("{}: {} lines for {want} sentences", p.display(), t.len());
        }
        Ok(Some(t))
    };
    let src_translation = trans(src_trans, src_sents.len())?;
    let tgt_translation = if args.both_ways {
        trans(tgt_trans, tgt_sents.len())?
    } else {
        None
    };
    Ok(Job {
        doc,
        src: Text {
            path: src.to_path_buf(),
            lang: src_lang,
            sentences: src_sents,
            translation: src_translation,
        },
        tgt: Text {
            path: tgt.to_path_buf(),
            lang: tgt_lang,
            sentences: tgt_sents,
            translation: tgt_translation,
        },
    })
}

fn single_job(args: &Args, src: &Path, tgt: &Path) -> anyhow::Result<Job> {
    if args.tgt_trans.is_some() && !args.both_ways {
        bail!("--tgt-trans is used only with --both-ways");
    }
    let doc = src
        .file_stem()
        .map_or_else(|| src.display().to_string(), |s| s.to_string_lossy().into_owned());
    load_pair(
        args,
        doc,
        src,
        tgt,
        args.src_trans.as_deref(),
        args.tgt_trans.as_deref(),
    )
}

/// Texts in a folder by stem, `.trans` files excluded.
fn by_stem(dir: &Path) -> anyhow::Result<BTreeMap<String, PathBuf>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).with_context(|| dir.display().to_string())? {
        let path = entry.with_context(|| dir.display().to_string())?.path();
        if !path.is_file() || path.extension().is_some_and(|e| e == "trans") {
            continue;
        }
        if let Some(stem) = path.file_stem() {
            out.insert(stem.to_string_lossy().into_owned(), path);
        }
    }
    Ok(out)
}

/// `X.trans` next to `X`, when present.
fn translation_of(path: &Path) -> Option<PathBuf> {
    let mut name = path.as_os_str().to_owned();
    name.push(".trans");
    let p = PathBuf::from(name);
    p.is_file().then_some(p)
}

fn folder_jobs(args: &Args, src_dir: &Path, tgt_dir: &Path) -> anyhow::Result<(Vec<Job>, usize)> {
    let src = by_stem(src_dir)?;
    let tgt = by_stem(tgt_dir)?;
    let mut failed = 0;
    for (stem, path) in src.iter().filter(|(s, _)| !tgt.contains_key(*s)) {
        eprintln!(
            "bitext: {}: no file with stem {stem:?} in {}",
            path.display(),
            tgt_dir.display()
        );
        failed += 1;
    }
    for (stem, path) in tgt.iter().filter(|(s, _)| !src.contains_key(*s)) {
        eprintln!(
            "bitext: {}: no file with stem {stem:?} in {}",
            path.display(),
            src_dir.display()
        );
        failed += 1;
    }
    let pairs: Vec<(&String, &PathBuf, &PathBuf)> = src
        .iter()
        .filter_map(|(stem, s)| tgt.get(stem).map(|t| (stem, s, t)))
        .collect();
    let loaded: Vec<anyhow::Result<Job>> = pairs
        .par_iter()
        .map(|(stem, s, t)| {
            let st = translation_of(s);
            let tt = translation_of(t);
            load_pair(args, (*stem).clone(), s, t, st.as_deref(), tt.as_deref())
        })
        .collect();
    let mut jobs = Vec::new();
    for r in loaded {
        match r {
            Ok(j) => jobs.push(j),
            Err(e) => {
                eprintln!("bitext: {e:#}");
                failed += 1;
            }
        }
    }
    if jobs.is_empty() && failed > 0 {
        bail!("no document pair could be read");
    }
    Ok((jobs, failed))
}

/// Fills in missing translations with `--engine`, one engine per direction.
fn translate_missing(args: &Args, mut jobs: Vec<Job>) -> anyhow::Result<Vec<Job>> {
    let Some(kind) = args.engine else {
        return Ok(jobs);
    };
    let mut engines: HashMap<(Lang, Lang), Box<dyn crate::translate::Engine>> = HashMap::new();
    for job in &mut jobs {
        let (src_lang, tgt_lang) = (job.src.lang, job.tgt.lang);
        if src_lang == tgt_lang {
            continue;
        }
        let mut sides = vec![(&mut job.src, tgt_lang)];
        if args.both_ways {
            sides.push((&mut job.tgt, src_lang));
        }
        for (text, to) in sides {
            if text.translation.is_some() || text.sentences.is_empty() {
                continue;
            }
            let from = text.lang;
            let engine = match engines.entry((from, to)) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    let mut opts = EngineOptions::new(kind, from, to);
                    opts.model = args.model.clone();
                    v.insert(load_engine(&opts)?)
                }
            };
            let out = engine
                .translate(&text.sentences)
                .with_context(|| format!("translating {}", text.path.display()))?;
            text.translation = Some(out);
        }
    }
    Ok(jobs)
}

/// Corpus pairs of one aligned document (beads with both sides non-empty).
fn pairs_of(a: &Aligned) -> Vec<SentencePair> {
    let join = |sents: &[String], r: std::ops::Range<usize>| sents[r].join(" ");
    a.alignment
        .beads
        .iter()
        .filter(|b| !b.src.is_empty() && !b.tgt.is_empty())
        .map(|b| SentencePair {
            doc: a.job.doc.clone(),
            src_lang: a.job.src.lang,
            tgt_lang: a.job.tgt.lang,
            src: join(&a.job.src.sentences, b.src.clone()),
            tgt: join(&a.job.tgt.sentences, b.tgt.clone()),
            src_ids: b.src.clone().collect(),
            tgt_ids: b.tgt.clone().collect(),
            score: Some(b.score),
        })
        .collect()
}

fn write_output(args: &Args, done: &[Aligned]) -> anyhow::Result<()> {
    let format = match args.format {
        OutputFormat::Ladder => return write_ladders(args, done),
        OutputFormat::Tsv => Format::Tsv,
        OutputFormat::Jsonl => Format::Jsonl,
        OutputFormat::Tmx => Format::Tmx,
        OutputFormat::Moses => Format::Moses,
    };
    let filters = Filters {
        min_score: args.min_score,
        max_length_ratio: args.max_length_ratio,
        script_check: args.script_check,
        dedup: args.dedup,
    };
    let mut pairs = Vec::new();
    let mut rejected: BTreeMap<String, usize> = BTreeMap::new();
    for a in done {
        for p in pairs_of(a) {
            match filters.check(&p, a.ratio) {
                Ok(()) => pairs.push(p),
                Err(r) => *rejected.entry(rejection_name(r).into()).or_default() += 1,
            }
        }
    }
    let dups = filters.dedup_pairs(&mut pairs);
    if dups > 0 {
        rejected.insert(rejection_name(Rejection::Duplicate).into(), dups);
    }
    if !rejected.is_empty() {
        let parts: Vec<String> = rejected.iter().map(|(k, v)| format!("{v} {k}")).collect();
        tracing::info!("filtered out: {}", parts.join(", "));
    }
    tracing::info!("{} sentence pairs written", pairs.len());
    match &args.output {
        Some(path) => write_corpus(path, format, &pairs).with_context(|| path.display().to_string()),
        None => {
            // The corpus writers write files: write to a temporary one and copy it out.
            let dir = tempfile::tempdir()?;
            let path = dir.path().join("corpus");
            write_corpus(&path, format, &pairs)?;
            let bytes = std::fs::read(&path)?;
            std::io::stdout().lock().write_all(&bytes)?;
            Ok(())
        }
    }
}

fn rejection_name(r: Rejection) -> &'static str {
    match r {
        Rejection::Score => "below --min-score",
        Rejection::LengthRatio => "outside --max-length-ratio",
        Rejection::Script => "failing --script-check",
        Rejection::Duplicate => "duplicates",
    }
}

fn write_ladders(args: &Args, done: &[Aligned]) -> anyhow::Result<()> {
    let folder_mode = args.src_dir.is_some();
    match (&args.output, folder_mode) {
        (Some(dir), true) => {
            for a in done {
                let path = dir.join(format!("{}.align", a.job.doc));
                crate::fsio::write_atomic(&path, to_ladder(&a.alignment.beads).as_bytes())
                    .with_context(|| path.display().to_string())?;
            }
            Ok(())
        }
        (Some(path), false) => {
            let text: String = done.iter().map(|a| to_ladder(&a.alignment.beads)).collect();
            crate::fsio::write_atomic(path, text.as_bytes()).with_context(|| path.display().to_string())
        }
        (None, _) => {
            let text: String = done.iter().map(|a| to_ladder(&a.alignment.beads)).collect();
            std::io::stdout().lock().write_all(text.as_bytes())?;
            Ok(())
        }
    }
}
