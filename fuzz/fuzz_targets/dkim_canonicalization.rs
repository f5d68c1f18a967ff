//! Differential target: the streaming DKIM body canonicalizer, fed the input in fuzzer-chosen
//! chunks, against a naive one-shot reference written here from RFC 6376 §3.4.3 and §3.4.4
//! (the regular-expression formulation dkimpy uses), independent of the crate's own tests.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailproof_dkim::{BodyCanonicalizer, Canonicalization};

/// `(\r\n)*$` replaced by one CRLF: trailing empty lines removed, a missing final CRLF added.
fn strip_trailing_lines(mut body: Vec<u8>) -> Vec<u8> {
    while body.ends_with(b"\r\n") {
        body.truncate(body.len() - 2);
    }
    body.extend_from_slice(b"\r\n");
    body
}

/// §3.4.3: an empty body becomes CRLF; otherwise only trailing empty lines go.
fn simple(body: &[u8]) -> Vec<u8> {
    strip_trailing_lines(body.to_vec())
}

/// §3.4.4: runs of WSP become one SP, WSP before CRLF goes, trailing empty lines go, and an
/// empty result stays empty.
fn relaxed(body: &[u8]) -> Vec<u8> {
    let mut compressed = Vec::with_capacity(body.len());
    let mut in_wsp = false;
    for &b in body {
        if b == b' ' || b == b'\t' {
            in_wsp = true;
            continue;
        }
        if in_wsp {
            compressed.push(b' ');
            in_wsp = false;
        }
        compressed.push(b);
    }
    // WSP at the very end belongs to an unterminated last line: §3.4.4 step (a) reduces it to
    // one SP (no CRLF follows it), then step (b) appends the CRLF, as dkimpy's regular
    // expressions do.
    if in_wsp {
        compressed.push(b' ');
    }
    // " \r\n" -> "\r\n"
    let mut stripped = Vec::with_capacity(compressed.len());
    let mut i = 0;
    while i < compressed.len() {
        if compressed[i] == b' ' && compressed[i + 1..].starts_with(b"\r\n") {
            i += 1;
            continue;
        }
        stripped.push(compressed[i]);
        i += 1;
    }
    let result = strip_trailing_lines(stripped);
    if result == b"\r\n" {
        Vec::new()
    } else {
        result
    }
}

fn streaming(mode: Canonicalization, data: &[u8], cuts: &[u8]) -> Vec<u8> {
    let mut canon = BodyCanonicalizer::new(mode);
    let mut out = Vec::new();
    let mut rest = data;
    for &cut in cuts {
        let at = usize::from(cut).min(rest.len());
        let (chunk, tail) = rest.split_at(at);
        canon.update(chunk, &mut |b| out.extend_from_slice(b));
        rest = tail;
    }
    canon.update(rest, &mut |b| out.extend_from_slice(b));
    canon.finish(&mut |b| out.extend_from_slice(b));
    out
}

fuzz_target!(|input: (Vec<u8>, Vec<u8>)| {
    let (body, cuts) = input;
    assert_eq!(
        streaming(Canonicalization::Simple, &body, &cuts),
        simple(&body),
        "simple"
    );
    assert_eq!(
        streaming(Canonicalization::Relaxed, &body, &cuts),
        relaxed(&body),
        "relaxed"
    );
});
