//! Conformance against the external suites in `shared/conformance/mime/`
//! (see its README for provenance and format).
//!
//! * Every message of `stalwart-mail-parser/eml` and `mikel-mail` must
//!   parse, re-join byte for byte and build a MIME tree without panicking.
//! * For the stalwart messages, part structure, content types, decoded text
//!   bodies and attachment names are compared with the expected JSON (a
//!   reference for structure and decoded values, not a format to match).
//! * The header-field vectors are run through the matching parser;
//!   `received.json` is compared on the fields RFC 5321 §4.4 defines (see
//!   `RECEIVED_KEYS`). `list.json` (comma-separated phrase lists, as in
//!   `Keywords`) is not run: we have no parser for such lists.
//!
//! Each disagreement must be listed in `KNOWN` with a reason; the test fails
//! on an unlisted disagreement and on a listed case that now agrees.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use mailproof_message::{
    Address, ContentType, DateTime, Message, MimePart, PartKind, parse_address_list,
    parse_content_type, parse_date, parse_msg_ids, parse_received,
};
use serde_json::{Value, json};

const COMMENTS: &str = "RFC 5322 §3.2.2: comments are not part of the display name (used only when there is no name); stalwart appends them";
const OBS_DOMAIN: &str = "RFC 5322 §4.4 obs-domain: CFWS between domain atoms is not part of the domain; stalwart keeps it";
const GLUED_WORD: &str =
    "an encoded word glued to preceding text: we decode it in place, stalwart inserts a space";
const PREFIX: &str = "a boundary that is a prefix of another is not matched by it (RFC 2046 §5.1.1 needs only white space after it); stalwart matches prefixes";
const NESTED_SAME: &str = "nested multipart reusing the outer boundary: the outer boundary wins (RFC 2046 forbids the reuse), stalwart lets the inner part claim it";
const OUTER_CLOSES: &str = "an outer boundary line ends an unclosed inner multipart; stalwart keeps it inside the inner part";
const TWO_TYPES: &str = "part with two Content-Type fields (header runs into the next part): we use the first, stalwart the last";

const WITH_NAME: &str = "`with`: we return the protocol word as written; stalwart maps products and variants to its protocol list (Microsoft SMTPSVC -> SMTP, local-esmtp -> ESMTP, ESMTP-TLS -> ESMTPS, ESMTP/TLS/... -> ESMTP)";
const WITH_OTHER: &str = "`with` names a protocol outside stalwart's list (MAPI, NNFMP, TCP, ...): we return it, stalwart drops it";
const ID_SLASH: &str =
    "`id` atom with a `/` (ecelerity): we keep the whole atom, stalwart cuts it at the `/`";
const IPREV_AS_WRITTEN: &str = "TCP-info domain `localhost`/`unknown`/`unverified`/`softdnserr`: we return the Domain as written (RFC 5321 §4.4), stalwart drops placeholders";
const NOT_TCP_INFO: &str = "comment with a domain but no valid address literal is no TCP-info (RFC 5321 §4.4); stalwart takes the domain";
const ZONE_NAME: &str =
    "RFC 5322 §4.3 obs-zone: PST/PDT are -0800/-0700; stalwart ignores zone names";
const TWO_DIGIT_YEAR: &str =
    "RFC 5322 §4.3: two-digit year 03/04 is 2003/2004; stalwart makes it 1903/1904";
const ASCTIME: &str = "asctime-style date (`Fri Feb 07 10:18:12 2003`) is no date-time: no date; stalwart returns out-of-range fields";
const FROM_IN_COMMENT: &str =
    "`from` inside a comment is no clause (RFC 5321 §4.4); stalwart reads it";

