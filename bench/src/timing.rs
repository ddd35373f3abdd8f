//! Timing workloads, and comparing two of them in interleaved rounds.
//!
//! A ratio of two throughputs measured minutes apart on a shared machine
//! says more about the neighbours than about the code. [`interleave`]
//! alternates A and B in short rounds (A B, then B A, ...), takes the ratio
//! of each round, and reports the median: noise that lasts longer than a
//! round hits both sides of the ratio.

use crate::Workload;
use std::time::{Duration, Instant};

/// How long to measure.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// A/B rounds per comparison.
    pub rounds: usize,
    /// The time each side gets per round.
    pub round: Duration,
}

impl Plan {
    /// `--quick`: about a second per comparison.
    pub const QUICK: Self = Self { rounds: 7, round: Duration::from_millis(30) };
    /// The default: steadier figures, several seconds per comparison.
    pub const FULL: Self = Self { rounds: 15, round: Duration::from_millis(150) };
}

/// The median of `values` (which must not be empty).
#[must_use]
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 { values[mid] } else { (values[mid - 1] + values[mid]) / 2.0 }
}

/// What `Instant::now()` twice costs here (subtracted from runs timed one
/// by one).
fn timer_overhead() -> Duration {
    let mut samples: Vec<f64> = (0..101)
        .map(|_| {
            let t = Instant::now();
            t.elapsed().as_secs_f64()
        })
        .collect();
    Duration::from_secs_f64(median(&mut samples))
}

/// Runs `w` `iters` times and returns the time the runs took. Workloads
/// that need an untimed `prepare` are timed run by run (less the timer's
/// own cost); the others as one loop.
pub fn time_runs(w: &mut dyn Workload, iters: u64) -> Duration {
    if !w.needs_prepare() {
        let t = Instant::now();
        for _ in 0..iters {
            w.run();
        }
        return t.elapsed();
    }
    let overhead = timer_overhead();
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        w.prepare();
        let t = Instant::now();
        w.run();
        total += t.elapsed().saturating_sub(overhead);
    }
    total.max(Duration::from_nanos(1))
}

/// A workload calibrated to run for about `round` per round.
struct Calibrated<'a> {
    w: &'a mut dyn Workload,
    iters: u64,
}

impl<'a> Calibrated<'a> {
    fn new(w: &'a mut dyn Workload, round: Duration) -> Self {
        // Warm up (page faults, caches, lazy allocations), then time a few
        // runs to size the rounds.
        time_runs(w, 1);
        let one = time_runs(w, 1).max(Duration::from_nanos(20));
        let iters = (round.as_secs_f64() / one.as_secs_f64()).clamp(1.0, 1e7) as u64;
        Self { w, iters }
    }

    /// Bytes per second over one round.
    fn round(&mut self) -> f64 {
        let t = time_runs(self.w, self.iters);
        (self.w.bytes() * self.iters) as f64 / t.as_secs_f64()
    }
}

/// The outcome of an A/B comparison.
#[derive(Clone, Copy, Debug)]
pub struct Comparison {
    /// A's median throughput, bytes per second.
    pub a: f64,
    /// B's median throughput, bytes per second.
    pub b: f64,
    /// The median of the per-round ratios A/B.
    pub ratio: f64,
    /// The lowest and highest per-round ratio: how steady the run was.
    pub ratio_range: (f64, f64),
}

/// Compares `a` and `b` in `plan.rounds` interleaved rounds.
pub fn interleave(a: &mut dyn Workload, b: &mut dyn Workload, plan: Plan) -> Comparison {
    let mut a = Calibrated::new(a, plan.round);
    let mut b = Calibrated::new(b, plan.round);
    let (mut ta, mut tb, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for r in 0..plan.rounds.max(1) {
        let (x, y) = if r % 2 == 0 {
            let x = a.round();
            (x, b.round())
        } else {
            let y = b.round();
            (a.round(), y)
        };
        ta.push(x);
        tb.push(y);
        ratios.push(x / y);
    }
    let ratio = median(&mut ratios);
    let range = (ratios.first().copied().unwrap_or(ratio), ratios.last().copied().unwrap_or(ratio));
    Comparison { a: median(&mut ta), b: median(&mut tb), ratio, ratio_range: range }
}

/// One workload's median throughput over `plan.rounds` rounds, in bytes
/// per second.
pub fn throughput(w: &mut dyn Workload, plan: Plan) -> f64 {
    let mut c = Calibrated::new(w, plan.round);
    let mut samples: Vec<f64> = (0..plan.rounds.max(1)).map(|_| c.round()).collect();
    median(&mut samples)
}

/// One workload's median time per run, for latencies.
pub fn latency(w: &mut dyn Workload, runs: usize) -> Duration {
    let mut samples: Vec<f64> = (0..runs.max(1)).map(|_| time_runs(w, 1).as_secs_f64()).collect();
    Duration::from_secs_f64(median(&mut samples))
}
