//! What an evaluation returns: the result, why, the explanation, a trace, and header values.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use mailproof_dns::{Answer, FailureKind, LookupError, Mx, Name, RecordType, Txt};

use crate::error::ParseError;
use crate::record::{Directive, Record, Term};

/// The results of RFC 7208 §2.6.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SpfResult {
    /// No syntactically valid DNS domain, or no SPF record (§2.6.1).
    None,
    /// The domain owner states nothing about the client (§2.6.2).
    Neutral,
    /// The client is authorized (§2.6.3).
    Pass,
    /// The client is not authorized (§2.6.4).
    Fail,
    /// The client is probably not authorized (§2.6.5).
    SoftFail,
    /// A transient (generally DNS) error; a later retry may succeed (§2.6.6).
    TempError,
    /// The domain's records could not be interpreted (§2.6.7).
    PermError,
}

impl SpfResult {
    /// The RFC keyword: `none`, `neutral`, `pass`, `fail`, `softfail`, `temperror`,
    /// `permerror`.
    pub fn as_str(self) -> &'static str {
        match self {
            SpfResult::None => "none",
            SpfResult::Neutral => "neutral",
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::TempError => "temperror",
            SpfResult::PermError => "permerror",
        }
    }

    /// Parses an RFC keyword (ASCII case-insensitive).
    pub fn from_keyword(keyword: &str) -> Option<SpfResult> {
        [
            SpfResult::None,
            SpfResult::Neutral,
            SpfResult::Pass,
            SpfResult::Fail,
            SpfResult::SoftFail,
            SpfResult::TempError,
            SpfResult::PermError,
        ]
        .into_iter()
        .find(|result| result.as_str().eq_ignore_ascii_case(keyword))
    }
}

impl fmt::Display for SpfResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which identity was checked (RFC 7208 §2.3, §2.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Identity {
    /// The MAIL FROM identity (`postmaster@<helo>` for the null reverse-path).
    MailFrom,
    /// The HELO/EHLO identity.
    Helo,
}

impl Identity {
    /// `mailfrom` or `helo`, as in `Received-SPF`'s `identity=` key.
    pub fn as_str(self) -> &'static str {
        match self {
            Identity::MailFrom => "mailfrom",
            Identity::Helo => "helo",
        }
    }
}

