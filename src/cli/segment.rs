//! `bitext segment`: split articles or text into sentences, one per line.

use super::clean::{finish, load_inputs, write_output, LangChoice};
use crate::text::detect::detect;
use crate::text::segment::{segment_document, split_counting_cuts, Segmented, MAX_SENTENCE_CHARS};
use crate::text::Lang;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `bitext segment`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Article files or folders (searched recursively for .txt, .md, .html, .htm).
    /// Without paths, or with `-`, plain text is read from stdin, one paragraph a line.
    pub paths: Vec<PathBuf>,

    /// Language of the text: auto (detect per article, or per line on stdin), en or zh.
    #[arg(long, value_name = "LANG", default_value = "auto")]
    pub from: LangChoice,

    /// Write each article's sentences to this folder (same relative path, .txt) instead of stdout.
    #[arg(long, short)]
    pub output: Option<PathBuf>,

    /// Segment articles as read, without removing page debris first.
    #[arg(long)]
    pub raw: bool,
}

/// Runs `bitext segment`: one sentence a line, a blank line between paragraphs (the
/// title is the first paragraph). Sentences are at most
/// [`crate::text::segment::MAX_SENTENCE_CHARS`] characters long.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.paths.is_empty() || args.paths.iter().any(|p| p.as_os_str() == "-") {
        anyhow::ensure!(args.paths.len() <= 1, "`-` (stdin) cannot be mixed with paths");
        return segment_stdin(args.from.0);
    }
    let inputs = load_inputs(&args.paths, args.from.0, !args.raw);
    let mut failed = inputs.failed;
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    for (root, article) in &inputs.articles {
        let segmented = segment_document(&article.doc, article.lang);
        if segmented.cuts > 0 {
            warn_cut(&article.path.display().to_string(), segmented.cuts);
        }
        match &args.output {
            Some(dir) => {
                let mut text = Vec::new();
                write_sentences(&mut text, &segmented)?;
                if let Err(err) = write_output(dir, root, &article.path, &text) {
                    eprintln!("bitext: {}: {err:#}", article.path.display());
                    failed += 1;
                }
            }
            // Articles on stdout are separated by a blank line.
            None => {
                write_sentences(&mut stdout, &segmented)?;
                writeln!(stdout)?;
            }
        }
    }
    stdout.flush()?;
    finish(inputs.articles.len(), failed)
}

/// Warns that text in `source` had no sentence punctuation for so long that it was cut.
fn warn_cut(source: &str, cuts: usize) {
    tracing::warn!(
        "{source}: text without sentence punctuation was cut {cuts} times into chunks of at most \
         {MAX_SENTENCE_CHARS} characters"
    );
}

/// One sentence a line, paragraphs separated by a blank line.
fn write_sentences(out: &mut impl Write, segmented: &Segmented) -> std::io::Result<()> {
    for (i, paragraph) in segmented.paragraphs.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        for sentence in paragraph {
            writeln!(out, "{sentence}")?;
        }
    }
    Ok(())
}

/// Segments stdin line by line, so input of any size streams through.
fn segment_stdin(lang: Option<Lang>) -> anyhow::Result<ExitCode> {
    let stdin = std::io::stdin().lock();
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    for (number, line) in stdin.lines().enumerate() {
        let line = line.map_err(|e| anyhow::anyhow!("<stdin>: line {}: {e}", number + 1))?;
        // Lines without letters (numbers, symbols) segment the same in both languages.
        let lang = lang.or_else(|| detect(&line)).unwrap_or(Lang::En);
        let (sentences, cuts) = split_counting_cuts(&line, lang);
        if cuts > 0 {
            warn_cut(&format!("<stdin>: line {}", number + 1), cuts);
        }
        for sentence in sentences {
            writeln!(stdout, "{sentence}")?;
        }
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}
