//! The one integration test binary of mailproof-dkim: conformance vectors, RFC examples,
//! sign/verify round trips, one test per failure reason, regressions, interop with dkimpy and
//! OpenDKIM over real DNS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod conformance;
mod interop;
mod reasons;
mod regressions;
mod rfc_vectors;
mod round_trip;

use std::path::PathBuf;

use mailproof_dkim::{Clock, SignatureResult, Verifier};
use mailproof_dns::{Name, ZoneResolver};
use mailproof_message::Message;

/// Converts every bare LF to CRLF (what every DKIM harness does to LF-stored messages).
pub(crate) fn crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 16);
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' && (i == 0 || bytes[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// Runs a future on a fresh current-thread runtime.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

/// A zone with the given TXT records.
pub(crate) fn zone(records: &[(&str, &str)]) -> ZoneResolver {
    let mut zone = ZoneResolver::new();
    for (name, txt) in records {
        zone.add_txt(Name::new(name).unwrap(), &[*txt]);
    }
    zone
}

/// Verifies `raw` against `zone` with `verifier`.
pub(crate) fn verify_with(
    verifier: &Verifier,
    zone: &ZoneResolver,
    raw: &[u8],
) -> Vec<SignatureResult> {
    let message = Message::parse(raw).unwrap();
    block_on(verifier.verify(zone, &message))
}

/// Verifies `raw` with the default policy at `now`.
pub(crate) fn verify_at(zone: &ZoneResolver, raw: &[u8], now: u64) -> Vec<SignatureResult> {
    verify_with(
        &Verifier::default().with_clock(Clock::Fixed(now)),
        zone,
        raw,
    )
}

/// `testdata/dkim/` of this repository.
pub(crate) fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/dkim")
}
