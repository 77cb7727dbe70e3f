//! The command-line interface: one file per subcommand, each a thin layer over the library.
//!
//! Exit codes: 0 when everything succeeded, 1 when some inputs failed but the rest
//! completed, 2 when nothing could be done (bad arguments, missing model, fatal error).

use clap::{Parser, Subcommand};
use std::process::ExitCode;

pub mod align;
pub mod clean;
pub mod convert;
pub mod embed;
pub mod eval;
pub mod flags;
pub mod merge;
pub mod report;
pub mod run;
pub mod segment;
pub mod translate;

/// Translate en/zh news articles and build sentence-aligned parallel corpora.
#[derive(Debug, Parser)]
#[command(name = "bitext", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Print less: only warnings and errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// Print more: repeat for debug (-v) and trace (-vv) logs.
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Every subcommand of bitext.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read articles and print them without page debris (title, then paragraphs).
    Clean(clean::Args),
    /// Split articles or text into sentences, one per line.
    Segment(segment::Args),
    /// Convert a corpus between TSV, JSONL, TMX and Moses formats.
    Convert(convert::Args),
    /// Translate text or articles with a local model (Marian or Qwen).
    Translate(translate::Args),
    /// Align the sentences of two texts into a parallel corpus.
    Align(align::Args),
    /// Print sentence embeddings (JSONL or NumPy) for inspection.
    Embed(embed::Args),
    /// Score translations (BLEU, chrF) or alignments (precision, recall, F1).
    Eval(eval::Args),
    /// Translate a folder of articles into translations, a corpus and a manifest (resumable, shardable).
    Run(run::Args),
    /// Merge the output folders of sharded `bitext run`s into one.
    Merge(merge::Args),
    /// Write report.html for an output folder: counts, score histogram, flagged pairs, side by side.
    Report(report::Args),
}

/// Runs bitext with the process arguments and returns its exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.quiet, cli.verbose);
    let result = match cli.command {
        Command::Clean(args) => clean::run(args),
        Command::Segment(args) => segment::run(args),
        Command::Convert(args) => convert::run(args),
        Command::Translate(args) => translate::run(args),
        Command::Align(args) => align::run(args),
        Command::Embed(args) => embed::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Run(args) => run::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Report(args) => report::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bitext: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Exit code for a run in which `failed` inputs were skipped.
pub fn exit_code(failed: usize) -> ExitCode {
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn init_logging(quiet: bool, verbose: u8) {
    let level = match (quiet, verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("BITEXT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| crate::pipeline::progress::StderrAboveBar)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .without_time()
        .init();
}

/// `bitext … | head` closes the pipe early; that ends the run quietly, as in ripgrep.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
