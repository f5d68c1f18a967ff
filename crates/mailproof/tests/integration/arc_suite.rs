//! Parses every Authentication-Results and ARC-Authentication-Results field in the ARC test
//! suite's validation tests (valimail `arc_test_suite`, see conformance/README.md).

use std::path::PathBuf;

use mailproof::AuthResults;

fn suite() -> Option<PathBuf> {
    let root = std::env::var_os("MAILPROOF_CONFORMANCE").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
        PathBuf::from,
    );
    let path = root.join("arc/valimail-arc_test_suite/arc-draft-validation-tests.yml");
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("MAILPROOF_REQUIRE_CONFORMANCE").as_deref() != Ok("1"),
        "conformance suite not found at {}",
        path.display()
    );
    println!("skipped: conformance suite not found");
    None
}

#[test]
fn arc_suite_authentication_results_parse() {
    let Some(path) = suite() else { return };
    let text = std::fs::read_to_string(&path).unwrap();
    let (mut ar, mut ar_ok, mut aar, mut aar_ok) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    // The messages are YAML block scalars: a field starts a line (after the block's indent)
    // and its folded continuation lines are indented further.
    let lines: Vec<&str> = text.lines().collect();
    for (index, line) in lines.iter().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim_start();
        let (arc, value) = if let Some(value) = trimmed.strip_prefix("ARC-Authentication-Results:")
        {
            (true, value)
        } else if let Some(value) = trimmed.strip_prefix("Authentication-Results:") {
            (false, value)
        } else {
            continue;
        };
        let mut field = value.to_owned();
        for next in &lines[index + 1..] {
            let next_indent = next.len() - next.trim_start().len();
            if next.trim().is_empty() || next_indent <= indent {
                break;
            }
            field.push_str("\r\n");
            field.push_str(next);
        }
        let parsed = if arc {
            aar += 1;
            AuthResults::parse_arc(field.as_bytes()).map(|(_, r)| r)
        } else {
            ar += 1;
            AuthResults::parse(field.as_bytes())
        };
        match parsed {
            Ok(_) if arc => aar_ok += 1,
            Ok(_) => ar_ok += 1,
            Err(e) => failures.push(format!("line {}: {e}: {}", index + 1, trimmed)),
        }
    }
    println!(
        "Authentication-Results: {ar_ok}/{ar} parse; ARC-Authentication-Results: {aar_ok}/{aar} parse"
    );
    for failure in &failures {
        println!("  not parsed: {failure}");
    }
    assert_eq!((ar, aar), (170, 194), "the suite's field counts changed");
    // The 7 ARC-Authentication-Results fields that do not parse are the suite's deliberately
    // broken instance tags (`i=yo-mama`, `i=`, `i=squanch`, no `i=`, `i=` after the
    // authserv-id, no `;` after `i=1`): ARC validation must reject them.
    assert_eq!((ar_ok, aar_ok), (170, 187));
    assert!(failures.iter().all(|f| f.contains("i= instance tag")
        || f.contains("instance number")
        || f.contains("i=1 lists")));
}
