//! Reading article files (txt, md, html) in any of the encodings news sites use.
//!
//! Bytes are decoded by their byte-order mark (UTF-8, UTF-16 LE/BE), else as UTF-8
//! when valid, else as GB18030 (a superset of GBK and GB2312) when valid. Files with
//! NUL bytes or many control characters are binary. Plain text and Markdown keep one
//! paragraph per line (blank-line or single-newline separated); hard-wrapped prose
//! in blank-line separated files is joined back. HTML goes through a real parser.

use super::Document;
use encoding_rs::{Encoding, GB18030};
use scraper::{ElementRef, Html, Selector};
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
    /// The file decodes but holds no text.
    #[error("{path}: empty file (no text to read)")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The file has text, but no article text in English or Chinese.
    #[error("{path}: {reason}")]
    NoText {
        /// The file.
        path: PathBuf,
        /// What was missing.
        reason: String,
    },
}

/// Reads an article file into a [`Document`]: the title (an HTML `<h1>`/`<title>`,
/// a Markdown heading, or a short first line without a final period) and the body
/// paragraphs. Page debris is still there; see [`super::clean`].
pub fn read_document(path: &Path) -> Result<Document, ReadError> {
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let text = decode(bytes).map_err(|reason| ReadError::Undecodable {
        path: path.to_path_buf(),
        reason,
    })?;
    let doc = match extension(path).as_deref() {
        Some("html" | "htm") => parse_html(&text),
        Some("md") => parse_plain(&strip_markdown(&text), true),
        _ => parse_plain(&text, false),
    };
    if doc.title.is_none() && doc.paragraphs.is_empty() {
        return Err(ReadError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(doc)
}

/// Decodes article bytes to text, or says why they are not text. UTF-8 input is
/// reused, not copied.
pub fn decode(bytes: Vec<u8>) -> Result<String, String> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(&bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        if had_errors {
            return Err(format!(
                "invalid {} text after its byte-order mark",
                encoding.name()
            ));
        }
        return check_not_binary(text.into_owned());
    }
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        return Err(format!("binary file (NUL byte at offset {offset})"));
    }
    match String::from_utf8(bytes) {
        Ok(text) => check_not_binary(text),
        Err(not_utf8) => {
            let offset = not_utf8.utf8_error().valid_up_to();
            match GB18030.decode_without_bom_handling_and_without_replacement(not_utf8.as_bytes()) {
                Some(text) => check_not_binary(text.into_owned()),
                None => Err(format!(
                    "not UTF-8, UTF-16 or GB18030/GBK text (invalid byte at offset {offset})"
                )),
            }
        }
    }
}

