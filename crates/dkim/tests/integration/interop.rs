//! Interop with dkimpy and OpenDKIM, in both directions, with keys published on the real DNS
//! server: nsd serves `testdata/zones/dkim.test.zone` (`rsa._domainkey.dkim.test`,
//! `ed._domainkey.dkim.test`) and every verifier fetches the key records from it — mailproof
//! through `HickoryResolver`, dkimpy through dnspython (`dkimpy_driver.py`), OpenDKIM through
//! libunbound with a stub zone (`ResolverConfiguration`).
//!
//! The cases are every message of `testdata/dkim/interop/messages/` (folded header fields,
//! trailing white space, an empty body, 8-bit UTF-8 and ISO-8859-1 bodies, no space or several
//! after a field's colon, a last body line without CRLF that ends in white space) × rsa-sha256 and
//! ed25519-sha256 (keys in `testdata/dkim/interop/keys/`) × the four `c=` combinations of simple
//! and relaxed. Each signed message must verify on the other side, and two tampered copies of
//! it (a byte added to the From field; a line appended to the body) must fail there.
//!
//! Where a peer cannot do a case, it is listed in [`EXCLUSIONS`] with the reason. An excluded
//! case is still run and must still fail, so the list stays true.
//!
//! Needs `python3` with dkimpy, `PyNaCl` and dnspython (`pip install dkimpy pynacl dnspython`)
//! and OpenDKIM's `opendkim` (Debian `opendkim`, built with libunbound). A missing tool makes
//! its test print `skipped: ...`, unless `MAILPROOF_REQUIRE_INTEROP=1` (set by `.ci/run`). The
//! DNS server is found as in `dns-hickory`'s `real_dns` test (`MAILPROOF_DNS_SERVER`, default
//! `127.0.0.1:5353`; required when `MAILPROOF_REQUIRE_REAL_DNS=1`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use mailproof_dkim::{Canonicalization, Clock, DkimResult, Signer, SigningKey, Verifier, sign};
use mailproof_dns::{Name, Resolver};
use mailproof_dns_hickory::{HickoryResolver, NameServerAddr, Options};
use mailproof_message::Message;

use crate::crlf;

/// Cases a peer cannot handle: (direction, case-id pattern with `*`, reason). One line each.
/// Case ids are `MESSAGE.SELECTOR.HEADER-BODY`, e.g. `plain.ed.simple-relaxed`.
const EXCLUSIONS: &[(&str, &str, &str)] = &[
    (
        "opendkim signs",
        "unterminated-trailing-whitespace.*-relaxed",
        "OpenDKIM 2.11 computes another relaxed body hash when the body's last line has no CRLF and ends in white space; dkimpy 1.1.8 and mailproof agree with each other (RFC 6376 §3.4.4 steps (a) then (b): that white space is not at the end of a line until (b) adds the CRLF, so it stays as one SP)",
    ),
    (
        "opendkim verifies",
        "unterminated-trailing-whitespace.*-relaxed",
        "the same disagreement with OpenDKIM 2.11 on the relaxed body of an unterminated last line ending in white space",
    ),
    (
        "opendkim signs",
        "*.ed.simple-*",
        "OpenDKIM 2.11.0-beta2 signs an ed25519 DKIM-Signature folded differently from the one it emits (b= on the h= line, then moved to its own line), so under simple header canonicalization nobody verifies it, OpenDKIM and dkimpy included",
    ),
    (
        "opendkim signs",
        "space-after-colon.*.simple-*",
        "opendkim -t rebuilds each header field as `Name: value` (one space after the colon), so when signing `From:Alice` or `To:   Bob` under simple header canonicalization it hashes bytes the message does not have",
    ),
    (
        "opendkim verifies",
        "space-after-colon.*.simple-*",
        "opendkim -t rebuilds each header field as `Name: value` (one space after the colon), so when verifying `To:   Bob` under simple header canonicalization it hashes `To: Bob`",
    ),
    (
        "opendkim signs",
        "bare-cr-in-header.*.relaxed-*",
        "OpenDKIM 2.11 turns a bare CR inside a header field (which RFC 5322 does not allow) into a space under relaxed header canonicalization; RFC 6376 §3.4.2 unfolds CRLF only, so dkimpy 1.1.8 and mailproof keep the CR",
    ),
    (
        "opendkim verifies",
        "bare-cr-in-header.*.relaxed-*",
        "the same disagreement with OpenDKIM 2.11 on a bare CR inside a header field under relaxed header canonicalization",
    ),
];

