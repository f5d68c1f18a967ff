//! `mailproof verify`: the verdict as a header, as JSON, or explained step by step.

use std::fmt::Write as _;
use std::net::IpAddr;

use mailproof::{Authenticator, Envelope, Verdict};
use mailproof_dmarc::{AlignmentMode, AlignmentOutcome, Mechanism, PolicySource, QueryAnswer};
use mailproof_spf::{Entry, TermOutcome, TraceEvent};
use serde_json::{Value, json};

use crate::dns::{DnsArgs, abbreviate, describe_txt};
use crate::{CliError, clock, parse_ip, read_input, write_stdout};

pub(crate) const AFTER_HELP: &str = "\
Prints the Authentication-Results header field (RFC 8601) a receiving server would add.
--json prints one JSON object instead (schema in the crate documentation: spf.result,
spf.domain, dkim[].result/domain/selector/reason, dmarc.result/policy/disposition/from_domain,
authentication_results, ...). --explain walks through every step in plain words.

Several FILEs, mbox files or Maildir directories are verified in parallel on every core, with
a progress bar on stderr: one line per message (with --json, one JSON object per line with a
\"source\" field), then a summary table of results. The envelope options apply to every message.

Example (offline, from zone files):
  mailproof verify msg.eml --ip 203.0.113.66 --helo mail.fake.com --mail-from xxx@fake.com \\
      --zone a.com.zone --zone fake.com.zone --explain

Exit status: 0 the message was checked (whatever the verdict), 1 an input could not be used
(file, zone, resolver), 2 bad command line.";

#[derive(Debug, clap::Args)]
pub(crate) struct VerifyArgs {
    /// The message (RFC 5322); `-` or nothing reads standard input. Several files, mbox
    /// files and Maildir (or plain) directories are verified in parallel, one line each, with
    /// a summary table; the envelope options then apply to every message.
    #[arg(value_name = "FILE|-")]
    files: Vec<String>,
    /// The connecting client's IP address.
    #[arg(long, value_name = "IP", value_parser = parse_ip)]
    ip: IpAddr,
    /// The name the client gave in HELO/EHLO.
    #[arg(long, value_name = "NAME")]
    helo: String,
    /// The MAIL FROM address (the bounce address); "" for the null reverse-path.
    #[arg(long, value_name = "ADDR")]
    mail_from: String,
    #[command(flatten)]
    dns: DnsArgs,
    /// The authserv-id to report results under (your receiving host's name).
    #[arg(long, value_name = "ID", default_value = "localhost")]
    authserv_id: String,
    /// Verify as if the time were this (seconds since 1970), for old mail and reproducible runs.
    #[arg(long, value_name = "UNIX")]
    now: Option<u64>,
    /// Print one JSON object instead of the header field.
    #[arg(long, conflicts_with = "explain")]
    json: bool,
    /// Explain what happened, step by step.
    #[arg(long)]
    explain: bool,
}

pub(crate) async fn run(args: &VerifyArgs) -> Result<(), CliError> {
    let batch = crate::batch::is_batch(&args.files);
    if batch && args.explain {
        return Err(CliError::usage(
            "--explain takes one message; give a single FILE".to_owned(),
        ));
    }
    let sources = if batch {
        Some(crate::batch::collect(&args.files)?)
    } else {
        None
    };
    let resolver = args.dns.resolver()?;
    let authenticator = Authenticator::new(resolver, &args.authserv_id).with_clock(clock(args.now));
    let envelope = Envelope::new(args.ip, args.helo.clone(), args.mail_from.clone());
    if let Some(sources) = sources {
        return crate::batch::run(sources, authenticator, envelope, args.json).await;
    }
    let raw = read_input(args.files.first().map(String::as_str))?;
    let raw = mailproof::to_crlf(&raw);
    let verdict = authenticator.verify(&envelope, &raw).await;
    let output = if args.json {
        let mut text = serde_json::to_string_pretty(&to_json(&verdict))
            .map_err(|e| CliError::new(format!("cannot write JSON: {e}")))?;
        text.push('\n');
        text
    } else if args.explain {
        explain(&envelope, &verdict)
    } else {
        verdict
            .authentication_results()
            .to_header_field()
            .replace("\r\n", "\n")
    };
    write_stdout(output.as_bytes())
}

fn mode(mode: AlignmentMode) -> &'static str {
    match mode {
        AlignmentMode::Strict => "strict",
        AlignmentMode::Relaxed => "relaxed",
    }
}

