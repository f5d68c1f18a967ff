//! Stalwart's SPF scripts (`spf/stalwart-mail-auth/*.yml`): line-oriented and stateful, not
//! YAML (keys repeat). See shared/conformance/README.md for the format.
//!
//! Conventions of Stalwart's own harness that we follow: the receiving host is
//! `localdomain.org`; names containing `_dns_error` fail with a DNS error; each MX listed as
//! an IP gets a synthetic exchange `mx.<ip>.<index>` resolving to that IP.

use std::collections::BTreeMap;
use std::net::IpAddr;

use mailproof_dns::{FailureKind, Name, ZoneResolver};
use mailproof_spf::{SpfResult, Verifier};

use crate::conformance::{Skip, Tally, block_on, suite_dir};

/// Stalwart checks we do not pass, with why: each is a place where Stalwart's expectation
/// departs from RFC 7208 and the OpenSPF RFC 7208 suite, which we follow.
const SKIP: &[Skip] = &[
    Skip {
        test: "all.yml / All test #1",
        reason: "`v=spf1 -all ip:10.0.0.1`: Stalwart ignores the unknown mechanism after `all`; \
                 RFC 7208 §4.6 makes a syntax error anywhere permerror (OpenSPF \
                 detect-errors-anywhere)",
    },
    Skip {
        test: "basic.yml / DNS Lookup Limits #1",
        reason: "ten `a:` lookups of nonexistent names: Stalwart has no void-lookup limit; \
                 RFC 7208 §4.6.4 recommends two, our default (OpenSPF void-over-limit)",
    },
    Skip {
        test: "basic.yml / DNS Lookup Limits #6",
        reason: "11 MX records: Stalwart ignores those past ten; RFC 7208 §4.6.4 makes it \
                 permerror (OpenSPF mx-limit)",
    },
    Skip {
        test: "exists.yml / Exists #2",
        reason: "`exists:` at an AAAA-only name: RFC 7208 §5.7 looks up A only, even for IPv6 \
                 (OpenSPF exists-ip6only); Stalwart also accepts AAAA",
    },
    Skip {
        test: "ip.yml / IPv6 match #4",
        reason: "IPv4 client against `ip6:::ffff:10.1.2.3`: RFC 7208 §5 evaluates IPv4 and \
                 IPv4-mapped addresses with ip4 mechanisms only (OpenSPF cidr6-ip4)",
    },
    Skip {
        test: "macro.yml / Macro expansion 2 #2",
        reason: "`exists:` whose target has only an AAAA record: A only, as exists.yml #2",
    },
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Txt,
    A,
    Aaaa,
    Mx,
    Ptr,
}

/// DNS data of one file: (owner, type) → values; a later line replaces an earlier one.
type Records = BTreeMap<(String, Kind), Vec<String>>;

#[test]
fn stalwart_scripts() {
    let Some(dir) = suite_dir() else { return };
    let dir = dir.join("spf/stalwart-mail-auth");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    let mut tally = Tally::new("stalwart-mail-auth");
    for path in files {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        run_script(&file, &text, &mut tally);
    }
    tally.finish();
}

