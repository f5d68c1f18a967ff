//! Interop with pyspf, the OpenSPF suite's reference implementation: every case of
//! `testdata/spf/interop/cases.tsv` is evaluated by pyspf (`pyspf_check.py`, one Python
//! process for all cases) and by mailproof through `HickoryResolver`, both against nsd serving
//! `testdata/zones/spf.test.zone`. Results must be identical, and on *fail* so must the
//! explanations; our results must also be the table's RFC 7208 result.
//!
//! Where pyspf departs from RFC 7208, the case is listed in [`DEVIATIONS`] with the reason; a
//! listed case that starts to agree fails the test, so the list stays true.
//!
//! Needs `python3` with `pyspf` and `dnspython` (`pip install pyspf dnspython`): without them
//! the test prints `skipped: ...`, unless `MAILPROOF_REQUIRE_INTEROP=1` (set by `.ci/run`).
//! Needs the DNS server as `real_dns` does (`MAILPROOF_DNS_SERVER`, `MAILPROOF_REQUIRE_REAL_DNS`).

use std::collections::HashMap;
use std::io::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::Command;

use mailproof_spf::{SpfResult, Verifier};

use crate::real_dns::{live_resolver, server, verifier};

/// Cases where pyspf 2.0.14 does not follow RFC 7208, and why. Keep it short.
const DEVIATIONS: &[(&str, &str)] = &[
    (
        "ptr-lookup-refused",
        "pyspf returns temperror when the PTR query fails; §5.5: the mechanism does not match",
    ),
    (
        "mx-hosts-without-address",
        "pyspf counts void address lookups of MX exchanges; §4.6.4 counts void terms",
    ),
    (
        "limit-redirect-not-reached",
        "pyspf counts redirect= while parsing; §4.6.4/§6.1: only a followed redirect counts",
    ),
    (
        "edge-macro-digit-zero",
        "pyspf accepts %{d0}; §7.1: a DIGIT transformer MUST be nonzero, so the record is invalid",
    ),
    (
        "exp-fail-v6",
        "pyspf writes IPv6 %{i} nibbles in upper case; §7.4's example is lower case",
    ),
];

/// pyspf's default explanation: set as ours so every *fail* explanation can be compared.
const PYSPF_DEFAULT_EXPLANATION: &str = "SPF fail - not authorized";

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/spf/interop")
}

/// One line of `cases.tsv`.
struct Case {
    id: String,
    ip: IpAddr,
    mail_from: String,
    helo: String,
    expect: SpfResult,
    /// The expected explanation on *fail*, when the table pins it.
    explanation: Option<String>,
}

fn cases() -> Vec<Case> {
    let path = interop_dir().join("cases.tsv");
    let text = std::fs::read_to_string(&path).expect("cases.tsv is readable");
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .map(|(index, line)| {
            let at = format!("{}:{}", path.display(), index + 1);
            let fields: Vec<&str> = line.split('\t').collect();
            assert!(
                (5..=6).contains(&fields.len()),
                "{at}: 5 or 6 tab-separated fields"
            );
            Case {
                id: fields[0].to_owned(),
                ip: fields[1].parse().unwrap_or_else(|e| panic!("{at}: {e}")),
                mail_from: fields[2].to_owned(),
                helo: fields[3].to_owned(),
                expect: SpfResult::from_keyword(fields[4])
                    .unwrap_or_else(|| panic!("{at}: unknown result {}", fields[4])),
                explanation: fields.get(5).map(|&e| e.to_owned()),
            }
        })
        .collect()
}

/// Whether `python3` can import pyspf and dnspython; when not, skip or (in CI) fail.
fn pyspf_available() -> bool {
    let probe = Command::new("python3")
        .args(["-c", "import spf, dns.resolver"])
        .output();
    let why = match probe {
        Ok(output) if output.status.success() => return true,
        Ok(output) => format!(
            "python3 cannot import pyspf and dnspython ({}); pip install pyspf dnspython",
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .last()
                .unwrap_or_default()
        ),
        Err(e) => format!("python3 not found ({e})"),
    };
    let required = std::env::var("MAILPROOF_REQUIRE_INTEROP").is_ok_and(|v| v == "1");
    assert!(!required, "MAILPROOF_REQUIRE_INTEROP=1 but {why}");
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
    false
}

/// Runs the driver once for all cases: id -> (result, explanation).
fn run_pyspf() -> HashMap<String, (String, String)> {
    let address = server().socket_addr();
    let output = Command::new("python3")
        .arg(interop_dir().join("pyspf_check.py"))
        .arg(interop_dir().join("cases.tsv"))
        .arg(address.ip().to_string())
        .arg(address.port().to_string())
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "pyspf_check.py failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("driver prints UTF-8")
        .lines()
        .map(|line| {
            let value: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
            let field = |key: &str| {
                value[key]
                    .as_str()
                    .unwrap_or_else(|| panic!("{line}: no string {key}"))
                    .to_owned()
            };
            (field("id"), (field("result"), field("explanation")))
        })
        .collect()
}

#[tokio::test]
async fn pyspf_and_mailproof_agree() {
    if !pyspf_available() {
        return;
    }
    let Some(dns) = live_resolver().await else {
        return;
    };
    let cases = cases();
    assert!(cases.len() >= 50, "the table has {} cases", cases.len());
    for (id, _) in DEVIATIONS {
        assert!(
            cases.iter().any(|c| c.id == *id),
            "deviation {id} is not in the table"
        );
    }
    let pyspf = run_pyspf();
    let mut settings: Verifier = verifier();
    settings.default_explanation = PYSPF_DEFAULT_EXPLANATION.into();

    let mut agree = 0;
    let mut failures = Vec::new();
    for case in &cases {
        let ours = settings
            .verify_mail_from(&dns, case.ip, &case.helo, &case.mail_from)
            .await;
        let our_explanation = ours.explanation.as_ref().map_or("", |e| e.text.as_str());
        let (their_result, their_explanation) = pyspf
            .get(&case.id)
            .unwrap_or_else(|| panic!("pyspf printed nothing for {}", case.id));

        // Our result is the table's (the RFC 7208 reading), whatever pyspf says.
        if ours.result != case.expect {
            failures.push(format!(
                "{}: mailproof says {} ({}), the table {}",
                case.id,
                ours.result.as_str(),
                ours.reason,
                case.expect.as_str()
            ));
        }
        if let Some(expected) = &case.explanation
            && our_explanation != expected
        {
            failures.push(format!(
                "{}: mailproof explains {our_explanation:?}, the table {expected:?}",
                case.id
            ));
        }

        let same = their_result == ours.result.as_str()
            && (ours.result != SpfResult::Fail || their_explanation == our_explanation);
        let listed = DEVIATIONS.iter().find(|(id, _)| *id == case.id);
        match (same, listed) {
            (true, None) => agree += 1,
            (true, Some((id, reason))) => {
                agree += 1;
                failures.push(format!(
                    "{id}: listed as a pyspf deviation ({reason}) but now agrees: unlist it"
                ));
            }
            (false, Some(_)) => {}
            (false, None) => failures.push(format!(
                "{}: pyspf {their_result} {their_explanation:?}, mailproof {} \
                 {our_explanation:?} ({})",
                case.id,
                ours.result.as_str(),
                ours.reason
            )),
        }
    }
    // Written to stderr directly, past libtest's capture, so the count shows in every run.
    let _ = writeln!(
        std::io::stderr(),
        "pyspf interop: {agree}/{} agree ({} listed pyspf deviations)",
        cases.len(),
        DEVIATIONS.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
