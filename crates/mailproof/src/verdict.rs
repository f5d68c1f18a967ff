//! What a verification returns: each method's outcome with its reasons, and the DMARC
//! disposition with why.

use std::fmt::Write as _;
use std::net::IpAddr;

use mailproof_dkim::{DkimResult, SignatureResult, Status};
use mailproof_dmarc::{
    AlignmentOutcome, AppliedPolicy, DmarcResult, Evaluation, FromProblem, Mechanism,
    NoPolicyReason, Policy, PolicyAdjustment, PolicyDefect, PolicySource, PolicyTag,
};
use mailproof_dns::{Answer, LookupError, Name, Txt};
use mailproof_spf::{ReceivedSpf, SpfOutput};

use crate::auth_results::{AuthResults, MethodResult};

/// The SMTP envelope of a message: what the client said before the message itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The connecting client's address.
    pub client_ip: IpAddr,
    /// The HELO/EHLO name the client gave.
    pub helo: String,
    /// The MAIL FROM reverse-path without angle brackets; empty for the null reverse-path
    /// (bounces), which SPF checks as `postmaster@<helo>` (RFC 7208 §2.4).
    pub mail_from: String,
}

impl Envelope {
    /// An envelope from its three parts.
    pub fn new(
        client_ip: IpAddr,
        helo: impl Into<String>,
        mail_from: impl Into<String>,
    ) -> Envelope {
        Envelope {
            client_ip,
            helo: helo.into(),
            mail_from: mail_from.into(),
        }
    }
}

/// Everything a verification found. Nothing here is an error: every outcome of SPF, DKIM and
/// DMARC — including a message that does not parse — is a value with a reason.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Verdict {
    /// The authserv-id the results are reported under.
    pub authserv_id: String,
    /// Why the message could not be parsed, if it could not. SPF still ran (it needs only the
    /// envelope); DKIM found no signatures; DMARC is *permerror* (no usable From) and the
    /// policy, if any could be read, is not relaxed.
    pub message_error: Option<mailproof_message::Error>,
    /// SPF for both identities.
    pub spf: SpfVerdict,
    /// One entry per DKIM-Signature field, top first; empty when the message is unsigned.
    pub dkim: Vec<DkimVerdict>,
    /// DMARC.
    pub dmarc: DmarcVerdict,
}

/// SPF outcomes (RFC 7208), each with its trace of DNS queries and terms.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SpfVerdict {
    /// The MAIL FROM identity: the one DMARC uses.
    pub mail_from: SpfOutput,
    /// The HELO identity.
    pub helo: SpfOutput,
}

impl SpfVerdict {
    /// The `Received-SPF` header field for the MAIL FROM identity (RFC 7208 §9.1).
    pub fn received_spf(&self) -> ReceivedSpf {
        self.mail_from.received_spf()
    }
}

/// One DKIM-Signature field's outcome.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DkimVerdict {
    /// The verifier's result, reason and parsed signature.
    pub result: SignatureResult,
    /// The tags as written in the field (also for a signature that does not parse).
    pub tags: SignatureTags,
    /// The key record lookup made for this signature, if one was needed.
    pub key: Option<KeyLookup>,
    /// The reason in words.
    pub reason: String,
}

/// The tags of a DKIM-Signature field, as written (white space removed), for reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignatureTags {
    /// `d=`.
    pub domain: Option<String>,
    /// `s=`.
    pub selector: Option<String>,
    /// `a=`.
    pub algorithm: Option<String>,
    /// `i=`, or `@` + `d=` when absent.
    pub identity: Option<String>,
    /// The first 8 characters of `b=` (RFC 6008 `header.b`).
    pub b_prefix: Option<String>,
    /// `h=` as written, white space removed: the signed header field names, in order,
    /// separated by `:` (see [`SignatureTags::signed_header_names`]).
    pub signed_headers: String,
}

/// A DKIM key lookup: the name and what came back.
#[derive(Clone, Debug)]
pub struct KeyLookup {
    /// `<selector>._domainkey.<domain>`.
    pub name: Name,
    /// The answer.
    pub answer: Result<Answer<Txt>, LookupError>,
}

