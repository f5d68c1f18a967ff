//! Integration tests of mailproof-dns: zone files, and properties of the wrappers.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

mod props;
mod zone_file;

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}
