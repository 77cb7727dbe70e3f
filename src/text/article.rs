//! Articles as later stages want them: read, cleaned, and with their language known.

use super::read::{read_document, ReadError};
use super::segment::segment_document;
use super::{clean, detect, Document, Lang};
use std::path::{Path, PathBuf};

/// A cleaned article and its language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// The file it was read from.
    pub path: PathBuf,
    /// Title, paragraphs and date, without page debris.
    pub doc: Document,
    /// The article's language: the one asked for, or the one detected.
    pub lang: Lang,
}

/// Reads and cleans one article. `lang` is the language to assume; `None` detects
/// it from the text (Han against Latin letters).
pub fn load_article(path: &Path, lang: Option<Lang>) -> Result<Article, ReadError> {
    load_articles(&[path.to_path_buf()], lang)
        .pop()
        .unwrap_or_else(|| unreachable!("one result per path"))
}

/// Reads and cleans the articles of one folder, in the order given: per-file
/// errors stay in place, and boilerplate repeated across the readable articles is
/// removed (see [`clean::clean_documents`]).
pub fn load_articles(paths: &[PathBuf], lang: Option<Lang>) -> Vec<Result<Article, ReadError>> {
    let mut read: Vec<Result<Document, ReadError>> = paths.iter().map(|p| read_document(p)).collect();
    let mut docs: Vec<Document> = read
        .iter_mut()
        .filter_map(|r| r.as_mut().ok().map(std::mem::take))
        .collect();
    clean::clean_documents(&mut docs);
    let mut cleaned = docs.into_iter();
    read.into_iter()
        .zip(paths)
        .map(|(result, path)| {
            result.and_then(|_| Article::new(path, cleaned.next().unwrap_or_default(), lang))
        })
        .collect()
}

impl Article {
    /// The article's sentences: one list for the title, then one per paragraph.
    pub fn sentences(&self) -> Vec<Vec<String>> {
        segment_document(&self.doc, self.lang).paragraphs
    }

    /// Wraps a document read from `path`, detecting its language unless `lang` is
    /// given. Fails when the document has no text, or no English or Chinese to detect.
    pub fn new(path: &Path, doc: Document, lang: Option<Lang>) -> Result<Article, ReadError> {
        if doc.title.is_none() && doc.paragraphs.is_empty() {
            return Err(ReadError::NoText {
                path: path.to_path_buf(),
                reason: "nothing left after removing page debris".into(),
            });
        }
        let detected = || detect::detect_all(doc.title.iter().chain(&doc.paragraphs).map(String::as_str));
        let lang = lang.or_else(detected).ok_or_else(|| ReadError::NoText {
            path: path.to_path_buf(),
            reason: "no English or Chinese text (use --from to set the language)".into(),
        })?;
        Ok(Article {
            path: path.to_path_buf(),
            doc,
            lang,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn loaded_article_is_cleaned_detected_and_segmented() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "a.txt",
            "北京经济持续增长\n来源：新华网 2021年3月30日\n分享到：微信 微博\n\n增长了3.5%。出口也增加了！\n",
        );
        let article = load_article(&path, None).unwrap();
        assert_eq!(article.lang, Lang::Zh);
        assert_eq!(article.doc.date.as_deref(), Some("2021年3月30日"));
        assert_eq!(
            article.sentences(),
            vec![vec!["北京经济持续增长"], vec!["增长了3.5%。", "出口也增加了！"]]
        );
        assert_eq!(load_article(&path, Some(Lang::En)).unwrap().lang, Lang::En);
    }

    #[test]
    fn errors_stay_in_place_among_loaded_articles() {
        let dir = tempfile::tempdir().unwrap();
        let paths = [
            write(dir.path(), "a.txt", "One sentence here."),
            write(dir.path(), "b.txt", ""),
            write(dir.path(), "c.txt", "12:00 | 2021-03-30"),
            write(dir.path(), "d.txt", "Another sentence."),
        ];
        let loaded = load_articles(&paths, None);
        assert!(loaded[0]
            .as_ref()
            .is_ok_and(|a| a.doc.paragraphs == ["One sentence here."]));
        assert!(matches!(loaded[1], Err(ReadError::Empty { .. })));
        assert!(matches!(&loaded[2], Err(ReadError::NoText { reason, .. }) if reason.contains("debris")));
        assert!(loaded[3].as_ref().is_ok_and(|a| a.path == paths[3]));
    }
}
