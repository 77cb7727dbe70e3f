//! `bitext align`.

use std::process::ExitCode;

/// Arguments of `bitext align`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `bitext align`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`bitext align` is not built yet")
}
