//! `verify` over several files, an mbox and a Maildir: one line per message in input order,
//! then a summary table.

use std::path::PathBuf;

use crate::{ok, testdata};

/// A scratch directory under the target directory, fresh for each test.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const ENVELOPE: &[&str] = &[
    "--ip",
    "203.0.113.66",
    "--helo",
    "mail.fake.com",
    "--mail-from",
    "xxx@fake.com",
    "--zone",
    "zones/a.com.zone",
    "--zone",
    "zones/fake.com.zone",
    "--zone",
    "zones/qq.com.zone",
    "--zone",
    "zones/163.com.zone",
    "--now",
    "1648170100",
];

fn verify(inputs: &[&str], json: bool) -> String {
    let mut args = vec!["verify"];
    args.extend_from_slice(inputs);
    args.extend_from_slice(ENVELOPE);
    if json {
        args.push("--json");
    }
    ok(&args)
}

#[test]
fn several_files_one_line_each_and_a_summary() {
    let out = verify(
        &[
            "stories/a-spoof.eml",
            "stories/b-forwarded.eml",
            "stories/c-a.com.eml",
        ],
        false,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0]
            .starts_with("stories/a-spoof.eml: spf=pass dkim=pass dmarc=fail disposition=reject"),
        "{out}"
    );
    assert!(
        lines[1].starts_with(
            "stories/b-forwarded.eml: spf=pass dkim=pass,pass dmarc=pass disposition=none"
        ),
        "{out}"
    );
    assert!(
        lines[2]
            .starts_with("stories/c-a.com.eml: spf=pass dkim=none dmarc=fail disposition=reject"),
        "{out}"
    );
    // (One envelope for all: SPF checks fake.com from its own address each time.)
    assert!(out.contains("3 messages"), "{out}");
    assert!(out.contains("spf          pass              3"), "{out}");
    assert!(out.contains("dmarc        fail              2"), "{out}");
    assert!(out.contains("dmarc        pass              1"), "{out}");
}

#[test]
fn mbox_and_maildir() {
    let stories = testdata().join("stories");
    let a = std::fs::read(stories.join("a-spoof.eml")).unwrap();
    let b = std::fs::read(stories.join("b-forwarded.eml")).unwrap();

    let dir = scratch("batch-mbox");
    let mut mbox = Vec::new();
    for message in [&a, &b] {
        mbox.extend_from_slice(b"From sender@example Mon Mar 21 10:00:00 2022\r\n");
        mbox.extend_from_slice(message);
        mbox.extend_from_slice(b"\r\n");
    }
    let mbox_path = dir.join("stories.mbox");
    std::fs::write(&mbox_path, &mbox).unwrap();

    let maildir = dir.join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    std::fs::write(maildir.join("cur/1.host:2,S"), &a).unwrap();
    std::fs::write(maildir.join("new/2.host"), &b).unwrap();

    let mbox_arg = mbox_path.to_str().unwrap();
    let maildir_arg = maildir.to_str().unwrap();
    let out = verify(&[mbox_arg, maildir_arg], true);
    let objects: Vec<serde_json::Value> = out
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(objects.len(), 4, "{out}");
    let results: Vec<(&str, &str)> = objects
        .iter()
        .map(|o| {
            (
                o["source"].as_str().unwrap(),
                o["dmarc"]["result"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        results[0].0.ends_with("stories.mbox#1") && results[0].1 == "fail",
        "{results:?}"
    );
    assert!(
        results[1].0.ends_with("stories.mbox#2") && results[1].1 == "pass",
        "{results:?}"
    );
    assert!(
        results[2].0.ends_with("cur/1.host:2,S") && results[2].1 == "fail",
        "{results:?}"
    );
    assert!(
        results[3].0.ends_with("new/2.host") && results[3].1 == "pass",
        "{results:?}"
    );
    // The signatures survive the mbox round trip: DKIM passes in every copy.
    for object in &objects {
        assert!(
            object["dkim"]
                .as_array()
                .unwrap()
                .iter()
                .all(|d| d["result"] == "pass"),
            "{object}"
        );
    }
}

#[test]
fn explain_needs_a_single_message() {
    let mut args = vec!["verify", "stories/a-spoof.eml", "stories/b-forwarded.eml"];
    args.extend_from_slice(ENVELOPE);
    args.push("--explain");
    let output = crate::run(&args, None);
    assert_eq!(output.status.code(), Some(2));
}
