//! Sentence segmentation measured on WMT21 news lines, and `bitext segment` itself.
//!
//! Gold standard: WMT21 test sets have one segment a line. Lines that hold exactly
//! one sentence are joined into paragraphs (up to [`PARAGRAPH_LINES`] consecutive
//! lines), and the segmenter must recover the line boundaries; a split inside a line
//! is a false positive. A line counts as one sentence when it ends with a terminal
//! mark and its *translation* on the other side of the test set has a single
//! sentence: judging by the other language keeps the selection independent of the
//! segmenter's own rules (Chinese 。！？ are unambiguous for the English side; for the
//! Chinese side, the English translation has no ". Capital" inside).

mod common;

use bitext::text::segment::split_sentences;
use bitext::text::Lang;
use common::{bitext, shared_data};
use std::io::Write;
use std::process::Stdio;
use unicode_segmentation::UnicodeSegmentation;

const PARAGRAPH_LINES: usize = 8;

/// (text file, its translation) pairs for each language.
fn pairs(lang: Lang) -> [(&'static str, &'static str); 2] {
    match lang {
        Lang::En => [
            ("newstest2021.en-zh.src.en", "newstest2021.en-zh.ref.A.zh"),
            ("newstest2021.zh-en.ref.A.en", "newstest2021.zh-en.src.zh"),
        ],
        Lang::Zh => [
            ("newstest2021.zh-en.src.zh", "newstest2021.zh-en.ref.A.en"),
            ("newstest2021.en-zh.ref.A.zh", "newstest2021.en-zh.src.en"),
        ],
    }
}

fn strip_closers(s: &str) -> &str {
    s.trim_end_matches(|c: char| c.is_whitespace() || "\"'”’)]）」』》".contains(c))
}

fn ends_with_terminal(s: &str) -> bool {
    strip_closers(s).ends_with(['.', '!', '?', '。', '！', '？', '…'])
}

/// Whether a line in `lang` holds a single sentence, by surface marks alone.
fn single_sentence(line: &str, lang: Lang) -> bool {
    let core = strip_closers(line.trim());
    if !ends_with_terminal(core) {
        return false;
    }
    let inner = core.trim_end_matches(['.', '!', '?', '。', '！', '？', '…']);
    match lang {
        Lang::Zh => !inner.contains(['。', '！', '？', '!', '?']),
        Lang::En => {
            let chars: Vec<char> = inner.chars().collect();
            !chars.windows(3).enumerate().any(|(i, w)| {
                matches!(w[0], '.' | '!' | '?')
                    && w[1] == ' '
                    && (w[2].is_uppercase()
                        || (matches!(w[2], '"' | '“') && chars.get(i + 3).is_some_and(|c| c.is_uppercase())))
            })
        }
    }
}

/// Paragraphs of joined one-sentence lines, each with its gold boundary offsets
/// (the end of every line but the last), and how many of all lines were used.
struct GoldSet {
    paragraphs: Vec<(String, Vec<usize>)>,
    used: usize,
    total: usize,
}

/// Which WMT21 lines make up the paragraphs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lines {
    /// Lines that hold one sentence (see the module comment): the main protocol.
    OneSentence,
    /// Every line, headlines and multi-sentence lines included: a harsher view in
    /// which every correct split inside a line counts as a false positive.
    All,
}

fn gold_paragraphs(lang: Lang, lines: Lines) -> Option<GoldSet> {
    let mut paragraphs = Vec::new();
    let (mut used, mut total) = (0, 0);
    for (text, translation) in pairs(lang) {
        let text = std::fs::read_to_string(shared_data(&format!("wmt21/{text}"))?).ok()?;
        let translation = std::fs::read_to_string(shared_data(&format!("wmt21/{translation}"))?).ok()?;
        let mut run: Vec<&str> = Vec::new();
        let mut flush = |run: &mut Vec<&str>| {
            if run.len() > 1 {
                let mut paragraph = String::new();
                let mut gold = Vec::new();
                for line in run.iter() {
                    if !paragraph.is_empty() {
                        gold.push(paragraph.len());
                        if lang == Lang::En {
                            paragraph.push(' ');
                        }
                    }
                    paragraph.push_str(line);
                }
                paragraphs.push((paragraph, gold));
            }
            run.clear();
        };
        for (line, other) in text.lines().zip(translation.lines()) {
            total += 1;
            let line = line.trim();
            let one_sentence = ends_with_terminal(line) && single_sentence(other, lang.other());
            if lines == Lines::All || one_sentence {
                used += 1;
                run.push(line);
                if run.len() == PARAGRAPH_LINES {
                    flush(&mut run);
                }
            } else {
                flush(&mut run);
            }
        }
        flush(&mut run);
    }
    Some(GoldSet {
        paragraphs,
        used,
        total,
    })
}

