//! Integration tests of mailproof-dns-hickory: against a real authoritative server (nsd, started
//! by `scripts/dns-server.sh`) and against the in-memory resolver loaded from the same zones.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

mod real_dns;
