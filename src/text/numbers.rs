//! Numbers written in text, read one way by the aligner's anchors and the translation
//! checks alike.

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

#[cfg(test)]
mod tests {
    use super::*;

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
