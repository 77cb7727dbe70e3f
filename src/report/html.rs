//! The HTML of `report.html`: one file with its style and its one small script inline,
//! and a content security policy that forbids anything from elsewhere.

use super::{Gathered, ShownPair, BINS};
use crate::pipeline::manifest::{BeadSide, FileEntry, Status, Unaligned};
use std::collections::HashMap;
use std::fmt::Write;

/// Up to this many files the article table starts open; a longer one is laid out only
/// when opened, so that the page opens quickly.
const OPEN_ARTICLES: usize = 1000;

/// Thresholds under which the page counts the pairs.
const THRESHOLDS: [f64; 9] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

const STYLE: &str = "
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;max-width:1400px}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:2px 6px;vertical-align:top;text-align:left}
th{background:#f3f3f3}td.n{text-align:right;white-space:nowrap}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 1em}dt{font-weight:600}dd{margin:0}
.hist{display:flex;align-items:flex-end;height:120px;gap:2px;border-bottom:1px solid #888}
.hist div{flex:1;background:#4a7ab7;min-height:1px}.axis{display:flex;justify-content:space-between;font-size:12px;color:#555}
tr.flag td{background:#fde8e8}tr.gap td{background:#f6f6f6;color:#777;font-style:italic}
code{font-size:12px;word-break:break-all}
#articles{table-layout:fixed}#articles th{width:7%}#articles th:first-child{width:30%}#articles th:last-child{width:auto}
#articles td{overflow-wrap:anywhere}
";

/// Filters the article table by path as one types (the page works without it).
const SCRIPT: &str = "
(function(){var t=document.getElementById('articles');if(!t)return;
var i=document.createElement('input');i.id='filter';i.placeholder='filter articles by path';
i.addEventListener('input',function(){var q=i.value.toLowerCase();
for(var r of t.tBodies[0].rows){r.hidden=q&&r.cells[0].textContent.toLowerCase().indexOf(q)<0;}});
t.parentNode.insertBefore(i,t);})();
";

/// The whole page.
pub fn render(g: &Gathered) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let m = &g.manifest;
    let reasons: HashMap<(&str, usize), &str> = m
        .files
        .iter()
        .flat_map(|f| {
            f.rejected
                .iter()
                .map(move |r| ((f.path.as_str(), r.sentence), r.reason.as_str()))
        })
        .collect();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\
         <title>bitext report</title><style>{STYLE}</style></head><body>\n<h1>bitext report</h1>\n"
    );
    summary(&mut out, g);
    histogram(&mut out, g);
    let context = Context {
        reasons: &reasons,
        sampled: g,
    };
    out.push_str("<h2>Flagged pairs</h2>\n");
    if g.flagged_total == 0 {
        out.push_str("<p>No translation was rejected by the engine.</p>\n");
    } else {
        let _ = writeln!(
            out,
            "<p>Pairs whose translation the engine rejected even after a retry: \
             <span id=\"flagged-pairs\">{}</span>{}.</p>",
            g.flagged_total,
            if g.flagged.len() < g.flagged_total {
                format!(", the first {} shown", g.flagged.len())
            } else {
                String::new()
            }
        );
        pair_table(&mut out, &g.flagged, &context);
    }
    let _ = writeln!(out, "<h2>Lowest-scored pairs</h2>");
    if g.worst.is_empty() {
        out.push_str("<p>No pair has a score.</p>\n");
    } else {
        let _ = writeln!(out, "<p>The {} lowest scores, lowest first.</p>", g.worst.len());
        pair_table(&mut out, &g.worst, &context);
    }
    articles(&mut out, g);
    side_by_side(&mut out, g, &context);
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body></html>\n");
    out
}

/// What the pair tables look up.
struct Context<'a> {
    /// Reason of each rejection, by (file, sentence).
    reasons: &'a HashMap<(&'a str, usize), &'a str>,
    sampled: &'a Gathered,
}