/// Why the result is what it is. Each variant names the result(s) it goes with.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// *none*: the domain is not a multi-label domain name that could be queried (§4.3).
    MalformedDomain {
        /// The domain as given.
        domain: String,
    },
    /// *none*: the domain has no SPF record, or does not exist (§4.3, §4.5).
    NoRecord {
        /// The domain queried.
        domain: Name,
    },
    /// Any result a qualifier gives: this directive matched (§4.6.2). For `include`, the
    /// directive is the `include` itself.
    Matched {
        /// The domain whose record held the directive.
        domain: Name,
        /// The directive.
        directive: Directive,
    },
    /// *neutral*: no mechanism matched and there was no `redirect=` (§4.7).
    NoMatch {
        /// The domain whose record was exhausted.
        domain: Name,
    },
    /// *permerror*: more than one SPF record at the name (§4.5).
    MultipleRecords {
        /// The domain.
        domain: Name,
        /// How many `v=spf1` records were found.
        count: usize,
    },
    /// *permerror*: the record does not parse (§4.6).
    Syntax {
        /// The domain whose record is broken.
        domain: Name,
        /// What and where.
        error: ParseError,
    },
    /// *permerror*: an `include:` or `redirect=` target without an SPF record, or whose
    /// expanded name is not a valid domain (§5.2, §6.1).
    TargetWithoutRecord {
        /// `include` or `redirect`.
        term: &'static str,
        /// The target as expanded.
        target: String,
    },
    /// *permerror*: more DNS-querying terms than allowed (ten by default, §4.6.4).
    DnsTermLimit {
        /// The limit in force.
        limit: usize,
    },
    /// *permerror*: more void lookups than allowed (two by default, §4.6.4).
    VoidLookupLimit {
        /// The limit in force.
        limit: usize,
    },
    /// *permerror*: an `mx` mechanism found more MX records than allowed (§4.6.4).
    MxLimit {
        /// The domain whose MX records were looked up.
        domain: Name,
        /// The limit in force.
        limit: usize,
    },
    /// *temperror*: a DNS lookup failed (timeout, SERVFAIL, ...) (§5, §4.4).
    Dns {
        /// The name queried.
        name: Name,
        /// The type queried.
        record_type: RecordType,
        /// Why it failed.
        kind: FailureKind,
    },
    /// *temperror*: the caller's deadline passed before evaluation finished (§4.6.4).
    DeadlineExceeded,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::MalformedDomain { domain } => {
                write!(
                    f,
                    "\"{}\" is not a valid domain name",
                    domain.escape_default()
                )
            }
            Reason::NoRecord { domain } => write!(f, "no SPF record at {domain}"),
            Reason::Matched { domain, directive } => {
                write!(f, "matched \"{directive}\" in the record of {domain}")
            }
            Reason::NoMatch { domain } => {
                write!(f, "no mechanism matched in the record of {domain}")
            }
            Reason::MultipleRecords { domain, count } => {
                write!(f, "{count} SPF records at {domain}")
            }
            Reason::Syntax { domain, error } => {
                write!(f, "syntax error in the record of {domain}: {error}")
            }
            Reason::TargetWithoutRecord { term, target } => {
                write!(
                    f,
                    "{term} target \"{}\" has no SPF record",
                    target.escape_default()
                )
            }
            Reason::DnsTermLimit { limit } => {
                write!(f, "more than {limit} DNS-querying terms")
            }
            Reason::VoidLookupLimit { limit } => write!(f, "more than {limit} void lookups"),
            Reason::MxLimit { domain, limit } => {
                write!(f, "more than {limit} MX records at {domain}")
            }
            Reason::Dns {
                name,
                record_type,
                kind,
            } => write!(f, "DNS lookup of {name} {record_type} failed: {kind}"),
            Reason::DeadlineExceeded => f.write_str("evaluation deadline exceeded"),
        }
    }
}

/// Where an explanation came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExplanationSource {
    /// The TXT record named by `exp=` (§6.2).
    Record {
        /// The name the text was fetched from.
        name: Name,
    },
    /// The verifier's default (no usable `exp=`).
    Default,
}

/// The explanation for a *fail* result (§6.2), for the SMTP rejection text.
///
/// Text from the DNS is the domain owner's, not ours: it is ASCII (anything else makes the
/// `exp=` ignored) but may say anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// The expanded text.
    pub text: String,
    /// Where it came from.
    pub source: ExplanationSource,
}

/// The outcome of one `check_host()` evaluation.
#[derive(Clone, Debug)]
pub struct SpfOutput {
    /// The result.
    pub result: SpfResult,
    /// Why.
    pub reason: Reason,
    /// Only with [`SpfResult::Fail`]: the explanation (§6.2).
    pub explanation: Option<Explanation>,
    /// The identity checked, when a `verify_*` entry point was used.
    pub identity: Option<Identity>,
    /// The domain evaluated (`<domain>`), as given.
    pub domain: String,
    /// The sender (`<sender>`), `local-part@domain`, after `postmaster` substitution.
    pub sender: String,
    /// The HELO/EHLO name as given.
    pub helo: String,
    /// The client IP (IPv4-mapped IPv6 addresses become IPv4, §5).
    pub client_ip: IpAddr,
    /// The receiving host (the verifier's `receiver`).
    pub receiver: String,
    /// What happened, step by step (empty when tracing is off).
    pub trace: Trace,
}

