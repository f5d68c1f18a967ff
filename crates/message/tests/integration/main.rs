//! Integration tests for `mailproof-message`: conformance suites, property
//! tests and regression cases, one binary with a module each.

// Test code: a panic is the failure report, and the harness walks JSON of
// upstream's shape, so unwraps and long comparison functions are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

mod conformance;
mod props;
mod regressions;