/// Known disagreements: (suite file, case, reason). A case is the vector's
/// index in a header-field file, or `dir/NNN.json` / `dir/NNN.crlf.json`
/// for a message.
#[rustfmt::skip]
const KNOWN: &[(&str, &str, &str)] = &[
    ("address.json", "8", COMMENTS),
    ("address.json", "9", "backslash before a fold quotes the line break (obs-qp), so the comment closes before \"chap)\" and the rest is not an address"),
    ("address.json", "10", COMMENTS),
    ("address.json", "11", COMMENTS),
    ("address.json", "13", OBS_DOMAIN),
    ("address.json", "14", OBS_DOMAIN),
    ("address.json", "22", COMMENTS),
    ("address.json", "56", COMMENTS),
    ("content_type.json", "31", "RFC 2231 §4: only section 0 carries charset'language'; stalwart also strips it from later sections"),
    ("content_type.json", "34", "RFC 2047 §6.2: white space between adjacent encoded words is dropped; stalwart keeps it inside quotes only"),
    ("content_type.json", "61", "deliberately garbled RFC 2231 names (`3**`, `1 * 999 *=`): we keep the raw names, stalwart reinterprets them"),
    ("date.json", "12", "\"4 8 15 16 23 42\" has no hh:mm time; stalwart guesses a date"),
    ("date.json", "28", "a Received value (`by ... ; date`), not a date-time; we parse Date fields only"),
    ("received.json", "0", WITH_NAME),
    ("received.json", "4", IPREV_AS_WRITTEN),
    ("received.json", "13", ASCTIME),
    ("received.json", "15", IPREV_AS_WRITTEN),
    ("received.json", "18", WITH_NAME),
    ("received.json", "19", WITH_NAME),
    ("received.json", "20", WITH_NAME),
    ("received.json", "21", WITH_NAME),
    ("received.json", "22", WITH_NAME),
    ("received.json", "23", WITH_NAME),
    ("received.json", "24", WITH_NAME),
    ("received.json", "25", WITH_OTHER),
    ("received.json", "26", WITH_NAME),
    ("received.json", "27", WITH_NAME),
    ("received.json", "28", ID_SLASH),
    ("received.json", "29", "`with ECSTREAM` (outside stalwart's list) and an `id` with a `/` (see the other cases)"),
    ("received.json", "30", ID_SLASH),
    ("received.json", "31", WITH_NAME),
    ("received.json", "32", WITH_NAME),
    ("received.json", "33", WITH_NAME),
    ("received.json", "43", NOT_TCP_INFO),
    ("received.json", "44", IPREV_AS_WRITTEN),
    ("received.json", "45", IPREV_AS_WRITTEN),
    ("received.json", "54", "`(<unknown.domain>[12.211.5.69])`: a bracketed word before the literal is no TCP-info; stalwart strips the brackets"),
    ("received.json", "67", ZONE_NAME),
    ("received.json", "71", WITH_NAME),
    ("received.json", "75", "`[(134.97.4.21)]` is no address literal; stalwart strips the parentheses"),
    ("received.json", "78", IPREV_AS_WRITTEN),
    ("received.json", "80", IPREV_AS_WRITTEN),
    ("received.json", "89", TWO_DIGIT_YEAR),
    ("received.json", "90", TWO_DIGIT_YEAR),
    ("received.json", "94", WITH_OTHER),
    ("received.json", "95", WITH_NAME),
    ("received.json", "98", WITH_NAME),
    ("received.json", "103", NOT_TCP_INFO),
    ("received.json", "111", "`by <server>`: a host in angle brackets is no Domain; stalwart strips the brackets"),
    ("received.json", "112", IPREV_AS_WRITTEN),
    ("received.json", "113", "`(account seiz [212.87.144.30] verified)`: words before the literal make it no TCP-info (stalwart takes the address); `with ESMTP-TLS` as written"),
    ("received.json", "117", "asctime-style date (no date; stalwart returns out-of-range fields) and `by host,`: we keep the host as written"),
    ("received.json", "118", "asctime-style date (no date; stalwart returns out-of-range fields) and `by host,`: we keep the host as written"),
    ("received.json", "119", "`-0800 PST`: text after the zone makes the date-time unparsable; stalwart ignores it"),
    ("received.json", "121", WITH_NAME),
    ("received.json", "123", "`by alpha by uid`: the first `by` counts; stalwart takes the second and drops `with qmail-scanner-1.14`"),
    ("received.json", "125", "`from Unknown/Local`: we keep the host as written, stalwart cuts it at the `/`"),
    ("received.json", "127", IPREV_AS_WRITTEN),
    ("received.json", "128", "`; <date> for <...>`: text after the date-time makes it unparsable (stalwart reads both) and two-digit year 03"),
    ("received.json", "133", WITH_OTHER),
    ("received.json", "136", WITH_OTHER),
    ("received.json", "138", "`;_ Tue, ...`: an underscore before the date-time makes it unparsable; stalwart skips it"),
    ("received.json", "144", "fractional seconds (`07:53:55.516`) are no RFC 5322 time; stalwart drops them"),
    ("received.json", "145", NOT_TCP_INFO),
    ("received.json", "146", NOT_TCP_INFO),
    ("received.json", "147", WITH_NAME),
    ("received.json", "148", "`with Thrift` (outside stalwart's list) and a comment of base64 junk before the address is no TCP-info"),
    ("received.json", "149", WITH_NAME),
    ("received.json", "151", "`from [<...>]`: we keep the host as written (stalwart drops it); asctime-style date"),
    ("received.json", "152", IPREV_AS_WRITTEN),
    ("received.json", "153", "`for <address>`: we return the path as written, stalwart drops one without `@`"),
    ("received.json", "156", WITH_NAME),
    ("received.json", "157", WITH_OTHER),
    ("received.json", "161", FROM_IN_COMMENT),
    ("received.json", "162", FROM_IN_COMMENT),
    ("received.json", "163", "`from` inside a comment is no clause (stalwart reads it); PDT is -0700 (RFC 5322 §4.3, stalwart ignores zone names)"),
    ("received.json", "165", FROM_IN_COMMENT),
    ("received.json", "167", WITH_OTHER),
    ("received.json", "170", WITH_OTHER),
    ("received.json", "171", FROM_IN_COMMENT),
    ("received.json", "175", WITH_OTHER),
    ("received.json", "176", WITH_OTHER),
    ("received.json", "177", WITH_OTHER),
    ("unstructured.json", "21", GLUED_WORD),
    ("unstructured.json", "22", "an empty encoded word decodes to nothing; stalwart adds a space"),
    ("unstructured.json", "27", GLUED_WORD),
    ("unstructured.json", "28", GLUED_WORD),
    ("stalwart-mail-parser/eml", "legacy/049.json", "input ends in a lone CR; we keep every body byte, stalwart drops it"),
    ("stalwart-mail-parser/eml", "malformed/000.json", "boundary lines with no empty line after the part headers: we keep 4 parts (RFC 2046), stalwart none"),
    ("stalwart-mail-parser/eml", "malformed/000.crlf.json", "boundary lines with no empty line after the part headers: we keep 4 parts (RFC 2046), stalwart none"),
    ("stalwart-mail-parser/eml", "malformed/001.json", PREFIX),
    ("stalwart-mail-parser/eml", "malformed/001.crlf.json", PREFIX),
    ("stalwart-mail-parser/eml", "malformed/003.json", NESTED_SAME),
    ("stalwart-mail-parser/eml", "malformed/003.crlf.json", NESTED_SAME),
    ("stalwart-mail-parser/eml", "malformed/004.json", PREFIX),
    ("stalwart-mail-parser/eml", "malformed/004.crlf.json", PREFIX),
    ("stalwart-mail-parser/eml", "malformed/005.json", PREFIX),
    ("stalwart-mail-parser/eml", "malformed/005.crlf.json", PREFIX),
    ("stalwart-mail-parser/eml", "malformed/007.json", PREFIX),
    ("stalwart-mail-parser/eml", "malformed/007.crlf.json", PREFIX),
    ("stalwart-mail-parser/eml", "malformed/008.json", PREFIX),
    ("stalwart-mail-parser/eml", "malformed/008.crlf.json", PREFIX),
    ("stalwart-mail-parser/eml", "malformed/009.json", OUTER_CLOSES),
    ("stalwart-mail-parser/eml", "malformed/009.crlf.json", OUTER_CLOSES),
    ("stalwart-mail-parser/eml", "malformed/011.json", OUTER_CLOSES),
    ("stalwart-mail-parser/eml", "malformed/011.crlf.json", OUTER_CLOSES),
    ("stalwart-mail-parser/eml", "malformed/012.json", OUTER_CLOSES),
    ("stalwart-mail-parser/eml", "malformed/012.crlf.json", OUTER_CLOSES),
    ("stalwart-mail-parser/eml", "malformed/013.json", NESTED_SAME),
    ("stalwart-mail-parser/eml", "malformed/013.crlf.json", NESTED_SAME),
    ("stalwart-mail-parser/eml", "malformed/014.json", "the part after an unclosed last boundary is kept (empty, MissingClosingBoundary); stalwart drops it"),
    ("stalwart-mail-parser/eml", "malformed/014.crlf.json", "the part after an unclosed last boundary is kept (empty, MissingClosingBoundary); stalwart drops it"),
    ("stalwart-mail-parser/eml", "malformed/016.json", PREFIX),
    ("stalwart-mail-parser/eml", "malformed/016.crlf.json", PREFIX),
    ("stalwart-mail-parser/eml", "malformed/019.json", "garbled header block and mixed-case boundary lines (boundaries are case-sensitive, RFC 2046 §5.1.1)"),
    ("stalwart-mail-parser/eml", "malformed/019.crlf.json", "garbled header block and mixed-case boundary lines (boundaries are case-sensitive, RFC 2046 §5.1.1)"),
    ("stalwart-mail-parser/eml", "malformed/020.json", TWO_TYPES),
    ("stalwart-mail-parser/eml", "malformed/020.crlf.json", TWO_TYPES),
    ("stalwart-mail-parser/eml", "malformed/021.json", TWO_TYPES),
    ("stalwart-mail-parser/eml", "malformed/021.crlf.json", TWO_TYPES),
    ("stalwart-mail-parser/eml", "malformed/022.json", "a message/rfc822 part with a non-message body stays a message (no header, MissingHeaderBodySeparator); stalwart turns it into text"),
    ("stalwart-mail-parser/eml", "malformed/022.crlf.json", "a message/rfc822 part with a non-message body stays a message (no header, MissingHeaderBodySeparator); stalwart turns it into text"),
    ("stalwart-mail-parser/eml", "rfc/000.json", "body labelled base64 but holding plain text: we decode leniently (InvalidBase64 defect), stalwart keeps the raw text"),
    ("stalwart-mail-parser/eml", "rfc/000.crlf.json", "body labelled base64 but holding plain text: we decode leniently (InvalidBase64 defect), stalwart keeps the raw text"),
    ("stalwart-mail-parser/eml", "rfc/008.json", "base64-encoded message/rfc822 stays a leaf (EncodedCompositeType; the zero-copy tree cannot borrow decoded bytes)"),
    ("stalwart-mail-parser/eml", "rfc/008.crlf.json", "base64-encoded message/rfc822 stays a leaf (EncodedCompositeType; the zero-copy tree cannot borrow decoded bytes)"),
    ("stalwart-mail-parser/eml", "thirdparty/002.json", "malformed UTF-8 at the end: encoding_rs emits one U+FFFD per WHATWG rules, stalwart fewer"),
    ("stalwart-mail-parser/eml", "thirdparty/002.crlf.json", "malformed UTF-8 at the end: encoding_rs emits one U+FFFD per WHATWG rules, stalwart fewer"),
    ("stalwart-mail-parser/eml", "thirdparty/005.json", "no line break before `--1--`: not a boundary line (RFC 2046 §5.1.1); CRLF copy: odd-length UTF-16 tail becomes U+FFFD, stalwart drops it"),
    ("stalwart-mail-parser/eml", "thirdparty/005.crlf.json", "no line break before `--1--`: not a boundary line (RFC 2046 §5.1.1); CRLF copy: odd-length UTF-16 tail becomes U+FFFD, stalwart drops it"),
    ("stalwart-mail-parser/eml", "thirdparty/015.json", "truncated attached messages whose headers run into the outer boundary: we split at every outer boundary line, stalwart nests them"),
    ("stalwart-mail-parser/eml", "thirdparty/015.crlf.json", "truncated attached messages whose headers run into the outer boundary: we split at every outer boundary line, stalwart nests them"),
];