impl SpfOutput {
    /// The `Received-SPF` header field (§9.1) for this outcome.
    pub fn received_spf(&self) -> ReceivedSpf {
        let sender_or_helo = match self.identity {
            Some(Identity::Helo) => &self.helo,
            _ => &self.sender,
        };
        let receiver = &self.receiver;
        let ip = self.client_ip;
        let comment = match self.result {
            SpfResult::Pass => format!(
                "{receiver}: domain of {sender_or_helo} designates {ip} as permitted sender"
            ),
            SpfResult::Fail => format!(
                "{receiver}: domain of {sender_or_helo} does not designate {ip} as permitted sender"
            ),
            SpfResult::SoftFail => format!(
                "{receiver}: domain of transitioning {sender_or_helo} does not designate {ip} as permitted sender"
            ),
            SpfResult::Neutral => format!(
                "{receiver}: {ip} is neither permitted nor denied by domain of {sender_or_helo}"
            ),
            SpfResult::None => format!(
                "{receiver}: domain of {sender_or_helo} does not designate permitted sender hosts"
            ),
            SpfResult::PermError => format!(
                "{receiver}: permanent error in processing domain of {sender_or_helo}: {}",
                self.reason
            ),
            SpfResult::TempError => format!(
                "{receiver}: temporary error in processing during lookup of {sender_or_helo}: {}",
                self.reason
            ),
        };
        let problem = matches!(self.result, SpfResult::PermError | SpfResult::TempError)
            .then(|| self.reason.to_string());
        ReceivedSpf {
            result: self.result,
            comment,
            client_ip: ip,
            envelope_from: (self.identity != Some(Identity::Helo)).then(|| self.sender.clone()),
            helo: (!self.helo.is_empty()).then(|| self.helo.clone()),
            receiver: (!self.receiver.is_empty()).then(|| self.receiver.clone()),
            identity: self.identity,
            problem,
        }
    }

    /// The `spf=` result of an Authentication-Results header field (RFC 8601 §2.7.2).
    ///
    /// The property is `smtp.helo` for the HELO identity and `smtp.mailfrom` otherwise; its
    /// value is the domain that was checked (as in RFC 7208 §9.2's example).
    pub fn auth_result(&self) -> AuthResult {
        AuthResult {
            result: self.result,
            property: match self.identity {
                Some(Identity::Helo) => AuthProperty::Helo,
                _ => AuthProperty::MailFrom,
            },
            value: self.domain.clone(),
            reason: match self.result {
                SpfResult::PermError | SpfResult::TempError => Some(self.reason.to_string()),
                _ => None,
            },
        }
    }
}

/// A `Received-SPF` header field (RFC 7208 §9.1) as a value; [`Display`](fmt::Display) renders
/// `Received-SPF: <result> (<comment>) key=value; ...` without folding or CRLF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedSpf {
    /// The result.
    pub result: SpfResult,
    /// The human-readable comment.
    pub comment: String,
    /// `client-ip=`.
    pub client_ip: IpAddr,
    /// `envelope-from=` (the MAIL FROM identity).
    pub envelope_from: Option<String>,
    /// `helo=`.
    pub helo: Option<String>,
    /// `receiver=`.
    pub receiver: Option<String>,
    /// `identity=`.
    pub identity: Option<Identity>,
    /// `problem=` for the error results.
    pub problem: Option<String>,
}

impl fmt::Display for ReceivedSpf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Received-SPF: {} (", self.result)?;
        write_comment_text(f, &self.comment)?;
        write!(f, ") client-ip={};", self.client_ip)?;
        if let Some(from) = &self.envelope_from {
            f.write_str(" envelope-from=")?;
            write_value(f, from)?;
            f.write_str(";")?;
        }
        if let Some(helo) = &self.helo {
            f.write_str(" helo=")?;
            write_value(f, helo)?;
            f.write_str(";")?;
        }
        if let Some(problem) = &self.problem {
            f.write_str(" problem=")?;
            write_value(f, problem)?;
            f.write_str(";")?;
        }
        if let Some(receiver) = &self.receiver {
            f.write_str(" receiver=")?;
            write_value(f, receiver)?;
            f.write_str(";")?;
        }
        if let Some(identity) = self.identity {
            write!(f, " identity={};", identity.as_str())?;
        }
        Ok(())
    }
}