const MESSAGES: &[&str] = &[
    "plain",
    "folded-headers",
    "trailing-whitespace",
    "empty-body",
    "8bit-utf8",
    "8bit-latin1",
    "space-after-colon",
    "unterminated-trailing-whitespace",
    "bare-cr-in-header",
];

/// (`a=`, selector, key file in `keys/`).
const KEYS: &[(&str, &str, &str)] = &[
    ("rsa-sha256", "rsa", "rsa.pem"),
    ("ed25519-sha256", "ed", "ed25519.pem"),
];

const CANONICALIZATIONS: &[(Canonicalization, Canonicalization)] = &[
    (Canonicalization::Simple, Canonicalization::Simple),
    (Canonicalization::Simple, Canonicalization::Relaxed),
    (Canonicalization::Relaxed, Canonicalization::Simple),
    (Canonicalization::Relaxed, Canonicalization::Relaxed),
];

const DOMAIN: &str = "dkim.test";

/// How a tampered copy differs from the signed message.
const TAMPERINGS: &[&str] = &["tampered-header", "tampered-body"];

/// One message, key and canonicalization. `id` (e.g. `plain.ed.simple-relaxed`) names files.
struct Case {
    id: String,
    message: &'static str,
    algorithm: &'static str,
    selector: &'static str,
    key_file: &'static str,
    header: Canonicalization,
    body: Canonicalization,
}

impl Case {
    fn canonicalization(&self) -> String {
        format!("{}/{}", name(self.header), name(self.body))
    }

    fn exclusion(&self, direction: &str) -> Option<&'static str> {
        EXCLUSIONS
            .iter()
            .find(|(d, pattern, _)| *d == direction && glob_match(pattern, &self.id))
            .map(|(_, _, reason)| *reason)
    }
}

/// Whether `text` matches `pattern`, where `*` stands for any run of characters.
fn glob_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

fn name(c: Canonicalization) -> &'static str {
    match c {
        Canonicalization::Simple => "simple",
        Canonicalization::Relaxed => "relaxed",
    }
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for &message in MESSAGES {
        for &(algorithm, selector, key_file) in KEYS {
            for &(header, body) in CANONICALIZATIONS {
                cases.push(Case {
                    id: format!("{message}.{selector}.{}-{}", name(header), name(body)),
                    message,
                    algorithm,
                    selector,
                    key_file,
                    header,
                    body,
                });
            }
        }
    }
    cases
}

fn interop_dir() -> PathBuf {
    crate::testdata().join("interop")
}

fn key_path(case: &Case) -> PathBuf {
    interop_dir().join("keys").join(case.key_file)
}

