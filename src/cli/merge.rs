//! `bitext merge`: combines the output folders of `bitext run --shard K/N`.

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `bitext merge`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output folders of `bitext run` (usually one per shard), each with manifest.json
    /// and corpus.jsonl.
    #[arg(required = true)]
    pub runs: Vec<PathBuf>,

    /// Folder for the merged corpus, translations and manifest.
    #[arg(long, short)]
    pub output: PathBuf,

    /// Merge even when shards of the set are missing (the merged manifest lists them
    /// under `merge.missing`). Duplicated or inconsistent shards are still refused.
    #[arg(long)]
    pub allow_partial: bool,
}

/// Runs `bitext merge`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let manifest = crate::pipeline::merge::merge(&args.runs, &args.output, args.allow_partial)?;
    if let Some(record) = manifest.merge.as_ref().filter(|r| !r.missing.is_empty()) {
        tracing::warn!(
            "merged without shards {:?} of {} (--allow-partial)",
            record.missing,
            record.shard_count
        );
    }
    tracing::info!(
        "merged {} runs: {} files, {} pairs into {}",
        args.runs.len(),
        manifest.totals.files,
        manifest.totals.sentences,
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}
