//! Progress of a run: an indicatif bar on a terminal, periodic log lines otherwise,
//! nothing with `--quiet`.
//!
//! Both count what the run does (sentences translated, beads scored) as it is done
//! (through [`Progress::add_done`]), against an estimate of the run's total that
//! becomes exact once every file has been read. Log lines printed while the bar is
//! drawn go through [`write_stderr`], which lifts the bar for the time of the write,
//! so the bar stays one clean line under them.

use indicatif::{HumanDuration, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the plain log line is printed when stderr is not a terminal.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// The bar currently drawn on stderr, if any: stderr is one per process.
static DRAWN: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Writes `bytes` to stderr; while a bar is drawn, the bar is lifted for the write and
/// drawn again below the text.
pub fn write_stderr(bytes: &[u8]) -> std::io::Result<()> {
    let bar = DRAWN.lock().ok().and_then(|drawn| drawn.clone());
    match bar {
        Some(bar) => bar.suspend(|| std::io::stderr().write_all(bytes)),
        None => std::io::stderr().write_all(bytes),
    }
}

/// Prints `line` to stderr above the bar (see [`write_stderr`]).
pub fn eprint_line(line: &str) {
    // Nothing sensible can be done when stderr itself fails.
    let _ = write_stderr(format!("{line}\n").as_bytes());
}

/// Stderr for the log: every write goes through [`write_stderr`]. The tracing formatter
/// writes each event in one piece, so a log line is never split by the bar.
pub struct StderrAboveBar;

impl Write for StderrAboveBar {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        write_stderr(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Sentences and files done so far, shown as the run goes.
pub struct Progress {
    shared: Arc<Shared>,
}

struct Shared {
    bar: Option<ProgressBar>,
    log_lines: bool,
    counts: Mutex<Counts>,
}

/// What the bar and the log line show.
struct Counts {
    files_total: usize,
    files_done: usize,
    /// Bytes of all the input files, and of those read so far.
    bytes_total: u64,
    bytes_read: u64,
    /// What is counted: "sentences", "beads scored".
    unit: &'static str,
    /// Items of the files read so far (skipped files count 0).
    items_read: usize,
    items_done: usize,
    start: Instant,
    last_log: Instant,
}

impl Counts {
    /// The run's items, extrapolated from the files read so far by their bytes;
    /// exact once all are read.
    fn items_expected(&self) -> usize {
        if self.bytes_read >= self.bytes_total || self.bytes_read == 0 {
            return self.items_read.max(self.items_done);
        }
        let estimate = self.items_read as f64 * self.bytes_total as f64 / self.bytes_read as f64;
        (estimate.round() as usize).max(self.items_done)
    }

    /// Items per second since the start.
    fn rate(&self) -> f64 {
        self.items_done as f64 / self.start.elapsed().as_secs_f64().max(1e-9)
    }

    /// The plain progress line: `120/450 sentences (3.1/s, ETA 1m 46s), 2/31 files`.
    fn line(&self) -> String {
        let (expected, rate) = (self.items_expected(), self.rate());
        let eta = if rate > 0.0 {
            let secs = (expected.saturating_sub(self.items_done)) as f64 / rate;
            indicatif::HumanDuration(Duration::from_secs_f64(secs)).to_string()
        } else {
            "unknown".into()
        };
        format!(
            "{}/{expected} {} ({:.1}/s, ETA {eta}), {}/{} files",
            self.items_done, self.unit, rate, self.files_done, self.files_total
        )
    }
}

impl Progress {
    /// A reporter of sentences translated in `files_total` files of `bytes_total` bytes:
    /// a bar when stderr is a terminal and info logging is on, log lines when it is not a
    /// terminal, silence with `--quiet`.
    pub fn new(files_total: usize, bytes_total: u64) -> Progress {
        Progress::counting("sentences", files_total, bytes_total)
    }

    /// A reporter like [`Progress::new`] that counts `unit` ("beads scored"); `bytes_total`
    /// is whatever measure of the files [`Progress::file_read`] is given.
    pub fn counting(unit: &'static str, files_total: usize, bytes_total: u64) -> Progress {
        let verbose = tracing::enabled!(tracing::Level::INFO);
        let tty = std::io::stderr().is_terminal();
        let bar = (verbose && tty).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(&format!(
                "{{bar:25}} {{pos}}/{{len}} {unit} ({{msg}}) [{{elapsed_precise}}, ETA {{eta}}]"
            ))
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            // indicatif estimates 0 s before the first item is done.
            .with_key("eta", |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = match state.pos() {
                    0 => write!(w, "unknown"),
                    _ => write!(w, "{:#}", HumanDuration(state.eta())),
                };
            });
            bar.set_style(style);
            // Elapsed time and ETA move even while a long batch runs.
            bar.enable_steady_tick(Duration::from_millis(500));
            if let Ok(mut drawn) = DRAWN.lock() {
                *drawn = Some(bar.clone());
            }
            bar
        });
        Progress::with(bar, verbose && !tty, unit, files_total, bytes_total)
    }

    /// A reporter that prints nothing (for library use and tests).
    pub fn hidden(files_total: usize, bytes_total: u64) -> Progress {
        Progress::with(None, false, "sentences", files_total, bytes_total)
    }

    fn with(
        bar: Option<ProgressBar>,
        log_lines: bool,
        unit: &'static str,
        files_total: usize,
        bytes_total: u64,
    ) -> Progress {
        let now = Instant::now();
        Progress {
            shared: Arc::new(Shared {
                bar,
                log_lines,
                counts: Mutex::new(Counts {
                    files_total,
                    files_done: 0,
                    bytes_total,
                    bytes_read: 0,
                    unit,
                    items_read: 0,
                    items_done: 0,
                    start: now,
                    last_log: now,
                }),
            }),
        }
    }

    /// Records that a file of `bytes` was read, with `items` to do.
    pub fn file_read(&self, bytes: u64, items: usize) {
        self.shared.update(|c| {
            c.bytes_read += bytes;
            c.items_read += items;
        });
    }

    /// Items done so far.
    pub fn done(&self) -> usize {
        self.shared.counts.lock().map_or(0, |c| c.items_done)
    }

    /// Sets the items done so far to `done` (the sentences found in the cache at the
    /// start of a chunk, every source sentence at its end).
    pub fn set_done(&self, done: usize) {
        self.shared.update(|c| c.items_done = done);
    }

    /// Records that one more file is written.
    pub fn file_done(&self) {
        self.shared.update(|c| c.files_done += 1);
    }

    /// Records that `items` more are done.
    pub fn add_done(&self, items: usize) {
        self.shared.update(|c| c.items_done += items);
    }

    /// The counts as the plain log line prints them.
    pub fn line(&self) -> String {
        self.shared.counts.lock().map(|c| c.line()).unwrap_or_default()
    }

    /// Removes the bar; without a terminal, prints the final counts.
    pub fn finish(&self) {
        self.clear();
        if self.shared.log_lines {
            tracing::info!("{}", self.line());
        }
    }

    fn clear(&self) {
        if let Some(bar) = &self.shared.bar {
            bar.finish_and_clear();
            if let Ok(mut drawn) = DRAWN.lock() {
                *drawn = None;
            }
        }
    }
}