/// Which SMTP property an [`AuthResult`] reports (RFC 8601 §2.7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthProperty {
    /// `smtp.mailfrom`
    MailFrom,
    /// `smtp.helo`
    Helo,
}

/// The SPF part of an Authentication-Results header field: `spf=pass smtp.mailfrom=...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthResult {
    /// The result.
    pub result: SpfResult,
    /// `smtp.mailfrom` or `smtp.helo`.
    pub property: AuthProperty,
    /// The property's value: the domain checked.
    pub value: String,
    /// For the error results, a `reason=` text.
    pub reason: Option<String>,
}

impl fmt::Display for AuthResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "spf={}", self.result)?;
        if let Some(reason) = &self.reason {
            f.write_str(" reason=")?;
            write_quoted(f, reason)?;
        }
        f.write_str(match self.property {
            AuthProperty::MailFrom => " smtp.mailfrom=",
            AuthProperty::Helo => " smtp.helo=",
        })?;
        write_value(f, &self.value)
    }
}

/// RFC 5322 `atext`.
fn is_atext(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&byte)
}

/// Writes `value` as a dot-atom (with an `@` allowed between two) when it is one, otherwise
/// as a quoted-string.
fn write_value(f: &mut fmt::Formatter<'_>, value: &str) -> fmt::Result {
    let is_dot_atom = |text: &str| {
        !text.is_empty()
            && text
                .split('.')
                .all(|atom| !atom.is_empty() && atom.bytes().all(is_atext))
    };
    let plain = match value.rsplit_once('@') {
        Some((local, domain)) => is_dot_atom(local) && is_dot_atom(domain),
        None => is_dot_atom(value),
    };
    if plain {
        f.write_str(value)
    } else {
        write_quoted(f, value)
    }
}

fn write_quoted(f: &mut fmt::Formatter<'_>, value: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in value.chars() {
        match c {
            '"' | '\\' => write!(f, "\\{c}")?,
            c if c.is_control() => write!(f, "{}", c.escape_default())?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

fn write_comment_text(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    for c in text.chars() {
        match c {
            '(' | ')' | '\\' => write!(f, "\\{c}")?,
            c if c.is_control() => write!(f, "{}", c.escape_default())?,
            c => write!(f, "{c}")?,
        }
    }
    Ok(())
}

/// A record of what an evaluation did, in order; [`Trace::events`] lists it.
///
/// Recording is cheap: a list of small steps, and a short list of what they own (two
/// allocations, each small enough for the allocator's fast path). A term's evaluation is
/// kept as the position of its record's step and of the term in the record, and becomes a
/// [`TraceEvent::Term`] (with the domain and the term itself) only when the trace is read;
/// the loading of a record (`check_host()` entered, its TXT query, the record selected) is
/// one step holding the name once and the answer the evaluation got, and becomes three
/// events when read.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// The steps in order; small and without drop glue.
    steps: Vec<Step>,
    /// What [`Step::Owned`] points to.
    owned: Vec<Owned>,
}

/// One recorded step.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Step {
    /// Position in [`Trace::owned`].
    Owned(u32),
    Term {
        /// Position of the record's [`Owned::Load`] step.
        record_step: u32,
        /// Position of the term in the record.
        term: u32,
        outcome: TermOutcome,
    },
    Result {
        /// Position of the record's [`Owned::Load`] step.
        record_step: u32,
        result: SpfResult,
    },
}

/// A step that owns data.
#[derive(Clone, Debug)]
pub(crate) enum Owned {
    /// An event recorded whole.
    Event(TraceEvent),
    /// [`TraceEvent::CheckHost`], then [`TraceEvent::Query`] of the TXT records at `domain`
    /// with the answer `records`, then [`TraceEvent::Record`].
    Load {
        /// Why `check_host()` was entered.
        entry: Entry,
        /// The domain.
        domain: Name,
        /// The TXT records of the answer.
        records: Arc<[Txt]>,
        /// The answer's TTL.
        ttl_seconds: u32,
        /// The record selected and parsed.
        record: Arc<Record>,
    },
}

