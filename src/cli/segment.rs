//! `bitext segment`.

use std::process::ExitCode;

/// Arguments of `bitext segment`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `bitext segment`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`bitext segment` is not built yet")
}
