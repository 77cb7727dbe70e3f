//! `bitext translate`.

use std::process::ExitCode;

/// Arguments of `bitext translate`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `bitext translate`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`bitext translate` is not built yet")
}