impl Trace {
    /// Room for `steps` steps, of which `owned` own data.
    pub(crate) fn with_capacity(steps: usize, owned: usize) -> Trace {
        Trace {
            steps: Vec::with_capacity(steps),
            owned: Vec::with_capacity(owned),
        }
    }

    /// Records `event` whole; returns its step's position.
    #[inline]
    pub(crate) fn push_event(&mut self, event: TraceEvent) -> usize {
        self.push_owned(Owned::Event(event))
    }

    /// Records the loading of `record` at `domain` (see [`Owned::Load`]); returns its
    /// step's position, which the record's terms and result refer to.
    #[inline]
    pub(crate) fn push_load(
        &mut self,
        entry: Entry,
        domain: Name,
        (records, ttl_seconds): (Arc<[Txt]>, u32),
        record: Arc<Record>,
    ) -> usize {
        self.push_owned(Owned::Load {
            entry,
            domain,
            records,
            ttl_seconds,
            record,
        })
    }

    #[inline]
    fn push_owned(&mut self, owned: Owned) -> usize {
        let index = step_index(self.owned.len());
        self.owned.push(owned);
        self.push(Step::Owned(index))
    }

    /// Records the term at `term` of the record loaded at step `record_step`.
    #[inline]
    pub(crate) fn push_term(&mut self, record_step: usize, term: usize, outcome: TermOutcome) {
        self.push(Step::Term {
            record_step: step_index(record_step),
            term: step_index(term),
            outcome,
        });
    }

    /// Records the result of the record loaded at step `record_step`.
    #[inline]
    pub(crate) fn push_result(&mut self, record_step: usize, result: SpfResult) {
        self.push(Step::Result {
            record_step: step_index(record_step),
            result,
        });
    }

    #[inline]
    fn push(&mut self, step: Step) -> usize {
        self.steps.push(step);
        self.steps.len() - 1
    }

    /// The data of step `index`, when it owns some.
    fn owned_at(&self, index: u32) -> Option<&Owned> {
        self.owned.get(usize::try_from(index).ok()?)
    }

    /// The events, in order.
    pub fn events(&self) -> Vec<TraceEvent> {
        let mut events = Vec::with_capacity(self.len());
        for step in &self.steps {
            self.push_events(step, &mut events);
        }
        events
    }

    /// How many events there are.
    pub fn len(&self) -> usize {
        let loads = self
            .owned
            .iter()
            .filter(|owned| matches!(owned, Owned::Load { .. }))
            .count();
        self.steps.len() + 2 * loads
    }

    /// True when nothing was recorded (tracing was off, or nothing was evaluated).
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Appends the events of `step` to `events`.
    fn push_events(&self, step: &Step, events: &mut Vec<TraceEvent>) {
        let record_at = |index: u32| match self.steps.get(usize::try_from(index).ok()?) {
            Some(&Step::Owned(owned)) => match self.owned_at(owned) {
                Some(Owned::Load { domain, record, .. }) => Some((domain, record)),
                _ => None,
            },
            _ => None,
        };
        match *step {
            Step::Owned(index) => match self.owned_at(index) {
                Some(Owned::Event(event)) => events.push(event.clone()),
                Some(Owned::Load {
                    entry,
                    domain,
                    records,
                    ttl_seconds,
                    record,
                }) => {
                    events.push(TraceEvent::CheckHost {
                        domain: domain.clone(),
                        entry: *entry,
                    });
                    events.push(TraceEvent::Query {
                        name: domain.clone(),
                        record_type: RecordType::Txt,
                        answer: Ok(DnsAnswer::Txt(Answer::Records {
                            records: Arc::clone(records),
                            ttl_seconds: *ttl_seconds,
                        })),
                    });
                    events.push(TraceEvent::Record {
                        domain: domain.clone(),
                        record: Arc::clone(record),
                    });
                }
                None => {}
            },
            Step::Term {
                record_step,
                term,
                outcome,
            } => {
                let Some((domain, record)) = record_at(record_step) else {
                    return;
                };
                let Some(term) = usize::try_from(term)
                    .ok()
                    .and_then(|term| record.terms().get(term))
                else {
                    return;
                };
                events.push(TraceEvent::Term {
                    domain: domain.clone(),
                    term: term.clone(),
                    outcome,
                });
            }
            Step::Result {
                record_step,
                result,
            } => {
                if let Some((domain, _)) = record_at(record_step) {
                    events.push(TraceEvent::Result {
                        domain: domain.clone(),
                        result,
                    });
                }
            }
        }
    }
}