/// End offsets of every sentence but the last, locating each (trimmed) sentence in
/// the paragraph in order.
fn predicted_boundaries<'a>(paragraph: &str, sentences: impl Iterator<Item = &'a str>) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut cursor = 0;
    for sentence in sentences {
        let sentence = sentence.trim();
        if sentence.is_empty() {
            continue;
        }
        let start = cursor
            + paragraph[cursor..]
                .find(sentence)
                .expect("sentences are substrings in order");
        cursor = start + sentence.len();
        ends.push(cursor);
    }
    ends.pop();
    ends
}

#[derive(Debug, Default)]
struct Score {
    true_positives: usize,
    predicted: usize,
    gold: usize,
}

impl Score {
    fn add(&mut self, predicted: &[usize], gold: &[usize]) {
        self.true_positives += predicted.iter().filter(|p| gold.contains(p)).count();
        self.predicted += predicted.len();
        self.gold += gold.len();
    }

    fn precision(&self) -> f64 {
        self.true_positives as f64 / self.predicted.max(1) as f64
    }

    fn recall(&self) -> f64 {
        self.true_positives as f64 / self.gold.max(1) as f64
    }

    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

impl std::fmt::Display for Score {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "P {:.4} R {:.4} F1 {:.4} ({} gold, {} predicted, {} correct)",
            self.precision(),
            self.recall(),
            self.f1(),
            self.gold,
            self.predicted,
            self.true_positives
        )
    }
}

/// Scores bitext and the plain UAX #29 splitter (unicode-segmentation) on `lang`.
fn measure(lang: Lang, lines: Lines) -> Option<(Score, Score)> {
    let GoldSet {
        paragraphs,
        used,
        total,
    } = gold_paragraphs(lang, lines)?;
    let (mut ours, mut uax29) = (Score::default(), Score::default());
    for (paragraph, gold) in &paragraphs {
        let sentences = split_sentences(paragraph, lang);
        ours.add(
            &predicted_boundaries(paragraph, sentences.iter().map(String::as_str)),
            gold,
        );
        uax29.add(
            &predicted_boundaries(paragraph, paragraph.split_sentence_bounds()),
            gold,
        );
    }
    eprintln!(
        "wmt21 {lang} ({lines:?} lines): {used} of {total} lines used, {} paragraphs",
        paragraphs.len()
    );
    eprintln!("  bitext : {ours}");
    eprintln!("  UAX#29 : {uax29}");
    Some((ours, uax29))
}

#[test]
fn english_segmentation_recovers_wmt21_line_boundaries() {
    let Some((ours, uax29)) = measure(Lang::En, Lines::OneSentence) else {
        return;
    };
    assert!(ours.f1() >= 0.97, "English F1 {ours}");
    assert!(ours.f1() > uax29.f1(), "bitext {ours} vs UAX#29 {uax29}");
}

#[test]
fn chinese_segmentation_recovers_wmt21_line_boundaries() {
    let Some((ours, uax29)) = measure(Lang::Zh, Lines::OneSentence) else {
        return;
    };
    assert!(ours.f1() >= 0.97, "Chinese F1 {ours}");
    assert!(ours.f1() > uax29.f1(), "bitext {ours} vs UAX#29 {uax29}");
}

#[test]
fn all_lines_protocol_still_beats_uax29() {
    for lang in [Lang::En, Lang::Zh] {
        let Some((ours, uax29)) = measure(lang, Lines::All) else {
            return;
        };
        assert!(ours.f1() > uax29.f1(), "{lang}: bitext {ours} vs UAX#29 {uax29}");
    }
}

#[test]
fn segment_command_prints_one_sentence_a_line_from_stdin() {
    let mut child = bitext()
        .arg("segment")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("Mr. Li arrived. He left at 5 p.m. on Friday.\n增长了3.5%。“好！”他说。\n".as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Mr. Li arrived.\nHe left at 5 p.m. on Friday.\n增长了3.5%。\n“好！”他说。\n"
    );
}

#[test]
fn segment_command_on_an_article_keeps_paragraphs_apart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.txt");
    std::fs::write(
        &path,
        "Headline of the story\n\nFirst one. Second one.\n\nThird one.\nShare this article\n",
    )
    .unwrap();
    let out = bitext().arg("segment").arg(&path).output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Headline of the story\n\nFirst one.\nSecond one.\n\nThird one.\n\n"
    );
}
