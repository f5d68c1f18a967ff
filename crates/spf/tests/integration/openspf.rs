//! The OpenSPF test suites (RFC 7208 and RFC 4408 editions, from pyspf) and our own vectors
//! in the same format, evaluated through `ZoneResolver`.
//!
//! Zone conventions (shared/conformance/README.md): every `SPF` entry is also served as TXT
//! unless the name has explicit `TXT` entries; `TXT: NONE` means the name exists without TXT
//! records; `TIMEOUT` makes every type without records time out; unlisted names are
//! NXDOMAIN. A zonedata name that cannot be a `Name` is skipped (queries for it fail name
//! validation before reaching the DNS), as is an MX exchange that cannot (the suite's null
//! MX `""`, which `Name` cannot represent: the MX is dropped and the name has no MX).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use mailproof_dns::{
    Answer, FailureKind, LookupError, Mx, Name, RecordType, Resolver, Txt, ZoneResolver,
};
use mailproof_spf::{ExplanationSource, SpfResult, Trace, TraceEvent, Verifier};
use yaml_rust2::{Yaml, YamlLoader};

use crate::conformance::{Skip, Tally, block_on, suite_dir, testdata_dir};

/// RFC 7208 suite: nothing skipped.
const SKIP_7208: &[Skip] = &[];

/// Tests whose expected explanation differs from ours only in letter case, with why.
const EXPLANATION_CASE_ONLY: &[(&str, &str)] = &[(
    "v-macro-ip6",
    "the suite expects upper-case nibbles from %{ir} for IPv6; RFC 7208 §7.4's own example \
     expands %{ir} to lower-case nibbles, which we follow",
)];

/// RFC 4408 tests whose expectations RFC 7208 changed. Each reason names the change.
const SKIP_4408: &[Skip] = &[];

#[test]
fn rfc7208_suite() {
    let Some(dir) = suite_dir() else { return };
    run_file(
        &dir.join("spf/openspf-pyspf/rfc7208-tests.yml"),
        "rfc7208-tests.yml",
        SKIP_7208,
    );
}

#[test]
fn rfc4408_suite() {
    let Some(dir) = suite_dir() else { return };
    run_file(
        &dir.join("spf/openspf-pyspf/rfc4408-tests.yml"),
        "rfc4408-tests.yml",
        SKIP_4408,
    );
}

#[test]
fn mailproof_vectors() {
    let dir = testdata_dir();
    run_file(&dir.join("mailproof-tests.yml"), "mailproof-tests.yml", &[]);
}

fn run_file(path: &Path, label: &str, skips: &[Skip]) {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let documents = YamlLoader::load_from_str(&text).unwrap();
    let mut tally = Tally::new(label);
    let mut skipped_names = Vec::new();
    for scenario in &documents {
        let zone = build_zone(&scenario["zonedata"], &mut skipped_names);
        let Some(tests) = scenario["tests"].as_hash() else {
            continue;
        };
        for (name, test) in tests {
            let name = name.as_str().unwrap();
            let failure = run_test(&zone, name, test);
            if failure.is_none() && test["explanation"].as_str().is_some() {
                tally.explanations_checked += 1;
            }
            tally.record(name, failure, skips);
        }
    }
    if !skipped_names.is_empty() {
        println!(
            "{label}: zonedata entries skipped (not valid DNS names): {}",
            skipped_names.join(", ")
        );
    }
    tally.finish();
}

/// Runs one test; `Some(message)` when it fails.
fn run_test(zone: &ZoneResolver, name: &str, test: &Yaml) -> Option<String> {
    let helo = scalar(&test["helo"]);
    let host: IpAddr = scalar(&test["host"]).parse().unwrap();
    let mail_from = scalar(&test["mailfrom"]);
    let expected: Vec<SpfResult> = match &test["result"] {
        Yaml::Array(items) => items.iter().map(result_keyword).collect(),
        single => vec![result_keyword(single)],
    };
    let verifier = Verifier::default();
    let counting = Counting {
        zone,
        queries: AtomicUsize::new(0),
    };
    let output = block_on(verifier.verify_mail_from(&counting, host, &helo, &mail_from));
    if !expected.contains(&output.result) {
        return Some(format!(
            "expected {expected:?}, got {} ({})\n{}",
            output.result, output.reason, output.trace
        ));
    }
    if let Some(problem) = trace_problem(&output.trace, counting.queries.into_inner()) {
        return Some(format!("trace: {problem}\n{}", output.trace));
    }
    let expected_explanation = test["explanation"].as_str()?;
    if output.result != SpfResult::Fail {
        // A list like [fail, permerror] with an explanation: only fail carries one.
        return None;
    }
    let Some(explanation) = &output.explanation else {
        return Some("no explanation".to_owned());
    };
    if expected_explanation == "DEFAULT" {
        return (explanation.source != ExplanationSource::Default)
            .then(|| format!("expected the default explanation, got {explanation:?}"));
    }
    if explanation.text == expected_explanation {
        return None;
    }
    let case_only = explanation.text.eq_ignore_ascii_case(expected_explanation)
        && EXPLANATION_CASE_ONLY.iter().any(|(n, _)| *n == name);
    (!case_only).then(|| {
        format!(
            "explanation: expected {expected_explanation:?}, got {:?}",
            explanation.text
        )
    })
}

/// A resolver that counts the lookups made through it.
struct Counting<'a> {
    zone: &'a ZoneResolver,
    queries: AtomicUsize,
}

impl Counting<'_> {
    fn count(&self) {
        self.queries.fetch_add(1, Ordering::Relaxed);
    }
}

