//! `bitext eval`: score translations (BLEU, chrF) like sacreBLEU 2.6.0, or sentence
//! alignments (strict/lax precision, recall, F1) like Vecalign's `score.py`.

use crate::eval::align_score::{self, AlignScores, Bead};
use crate::eval::bleu::{Bleu, BleuConfig, Smooth};
use crate::eval::chrf::{sentence_chrf, Chrf, ChrfConfig};
use crate::eval::rank::{catch, kendall_tau_b};
use crate::eval::score::Report;
use crate::eval::tokenize::Tokenizer;
use crate::eval::{pystr, read_lines, LineCountError};
use crate::model::embed::load_embedder;
use crate::model::embed::quality::{pair_scores, DEFAULT_SCORER, DEFAULT_THRESHOLD};
use anyhow::{bail, Context};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `bitext eval`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to score.
    #[command(subcommand)]
    pub metric: Metric,
}

/// The scores `bitext eval` computes.
#[derive(Debug, clap::Subcommand)]
pub enum Metric {
    /// Corpus BLEU, identical to sacreBLEU 2.6.0 (score, n-gram precisions, signature).
    Bleu(BleuArgs),
    /// Corpus chrF (chrF++ with `--word-order 2`), identical to sacreBLEU 2.6.0.
    Chrf(ChrfArgs),
    /// Strict and lax precision, recall and F1 of sentence alignments, as Vecalign's score.py.
    Align(AlignArgs),
    /// The quality score `bitext run` gives each pair (embedding cosine of source and
    /// translation), one per line; with --ref, how well it ranks the lines against
    /// sentence chrF (Kendall tau-b) and what thresholds catch.
    Qe(QeArgs),
}

/// Arguments of `bitext eval qe`.
#[derive(Debug, clap::Args)]
pub struct QeArgs {
    /// Source segments, one per line.
    #[arg(long, value_name = "FILE")]
    pub src: PathBuf,

    /// Their translations, line-aligned with --src.
    #[arg(long, value_name = "FILE")]
    pub hyp: PathBuf,

    /// Reference translations: report Kendall tau-b against sentence chrF and the share of
    /// the worst 10% (by chrF) each threshold catches, instead of printing the scores.
    #[arg(long = "ref", value_name = "FILE")]
    pub reference: Option<PathBuf>,

    /// Embedding model that scores (as `bitext run --score-model`).
    #[arg(long, value_name = "MODEL", default_value = DEFAULT_SCORER)]
    pub score_model: String,

    /// Thresholds to report with --ref, comma-separated (default: the run default and
    /// steps of 0.01 around it).
    #[arg(long, value_delimiter = ',', value_name = "T,...")]
    pub thresholds: Vec<f64>,
}

/// Inputs and output options shared by BLEU and chrF.
#[derive(Debug, clap::Args)]
pub struct TranslationInputs {
    /// Reference translation, one segment per line; repeat for several references.
    #[arg(long = "ref", short = 'r', required = true, value_name = "FILE")]
    pub refs: Vec<PathBuf>,

    /// System output, one segment per line, line-aligned with the references
    /// (standard input when absent).
    #[arg(long, value_name = "FILE")]
    pub hyp: Option<PathBuf>,

    /// Language pair `SRC-TGT` (e.g. `en-zh`); a Chinese target selects the `zh` BLEU tokenizer.
    #[arg(long = "language-pair", short = 'l', value_name = "SRC-TGT")]
    pub langpair: Option<String>,

    /// Lowercase hypotheses and references before scoring.
    #[arg(long)]
    pub lowercase: bool,

    /// Print one score per segment instead of the corpus score (BLEU uses effective order).
    #[arg(long)]
    pub sentence_level: bool,

    /// Print sacreBLEU's JSON object instead of its text line (one compact object per line
    /// with `--sentence-level`).
    #[arg(long)]
    pub json: bool,