/// The message as the wire carries it (the files are stored with LF line ends).
fn message_bytes(message: &str) -> Vec<u8> {
    let path = interop_dir()
        .join("messages")
        .join(format!("{message}.eml"));
    crlf(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// The tampered copy of a signed message: an `X` inserted at the start of the From field's
/// value (signed by every signer here), or a line appended to the body.
fn tamper(signed: &[u8], how: &str) -> Vec<u8> {
    let mut out = signed.to_vec();
    match how {
        "tampered-header" => {
            let from = signed
                .windows(7)
                .position(|w| w == b"\r\nFrom:")
                .expect("a From field")
                + 7;
            let value = from
                + signed[from..]
                    .iter()
                    .position(|b| !matches!(b, b' ' | b'\t'))
                    .expect("From has a value");
            out.insert(value, b'X');
        }
        "tampered-body" => out.extend_from_slice(b"tampered\r\n"),
        other => panic!("unknown tampering {other}"),
    }
    out
}

/// A scratch directory for one test, removed when the test passes.
struct WorkDir(PathBuf);

impl WorkDir {
    fn new(tool: &str) -> WorkDir {
        let dir = std::env::temp_dir().join(format!(
            "mailproof-dkim-interop-{tool}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        WorkDir(dir)
    }

    /// Writes `bytes` to `name` in the directory and returns the path.
    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            println!("kept {} for inspection", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn dns_server() -> SocketAddr {
    std::env::var("MAILPROOF_DNS_SERVER")
        .unwrap_or_else(|_| "127.0.0.1:5353".to_owned())
        .parse::<NameServerAddr>()
        .expect("MAILPROOF_DNS_SERVER is ip:port")
        .socket_addr()
}

fn required(variable: &str) -> bool {
    std::env::var(variable).is_ok_and(|v| v == "1")
}

/// The resolver when the server publishes dkim.test's keys; None (after printing why) when
/// the test is skipped.
async fn live_resolver() -> Option<HickoryResolver> {
    let mut options = Options::default();
    options.timeout = Duration::from_secs(2);
    let resolver = HickoryResolver::with_options(&[NameServerAddr::from(dns_server())], options)
        .expect("resolver builds");
    let probe = resolver
        .txt(&Name::new("rsa._domainkey.dkim.test").unwrap())
        .await;
    if probe
        .as_ref()
        .is_ok_and(|answer| !answer.records().is_empty())
    {
        return Some(resolver);
    }
    let why = format!(
        "the DNS server on {} does not publish rsa._domainkey.dkim.test ({probe:?}); \
         run scripts/dns-server.sh stop; scripts/dns-server.sh start",
        dns_server()
    );
    assert!(
        !required("MAILPROOF_REQUIRE_REAL_DNS") && !required("MAILPROOF_REQUIRE_INTEROP"),
        "{why}"
    );
    println!("skipped: {why}");
    None
}

/// Whether `program args` runs; when not, skip or (with `MAILPROOF_REQUIRE_INTEROP=1`) fail.
fn tool_available(program: &str, args: &[&str], install: &str) -> bool {
    let why = match Command::new(program).args(args).output() {
        Ok(output) if output.status.success() => return true,
        Ok(output) => format!(
            "`{program} {}` failed ({}); {install}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .last()
                .unwrap_or_default()
        ),
        Err(e) => format!("{program} not found ({e}); {install}"),
    };
    assert!(
        !required("MAILPROOF_REQUIRE_INTEROP"),
        "MAILPROOF_REQUIRE_INTEROP=1 but {why}"
    );
    println!("skipped: {why}");
    false
}

/// Signs `message` with mailproof for `case`.
fn sign_ours(case: &Case, message: &[u8]) -> Vec<u8> {
    let pem = std::fs::read_to_string(key_path(case)).unwrap();
    let signer = Signer::new(SigningKey::from_pem(&pem).unwrap(), DOMAIN, case.selector)
        .unwrap()
        .with_canonicalization(case.header, case.body);
    let fields = sign(&[signer], message, Clock::System).unwrap();
    [fields.as_bytes(), message].concat()
}

/// Verifies `raw` with mailproof: the result of its one signature, and a detail on non-pass.
async fn verify_ours(resolver: &HickoryResolver, raw: &[u8]) -> (DkimResult, String) {
    let message = Message::parse(raw).unwrap();
    let results = Verifier::default().verify(resolver, &message).await;
    assert_eq!(results.len(), 1, "one DKIM-Signature");
    (results[0].result(), format!("{:?}", results[0].status))
}

/// Tallies one check (one verifier on one signer's messages): counts, and the unexpected.
struct Tally {
    label: String,
    total: usize,
    as_expected: usize,
    excluded: usize,
    problems: Vec<String>,
}

impl Tally {
    fn new(label: &str) -> Tally {
        Tally {
            label: label.to_owned(),
            total: 0,
            as_expected: 0,
            excluded: 0,
            problems: Vec::new(),
        }
    }

    /// A signed message: it must verify, unless the case is excluded (then it must not,
    /// so that a stale exclusion shows up).
    fn must_verify(&mut self, id: &str, exclusion: Option<&str>, verified: bool, detail: &str) {
        if exclusion.is_some() {
            self.excluded += 1;
            if verified {
                self.problems.push(format!(
                    "{}: {id} verifies now: remove it from EXCLUSIONS",
                    self.label
                ));
            }
            return;
        }
        self.total += 1;
        if verified {
            self.as_expected += 1;
        } else {
            self.problems
                .push(format!("{}: {id}: expected pass, got {detail}", self.label));
        }
    }

    /// A tampered copy: it must fail.
    fn must_fail(&mut self, id: &str, failed: bool, detail: &str) {
        self.total += 1;
        if failed {
            self.as_expected += 1;
        } else {
            self.problems
                .push(format!("{}: {id}: expected fail, got {detail}", self.label));
        }
    }

    fn summary(&self) -> String {
        let mut line = format!("{}: {}/{}", self.label, self.as_expected, self.total);
        if self.excluded > 0 {
            let _ = write!(
                line,
                " (+{} excluded cases, failing as EXCLUSIONS says)",
                self.excluded
            );
        }
        line
    }
}

/// Signs every case with mailproof and writes each signed message and its tampered copies
/// into `work` (`ours.ID.eml`, `ours.ID.tampered-*.eml`), plus the unsigned inputs
/// (`input.MESSAGE.eml`) for the peer to sign. Returns (id, path) for every written message.
fn sign_ours_into(work: &WorkDir, cases: &[Case]) -> Vec<(String, PathBuf)> {
    for message in MESSAGES {
        work.write(&format!("input.{message}.eml"), &message_bytes(message));
    }
    let mut written = Vec::new();
    for case in cases {
        let signed = sign_ours(case, &message_bytes(case.message));
        written.push((
            case.id.clone(),
            work.write(&format!("ours.{}.eml", case.id), &signed),
        ));
        for &how in TAMPERINGS {
            let id = format!("{}.{how}", case.id);
            written.push((
                id.clone(),
                work.write(&format!("ours.{id}.eml"), &tamper(&signed, how)),
            ));
        }
    }
    written
}

/// Tallies a peer's verdicts on our messages: `verdict(id)` is (verified, detail) for the
/// message `sign_ours_into` wrote under `id`.
fn tally_peer(cases: &[Case], peer: &str, verdict: impl Fn(&str) -> (bool, String)) -> [Tally; 2] {
    let mut verifies = Tally::new(&format!("{peer} verifies ours"));
    let mut rejects = Tally::new(&format!("{peer} rejects tampered copies of ours"));
    for case in cases {
        let (verified, detail) = verdict(&case.id);
        let exclusion = case.exclusion(&format!("{peer} verifies"));
        verifies.must_verify(&case.id, exclusion, verified, &detail);
        for &how in TAMPERINGS {
            let id = format!("{}.{how}", case.id);
            let (verified, detail) = verdict(&id);
            rejects.must_fail(&id, !verified, &detail);
        }
    }
    [verifies, rejects]
}

/// We verify messages `peer` signed, each must pass (unless excluded), and their tampered
/// copies, each must fail with a body-hash or signature mismatch.
async fn we_verify(
    resolver: &HickoryResolver,
    peer: &str,
    signed: &[(&Case, Vec<u8>)],
) -> [Tally; 2] {
    let mut verify = Tally::new(&format!("we verify {peer}'s"));
    let mut reject = Tally::new(&format!("we reject tampered copies of {peer}'s"));
    for (case, message) in signed {
        let (result, detail) = verify_ours(resolver, message).await;
        let exclusion = case.exclusion(&format!("{peer} signs"));
        verify.must_verify(&case.id, exclusion, result == DkimResult::Pass, &detail);
        for &how in TAMPERINGS {
            let (result, detail) = verify_ours(resolver, &tamper(message, how)).await;
            let id = format!("{}.{how}", case.id);
            reject.must_fail(&id, result == DkimResult::Fail, &detail);
        }
    }
    [verify, reject]
}

/// Prints every tally and fails on any unexpected result.
fn report(tallies: &[Tally]) {
    for tally in tallies {
        println!("{}", tally.summary());
    }
    let problems: Vec<&String> = tallies.iter().flat_map(|t| &t.problems).collect();
    assert!(
        problems.is_empty(),
        "{} unexpected results:\n{}",
        problems.len(),
        problems
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

// ---- dkimpy ---------------------------------------------------------------------------------

/// One result line of `dkimpy_driver.py`.
struct DriverResult {
    ok: bool,
    detail: String,
}

/// Runs the driver once over `manifest` (see the driver's doc): id -> result.
fn run_dkimpy(manifest: &Path) -> HashMap<String, DriverResult> {
    let server = dns_server();
    let output = Command::new("python3")
        .arg(interop_dir().join("dkimpy_driver.py"))
        .arg(manifest)
        .arg(server.ip().to_string())
        .arg(server.port().to_string())
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "dkimpy_driver.py failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("the driver prints UTF-8")
        .lines()
        .map(|line| {
            let value: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
            let id = value["id"].as_str().expect("id").to_owned();
            let result = DriverResult {
                ok: value["ok"].as_bool().expect("ok"),
                detail: value["detail"].as_str().expect("detail").to_owned(),
            };
            (id, result)
        })
        .collect()
}

#[tokio::test]
async fn dkimpy_interop() {
    if !tool_available(
        "python3",
        &["-c", "import dkim, nacl, dns.message"],
        "pip install dkimpy pynacl dnspython",
    ) {
        return;
    }
    let Some(resolver) = live_resolver().await else {
        return;
    };
    let work = WorkDir::new("dkimpy");
    let cases = cases();

    // We sign; dkimpy verifies each signed message and its tampered copies, in one run.
    let ours = sign_ours_into(&work, &cases);
    let mut manifest = String::new();
    for (id, path) in &ours {
        writeln!(manifest, "verify\t{id}\t{}", path.display()).unwrap();
    }
    let verdicts = run_dkimpy(&work.write("verify-ours.tsv", manifest.as_bytes()));
    let [verifies_ours, rejects_ours] = tally_peer(&cases, "dkimpy", |id| {
        let r = &verdicts[id];
        (r.ok, r.detail.clone())
    });

    // dkimpy signs, in one run; we verify each signed message and its tampered copies.
    let mut manifest = String::new();
    for case in &cases {
        let input = work.0.join(format!("input.{}.eml", case.message));
        writeln!(
            manifest,
            "sign\t{}\t{}\t{}\t{}\t{}\t{DOMAIN}\t{}\t{}",
            case.id,
            input.display(),
            work.0.join(format!("dkimpy.{}.eml", case.id)).display(),
            case.algorithm,
            case.canonicalization(),
            case.selector,
            key_path(case).display()
        )
        .unwrap();
    }
    let signed_by_dkimpy = run_dkimpy(&work.write("sign.tsv", manifest.as_bytes()));
    let mut signed = Vec::new();
    for case in &cases {
        let r = &signed_by_dkimpy[&case.id];
        assert!(r.ok, "dkimpy could not sign {}: {}", case.id, r.detail);
        let message = std::fs::read(work.0.join(format!("dkimpy.{}.eml", case.id))).unwrap();
        signed.push((case, message));
    }
    let [we_verify, we_reject] = we_verify(&resolver, "dkimpy", &signed).await;
    report(&[verifies_ours, rejects_ours, we_verify, we_reject]);
}

// ---- OpenDKIM -------------------------------------------------------------------------------

/// `opendkim`, which Debian installs in /usr/sbin (not on every user's PATH).
fn opendkim() -> &'static str {
    if Path::new("/usr/sbin/opendkim").exists() {
        "/usr/sbin/opendkim"
    } else {
        "opendkim"
    }
}

/// Runs `opendkim -x CONFIG -t FILE,FILE,...` (test mode: the files go through the filter
/// offline, and what it would add to each message is printed) and returns, per file, the
/// output block that follows `opendkim: FILE:`.
fn run_opendkim(config: &Path, files: &[PathBuf]) -> HashMap<PathBuf, String> {
    let list: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    assert!(
        list.iter().all(|f| !f.contains(',')),
        "-t takes a comma list"
    );
    let output = Command::new(opendkim())
        .arg("-x")
        .arg(config)
        .arg("-t")
        .arg(list.join(","))
        .output()
        .expect("opendkim runs");
    let stdout = String::from_utf8(output.stdout).expect("opendkim prints ASCII");
    assert!(
        output.status.success(),
        "opendkim failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    // Blocks start with "opendkim: FILE:", followed on the same line (verifying) or on the
    // next lines (signing: the header fields to add, CRLF inside, no line end after the last).
    let mut blocks: HashMap<PathBuf, String> = HashMap::new();
    let mut current: Option<PathBuf> = None;
    for line in stdout.split('\n') {
        let line = line.trim_end_matches('\r');
        let started = list.iter().find_map(|file| {
            line.strip_prefix("opendkim: ")
                .and_then(|rest| rest.strip_prefix(file.as_str()))
                .and_then(|rest| rest.strip_prefix(':'))
                .map(|rest| (PathBuf::from(file), rest.trim_start()))
        });
        if let Some((file, rest)) = started {
            blocks.insert(file.clone(), rest.to_owned());
            current = Some(file);
        } else if line.is_empty() {
            // The line end after the last field (or nothing at all).
        } else if let Some(file) = &current {
            let block = blocks.get_mut(file).unwrap();
            block.push_str(line);
            block.push_str("\r\n");
        } else {
            panic!("unexpected opendkim output: {line}");
        }
    }
    blocks
}

/// libunbound's configuration: dkim.test from the test server. `test.` is one of unbound's
/// built-in local zones (RFC 6761, always NXDOMAIN) unless told `nodefault`.
fn unbound_config() -> String {
    let server = dns_server();
    format!(
        "server:\n  do-not-query-localhost: no\n  module-config: \"iterator\"\n  \
         local-zone: \"test.\" nodefault\n\
         stub-zone:\n  name: \"{DOMAIN}\"\n  stub-addr: {}@{}\n",
        server.ip(),
        server.port()
    )
}

#[tokio::test]
async fn opendkim_interop() {
    if !tool_available(opendkim(), &["-V"], "apt-get install opendkim") {
        return;
    }
    let Some(resolver) = live_resolver().await else {
        return;
    };
    let work = WorkDir::new("opendkim");
    let cases = cases();
    let unbound = work.write("unbound.conf", unbound_config().as_bytes());
    let verify_config = work.write(
        "verify.conf",
        format!(
            "Mode v\nSyslog no\nDNSTimeout 5\nResolverConfiguration {}\n",
            unbound.display()
        )
        .as_bytes(),
    );

    // We sign; OpenDKIM verifies each signed message and its tampered copies, in one run.
    let ours = sign_ours_into(&work, &cases);
    let files: Vec<PathBuf> = ours.into_iter().map(|(_, path)| path).collect();
    let verdicts = run_opendkim(&verify_config, &files);
    let [verifies_ours, rejects_ours] = tally_peer(&cases, "opendkim", |id| {
        let line = &verdicts[&work.0.join(format!("ours.{id}.eml"))];
        let verified = line.starts_with("verification") && line.ends_with("succeeded");
        (verified, line.clone())
    });

    // OpenDKIM signs, one run per key and canonicalization; we verify each signed message
    // and its tampered copies.
    let mut signed = Vec::new();
    for &(algorithm, selector, key_file) in KEYS {
        for &(header, body) in CANONICALIZATIONS {
            let canonicalization = format!("{}/{}", name(header), name(body));
            let config = work.write(
                &format!("sign.{selector}.{}-{}.conf", name(header), name(body)),
                format!(
                    "Mode s\nSyslog no\nRequireSafeKeys no\nDomain {DOMAIN}\n\
                     Selector {selector}\nKeyFile {}\nSignatureAlgorithm {algorithm}\n\
                     Canonicalization {canonicalization}\n",
                    interop_dir().join("keys").join(key_file).display(),
                )
                .as_bytes(),
            );
            let inputs: Vec<PathBuf> = MESSAGES
                .iter()
                .map(|m| work.0.join(format!("input.{m}.eml")))
                .collect();
            let fields = run_opendkim(&config, &inputs);
            for case in cases
                .iter()
                .filter(|c| c.algorithm == algorithm && c.header == header && c.body == body)
            {
                let field = &fields[&work.0.join(format!("input.{}.eml", case.message))];
                assert!(
                    field.starts_with("DKIM-Signature:"),
                    "opendkim did not sign {}: {field}",
                    case.id
                );
                let message = [field.as_bytes(), &message_bytes(case.message)].concat();
                work.write(&format!("opendkim.{}.eml", case.id), &message);
                signed.push((case, message));
            }
        }
    }
    let [we_verify, we_reject] = we_verify(&resolver, "opendkim", &signed).await;
    report(&[verifies_ours, rejects_ours, we_verify, we_reject]);
}
