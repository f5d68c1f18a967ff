//! `mailproof-message` on 2 KiB, 16 KiB and 256 KiB messages, next to mail-parser 1.0
//! (feature `compare`).
//!
//! * `message_headers`: split the header block into fields, walk every field, find the first
//!   From and DKIM-Signature. Throughput is the header block's size (the body is never read).
//! * `message_mime_tree`: the MIME tree alone, no body read by the caller (ours builds it
//!   with `Message::mime`, mail-parser with `parse`).
//! * `message_full_parse`: the MIME tree plus every text part decoded to UTF-8 (transfer
//!   encoding and charset). Throughput is the message size.
//! * `message_full_parse_all_leaves`: the same, and every non-text leaf transfer-decoded too
//!   (the base64 attachment).
//!
//! `MESSAGE_BENCH_INTERLEAVED=ROUNDS` (e.g. 2000) replaces criterion with the interleaved mode
//! of `mailproof_benches::interleaved` (each row's median over short alternating batches,
//! stable on a loaded machine) and prints one Markdown table, ours next to mail-parser:
//! ```text
//! cargo bench -p mailproof-benches --features compare --ignore-rust-version --bench message --no-run
//! MESSAGE_BENCH_INTERLEAVED=2000 target/release/deps/message-HASH
//! ```

// criterion_group! generates an undocumented `pub fn` in this bench binary.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput};
use mailproof_benches::fixtures;
use mailproof_message::Message;

fn parse(raw: &[u8]) -> Message<'_> {
    match Message::parse(raw) {
        Ok(message) => message,
        Err(error) => panic!("fixture does not parse: {error}"),
    }
}

/// Header split + field index: every field visited, From and DKIM-Signature found.
fn ours_headers(raw: &[u8]) -> usize {
    let message = parse(raw);
    let mut seen = 0;
    for field in message.headers() {
        seen += field.name().len() ^ field.value().len();
    }
    let from = message.get("from").next().map_or(0, |h| h.value().len());
    let dkim = message
        .get("dkim-signature")
        .next()
        .map_or(0, |h| h.value().len());
    seen + from + dkim
}

/// The MIME tree alone: its part count.
fn ours_tree(raw: &[u8]) -> usize {
    match parse(raw).mime() {
        Ok(root) => root.walk().count(),
        Err(error) => panic!("fixture MIME: {error}"),
    }
}

/// MIME tree + every text part as UTF-8; with `all_leaves`, other leaves decoded too.
fn ours_full(raw: &[u8], all_leaves: bool) -> usize {
    let message = parse(raw);
    let root = match message.mime() {
        Ok(root) => root,
        Err(error) => panic!("fixture MIME: {error}"),
    };
    let mut decoded = 0;
    for part in root.walk() {
        if let Some(text) = part.text() {
            decoded += text.len();
        } else if all_leaves && part.parts().is_empty() && part.message().is_none() {
            decoded += part.decoded_body().len();
        }
    }
    decoded
}

#[cfg(feature = "compare")]
mod peer {
    use mail_parser::{HeaderForm, HeaderName, MessageParser, PartKind};