fn summary(out: &mut String, g: &Gathered) {
    let m = &g.manifest;
    let t = &m.totals;
    let s = &m.timings;
    let _ = writeln!(
        out,
        "<dl>\
         <dt>Files</dt><dd><span id=\"n-files\">{}</span>: <span id=\"n-translated\">{}</span> translated, \
         <span id=\"n-skipped\">{}</span> skipped, <span id=\"n-failed\">{}</span> failed</dd>\
         <dt>Sentences</dt><dd><span id=\"n-sentences\">{}</span> ({} new to the engine)</dd>\
         <dt>Pairs</dt><dd><span id=\"n-pairs\">{}</span> in the manifest, <span id=\"n-corpus-pairs\">{}</span> in corpus.jsonl</dd>\
         <dt>Flagged</dt><dd><span id=\"n-flagged\">{}</span> translations rejected by the engine</dd>\
         <dt>Engine</dt><dd>{} {}→{}: <code id=\"signature\">{}</code></dd>\
         <dt>Tool</dt><dd>{} {}</dd>\
         <dt>Timings</dt><dd>{:.1} s in all: read {:.1} s, translate {:.1} s, write {:.1} s; \
         {:.1} engine sentences/s, {:.1} articles/min</dd>{}\
         </dl>",
        t.files,
        t.translated,
        t.skipped,
        t.failed,
        t.sentences,
        t.engine_sentences,
        t.pairs,
        g.pairs,
        t.flagged,
        escape(&m.engine.kind),
        escape(&m.engine.from),
        escape(&m.engine.to),
        escape(&m.engine.signature),
        escape(&m.tool),
        escape(&m.tool_version),
        s.total_s,
        s.read_s,
        s.translate_s,
        s.write_s,
        s.engine_sentences_per_s,
        s.articles_per_min,
        m.settings
            .pair_dir
            .as_ref()
            .map(|d| format!("<dt>Aligned with</dt><dd><code>{}</code></dd>", escape(d)))
            .unwrap_or_default()
    );
}

fn histogram(out: &mut String, g: &Gathered) {
    out.push_str("<h2>Pair scores</h2>\n");
    let scored = g.pairs - g.unscored;
    if scored == 0 {
        let _ = writeln!(
            out,
            "<p>No pair has a score (<span id=\"n-unscored\">{}</span> unscored): the engine does not check its answers.</p>",
            g.unscored
        );
        return;
    }
    let top = g.histogram.iter().copied().max().unwrap_or(1).max(1);
    out.push_str("<div class=\"hist\" id=\"histogram\">");
    for (i, &n) in g.histogram.iter().enumerate() {
        let (lo, hi) = (i as f64 / BINS as f64, (i + 1) as f64 / BINS as f64);
        let _ = write!(
            out,
            "<div style=\"height:{:.1}%\" title=\"{lo:.2}–{hi:.2}: {n} pairs\"></div>",
            100.0 * n as f64 / top as f64
        );
    }
    out.push_str("</div><div class=\"axis\"><span>0</span><span>0.5</span><span>1</span></div>\n");
    let _ = write!(
        out,
        "<p>{scored} scored pairs, <span id=\"n-unscored\">{}</span> unscored. Pairs below each threshold (what <code>--min-score</code> would drop):</p>\
         <table><tr><th>score &lt;</th>",
        g.unscored
    );
    for t in THRESHOLDS {
        let _ = write!(out, "<th>{t:.1}</th>");
    }
    out.push_str("</tr><tr><th>pairs</th>");
    for t in THRESHOLDS {
        let _ = write!(out, "<td class=\"n\" id=\"below-{t:.1}\">{}</td>", g.below(t));
    }
    out.push_str("</tr></table>\n");
}

/// A table of pairs with their file, score and (when flagged) the engine's reason.
fn pair_table(out: &mut String, pairs: &[ShownPair], c: &Context) {
    out.push_str("<table><tr><th>score</th><th>article</th><th>#</th><th>source</th><th>target</th><th>flag</th></tr>\n");
    for p in pairs {
        let pair = &p.pair;
        let reason = pair
            .src_ids
            .iter()
            .find_map(|&i| c.reasons.get(&(pair.doc.as_str(), i)))
            .copied()
            .unwrap_or("");
        let doc = if c.sampled.sample.contains_key(&pair.doc) {
            format!("<a href=\"#{}\">{}</a>", anchor(&pair.doc), escape(&pair.doc))
        } else {
            escape(&pair.doc)
        };
        let _ = writeln!(
            out,
            "<tr{}><td class=\"n\">{}</td><td>{doc}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if p.flagged { " class=\"flag\"" } else { "" },
            score(pair.score),
            ids(&pair.src_ids),
            escape(&pair.src),
            escape(&pair.tgt),
            escape(reason)
        );
    }
    out.push_str("</table>\n");
}

