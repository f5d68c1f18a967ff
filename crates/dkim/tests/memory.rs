//! Streaming verification of a 100 MiB body holds memory flat: less than 1 MiB allocated
//! beyond the header block, however long the body (issue 5, item 9).
//!
//! A test binary of its own, because it installs a counting global allocator.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::alloc::System;

use mailproof_dkim::{
    Canonicalization, Clock, DkimResult, DnsTxtRecord, Policy, Scratch, Signer, SigningKey,
    StreamingSigner, Verifier,
};
use mailproof_dns::{Answer, Name, Txt};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, Stats, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const CHUNK: usize = 64 << 10;
const CHUNKS: usize = 1600; // 100 MiB
const MIB: usize = 1 << 20;

/// Bytes live now, relative to the region's start.
fn live(stats: &Stats) -> isize {
    let allocated = isize::try_from(stats.bytes_allocated).unwrap();
    let deallocated = isize::try_from(stats.bytes_deallocated).unwrap();
    allocated - deallocated
}

/// 64 KiB of text lines (with some white space for relaxed canonicalization to rewrite),
/// ending with CRLF so chunks repeat cleanly.
fn chunk() -> Vec<u8> {
    let line = b"The quick brown fox  jumps over the lazy dog,\tagain and again. \r\n";
    let mut chunk = Vec::with_capacity(CHUNK);
    while chunk.len() + line.len() <= CHUNK {
        chunk.extend_from_slice(line);
    }
    while chunk.len() < CHUNK - 2 {
        chunk.push(b'x');
    }
    chunk.extend_from_slice(b"\r\n");
    chunk
}

#[test]
fn streaming_verification_of_100_mib_holds_memory_flat() {
    let key = || SigningKey::from_ed25519_seed(&[8; 32]).unwrap();
    let signers = [
        Signer::new(key(), "example.com", "ed").unwrap(),
        Signer::new(key(), "example.com", "ed")
            .unwrap()
            .with_canonicalization(Canonicalization::Relaxed, Canonicalization::Simple),
    ];
    let header = b"From: Alice <alice@example.com>\r\nTo: bob@example.net\r\n\
                   Subject: a large attachment\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n\r\n";
    let chunk = chunk();
    let mut signing = StreamingSigner::new(&signers).unwrap();
    signing.update(header);
    for _ in 0..CHUNKS {
        signing.update(&chunk);
    }
    let fields = signing.finish(Clock::Fixed(1_000)).unwrap();

    let record = DnsTxtRecord::for_key(&key());
    let answer = Answer::from_records(vec![Txt::new(record.as_str().as_bytes())], 60);
    let mut keys = |_: &Name| Ok(answer.clone());
    let verifier = Verifier::new(Policy::default()).with_clock(Clock::Fixed(1_000));
    let mut scratch = Scratch::new();

    let region = Region::new(GLOBAL);
    let mut streaming = verifier.streaming();
    streaming.update(fields.as_bytes());
    streaming.update(header);
    let header_block = fields.len() + header.len();
    let mut peak = live(&region.change());
    for _ in 0..CHUNKS {
        streaming.update(&chunk);
        peak = peak.max(live(&region.change()));
    }
    let results = streaming.finish_with_keys(&mut keys, &mut scratch).unwrap();
    let total = region.change();
    peak = peak.max(live(&total));

    assert_eq!(results.len(), 2);
    assert!(
        results.iter().all(|r| r.result() == DkimResult::Pass),
        "{results:?}"
    );
    let peak = usize::try_from(peak).unwrap();
    println!(
        "100 MiB body: header block {header_block} B; peak live {peak} B; \
         allocated in all {} B in {} allocations",
        total.bytes_allocated, total.allocations
    );
    assert!(peak < header_block + MIB, "peak {peak} B");
    // Stronger: everything ever allocated, not just what was live at once.
    assert!(
        total.bytes_allocated < header_block + MIB,
        "allocated {} B",
        total.bytes_allocated
    );
}