fn suite_root() -> Option<PathBuf> {
    let root = std::env::var_os("MAILPROOF_CONFORMANCE").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
        PathBuf::from,
    );
    root.join("mime").is_dir().then_some(root)
}

/// Tallies one suite file and checks it against `KNOWN`.
struct Tally {
    file: &'static str,
    total: usize,
    disagreements: Vec<(String, String)>,
}

impl Tally {
    fn new(file: &'static str) -> Self {
        Self {
            file,
            total: 0,
            disagreements: Vec::new(),
        }
    }

    fn record(&mut self, case: String, outcome: Result<(), String>) {
        self.total += 1;
        if let Err(why) = outcome {
            self.disagreements.push((case, why));
        }
    }

    /// Prints the count and returns the problems (unlisted disagreements,
    /// listed cases that agree).
    fn finish(self, problems: &mut String) {
        let agree = self.total - self.disagreements.len();
        println!("{}: {agree}/{} agree", self.file, self.total);
        let known: BTreeSet<&str> = KNOWN
            .iter()
            .filter(|k| k.0 == self.file)
            .map(|k| k.1)
            .collect();
        let found: BTreeSet<&str> = self.disagreements.iter().map(|d| d.0.as_str()).collect();
        for (_, case, reason) in KNOWN.iter().filter(|k| k.0 == self.file) {
            println!("  known disagreement {case}: {reason}");
        }
        for (case, why) in &self.disagreements {
            if !known.contains(case.as_str()) {
                let _ = writeln!(
                    problems,
                    "{} case {case}: unexpected disagreement: {why}",
                    self.file
                );
            }
        }
        for case in known.difference(&found) {
            let _ = writeln!(
                problems,
                "{} case {case}: listed as a known disagreement but now agrees",
                self.file
            );
        }
    }
}

