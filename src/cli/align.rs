//! `bitext align`: pair the sentences of two texts (or two folders of texts) into a
//! parallel corpus or a Vecalign-style ladder. The work is [`crate::align::document`]'s;
//! this file parses the flags and writes the output.

use crate::align::calibration::FEATURE_NAMES;
use crate::align::document::{
    align_documents, folder_pairs, read_pair, stem_of, AlignedDocument, EngineLoader, ReadOptions,
    RegroupProgress,
};
use crate::align::filter::Filters;
use crate::align::ladder::to_ladder;
use crate::align::overrides::{SearchSettings, WeightOverrides};
use crate::align::AlignConfig;
use crate::cli::flags::{ComputeArgs, EmbedArgs, EngineArgs, DEFAULT_EMBED_MODEL};
use crate::corpus::{write_corpus, Format};
use crate::eval::align_score;
use crate::model::embed::{load_embedder, CachedEmbedder, SentenceEmbedder};
use crate::model::load_engine;
use crate::pipeline::progress::Progress;
use crate::text::Lang;
use anyhow::{bail, Context};
use std::io::Write;
use std::path::PathBuf;
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
    /// Source text: an article (txt, md, html; cleaned and segmented as `bitext run`
    /// does) or, with --lines, one sentence a line.
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
    /// translation with the source (needs --tgt-trans, `.trans` files or an engine).
    #[arg(long)]
    pub both_ways: bool,
    /// The engine that translates the sides without a translation file (used only when
    /// --engine, --model, --model-dir or --model-file is given).
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Add the cosine of multilingual sentence embeddings (model: --embed-model) to the
    /// bead scores. Sentences and the concatenations merged beads need are embedded.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "", value_name = "MODEL")]
    pub embed: Option<String>,
    /// The embedding model (giving it turns --embed on).
    #[command(flatten)]
    pub embed_model: EmbedArgs,
    /// Folder of the embedding cache (vectors keyed by model fingerprint and text, so
    /// reruns embed nothing twice); default: `embeddings/` in the bitext cache folder.
    #[arg(long)]
    pub embed_cache: Option<PathBuf>,
    /// Device and threads.
    #[command(flatten)]
    pub compute: ComputeArgs,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = OutputFormat::Tsv)]
    pub format: OutputFormat,
    /// Output file (a folder for --format ladder with --src-dir); standard output when omitted.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Search settings.
    #[command(flatten)]
    pub search: SearchSettings,
    /// Score weights and bead costs (defaults tuned on mac-dev).
    #[command(flatten)]
    pub weights: Box<WeightOverrides>,
    /// Filters of the corpus output.
    #[command(flatten)]
    pub filters: Filters,
    /// Let the engine (qwen) regroup beads: a sentence at the edge of a bead moves to
    /// the neighbouring bead when the model's log-probability of the two beads' targets
    /// given their sources gains more than NATS (8 when no value is given). Needs
    /// --engine qwen; one forward pass per candidate bead, slow on a CPU.
    #[arg(long, value_name = "NATS", num_args = 0..=1, default_missing_value = "8")]
    pub regroup: Option<f64>,
    /// Also write what the aligner knew about every bead that pairs sentences to FILE
    /// (TSV: document, bead as `[0,1]:[0]`, signals, the score's features, score), for
    /// fitting the scores to your own gold with `scripts/align/calibrate.py`.
    #[arg(long, value_name = "FILE")]
    pub evidence: Option<PathBuf>,
}

