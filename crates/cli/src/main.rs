//! `mailproof`: check, sign and explain email authentication from the command line.
//!
//! ```text
//! mailproof verify [FILE|-] --ip IP --helo NAME --mail-from ADDR [--zone FILE]... [--dns IP:PORT]
//!                  [--authserv-id ID] [--now UNIX] [--json] [--explain]
//! mailproof sign [FILE|-] --domain D --selector S --key PEM [--selector S --key PEM]... [--now UNIX]
//! mailproof keygen --algorithm rsa2048|rsa4096|ed25519 --domain D --selector S [--out FILE]
//! mailproof spf --ip IP --sender ADDR [--helo NAME] [--json] [--zone FILE]... [--dns IP:PORT]
//! mailproof dmarc DOMAIN [--json] [--rfc7489] [--zone FILE]... [--dns IP:PORT]
//! ```
//!
//! Every subcommand that reads DNS takes `--zone FILE` (repeatable: answers come from RFC 1035
//! zone files and no network is used) or `--dns IP:PORT` (that name server); with neither, the
//! system resolver. Messages are read from FILE or standard input (`-` or no FILE); bare LF
//! line endings are turned into CRLF first, as DKIM needs.
//!
//! # Exit status
//! | code | meaning |
//! |---|---|
//! | 0 | the command ran; for `verify`, `spf` and `dmarc` whatever the result (read it from the output or `--json`) |
//! | 1 | an input could not be used: unreadable file, bad zone file or key, DNS resolver setup failed, message cannot be signed |
//! | 2 | bad command line (unknown option, invalid IP address, missing argument) |
//!
//! Errors are one line on standard error, starting with `mailproof:`.
//!
//! # `verify --json`
//! One JSON object (fields are never removed; new ones may be added):
//! ```text
//! {
//!   "authserv_id": "mx.example.org",
//!   "message_error": null | "why the message does not parse",
//!   "spf": { "result": "pass|fail|softfail|neutral|none|temperror|permerror",
//!            "domain": "MAIL FROM domain checked", "sender": "local@domain",
//!            "client_ip": "…", "reason": "…", "explanation": null | "…",
//!            "helo": { "result": "…", "domain": "…", "reason": "…" } },
//!   "dkim": [ { "result": "pass|fail|neutral|policy|temperror|permerror",
//!               "domain": "d=" | null, "selector": "s=" | null, "algorithm": "a=" | null,
//!               "identity": "i=" | null, "b": "first 8 chars of b=" | null,
//!               "signed_headers": ["from", …], "key_name": "s._domainkey.d" | null,
//!               "reason": "…" } ],
//!   "dmarc": { "result": "pass|fail|none|temperror|permerror",
//!              "policy": "none|quarantine|reject" | null,      (what the record asks)
//!              "disposition": "none|quarantine|reject",         (what to apply)
//!              "from_domain": "…" | null, "from_problem": null | "…",
//!              "policy_domain": "…" | null, "reason": "…", "disposition_reason": "…",
//!              "alignments": [ { "mechanism": "spf|dkim", "domain": "…",
//!                                "mode": "relaxed|strict", "aligned": true } ] },
//!   "authentication_results": "Authentication-Results: … (one line)",
//!   "received_spf": "Received-SPF: …"
//! }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod batch;
mod commands;
mod dns;
mod verify;

use std::io::{Read as _, Write as _};
use std::net::IpAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

const EXIT_STATUS: &str = "Exit status: 0 the command ran (whatever the verdict), \
1 an input could not be used (file, zone, key, resolver), 2 bad command line.";

/// Check, sign and explain email authentication: SPF, DKIM and DMARC.
#[derive(Debug, Parser)]
#[command(name = "mailproof", version, after_help = EXIT_STATUS)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Verify a received message (SPF, DKIM, DMARC) and print its Authentication-Results.
    #[command(after_help = verify::AFTER_HELP)]
    Verify(verify::VerifyArgs),
    /// DKIM-sign a message with one or more keys and print the signed message.
    #[command(after_help = EXIT_STATUS)]
    Sign(commands::SignArgs),
    /// Generate a DKIM key and print the DNS TXT record that publishes it.
    #[command(after_help = EXIT_STATUS)]
    Keygen(commands::KeygenArgs),
    /// Check whether an IP address may send mail for a sender (SPF, RFC 7208).
    #[command(after_help = EXIT_STATUS)]
    Spf(commands::SpfArgs),
    /// Find the DMARC policy that applies to a domain, where and how.
    #[command(after_help = EXIT_STATUS)]
    Dmarc(commands::DmarcArgs),
}

/// An error for the user: one line, and the exit status it calls for.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct CliError {
    message: String,
    usage: bool,
}

impl CliError {
    /// An input that could not be used (exit status 1).
    pub(crate) fn new(message: impl Into<String>) -> CliError {
        CliError {
            message: message.into(),
            usage: false,
        }
    }

    /// A bad command line (exit status 2).
    pub(crate) fn usage(message: impl Into<String>) -> CliError {
        CliError {
            message: message.into(),
            usage: true,
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            use clap::error::ErrorKind;
            if matches!(
                error.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = error.print();
                return if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    ExitCode::from(2)
                } else {
                    ExitCode::SUCCESS
                };
            }
            let rendered = error.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            eprintln!("mailproof: {first} (see --help)");
            return ExitCode::from(2);
        }
    };
    // Multi-threaded: `verify` over many messages runs them on every core.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("mailproof: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Verify(args) => verify::run(&args).await,
            Command::Sign(args) => commands::sign(&args),
            Command::Keygen(args) => commands::keygen(&args),
            Command::Spf(args) => commands::spf(&args).await,
            Command::Dmarc(args) => commands::dmarc(&args).await,
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mailproof: {error}");
            ExitCode::from(if error.usage { 2 } else { 1 })
        }
    }
}

/// Reads FILE, or standard input for `-` or no FILE.
pub(crate) fn read_input(path: Option<&str>) -> Result<Vec<u8>, CliError> {
    let mut bytes = Vec::new();
    match path {
        None | Some("-") => std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| CliError::new(format!("cannot read standard input: {e}")))?,
        Some(path) => {
            bytes = std::fs::read(path)
                .map_err(|e| CliError::new(format!("cannot read {path}: {e}")))?;
            bytes.len()
        }
    };
    Ok(bytes)
}

/// Writes to standard output; a closed pipe (`| head`) is not an error worth a message.
pub(crate) fn write_stdout(bytes: &[u8]) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::new(format!("cannot write output: {e}"))),
    }
}

/// Parses `--now` style Unix times into the DKIM clock.
pub(crate) fn clock(now: Option<u64>) -> mailproof::Clock {
    now.map_or(mailproof::Clock::System, mailproof::Clock::Fixed)
}

/// `value_parser` for IP addresses with a short message.
pub(crate) fn parse_ip(text: &str) -> Result<IpAddr, String> {
    text.parse()
        .map_err(|_| format!("{text:?} is not an IPv4 or IPv6 address"))
}