/// The DMARC outcome and the disposition to apply.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DmarcVerdict {
    /// The full evaluation: per Author Domain, the discovery, the queries and each
    /// identifier's alignment.
    pub evaluation: Evaluation,
    /// The RFC5322.From domain when the message has exactly one usable one.
    pub from_domain: Option<Name>,
    /// What is wrong with the From field(s), when something is.
    pub from_problem: Option<String>,
    /// The policy the Domain Owner's record requests for the From domain (`p=`, or
    /// `sp=`/`np=` for a subdomain), when a record was found.
    pub policy: Option<Policy>,
    /// What to do with the message by the Domain Owner's policy: `none`, `quarantine` or
    /// `reject` (after `t=y` testing mode). A receiver's local policy has the last word
    /// (RFC 9989 §5.4).
    pub disposition: Policy,
    /// Why the result is what it is, in words.
    pub reason: String,
    /// Why the disposition is what it is, in words.
    pub disposition_reason: String,
}

impl DmarcVerdict {
    /// The DMARC result.
    pub fn result(&self) -> &DmarcResult {
        &self.evaluation.result
    }
}

impl Verdict {
    /// The disposition DMARC asks for (see [`DmarcVerdict::disposition`]).
    pub fn disposition(&self) -> Policy {
        self.dmarc.disposition
    }

    /// The `Received-SPF` header field for the MAIL FROM identity (RFC 7208 §9.1).
    pub fn received_spf(&self) -> ReceivedSpf {
        self.spf.received_spf()
    }

    /// The Authentication-Results header field (RFC 8601) for this verdict: `spf` for MAIL
    /// FROM and HELO, one `dkim` per signature (`header.d`, `header.i`, `header.s`,
    /// `header.a`, `header.b`), and `dmarc` (`header.from`, `policy.dmarc`), each reason as
    /// a comment.
    pub fn authentication_results(&self) -> AuthResults {
        let mut results = AuthResults::new(&self.authserv_id);
        for output in [&self.spf.mail_from, &self.spf.helo] {
            let auth = output.auth_result();
            let property = match auth.property {
                mailproof_spf::AuthProperty::Helo => "helo",
                mailproof_spf::AuthProperty::MailFrom => "mailfrom",
            };
            results.results.push(
                MethodResult::new("spf", output.result.as_str())
                    .with_comment(&output.reason.to_string())
                    .with_property("smtp", property, &auth.value),
            );
        }
        if self.dkim.is_empty() {
            let comment = if self.message_error.is_some() {
                "message could not be parsed"
            } else {
                "message not signed"
            };
            results
                .results
                .push(MethodResult::new("dkim", "none").with_comment(comment));
        }
        for dkim in &self.dkim {
            let mut entry =
                MethodResult::new("dkim", dkim.result.result().as_str()).with_comment(&dkim.reason);
            let tags = &dkim.tags;
            for (property, value) in [
                ("d", &tags.domain),
                ("i", &tags.identity),
                ("s", &tags.selector),
                ("a", &tags.algorithm),
                ("b", &tags.b_prefix),
            ] {
                if let Some(value) = value {
                    entry = entry.with_property("header", property, value);
                }
            }
            results.results.push(entry);
        }
        let dmarc = &self.dmarc;
        let mut comment = String::new();
        if let Some(policy) = dmarc.policy {
            let _ = write!(comment, "p={policy} dis={}; ", dmarc.disposition);
        }
        comment.push_str(&dmarc.reason);
        let mut entry = MethodResult::new("dmarc", dmarc.result().as_str()).with_comment(&comment);
        if let Some(from) = &dmarc.from_domain {
            entry = entry.with_property("header", "from", from.as_str());
        }
        if dmarc.policy.is_some() || dmarc.disposition != Policy::None {
            entry = entry.with_property("policy", "dmarc", dmarc.disposition.as_str());
        }
        results.results.push(entry);
        results
    }
}

