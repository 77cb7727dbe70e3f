//! `bitext embed`: sentence vectors for inspection and for the aligner's tests.

use crate::cli::flags::{ComputeArgs, EmbedArgs};
use crate::fsio::write_atomic;
use crate::model::embed::load_embedder;
use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Output format of `bitext embed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object per input line: `{"text": ..., "vector": [...]}`.
    Jsonl,
    /// A NumPy `.npy` array of little-endian f32, shape (lines, dim); needs --output.
    Npy,
}

/// Arguments of `bitext embed`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// UTF-8 text file, one sentence per line (every line, even an empty one, gets a vector).
    pub file: PathBuf,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    pub format: Format,

    /// Write here (atomically) instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,

    /// The embedding model.
    #[command(flatten)]
    pub embed: EmbedArgs,

    /// Device and threads.
    #[command(flatten)]
    pub compute: ComputeArgs,
}

/// Runs `bitext embed`.
pub fn run(args: Args) -> Result<ExitCode> {
    if args.format == Format::Npy && args.output.is_none() {
        bail!("--format npy writes binary data: pass --output FILE");
    }
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("{}: cannot read as UTF-8 text", args.file.display()))?;
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    args.compute.init_thread_pool();
    let device = args.compute.device.open()?;
    let embedder = load_embedder(args.embed.model(), &device)?;
    let start = std::time::Instant::now();
    let vectors = embedder.embed(&lines)?;
    let seconds = start.elapsed().as_secs_f64();
    tracing::info!(
        "embedded {} lines in {seconds:.2} s ({:.1} lines/s)",
        lines.len(),
        lines.len() as f64 / seconds.max(1e-9)
    );
    let bytes = match args.format {
        Format::Jsonl => jsonl(&lines, &vectors)?,
        Format::Npy => npy(&vectors, embedder.dim()),
    };
    match &args.output {
        Some(path) => {
            write_atomic(path, &bytes).with_context(|| format!("{}: cannot write", path.display()))?
        }
        None => std::io::stdout().lock().write_all(&bytes)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn jsonl(lines: &[String], vectors: &[Vec<f32>]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for (text, vector) in lines.iter().zip(vectors) {
        serde_json::to_writer(&mut out, &serde_json::json!({ "text": text, "vector": vector }))?;
        out.push(b'\n');
    }
    Ok(out)
}

/// NumPy format 1.0: magic, version, header length, a Python dict literal padded
/// with spaces to a 64-byte boundary, then the row-major data.
fn npy(vectors: &[Vec<f32>], dim: usize) -> Vec<u8> {
    let dict = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {dim}), }}",
        vectors.len()
    );
    let unpadded = 10 + dict.len() + 1;
    let padding = unpadded.next_multiple_of(64) - unpadded;
    let header_len = (dict.len() + padding + 1) as u16;
    let mut out = Vec::with_capacity(unpadded + padding + vectors.len() * dim * 4);
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&header_len.to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.extend(std::iter::repeat_n(b' ', padding));
    out.push(b'\n');
    for value in vectors.iter().flatten() {
        out.extend_from_slice(&value.to_le_bytes());
    }
    out
}
