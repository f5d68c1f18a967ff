//! `sign`, `keygen`, `spf` and `dmarc`.

use std::fmt::Write as _;
use std::net::IpAddr;

use mailproof::{Signer, SigningKey};
use mailproof_dkim::RsaKeySize;
use mailproof_dmarc::{DiscoveryOutcome, PolicySource, PublicSuffixList, QueryAnswer};
use mailproof_dns::Name;
use serde_json::json;

use crate::dns::DnsArgs;
use crate::{CliError, clock, parse_ip, read_input, write_stdout};

#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Each --key is paired with a --selector in order (give one --selector per --key); all keys sign
for the same --domain, in one pass. The signed message (CRLF line endings) goes to standard
output: the DKIM-Signature fields first, then the message.

Example:
  mailproof sign msg.eml --domain qq.com --selector rsa --key rsa.pem --selector ed --key ed.pem

Exit status: 0 the command ran (whatever the result), 1 an input could not be used (file,
zone, key, resolver), 2 bad command line.")]
pub(crate) struct SignArgs {
    /// The message to sign; `-` or nothing reads standard input.
    #[arg(value_name = "FILE|-")]
    file: Option<String>,
    /// The signing domain (d=).
    #[arg(long, value_name = "D")]
    domain: String,
    /// The selector (s=); repeat once per --key.
    #[arg(long = "selector", value_name = "S", required = true)]
    selectors: Vec<String>,
    /// A private key file (PKCS#8 or PKCS#1 PEM, RSA or Ed25519); repeatable.
    #[arg(long = "key", value_name = "PEM", required = true)]
    keys: Vec<String>,
    /// Sign as if the time were this (seconds since 1970): reproducible signatures.
    #[arg(long, value_name = "UNIX")]
    now: Option<u64>,
}

pub(crate) fn sign(args: &SignArgs) -> Result<(), CliError> {
    if args.selectors.len() != args.keys.len() {
        return Err(CliError::usage(format!(
            "{} --key but {} --selector: give one --selector per --key",
            args.keys.len(),
            args.selectors.len()
        )));
    }
    let mut signer = Signer::new().with_clock(clock(args.now));
    for (path, selector) in args.keys.iter().zip(&args.selectors) {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| CliError::new(format!("cannot read key {path}: {e}")))?;
        let key =
            SigningKey::from_pem(&pem).map_err(|e| CliError::new(format!("key {path}: {e}")))?;
        signer = signer.with_key(key, &args.domain, selector).map_err(|e| {
            CliError::usage(format!(
                "--domain {} --selector {selector}: {e}",
                args.domain
            ))
        })?;
    }
    let raw = read_input(args.file.as_deref())?;
    let raw = mailproof::to_crlf(&raw);
    let signed = signer
        .sign(&raw)
        .map_err(|e| CliError::new(format!("cannot sign: {e}")))?;
    write_stdout(&signed)
}

/// Key algorithms `keygen` makes.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub(crate) enum KeyAlgorithm {
    /// RSA, 2048 bits: the safe default; every verifier supports it.
    Rsa2048,
    /// RSA, 4096 bits: some DNS panels cannot publish the long record.
    Rsa4096,
    /// Ed25519 (RFC 8463): short keys; sign with RSA too, as not every verifier supports it.
    Ed25519,
}

#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Writes the private key (PKCS#8 PEM) to --out, created with mode 0600 and never overwritten,
or to standard output without --out. Then prints the DNS TXT record to publish at
<selector>._domainkey.<domain>: as one string (for a DNS provider's web form) and as a
zone-file line (split into 255-byte strings, as TXT records must be).

Exit status: 0 the command ran (whatever the result), 1 an input could not be used (file,
zone, key, resolver), 2 bad command line.")]
pub(crate) struct KeygenArgs {
    /// The key algorithm.
    #[arg(long, value_enum)]
    algorithm: KeyAlgorithm,
    /// The domain the key signs for (d=).
    #[arg(long, value_name = "D")]
    domain: String,
    /// The selector (s=): the key's name under _domainkey.
    #[arg(long, value_name = "S")]
    selector: String,
    /// Where to write the private key.
    #[arg(long, value_name = "FILE")]
    out: Option<String>,
}

pub(crate) fn keygen(args: &KeygenArgs) -> Result<(), CliError> {
    let record_name = Name::new(&format!("{}._domainkey.{}", args.selector, args.domain))
        .map_err(|e| CliError::usage(format!("--selector/--domain: {e}")))?;
    let generated = match args.algorithm {
        KeyAlgorithm::Rsa2048 => mailproof_dkim::generate_rsa_key(RsaKeySize::Bits2048),
        KeyAlgorithm::Rsa4096 => mailproof_dkim::generate_rsa_key(RsaKeySize::Bits4096),
        KeyAlgorithm::Ed25519 => mailproof_dkim::generate_ed25519_key(),
    }
    .map_err(|e| CliError::new(format!("key generation failed: {e}")))?;
    let record = generated.dns_record();
    let mut out = String::new();
    match &args.out {
        Some(path) => {
            write_private(path, generated.to_pem().as_bytes())?;
            let _ = writeln!(out, "; private key written to {path} (keep it secret)");
        }
        None => out.push_str(&generated.to_pem()),
    }
    let _ = writeln!(out, "; TXT record for {record_name}:");
    let _ = writeln!(out, "{}", record.as_str());
    let _ = writeln!(out, "; zone-file line:");
    let _ = writeln!(out, "{record_name}. IN TXT {}", record.zone_file_value());
    write_stdout(out.as_bytes())
}

fn write_private(path: &str, bytes: &[u8]) -> Result<(), CliError> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| CliError::new(format!("cannot create {path}: {e}")))?;
    file.write_all(bytes)
        .map_err(|e| CliError::new(format!("cannot write {path}: {e}")))
}

