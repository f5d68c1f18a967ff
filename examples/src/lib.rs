//! Runnable examples of the mailproof crates live in `examples/`; this library is empty.
