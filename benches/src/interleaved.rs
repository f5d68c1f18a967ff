//! An interleaved timing mode for benches on a shared, loaded machine.
//!
//! Criterion times one row for seconds, then the next: when other work on the machine comes
//! and goes, two rows of one group see different loads and their ratio moves by tens of
//! percent between runs. Here every round times a short batch (about 0.2 ms) of each row of a
//! group in turn, and each row's median over the rounds is reported with its ratio to a
//! reference row. All rows see the same load, and with batches much shorter than a scheduler
//! time slice the median drops the batches that were preempted.

use std::time::Instant;

/// One timed row: a name and the work of one iteration.
pub struct Row<'a> {
    /// The row's name in the table.
    pub name: String,
    /// One iteration of the measured work.
    pub run: Box<dyn FnMut() + 'a>,
}

impl<'a> Row<'a> {
    /// A row named `name` running `run` once per iteration.
    pub fn new(name: impl Into<String>, run: impl FnMut() + 'a) -> Row<'a> {
        Row {
            name: name.into(),
            run: Box::new(run),
        }
    }
}

/// The rounds to run when `variable` is set in the environment to a number (e.g.
/// `MESSAGE_BENCH_INTERLEAVED=400`); `None` runs criterion as usual.
pub fn rounds_from_env(variable: &str) -> Option<usize> {
    std::env::var(variable).ok().and_then(|r| r.parse().ok())
}

/// Times the rows of one group interleaved, `rounds` batches each, and returns each row's
/// median time per iteration in seconds, in the rows' order.
///
/// Each batch starts right after the other rows' batches, so its first iteration finds the
/// caches and branch predictors full of their work: a row with a large code path pays for
/// that once per batch. [`medians_warm`] measures the steady state instead.
pub fn medians(rows: &mut [Row<'_>], rounds: usize) -> Vec<f64> {
    medians_with(rows, rounds, false)
}

/// [`medians`], with one untimed iteration before each timed batch, so that every batch
/// runs with the row's own code and data in the caches, as in criterion's long runs of one
/// row, while all rows still share the machine's load.
pub fn medians_warm(rows: &mut [Row<'_>], rounds: usize) -> Vec<f64> {
    medians_with(rows, rounds, true)
}

fn medians_with(rows: &mut [Row<'_>], rounds: usize, warm: bool) -> Vec<f64> {
    // Batch sizes: about 0.2 ms per batch, from one timed warm-up of three iterations.
    let batches: Vec<u32> = rows
        .iter_mut()
        .map(|row| {
            let start = Instant::now();
            for _ in 0..3 {
                (row.run)();
            }
            let each = start.elapsed().as_secs_f64() / 3.0;
            let n = (2e-4 / each.max(1e-9)).clamp(1.0, 100_000.0);
            // In range by the clamp.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let n = n as u32;
            n
        })
        .collect();
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); rows.len()];
    for _ in 0..rounds.max(1) {
        for ((row, &n), samples) in rows.iter_mut().zip(&batches).zip(&mut samples) {
            if warm {
                (row.run)();
            }
            let start = Instant::now();
            for _ in 0..n {
                (row.run)();
            }
            samples.push(start.elapsed().as_secs_f64() / f64::from(n));
        }
    }
    samples
        .iter_mut()
        .map(|samples| {
            samples.sort_by(f64::total_cmp);
            samples[samples.len() / 2]
        })
        .collect()
}

/// A time in the unit that suits it.
pub fn format_time(seconds: f64) -> String {
    if seconds < 1e-6 {
        format!("{:.0} ns", seconds * 1e9)
    } else if seconds < 1e-3 {
        format!("{:.2} µs", seconds * 1e6)
    } else {
        format!("{:.3} ms", seconds * 1e3)
    }
}