fn mechanism(mechanism: Mechanism) -> &'static str {
    match mechanism {
        Mechanism::Spf => "spf",
        Mechanism::Dkim => "dkim",
    }
}

/// The `--json` object; its schema is documented in the crate docs and kept stable.
pub(crate) fn to_json(verdict: &Verdict) -> Value {
    let spf = &verdict.spf.mail_from;
    let helo = &verdict.spf.helo;
    let dkim: Vec<Value> = verdict
        .dkim
        .iter()
        .map(|d| {
            json!({
                "result": d.result.result().as_str(),
                "domain": d.tags.domain,
                "selector": d.tags.selector,
                "algorithm": d.tags.algorithm,
                "identity": d.tags.identity,
                "b": d.tags.b_prefix,
                "signed_headers": d.tags.signed_header_names().collect::<Vec<_>>(),
                "key_name": d.key.as_ref().map(|k| k.name.to_string()),
                "reason": d.reason,
            })
        })
        .collect();
    let dmarc = &verdict.dmarc;
    let alignments: Vec<Value> = dmarc
        .evaluation
        .authors
        .iter()
        .flat_map(|a| &a.alignments)
        .map(|a| {
            json!({
                "mechanism": mechanism(a.mechanism),
                "domain": a.domain.as_str(),
                "mode": mode(a.mode),
                "aligned": matches!(a.outcome, AlignmentOutcome::Aligned),
            })
        })
        .collect();
    let policy_domain = dmarc
        .evaluation
        .authors
        .iter()
        .find_map(|a| a.discovery.as_ref())
        .map(|d| d.policy_domain.to_string());
    json!({
        "authserv_id": verdict.authserv_id,
        "message_error": verdict.message_error.as_ref().map(ToString::to_string),
        "spf": {
            "result": spf.result.as_str(),
            "domain": spf.domain,
            "sender": spf.sender,
            "client_ip": spf.client_ip.to_string(),
            "reason": spf.reason.to_string(),
            "explanation": spf.explanation.as_ref().map(|e| e.text.clone()),
            "helo": {
                "result": helo.result.as_str(),
                "domain": helo.domain,
                "reason": helo.reason.to_string(),
            },
        },
        "dkim": dkim,
        "dmarc": {
            "result": dmarc.result().as_str(),
            "policy": dmarc.policy.map(mailproof::Policy::as_str),
            "disposition": dmarc.disposition.as_str(),
            "from_domain": dmarc.from_domain.as_ref().map(ToString::to_string),
            "from_problem": dmarc.from_problem,
            "policy_domain": policy_domain,
            "reason": dmarc.reason,
            "disposition_reason": dmarc.disposition_reason,
            "alignments": alignments,
        },
        "authentication_results": verdict.authentication_results().to_string(),
        "received_spf": verdict.received_spf().to_string(),
    })
}

