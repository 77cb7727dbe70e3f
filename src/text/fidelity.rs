//! Checks that a translation keeps what translation must not change: the source's
//! numbers, and no stutter (a word said over and over, the loop of a small model).

use crate::text::detect::is_han;
use crate::text::numbers::{numbers, Number};
use crate::text::Lang;

/// Letters that may follow a number and still leave it a quantity: scales (`10m`,
/// `5bn`, `3k`), units, ordinals and decades. Any other letters make it part of a name
/// or code (`5G`, `737Max`), which is not checked.
const QUANTITY_SUFFIXES: &[&str] = &[
    "m", "bn", "k", "km", "kg", "cm", "mm", "st", "nd", "rd", "th", "s", "am", "pm",
];

/// A number's significant digits: separators, the decimal point and the zeros at
/// either end dropped, so that the same quantity matches across a change of scale
/// (`1.4 million` and `140万`, `27,000` and `2.7万`).
fn significant_digits(number: &Number<'_>) -> String {
    let digits: String = number.normalized().chars().filter(char::is_ascii_digit).collect();
    digits.trim_matches('0').to_string()
}

/// The forms (significant digits) in which a translation may write the number at
/// `start..end` of `text`, or none when it is not a quantity to check: fewer than two
/// digits, glued to a name or code (`COVID-19`, `Ka-52M`, `5G`), or in Chinese a month or
/// day (`12月` becomes `December`; the day of a dateline is often left out). A Chinese
/// hour past noon (`22点`) may also be written on the 12-hour clock (`10 PM`).
fn forms(text: &str, number: &Number<'_>, from: Lang) -> Vec<String> {
    let digits = significant_digits(number);
    if number.normalized().chars().filter(char::is_ascii_digit).count() < 2 {
        return Vec::new();
    }
    let before = text[..number.start]
        .strip_suffix('-')
        .unwrap_or(&text[..number.start]);
    if before
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_alphabetic())
    {
        return Vec::new();
    }
    let after = &text[number.end..];
    let after = after.strip_prefix('-').unwrap_or(after);
    let letters: String = after.chars().take_while(char::is_ascii_alphabetic).collect();
    if !letters.is_empty() && !QUANTITY_SUFFIXES.contains(&letters.to_ascii_lowercase().as_str()) {
        return Vec::new();
    }
    let unit = after.trim_start().chars().next();
    if from == Lang::Zh && matches!(unit, Some('月' | '日' | '号')) {
        return Vec::new();
    }
    let mut forms = vec![digits];
    if from == Lang::Zh && matches!(unit, Some('点' | '时')) {
        if let Ok(hour @ 13..=24) = number.normalized().parse::<u32>() {
            forms.push((hour - 12).to_string().trim_matches('0').to_string());
        }
    }
    forms.retain(|form| !form.is_empty());
    forms
}

/// The numbers of `source` (in language `from`) whose significant digits
/// `translation` does not write anywhere, in source order. Only quantities of two or
/// more digits are checked (see [`forms`]): one-digit numbers are often written out
/// (`第一`, `five`). On the first 500 WMT21 lines the human references miss 4 (en→zh) and
/// 4 (zh→en) of their sources' numbers by this rule.
pub fn missing_numbers(source: &str, translation: &str, from: Lang) -> Vec<String> {
    let written: Vec<String> = numbers(translation).map(|n| significant_digits(&n)).collect();
    numbers(source)
        .filter(|n| {
            let forms = forms(source, n, from);
            !forms.is_empty() && !forms.iter().any(|form| written.contains(form))
        })
        .map(|n| n.text.to_string())
        .collect()
}

/// The first run of one to four words said three times in a row in `text` (`票票票`,
/// `the the the`, `发展中国发展中国发展中国`), ignoring spaces, digits and punctuation
/// between them and case, as written the first time. A word is a Han character or a
/// run of Latin letters.
pub fn stutter(text: &str) -> Option<&str> {
    // Byte spans of the words.
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut latin_start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if c.is_ascii_alphabetic() {
            latin_start.get_or_insert(i);
            continue;
        }
        if let Some(start) = latin_start.take() {
            words.push((start, i));
        }
        if is_han(c) {
            words.push((i, i + c.len_utf8()));
        }
    }
    if let Some(start) = latin_start {
        words.push((start, text.len()));
    }
    let word = |&(start, end): &(usize, usize)| &text[start..end];
    (1..=4).find_map(|n| {
        words
            .windows(3 * n)
            .find(|w| {
                (0..n).all(|k| {
                    let first = word(&w[k]);
                    first.eq_ignore_ascii_case(word(&w[n + k]))
                        && first.eq_ignore_ascii_case(word(&w[2 * n + k]))
                })
            })
            .map(|w| &text[w[0].0..w[n - 1].1])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_by_their_significant_digits() {
        assert!(missing_numbers(
            "Cases neared 1.4 million, with 27,000 deaths.",
            "病例接近140万，2.7万人死亡。",
            Lang::En
        )
        .is_empty());
        assert!(missing_numbers("A ticket costs 45 yuan.", "票价是45元。", Lang::En).is_empty());
        assert_eq!(
            missing_numbers(
                "It cuts the commute to 30 minutes.",
                "通勤时间缩短到15分钟。",
                Lang::En
            ),
            ["30"]
        );
        assert_eq!(
            missing_numbers(
                "截至2019年底，共有178种野生动物。",
                "By the end of the year there were 178 species.",
                Lang::Zh
            ),
            ["2019"]
        );
    }

    #[test]
    fn names_codes_months_and_single_digits_are_not_checked() {
        assert!(missing_numbers(
            "COVID-19 cases in 5G towns, Ka-52M, 3 boats.",
            "新冠病例，三艘船。",
            Lang::En
        )
        .is_empty());
        assert!(missing_numbers("新华社成都12月26日电", "CHENGDU (Xinhua)", Lang::Zh).is_empty());
        assert_eq!(
            missing_numbers("新华社成都12月26日电，共有178人。", "CHENGDU (Xinhua)", Lang::Zh),
            ["178"]
        );
        // Hours past noon may go on the 12-hour clock.
        assert!(missing_numbers(
            "最佳睡眠时间是22点到23点。",
            "Sleep from 10 PM to 11 PM.",
            Lang::Zh
        )
        .is_empty());
        assert_eq!(
            missing_numbers("最佳时间是22点。", "The best time is 9 PM.", Lang::Zh),
            ["22"]
        );
        // Scales and units still count as quantities.
        assert_eq!(missing_numbers("a £10m fund", "一项基金", Lang::En), ["10"]);
    }

    #[test]
    fn a_word_said_three_times_is_a_stutter() {
        assert_eq!(stutter("一票票票票价是45元"), Some("票"));
        assert_eq!(stutter("It is the the the best."), Some("the"));
        assert_eq!(stutter("发展中国，发展中国，发展中国"), Some("发展中国"));
        assert_eq!(stutter("very good, very good, very good"), Some("very good"));
        assert_eq!(stutter("常常看看，人人都说1000元。"), None);
        assert_eq!(stutter("He said no, no."), None);
    }
}
