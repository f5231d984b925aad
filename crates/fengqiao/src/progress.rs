//! The progress of long work (generating, benching, backing up, restoring, verifying): on a
//! terminal, one line redrawn with the share done, the rate and the time left; elsewhere (a log,
//! a pipe) the same as a plain line every ten seconds.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Progress {
    what: &'static str,
    total: u64,
    started: Instant,
    terminal: bool,
    state: Mutex<State>,
}

struct State {
    done: u64,
    shown: Instant,
}

impl Progress {
    /// Work on `total` items (0 when unknown), called `what` in the lines shown.
    pub fn new(what: &'static str, total: u64) -> Self {
        let started = Instant::now();
        let terminal = std::io::stderr().is_terminal();
        Self { what, total, started, terminal, state: Mutex::new(State { done: 0, shown: started }) }
    }

    /// `n` more items are done.
    pub fn advance(&self, n: u64) {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        state.done += n;
        let every = if self.terminal { Duration::from_millis(200) } else { Duration::from_secs(10) };
        if state.shown.elapsed() >= every {
            state.shown = Instant::now();
            self.show(state.done, false);
        }
    }

    /// The work is over: the last line, with the whole time taken.
    pub fn finish(&self) {
        let done = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).done;
        self.show(done, true);
    }

    fn show(&self, done: u64, finished: bool) {
        let line = self.line(done, self.started.elapsed(), finished);
        let mut err = std::io::stderr().lock();
        // A progress line that cannot be written is not worth failing the work for.
        let _ = if self.terminal && !finished {
            write!(err, "\r\x1b[2K{line}").and_then(|()| err.flush())
        } else if self.terminal {
            writeln!(err, "\r\x1b[2K{line}")
        } else {
            writeln!(err, "{line}")
        };
    }

    fn line(&self, done: u64, elapsed: Duration, finished: bool) -> String {
        let seconds = elapsed.as_secs_f64().max(0.001);
        let rate = done as f64 / seconds;
        if finished {
            return format!("{}: {done} in {:.1} s ({rate:.0}/s)", self.what, seconds);
        }
        if self.total == 0 {
            return format!("{}: {done} ({rate:.0}/s)", self.what);
        }
        let share = 100.0 * done as f64 / self.total as f64;
        let left = if rate > 0.0 {
            format!("{:.0} s left", self.total.saturating_sub(done) as f64 / rate)
        } else {
            "…".into()
        };
        format!("{}: {done}/{} ({share:.0} %) · {rate:.0}/s · {left}", self.what, self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_says_the_share_the_rate_and_the_time_left() {
        let progress = Progress::new("generating cases", 1000);
        assert_eq!(
            progress.line(250, Duration::from_secs(5), false),
            "generating cases: 250/1000 (25 %) · 50/s · 15 s left"
        );
        assert_eq!(progress.line(1000, Duration::from_secs(20), true), "generating cases: 1000 in 20.0 s (50/s)");
        let unknown = Progress::new("verifying cases", 0);
        assert_eq!(unknown.line(30, Duration::from_secs(3), false), "verifying cases: 30 (10/s)");
    }
}