/// The `--explain` walk-through.
#[allow(clippy::too_many_lines)] // one narrative, step by step
pub(crate) fn explain(envelope: &Envelope, verdict: &Verdict) -> String {
    let mut out = String::new();
    let w = &mut out;
    let mail_from = if envelope.mail_from.is_empty() {
        "<> (the null sender of a bounce)".to_owned()
    } else {
        format!("<{}>", envelope.mail_from)
    };
    let _ = writeln!(w, "Step 1. The envelope");
    let _ = writeln!(
        w,
        "  The client {} connected, said HELO {} and MAIL FROM:{mail_from}.",
        envelope.client_ip, envelope.helo
    );
    let _ = writeln!(
        w,
        "  SMTP itself proves none of this: anyone can claim any sender. The checks below do."
    );
    if let Some(error) = &verdict.message_error {
        let _ = writeln!(w, "  The message itself could not be parsed: {error}.");
    }

    // SPF.
    let spf = &verdict.spf.mail_from;
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "Step 2. SPF: may {} send mail for {}?",
        spf.client_ip, spf.domain
    );
    let _ = writeln!(
        w,
        "  SPF checks the envelope's MAIL FROM domain (later the Return-Path), not the From the \
         reader sees. The domain lists its sending servers in a TXT record \"v=spf1 ...\"."
    );
    explain_spf_trace(w, spf);
    let _ = writeln!(w, "  Result: spf={} ({}).", spf.result, spf.reason);
    if let Some(explanation) = &spf.explanation {
        let _ = writeln!(w, "  The domain's explanation: {}", explanation.text);
    }
    let helo = &verdict.spf.helo;
    let _ = writeln!(
        w,
        "  The HELO name {} was checked the same way: spf={} ({}).",
        helo.domain, helo.result, helo.reason
    );

    // DKIM.
    let _ = writeln!(w);
    let count = verdict.dkim.len();
    let _ = writeln!(
        w,
        "Step 3. DKIM: {count} signature{}",
        if count == 1 { "" } else { "s" }
    );
    let _ = writeln!(
        w,
        "  A DKIM signature is made with the signing domain's private key over chosen header \
         fields and the body; the public key is published in DNS at <s=>._domainkey.<d=>. It \
         survives forwarding, but any domain can sign any message."
    );
    if count == 0 {
        let _ = writeln!(w, "  The message has no DKIM-Signature field: dkim=none.");
    }
    for (index, dkim) in verdict.dkim.iter().enumerate() {
        let tags = &dkim.tags;
        let _ = writeln!(
            w,
            "  Signature {}: d={} s={} a={}",
            index + 1,
            tags.domain.as_deref().unwrap_or("?"),
            tags.selector.as_deref().unwrap_or("?"),
            tags.algorithm.as_deref().unwrap_or("?")
        );
        let names: Vec<&str> = tags.signed_header_names().collect();
        if !names.is_empty() {
            let mut unique: Vec<&str> = Vec::new();
            for &name in &names {
                if !unique.iter().any(|u| u.eq_ignore_ascii_case(name)) {
                    unique.push(name);
                }
            }
            let _ = writeln!(w, "    Signed header fields (h=): {}", unique.join(", "));
            if unique.len() < names.len() {
                let _ = writeln!(
                    w,
                    "    (Some names are listed more often than the message has them: \
                     \"oversigned\", so a copy added in transit would break the signature.)"
                );
            }
        }
        match &dkim.key {
            Some(key) => {
                let _ = writeln!(
                    w,
                    "    DNS: {} TXT -> {}",
                    key.name,
                    describe_txt(&key.answer)
                );
            }
            None => {
                let _ = writeln!(
                    w,
                    "    No key was looked up (the signature was refused first)."
                );
            }
        }
        let _ = writeln!(
            w,
            "    Result: dkim={} ({}).",
            dkim.result.result(),
            dkim.reason
        );
    }

    // DMARC.
    let dmarc = &verdict.dmarc;
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "Step 4. DMARC: does the From the reader sees agree with what passed?"
    );
    match (&dmarc.from_domain, &dmarc.from_problem) {
        (Some(from), _) => {
            let _ = writeln!(w, "  From domain: {from}.");
        }
        (None, Some(problem)) => {
            let _ = writeln!(w, "  From: {problem}. DMARC never passes such a message.");
        }
        (None, None) => {}
    }
    for author in &dmarc.evaluation.authors {
        for query in author.queries() {
            let answer = match query.answer {
                QueryAnswer::DmarcRecord(_) => "a DMARC record".to_owned(),
                QueryAnswer::MultipleDmarcRecords(n) => format!("{n} DMARC records (all ignored)"),
                QueryAnswer::NoDmarcRecord => "TXT records, none of them DMARC".to_owned(),
                QueryAnswer::Records => "records".to_owned(),
                QueryAnswer::NoRecords => "no records".to_owned(),
                QueryAnswer::NxDomain => "NXDOMAIN".to_owned(),
                QueryAnswer::TemporaryFailure(kind) => format!("lookup failed: {kind}"),
                _ => "other".to_owned(),
            };
            let _ = writeln!(w, "  DNS: {} {} -> {answer}", query.name, query.record_type);
        }
        match &author.discovery {
            Some(found) => {
                let source = match found.source {
                    PolicySource::AuthorDomain => "the From domain's own record",
                    PolicySource::OrganizationalDomain => "the record of its Organizational Domain",
                    PolicySource::PublicSuffixDomain => "the record of a public suffix domain",
                };
                let _ = writeln!(
                    w,
                    "  Policy record for {} found at _dmarc.{} ({source}); organizational domain {}.",
                    author.author_domain,
                    found.policy_domain,
                    found.organizational_domain.as_ref().map_or_else(
                        || "not needed, not looked up".to_owned(),
                        ToString::to_string
                    )
                );
            }
            None => {
                let _ = writeln!(w, "  No DMARC policy record for {}.", author.author_domain);
            }
        }
        if !author.alignments.is_empty() {
            let _ = writeln!(
                w,
                "  Alignment (strict: the same domain; relaxed: the same organizational domain):"
            );
        }
        for alignment in &author.alignments {
            let how = match &alignment.outcome {
                AlignmentOutcome::Aligned => "aligned".to_owned(),
                AlignmentOutcome::NotAligned {
                    organizational_domain: Some(org),
                } => format!("not aligned (its organizational domain is {org})"),
                AlignmentOutcome::NotAligned { .. } => "not aligned".to_owned(),
                AlignmentOutcome::TemporaryFailure(f) => {
                    format!("unknown (DNS failure at {})", f.name)
                }
                _ => "?".to_owned(),
            };
            let _ = writeln!(
                w,
                "    {} passed for {}, {} vs {}: {how}",
                mechanism(alignment.mechanism).to_uppercase(),
                alignment.domain,
                mode(alignment.mode),
                author.author_domain
            );
        }
        if author.alignments.is_empty() && author.discovery.is_some() {
            let _ = writeln!(
                w,
                "  Neither SPF nor any DKIM signature passed, so there is nothing to align."
            );
        }
    }
    let _ = writeln!(w, "  Result: dmarc={} ({}).", dmarc.result(), dmarc.reason);
    let _ = writeln!(
        w,
        "  Disposition: {} ({}).",
        dmarc.disposition, dmarc.disposition_reason
    );

    let _ = writeln!(w);
    let _ = writeln!(w, "Step 5. The header field a receiver adds");
    for line in verdict.authentication_results().to_header_field().lines() {
        let _ = writeln!(w, "  {line}");
    }
    out
}

