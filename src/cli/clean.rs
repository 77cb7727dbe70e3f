//! `bitext clean`: read articles and print them without page debris.

use crate::text::read::{find_articles, read_document, SUPPORTED_EXTENSIONS};
use crate::text::{load_articles, Article, Lang};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `bitext clean`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Article files or folders (searched recursively for .txt, .md, .html, .htm).
    /// Boilerplate repeated across the articles of one folder is removed too.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,

    /// Language of the articles: auto (detect per article from Han vs Latin letters), en or zh.
    #[arg(long, value_name = "LANG", default_value = "auto")]
    pub from: LangChoice,

    /// Write each cleaned article to this folder (same relative path, .txt) instead of stdout.
    #[arg(long, short)]
    pub output: Option<PathBuf>,

    /// Print one JSON object per article instead of text:
    /// {"path","lang","title","date","paragraphs"}. The date only appears here.
    #[arg(long, conflicts_with = "output")]
    pub json: bool,
}

/// `--from`: a language, or `auto` to detect it.
#[derive(Debug, Clone, Copy)]
pub struct LangChoice(pub Option<Lang>);

impl std::str::FromStr for LangChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("auto") {
            Ok(LangChoice(None))
        } else {
            s.parse().map(|lang| LangChoice(Some(lang)))
        }
    }
}

/// Runs `bitext clean`: each article as its title, then its paragraphs, separated by
/// blank lines.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let inputs = load_inputs(&args.paths, args.from.0, true);
    let mut failed = inputs.failed;
    let mut stdout = std::io::stdout().lock();
    for (root, article) in &inputs.articles {
        let result = if args.json {
            writeln!(stdout, "{}", article_json(article)).map_err(anyhow::Error::from)
        } else {
            let text = article_text(article);
            match &args.output {
                Some(dir) => write_output(dir, root, &article.path, text.as_bytes()),
                None => writeln!(stdout, "{text}").map_err(anyhow::Error::from),
            }
        };
        if let Err(err) = result {
            if args.output.is_none() {
                return Err(err);
            }
            eprintln!("bitext: {}: {err:#}", article.path.display());
            failed += 1;
        }
    }
    finish(inputs.articles.len(), failed)
}

/// The articles found under the command-line paths, each with the path it was
/// found under, and how many inputs failed (already reported on stderr).
pub struct Inputs {
    /// (input root, article) in command-line order, then path order.
    pub articles: Vec<(PathBuf, Article)>,
    /// Paths that could not be read or held no article.
    pub failed: usize,
}

/// Finds and reads the articles under `paths`, cleaning them folder by folder when
/// `clean` is set. Every failure is printed as `bitext: <path>: <reason>`.
pub fn load_inputs(paths: &[PathBuf], lang: Option<Lang>, clean: bool) -> Inputs {
    let mut inputs = Inputs {
        articles: Vec::new(),
        failed: 0,
    };
    for root in paths {
        let files = match find_articles(root) {
            Ok(files) if files.is_empty() => {
                eprintln!(
                    "bitext: {}: no article files (looked for .{})",
                    root.display(),
                    SUPPORTED_EXTENSIONS.join(", .")
                );
                inputs.failed += 1;
                continue;
            }
            Ok(files) => files,
            Err(err) => {
                eprintln!("bitext: {err}");
                inputs.failed += 1;
                continue;
            }
        };
        let results = if clean {
            load_articles(&files, lang)
        } else {
            files
                .iter()
                .map(|f| read_document(f).and_then(|doc| Article::new(f, doc, lang)))
                .collect()
        };
        for result in results {
            match result {
                Ok(article) => inputs.articles.push((root.clone(), article)),
                Err(err) => {
                    eprintln!("bitext: {err}");
                    inputs.failed += 1;
                }
            }
        }
    }
    inputs
}

/// The exit code once `done` articles were handled and `failed` inputs were
/// skipped (each already reported): 2 when nothing could be done.
pub fn finish(done: usize, failed: usize) -> anyhow::Result<ExitCode> {
    if done == 0 {
        return Ok(ExitCode::from(2));
    }
    Ok(super::exit_code(failed))
}

/// Writes `text` for the article at `path` (found under `root`) into `dir`, at the
/// same relative path with a `.txt` extension, atomically.
pub fn write_output(dir: &Path, root: &Path, path: &Path, text: &[u8]) -> anyhow::Result<()> {
    let relative = match path.strip_prefix(root) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel,
        _ => Path::new(path.file_name().unwrap_or(path.as_os_str())),
    };
    let target = dir.join(relative).with_extension("txt");
    crate::fsio::write_atomic(&target, text)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", target.display()))
}

/// Title and paragraphs, one per line, separated by blank lines.
fn article_text(article: &Article) -> String {
    let doc = &article.doc;
    let mut text = doc
        .title
        .iter()
        .chain(&doc.paragraphs)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("\n\n");
    text.push('\n');
    text
}

fn article_json(article: &Article) -> serde_json::Value {
    serde_json::json!({
        "path": article.path.display().to_string(),
        "lang": article.lang,
        "title": article.doc.title,
        "date": article.doc.date,
        "paragraphs": article.doc.paragraphs,
    })
}
