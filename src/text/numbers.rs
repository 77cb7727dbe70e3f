//! Numbers written in text, read one way by the aligner's anchors and the translation
//! checks alike, and rewritten at the other language's scale for the translator.

use std::borrow::Cow;

/// A number written in a text: its byte span and the text of that span.
pub struct Number<'a> {
    /// Byte offset of its first digit.
    pub start: usize,
    /// Byte offset just past its last digit.
    pub end: usize,
    /// The number as written.
    pub text: &'a str,
}

impl Number<'_> {
    /// The number with full-width digits folded to ASCII and thousands separators
    /// dropped; a decimal point stays (`１,０00.5` → `1000.5`).
    pub fn normalized(&self) -> String {
        self.text
            .chars()
            .filter_map(|c| match c {
                '0'..='9' | '.' => Some(c),
                '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
                _ => None,
            })
            .collect()
    }
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// The numbers of `text`: runs of ASCII or full-width digits, with a `.`, `,` or `，`
/// inside a run when an ASCII digit follows it.
pub fn numbers(text: &str) -> impl Iterator<Item = Number<'_>> {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let (start, _) = chars.find(|&(_, c)| is_digit(c))?;
        let mut end = text[start..]
            .chars()
            .next()
            .map_or(start, |c| start + c.len_utf8());
        while let Some(&(i, c)) = chars.peek() {
            let inside = matches!(c, '.' | ',' | '，')
                && text[i + c.len_utf8()..].starts_with(|next: char| next.is_ascii_digit());
            if !is_digit(c) && !inside {
                break;
            }
            chars.next();
            end = i + c.len_utf8();
        }
        Some(Number {
            start,
            end,
            text: &text[start..end],
        })
    })
}

/// A decimal number without the zeros (and point) it ends with.
fn trim_decimals(fixed: String) -> String {
    if fixed.contains('.') {
        fixed.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        fixed
    }
}

/// Chinese scale words after a number, and what they multiply it by, longest first.
const CHINESE_SCALES: &[(&str, f64)] = &[("万亿", 1e12), ("亿", 1e8), ("万", 1e4)];

/// `value` the way English news writes it: with a scale word from a million up (`1.75
/// billion`, `35 million`), in digits with thousands separators below (`350,000`).
fn english_amount(value: f64) -> String {
    // The spelled-out words of WRITTEN_SCALES, largest first.
    if let Some(&(word, scale)) = WRITTEN_SCALES[..3].iter().find(|&&(_, scale)| value >= scale) {
        return format!("{} {word}", trim_decimals(format!("{:.4}", value / scale)));
    }
    let fixed = trim_decimals(format!("{value:.2}"));
    let (whole, fraction) = fixed
        .split_once('.')
        .map_or((fixed.as_str(), None), |(w, f)| (w, Some(f)));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    match fraction {
        Some(f) => format!("{grouped}.{f}"),
        None => grouped,
    }
}

/// `value` the way Chinese news writes it: in 亿 or 万 from ten thousand up (`66.1亿`,
/// `1200万`), in digits below.
fn chinese_amount(value: f64) -> String {
    let (scaled, word) = CHINESE_SCALES
        .iter()
        .find(|&&(_, scale)| value >= scale)
        .map_or((value, ""), |&(word, scale)| (value / scale, word));
    format!("{}{word}", trim_decimals(format!("{scaled:.4}")))
}

/// `text` with every number followed by a Chinese scale word (`17.5亿`, `3500万`, `2万余`)
/// written at an English scale instead (`1.75 billion`, `35 million`, `20,000余`); `多`
/// or `余` between number and scale moves after it. Small models translating Chinese
/// multiply by the wrong power of ten more often than not (Coder-1.5B got 20 of 29 such
/// amounts wrong on WMT21 zh→en lines 1–500: `14亿` as "14 billion"); the arithmetic done
/// here leaves them only a copy to make.
pub fn with_english_scales(text: &str) -> Cow<'_, str> {
    rescale(text, english_amount, |rest| {
        let approximate = rest.chars().next().filter(|c| matches!(c, '多' | '余'));
        let marker = &rest[..approximate.map_or(0, char::len_utf8)];
        let after = &rest[marker.len()..];
        let &(word, scale) = CHINESE_SCALES.iter().find(|(word, _)| after.starts_with(word))?;
        Some((scale, marker.len() + word.len(), marker))
    })
}