/// One row per file, with its sums.
fn articles(out: &mut String, g: &Gathered) {
    let _ = writeln!(
        out,
        "<h2>Articles</h2>\n<details{}><summary>All {} files; the {} linked ones are shown side by side below.</summary>\n\
         <table id=\"articles\"><thead><tr><th>path</th><th>status</th><th>sentences</th><th>pairs</th>\
         <th>flagged</th><th>mean score</th><th>min score</th><th>note</th></tr></thead><tbody>",
        if g.manifest.files.len() <= OPEN_ARTICLES { " open" } else { "" },
        g.manifest.files.len(),
        g.sample.len()
    );
    for f in &g.manifest.files {
        let stats = g.docs.get(&f.path).cloned().unwrap_or_default();
        let mean = (stats.scored > 0).then(|| stats.score_sum / stats.scored as f64);
        let path = if g.sample.contains_key(&f.path) {
            format!("<a href=\"#{}\">{}</a>", anchor(&f.path), escape(&f.path))
        } else {
            escape(&f.path)
        };
        let _ = writeln!(
            out,
            "<tr><td>{path}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            status(f.status),
            f.sentences,
            f.pairs,
            f.flagged,
            score(mean),
            score(stats.min_score),
            escape(&note(f))
        );
    }
    out.push_str("</tbody></table></details>\n");
}

/// The sampled articles, each sentence next to its translation or aligned sentence;
/// sentences that no pair covers (1-0 and 0-1 beads) get a row of their own.
fn side_by_side(out: &mut String, g: &Gathered, c: &Context) {
    out.push_str("<h2>Side by side</h2>\n");
    if g.sample.is_empty() {
        out.push_str("<p>No translated article.</p>\n");
    }
    let entries: HashMap<&str, &FileEntry> = g.manifest.files.iter().map(|f| (f.path.as_str(), f)).collect();
    for (path, pairs) in &g.sample {
        let sentences = entries.get(path.as_str()).map_or(0, |f| f.sentences);
        let _ = writeln!(
            out,
            "<details id=\"{}\"><summary><b>{}</b>: {} sentences, {} pairs</summary>\n\
             <table><tr><th>#</th><th>source</th><th>#</th><th>target</th><th>score</th></tr>",
            anchor(path),
            escape(path),
            sentences,
            pairs.len()
        );
        let unaligned = entries.get(path.as_str()).map_or(&[][..], |f| &f.unaligned[..]);
        for row in rows(pairs, unaligned) {
            match row {
                Row::Pair(p) => {
                    let reason = p
                        .pair
                        .src_ids
                        .iter()
                        .find_map(|&i| c.reasons.get(&(path.as_str(), i)))
                        .map(|r| format!(" ({})", escape(r)))
                        .unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "<tr{}><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}{reason}</td></tr>",
                        if p.flagged { " class=\"flag\"" } else { "" },
                        ids(&p.pair.src_ids),
                        escape(&p.pair.src),
                        ids(&p.pair.tgt_ids),
                        escape(&p.pair.tgt),
                        score(p.pair.score)
                    );
                }
                Row::Unaligned(u) => {
                    let (i, text) = (u.sentence, escape(&u.text));
                    let _ = match u.side {
                        BeadSide::Source => writeln!(
                            out,
                            "<tr class=\"gap\"><td class=\"n\">{i}</td><td>{text}</td><td></td><td>unaligned (1-0)</td><td></td></tr>"
                        ),
                        BeadSide::Target => writeln!(
                            out,
                            "<tr class=\"gap\"><td></td><td>unaligned (0-1)</td><td class=\"n\">{i}</td><td>{text}</td><td></td></tr>"
                        ),
                    };
                }
            }
        }
        out.push_str("</table></details>\n");
    }
}

