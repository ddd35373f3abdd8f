//! Progress bars on standard error when it is a terminal; silent otherwise
//! or with `--quiet`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

/// `--quiet`, for the feedback shown where no `Global` is at hand.
static QUIET: AtomicBool = AtomicBool::new(false);

/// Records `--quiet` (once, at the start).
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Runs `derive` (Argon2id: a second or more, with nothing else to show)
/// with a spinner that says so, on a terminal and without `--quiet`.
pub fn while_deriving<T>(derive: impl FnOnce() -> T) -> T {
    if QUIET.load(Ordering::Relaxed) || !std::io::stderr().is_terminal() {
        return derive();
    }
    let spinner = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    spinner.set_draw_target(ProgressDrawTarget::stderr());
    spinner.set_message("deriving the key from the password (Argon2id, memory-hard on purpose)");
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let out = derive();
    spinner.finish_and_clear();
    out
}

/// A progress bar, or nothing. Clones move the same bar (from the thread
/// that drives a stream).
#[derive(Debug, Clone)]
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// Whether a bar would be shown (so that its total is worth working
    /// out).
    #[must_use]
    pub fn shown(quiet: bool) -> bool {
        !quiet && std::io::stderr().is_terminal()
    }

    /// A bar for `total` bytes (a spinner if unknown) labelled `what`.
    #[must_use]
    pub fn new(total: Option<u64>, quiet: bool, what: &str) -> Self {
        if !Self::shown(quiet) {
            return Self(None);
        }
        let bar = match total {
            Some(t) => ProgressBar::new(t).with_style(
                ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{msg} {spinner} {bytes} {binary_bytes_per_sec}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        bar.set_draw_target(ProgressDrawTarget::stderr());
        bar.set_message(what.to_owned());
        Self(Some(bar))
    }

    /// Moves the bar to `bytes`.
    pub fn set(&self, bytes: u64) {
        if let Some(b) = &self.0 {
            b.set_position(bytes);
        }
    }

    /// Runs `f` (which prints a line) with the bar hidden.
    pub fn suspend<T>(&self, f: impl FnOnce() -> T) -> T {
        match &self.0 {
            Some(b) => b.suspend(f),
            None => f(),
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}