/// The field value the header splitter would hand over: the vector up to
/// the first line break not followed by white space, without that break.
fn field_value(header: &str) -> &[u8] {
    let bytes = header.as_bytes();
    let mut i = 0;
    while let Some(n) = bytes[i..].iter().position(|&b| b == b'\n') {
        let lf = i + n;
        if matches!(bytes.get(lf + 1), Some(b' ' | b'\t')) {
            i = lf + 1;
            continue;
        }
        let end = if lf > 0 && bytes[lf - 1] == b'\r' {
            lf - 1
        } else {
            lf
        };
        return &bytes[..end];
    }
    bytes
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn mailbox_json(m: &mailproof_message::Mailbox<'_>) -> Value {
    let mut address = text(&m.addr_spec());
    if let Some(route) = m.route {
        address = format!("{}:{address}", text(route));
    }
    json!({
        "name": m.display_name.as_deref(),
        "address": if address.is_empty() { Value::Null } else { Value::String(address) },
    })
}

fn addresses_json(list: &[Address<'_>]) -> Value {
    if !list.iter().any(|a| matches!(a, Address::Group(_))) {
        return json!({ "List": list.iter().map(|a| mailbox_json(&a.mailboxes()[0])).collect::<Vec<_>>() });
    }
    let mut groups: Vec<Value> = Vec::new();
    let mut loose: Vec<Value> = Vec::new();
    for a in list {
        match a {
            Address::Mailbox(m) => loose.push(mailbox_json(m)),
            Address::Group(g) => {
                if !loose.is_empty() {
                    groups.push(json!({ "name": null, "addresses": std::mem::take(&mut loose) }));
                }
                let members: Vec<Value> = g.mailboxes.iter().map(mailbox_json).collect();
                groups.push(json!({ "name": g.name.as_ref(), "addresses": members }));
            }
        }
    }
    if !loose.is_empty() {
        groups.push(json!({ "name": null, "addresses": loose }));
    }
    json!({ "Group": groups })
}

fn content_type_json(ct: &ContentType<'_>) -> Value {
    let mut attributes = Vec::new();
    for p in &ct.params {
        let name = text(p.name).to_ascii_lowercase();
        if let Some(lang) = &p.language {
            attributes.push(json!([format!("{name}-language"), text(lang)]));
        }
        attributes.push(json!([name, p.value.as_ref()]));
    }
    // Types are case-insensitive and parameter order has no meaning
    // (RFC 2045 §5.1): compare lowercased types and sorted parameters.
    attributes.sort_by_key(ToString::to_string);
    json!({
        "c_type": text(ct.media_type).to_lowercase(),
        "c_subtype": ct.subtype.map(|s| text(s).to_lowercase()),
        "attributes": if attributes.is_empty() { Value::Null } else { Value::Array(attributes) },
    })
}

fn compare(expected: &Value, actual: &Value) -> Result<(), String> {
    if expected == actual {
        Ok(())
    } else {
        Err(format!("expected {expected}, got {actual}"))
    }
}

fn date_json(d: &DateTime) -> Value {
    json!({
        "year": d.year, "month": d.month, "day": d.day,
        "hour": d.hour, "minute": d.minute, "second": d.second,
        "tz_before_gmt": d.offset_minutes < 0,
        "tz_hour": d.offset_minutes.unsigned_abs() / 60,
        "tz_minute": d.offset_minutes.unsigned_abs() % 60,
    })
}

/// An address as stalwart writes it: no brackets, no `IPv6:` tag.
fn bare_address(address: &[u8]) -> String {
    let address = address
        .strip_prefix(b"[")
        .and_then(|a| a.strip_suffix(b"]"))
        .unwrap_or(address);
    let address = match address.get(..5) {
        Some(tag) if tag.eq_ignore_ascii_case(b"IPv6:") => &address[5..],
        _ => address,
    };
    text(address)
}

/// The fields of `received.json` that RFC 5321 §4.4 defines and
/// `parse_received` returns. Stalwart's other fields (`helo`, `helo_cmd`,
/// `ident`, `tls_version`, `tls_cipher`) are read from comments whose
/// format each server makes up, and are not compared.
const RECEIVED_KEYS: [&str; 9] = [
    "from",
    "from_ip",
    "from_iprev",
    "by",
    "via",
    "with",
    "id",
    "for_",
    "date",
];

fn received_json(value: &[u8]) -> Value {
    let Ok(r) = parse_received(value) else {
        return Value::Null;
    };
    let host =
        |h: Option<mailproof_message::ExtendedDomain<'_>>| h.and_then(|h| h.name).map(bare_address);
    let from = r.from;
    json!({
        "from": host(from),
        "from_ip": from.and_then(|f| f.tcp_info_address).map(bare_address),
        "from_iprev": from.and_then(|f| f.tcp_info_domain).map(text),
        "by": host(r.by),
        "via": r.via.map(text),
        "with": r.with.map(|w| text(w).to_uppercase()),
        "id": r.id.map(text),
        "for_": r.recipient.map(text),
        "date": r.date.as_ref().map(date_json),
    })
}

/// `expected` reduced to [`RECEIVED_KEYS`], in [`received_json`]'s form.
fn received_expected(expected: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for key in RECEIVED_KEYS {
        let value = match &expected[key] {
            // Hosts are {"Name": ...} or {"IpAddr": ...}.
            Value::Object(host) if key != "date" => {
                host.values().next().cloned().unwrap_or(Value::Null)
            }
            Value::String(with) if key == "with" => Value::String(with.to_uppercase()),
            // Stalwart marks a zero offset (GMT, UT) as before GMT; both
            // sides have offset 0, so the sign says nothing.
            Value::Object(date) if date["tz_hour"] == 0 && date["tz_minute"] == 0 => {
                let mut date = date.clone();
                date.insert("tz_before_gmt".to_owned(), Value::Bool(false));
                Value::Object(date)
            }
            other => other.clone(),
        };
        out.insert(key.to_owned(), value);
    }
    Value::Object(out)
}

/// `received.json`: each vector through `parse_received`, compared on
/// [`RECEIVED_KEYS`].
fn received_vectors(root: &Path, problems: &mut String) {
    let file = "received.json";
    let path = root.join("mime/stalwart-mail-parser").join(file);
    let cases: Vec<Value> = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let mut tally = Tally::new(file);
    for (i, case) in cases.iter().enumerate() {
        let header = case["header"].as_str().unwrap();
        tally.record(
            i.to_string(),
            compare(
                &received_expected(&case["expected"]),
                &received_json(field_value(header)),
            ),
        );
    }
    tally.finish(problems);
}

fn header_vectors(root: &Path, problems: &mut String) {
    type Check = fn(&[u8]) -> Value;
    let files: [(&'static str, Check); 5] = [
        ("address.json", |v| {
            parse_address_list(v).map_or(Value::Null, |l| addresses_json(&l))
        }),
        ("content_type.json", |v| {
            parse_content_type(v).map_or(Value::Null, |ct| content_type_json(&ct))
        }),
        ("date.json", |v| {
            parse_date(v).map_or(Value::Null, |d| date_json(&d))
        }),
        ("id.json", |v| {
            parse_msg_ids(v).map_or(Value::Null, |ids| {
                json!(ids.iter().map(|i| text(i)).collect::<Vec<_>>())
            })
        }),
        ("unstructured.json", |v| {
            json!(mailproof_message::decode_unstructured(v))
        }),
    ];
    for (file, check) in files {
        let path = root.join("mime/stalwart-mail-parser").join(file);
        let cases: Vec<Value> = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let mut tally = Tally::new(file);
        for (i, case) in cases.iter().enumerate() {
            let header = case["header"].as_str().unwrap();
            let mut expected = case["expected"].clone();
            // One content-type vector omits "attributes" when there are none.
            if let Some(obj) = expected
                .as_object_mut()
                .filter(|o| o.contains_key("c_type"))
            {
                obj.entry("attributes").or_insert(Value::Null);
                for key in ["c_type", "c_subtype"] {
                    if let Some(Value::String(s)) = obj.get_mut(key) {
                        *s = s.to_lowercase();
                    }
                }
                if let Some(Value::Array(a)) = obj.get_mut("attributes") {
                    a.sort_by_key(ToString::to_string);
                }
            }
            tally.record(
                i.to_string(),
                compare(&expected, &check(field_value(header))),
            );
        }
        tally.finish(problems);
    }
}

/// Compares one part with its expected serialisation; `parts` is the flat
/// expected part list of the (sub)message.
fn compare_part(
    parts: &[Value],
    index: usize,
    part: &MimePart<'_>,
    path: &str,
) -> Result<(), String> {
    let expected = &parts[index];
    let headers = expected["headers"].as_array().cloned().unwrap_or_default();
    let find = |name: &str| {
        headers
            .iter()
            .find(|h| h["name"] == name)
            .map(|h| h["value"].clone())
    };

    // Content type.
    if let Some(Value::Object(v)) = find("content_type")
        && let Some(ct) = v.get("ContentType")
    {
        let want = format!(
            "{}/{}",
            ct["c_type"].as_str().unwrap_or("").to_ascii_lowercase(),
            ct["c_subtype"].as_str().unwrap_or("").to_ascii_lowercase()
        );
        let got = part.content_type();
        let got = format!(
            "{}/{}",
            text(got.media_type).to_ascii_lowercase(),
            text(got.subtype.unwrap_or_default()).to_ascii_lowercase()
        );
        if part.has_explicit_content_type() && want != got {
            return Err(format!("{path}: content type {want}, got {got}"));
        }
    }

    // Attachment name.
    let mut want_name = None;
    for (field, attr) in [
        ("content_disposition", "filename"),
        ("content_type", "name"),
    ] {
        if want_name.is_none()
            && let Some(Value::Object(v)) = find(field)
        {
            want_name = v
                .get("ContentType")
                .and_then(|ct| ct["attributes"].as_array())
                .and_then(|a| {
                    a.iter()
                        .find(|p| p["name"] == attr)
                        .and_then(|p| p["value"].as_str())
                        .map(str::to_owned)
                });
        }
    }
    if let Some(want) = want_name {
        let got = part.filename().map(std::borrow::Cow::into_owned);
        if got.as_deref() != Some(want.as_str()) {
            return Err(format!("{path}: file name {want:?}, got {got:?}"));
        }
    }

    // Structure and decoded text.
    let body = &expected["body"];
    let (kind, value) = match body {
        Value::Object(o) => o
            .iter()
            .next()
            .map_or(("?", &Value::Null), |(k, v)| (k.as_str(), v)),
        Value::String(s) => (s.as_str(), &Value::Null),
        _ => ("?", &Value::Null),
    };
    match (kind, part.kind()) {
        (
            "Multipart",
            PartKind::Multipart {
                parts: children, ..
            },
        ) => {
            let want: Vec<usize> = value
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_u64)
                        .filter_map(|v| usize::try_from(v).ok())
                        .collect()
                })
                .unwrap_or_default();
            if want.len() != children.len() {
                return Err(format!(
                    "{path}: {} children, got {}",
                    want.len(),
                    children.len()
                ));
            }
            for (n, (&i, child)) in want.iter().zip(children).enumerate() {
                compare_part(parts, i, child, &format!("{path}.{n}"))?;
            }
            Ok(())
        }
        ("Message", PartKind::Message(inner)) => {
            let inner_parts = value["parts"].as_array().cloned().unwrap_or_default();
            if inner_parts.is_empty() {
                return Err(format!("{path}: empty expected message"));
            }
            compare_part(&inner_parts, 0, inner, &format!("{path}/msg"))
        }
        ("Text" | "Html", PartKind::Leaf) => {
            let want = value.as_str().unwrap_or("");
            let got = part
                .text()
                .map_or_else(|| text(&part.decoded_body()), std::borrow::Cow::into_owned);
            if got == want {
                Ok(())
            } else {
                let at = want
                    .chars()
                    .zip(got.chars())
                    .take_while(|(a, b)| a == b)
                    .count();
                let around = |s: &str| {
                    s.chars()
                        .skip(at.saturating_sub(10))
                        .take(30)
                        .collect::<String>()
                };
                Err(format!(
                    "{path}: text differs at char {at}: {:?} vs {:?}",
                    around(want),
                    around(&got)
                ))
            }
        }
        ("Binary" | "InlineBinary", PartKind::Leaf) => Ok(()),
        (kind, got) => Err(format!(
            "{path}: expected {kind}, got {}",
            match got {
                PartKind::Leaf => "leaf",
                PartKind::Multipart { .. } => "multipart",
                PartKind::Message(_) => "message",
                _ => "other",
            }
        )),
    }
}

