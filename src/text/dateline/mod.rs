//! News datelines (`新华社北京7月26日电（记者倪元锦）`, `ISLAMABAD (AP) -`) and their form in
//! the other language.
//!
//! A dateline follows a fixed convention, and small translation models drop it or misread
//! it (`新华社` as "the State News Agency", `(AP)` as `（法新社）`), so bitext writes it by
//! rule and has the model translate only the sentence after it, and the place names.

mod chinese;
mod english;

pub use chinese::{ChineseDateline, AGENCIES as CHINESE_AGENCIES};
pub use english::EnglishDateline;

use crate::text::Lang;
use std::borrow::Cow;

/// The dateline at the start of a news sentence, in either language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dateline {
    /// A Chinese dateline, written in English.
    Chinese(ChineseDateline),
    /// An English dateline, written in Chinese.
    English(EnglishDateline),
}

impl Dateline {
    /// The dateline that opens `sentence`, written in `lang`, and the rest of the sentence.
    pub fn split(sentence: &str, lang: Lang) -> Option<(Dateline, &str)> {
        match lang {
            Lang::Zh => ChineseDateline::split(sentence).map(|(d, rest)| (Dateline::Chinese(d), rest)),
            Lang::En => EnglishDateline::split(sentence).map(|(d, rest)| (Dateline::English(d), rest)),
        }
    }

    /// The place names, in the dateline's language, that the caller should translate.
    pub fn places(&self) -> Vec<&str> {
        match self {
            Dateline::Chinese(d) => d.place().into_iter().collect(),
            Dateline::English(d) => d.places(),
        }
    }

    /// The rest of the sentence as the engine should see it: a Chinese bare day of the
    /// month gets the dateline's month.
    pub fn prepared<'a>(&self, rest: &'a str) -> Cow<'a, str> {
        match self {
            Dateline::Chinese(d) => d.dated(rest),
            Dateline::English(_) => Cow::Borrowed(rest),
        }
    }

    /// The whole translated sentence: the dateline in the other language, given the
    /// translations of its places, then the translation of the rest.
    pub fn translated(&self, places: impl Fn(&str) -> Option<String>, rest: &str) -> String {
        let (head, separator) = match self {
            Dateline::Chinese(d) => (d.english(d.place().and_then(places).as_deref()), " "),
            Dateline::English(d) => (d.chinese(places), ""),
        };
        match rest.is_empty() {
            true => head,
            false => format!("{head}{separator}{rest}"),
        }
    }
}
