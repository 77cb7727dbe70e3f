//! `bitext convert`: reads a corpus in one format and writes it in another, as a stream.

use crate::align::filter::Filters;
use crate::corpus::{open_reader, CorpusWriter, Format};
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `bitext convert`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The corpus to read: FILE.tsv, FILE.jsonl, FILE.tmx, or one side (STEM.en or
    /// STEM.zh) or the stem of a Moses pair.
    pub input: PathBuf,

    /// Where to write: FILE.tsv, FILE.jsonl, FILE.tmx, or STEM.en / STEM.zh / STEM
    /// (with --to moses) for a Moses pair. Replaced atomically.
    pub output: PathBuf,

    /// Format of INPUT; guessed from its extension when omitted.
    #[arg(long, value_enum)]
    pub from: Option<Format>,

    /// Format of OUTPUT; guessed from its extension when omitted.
    #[arg(long, value_enum)]
    pub to: Option<Format>,
    /// Drop pairs scored below this (pairs without a score count as 0). `bitext run`
    /// scores the translations its engine judged unacceptable 0 and the others 1.
    #[arg(long)]
    pub min_score: Option<f64>,
}

/// Runs `bitext convert`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (from, input) = resolve(&args.input, args.from, "--from")?;
    let (to, output) = resolve(&args.output, args.to, "--to")?;
    let mut writer = CorpusWriter::create(&output, to)?;
    let filters = Filters {
        min_score: args.min_score,
        ..Filters::default()
    };
    let (mut count, mut dropped) = (0usize, 0usize);
    for pair in open_reader(&input, from)? {
        let pair = pair?;
        if filters.check(&pair, 1.0).is_err() {
            dropped += 1;
            continue;
        }
        writer.write(&pair)?;
        count += 1;
    }
    writer.finish()?;
    tracing::info!(
        "wrote {count} pairs to {} ({dropped} dropped)",
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The format of `path` and the path to hand to the corpus functions (the stem for
/// Moses): the explicit `format` when given, else the one its extension names.
fn resolve(path: &Path, format: Option<Format>, flag: &str) -> anyhow::Result<(Format, PathBuf)> {
    let guessed = Format::guess(path);
    match (format, guessed) {
        (Some(Format::Moses), Some((Format::Moses, stem))) => Ok((Format::Moses, stem)),
        (Some(format), _) => Ok((format, path.to_path_buf())),
        (None, Some(guess)) => Ok(guess),
        (None, None) if crate::corpus::moses_paths(path).0.exists() => Ok((Format::Moses, path.to_path_buf())),
        (None, None) => None.with_context(|| {
            format!(
                "{}: cannot tell the corpus format from the extension (use .tsv, .jsonl, .tmx, .en/.zh, or {flag})",
                path.display()
            )
        }),
    }
}