impl SignatureTags {
    /// The tags of a DKIM-Signature field value, as written (white space removed), in one
    /// pass; for each tag the first occurrence counts. Tag names are case-sensitive (RFC
    /// 6376 §3.2), as in the verifier: a `D=` is an unknown tag, and must not pose as the
    /// `d=` that was verified (a signature with a duplicate tag never passes).
    pub(crate) fn from_field(value: &[u8]) -> SignatureTags {
        let mut tags = SignatureTags::default();
        let mut identity = None;
        let mut signed_headers = None;
        for segment in value.split(|&b| b == b';') {
            let Some(eq) = segment.iter().position(|&b| b == b'=') else {
                continue;
            };
            let name = segment[..eq].trim_ascii();
            // header.b is the first 8 characters of b= (RFC 6008): the rest is not copied.
            let (slot, longest) = match name {
                b"d" => (&mut tags.domain, usize::MAX),
                b"s" => (&mut tags.selector, usize::MAX),
                b"a" => (&mut tags.algorithm, usize::MAX),
                b"i" => (&mut identity, usize::MAX),
                b"b" => (&mut tags.b_prefix, 8),
                b"h" => (&mut signed_headers, usize::MAX),
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(without_white_space(&segment[eq + 1..], longest));
            }
        }
        tags.identity = identity.or_else(|| tags.domain.as_ref().map(|d| format!("@{d}")));
        tags.signed_headers = signed_headers.unwrap_or_default();
        tags
    }

    /// The names of [`signed_headers`](Self::signed_headers), in order (empty items left
    /// out).
    ///
    /// ```
    /// let mut tags = mailproof::SignatureTags::default();
    /// tags.signed_headers = "From:To::Subject".to_owned();
    /// assert_eq!(tags.signed_header_names().collect::<Vec<_>>(), ["From", "To", "Subject"]);
    /// ```
    pub fn signed_header_names(&self) -> impl Iterator<Item = &str> {
        self.signed_headers.split(':').filter(|n| !n.is_empty())
    }
}

/// `value` without ASCII white space, at most `longest` bytes of it, as text (lossy for
/// bytes that are not UTF-8). The runs between white space are copied whole.
fn without_white_space(value: &[u8], longest: usize) -> String {
    let mut text = Vec::with_capacity(value.len().min(longest));
    for run in value.split(u8::is_ascii_whitespace) {
        let room = longest - text.len();
        text.extend_from_slice(&run[..run.len().min(room)]);
        if text.len() == longest {
            break;
        }
    }
    // Valid UTF-8 (the usual case) is taken without a copy.
    String::from_utf8(text)
        .unwrap_or_else(|invalid| String::from_utf8_lossy(invalid.as_bytes()).into_owned())
}

/// A DKIM status in words.
pub(crate) fn describe_dkim(status: &Status) -> String {
    match status {
        Status::Pass(proof) => {
            let mut text = format!(
                "signature verified with the {}-bit {} key",
                proof.key_bits(),
                proof.algorithm().key_type().as_str()
            );
            if proof.key_testing() {
                text.push_str(" (key record says t=y: the domain is testing DKIM)");
            }
            text
        }
        Status::Fail(reason) => reason.to_string(),
        Status::Neutral(reason) => reason.to_string(),
        Status::Policy(reason) => reason.to_string(),
        Status::TempError(reason) => reason.to_string(),
        Status::PermError(reason) => reason.to_string(),
        // A result this crate does not know yet: the DKIM crate's own wording.
        other => other.to_string(),
    }
}

