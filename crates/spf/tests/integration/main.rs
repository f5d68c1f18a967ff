//! Integration tests of mailproof-spf: one binary, one module per area.
//!
//! - `conformance`: shared helpers (where the suites live, running one check).
//! - `openspf`: the OpenSPF RFC 7208 and RFC 4408 suites, and our own vectors in
//!   `testdata/spf/`, through the in-memory zone resolver.
//! - `stalwart`: Stalwart's line-oriented SPF scripts.
//! - `api`: behaviour of the public API that the suites do not pin down.
//! - `properties`: proptest properties of the parser and the macro expander.
//! - `regressions`: inputs that once crashed or misbehaved, by name.
//! - `real_dns`: records of `testdata/zones/spf.test.zone` served by nsd, through hickory.
//! - `pyspf_interop`: `testdata/spf/interop/cases.tsv` through pyspf and through mailproof.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

mod api;
mod conformance;
mod openspf;
mod properties;
mod pyspf_interop;
mod real_dns;
mod regressions;
mod stalwart;
