//! Helpers shared by the conformance harnesses.

use std::io::Write as _;
use std::path::PathBuf;

/// The shared conformance tree: `$MAILPROOF_CONFORMANCE`, or `../shared/conformance` next to
/// the workspace.
pub(crate) fn suite_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("MAILPROOF_CONFORMANCE").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
        PathBuf::from,
    );
    if dir.is_dir() {
        Some(dir)
    } else {
        assert!(
            std::env::var("MAILPROOF_REQUIRE_CONFORMANCE").as_deref() != Ok("1"),
            "conformance suite not found at {} and MAILPROOF_REQUIRE_CONFORMANCE=1",
            dir.display()
        );
        let _ = writeln!(
            std::io::stderr(),
            "skipped: conformance suite not found at {}",
            dir.display()
        );
        None
    }
}

/// The workspace's `testdata/spf/` folder.
pub(crate) fn testdata_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/spf")
}

/// Runs a future to completion on a fresh single-threaded runtime.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

/// A known failure: the test name and why it is expected to fail.
pub(crate) struct Skip {
    pub(crate) test: &'static str,
    pub(crate) reason: &'static str,
}

/// Tallies a suite run and enforces the skip list: every failure must be listed, and every
/// listed test must still fail.
pub(crate) struct Tally {
    pub(crate) suite: String,
    pub(crate) passed: usize,
    pub(crate) total: usize,
    /// Tests whose explanation text was compared (and matched).
    pub(crate) explanations_checked: usize,
    pub(crate) unexpected_failures: Vec<String>,
    pub(crate) expected_failures: Vec<String>,
    pub(crate) skip_list_passing: Vec<String>,
}

impl Tally {
    pub(crate) fn new(suite: &str) -> Tally {
        Tally {
            suite: suite.to_owned(),
            passed: 0,
            total: 0,
            explanations_checked: 0,
            unexpected_failures: Vec::new(),
            expected_failures: Vec::new(),
            skip_list_passing: Vec::new(),
        }
    }

    pub(crate) fn record(&mut self, name: &str, failure: Option<String>, skips: &[Skip]) {
        self.total += 1;
        let skip = skips.iter().find(|s| s.test == name);
        match (failure, skip) {
            (None, None) => self.passed += 1,
            (None, Some(_)) => {
                self.passed += 1;
                self.skip_list_passing.push(name.to_owned());
            }
            (Some(message), None) => self.unexpected_failures.push(format!("{name}: {message}")),
            (Some(message), Some(skip)) => self
                .expected_failures
                .push(format!("{name}: {message} [skip: {}]", skip.reason)),
        }
    }

    pub(crate) fn finish(self) {
        // Written to stderr directly, past libtest's capture, so the counts show in every run.
        let _ = writeln!(
            std::io::stderr(),
            "{}: {}/{} passed ({} on the skip list, {} explanations checked)",
            self.suite,
            self.passed,
            self.total,
            self.expected_failures.len(),
            self.explanations_checked
        );
        for line in &self.expected_failures {
            println!("  expected failure: {line}");
        }
        assert!(
            self.unexpected_failures.is_empty() && self.skip_list_passing.is_empty(),
            "{}: unexpected failures:\n  {}\nskip-listed tests now passing (remove them):\n  {}",
            self.suite,
            self.unexpected_failures.join("\n  "),
            self.skip_list_passing.join("\n  ")
        );
    }
}