/// A row of the side-by-side view.
#[derive(Debug, PartialEq)]
enum Row<'a> {
    Pair(&'a ShownPair),
    /// A sentence no pair holds.
    Unaligned(&'a Unaligned),
}

/// The pairs of one article in source order, with its `unaligned` sentences each placed
/// after the pairs that come before it on its side.
fn rows<'a>(pairs: &'a [ShownPair], unaligned: &'a [Unaligned]) -> Vec<Row<'a>> {
    let first = |ids: &[usize]| ids.first().copied().unwrap_or(0);
    let after = |ids: &[usize]| ids.last().map_or(0, |&i| i + 1);
    let mut keyed: Vec<((usize, usize, u8), Row)> = pairs
        .iter()
        .map(|p| ((first(&p.pair.src_ids), first(&p.pair.tgt_ids), 1), Row::Pair(p)))
        .collect();
    for u in unaligned {
        let i = u.sentence;
        let key = match u.side {
            BeadSide::Source => {
                let tgt = pairs.iter().filter(|p| first(&p.pair.src_ids) < i);
                (i, tgt.map(|p| after(&p.pair.tgt_ids)).max().unwrap_or(0), 0)
            }
            BeadSide::Target => {
                let src = pairs.iter().filter(|p| first(&p.pair.tgt_ids) < i);
                (src.map(|p| after(&p.pair.src_ids)).max().unwrap_or(0), i, 2)
            }
        };
        keyed.push((key, Row::Unaligned(u)));
    }
    keyed.sort_by_key(|(key, _)| *key);
    keyed.into_iter().map(|(_, row)| row).collect()
}

/// Why a file is as it is: the skip or failure reason, or the engine's rejections by reason.
fn note(f: &FileEntry) -> String {
    if let Some(reason) = &f.reason {
        return reason.clone();
    }
    f.rejections_by_reason()
        .iter()
        .map(|(reason, n)| format!("{n} {reason}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn status(s: Status) -> &'static str {
    match s {
        Status::Translated => "translated",
        Status::Skipped => "skipped",
        Status::Failed => "failed",
    }
}

fn score(s: Option<f64>) -> String {
    s.map_or_else(|| "–".into(), |s| format!("{s:.3}"))
}

fn ids(ids: &[usize]) -> String {
    ids.iter().map(usize::to_string).collect::<Vec<_>>().join(",")
}

/// An id for the article at `path`: `a-` and its path with every other character than
/// ASCII letters and digits written as `_` and its code.
fn anchor(path: &str) -> String {
    let mut id = String::from("a-");
    for c in path.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c);
        } else {
            let _ = write!(id, "_{:x}", c as u32);
        }
    }
    id
}

/// `text` with the characters HTML gives a meaning escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::SentencePair;
    use crate::text::Lang;

    fn pair(src: &[usize], tgt: &[usize]) -> ShownPair {
        ShownPair {
            pair: SentencePair {
                doc: "a.txt".into(),
                src_lang: Lang::En,
                tgt_lang: Lang::Zh,
                src: format!("s{src:?}"),
                tgt: format!("t{tgt:?}"),
                src_ids: src.to_vec(),
                tgt_ids: tgt.to_vec(),
                score: Some(0.5),
            },
            flagged: false,
        }
    }

    fn unaligned(side: BeadSide, sentence: usize) -> Unaligned {
        Unaligned {
            side,
            sentence,
            text: format!("{side:?} {sentence}"),
        }
    }

    #[test]
    fn unaligned_sentences_get_rows_in_their_place() {
        // Source 1 and 4 and targets 1 and 4 are in no pair (1-0 and 0-1 beads).
        let pairs = [pair(&[0], &[0]), pair(&[2, 3], &[2]), pair(&[5], &[3])];
        let alone = [
            unaligned(BeadSide::Source, 1),
            unaligned(BeadSide::Target, 1),
            unaligned(BeadSide::Source, 4),
            unaligned(BeadSide::Target, 4),
        ];
        assert_eq!(
            rows(&pairs, &alone),
            vec![
                Row::Pair(&pairs[0]),
                Row::Unaligned(&alone[0]),
                Row::Unaligned(&alone[1]),
                Row::Pair(&pairs[1]),
                Row::Unaligned(&alone[2]),
                Row::Pair(&pairs[2]),
                Row::Unaligned(&alone[3]),
            ]
        );
    }

    #[test]
    fn text_and_paths_are_escaped() {
        assert_eq!(escape("<b>\"A&B\"</b>"), "&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;");
        assert_eq!(anchor("en/a b.txt"), "a-en_2fa_20b_2etxt");
    }
}
