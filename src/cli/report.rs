//! `bitext report`: writes `report.html` for an output folder of `run` or `merge`.

use crate::report::{self, ReportOptions};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `bitext report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output folder of `bitext run` or `bitext merge` (with manifest.json and
    /// corpus.jsonl); the report is written there as report.html.
    pub output: PathBuf,

    /// Articles shown side by side in full, spread evenly over the translated ones
    /// (every article gets a summary row, every flagged pair is listed).
    #[arg(long, default_value_t = ReportOptions::default().sample_articles)]
    pub sample: usize,
}

/// Runs `bitext report`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let options = ReportOptions {
        sample_articles: args.sample,
        ..ReportOptions::default()
    };
    let path = report::write(&args.output, &options)?;
    tracing::info!("wrote {}", path.display());
    Ok(ExitCode::SUCCESS)
}