fn run_script(file: &str, text: &str, tally: &mut Tally) {
    let error_names: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == ':' || c == '@')
        .filter(|token| token.contains("_dns_error"))
        .map(str::to_owned)
        .collect();
    let mut records = Records::new();
    let mut block_name = String::new();
    let mut check_index = 0;
    let (mut helo, mut sender, mut ip) = (String::new(), String::new(), default_ip());
    for raw in text.lines() {
        if raw.trim_start().starts_with('#') {
            continue;
        }
        if raw.trim() == "---" {
            helo.clear();
            sender.clear();
            ip = default_ip();
            continue;
        }
        let line = raw.trim_start_matches([' ', '-']);
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key {
            "name" => {
                value.clone_into(&mut block_name);
                check_index = 0;
            }
            "spf" | "exp" => {
                let (owner, record) = value.split_once(' ').unwrap_or((value, ""));
                records.insert((owner.to_lowercase(), Kind::Txt), vec![record.to_owned()]);
            }
            "a" | "aaaa" | "mx" | "ptr" => {
                let (owner, list) = value.split_once(' ').unwrap();
                let kind = match key {
                    "mx" => Kind::Mx,
                    "ptr" => Kind::Ptr,
                    "aaaa" => Kind::Aaaa,
                    _ => Kind::A,
                };
                let values = list
                    .split(',')
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
                    .collect();
                records.insert((owner.to_lowercase(), kind), values);
            }
            "domain" => value.clone_into(&mut helo),
            "sender" => value.clone_into(&mut sender),
            "ip" => ip = value.parse().unwrap(),
            "expect" => {
                check_index += 1;
                let (keyword, explanation) = value.split_once(' ').unwrap_or((value, ""));
                let expected = SpfResult::from_keyword(keyword).unwrap();
                let zone = build_zone(&records, &error_names);
                let mut verifier = Verifier::default();
                "localdomain.org".clone_into(&mut verifier.receiver);
                // Stalwart's harness checks HELO and then, unless HELO fails, MAIL FROM: its
                // combination of the two outcomes `verify_both` returns.
                let both = block_on(verifier.verify_both(&zone, ip, &helo, &sender));
                let output = if both.helo.result == SpfResult::Fail {
                    both.helo
                } else {
                    both.mail_from
                };
                let name = format!("{file} / {block_name} #{check_index}");
                let mut failure = (output.result != expected).then(|| {
                    format!(
                        "helo {helo}, sender {sender}, ip {ip}: expected {expected}, got {} ({})\n{}",
                        output.result, output.reason, output.trace
                    )
                });
                if failure.is_none() && !explanation.is_empty() {
                    let got = output.explanation.as_ref().map(|e| e.text.as_str());
                    if got == Some(explanation) {
                        tally.explanations_checked += 1;
                    } else {
                        failure = Some(format!(
                            "explanation: expected {explanation:?}, got {got:?}"
                        ));
                    }
                }
                tally.record(&name, failure, SKIP);
            }
            _ => {}
        }
    }
}

fn default_ip() -> IpAddr {
    IpAddr::from([127, 0, 0, 1])
}

fn build_zone(records: &Records, error_names: &[String]) -> ZoneResolver {
    let mut zone = ZoneResolver::new();
    let name = |text: &str| Name::new(text).ok();
    for ((owner, kind), values) in records {
        let Some(owner_name) = name(owner) else {
            // Over-long names in basic.yml: queries for them fail validation first.
            continue;
        };
        match kind {
            Kind::Txt => {
                zone.add_txt(owner_name, &[values[0].as_bytes()]);
            }
            Kind::A | Kind::Aaaa => {
                for value in values {
                    match value.parse::<IpAddr>().unwrap() {
                        IpAddr::V4(v4) => zone.add_a(owner_name.clone(), v4),
                        IpAddr::V6(v6) => zone.add_aaaa(owner_name.clone(), v6),
                    };
                }
            }
            Kind::Mx => {
                for (index, value) in values.iter().enumerate() {
                    let exchange = Name::new(&format!("mx.{value}.{index}")).unwrap();
                    let preference = u16::try_from(index + 1).unwrap();
                    zone.add_mx(owner_name.clone(), preference, exchange.clone());
                    match value.parse::<IpAddr>().unwrap() {
                        IpAddr::V4(v4) => zone.add_a(exchange, v4),
                        IpAddr::V6(v6) => zone.add_aaaa(exchange, v6),
                    };
                }
            }
            Kind::Ptr => {
                let reverse = Name::reverse(owner.parse().unwrap());
                for value in values {
                    zone.add_ptr(reverse.clone(), Name::new(value).unwrap());
                }
            }
        }
    }
    for error_name in error_names {
        if let Some(error_name) = name(error_name) {
            zone.fail(error_name, FailureKind::ServerFailure);
        }
    }
    zone
}
