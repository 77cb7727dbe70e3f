//! Reading, cleaning, language detection and sentence segmentation of articles.

pub mod article;
pub mod clean;
pub mod dateline;
pub mod detect;
pub mod fidelity;
pub mod frame;
pub mod names;
pub mod numbers;
pub mod read;
pub mod segment;

pub use article::{load_article, load_articles, Article};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// English month names, January first.
pub const ENGLISH_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A language bitext translates between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English.
    En,
    /// Chinese (Simplified when bitext writes it).
    Zh,
}

impl Lang {
    /// The ISO 639-1 code: `en` or `zh`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// The other language of the pair.
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Zh,
            Lang::Zh => Lang::En,
        }
    }
}

/// Joins sentences as running text: without spaces in Chinese, with one in English.
pub fn join_sentences(sentences: &[String], lang: Lang) -> String {
    sentences.join(if lang == Lang::Zh { "" } else { " " })
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Lang {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "en" | "eng" | "english" => Ok(Lang::En),
            "zh" | "zh-cn" | "zh_cn" | "zho" | "cmn" | "chinese" => Ok(Lang::Zh),
            _ => Err(format!("unknown language {s:?} (expected en or zh)")),
        }
    }
}

/// An article: a title, its body paragraphs and what was learned about it while reading.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// The headline, when the source has one.
    pub title: Option<String>,
    /// Body paragraphs in reading order, each trimmed and non-empty.
    pub paragraphs: Vec<String>,
    /// Publication date found in the page debris (kept as metadata, not text), as written.
    pub date: Option<String>,
}