#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Checks the MAIL FROM identity --sender (RFC 7208 §2.4). An empty --sender \"\" is the null
reverse-path of a bounce: SPF then checks postmaster@<HELO name>, so --helo is required.
Prints the Received-SPF header field, the reason and each DNS query and term evaluated.

Exit status: 0 the command ran (whatever the result), 1 an input could not be used (file,
zone, key, resolver), 2 bad command line.")]
pub(crate) struct SpfArgs {
    /// The client IP address.
    #[arg(long, value_name = "IP", value_parser = parse_ip)]
    ip: IpAddr,
    /// The MAIL FROM address (\"\" for the null reverse-path).
    #[arg(long, value_name = "ADDR")]
    sender: String,
    /// The HELO/EHLO name.
    #[arg(long, value_name = "NAME")]
    helo: Option<String>,
    /// Print one JSON object: result, domain, sender, reason, explanation, `received_spf`, trace.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    dns: DnsArgs,
}

pub(crate) async fn spf(args: &SpfArgs) -> Result<(), CliError> {
    let sender = args.sender.trim_start_matches('<').trim_end_matches('>');
    if sender.is_empty() && args.helo.is_none() {
        return Err(CliError::usage(
            "an empty --sender is checked as postmaster@<HELO name>: give --helo",
        ));
    }
    let helo = args.helo.as_deref().unwrap_or("");
    let resolver = args.dns.resolver()?;
    let verifier = mailproof_spf::Verifier::default();
    let output = verifier
        .verify_mail_from(&resolver, args.ip, helo, sender)
        .await;
    let text = if args.json {
        let value = json!({
            "result": output.result.as_str(),
            "domain": output.domain,
            "sender": output.sender,
            "client_ip": output.client_ip.to_string(),
            "reason": output.reason.to_string(),
            "explanation": output.explanation.as_ref().map(|e| e.text.clone()),
            "received_spf": output.received_spf().to_string(),
            "trace": output.trace.events().iter().map(|e| e.to_string().trim().to_owned()).collect::<Vec<_>>(),
        });
        format!("{value:#}\n")
    } else {
        let mut text = format!("{}\n", output.received_spf());
        let _ = writeln!(text, "result: {}", output.result);
        let _ = writeln!(text, "reason: {}", output.reason);
        if let Some(explanation) = &output.explanation {
            let _ = writeln!(text, "explanation: {}", explanation.text);
        }
        text.push_str("trace:\n");
        for event in &output.trace.events() {
            let _ = writeln!(text, "  {}", event.to_string().trim());
        }
        text
    };
    write_stdout(text.as_bytes())
}

#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Finds the DMARC policy record that applies to mail whose From domain is DOMAIN: by RFC 9989's
DNS tree walk (the default), or by RFC 7489's Public Suffix List with --rfc7489. Prints the
record, the name it was found at, why that name (the domain's own record, its organizational
domain's, or a public suffix domain's) and every DNS query made.

Exit status: 0 the command ran (whatever the result), 1 an input could not be used (file,
zone, key, resolver), 2 bad command line.")]
pub(crate) struct DmarcArgs {
    /// The From (author) domain.
    domain: String,
    /// Discover as RFC 7489 does (Public Suffix List) instead of the DNS tree walk.
    #[arg(long)]
    rfc7489: bool,
    /// Print one JSON object: domain, status, `policy_domain`, `organizational_domain`, source,
    /// method, record, queries.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    dns: DnsArgs,
}

