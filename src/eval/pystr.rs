//! The few Python string rules sacreBLEU's results depend on, so that scores match it
//! on every input, not only on ASCII.

/// Python's `str.isspace()`: Rust's Unicode `White_Space` plus the four ASCII information
/// separators U+001C..U+001F, which Python also treats as whitespace.
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.split()` without arguments.
pub fn split(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_space).filter(|t| !t.is_empty())
}

/// Python's `' '.join(s.split())`: single spaces between words, none at the ends.
pub fn squeeze_spaces(s: &str) -> String {
    split(s).collect::<Vec<_>>().join(" ")
}

/// Python's `str.strip()`.
pub fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// Python's `str.rstrip()`.
pub fn rstrip(s: &str) -> &str {
    s.trim_end_matches(is_space)
}

/// The lines of a text file as sacreBLEU reads them: split after each `\n` only, trailing
/// whitespace (including `\r`) removed, no empty line after a final newline.
pub fn lines(text: &str) -> Vec<String> {
    text.split_inclusive('\n')
        .map(|line| rstrip(line).to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_python_whitespace_including_separators_and_ideographic_space() {
        let got: Vec<_> = split(" a\u{1f}b\u{3000}c\u{a0}d\te\r\n").collect();
        assert_eq!(got, ["a", "b", "c", "d", "e"]);
        // Zero-width space is not whitespace in Python either.
        assert_eq!(split("a\u{200b}b").count(), 1);
    }

    #[test]
    fn reads_lines_like_sacrebleu() {
        assert_eq!(lines("a \r\nb\n\nc"), ["a", "b", "", "c"]);
        assert_eq!(lines("a\n"), ["a"]);
        assert!(lines("").is_empty());
        // A lone carriage return does not end a line.
        assert_eq!(lines("a\rb\n"), ["a\rb"]);
    }
}
