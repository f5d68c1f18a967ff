//! Shared inputs for the criterion benches in `benches/benches/`.
//!
//! [`fixtures`] is plain data (bytes and strings), built deterministically, so that our
//! crates and the peers (mail-auth, mail-parser, behind the `compare` feature) are measured on
//! exactly the same messages and DNS records. [`dns`] loads the records into our
//! `ZoneResolver` and, with `compare`, into mail-auth's caches. [`interleaved`] is a timing
//! mode for loaded machines that benches offer beside criterion.

pub mod dns;
pub mod fixtures;
pub mod interleaved;
