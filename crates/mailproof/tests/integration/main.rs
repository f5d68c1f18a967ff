#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Integration tests of the facade: the pipeline, Authentication-Results properties and the
//! ARC suite's Authentication-Results fields.

mod arc_suite;
mod auth_results;
mod pipeline;
