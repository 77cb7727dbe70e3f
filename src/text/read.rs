//! Reading article files (txt, md, html) in any of the encodings news sites use.

use super::Document;
use std::path::{Path, PathBuf};

/// Why a file could not be read as an article.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The bytes are not text in a supported encoding.
    #[error("{path}: {reason}")]
    Undecodable {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
}

/// Reads an article file into a [`Document`]. Placeholder: UTF-8 plain text only.
pub fn read_document(path: &Path) -> Result<Document, ReadError> {
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|_| ReadError::Undecodable {
        path: path.to_path_buf(),
        reason: "not UTF-8".into(),
    })?;
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from);
    let title = lines.next();
    Ok(Document {
        title,
        paragraphs: lines.collect(),
        date: None,
    })
}

/// File extensions read as articles (lowercase).
pub const SUPPORTED_EXTENSIONS: &[&str] = &["txt", "md", "html", "htm"];

/// True when `path` has a supported article extension.
pub fn is_article(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| SUPPORTED_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Lists the article files under `root` (recursively, sorted by path), or `root`
/// itself when it is a file. Hidden files and directories are skipped.
pub fn find_articles(root: &Path) -> Result<Vec<PathBuf>, ReadError> {
    let io_err = |source| ReadError::Io {
        path: root.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(root).map_err(io_err)?;
    if meta.is_file() {
        return Ok(vec![root.to_path_buf()]);
    }
    let mut files = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_str().is_some_and(|n| n.starts_with('.')));
    for entry in walker {
        let entry = entry.map_err(|e| ReadError::Io {
            path: e.path().map_or_else(|| root.to_path_buf(), Path::to_path_buf),
            source: e
                .into_io_error()
                .unwrap_or_else(|| std::io::Error::other("directory loop")),
        })?;
        if entry.file_type().is_file() && is_article(entry.path()) {
            files.push(entry.into_path());
        }
    }
    Ok(files)
}