/// The DMARC result in words.
pub(crate) fn describe_dmarc(evaluation: &Evaluation) -> String {
    let from = evaluation.authors.first().map_or_else(
        || "the From domain".to_owned(),
        |a| a.author_domain.to_string(),
    );
    match &evaluation.result {
        DmarcResult::Pass(aligned) => format!(
            "{} identifier {} is aligned with {from} ({:?} alignment)",
            mechanism(aligned.mechanism()),
            aligned.domain(),
            aligned.mode()
        )
        .replace("Relaxed", "relaxed")
        .replace("Strict", "strict"),
        DmarcResult::Fail(reason) => {
            let passed: Vec<String> = evaluation
                .authors
                .iter()
                .flat_map(|a| &a.alignments)
                .map(|alignment| {
                    let how = match &alignment.outcome {
                        AlignmentOutcome::Aligned => "aligned",
                        AlignmentOutcome::NotAligned { .. } => "not aligned",
                        AlignmentOutcome::TemporaryFailure(_) => "alignment unknown",
                        _ => "?",
                    };
                    format!(
                        "{} {} {how}",
                        mechanism(alignment.mechanism),
                        alignment.domain
                    )
                })
                .collect();
            match reason {
                mailproof_dmarc::FailReason::NoAuthenticatedIdentifier => {
                    format!("neither SPF nor any DKIM signature passed for {from}")
                }
                _ if passed.is_empty() => format!("no identifier aligned with {from}"),
                _ => format!(
                    "no passing identifier is aligned with {from}: {}",
                    passed.join(", ")
                ),
            }
        }
        DmarcResult::None(NoPolicyReason::NoPolicyRecord) => {
            format!("{from} publishes no DMARC policy")
        }
        DmarcResult::None(NoPolicyReason::MultipleRecords { name }) => {
            format!("several DMARC records at {name}")
        }
        DmarcResult::None(other) => format!("no policy: {other:?}"),
        DmarcResult::TempError(failure) => format!(
            "DNS lookup of {} {} failed: {}",
            failure.name, failure.record_type, failure.kind
        ),
        DmarcResult::PermError(reason) => match reason {
            mailproof_dmarc::PermErrorReason::UnusableRecord {
                policy_domain,
                defect,
            } => {
                let defect = match defect {
                    PolicyDefect::MissingPolicy => "no p= tag".to_owned(),
                    PolicyDefect::InvalidPolicy(tag) => format!("invalid {tag}="),
                    other => format!("{other:?}"),
                };
                format!("the DMARC record of {policy_domain} is unusable: {defect}")
            }
            mailproof_dmarc::PermErrorReason::NoUsableFrom(FromProblem::Missing) => {
                "the message has no From address".into()
            }
            mailproof_dmarc::PermErrorReason::NoUsableFrom(_) => {
                "the From field cannot be read".into()
            }
            mailproof_dmarc::PermErrorReason::SeveralFromFields => {
                "the message has several From fields".into()
            }
            mailproof_dmarc::PermErrorReason::TooManyAuthorDomains { count, evaluated } => {
                format!("{count} From domains, only {evaluated} evaluated")
            }
            other => format!("{other:?}"),
        },
        other => other.as_str().to_owned(),
    }
}

fn mechanism(mechanism: Mechanism) -> &'static str {
    match mechanism {
        Mechanism::Spf => "SPF",
        Mechanism::Dkim => "DKIM",
    }
}

/// Why the disposition is what it is.
pub(crate) fn describe_disposition(evaluation: &Evaluation) -> String {
    let Some(applied) = evaluation.policy else {
        return match &evaluation.result {
            DmarcResult::Pass(_) => "DMARC passed: nothing to apply".into(),
            DmarcResult::None(_) => "no DMARC policy applies".into(),
            DmarcResult::TempError(_) => {
                "DMARC could not be evaluated now (temporary DNS failure); retry later".into()
            }
            _ => "no policy to apply".into(),
        };
    };
    let AppliedPolicy {
        requested,
        tag,
        applied: to_apply,
        adjustment,
        ..
    } = applied;
    let tag = match tag {
        PolicyTag::Policy => "p",
        PolicyTag::SubdomainPolicy => "sp",
        PolicyTag::NonexistentSubdomainPolicy => "np",
    };
    let at = evaluation
        .authors
        .iter()
        .find_map(|a| a.discovery.as_ref())
        .map_or_else(String::new, |d| format!(" at _dmarc.{}", d.policy_domain));
    let mut text = format!("the record{at} asks {tag}={requested} for failing mail");
    match adjustment {
        Some(PolicyAdjustment::TestMode) => {
            let _ = write!(text, "; t=y (testing) softens it to {to_apply}");
        }
        Some(PolicyAdjustment::NotSampled { percent }) => {
            let _ = write!(text, "; not sampled by pct={percent}, so {to_apply}");
        }
        _ => {}
    }
    text
}

/// The policy the record requests for the first Author Domain.
pub(crate) fn requested_policy(evaluation: &Evaluation) -> Option<Policy> {
    if let Some(applied) = evaluation.policy {
        return Some(applied.requested);
    }
    let discovery = evaluation.authors.first()?.discovery.as_ref()?;
    let requested = discovery.record.requested_policies().ok()?;
    Some(match discovery.source {
        PolicySource::AuthorDomain => requested.policy,
        _ => requested.subdomain_policy.unwrap_or(requested.policy),
    })
}

