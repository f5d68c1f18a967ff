//! Help, errors and exit codes.

use crate::{ok, run};

#[test]
fn every_subcommand_has_help() {
    for sub in ["verify", "sign", "keygen", "spf", "dmarc"] {
        let out = ok(&[sub, "--help"]);
        assert!(out.contains("Usage: mailproof"), "{sub}: {out}");
        assert!(out.contains("Exit status"), "{sub}: {out}");
    }
    assert!(ok(&["--help"]).contains("Exit status"));
}

fn one_line_error(args: &[&str], code: i32) -> String {
    let output = run(args, None);
    assert_eq!(output.status.code(), Some(code), "{args:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("mailproof: "), "{stderr}");
    stderr
}

#[test]
fn bad_arguments_give_one_line_and_exit_2() {
    one_line_error(
        &[
            "verify",
            "--ip",
            "not-an-ip",
            "--helo",
            "h",
            "--mail-from",
            "",
        ],
        2,
    );
    one_line_error(&["verify", "--helo", "h", "--mail-from", ""], 2);
    one_line_error(
        &[
            "spf",
            "--ip",
            "192.0.2.1",
            "--sender",
            "",
            "--zone",
            "zones/a.com.zone",
        ],
        2,
    );
    one_line_error(&["frobnicate"], 2);
    one_line_error(
        &[
            "keygen",
            "--algorithm",
            "dsa",
            "--domain",
            "a.com",
            "--selector",
            "s",
        ],
        2,
    );
    one_line_error(
        &[
            "sign",
            "--domain",
            "a.com",
            "--selector",
            "a",
            "--selector",
            "b",
            "--key",
            "k",
        ],
        2,
    );
    one_line_error(
        &[
            "verify",
            "--ip",
            "192.0.2.1",
            "--helo",
            "h",
            "--mail-from",
            "",
            "--dns",
            "nonsense",
        ],
        2,
    );
}

#[test]
fn unreadable_inputs_give_one_line_and_exit_1() {
    let e = one_line_error(
        &[
            "verify",
            "no/such/file.eml",
            "--ip",
            "192.0.2.1",
            "--helo",
            "h",
            "--mail-from",
            "",
            "--zone",
            "zones/a.com.zone",
        ],
        1,
    );
    assert!(e.contains("no/such/file.eml"), "{e}");
    let e = one_line_error(
        &[
            "spf",
            "--ip",
            "192.0.2.1",
            "--sender",
            "a@a.com",
            "--zone",
            "no/such.zone",
        ],
        1,
    );
    assert!(e.contains("no/such.zone"), "{e}");
    one_line_error(
        &[
            "spf",
            "--ip",
            "192.0.2.1",
            "--sender",
            "a@a.com",
            "--zone",
            "stories/c-a.com.eml",
        ],
        1,
    );
    one_line_error(
        &[
            "sign",
            "stories/c-a.com.eml",
            "--domain",
            "a.com",
            "--selector",
            "s",
            "--key",
            "stories/c-a.com.eml",
        ],
        1,
    );
}

#[test]
fn verify_reads_standard_input_and_prints_the_header() {
    let message = std::fs::read(crate::testdata().join("stories/c-a.com.eml")).unwrap();
    let output = run(
        &[
            "verify",
            "-",
            "--ip",
            "173.10.10.10",
            "--helo",
            "mail.a.com",
            "--mail-from",
            "admin@a.com",
            "--zone",
            "zones/a.com.zone",
            "--authserv-id",
            "mx.test",
        ],
        Some(&message),
    );
    assert!(output.status.success());
    let out = String::from_utf8(output.stdout).unwrap();
    assert!(
        out.starts_with("Authentication-Results: mx.test;\n\tspf=pass"),
        "{out}"
    );
    assert!(out.contains("dmarc=pass"), "{out}");
}

#[test]
fn null_sender_checks_helo() {
    let v: serde_json::Value = serde_json::from_str(&ok(&[
        "spf",
        "--ip",
        "203.0.113.66",
        "--sender",
        "",
        "--helo",
        "mail.fake.com",
        "--zone",
        "zones/fake.com.zone",
        "--json",
    ]))
    .unwrap();
    assert_eq!(v["result"], "pass");
    assert_eq!(v["domain"], "mail.fake.com");
    assert_eq!(v["sender"], "postmaster@mail.fake.com");
}

#[test]
fn keygen_writes_a_key_the_signer_uses_and_never_overwrites() {
    let dir = std::env::temp_dir().join(format!("mailproof-keygen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("ed.pem");
    let key_text = key.to_str().unwrap();
    let _ = std::fs::remove_file(&key);
    let out = ok(&[
        "keygen",
        "--algorithm",
        "ed25519",
        "--domain",
        "a.com",
        "--selector",
        "ed",
        "--out",
        key_text,
    ]);
    assert!(out.contains("v=DKIM1; k=ed25519; p="), "{out}");
    assert!(
        out.contains("ed._domainkey.a.com. IN TXT \"v=DKIM1; k=ed25519; p="),
        "{out}"
    );
    let signed = ok(&[
        "sign",
        "stories/c-a.com.eml",
        "--domain",
        "a.com",
        "--selector",
        "ed",
        "--key",
        key_text,
        "--now",
        "1",
    ]);
    assert!(
        signed.starts_with("DKIM-Signature: v=1; a=ed25519-sha256;"),
        "{signed}"
    );
    one_line_error(
        &[
            "keygen",
            "--algorithm",
            "ed25519",
            "--domain",
            "a.com",
            "--selector",
            "ed",
            "--out",
            key_text,
        ],
        1,
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
