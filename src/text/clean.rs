//! Removing scraped page debris (share widgets, bylines, navigation) from articles.
//!
//! Rules, not site-specific strings:
//! - a line with no letters at all is debris;
//! - a short line with page-interface vocabulary (comments, print, e-mail, font size,
//!   social networks; 责任编辑, 分享到, 打印, 关闭窗口, 字号, 来源 …) is debris;
//! - a short line that does not end like a sentence is debris (bylines, widget
//!   labels, menu items), and so is a bullet item that does not;
//! - within one folder, a paragraph repeated in [`REPEATED_MIN_DOCS`] or more
//!   articles is site boilerplate ([`remove_repeated_boilerplate`]);
//! - in HTML, link lists are dropped while reading (see [`super::read`]).
//!
//! A publication date found in a removed line is kept as [`Document::date`].

use super::detect::is_han;
use super::Document;
use regex::Regex;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// A paragraph found in this many articles of one folder is boilerplate.
pub const REPEATED_MIN_DOCS: usize = 3;

/// Cleans a folder's worth of articles: repeated boilerplate first, then the
/// per-line rules of [`clean_document`] on each.
pub fn clean_documents(docs: &mut [Document]) {
    remove_repeated_boilerplate(docs);
    docs.iter_mut().for_each(clean_document);
}

/// Removes the debris lines of one article, keeping a date found in them.
pub fn clean_document(doc: &mut Document) {
    let mut date = doc.date.take();
    let mut keep = |line: &str, is_title: bool| {
        if is_debris(line, is_title) {
            date = date.take().or_else(|| find_date(line));
            false
        } else {
            true
        }
    };
    let had_title = doc.title.is_some();
    doc.title = doc.title.take().filter(|t| keep(t, true));
    if had_title && doc.title.is_none() {
        // The first line was page debris; the headline is then the first line before
        // the body that is not interface debris.
        let body = doc.paragraphs.iter().position(|p| ends_like_sentence(p));
        let leading = &doc.paragraphs[..body.unwrap_or(doc.paragraphs.len())];
        if let Some(k) = leading.iter().position(|p| !is_debris(p, true)) {
            doc.title = Some(doc.paragraphs.remove(k));
        }
    }
    doc.paragraphs.retain(|p| keep(p, false));
    doc.date = date;
}

/// Drops every title or paragraph that occurs in at least [`REPEATED_MIN_DOCS`] of
/// `docs` (site names, footers, "related" boxes).
pub fn remove_repeated_boilerplate(docs: &mut [Document]) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for doc in docs.iter() {
        let lines: HashSet<&str> = doc
            .title
            .iter()
            .chain(&doc.paragraphs)
            .map(String::as_str)
            .collect();
        for line in lines {
            *counts.entry(line).or_default() += 1;
        }
    }
    let boilerplate: HashSet<String> = counts
        .into_iter()
        .filter(|&(_, n)| n >= REPEATED_MIN_DOCS)
        .map(|(line, _)| line.to_string())
        .collect();
    let repeated = |line: &String| boilerplate.contains(line);
    for doc in docs.iter_mut() {
        doc.title = doc.title.take().filter(|t| !repeated(t));
        doc.paragraphs.retain(|p| !repeated(p));
    }
}

/// Lines of at most this many word units (a Latin word, or two Han characters)
/// are short.
const SHORT_UNITS: usize = 10;

/// Whether `line` is page debris rather than article text. Titles may be short and
/// unpunctuated, so only the interface-vocabulary rule applies to them.
pub fn is_debris(line: &str, is_title: bool) -> bool {
    let text = line.trim_start_matches(|c: char| BULLETS.contains(&c) || c.is_whitespace());
    let is_bullet = text.len() < line.len() && line.trim_start().starts_with(BULLETS);
    let units = word_units(text);
    if units == 0 {
        return true;
    }
    // Interface lines are short; skip the vocabulary scan on long paragraphs.
    let ui = if units <= 25 { interface_terms(text) } else { 0 };
    let ends_sentence = ends_like_sentence(text);
    let interface_line =
        (ui >= 1 && (units <= 4 || (!ends_sentence && units <= 25))) || (ui >= 2 && units <= 25);
    if interface_line || is_title {
        return interface_line;
    }
    // A line ending in a colon introduces a quote or list unless it is very short
    // ("Tags:", "Share:").
    let short = if text.trim_end().ends_with([':', '：']) {
        4
    } else {
        SHORT_UNITS
    };
    !ends_sentence && (units <= short || is_bullet)
}

/// Characters that start a bulleted widget or menu line.
const BULLETS: &[char] = &['•', '·', '▪', '►', '■', '□', '◆', '●', '*', '-', '>', '|', '»'];

/// Latin words plus half the Han characters.
fn word_units(text: &str) -> usize {
    let words = text
        .split(|c: char| !c.is_alphanumeric() || is_han(c))
        .filter(|w| w.chars().any(|c| c.is_alphabetic() && !is_han(c)))
        .count();
    words + text.chars().filter(|&c| is_han(c)).count().div_ceil(2)
}

fn ends_like_sentence(text: &str) -> bool {
    let core = text.trim_end_matches(|c: char| c.is_whitespace() || "\"'”’)]）」』》".contains(c));
    core.ends_with(['.', '!', '?', '。', '！', '？', '…'])
}

/// Social networks: news text names them too, so all of them in a line count as
/// one interface term.
const PLATFORMS: &[&str] = &[
    "twitter",
    "facebook",
    "instagram",
    "youtube",
    "linkedin",
    "whatsapp",
    "weibo",
    "wechat",
];

/// English interface words, matched as whole lowercase words.
const UI_WORDS: &[&str] = &[
    "comment",
    "comments",
    "print",
    "e-mail",
    "email",
    "bookmark",
    "forum",
    "login",
    "subscribe",
    "newsletter",
    "advertisement",
    "copyright",
    "moderator",
    "username",
    "password",
];

