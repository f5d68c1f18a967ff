//! Integration tests of mailproof-dmarc: one binary, one module per topic.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions: a panic is a test failure"
)]

mod alignment_property;
mod psl_conformance;
mod reports;
mod scenarios;
mod tree_walk;

use std::future::Future;

use mailproof_dns::Name;

/// A name from test text.
fn name(text: &str) -> Name {
    Name::new(text).unwrap()
}

/// Runs a future to completion on a fresh single-threaded runtime.
fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}
