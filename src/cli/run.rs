//! `bitext run`: the batch pipeline over a folder of articles.

use crate::cli::flags::{ComputeArgs, EngineArgs};
use crate::corpus::Format;
use crate::model::embed::quality::DEFAULT_SCORER;
use crate::model::embed::{load_embedder, SentenceEmbedder};
use crate::model::load_engine;
use crate::pipeline::{self, manifest::Status, RunOptions, Shard};
use crate::text::Lang;
use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `bitext run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder of articles (.txt, .md, .html, .htm), read recursively; or one article.
    pub input: PathBuf,

    /// Output folder: translated/, corpus.* and manifest.json go here. Running the same
    /// command again resumes an interrupted run (finished work comes from the cache).
    #[arg(long, short)]
    pub output: PathBuf,

    /// Target language; articles already in it are skipped and reported.
    #[arg(long, default_value = "zh")]
    pub to: Lang,

    /// Only process articles whose path relative to INPUT matches this glob
    /// (e.g. 'en/**/*.txt'); repeat for several.
    #[arg(long = "glob", value_name = "GLOB")]
    pub globs: Vec<String>,

    /// Corpus formats to write, comma-separated (tsv, jsonl, tmx, moses).
    /// `bitext merge` needs jsonl.
    #[arg(
        long,
        alias = "format",
        value_enum,
        value_delimiter = ',',
        default_value = "tsv,jsonl,tmx,moses"
    )]
    pub formats: Vec<Format>,

    /// Process only share K of N (0 <= K < N) of the files, chosen by a hash of their
    /// path: run N copies (Slurm array, Kubernetes indexed job), then `bitext merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,

    /// Align each article with its existing translation of the same stem (same
    /// relative folder, any article extension) in this folder, instead of pairing it
    /// with the machine translation; the engine's translation guides the aligner.
    /// Pairs then carry the aligner's score; no translated/ folder is written.
    #[arg(long, value_name = "DIR")]
    pub pair_dir: Option<PathBuf>,

    /// Ignore the translation cache and translate everything again.
    #[arg(long)]
    pub force: bool,

    /// Sentences gathered from consecutive files before batching; more shares batches
    /// better across small files but holds more in memory.
    #[arg(long, default_value_t = 20_000)]
    pub chunk_sentences: usize,

    /// Score every translated pair with this multilingual embedding model (cosine of
    /// source and translation; a translation the engine rejected scores 0). Default:
    /// e5-small when it can be loaded (a warning says when it cannot).
    #[arg(long, value_name = "MODEL", conflicts_with = "no_score")]
    pub score_model: Option<String>,

    /// Do not score the translated pairs.
    #[arg(long)]
    pub no_score: bool,

    /// Leave pairs scored below this out of the corpus (pairs without a score count as
    /// 0); the manifest counts the pairs under it (default 0.86 for e5-small).
    #[arg(long)]
    pub min_score: Option<f64>,
    /// Write report.html in the output folder at the end (see `bitext report`).
    #[arg(long)]
    pub report: bool,

    /// Engine, model and decoding settings.
    #[command(flatten)]
    pub engine: EngineArgs,

    /// Device and threads.
    #[command(flatten)]
    pub compute: ComputeArgs,
}

/// The pair scorer `bitext run` uses. Each article's pairs are embedded in one call of
/// their own and nothing is cached, so that a pair's score does not depend on which other
/// texts shared its batch: sharded, resumed and whole runs write the same digits.
fn load_scorer(args: &Args) -> anyhow::Result<Option<Box<dyn SentenceEmbedder>>> {
    if args.no_score || args.pair_dir.is_some() {
        return Ok(None);
    }
    let name = args.score_model.as_deref().unwrap_or(DEFAULT_SCORER);
    let loaded = args
        .compute
        .device
        .open()
        .and_then(|device| load_embedder(name, &device));
    match (loaded, &args.score_model) {
        (Ok(e), _) => Ok(Some(e)),
        (Err(e), Some(_)) => Err(e.context("cannot load the --score-model")),
        (Err(e), None) => {
            tracing::warn!(
                "pairs are not scored: {e:#}; pass --score-model MODEL, or --no-score to silence this"
            );
            Ok(None)
        }
    }
}

/// Runs `bitext run`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    std::fs::metadata(&args.input).with_context(|| args.input.display().to_string())?;
    if let Some(dir) = &args.pair_dir {
        if !dir.is_dir() {
            anyhow::bail!("{}: --pair-dir is not a folder", dir.display());
        }
    }
    if args.report && !args.formats.contains(&Format::Jsonl) {
        anyhow::bail!("--report reads corpus.jsonl: add jsonl to --formats");
    }
    let engine_opts = args.engine.options(&args.compute, args.to.other(), args.to);
    // Load the model first: a missing model must fail before any output is touched.
    let mut engine = load_engine(&engine_opts).context("cannot load the translation model")?;
    let scorer = load_scorer(&args)?;

    let opts = RunOptions {
        input: args.input,
        output: args.output,
        engine_kind: format!("{:?}", args.engine.kind()).to_lowercase(),
        globs: args.globs,
        formats: args.formats,
        shard: args.shard,
        force: args.force,
        batch_size: engine_opts.batch_size,
        max_batch_tokens: engine_opts.max_batch_tokens,
        chunk_sentences: args.chunk_sentences,
        progress: true,
        pair_dir: args.pair_dir,
        min_score: args.min_score,
    };
    let manifest = pipeline::run(&opts, engine.as_mut(), scorer.as_deref())?;
    let t = &manifest.totals;
    tracing::info!(
        "{} files: {} translated ({} sentences, {} pairs, {} new to the engine), {} skipped, {} failed in {:.1} s; see {}",
        t.files,
        t.translated,
        t.sentences,
        t.pairs,
        t.engine_sentences,
        t.skipped,
        t.failed,
        manifest.timings.total_s,
        opts.output.join(pipeline::MANIFEST).display()
    );
    if t.flagged > 0 {
        tracing::warn!(
            "{} translations failed the engine's checks (wrong language, copy of the source, cut off, a number lost or made up, a stutter); \
             they are kept with score 0: drop them with `bitext convert --min-score 0.5` or the corpus filters",
            t.flagged
        );
    }
    if let Some(q) = &manifest.quality {
        tracing::info!(
            "pair scores: mean {:.3}, quartiles {:.3} {:.3} {:.3}; {} of {} under {}",
            q.mean,
            q.quartiles[0],
            q.quartiles[1],
            q.quartiles[2],
            q.below,
            q.pairs,
            q.threshold
        );
    }
    if t.code_mixed > 0 {
        tracing::info!(
            "code-mixing: {} of {} Chinese sentences keep a lowercase English word ({:.1}%)",
            t.code_mixed,
            t.sentences,
            100.0 * t.code_mixing_rate
        );
    }
    for file in manifest.files.iter().filter(|f| f.status == Status::Skipped) {
        tracing::info!("skipped {}: {}", file.path, file.reason.as_deref().unwrap_or(""));
    }
    if args.report {
        let path = crate::report::write(&opts.output, &crate::report::ReportOptions::default())?;
        tracing::info!("wrote {}", path.display());
    }
    Ok(super::exit_code(t.failed))
}