    fn parse<'x>(
        parser: &MessageParser,
        raw: &'x [u8],
        headers_only: bool,
    ) -> mail_parser::Message<'x> {
        let parsed = if headers_only {
            parser.parse_headers(raw)
        } else {
            parser.parse(raw)
        };
        match parsed {
            Some(message) => message,
            None => panic!("mail-parser rejects the fixture"),
        }
    }

    /// mail-parser with every header of the fixtures kept raw (Content-Type excepted, which
    /// it always parses): the closest to what our header split does.
    pub(crate) fn raw_forms() -> MessageParser {
        [
            HeaderName::ReturnPath,
            HeaderName::Received,
            HeaderName::ArcSeal,
            HeaderName::ArcAuthenticationResults,
            HeaderName::AuthenticationResults,
            HeaderName::DkimSignature,
            HeaderName::From,
            HeaderName::To,
            HeaderName::Cc,
            HeaderName::Subject,
            HeaderName::Date,
            HeaderName::MessageId,
            HeaderName::MimeVersion,
        ]
        .into_iter()
        .fold(MessageParser::new(), |parser, name| {
            parser.header(name, HeaderForm::Raw)
        })
    }

    /// `parse`: the whole tree, nothing decoded; its part count.
    pub(crate) fn tree(parser: &MessageParser, raw: &[u8]) -> usize {
        parse(parser, raw, false).parts().len()
    }

    /// `parse_headers` (root header block only), every field visited, From and
    /// DKIM-Signature found.
    pub(crate) fn headers(parser: &MessageParser, raw: &[u8]) -> usize {
        let message = parse(parser, raw, true);
        let headers = message.headers();
        let mut seen = 0;
        for field in &headers {
            seen += field.raw_name().len() ^ field.raw_value().len();
        }
        let from = headers
            .get(HeaderName::From)
            .map_or(0, |h| h.raw_value().len());
        let dkim = headers
            .get(HeaderName::DkimSignature)
            .map_or(0, |h| h.raw_value().len());
        seen + from + dkim
    }

    /// `parse` (the whole tree; mail-parser 1.0 decodes nothing during it) and every text
    /// part's `text()`; with `all_leaves`, every binary part's `decoded()` too.
    pub(crate) fn full(parser: &MessageParser, raw: &[u8], all_leaves: bool) -> usize {
        let message = parse(parser, raw, false);
        let mut decoded = 0;
        for part in message.parts() {
            if let Some(text) = part.text() {
                decoded += text.len();
            } else if all_leaves && matches!(part.kind(), PartKind::Binary | PartKind::InlineBinary)
            {
                decoded += part.decoded().len();
            }
        }
        decoded
    }
}

/// Both sides must see the same message: same text, same decoded attachment.
#[cfg(feature = "compare")]
fn check_same_output(fixture: &fixtures::MessageFixture) {
    let parser = mail_parser::MessageParser::default();
    for all_leaves in [false, true] {
        let ours = ours_full(&fixture.raw, all_leaves);
        let theirs = peer::full(&parser, &fixture.raw, all_leaves);
        assert_eq!(ours, theirs, "{}: decoded bytes differ", fixture.name);
    }
    let theirs = parser
        .parse_headers(&fixture.raw)
        .map(|m| m.headers().len());
    assert_eq!(
        Some(parse(&fixture.raw).headers().len()),
        theirs,
        "{}: header field counts differ",
        fixture.name
    );
}

fn headers(c: &mut Criterion) {
    let mut group = c.benchmark_group("message_headers");
    #[cfg(feature = "compare")]
    let (default_parser, raw_parser) = (mail_parser::MessageParser::default(), peer::raw_forms());
    for fixture in fixtures::messages() {
        #[cfg(feature = "compare")]
        check_same_output(&fixture);
        group.throughput(Throughput::Bytes(fixture.header_len as u64));
        let raw = fixture.raw.as_slice();
        group.bench_with_input(
            BenchmarkId::new("mailproof", fixture.name),
            raw,
            |b, raw| {
                b.iter(|| ours_headers(black_box(raw)));
            },
        );
        #[cfg(feature = "compare")]
        {
            group.bench_with_input(
                BenchmarkId::new("mail-parser_raw_forms", fixture.name),
                raw,
                |b, raw| b.iter(|| peer::headers(&raw_parser, black_box(raw))),
            );
            group.bench_with_input(
                BenchmarkId::new("mail-parser_default", fixture.name),
                raw,
                |b, raw| b.iter(|| peer::headers(&default_parser, black_box(raw))),
            );
        }
    }
    group.finish();
}

fn mime_tree(c: &mut Criterion) {
    #[cfg(feature = "compare")]
    let parser = mail_parser::MessageParser::default();
    let mut group = c.benchmark_group("message_mime_tree");
    for fixture in fixtures::messages() {
        #[cfg(feature = "compare")]
        assert_eq!(
            ours_tree(&fixture.raw),
            peer::tree(&parser, &fixture.raw),
            "{}: part counts differ",
            fixture.name
        );
        group.throughput(Throughput::Bytes(fixture.raw.len() as u64));
        let raw = fixture.raw.as_slice();
        group.bench_with_input(
            BenchmarkId::new("mailproof", fixture.name),
            raw,
            |b, raw| {
                b.iter(|| ours_tree(black_box(raw)));
            },
        );
        #[cfg(feature = "compare")]
        group.bench_with_input(
            BenchmarkId::new("mail-parser", fixture.name),
            raw,
            |b, raw| b.iter(|| peer::tree(&parser, black_box(raw))),
        );
    }
    group.finish();
}