    /// Decimals of the printed score (sacreBLEU's `--width`).
    #[arg(long, short = 'w', default_value_t = 1, value_name = "N")]
    pub width: usize,
}

/// Arguments of `bitext eval bleu`.
#[derive(Debug, clap::Args)]
pub struct BleuArgs {
    /// Files and output options.
    #[command(flatten)]
    pub inputs: TranslationInputs,

    /// Tokenizer: `13a` (default), or `zh` when the target language (`-l`) is Chinese.
    #[arg(long, value_enum, value_name = "NAME")]
    pub tokenize: Option<Tokenizer>,

    /// Smoothing for n-gram orders without matches.
    #[arg(
        long,
        alias = "smooth-method",
        value_enum,
        default_value = "exp",
        value_name = "METHOD"
    )]
    pub smooth: Smooth,

    /// Value for `floor` (default 0.1) and `add-k` (default 1) smoothing.
    #[arg(long, value_name = "X")]
    pub smooth_value: Option<f64>,
}

/// Arguments of `bitext eval chrf`.
#[derive(Debug, clap::Args)]
pub struct ChrfArgs {
    /// Files and output options.
    #[command(flatten)]
    pub inputs: TranslationInputs,

    /// Word n-gram order: 0 for chrF, 2 for chrF++.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub word_order: usize,

    /// Character n-gram order.
    #[arg(long, default_value_t = 6, value_name = "N")]
    pub char_order: usize,

    /// Weight of recall relative to precision.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub beta: u32,

    /// Keep whitespace in character n-grams.
    #[arg(long)]
    pub whitespace: bool,

    /// Use chrF++.py's eps smoothing instead of averaging over the orders present.
    #[arg(long)]
    pub eps_smoothing: bool,
}

/// Arguments of `bitext eval align`.
#[derive(Debug, clap::Args)]
pub struct AlignArgs {
    /// Gold alignment: a `[0,1]:[0]` bead file, or a folder of them.
    #[arg(long, value_name = "PATH")]
    pub gold: PathBuf,

    /// Alignment to score: a file, or a folder with a file of the same name for each gold file.
    #[arg(long, value_name = "PATH")]
    pub test: PathBuf,

    /// Print the scores and hit counts as JSON instead of score.py's table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `bitext eval`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.metric {
        Metric::Bleu(args) => run_bleu(args),
        Metric::Chrf(args) => run_chrf(args),
        Metric::Align(args) => run_align(args),
        Metric::Qe(args) => run_qe(args),
    }
}