#[allow(clippy::too_many_lines)] // one report, text and JSON
pub(crate) async fn dmarc(args: &DmarcArgs) -> Result<(), CliError> {
    let domain = Name::new(&args.domain)
        .map_err(|e| CliError::usage(format!("{:?} is not a domain name: {e}", args.domain)))?;
    let resolver = args.dns.resolver()?;
    let verifier = if args.rfc7489 {
        mailproof_dmarc::Verifier::rfc7489(PublicSuffixList::compiled_in(), || 0)
    } else {
        mailproof_dmarc::Verifier::new()
    };
    let outcome = verifier.discover(&resolver, &domain).await;
    let method = if args.rfc7489 {
        "public suffix list (RFC 7489)"
    } else {
        "DNS tree walk (RFC 9989)"
    };
    let queries = match &outcome {
        DiscoveryOutcome::Found(found) => found.queries.clone(),
        DiscoveryOutcome::NoPolicy { queries, .. }
        | DiscoveryOutcome::TemporaryFailure { queries, .. } => queries.clone(),
        _ => Vec::new(),
    };
    let queries: Vec<(String, String)> = queries
        .iter()
        .map(|q| {
            let answer = match q.answer {
                QueryAnswer::DmarcRecord(_) => "DMARC record".to_owned(),
                QueryAnswer::MultipleDmarcRecords(n) => format!("{n} DMARC records (ignored)"),
                QueryAnswer::NoDmarcRecord => "no DMARC record".to_owned(),
                QueryAnswer::Records => "records".to_owned(),
                QueryAnswer::NoRecords => "no records".to_owned(),
                QueryAnswer::NxDomain => "NXDOMAIN".to_owned(),
                QueryAnswer::TemporaryFailure(kind) => format!("failed: {kind}"),
                _ => "other".to_owned(),
            };
            (format!("{} {}", q.name, q.record_type), answer)
        })
        .collect();
    let (status, found) = match &outcome {
        DiscoveryOutcome::Found(found) => ("found", Some(found)),
        DiscoveryOutcome::NoPolicy { .. } => ("none", None),
        _ => ("temperror", None),
    };
    let source = found.map(|f| match f.source {
        PolicySource::AuthorDomain => "author domain",
        PolicySource::OrganizationalDomain => "organizational domain",
        PolicySource::PublicSuffixDomain => "public suffix domain",
    });
    let record = found.map(|f| {
        let r = &f.record;
        json!({
            "p": r.policy.map(mailproof::Policy::as_str),
            "sp": r.subdomain_policy.map(mailproof::Policy::as_str),
            "np": r.nonexistent_subdomain_policy.map(mailproof::Policy::as_str),
            "adkim": format!("{:?}", r.dkim_alignment).to_lowercase(),
            "aspf": format!("{:?}", r.spf_alignment).to_lowercase(),
            "t": r.testing,
            "pct": r.percent,
            "rua": r.aggregate_report_uris.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "ruf": r.failure_report_uris.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "problems": r.problems.iter().map(|p| format!("{}: {:?}", p.tag, p.kind)).collect::<Vec<_>>(),
        })
    });
    let text = if args.json {
        let value = json!({
            "domain": domain.as_str(),
            "status": status,
            "method": method,
            "policy_domain": found.map(|f| f.policy_domain.to_string()),
            "organizational_domain": found.and_then(|f| f.organizational_domain.as_ref().map(ToString::to_string)),
            "source": source,
            "record": record,
            "queries": queries.iter().map(|(q, a)| json!({"query": q, "answer": a})).collect::<Vec<_>>(),
        });
        format!("{value:#}\n")
    } else {
        let mut text = String::new();
        match found {
            Some(f) => {
                let _ = writeln!(
                    text,
                    "DMARC policy for {domain}: found at _dmarc.{} ({}), by {method}",
                    f.policy_domain,
                    source.unwrap_or("")
                );
                if let Some(org) = &f.organizational_domain {
                    let _ = writeln!(text, "organizational domain: {org}");
                }
                if let Some(record) = &record {
                    let _ = writeln!(text, "record: {record}");
                }
            }
            None if status == "none" => {
                let _ = writeln!(text, "no DMARC policy applies to {domain} ({method})");
            }
            None => {
                let _ = writeln!(
                    text,
                    "DMARC discovery for {domain} failed temporarily (DNS)"
                );
            }
        }
        text.push_str("queries:\n");
        for (query, answer) in &queries {
            let _ = writeln!(text, "  {query} -> {answer}");
        }
        text
    };
    write_stdout(text.as_bytes())
}
