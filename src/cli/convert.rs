//! `bitext convert`.

use std::process::ExitCode;

/// Arguments of `bitext convert`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `bitext convert`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`bitext convert` is not built yet")
}