impl Resolver for Counting<'_> {
    fn txt(&self, name: &Name) -> impl Future<Output = Result<Answer<Txt>, LookupError>> + Send {
        self.count();
        self.zone.txt(name)
    }

    fn a(&self, name: &Name) -> impl Future<Output = Result<Answer<Ipv4Addr>, LookupError>> + Send {
        self.count();
        self.zone.a(name)
    }

    fn aaaa(
        &self,
        name: &Name,
    ) -> impl Future<Output = Result<Answer<Ipv6Addr>, LookupError>> + Send {
        self.count();
        self.zone.aaaa(name)
    }

    fn mx(&self, name: &Name) -> impl Future<Output = Result<Answer<Mx>, LookupError>> + Send {
        self.count();
        self.zone.mx(name)
    }

    fn ptr(&self, ip: IpAddr) -> impl Future<Output = Result<Answer<Name>, LookupError>> + Send {
        self.count();
        self.zone.ptr(ip)
    }
}

/// The trace's shape: every lookup made is traced as a query, every `check_host()` entry
/// is followed by the TXT query of its domain, and every record by that query's answer;
/// the count matches the events.
fn trace_problem(trace: &Trace, queries: usize) -> Option<String> {
    let events = trace.events();
    if trace.len() != events.len() {
        return Some(format!("len {} but {} events", trace.len(), events.len()));
    }
    let traced = events
        .iter()
        .filter(|event| matches!(event, TraceEvent::Query { .. }))
        .count();
    if traced != queries {
        return Some(format!("{queries} lookups, {traced} traced"));
    }
    for (index, event) in events.iter().enumerate() {
        match event {
            TraceEvent::CheckHost { domain, .. } => match events.get(index + 1) {
                Some(TraceEvent::Query {
                    name,
                    record_type: RecordType::Txt,
                    ..
                }) if name == domain => {}
                other => return Some(format!("{event} followed by {other:?}")),
            },
            TraceEvent::Record { domain, .. } => {
                match index.checked_sub(1).and_then(|i| events.get(i)) {
                    Some(TraceEvent::Query {
                        name,
                        record_type: RecordType::Txt,
                        answer: Ok(_),
                    }) if name == domain => {}
                    other => return Some(format!("{event} after {other:?}")),
                }
            }
            _ => {}
        }
    }
    None
}

fn result_keyword(value: &Yaml) -> SpfResult {
    let keyword = scalar(value);
    SpfResult::from_keyword(&keyword).unwrap_or_else(|| panic!("unknown result {keyword:?}"))
}

/// A scalar as text (YAML may read `0` or `1.2` as numbers).
fn scalar(value: &Yaml) -> String {
    match value {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        _ => String::new(),
    }
}

/// The YAML `\xNN` escapes mean bytes: text whose characters are all below U+0100 is read as
/// Latin-1, anything else as UTF-8.
fn bytes_of(text: &str) -> Vec<u8> {
    if text.chars().all(|c| u32::from(c) < 0x100) {
        text.chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap())
            .collect()
    } else {
        text.as_bytes().to_vec()
    }
}

/// The character-strings of an SPF/TXT value: one string, or a list (possibly empty).
fn txt_strings(value: &Yaml) -> Vec<Vec<u8>> {
    match value {
        Yaml::Array(items) => items.iter().map(|item| bytes_of(&scalar(item))).collect(),
        other => vec![bytes_of(&scalar(other))],
    }
}

fn build_zone(zonedata: &Yaml, skipped: &mut Vec<String>) -> ZoneResolver {
    let mut zone = ZoneResolver::new();
    let Some(names) = zonedata.as_hash() else {
        return zone;
    };
    for (owner, entries) in names {
        let owner_text = scalar(owner);
        let Ok(name) = Name::new(&owner_text) else {
            skipped.push(owner_text);
            continue;
        };
        let entries = entries.as_vec().map(Vec::as_slice).unwrap_or_default();
        let has_txt = entries.iter().any(|e| !e["TXT"].is_badvalue());
        let mut timeout = false;
        zone.add_name(name.clone());
        for entry in entries {
            if scalar(entry) == "TIMEOUT" {
                timeout = true;
                continue;
            }
            let Some(hash) = entry.as_hash() else {
                continue;
            };
            for (kind, value) in hash {
                match scalar(kind).as_str() {
                    "SPF" if !has_txt => {
                        zone.add_txt(name.clone(), &txt_strings(value));
                    }
                    "SPF" => {}
                    "TXT" if scalar(value) == "NONE" => {}
                    "TXT" => {
                        zone.add_txt(name.clone(), &txt_strings(value));
                    }
                    "A" => {
                        zone.add_a(name.clone(), scalar(value).parse().unwrap());
                    }
                    "AAAA" => {
                        zone.add_aaaa(name.clone(), scalar(value).parse().unwrap());
                    }
                    "MX" => {
                        let preference = u16::try_from(value[0].as_i64().unwrap()).unwrap();
                        match Name::new(&scalar(&value[1])) {
                            Ok(exchange) => {
                                zone.add_mx(name.clone(), preference, exchange);
                            }
                            Err(_) => {
                                skipped.push(format!("MX {:?} at {owner_text}", scalar(&value[1])));
                            }
                        }
                    }
                    "PTR" => match Name::new(&scalar(value)) {
                        Ok(target) => {
                            zone.add_ptr(name.clone(), target);
                        }
                        Err(_) => skipped.push(format!("PTR {:?}", scalar(value))),
                    },
                    "CNAME" => {
                        zone.add_cname(name.clone(), Name::new(&scalar(value)).unwrap());
                    }
                    other => panic!("unknown zonedata type {other}"),
                }
            }
        }
        if timeout {
            zone.fail(name, FailureKind::Timeout);
        }
    }
    zone
}