impl crate::align::document::RegroupProgress for Progress {
    fn document(&self, sentences: u64, beads: usize) {
        self.file_read(sentences, beads);
    }

    fn scored(&self, beads: usize) {
        self.add_done(beads);
    }

    fn document_done(&self) {
        self.file_done();
    }
}

impl Drop for Progress {
    /// A run that ends in an error leaves no bar behind.
    fn drop(&mut self) {
        self.clear();
    }
}

impl Shared {
    /// Applies `change` to the counts and shows them: on the bar at once, as a log line
    /// at most every [`LOG_EVERY`].
    fn update(&self, change: impl FnOnce(&mut Counts)) {
        let Ok(mut counts) = self.counts.lock() else {
            return;
        };
        change(&mut counts);
        if let Some(bar) = &self.bar {
            bar.set_length(counts.items_expected() as u64);
            bar.set_position(counts.items_done as u64);
            bar.set_message(format!(
                "{:.1}/s, {}/{} files",
                counts.rate(),
                counts.files_done,
                counts.files_total
            ));
        } else if self.log_lines && counts.last_log.elapsed() >= LOG_EVERY {
            counts.last_log = Instant::now();
            let line = counts.line();
            drop(counts);
            tracing::info!("{line}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finished_sentences_move_the_count_and_the_estimate_follows_the_bytes_read() {
        let progress = Progress::hidden(4, 1000);
        // A quarter of the bytes read, holding 30 sentences: about 120 expected.
        progress.file_read(250, 30);
        progress.add_done(1);
        progress.add_done(2);
        assert_eq!(progress.done(), 3);
        assert!(
            progress.line().starts_with("3/120 sentences ("),
            "{}",
            progress.line()
        );
        progress.set_done(30);
        progress.file_done();
        progress.file_read(750, 60);
        let line = progress.line();
        assert!(line.starts_with("30/90 sentences ("), "{line}");
        assert!(line.contains("ETA ") && line.ends_with(", 1/4 files"), "{line}");
    }

    #[test]
    fn a_run_counting_other_things_names_them() {
        let progress = Progress::counting("beads scored", 2, 10);
        // The first of two documents holds half the sentences and 40 beads to score.
        progress.file_read(5, 40);
        progress.add_done(16);
        let line = progress.line();
        assert!(line.starts_with("16/80 beads scored ("), "{line}");
        assert!(line.ends_with(", 0/2 files"), "{line}");
    }
}