/// Runs `bitext align`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.format == OutputFormat::Moses && args.output.is_none() {
        bail!("--format moses writes two files and needs -o STEM");
    }
    if args.format == OutputFormat::Ladder && args.src_dir.is_some() && args.output.is_none() {
        bail!("--format ladder with --src-dir needs -o FOLDER (one STEM.align per pair)");
    }
    if args.tgt_trans.is_some() && !args.both_ways {
        bail!("--tgt-trans is used only with --both-ways");
    }
    if args.regroup.is_some() && !args.engine.requested() {
        bail!("--regroup needs an engine to score beads with: add --engine qwen");
    }
    args.compute.init_thread_pool();
    let read = ReadOptions {
        lines: args.lines,
        src_lang: args.src_lang,
        tgt_lang: args.tgt_lang,
        both_ways: args.both_ways,
    };
    let (pairs, errors) = match (&args.src, &args.tgt, &args.src_dir, &args.tgt_dir) {
        (Some(src), Some(tgt), _, _) => {
            let trans = (args.src_trans.as_deref(), args.tgt_trans.as_deref());
            (
                vec![read_pair(stem_of(src), (src, tgt), trans, &read)?],
                Vec::new(),
            )
        }
        (_, _, Some(a), Some(b)) => folder_pairs(a, b, &read)?,
        _ => bail!("give SRC and TGT, or --src-dir and --tgt-dir"),
    };
    let mut failed = errors.len();
    errors.iter().for_each(|e| eprintln!("bitext: {e}"));
    if pairs.is_empty() && failed > 0 {
        bail!("no document pair could be read");
    }
    let embedder = load_cached_embedder(&args)?;
    let mut config = args.search.config();
    if let Some(e) = &embedder {
        config = config.for_embedder(&e.fingerprint());
    }
    let config = AlignConfig {
        regroup: args.regroup,
        ..args.weights.apply_to(config)
    };
    let mut load = |from: Lang, to: Lang| load_engine(&args.engine.options(&args.compute, from, to));
    let engine: Option<&mut EngineLoader> = if args.engine.requested() {
        Some(&mut load)
    } else {
        None
    };
    let embed = embedder.as_ref().map(|e| e as &dyn SentenceEmbedder);
    // Regrouping can take an hour: a bar counts the beads the engine scores.
    let progress = config.regroup.map(|_| {
        let sentences = pairs.iter().map(|p| p.sentences() as u64).sum();
        Progress::counting("beads scored", pairs.len(), sentences)
    });
    let regrouping = progress.as_ref().map(|p| p as &dyn RegroupProgress);
    let aligned = align_documents(pairs, engine, embed, &config, args.both_ways, regrouping)?;
    progress.iter().for_each(Progress::finish);
    let mut done = Vec::new();
    for result in aligned {
        match result {
            Ok(a) => done.push(a),
            Err(e) => {
                eprintln!("bitext: {e:#}");
                failed += 1;
            }
        }
    }
    done.iter().for_each(|a| tracing::info!("{}", a.summary()));
    if let Some(e) = &embedder {
        let (stats, dir) = (e.stats(), e.dir().display());
        tracing::info!(
            "embeddings: {} texts from the cache, {} embedded (cache {dir})",
            stats.hits,
            stats.embedded
        );
    }
    write_output(&args, &done)?;
    if let Some(path) = &args.evidence {
        crate::fsio::write_atomic(path, evidence_table(&done).as_bytes())
            .with_context(|| path.display().to_string())?;
    }
    Ok(super::exit_code(failed))
}

/// The embedding model behind its on-disk cache, or `None` without --embed or --embed-model.
fn load_cached_embedder(args: &Args) -> anyhow::Result<Option<CachedEmbedder>> {
    let legacy = args.embed.as_deref().filter(|m| !m.is_empty());
    let spec = match (&args.embed_model.embed_model, legacy, &args.embed) {
        (Some(model), _, _) => model.as_str(),
        (None, Some(model), _) => model,
        (None, None, Some(_)) => DEFAULT_EMBED_MODEL,
        (None, None, None) => return Ok(None),
    };
    let model = load_embedder(spec, &args.compute.device.open()?)?;
    let dir = args
        .embed_cache
        .clone()
        .unwrap_or_else(|| crate::model::cache_dir().join("embeddings"));
    let cached = CachedEmbedder::open(model, &dir)?;
    tracing::info!("embedding with {spec} ({})", cached.fingerprint());
    Ok(Some(cached))
}

fn write_output(args: &Args, done: &[AlignedDocument]) -> anyhow::Result<()> {
    let format = match args.format {
        OutputFormat::Ladder => return write_ladders(args, done),
        OutputFormat::Tsv => Format::Tsv,
        OutputFormat::Jsonl => Format::Jsonl,
        OutputFormat::Tmx => Format::Tmx,
        OutputFormat::Moses => Format::Moses,
    };
    let (pairs, rejected) = args.filters.apply(done);
    if !rejected.is_empty() {
        let parts: Vec<String> = rejected
            .iter()
            .map(|(r, n)| format!("{n} {}", r.describe()))
            .collect();
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
            std::io::stdout().lock().write_all(&std::fs::read(&path)?)?;
            Ok(())
        }
    }
}

/// The `--evidence` table: a header, then one line per bead that pairs sentences.
fn evidence_table(done: &[AlignedDocument]) -> String {
    let mut out = format!("doc\tbead\tsignals\t{}\tscore\n", FEATURE_NAMES.join("\t"));
    for a in done {
        let alignment = &a.alignment;
        for (bead, evidence) in alignment.beads.iter().zip(&alignment.evidence) {
            let Some(evidence) = evidence else { continue };
            let features: Vec<String> = evidence.features().iter().map(|x| format!("{x:.6}")).collect();
            out += &format!(
                "{}\t{}\t{}\t{}\t{:.6}\n",
                a.pair.doc,
                align_score::Bead::from(bead),
                alignment.signals.name(),
                features.join("\t"),
                bead.score
            );
        }
    }
    out
}

fn write_ladders(args: &Args, done: &[AlignedDocument]) -> anyhow::Result<()> {
    let write = |path: &PathBuf, text: String| {
        crate::fsio::write_atomic(path, text.as_bytes()).with_context(|| path.display().to_string())
    };
    match (&args.output, args.src_dir.is_some()) {
        (Some(dir), true) => done.iter().try_for_each(|a| {
            write(
                &dir.join(format!("{}.align", a.pair.doc)),
                to_ladder(&a.alignment.beads),
            )
        }),
        (Some(path), false) => write(path, done.iter().map(|a| to_ladder(&a.alignment.beads)).collect()),
        (None, _) => {
            let text: String = done.iter().map(|a| to_ladder(&a.alignment.beads)).collect();
            std::io::stdout().lock().write_all(text.as_bytes())?;
            Ok(())
        }
    }
}