/// A position in the trace or a record, stored in 32 bits (no evaluation comes near).
#[inline]
fn step_index(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// Why `check_host()` was (re)entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// The evaluation's start.
    Start,
    /// An `include:` mechanism.
    Include,
    /// A `redirect=` modifier.
    Redirect,
}

/// One DNS answer as seen by the evaluation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DnsAnswer {
    /// TXT records.
    Txt(Answer<Txt>),
    /// A records.
    A(Answer<Ipv4Addr>),
    /// AAAA records.
    Aaaa(Answer<Ipv6Addr>),
    /// MX records.
    Mx(Answer<Mx>),
    /// PTR records.
    Ptr(Answer<Name>),
}

/// How a term came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TermOutcome {
    /// The mechanism matched; its qualifier decides.
    Matched,
    /// The mechanism did not match; evaluation continues.
    NotMatched,
    /// Evaluating the term ended the evaluation with an error result.
    Error(SpfResult),
    /// A modifier took effect (`redirect=`).
    Followed,
}

/// One step of an evaluation.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum TraceEvent {
    /// `check_host()` began for a domain.
    CheckHost {
        /// The domain.
        domain: Name,
        /// Why.
        entry: Entry,
    },
    /// A DNS query and its answer (or failure).
    Query {
        /// The name queried (the reverse name for PTR).
        name: Name,
        /// The type queried.
        record_type: RecordType,
        /// What came back.
        answer: Result<DnsAnswer, LookupError>,
    },
    /// The SPF record selected at a domain.
    Record {
        /// The domain.
        domain: Name,
        /// The parsed record.
        record: Arc<Record>,
    },
    /// A term was evaluated.
    Term {
        /// The domain whose record holds the term.
        domain: Name,
        /// The term.
        term: Term,
        /// What happened.
        outcome: TermOutcome,
    },
    /// A domain's evaluation finished (for an include: its own result, before mapping).
    Result {
        /// The domain.
        domain: Name,
        /// Its result.
        result: SpfResult,
    },
    /// Something worth noting that is not a query or a term (a limit, a skipped exp=, ...).
    Note {
        /// What happened.
        message: String,
    },
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for event in self.events() {
            writeln!(f, "{event}")?;
        }
        Ok(())
    }
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceEvent::CheckHost { domain, entry } => {
                write!(f, "check_host({domain}) [{entry:?}]")
            }
            TraceEvent::Query {
                name,
                record_type,
                answer,
            } => {
                write!(f, "  query {name} {record_type}: ")?;
                match answer {
                    Ok(answer) => write_answer(f, answer),
                    Err(error) => write!(f, "error: {}", error.kind()),
                }
            }
            TraceEvent::Record { domain, record } => write!(f, "  record at {domain}: {record}"),
            TraceEvent::Term {
                domain,
                term,
                outcome,
            } => {
                let outcome = match outcome {
                    TermOutcome::Matched => "match".to_owned(),
                    TermOutcome::NotMatched => "no match".to_owned(),
                    TermOutcome::Error(result) => result.to_string(),
                    TermOutcome::Followed => "followed".to_owned(),
                };
                write!(f, "  term {term} ({domain}): {outcome}")
            }
            TraceEvent::Result { domain, result } => write!(f, "  result for {domain}: {result}"),
            TraceEvent::Note { message } => write!(f, "  note: {message}"),
        }
    }
}