fn full_parse(c: &mut Criterion) {
    #[cfg(feature = "compare")]
    let parser = mail_parser::MessageParser::default();
    for (group_name, all_leaves) in [
        ("message_full_parse", false),
        ("message_full_parse_all_leaves", true),
    ] {
        let mut group = c.benchmark_group(group_name);
        for fixture in fixtures::messages() {
            group.throughput(Throughput::Bytes(fixture.raw.len() as u64));
            let raw = fixture.raw.as_slice();
            group.bench_with_input(
                BenchmarkId::new("mailproof", fixture.name),
                raw,
                |b, raw| {
                    b.iter(|| ours_full(black_box(raw), all_leaves));
                },
            );
            #[cfg(feature = "compare")]
            group.bench_with_input(
                BenchmarkId::new("mail-parser", fixture.name),
                raw,
                |b, raw| b.iter(|| peer::full(&parser, black_box(raw), all_leaves)),
            );
        }
        group.finish();
    }
}

/// What one row does with the raw message.
type Work = fn(&[u8]) -> usize;

/// The interleaved mode: every group and size, ours and the peer's rows alternating.
fn interleaved(rounds: usize) {
    use mailproof_benches::interleaved::{Row, format_time, medians};
    #[cfg(feature = "compare")]
    let (parser, raw_parser) = (mail_parser::MessageParser::default(), peer::raw_forms());
    #[cfg(feature = "compare")]
    let parser = &parser;
    println!("| group | size | mailproof | peer | peer time | ratio |\n|---|---|---|---|---|---|");
    for fixture in fixtures::messages() {
        #[cfg(feature = "compare")]
        check_same_output(&fixture);
        let raw = fixture.raw.as_slice();
        let groups: [(&str, Work); 4] = [
            ("message_headers", ours_headers),
            ("message_mime_tree", ours_tree),
            ("message_full_parse", |raw| ours_full(raw, false)),
            ("message_full_parse_all_leaves", |raw| ours_full(raw, true)),
        ];
        for (group, ours) in &groups {
            let mut rows = vec![Row::new("mailproof", || {
                black_box(ours(black_box(raw)));
            })];
            #[cfg(feature = "compare")]
            match *group {
                "message_headers" => rows.push(Row::new("mail-parser_raw_forms", || {
                    black_box(peer::headers(&raw_parser, black_box(raw)));
                })),
                "message_mime_tree" => rows.push(Row::new("mail-parser", || {
                    black_box(peer::tree(parser, black_box(raw)));
                })),
                _ => {
                    let all_leaves = *group == "message_full_parse_all_leaves";
                    rows.push(Row::new("mail-parser", move || {
                        black_box(peer::full(parser, black_box(raw), all_leaves));
                    }));
                }
            }
            let times = medians(&mut rows, rounds);
            let peer = rows.get(1).map(|row| (row.name.clone(), times[1]));
            println!(
                "| {group} | {} | {} | {} | {} | {} |",
                fixture.name,
                format_time(times[0]),
                peer.as_ref().map_or("–", |(name, _)| name.as_str()),
                peer.as_ref()
                    .map_or_else(|| "–".to_owned(), |(_, t)| format_time(*t)),
                peer.as_ref()
                    .map_or_else(|| "–".to_owned(), |(_, t)| format!("{:.3}", times[0] / t)),
            );
        }
    }
}

fn main() {
    if let Some(rounds) =
        mailproof_benches::interleaved::rounds_from_env("MESSAGE_BENCH_INTERLEAVED")
    {
        interleaved(rounds);
        return;
    }
    let mut criterion = Criterion::default().configure_from_args();
    headers(&mut criterion);
    mime_tree(&mut criterion);
    full_parse(&mut criterion);
    criterion.final_summary();
}