/// Runs `bitext eval qe`.
fn run_qe(args: QeArgs) -> anyhow::Result<ExitCode> {
    let src = read_lines(&args.src)?;
    let hyp = read_lines(&args.hyp)?;
    if src.len() != hyp.len() {
        bail!(
            "{} has {} lines but {} has {}; they must be line-aligned",
            args.src.display(),
            src.len(),
            args.hyp.display(),
            hyp.len()
        );
    }
    let embedder = load_embedder(&args.score_model, &candle_core::Device::Cpu)?;
    let scores = pair_scores(embedder.as_ref(), &src, &hyp)?;
    let Some(reference) = &args.reference else {
        for score in scores {
            println!("{score:.6}");
        }
        return Ok(ExitCode::SUCCESS);
    };
    let refs = read_lines(reference)?;
    if refs.len() != hyp.len() {
        bail!(
            "{}: {} lines, but {} has {}",
            reference.display(),
            refs.len(),
            args.hyp.display(),
            hyp.len()
        );
    }
    let chrf: Vec<f64> = hyp
        .iter()
        .zip(&refs)
        .map(|(h, r)| sentence_chrf(h, &[r]))
        .collect();
    println!(
        "Kendall tau-b of the {} scores against sentence chrF: {:.4} ({} segments)",
        embedder.fingerprint(),
        kendall_tau_b(&scores, &chrf),
        scores.len()
    );
    let thresholds = if args.thresholds.is_empty() {
        (-3..=3)
            .map(|k| DEFAULT_THRESHOLD + 0.01 * f64::from(k))
            .collect()
    } else {
        args.thresholds
    };
    println!("threshold\tworst 10% caught\tothers dropped");
    for threshold in thresholds {
        let c = catch(&scores, &chrf, 0.1, threshold);
        println!(
            "{threshold:.3}\t{}/{} ({:.1}%)\t{}/{} ({:.1}%)",
            c.caught,
            c.worst,
            100.0 * c.caught as f64 / c.worst.max(1) as f64,
            c.lost,
            c.others,
            100.0 * c.lost as f64 / c.others.max(1) as f64
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Hypotheses and reference streams, read and checked for equal line counts.
struct Corpus {
    hyps: Vec<String>,
    refs: Vec<Vec<String>>,
}

impl Corpus {
    fn read(inputs: &TranslationInputs) -> anyhow::Result<Self> {
        let refs = inputs
            .refs
            .iter()
            .map(|path| read_lines(path))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let (hyps, hyp_name) = match &inputs.hyp {
            Some(path) => (read_lines(path)?, path.display().to_string()),
            None => {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .context("standard input")?;
                (pystr::lines(&text), "standard input".to_string())
            }
        };
        if hyps.is_empty() {
            bail!("{hyp_name}: no lines to score");
        }
        if let Err(LineCountError::Mismatch {
            index,
            refs: n,
            hyps: m,
        }) = LineCountError::check(hyps.len(), &refs)
        {
            bail!(
                "{}: {n} lines, but {hyp_name} has {m}; hypotheses and references must be line-aligned",
                inputs.refs[index].display()
            );
        }
        Ok(Corpus { hyps, refs })
    }

    fn segment_refs(&self, i: usize) -> Vec<&str> {
        self.refs.iter().map(|r| r[i].as_str()).collect()
    }
}

/// The target language of `SRC-TGT`.
fn target_lang(langpair: &str) -> anyhow::Result<&str> {
    match langpair.split_once('-') {
        Some((src, tgt)) if !src.is_empty() && !tgt.is_empty() => Ok(tgt),
        _ => bail!("-l {langpair}: expected a language pair like en-zh"),
    }
}

fn print_report(report: &Report, inputs: &TranslationInputs) {
    if inputs.json {
        println!("{}", report.json(inputs.width));
    } else {
        println!("{}", report.text(inputs.width));
    }
}

fn print_sentence_report(report: &Report, inputs: &TranslationInputs) {
    if inputs.json {
        println!("{}", report.json_line(inputs.width));
    } else {
        println!("{}", report.text(inputs.width));
    }
}

fn run_bleu(args: BleuArgs) -> anyhow::Result<ExitCode> {
    let inputs = &args.inputs;
    let target = inputs.langpair.as_deref().map(target_lang).transpose()?;
    let tokenizer = match (args.tokenize, target) {
        (Some(tok), Some("zh")) if tok != Tokenizer::Zh => {
            tracing::warn!("consider the zh tokenizer for Chinese (sacreBLEU's default)");
            tok
        }
        (Some(tok), _) => tok,
        (None, target) => Tokenizer::default_for(target.unwrap_or("")),
    };
    if args.smooth_value.is_some() && args.smooth.default_value().is_none() {
        bail!("--smooth-value applies to floor and add-k smoothing only");
    }
    let corpus = Corpus::read(inputs)?;
    let bleu = Bleu::new(BleuConfig {
        tokenizer,
        smooth: args.smooth,
        smooth_value: args.smooth_value,
        lowercase: inputs.lowercase,
        effective_order: inputs.sentence_level,
    });
    let nrefs = corpus.refs.len();
    if inputs.sentence_level {
        for (i, hyp) in corpus.hyps.iter().enumerate() {
            let score = bleu.sentence_score(hyp, &corpus.segment_refs(i));
            print_sentence_report(&bleu.report(&score, nrefs), inputs);
        }
    } else {
        let score = bleu.corpus_score(&corpus.hyps, &corpus.refs)?;
        print_report(&bleu.report(&score, nrefs), inputs);
    }
    Ok(ExitCode::SUCCESS)
}

fn run_chrf(args: ChrfArgs) -> anyhow::Result<ExitCode> {
    let inputs = &args.inputs;
    if let Some(langpair) = &inputs.langpair {
        target_lang(langpair)?;
    }
    if args.char_order == 0 {
        bail!("--char-order must be at least 1");
    }
    let corpus = Corpus::read(inputs)?;
    let chrf = Chrf::new(ChrfConfig {
        char_order: args.char_order,
        word_order: args.word_order,
        beta: args.beta,
        lowercase: inputs.lowercase,
        whitespace: args.whitespace,
        eps_smoothing: args.eps_smoothing,
    });
    let nrefs = corpus.refs.len();
    if inputs.sentence_level {
        for (i, hyp) in corpus.hyps.iter().enumerate() {
            let score = chrf.sentence_score(hyp, &corpus.segment_refs(i));
            print_sentence_report(&chrf.report(score, nrefs), inputs);
        }
    } else {
        let score = chrf.corpus_score(&corpus.hyps, &corpus.refs)?;
        print_report(&chrf.report(score, nrefs), inputs);
    }
    Ok(ExitCode::SUCCESS)
}

/// `(gold, test)` file pairs: the two files, or each file of the gold folder with the
/// test file of the same name.
fn alignment_pairs(gold: &Path, test: &Path) -> anyhow::Result<Vec<(PathBuf, PathBuf)>> {
    if !gold.is_dir() {
        if test.is_dir() {
            bail!(
                "{}: --gold is a file, so --test must be a file too",
                test.display()
            );
        }
        return Ok(vec![(gold.to_path_buf(), test.to_path_buf())]);
    }
    if !test.is_dir() {
        bail!(
            "{}: --gold is a folder, so --test must be a folder too",
            test.display()
        );
    }
    let mut pairs = Vec::new();
    for entry in std::fs::read_dir(gold).with_context(|| gold.display().to_string())? {
        let entry = entry.with_context(|| gold.display().to_string())?;
        let name = entry.file_name();
        if entry.path().is_file() && !name.to_string_lossy().starts_with('.') {
            pairs.push((entry.path(), test.join(&name)));
        }
    }
    pairs.sort();
    if pairs.is_empty() {
        bail!("{}: no gold alignment files", gold.display());
    }
    Ok(pairs)
}

fn run_align(args: AlignArgs) -> anyhow::Result<ExitCode> {
    let mut docs: Vec<(Vec<Bead>, Vec<Bead>)> = Vec::new();
    let mut failed = 0;
    for (gold, test) in alignment_pairs(&args.gold, &args.test)? {
        if !test.exists() {
            eprintln!(
                "bitext: {}: missing (no alignment for {})",
                test.display(),
                gold.display()
            );
            failed += 1;
            continue;
        }
        match (align_score::read_beads(&gold), align_score::read_beads(&test)) {
            (Ok(g), Ok(t)) => docs.push((g, t)),
            (Err(e), _) | (_, Err(e)) => {
                eprintln!("bitext: {e}");
                failed += 1;
            }
        }
    }
    if docs.is_empty() {
        bail!("no alignment could be scored");
    }
    let scores = align_score::score_documents(docs.iter().map(|(g, t)| (&g[..], &t[..])));
    if args.json {
        println!("{}", align_json(&scores, docs.len(), failed)?);
    } else {
        println!("{}", scores.table());
        println!("documents: {} scored, {failed} skipped", docs.len());
    }
    Ok(super::exit_code(failed))
}

fn align_json(scores: &AlignScores, documents: usize, skipped: usize) -> anyhow::Result<String> {
    let mut value = serde_json::to_value(scores)?;
    value["documents"] = documents.into();
    value["skipped"] = skipped.into();
    Ok(serde_json::to_string_pretty(&value)?)
}
