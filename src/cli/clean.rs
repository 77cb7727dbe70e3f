//! `bitext clean`.

use std::process::ExitCode;

/// Arguments of `bitext clean`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `bitext clean`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`bitext clean` is not built yet")
}
