//! Progress of a run: an indicatif bar on a terminal, periodic log lines otherwise,
//! nothing with `--quiet`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// How often the plain log line is printed when stderr is not a terminal.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Files and sentences done so far, shown as the run goes.
pub struct Progress {
    bar: Option<ProgressBar>,
    log_lines: bool,
    files_total: usize,
    files_done: usize,
    sentences: usize,
    start: Instant,
    last_log: Instant,
}

impl Progress {
    /// A reporter for `files_total` files: a bar when stderr is a terminal and info
    /// logging is on, log lines when it is not a terminal, silence with `--quiet`.
    pub fn new(files_total: usize) -> Progress {
        let verbose = tracing::enabled!(tracing::Level::INFO);
        let tty = std::io::stderr().is_terminal();
        let bar = (verbose && tty).then(|| {
            let bar = ProgressBar::with_draw_target(Some(files_total as u64), ProgressDrawTarget::stderr());
            let style =
                ProgressStyle::with_template("{bar:30} {pos}/{len} files, {msg} [{elapsed_precise} < {eta}]")
                    .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Progress::with(bar, verbose && !tty, files_total)
    }

    /// A reporter that prints nothing (for library use and tests).
    pub fn hidden(files_total: usize) -> Progress {
        Progress::with(None, false, files_total)
    }

    fn with(bar: Option<ProgressBar>, log_lines: bool, files_total: usize) -> Progress {
        let now = Instant::now();
        Progress {
            bar,
            log_lines,
            files_total,
            files_done: 0,
            sentences: 0,
            start: now,
            last_log: now,
        }
    }

    /// Records that one more file is done, with its `sentences`.
    pub fn file_done(&mut self, sentences: usize) {
        self.files_done += 1;
        self.sentences += sentences;
        let rate = self.sentences as f64 / self.start.elapsed().as_secs_f64().max(1e-9);
        if let Some(bar) = &self.bar {
            bar.set_position(self.files_done as u64);
            bar.set_message(format!("{} sentences ({rate:.1}/s)", self.sentences));
        } else if self.log_lines
            && (self.last_log.elapsed() >= LOG_EVERY || self.files_done == self.files_total)
        {
            self.last_log = Instant::now();
            tracing::info!(
                "{}/{} files, {} sentences ({rate:.1}/s)",
                self.files_done,
                self.files_total,
                self.sentences
            );
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