/// Text with more than one control character in a hundred is binary data that
/// happened to decode.
fn check_not_binary(text: String) -> Result<String, String> {
    let controls = text
        .chars()
        .filter(|&c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
        .count();
    if controls > 0 && controls * 100 >= text.chars().count() {
        return Err(format!("binary file ({controls} control characters)"));
    }
    Ok(text)
}

fn extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

/// Lines at least this wide (in columns; a Han character takes two) that end
/// mid-sentence are hard-wrapped prose when the file separates paragraphs by blank lines.
const WRAPPED_LINE_COLUMNS: usize = 40;

/// Plain text: one paragraph per line; the first one is the title when it is a
/// Markdown heading or looks like a headline.
fn parse_plain(text: &str, markdown: bool) -> Document {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let blank_separated = lines
        .windows(3)
        .any(|w| !w[0].is_empty() && w[1].is_empty() && !w[2].is_empty());
    let mut paragraphs: Vec<String> = Vec::new();
    let mut heading_first = false;
    let mut after_blank = true;
    for line in lines {
        if line.is_empty() {
            after_blank = true;
            continue;
        }
        let heading = markdown && line.starts_with('#');
        let line = if heading {
            line.trim_start_matches('#').trim()
        } else {
            line
        };
        if paragraphs.is_empty() {
            heading_first = heading;
        }
        let may_join = blank_separated && !after_blank && !heading && paragraphs.len() > 1;
        match paragraphs.last_mut() {
            Some(prev) if may_join && is_wrapped(prev, line) => join_wrapped(prev, line),
            _ => paragraphs.push(line.to_string()),
        }
        after_blank = false;
    }
    let title = match paragraphs.first() {
        Some(first) if heading_first || looks_like_headline(first) => Some(paragraphs.remove(0)),
        _ => None,
    };
    Document {
        title,
        paragraphs,
        date: None,
    }
}

/// A headline is short and does not end like a sentence.
fn looks_like_headline(line: &str) -> bool {
    line.chars().nth(200).is_none() && !line.ends_with(['.', '。'])
}

fn is_wrapped(prev: &str, line: &str) -> bool {
    let ends_sentence = prev.ends_with([
        '.', '!', '?', '。', '！', '？', ':', '：', '"', '”', '’', ')', '）', '」', '…',
    ]);
    let is_list_item = line.starts_with(['-', '*', '•', '·', '>', '|']);
    let columns: usize = prev
        .chars()
        .map(|c| if super::detect::is_han(c) { 2 } else { 1 })
        .sum();
    columns >= WRAPPED_LINE_COLUMNS && !ends_sentence && !is_list_item
}

/// Joins a wrapped line to its paragraph: with a space, except between two Han characters.
fn join_wrapped(prev: &mut String, line: &str) {
    let han_join = prev.chars().last().is_some_and(super::detect::is_han)
        && line.chars().next().is_some_and(super::detect::is_han);
    if !han_join {
        prev.push(' ');
    }
    prev.push_str(line);
}

/// Removes the Markdown markup that is not text: images, link targets and emphasis.
fn strip_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let image = rest[..open].ends_with('!');
        out.push_str(&rest[..open - usize::from(image)]);
        let after = &rest[open + 1..];
        let link = after.find("](").and_then(|close| {
            let target = &after[close + 2..];
            let end = target.find(')')?;
            (!after[..close].contains('\n') && !target[..end].contains('\n'))
                .then_some((close, close + 2 + end + 1))
        });
        match link {
            Some((close, end)) => {
                if !image {
                    out.push_str(&after[..close]);
                }
                rest = &after[end..];
            }
            None => {
                out.push_str(&rest[open - usize::from(image)..=open]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.replace("**", "").replace("__", "")
}

/// Elements whose text is never article text.
const DROPPED_ELEMENTS: &[&str] = &[
    "script", "style", "nav", "header", "footer", "aside", "noscript", "form", "button", "template",
];

/// Elements that start a new line of text.
const BLOCK_ELEMENTS: &[&str] = &[
    "address",
    "article",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "main",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "tr",
    "ul",
];

/// The text of `element` without dropped elements, with a newline at each block
/// boundary. Iterative, so deeply nested pages cannot overflow the stack.
fn block_text(element: ElementRef) -> String {
    let mut out = String::new();
    // `None` marks the end of a block element.
    let mut stack = vec![Some(*element)];
    while let Some(entry) = stack.pop() {
        let Some(node) = entry else {
            out.push('\n');
            continue;
        };
        if let Some(text) = node.value().as_text() {
            out.push_str(text);
            continue;
        }
        if let Some(el) = node.value().as_element() {
            if DROPPED_ELEMENTS.contains(&el.name()) {
                continue;
            }
            if BLOCK_ELEMENTS.contains(&el.name()) {
                out.push('\n');
                stack.push(None);
            }
        }
        stack.extend(node.children().rev().map(Some));
    }
    out
}

/// A `<p>` whose text is mostly link text is a link list (navigation, related stories).
const MAX_LINK_SHARE: f64 = 0.5;

fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| unreachable!("constant selector {css}: {e}"))
}

/// HTML: `<h1>` (else `<title>`) is the title, `<p>` elements outside navigation,
/// headers, footers, asides and scripts are the paragraphs, link lists are dropped.
/// The publication date comes from `article:published_time` or `<time datetime>`.
fn parse_html(text: &str) -> Document {
    let html = Html::parse_document(text);
    let kept = |e: &ElementRef| {
        !e.ancestors()
            .filter_map(ElementRef::wrap)
            .any(|a| DROPPED_ELEMENTS.contains(&a.value().name()))
    };
    let text_of = |e: ElementRef| block_text(e).split_whitespace().collect::<Vec<_>>().join(" ");
    let title = html
        .select(&selector("h1"))
        .filter(kept)
        .chain(html.select(&selector("title")))
        .map(text_of)
        .find(|t| !t.is_empty());
    let link = selector("a");
    let paragraphs = html
        .select(&selector("p"))
        .filter(kept)
        .filter(|p| {
            let total: usize = p.text().map(|t| t.trim().chars().count()).sum();
            let linked: usize = p
                .select(&link)
                .flat_map(|a| a.text())
                .map(|t| t.trim().chars().count())
                .sum();
            total > 0 && (linked as f64) < MAX_LINK_SHARE * total as f64
        })
        .map(text_of)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>();
    // Pages that set text in <div>s and <br>s instead of <p>s: one paragraph per block.
    let paragraphs = if paragraphs.is_empty() {
        let body = html
            .select(&selector("body"))
            .next()
            .unwrap_or_else(|| html.root_element());
        block_text(body)
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|l| !l.is_empty() && title.as_deref() != Some(l.as_str()))
            .collect()
    } else {
        paragraphs
    };
    let date = html
        .select(&selector(r#"meta[property="article:published_time"]"#))
        .filter_map(|m| m.attr("content"))
        .chain(
            html.select(&selector("time[datetime]"))
                .filter_map(|t| t.attr("datetime")),
        )
        .map(|d| d.trim().to_string())
        .find(|d| !d.is_empty());
    Document {
        title,
        paragraphs,
        date,
    }
}

/// File extensions read as articles (lowercase).
pub const SUPPORTED_EXTENSIONS: &[&str] = &["txt", "md", "html", "htm"];

/// True when `path` has a supported article extension.
pub fn is_article(path: &Path) -> bool {
    extension(path).is_some_and(|e| SUPPORTED_EXTENSIONS.contains(&e.as_str()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_utf8_with_and_without_bom_and_utf16_with_bom() {
        let text = "经济 growth";
        assert_eq!(decode(text.as_bytes().to_vec()).unwrap(), text);
        assert_eq!(decode([b"\xEF\xBB\xBF", text.as_bytes()].concat()).unwrap(), text);
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode(le).unwrap(), text);
        assert_eq!(decode(be).unwrap(), text);
    }

    #[test]
    fn decodes_gbk_bytes() {
        // "北京经济。" in GBK, as written by Python's str.encode("gbk").
        let gbk = [0xB1, 0xB1, 0xBE, 0xA9, 0xBE, 0xAD, 0xBC, 0xC3, 0xA1, 0xA3];
        assert_eq!(decode(gbk.to_vec()).unwrap(), "北京经济。");
    }

    #[test]
    fn rejects_binary_and_undecodable_bytes() {
        assert!(decode(b"PK\x03\x04\x00\x00".to_vec())
            .unwrap_err()
            .contains("NUL byte at offset 4"));
        assert!(decode(b"abc \xFF\xFF def".to_vec())
            .unwrap_err()
            .contains("not UTF-8"));
        assert!(decode(b"\x01\x02\x03\x04 text".to_vec())
            .unwrap_err()
            .contains("binary"));
    }

    #[test]
    fn plain_text_title_and_paragraphs_by_single_or_blank_lines() {
        let single = parse_plain("Headline here\nFirst paragraph.\nSecond paragraph.\n", false);
        let blank = parse_plain(
            "Headline here\r\n\r\nFirst paragraph.\r\n\r\nSecond paragraph.\r\n",
            false,
        );
        assert_eq!(single, blank);
        assert_eq!(single.title.as_deref(), Some("Headline here"));
        assert_eq!(single.paragraphs, ["First paragraph.", "Second paragraph."]);
    }

    #[test]
    fn hard_wrapped_prose_is_joined_in_blank_separated_files() {
        let doc = parse_plain(
            "Title\n\nThis paragraph was wrapped by the editor at a\nfixed width, like e-mail.\n\n这是一个被编辑器在固定宽度处折行的中文段落，后面还有\n更多的文字。\n",
            false,
        );
        assert_eq!(
            doc.paragraphs,
            [
                "This paragraph was wrapped by the editor at a fixed width, like e-mail.",
                "这是一个被编辑器在固定宽度处折行的中文段落，后面还有更多的文字。"
            ]
        );
    }

    #[test]
    fn first_line_that_reads_like_a_sentence_is_not_a_title() {
        let doc = parse_plain("The body starts at once.\nAnd goes on.", false);
        assert_eq!(doc.title, None);
        assert_eq!(doc.paragraphs.len(), 2);
    }

    #[test]
    fn markdown_heading_links_and_images() {
        let doc = parse_plain(
            &strip_markdown(
                "# The **Title**\n\n![logo](a.png)Read the [full report](http://x.y/z) **now**.\n",
            ),
            true,
        );
        assert_eq!(doc.title.as_deref(), Some("The Title"));
        assert_eq!(doc.paragraphs, ["Read the full report now."]);
    }

    #[test]
    fn html_keeps_title_and_paragraphs_and_drops_navigation() {
        let doc = parse_html(
            r#"<html><head><title>Site | Story</title><meta property="article:published_time" content="2021-03-30">
            <script>var p = "<p>no</p>";</script></head><body>
            <nav><p>Home News Sport</p></nav><header><p>Log in</p></header>
            <h1>Beijing  grows</h1><p>First   paragraph <b>bold</b>.</p>
            <p><a href="/1">Related story one</a> <a href="/2">Related story two</a></p>
            <p>Second paragraph with <a href="/x">a link</a> inside.</p>
            <aside><p>Most read</p></aside><footer><p>Copyright</p></footer></body></html>"#,
        );
        assert_eq!(doc.title.as_deref(), Some("Beijing grows"));
        assert_eq!(
            doc.paragraphs,
            ["First paragraph bold.", "Second paragraph with a link inside."]
        );
        assert_eq!(doc.date.as_deref(), Some("2021-03-30"));
    }

    #[test]
    fn html_without_paragraph_elements_falls_back_to_blocks_and_line_breaks() {
        let doc = parse_html(
            "<html><body><h1>Headline</h1><div class=text>First line.<br>Second <i>line</i>.</div>\
             <div><div>Third line.</div></div><footer>Contact us</footer></body></html>",
        );
        assert_eq!(doc.title.as_deref(), Some("Headline"));
        assert_eq!(doc.paragraphs, ["First line.", "Second line.", "Third line."]);
    }
}