/// `text` with every number followed by an English scale word (`6.61 billion`, `12
/// million`, `$2.5-billion`, `£3bn`) written at a Chinese scale instead (`66.1亿`,
/// `1200万`): Coder-1.5B wrote "US$6.61 billion" as `661亿美元` and "10 billion yuan" as
/// `10亿元` in the README's sample article.
pub fn with_chinese_scales(text: &str) -> Cow<'_, str> {
    rescale(text, chinese_amount, |rest| {
        let gap = rest.len() - rest.trim_start_matches([' ', '-']).len();
        let after = &rest[gap..];
        let lower = after.to_ascii_lowercase();
        let &(word, scale) = WRITTEN_SCALES.iter().find(|(word, _)| {
            lower.starts_with(word) && !lower[word.len()..].starts_with(|c: char| c.is_ascii_alphabetic())
        })?;
        Some((scale, gap + word.len(), ""))
    })
}

/// English scale words and abbreviations, and what they multiply a number by; the
/// spelled-out words first, largest first.
const WRITTEN_SCALES: &[(&str, f64)] = &[
    ("trillion", 1e12),
    ("billion", 1e9),
    ("million", 1e6),
    ("tn", 1e12),
    ("bn", 1e9),
    ("mn", 1e6),
];

/// `text` with each number whose following text `scale_after` reads as a scale (its
/// factor, the bytes it takes and what to write after the amount) rewritten by `write`.
fn rescale<'a>(
    text: &'a str,
    write: fn(f64) -> String,
    scale_after: impl Fn(&'a str) -> Option<(f64, usize, &'a str)>,
) -> Cow<'a, str> {
    let mut out = String::new();
    let mut copied = 0;
    for number in numbers(text) {
        let Some((scale, len, marker)) = scale_after(&text[number.end..]) else {
            continue;
        };
        let Some(value) = number
            .normalized()
            .parse::<f64>()
            .ok()
            .filter(|v| (v * scale).is_finite())
        else {
            continue;
        };
        out.push_str(&text[copied..number.start]);
        out.push_str(&write(value * scale));
        out.push_str(marker);
        copied = number.end + len;
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_scales_become_english_ones() {
        for (text, want) in [
            ("黄河流域补水17.5亿立方米", "黄河流域补水1.75 billion立方米"),
            ("峰值超过3500万，14亿人", "峰值超过35 million，1.4 billion人"),
            (
                "面积35万平方米，6.1万名，1.92万公顷",
                "面积350,000平方米，61,000名，19,200公顷",
            ),
            (
                "发展党员2万余名，9000多万人",
                "发展党员20,000余名，90 million多人",
            ),
            ("8亿元，3万亿美元", "800 million元，3 trillion美元"),
            ("没有数字", "没有数字"),
            ("2020年7月，30人", "2020年7月，30人"),
        ] {
            assert_eq!(with_english_scales(text), want, "{text}");
        }
        // Too large for an f64: left as written.
        let huge = format!("{}亿", "9".repeat(400));
        assert_eq!(with_english_scales(&huge), huge);
    }

    #[test]
    fn english_scales_become_chinese_ones() {
        for (text, want) in [
            (
                "investment reached US$6.61 billion",
                "investment reached US$66.1亿",
            ),
            (
                "10 billion yuan, 12 million visits, 1.4 million cases",
                "100亿 yuan, 1200万 visits, 140万 cases",
            ),
            (
                "a $2.5-billion deal, £3bn, 300 million people",
                "a $25亿 deal, £30亿, 3亿 people",
            ),
            ("$1 trillion", "$1万亿"),
            (
                "5 millionaires, 20 Billionen, 3 billions",
                "5 millionaires, 20 Billionen, 3 billions",
            ),
            ("3 bn, 7 m", "30亿, 7 m"),
            (
                "No scale: 600,000 people in 2020",
                "No scale: 600,000 people in 2020",
            ),
        ] {
            assert_eq!(with_chinese_scales(text), want, "{text}");
        }
    }

    #[test]
    fn numbers_are_found_with_their_spans_and_normalised() {
        let text = "GDP grew 2.5% to 1,000 yuan in ２０２１, up from 3.";
        let found: Vec<(usize, usize, String)> =
            numbers(text).map(|n| (n.start, n.end, n.normalized())).collect();
        assert_eq!(
            found.iter().map(|f| f.2.as_str()).collect::<Vec<_>>(),
            ["2.5", "1000", "2021", "3"]
        );
        assert_eq!(&text[found[1].0..found[1].1], "1,000");
        assert_eq!(&text[found[2].0..found[2].1], "２０２１");
    }
}
