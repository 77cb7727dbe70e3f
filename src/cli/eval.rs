//! `bitext eval`.

use std::process::ExitCode;

/// Arguments of `bitext eval`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `bitext eval`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`bitext eval` is not built yet")
}
