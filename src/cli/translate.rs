//! `bitext translate`: text from files or stdin, segmented, translated, one line out per
//! sentence (or per input line with `--lines`).

use crate::cli::exit_code;
use crate::cli::flags::{ComputeArgs, EngineArgs};
use crate::model::load_engine;
use crate::text::{detect::detect, detect::is_code_mixed, segment::split_sentences, Lang};
use crate::translate::Engine;
use anyhow::{bail, Context};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Source language: a fixed one, or detected per input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum From {
    /// Detect English or Chinese from each input's script.
    Auto,
    /// English.
    En,
    /// Chinese.
    Zh,
}

/// Arguments of `bitext translate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Text files to translate; `-` (or none) reads standard input.
    #[arg(value_name = "FILE")]
    pub inputs: Vec<PathBuf>,

    /// Source language; `auto` detects it per input from the script.
    #[arg(long, value_enum, default_value = "auto")]
    pub from: From,

    /// Target language; defaults to the other language of the pair.
    #[arg(long)]
    pub to: Option<Lang>,

    /// Engine, model and decoding settings.
    #[command(flatten)]
    pub engine: EngineArgs,

    /// Device and threads.
    #[command(flatten)]
    pub compute: ComputeArgs,

    /// Translate each input line as one segment instead of splitting it into sentences.
    #[arg(long)]
    pub lines: bool,
}

/// The segments of `text` to translate, grouped by input line (empty lines keep their place).
fn segments(text: &str, from: Lang, lines: bool) -> Vec<Vec<String>> {
    text.lines()
        .map(|line| {
            let line = line.trim();
            if line.is_empty() {
                Vec::new()
            } else if lines {
                vec![line.to_string()]
            } else {
                split_sentences(line, from)
            }
        })
        .collect()
}

/// Runs `bitext translate`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let fixed_from = match args.from {
        From::Auto => None,
        From::En => Some(Lang::En),
        From::Zh => Some(Lang::Zh),
    };
    if fixed_from.is_none()
        && (args.engine.model_dir.is_some()
            || args.engine.model_file.is_some()
            || args.engine.model.is_some())
    {
        bail!("--model, --model-dir and --model-file serve one direction: also pass --from en or --from zh");
    }
    let inputs = if args.inputs.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.inputs.clone()
    };
    // Fail before any work when the model is missing.
    let mut engines: HashMap<Lang, Box<dyn Engine>> = HashMap::new();
    if let Some(from) = fixed_from {
        engines.insert(
            from,
            load_engine(
                &args
                    .engine
                    .options(&args.compute, from, args.to.unwrap_or(from.other())),
            )?,
        );
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = 0;
    // Translations into Chinese, and how many of them keep a lowercase English word.
    let (mut into_zh, mut code_mixed) = (0usize, 0usize);
    for path in &inputs {
        let text = match read_input(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("bitext: {}: {e:#}", path.display());
                failed += 1;
                continue;
            }
        };
        let Some(from) = fixed_from.or_else(|| detect(&text)) else {
            eprintln!(
                "bitext: {}: cannot tell the language; pass --from en or --from zh",
                path.display()
            );
            failed += 1;
            continue;
        };
        if args.to == Some(from) {
            eprintln!("bitext: {}: already in {from}", path.display());
            failed += 1;
            continue;
        }
        let engine = match engines.entry(from) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => v.insert(load_engine(&args.engine.options(
                &args.compute,
                from,
                args.to.unwrap_or(from.other()),
            ))?),
        };
        let grouped = segments(&text, from, args.lines);
        let flat: Vec<String> = grouped.iter().flatten().cloned().collect();
        // The input is one document: each sentence reads the ones before it as context.
        let translated = match engine.translate_document(&flat) {
            Ok(t) => t.into_iter().map(|(text, _)| text).collect::<Vec<_>>(),
            Err(e) => {
                eprintln!("bitext: {}: {e:#}", path.display());
                failed += 1;
                continue;
            }
        };
        if args.to.unwrap_or(from.other()) == Lang::Zh {
            into_zh += translated.len();
            code_mixed += translated.iter().filter(|t| is_code_mixed(t)).count();
        }
        let mut translated = translated.into_iter();
        for group in &grouped {
            if group.is_empty() {
                writeln!(out)?;
            }
            for line in translated.by_ref().take(group.len()) {
                writeln!(out, "{line}")?;
            }
        }
        out.flush()?;
    }
    for (from, engine) in &engines {
        let stats = engine.stats();
        if stats.sentences > 0 {
            tracing::info!("{from}: {stats}");
        }
    }
    if into_zh > 0 {
        tracing::info!(
            "code-mixing: {code_mixed} of {into_zh} Chinese sentences keep a lowercase English word ({:.1}%)",
            100.0 * code_mixed as f64 / into_zh as f64
        );
    }
    Ok(exit_code(failed))
}

/// The UTF-8 text of `path`, or of standard input for `-`.
fn read_input(path: &PathBuf) -> anyhow::Result<String> {
    let bytes = if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("cannot read standard input")?;
        buf
    } else {
        std::fs::read(path)?
    };
    String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("not UTF-8 text"))
}