/// English interface phrases and Chinese interface terms, matched as substrings
/// (lowercased).
const UI_PHRASES: &[&str] = &[
    "font size",
    "all rights reserved",
    "read more",
    "click here",
    "sign in",
    "sign up",
    "log in",
    "user name",
    "related stories",
    "related articles",
    "send your stories",
    "get more from",
    "join the conversation",
    "follow us",
    "follow on",
    "share this",
    "terms of use",
    "privacy policy",
    "back to top",
    "责任编辑",
    "编辑：",
    "分享到",
    "分享至",
    "打印",
    "关闭窗口",
    "字号",
    "来源：",
    "来源:",
    "评论",
    "收藏",
    "扫一扫",
    "微信",
    "微博",
    "返回顶部",
    "上一篇",
    "下一篇",
    "相关新闻",
    "相关阅读",
    "版权所有",
    "免责声明",
    "登录",
    "注册",
    "纠错",
    "原标题",
    "点击",
    "二维码",
    "转载",
];

/// How many interface words and phrases `text` contains.
fn interface_terms(text: &str) -> usize {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .collect();
    let ui_words = words.iter().filter(|w| UI_WORDS.contains(w)).count();
    let platforms = usize::from(words.iter().any(|w| PLATFORMS.contains(w)));
    ui_words + platforms + UI_PHRASES.iter().filter(|p| lower.contains(*p)).count()
}

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    let month = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)";
    let pattern = format!(
        r"\b{month}\.? \d{{1,2}}, \d{{4}}\b|\b\d{{1,2}} {month}\.? \d{{4}}\b|\b(?:19|20)\d{{2}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}\b|(?:19|20)\d{{2}}年\d{{1,2}}月\d{{1,2}}日"
    );
    Regex::new(&pattern).unwrap_or_else(|e| unreachable!("constant date pattern: {e}"))
});

/// The first publication date written in `line` ("March 30, 2021", "30 March 2021",
/// "2021-03-30", "2021年3月30日"), as written.
pub fn find_date(line: &str) -> Option<String> {
    DATE.find(line).map(|m| m.as_str().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_lines_are_debris_article_sentences_are_not() {
        for debris in [
            "0 Comment(s)Print E-mail, March 30, 2021",
            "No comments.",
            "Follow us on Twitter and Facebook to join the conversation.",
            "Share this article",
            "【字号 大 中 小】",
            "责任编辑：王小明",
            "分享到：微信 微博 QQ空间",
            "2021-03-30 10:20",
            "|",
        ] {
            assert!(is_debris(debris, false), "{debris:?} should be debris");
        }
        for text in [
            "Shares of the company fell 5 percent on Tuesday.",
            "He said he would print more money if needed to support growth this year.",
            "Priti Patel has demanded an explanation from Twitter and Instagram over the posts.",
            "Spain's deputy emergency health director Maria Jose Sierra said:",
            "乡村振兴，人才是关键。",
            "人才哪里找？",
        ] {
            assert!(!is_debris(text, false), "{text:?} should be kept");
        }
    }

    #[test]
    fn short_unpunctuated_lines_are_debris_except_titles() {
        assert!(is_debris("Photo: Xinhua", false));
        assert!(is_debris("• Enter the words you see:", false));
        assert!(!is_debris(
            "Beijing's key industries ascend the global value chain",
            true
        ));
        assert!(is_debris("Print E-mail Bookmark and Share", true));
    }

    #[test]
    fn headline_after_page_debris_becomes_the_title() {
        let mut doc = Document {
            title: Some("首页 | 新闻 | 财经 | 登录 | 注册".into()),
            paragraphs: vec![
                "【字号 大 中 小】".into(),
                "北京发布数字经济新政策".into(),
                "北京将建设全球数字经济标杆城市。".into(),
                "记者 张三".into(),
            ],
            date: None,
        };
        clean_document(&mut doc);
        assert_eq!(doc.title.as_deref(), Some("北京发布数字经济新政策"));
        assert_eq!(doc.paragraphs, ["北京将建设全球数字经济标杆城市。"]);
    }

    #[test]
    fn dates_in_each_written_form() {
        assert_eq!(
            find_date("0 Comment(s)Print E-mail, March 30, 2021").as_deref(),
            Some("March 30, 2021")
        );
        assert_eq!(
            find_date("Updated 30 Mar 2021 08:00").as_deref(),
            Some("30 Mar 2021")
        );
        assert_eq!(
            find_date("发布时间：2021-03-30 10:20").as_deref(),
            Some("2021-03-30")
        );
        assert_eq!(
            find_date("来源：新华网 2021年3月30日").as_deref(),
            Some("2021年3月30日")
        );
        assert_eq!(find_date("Revenue grew 25.1% in 2021."), None);
    }

    #[test]
    fn paragraphs_repeated_across_a_folder_are_removed() {
        let footer = "Copyright 2021 Example News. Reproduction without permission is prohibited.";
        let mut docs: Vec<Document> = (0..3)
            .map(|i| Document {
                title: Some(format!("Story {i}")),
                paragraphs: vec![format!("Body of story {i}."), footer.to_string()],
                date: None,
            })
            .collect();
        let twice = docs[..2].to_vec();
        remove_repeated_boilerplate(&mut docs);
        assert!(docs
            .iter()
            .all(|d| d.paragraphs.len() == 1 && !d.paragraphs.contains(&footer.to_string())));
        let mut pair = twice.clone();
        remove_repeated_boilerplate(&mut pair);
        assert_eq!(
            pair, twice,
            "two articles are not enough to call a paragraph boilerplate"
        );
    }
}