fn lf_only(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    for (i, &b) in raw.iter().enumerate() {
        if b == b'\r' && raw.get(i + 1) == Some(&b'\n') {
            continue;
        }
        out.push(b);
    }
    out
}

fn crlf_only(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 20);
    for (i, &b) in raw.iter().enumerate() {
        if b == b'\n' && (i == 0 || raw[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// Parses a message and exercises every accessor; panics are the failure.
fn smoke(raw: &[u8]) -> Result<Option<MimePart<'_>>, String> {
    let msg = Message::parse(raw).map_err(|e| e.to_string())?;
    assert_eq!(
        [msg.header_block(), msg.separator(), msg.body()].concat(),
        raw
    );
    let _ = msg.from_authors();
    for h in msg.headers() {
        let _ = (
            parse_address_list(h.value()),
            parse_date(h.value()),
            mailproof_message::decode_unstructured(h.value()),
        );
    }
    let root = msg.mime().map_err(|e| e.to_string())?;
    for part in root.walk() {
        let _ = (
            part.text(),
            part.decoded_body(),
            part.filename(),
            part.is_attachment(),
        );
    }
    Ok(Some(root))
}

fn messages(root: &Path, problems: &mut String) {
    let base = root.join("mime/stalwart-mail-parser/eml");
    let mut tally = Tally::new("stalwart-mail-parser/eml");
    let mut dirs: Vec<_> = std::fs::read_dir(&base)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        files.sort();
        for eml in files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        {
            let raw = std::fs::read(eml).unwrap();
            let dir_name = dir.file_name().unwrap().to_string_lossy().into_owned();
            let stem = eml.file_stem().unwrap().to_string_lossy().into_owned();
            for (suffix, input) in [("json", lf_only(&raw)), ("crlf.json", crlf_only(&raw))] {
                let case = format!("{dir_name}/{stem}.{suffix}");
                let expected: Value = serde_json::from_slice(
                    &std::fs::read(dir.join(format!("{stem}.{suffix}"))).unwrap(),
                )
                .unwrap();
                let outcome = smoke(&input).and_then(|root| {
                    let parts = expected["parts"].as_array().cloned().unwrap_or_default();
                    match root {
                        Some(root) => compare_part(&parts, 0, &root, "0"),
                        None => Err("no tree".to_owned()),
                    }
                });
                tally.record(case, outcome);
            }
        }
    }
    tally.finish(problems);
}

fn walk_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            walk_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "eml") {
            out.push(path);
        }
    }
}

#[test]
fn conformance() {
    let Some(root) = suite_root() else {
        assert!(
            std::env::var("MAILPROOF_REQUIRE_CONFORMANCE").as_deref() != Ok("1"),
            "conformance suite not found and MAILPROOF_REQUIRE_CONFORMANCE=1"
        );
        println!("skipped: conformance suite not found");
        return;
    };
    let mut problems = String::new();
    header_vectors(&root, &mut problems);
    received_vectors(&root, &mut problems);
    messages(&root, &mut problems);

    // mikel/mail: no expected output; must parse, re-join and build a tree.
    let mut files = Vec::new();
    walk_files(&root.join("mime/mikel-mail"), &mut files);
    files.sort();
    let mut ok = 0;
    for file in &files {
        let raw = std::fs::read(file).unwrap();
        match smoke(&raw) {
            Ok(_) => ok += 1,
            Err(e) => {
                let _ = writeln!(problems, "{}: {e}", file.display());
            }
        }
    }
    println!("mikel-mail: {ok}/{} parse without error", files.len());
    assert!(problems.is_empty(), "conformance problems:\n{problems}");
}