/// Maps the DKIM crate's result onto the DMARC crate's vocabulary.
pub(crate) fn dmarc_dkim_result(result: DkimResult) -> mailproof_dmarc::DkimResult {
    match result {
        DkimResult::Pass => mailproof_dmarc::DkimResult::Pass,
        DkimResult::Fail => mailproof_dmarc::DkimResult::Fail,
        DkimResult::Neutral => mailproof_dmarc::DkimResult::Neutral,
        DkimResult::Policy => mailproof_dmarc::DkimResult::Policy,
        DkimResult::TempError => mailproof_dmarc::DkimResult::TempError,
        DkimResult::PermError => mailproof_dmarc::DkimResult::PermError,
    }
}

/// Maps the SPF crate's result onto the DMARC crate's vocabulary.
pub(crate) fn dmarc_spf_result(result: mailproof_spf::SpfResult) -> mailproof_dmarc::SpfResult {
    use mailproof_spf::SpfResult as S;
    match result {
        S::Pass => mailproof_dmarc::SpfResult::Pass,
        S::Fail => mailproof_dmarc::SpfResult::Fail,
        S::SoftFail => mailproof_dmarc::SpfResult::SoftFail,
        S::Neutral => mailproof_dmarc::SpfResult::Neutral,
        S::None => mailproof_dmarc::SpfResult::None,
        S::TempError => mailproof_dmarc::SpfResult::TempError,
        S::PermError => mailproof_dmarc::SpfResult::PermError,
    }
}

#[cfg(test)]
mod tests {
    use super::{SignatureTags, without_white_space};

    proptest::proptest! {
        /// Copying runs equals dropping white space byte by byte, then cutting.
        #[test]
        fn white_space_removed_like_a_byte_filter(
            value in proptest::collection::vec(proptest::sample::select(
                b"ab= \t\r\n;:\xff".to_vec()), 0..40),
            longest in 0usize..50,
        ) {
            let filtered: Vec<u8> = value
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .take(longest)
                .collect();
            proptest::prop_assert_eq!(
                without_white_space(&value, longest),
                String::from_utf8_lossy(&filtered).into_owned()
            );
        }
    }

    #[test]
    fn signature_tags_as_written() {
        let tags = SignatureTags::from_field(
            b" v=1; a=rsa-sha256; c=relaxed/relaxed; D=upper.example; d=Example.COM;\r\n s = sel ; \
              h=From:To: Subject:;\r\n bh=AAAA; b=dGhpcyBpcyBh\r\n IHNpZ25hdHVyZQ==; d=second.example",
        );
        assert_eq!(
            tags.domain.as_deref(),
            Some("Example.COM"),
            "first d= counts; D= is another tag"
        );
        assert_eq!(tags.selector.as_deref(), Some("sel"));
        assert_eq!(tags.algorithm.as_deref(), Some("rsa-sha256"));
        assert_eq!(
            tags.identity.as_deref(),
            Some("@Example.COM"),
            "no i=: @ + d="
        );
        assert_eq!(tags.b_prefix.as_deref(), Some("dGhpcyBp"));
        assert_eq!(
            tags.signed_header_names().collect::<Vec<_>>(),
            ["From", "To", "Subject"]
        );
    }

    #[test]
    fn signature_tags_of_a_broken_field() {
        let tags = SignatureTags::from_field(b"i=@sub.example; b=abc; h=; garbage; =x; d");
        assert_eq!(tags.identity.as_deref(), Some("@sub.example"));
        assert_eq!(tags.b_prefix.as_deref(), Some("abc"));
        assert_eq!(tags.signed_header_names().count(), 0);
        assert_eq!(tags.domain, None);
        assert_eq!(tags.selector, None);
        let none = SignatureTags::from_field(b"\xff\xfe");
        assert_eq!(none, SignatureTags::default());
        let lossy = SignatureTags::from_field(b"s=se\xffl");
        assert_eq!(lossy.selector.as_deref(), Some("se\u{fffd}l"));
    }
}