fn explain_spf_trace(w: &mut String, spf: &mailproof_spf::SpfOutput) {
    for event in &spf.trace.events() {
        let line = match event {
            TraceEvent::CheckHost { domain, entry } => match entry {
                Entry::Start => format!("Looking up the SPF record of {domain}."),
                Entry::Include => format!("include: evaluating the record of {domain}."),
                Entry::Redirect => format!("redirect=: evaluating the record of {domain} instead."),
            },
            TraceEvent::Query { .. } => {
                format!(
                    "DNS:{}",
                    event.to_string().trim_start().trim_start_matches("query")
                )
            }
            TraceEvent::Record { domain, record } => {
                format!("Record of {domain}: {}", abbreviate(&record.to_string()))
            }
            TraceEvent::Term {
                domain,
                term,
                outcome,
            } => match outcome {
                TermOutcome::Matched => format!("Term \"{term}\" ({domain}) matches: it decides."),
                TermOutcome::NotMatched => format!("Term \"{term}\" ({domain}) does not match."),
                TermOutcome::Error(result) => format!("Term \"{term}\" ({domain}) gives {result}."),
                TermOutcome::Followed => format!("Modifier \"{term}\" ({domain}) is followed."),
            },
            TraceEvent::Result { domain, result } => format!("Result for {domain}: {result}."),
            other => other.to_string().trim().to_owned(),
        };
        let _ = writeln!(w, "  {line}");
    }
}