fn write_answer(f: &mut fmt::Formatter<'_>, answer: &DnsAnswer) -> fmt::Result {
    fn list<T>(
        f: &mut fmt::Formatter<'_>,
        answer: &Answer<T>,
        item: impl Fn(&mut fmt::Formatter<'_>, &T) -> fmt::Result,
    ) -> fmt::Result {
        match answer {
            Answer::NoRecords { .. } => f.write_str("no records"),
            Answer::NxDomain { .. } => f.write_str("NXDOMAIN"),
            Answer::Records { records, .. } => {
                for (index, record) in records.iter().enumerate() {
                    if index > 0 {
                        f.write_str(", ")?;
                    }
                    item(f, record)?;
                }
                Ok(())
            }
        }
    }
    match answer {
        DnsAnswer::Txt(a) => list(f, a, |f, t| {
            write!(f, "\"{}\"", t.as_bytes().escape_ascii())
        }),
        DnsAnswer::A(a) => list(f, a, |f, ip| write!(f, "{ip}")),
        DnsAnswer::Aaaa(a) => list(f, a, |f, ip| write!(f, "{ip}")),
        DnsAnswer::Mx(a) => list(f, a, |f, mx| write!(f, "{} {}", mx.preference, mx.exchange)),
        DnsAnswer::Ptr(a) => list(f, a, |f, name| write!(f, "{name}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(result: SpfResult, identity: Identity) -> SpfOutput {
        SpfOutput {
            result,
            reason: Reason::NoMatch {
                domain: "example.com".parse().unwrap(),
            },
            explanation: None,
            identity: Some(identity),
            domain: "example.com".into(),
            sender: "myname@example.com".into(),
            helo: "foo.example.com".into(),
            client_ip: "192.0.2.1".parse().unwrap(),
            receiver: "mybox.example.org".into(),
            trace: Trace::default(),
        }
    }

    #[test]
    fn keywords_round_trip() {
        for keyword in [
            "none",
            "neutral",
            "pass",
            "fail",
            "softfail",
            "temperror",
            "permerror",
        ] {
            assert_eq!(SpfResult::from_keyword(keyword).unwrap().as_str(), keyword);
        }
        assert_eq!(SpfResult::from_keyword("PASS"), Some(SpfResult::Pass));
        assert_eq!(SpfResult::from_keyword("hardfail"), None);
    }

    /// RFC 7208 §9.1's first example, field for field.
    #[test]
    fn received_spf_rfc_example() {
        let header = output(SpfResult::Pass, Identity::MailFrom).received_spf();
        assert_eq!(
            header.to_string(),
            "Received-SPF: pass (mybox.example.org: domain of myname@example.com designates \
             192.0.2.1 as permitted sender) client-ip=192.0.2.1; envelope-from=myname@example.com; \
             helo=foo.example.com; receiver=mybox.example.org; identity=mailfrom;"
        );
    }

    #[test]
    fn received_spf_quotes_odd_values() {
        let mut out = output(SpfResult::Fail, Identity::MailFrom);
        out.sender = "Macro Error@e8.example.com".into();
        out.helo = "JUMPIN' (JUPITER)".into();
        let text = out.received_spf().to_string();
        assert!(
            text.contains("envelope-from=\"Macro Error@e8.example.com\";"),
            "{text}"
        );
        assert!(text.contains("helo=\"JUMPIN' (JUPITER)\";"), "{text}");
    }

    #[test]
    fn auth_results_piece() {
        assert_eq!(
            output(SpfResult::Pass, Identity::MailFrom)
                .auth_result()
                .to_string(),
            "spf=pass smtp.mailfrom=example.com"
        );
        let mut helo = output(SpfResult::TempError, Identity::Helo);
        helo.reason = Reason::DeadlineExceeded;
        assert_eq!(
            helo.auth_result().to_string(),
            "spf=temperror reason=\"evaluation deadline exceeded\" smtp.helo=example.com"
        );
    }
}
