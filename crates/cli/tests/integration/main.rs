#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End-to-end tests of the `mailproof` binary: the stories of testdata/stories/README.md and
//! the command line's behaviour (help, errors, exit codes).

mod batch;
mod cli;
mod stories;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The workspace's testdata directory.
fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// Runs the binary with `args` (and `stdin`, if given) from the testdata directory.
fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailproof"))
        .args(args)
        .current_dir(testdata())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or_default()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

/// Runs the binary and expects success; returns standard output.
fn ok(args: &[&str]) -> String {
    let output = run(args, None);
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `verify --json` of a story message from zone files.
fn verify_json(
    message: &str,
    ip: &str,
    helo: &str,
    mail_from: &str,
    zones: &[&str],
    now: &str,
) -> serde_json::Value {
    let mut args = vec![
        "verify",
        message,
        "--ip",
        ip,
        "--helo",
        helo,
        "--mail-from",
        mail_from,
        "--now",
        now,
        "--authserv-id",
        "mx.google.com",
        "--json",
    ];
    for zone in zones {
        args.push("--zone");
        args.push(zone);
    }
    serde_json::from_str(&ok(&args)).unwrap()
}
