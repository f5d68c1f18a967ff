//! `check_host()` (RFC 7208 §4–§6) and the entry points for the two identities.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant, SystemTime};

use mailproof_dns::{Answer, LookupError, Name, RecordType, Resolver, Txt};

use crate::error::ParseError;
use crate::macros::{MacroContext, MacroKind, MacroString, target_name};
use crate::output::{
    DnsAnswer, Entry, Explanation, ExplanationSource, Identity, Reason, SpfOutput, SpfResult,
    TermOutcome, Trace, TraceEvent,
};
use crate::record::{Directive, DualCidr, Mechanism, Qualifier, Record, Term, is_spf_record};

/// Settings for SPF evaluation; build once, share, and call the `verify_*` methods per
/// message.
///
/// The fields are public: start from [`Verifier::default`] and change what you need. The
/// defaults are RFC 7208's.
///
/// # Example
/// ```
/// use mailproof_dns::{Name, ZoneResolver};
/// use mailproof_spf::{SpfResult, Verifier};
///
/// let mut zone = ZoneResolver::new();
/// zone.add_txt("example.com".parse::<Name>()?, &["v=spf1 ip4:192.0.2.0/24 -all"]);
///
/// let mut verifier = Verifier::default();
/// verifier.receiver = "mx.example.net".into();
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let ip = "192.0.2.10".parse().unwrap();
/// let output = verifier.verify_mail_from(&zone, ip, "mail.example.com", "alice@example.com").await;
/// assert_eq!(output.result, SpfResult::Pass);
/// assert_eq!(output.auth_result().to_string(), "spf=pass smtp.mailfrom=example.com");
///
/// let other = "198.51.100.1".parse().unwrap();
/// let output = verifier.verify_mail_from(&zone, other, "mail.example.com", "alice@example.com").await;
/// assert_eq!(output.result, SpfResult::Fail);
/// assert!(output.explanation.is_some());
/// # });
/// # Ok::<(), mailproof_dns::NameError>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Verifier {
    /// How many DNS-querying terms (`include`, `a`, `mx`, `ptr`, `exists`, `redirect`) one
    /// evaluation may use, includes and redirects counted in; more is *permerror* (§4.6.4).
    /// Default 10.
    pub dns_term_limit: usize,
    /// How many of those terms may get an empty answer or NXDOMAIN; more is *permerror*
    /// (§4.6.4). Default 2.
    pub void_lookup_limit: usize,
    /// How many MX records one `mx` mechanism may find; more is *permerror* (§4.6.4).
    /// Default 10.
    pub mx_limit: usize,
    /// How many PTR names one `ptr` mechanism or `%{p}` macro looks at; the rest are
    /// ignored (§4.6.4). Default 10.
    pub ptr_limit: usize,
    /// Longest time one evaluation may take, measured from its first DNS query (nothing
    /// before it waits); checked before every DNS query, and exceeding it gives *temperror*
    /// (§4.6.4 asks for at least 20 seconds). Time is read from the coarse monotonic clock,
    /// so the limit is kept to within one kernel tick (1–10 ms); reading it before every query
    /// then costs a few nanoseconds.
    /// Default 20 seconds. Bound each single query with the DNS crate's `Timeout` wrapper.
    pub time_limit: Option<Duration>,
    /// A fixed point in time evaluations must finish by, on top of `time_limit`; kept, like
    /// it, to within one tick of the coarse clock.
    pub deadline: Option<Instant>,
    /// The receiving host's domain: `%{r}` in explanations and `receiver=` in
    /// `Received-SPF`. Default `unknown` (the RFC's value when none is known).
    pub receiver: String,
    /// The time `%{t}` expands to; `None` reads the system clock once per evaluation.
    pub now: Option<SystemTime>,
    /// Explanation used on *fail* when the record has no usable `exp=` (§6.2). Macros
    /// are expanded as in an explanation; text that is not a valid explain-string is used
    /// as is.
    pub default_explanation: String,
    /// Record a [`Trace`]. Default true; turn off for the allocation-light path.
    pub trace: bool,
    /// Records parsed so far, keyed by their text; shared by clones of this verifier.
    records: RecordCache,
}

/// The most parsed records a [`RecordCache`] holds; when full it starts over.
const RECORD_CACHE_CAPACITY: usize = 1024;

/// How many recently seen TXT answers the cache recognizes by identity.
const RECENT_ANSWERS: usize = 16;

/// Parsed SPF records keyed by their exact text, so evaluations parse each record once.
///
/// Keying by the bytes is safe: the resolver (and its cache) decides which text is current,
/// and equal text always parses to the same record. Bounded: when full, it is emptied.
///
/// In front of the text map sits a short list of the TXT answers seen last, recognized by
/// identity: a caching resolver hands out the same shared record list (`Arc<[Txt]>`) on
/// every hit, and while the list holds a [`Weak`] to that allocation, no other allocation
/// can have its address, so an equal pointer means the very same, immutable, records. A hit
/// there costs a few pointer comparisons instead of hashing the record's text.
#[derive(Clone, Default)]
struct RecordCache(Arc<Mutex<RecordCacheInner>>);

#[derive(Default)]
struct RecordCacheInner {
    /// Record text to the record parsed from it.
    by_text: HashMap<Box<[u8]>, Arc<Record>>,
    /// Recently seen answers: (the answer's records, which of them is the SPF record, it
    /// parsed), replaced round-robin.
    recent: Vec<(Weak<[Txt]>, usize, Arc<Record>)>,
    next_recent: usize,
}

impl fmt::Debug for RecordCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self.0.lock().map_or(0, |inner| inner.by_text.len());
        f.debug_struct("RecordCache").field("len", &len).finish()
    }
}

impl RecordCache {
    /// The parsed record for `text`, from the cache or parsed now (errors are not cached).
    #[cfg(test)]
    fn parse(&self, text: &[u8]) -> Result<Arc<Record>, ParseError> {
        let answer: Arc<[Txt]> = Arc::new([Txt::new(text)]);
        self.parse_answer(&answer, 0)
    }

    /// The parsed record for `answer[index]`, from the cache or parsed now (errors are not
    /// cached).
    fn parse_answer(&self, answer: &Arc<[Txt]>, index: usize) -> Result<Arc<Record>, ParseError> {
        let text = answer.get(index).map_or(&[][..], Txt::as_bytes);
        let address = Arc::as_ptr(answer).cast::<u8>();
        if let Ok(mut inner) = self.0.lock() {
            let seen = inner.recent.iter().find(|(weak, i, _)| {
                *i == index && std::ptr::eq(weak.as_ptr().cast::<u8>(), address)
            });
            if let Some((_, _, record)) = seen {
                return Ok(Arc::clone(record));
            }
            if let Some(record) = inner.by_text.get(text).cloned() {
                inner.remember(answer, index, &record);
                return Ok(record);
            }
        }
        let record = Arc::new(Record::parse(text)?);
        if let Ok(mut inner) = self.0.lock() {
            if inner.by_text.len() >= RECORD_CACHE_CAPACITY {
                inner.by_text.clear();
            }
            inner.by_text.insert(text.into(), Arc::clone(&record));
            inner.remember(answer, index, &record);
        }
        Ok(record)
    }
}

impl RecordCacheInner {
    fn remember(&mut self, answer: &Arc<[Txt]>, index: usize, record: &Arc<Record>) {
        let entry = (Arc::downgrade(answer), index, Arc::clone(record));
        if self.recent.len() < RECENT_ANSWERS {
            self.recent.push(entry);
        } else if let Some(slot) = self.recent.get_mut(self.next_recent) {
            *slot = entry;
        }
        self.next_recent = (self.next_recent + 1) % RECENT_ANSWERS;
    }
}

impl Default for Verifier {
    fn default() -> Verifier {
        Verifier {
            dns_term_limit: 10,
            void_lookup_limit: 2,
            mx_limit: 10,
            ptr_limit: 10,
            time_limit: Some(Duration::from_secs(20)),
            deadline: None,
            receiver: "unknown".to_owned(),
            now: None,
            default_explanation: "%{c} is not authorized to send mail for %{o}".to_owned(),
            trace: true,
            records: RecordCache::default(),
        }
    }
}

/// The outcomes for both identities, each evaluated on its own (§2.3, §2.4).
#[derive(Clone, Debug)]
pub struct BothIdentities {
    /// The HELO identity's outcome.
    pub helo: SpfOutput,
    /// The MAIL FROM identity's outcome.
    pub mail_from: SpfOutput,
}

impl Verifier {
    /// Checks the MAIL FROM identity (§2.4): `mail_from` is the reverse-path without angle
    /// brackets; the null reverse-path (`""` or `"<>"`) is checked as `postmaster@<helo>`.
    pub async fn verify_mail_from<R: Resolver>(
        &self,
        resolver: &R,
        ip: IpAddr,
        helo: &str,
        mail_from: &str,
    ) -> SpfOutput {
        let mail_from = mail_from
            .strip_prefix('<')
            .and_then(|m| m.strip_suffix('>'))
            .unwrap_or(mail_from);
        let mut output = if mail_from.is_empty() {
            let sender = format!("postmaster@{helo}");
            self.check_host(resolver, ip, helo, &sender, helo).await
        } else {
            let domain = mail_from.rsplit_once('@').map_or(mail_from, |(_, d)| d);
            self.check_host(resolver, ip, domain, mail_from, helo).await
        };
        output.identity = Some(Identity::MailFrom);
        output
    }

    /// Checks the HELO identity (§2.3): `check_host()` with `<domain>` the HELO name and
    /// `<sender>` `postmaster@<helo>`. An address literal or a single label gives *none*.
    pub async fn verify_helo<R: Resolver>(
        &self,
        resolver: &R,
        ip: IpAddr,
        helo: &str,
    ) -> SpfOutput {
        let sender = format!("postmaster@{helo}");
        let mut output = self.check_host(resolver, ip, helo, &sender, helo).await;
        output.identity = Some(Identity::Helo);
        output
    }

    /// Checks both identities, each with its own limits, and returns both outcomes: neither
    /// hides the other (a HELO *fail* does not skip the MAIL FROM check).
    pub async fn verify_both<R: Resolver>(
        &self,
        resolver: &R,
        ip: IpAddr,
        helo: &str,
        mail_from: &str,
    ) -> BothIdentities {
        let helo_output = self.verify_helo(resolver, ip, helo).await;
        let mail_from_output = self.verify_mail_from(resolver, ip, helo, mail_from).await;
        BothIdentities {
            helo: helo_output,
            mail_from: mail_from_output,
        }
    }

    /// RFC 7208 `check_host(<ip>, <domain>, <sender>)` (§4), with the HELO name for `%{h}`.
    ///
    /// `sender` is `local-part@domain`; an empty local-part (or no `@`) becomes
    /// `postmaster` (§4.3). A `domain` that is not a multi-label domain name gives *none*.
    pub async fn check_host<R: Resolver>(
        &self,
        resolver: &R,
        ip: IpAddr,
        domain: &str,
        sender: &str,
        helo: &str,
    ) -> SpfOutput {
        let ip = ip.to_canonical();
        let (local_part, sender_domain) = match sender.rsplit_once('@') {
            Some(("", domain)) => ("postmaster", domain),
            Some((local, domain)) => (local, domain),
            None => ("postmaster", sender),
        };
        let mut evaluation = Evaluation {
            verifier: self,
            resolver,
            ip,
            local_part,
            sender_domain,
            helo,
            timestamp: None,
            deadline: None,
            deadline_fixed: false,
            dns_terms: 0,
            void_lookups: 0,
            // Room for a typical evaluation's steps (a four-record include chain makes 27, 7
            // of them owning data), so the trace rarely grows; both lists stay small enough
            // for the allocator's fast path.
            trace: self.trace.then(|| Trace::with_capacity(32, 12)),
            scratch: String::new(),
        };
        let (result, reason, explanation) = match initial_domain(domain) {
            Some(name) => evaluation.run(name).await,
            None => (
                SpfResult::None,
                Reason::MalformedDomain {
                    domain: domain.to_owned(),
                },
                None,
            ),
        };
        SpfOutput {
            result,
            reason,
            explanation,
            identity: None,
            domain: domain.to_owned(),
            // `sender` itself when it already is `local-part@domain` (one copy, no joining).
            sender: if local_part.len() + 1 + sender_domain.len() == sender.len() {
                sender.to_owned()
            } else {
                [local_part, "@", sender_domain].concat()
            },
            helo: helo.to_owned(),
            client_ip: ip,
            receiver: self.receiver.clone(),
            trace: evaluation.trace.unwrap_or_default(),
        }
    }
}

/// §4.3: the `<domain>` must be a multi-label domain name. Beyond what [`Name`] checks
/// (label and name lengths, empty labels), we refuse address literals, names with anything
/// but letters, digits, `-`, `_` and dots, and all-numeric top labels (a bare IPv4 address).
fn initial_domain(domain: &str) -> Option<Name> {
    let name = Name::new(domain).ok()?;
    let text = name.as_str();
    let valid_bytes = text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    // The top label: after the last dot; a name without a dot has one label only.
    let (_, top_label) = text.rsplit_once('.')?;
    let top_label_numeric = top_label.bytes().all(|b| b.is_ascii_digit());
    (valid_bytes && !top_label_numeric).then_some(name)
}

/// The target of `a`, `mx`, `ptr` or `exists` when it needs no expansion: the current
/// domain when there is no domain-spec, or the name made once for a spec without macros.
/// `None` leaves it to [`Evaluation::target_or_void`].
fn plain_target<'d>(spec: Option<&'d MacroString>, domain: &'d Name) -> Option<Cow<'d, Name>> {
    match spec {
        None => Some(Cow::Borrowed(domain)),
        Some(spec) => spec.literal_target().map(Cow::Borrowed),
    }
}

/// Ends the evaluation (or one include level) with an error result.
struct Stop {
    result: SpfResult,
    reason: Reason,
}

impl Stop {
    fn permerror(reason: Reason) -> Stop {
        Stop {
            result: SpfResult::PermError,
            reason,
        }
    }

    fn is_dns_failure(&self) -> bool {
        matches!(self.reason, Reason::Dns { .. })
    }
}

fn dns_stop(error: &LookupError) -> Stop {
    Stop {
        result: SpfResult::TempError,
        reason: Reason::Dns {
            name: error.name().clone(),
            record_type: error.record_type(),
            kind: error.kind(),
        },
    }
}

type Step<T> = Result<T, Stop>;

/// One record being evaluated: the top-level domain, or an include target.
struct Frame {
    domain: Name,
    record: Arc<Record>,
    /// Where the trace holds the record (see [`Evaluation::load_record`]).
    record_step: usize,
    next_term: usize,
    /// This frame answers an `include:` of the frame below it.
    is_include: bool,
}

/// The frames waiting for an include to finish: the first few inline (include chains are
/// rarely deep), the rest in a list, so the common evaluation allocates nothing for them.
#[derive(Default)]
struct FrameStack {
    inline: [Option<Frame>; FrameStack::INLINE],
    len: usize,
    spilled: Vec<Frame>,
}

impl FrameStack {
    const INLINE: usize = 3;

    fn push(&mut self, frame: Frame) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = Some(frame),
            None => self.spilled.push(frame),
        }
        self.len += 1;
    }

    fn pop(&mut self) -> Option<Frame> {
        self.len = self.len.checked_sub(1)?;
        match self.inline.get_mut(self.len) {
            Some(slot) => slot.take(),
            None => self.spilled.pop(),
        }
    }
}

/// What evaluating one term did to its frame.
enum FrameStep {
    Continue,
    Include(Frame),
    Done(SpfResult, Reason),
}

/// The coarse monotonic clock (`CLOCK_MONOTONIC_COARSE` on Linux, read through the vDSO
/// without a system call): a few nanoseconds a read, where a precise `Instant::now` costs
/// 20–60 ns (more in some VMs), and the deadline is checked before every DNS query. Its
/// resolution is the kernel tick, 1–10 ms, so a time limit is kept to within one tick: ample
/// for limits of seconds (RFC 7208 §4.6.4 suggests at least 20).
#[inline]
fn coarse_now() -> coarsetime::Instant {
    // `now_without_cache_update`: the crate's `now` also stores into a process-wide atomic
    // (for its `recent()`), a cache line every thread would write.
    coarsetime::Instant::now_without_cache_update()
}

/// The state of one `check_host()` evaluation, includes and redirects included.
struct Evaluation<'a, R> {
    verifier: &'a Verifier,
    resolver: &'a R,
    ip: IpAddr,
    local_part: &'a str,
    sender_domain: &'a str,
    helo: &'a str,
    /// `%{t}`: read once, when an explanation is first expanded (the letter is refused in
    /// domain-specs, so nothing else needs it).
    timestamp: Option<u64>,
    /// The deadline in force on the coarse clock, fixed at the first check (see
    /// [`Evaluation::check_deadline`]).
    deadline: Option<coarsetime::Instant>,
    deadline_fixed: bool,
    dns_terms: usize,
    void_lookups: usize,
    trace: Option<Trace>,
    /// Reused for every macro expansion.
    scratch: String,
}

impl<R: Resolver> Evaluation<'_, R> {
    async fn run(&mut self, domain: Name) -> (SpfResult, Reason, Option<Explanation>) {
        let (record, record_step) = match self.load_record(&domain, Entry::Start).await {
            Ok(Some(loaded)) => loaded,
            Ok(None) => return (SpfResult::None, Reason::NoRecord { domain }, None),
            Err(stop) => return (stop.result, stop.reason, None),
        };
        let mut current = Frame {
            domain,
            record,
            record_step,
            next_term: 0,
            is_include: false,
        };
        // Frames waiting for an include they started to finish.
        let mut suspended = FrameStack::default();
        loop {
            // Terms that need no DNS are evaluated without entering (and building) the
            // asynchronous `step`.
            let step = match self.step_local(&mut current) {
                Some(step) => step,
                None => self.step(&mut current).await,
            };
            let (mut result, mut reason) = match step {
                FrameStep::Continue => continue,
                FrameStep::Include(child) => {
                    suspended.push(std::mem::replace(&mut current, child));
                    continue;
                }
                FrameStep::Done(result, reason) => (result, reason),
            };
            // `current` is finished; hand its result down until a frame continues.
            loop {
                if let Some(trace) = &mut self.trace {
                    trace.push_result(current.record_step, result);
                }
                let Some(parent) = suspended.pop() else {
                    let explanation =
                        if result == SpfResult::Fail && matches!(reason, Reason::Matched { .. }) {
                            Some(Box::pin(self.explanation(&current.domain, &current.record)).await)
                        } else {
                            None
                        };
                    return (result, reason, explanation);
                };
                debug_assert!(current.is_include);
                current = parent;
                // §5.2: map the included result onto the include mechanism.
                let Some(term) = current
                    .record
                    .terms()
                    .get(current.next_term.wrapping_sub(1))
                else {
                    break;
                };
                let Term::Directive(directive) = term else {
                    break;
                };
                let outcome = match result {
                    SpfResult::Pass => TermOutcome::Matched,
                    SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => {
                        TermOutcome::NotMatched
                    }
                    SpfResult::TempError => TermOutcome::Error(SpfResult::TempError),
                    SpfResult::PermError | SpfResult::None => {
                        TermOutcome::Error(SpfResult::PermError)
                    }
                };
                self.note_term(&current, current.next_term - 1, outcome);
                match outcome {
                    TermOutcome::NotMatched | TermOutcome::Followed => break,
                    TermOutcome::Matched => {
                        result = qualifier_result(directive.qualifier);
                        reason = Reason::Matched {
                            domain: current.domain.clone(),
                            directive: directive.clone(),
                        };
                    }
                    TermOutcome::Error(error) => result = error,
                }
            }
        }
    }

    /// Evaluates the next term of `frame` when it needs no DNS query: a modifier (which acts
    /// only once the mechanisms are exhausted), `all`, `ip4` or `ip6`. `None` leaves the
    /// term to [`Evaluation::step`].
    fn step_local(&mut self, frame: &mut Frame) -> Option<FrameStep> {
        // Consecutive local terms are evaluated here, one after the other; what ends the run
        // is a match, a term that needs DNS, or the end of the record (both left to `step`).
        loop {
            let index = frame.next_term;
            let term = frame.record.terms().get(index)?;
            let directive = match term {
                // Modifiers act after the mechanisms (redirect) or on fail (exp); unknown
                // ones are ignored (§6).
                Term::Modifier(_) => {
                    frame.next_term += 1;
                    continue;
                }
                Term::Directive(directive) => directive,
            };
            let matched = self.local_match(&directive.mechanism)?;
            frame.next_term += 1;
            if matched {
                self.note_term(frame, index, TermOutcome::Matched);
                return Some(FrameStep::Done(
                    qualifier_result(directive.qualifier),
                    Reason::Matched {
                        domain: frame.domain.clone(),
                        directive: directive.clone(),
                    },
                ));
            }
            self.note_term(frame, index, TermOutcome::NotMatched);
        }
    }

    /// Evaluates the next term of `frame` (§4.6.2, §4.7, §6.1).
    async fn step(&mut self, frame: &mut Frame) -> FrameStep {
        let index = frame.next_term;
        let Some(term) = frame.record.terms().get(index) else {
            return self.finish_record(frame).await;
        };
        frame.next_term += 1;
        let Term::Directive(directive) = term else {
            // Modifiers act after the mechanisms (redirect) or on fail (exp); unknown ones
            // are ignored (§6).
            return FrameStep::Continue;
        };
        if let Mechanism::Include { domain: spec } = &directive.mechanism {
            return match self
                .follow("include", spec, &frame.domain, Entry::Include)
                .await
            {
                Ok((target, record, record_step)) => FrameStep::Include(Frame {
                    domain: target,
                    record,
                    record_step,
                    next_term: 0,
                    is_include: true,
                }),
                Err(stop) => {
                    self.note_term(frame, index, TermOutcome::Error(stop.result));
                    FrameStep::Done(stop.result, stop.reason)
                }
            };
        }
        match self.matches(directive, &frame.domain).await {
            Ok(true) => {
                self.note_term(frame, index, TermOutcome::Matched);
                FrameStep::Done(
                    qualifier_result(directive.qualifier),
                    Reason::Matched {
                        domain: frame.domain.clone(),
                        directive: directive.clone(),
                    },
                )
            }
            Ok(false) => {
                self.note_term(frame, index, TermOutcome::NotMatched);
                FrameStep::Continue
            }
            Err(stop) => {
                self.note_term(frame, index, TermOutcome::Error(stop.result));
                FrameStep::Done(stop.result, stop.reason)
            }
        }
    }

    /// No mechanism matched: follow `redirect=` (§6.1) or return *neutral* (§4.7).
    async fn finish_record(&mut self, frame: &mut Frame) -> FrameStep {
        let record = Arc::clone(&frame.record);
        let Some(spec) = record.redirect() else {
            return FrameStep::Done(
                SpfResult::Neutral,
                Reason::NoMatch {
                    domain: frame.domain.clone(),
                },
            );
        };
        let redirect_term = record
            .terms()
            .iter()
            .position(|t| matches!(t, Term::Modifier(crate::record::Modifier::Redirect(_))));
        match self
            .follow("redirect", spec, &frame.domain, Entry::Redirect)
            .await
        {
            Ok((target, target_record, record_step)) => {
                if let Some(index) = redirect_term {
                    self.note_term(frame, index, TermOutcome::Followed);
                }
                frame.domain = target;
                frame.record = target_record;
                frame.record_step = record_step;
                frame.next_term = 0;
                FrameStep::Continue
            }
            Err(stop) => {
                if let Some(index) = redirect_term {
                    self.note_term(frame, index, TermOutcome::Error(stop.result));
                }
                FrameStep::Done(stop.result, stop.reason)
            }
        }
    }

    /// The DNS-term accounting, target expansion and record lookup shared by `include:`
    /// and `redirect=`: a target without a record is *permerror* for both (§5.2, §6.1).
    async fn follow(
        &mut self,
        term: &'static str,
        spec: &MacroString,
        domain: &Name,
        entry: Entry,
    ) -> Step<(Name, Arc<Record>, usize)> {
        self.count_dns_term()?;
        let expanded = match spec.literal_target() {
            // No macros: the name made once for the spec, without entering the expansion.
            Some(name) => Ok(Cow::Borrowed(name)),
            None => self.expand_target(spec, domain).await?,
        };
        let target = match expanded {
            Ok(target) => target.into_owned(),
            Err(expanded) => {
                return Err(Stop::permerror(Reason::TargetWithoutRecord {
                    term,
                    target: expanded,
                }));
            }
        };
        match self.load_record(&target, entry).await? {
            Some((record, record_step)) => Ok((target, record, record_step)),
            None => Err(Stop::permerror(Reason::TargetWithoutRecord {
                term,
                target: target.to_string(),
            })),
        }
    }

    /// Whether `all`, `ip4` or `ip6` matches (§5.1, §5.6); `None` for the mechanisms that
    /// need DNS.
    fn local_match(&self, mechanism: &Mechanism) -> Option<bool> {
        match mechanism {
            Mechanism::All => Some(true),
            Mechanism::Ip4 {
                network,
                prefix_length,
            } => Some(match self.ip {
                IpAddr::V4(ip) => in_network_v4(ip, *network, prefix_length.unwrap_or(32)),
                IpAddr::V6(_) => false,
            }),
            Mechanism::Ip6 {
                network,
                prefix_length,
            } => Some(match self.ip {
                IpAddr::V6(ip) => in_network_v6(ip, *network, prefix_length.unwrap_or(128)),
                IpAddr::V4(_) => false,
            }),
            _ => None,
        }
    }

    /// Whether a mechanism other than `include` matches (§5).
    async fn matches(&mut self, directive: &Directive, domain: &Name) -> Step<bool> {
        if let Some(matched) = self.local_match(&directive.mechanism) {
            return Ok(matched);
        }
        match &directive.mechanism {
            Mechanism::A { domain: spec, cidr } => {
                self.count_dns_term()?;
                let target = match plain_target(spec.as_ref(), domain) {
                    Some(target) => target,
                    None => match self.target_or_void(spec.as_ref(), domain).await? {
                        Some(target) => target,
                        None => return Ok(false),
                    },
                };
                let (matched, void) = self.address_match(&target, *cidr).await?;
                if void {
                    self.count_void()?;
                }
                Ok(matched)
            }
            Mechanism::Mx { domain: spec, cidr } => {
                self.count_dns_term()?;
                let target = match plain_target(spec.as_ref(), domain) {
                    Some(target) => target,
                    None => match self.target_or_void(spec.as_ref(), domain).await? {
                        Some(target) => target,
                        None => return Ok(false),
                    },
                };
                self.mx_match(&target, *cidr).await
            }
            Mechanism::Ptr { domain: spec } => {
                self.count_dns_term()?;
                let target = match plain_target(spec.as_ref(), domain) {
                    Some(target) => target,
                    None => match self.target_or_void(spec.as_ref(), domain).await? {
                        Some(target) => target,
                        None => return Ok(false),
                    },
                };
                Box::pin(self.ptr_match(&target)).await
            }
            Mechanism::Exists { domain: spec } => {
                self.count_dns_term()?;
                let target = match plain_target(Some(spec), domain) {
                    Some(target) => target,
                    None => match self.target_or_void(Some(spec), domain).await? {
                        Some(target) => target,
                        None => return Ok(false),
                    },
                };
                let answer = self.a(&target).await?;
                if answer.is_void() {
                    self.count_void()?;
                }
                Ok(!answer.is_void())
            }
            // `include` is handled by `step`, which pushes a frame; the others by
            // `local_match`.
            Mechanism::Include { .. }
            | Mechanism::All
            | Mechanism::Ip4 { .. }
            | Mechanism::Ip6 { .. } => Ok(false),
        }
    }

    /// The target name of `a`, `mx`, `ptr`, `exists`: the expanded domain-spec, or the
    /// current domain. A target that is not a valid domain name is treated as one that does
    /// not exist (a void lookup without a query), as RFC 7208 leaves this undefined and
    /// §4.3 treats malformed names so.
    async fn target_or_void<'d>(
        &mut self,
        spec: Option<&'d MacroString>,
        domain: &'d Name,
    ) -> Step<Option<Cow<'d, Name>>> {
        let Some(spec) = spec else {
            return Ok(Some(Cow::Borrowed(domain)));
        };
        match self.expand_target(spec, domain).await? {
            Ok(name) => Ok(Some(name)),
            Err(expanded) => {
                self.note(|| TraceEvent::Note {
                    message: format!(
                        "target \"{}\" is not a valid domain name: treated as nonexistent",
                        expanded.escape_default()
                    ),
                });
                self.count_void()?;
                Ok(None)
            }
        }
    }

    /// Expands a domain-spec (§7) and makes it a [`Name`], truncating from the left to 253
    /// characters (§7.3). `Err` carries the expansion when it is not a valid name. A spec
    /// without macros gives the name made once for it.
    async fn expand_target<'s>(
        &mut self,
        spec: &'s MacroString,
        domain: &Name,
    ) -> Step<Result<Cow<'s, Name>, String>> {
        if let Some(name) = spec.literal_target() {
            return Ok(Ok(Cow::Borrowed(name)));
        }
        let validated = if spec.uses_validated_domain() {
            // Boxed: `%{p}` is rare, and its lookups would otherwise size every future that
            // expands a target (and the evaluation's own).
            Box::pin(self.validated_domain(domain)).await?
        } else {
            None
        };
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        spec.expand_into(&self.context(domain, validated.as_ref()), &mut scratch);
        let result = target_name(&scratch).map(Cow::Owned).map_err(str::to_owned);
        self.scratch = scratch;
        Ok(result)
    }

    fn context<'c>(&'c self, domain: &'c Name, validated: Option<&'c Name>) -> MacroContext<'c> {
        MacroContext {
            local_part: self.local_part,
            sender_domain: self.sender_domain,
            domain: domain.as_str(),
            ip: self.ip,
            helo: self.helo,
            validated_domain: validated.map(Name::as_str),
            receiver: &self.verifier.receiver,
            timestamp: self.timestamp.unwrap_or_default(),
        }
    }

    /// `a`: the target's A or AAAA records against the client IP. Returns (matched, void).
    async fn address_match(&mut self, target: &Name, cidr: DualCidr) -> Step<(bool, bool)> {
        match self.ip {
            IpAddr::V4(ip) => {
                // `a`, written out: one async layer less on the common path.
                self.check_deadline()?;
                let resolver = self.resolver;
                let answer = resolver.a(target).await;
                self.note_query(target, RecordType::A, &answer, DnsAnswer::A);
                let answer = answer.map_err(|e| dns_stop(&e))?;
                let length = cidr.ip4.unwrap_or(32);
                let matched = answer
                    .records()
                    .iter()
                    .any(|&address| in_network_v4(ip, address, length));
                Ok((matched, answer.is_void()))
            }
            IpAddr::V6(ip) => {
                let answer = self.aaaa(target).await?;
                let length = cidr.ip6.unwrap_or(128);
                let matched = answer
                    .records()
                    .iter()
                    .any(|&address| in_network_v6(ip, address, length));
                Ok((matched, answer.is_void()))
            }
        }
    }

    /// `mx` (§5.4): each exchange's addresses; more than `mx_limit` MX records is
    /// *permerror* (§4.6.4).
    async fn mx_match(&mut self, target: &Name, cidr: DualCidr) -> Step<bool> {
        // `mx`, written out: one async layer less on the common path.
        self.check_deadline()?;
        let resolver = self.resolver;
        let answer = resolver.mx(target).await;
        self.note_query(target, RecordType::Mx, &answer, DnsAnswer::Mx);
        let answer = answer.map_err(|e| dns_stop(&e))?;
        if answer.is_void() {
            self.count_void()?;
            return Ok(false);
        }
        let exchanges = answer.records();
        if exchanges.len() > self.verifier.mx_limit {
            return Err(Stop::permerror(Reason::MxLimit {
                domain: target.clone(),
                limit: self.verifier.mx_limit,
            }));
        }
        for mx in exchanges {
            if self.address_match(&mx.exchange, cidr).await?.0 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// `ptr` (§5.5): a validated reverse name equal to or below the target. A failing PTR
    /// lookup means no match; a failing address lookup skips that name.
    async fn ptr_match(&mut self, target: &Name) -> Step<bool> {
        let answer = match self.ptr().await {
            Ok(answer) => answer,
            Err(stop) if stop.is_dns_failure() => return Ok(false),
            Err(stop) => return Err(stop),
        };
        if answer.is_void() {
            self.count_void()?;
            return Ok(false);
        }
        for name in answer.records().iter().take(self.verifier.ptr_limit) {
            if name.is_within(target) && self.is_validated(name).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// `%{p}` (§7.3): a validated name of the client IP, preferring `domain` itself, then a
    /// name below it; `None` (expanding to `unknown`) when there is none or DNS fails.
    async fn validated_domain(&mut self, domain: &Name) -> Step<Option<Name>> {
        let answer = match self.ptr().await {
            Ok(answer) => answer,
            Err(stop) if stop.is_dns_failure() => return Ok(None),
            Err(stop) => return Err(stop),
        };
        let names: Vec<&Name> = answer
            .records()
            .iter()
            .take(self.verifier.ptr_limit)
            .collect();
        let exact = names.iter().filter(|name| **name == domain);
        let below = names
            .iter()
            .filter(|name| **name != domain && name.is_within(domain));
        let other = names.iter().filter(|name| !name.is_within(domain));
        for name in exact.chain(below).chain(other) {
            if self.is_validated(name).await? {
                return Ok(Some((*name).clone()));
            }
        }
        Ok(None)
    }

    /// Forward-confirms a PTR name: its A/AAAA records include the client IP. DNS failures
    /// make the name unvalidated (§5.5).
    async fn is_validated(&mut self, name: &Name) -> Step<bool> {
        match self.address_match(name, DualCidr::default()).await {
            Ok((matched, _)) => Ok(matched),
            Err(stop) if stop.is_dns_failure() => Ok(false),
            Err(stop) => Err(stop),
        }
    }

    /// The explanation for a *fail* decided in `record` at `domain` (§6.2). Any problem
    /// with `exp=` (DNS, not exactly one TXT record, bad syntax) falls back to the default;
    /// this lookup counts towards no limit.
    async fn explanation(&mut self, domain: &Name, record: &Record) -> Explanation {
        let now = self.verifier.now.unwrap_or_else(SystemTime::now);
        self.timestamp = Some(
            now.duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        );
        if let Some(spec) = record.explanation()
            && let Ok(Some(explanation)) = self.fetch_explanation(spec, domain).await
        {
            return explanation;
        }
        let default = &self.verifier.default_explanation;
        let text = match MacroString::parse(default.as_bytes(), MacroKind::Explanation) {
            Ok(template) => {
                let validated = if template.uses_validated_domain() {
                    self.validated_domain(domain).await.ok().flatten()
                } else {
                    None
                };
                template.expand(&self.context(domain, validated.as_ref()))
            }
            Err(_) => default.clone(),
        };
        Explanation {
            text,
            source: ExplanationSource::Default,
        }
    }

    async fn fetch_explanation(
        &mut self,
        spec: &MacroString,
        domain: &Name,
    ) -> Step<Option<Explanation>> {
        let Ok(name) = self.expand_target(spec, domain).await? else {
            return Ok(None);
        };
        let answer = self.txt(&name).await?;
        let [txt] = answer.records() else {
            self.note(|| TraceEvent::Note {
                message: format!("exp={name}: not exactly one TXT record, ignored"),
            });
            return Ok(None);
        };
        let Ok(template) = MacroString::parse(txt.as_bytes(), MacroKind::Explanation) else {
            self.note(|| TraceEvent::Note {
                message: format!("exp={name}: invalid explanation string, ignored"),
            });
            return Ok(None);
        };
        let validated = if template.uses_validated_domain() {
            self.validated_domain(domain).await?
        } else {
            None
        };
        let text = template.expand(&self.context(domain, validated.as_ref()));
        Ok(Some(Explanation {
            text,
            source: ExplanationSource::Record {
                name: name.into_owned(),
            },
        }))
    }

    /// §4.4, §4.5: the one `v=spf1` record at `domain`, parsed; `None` when there is none.
    /// `check_host()` is (re)entered at `domain` for `entry`.
    ///
    /// Traces the entry, the TXT query and the record; a record found comes with the
    /// position of its step in the trace, which the terms evaluated from it refer to (0 when
    /// tracing is off). The common case, a record found, is one step (see [`Trace`]).
    async fn load_record(
        &mut self,
        domain: &Name,
        entry: Entry,
    ) -> Step<Option<(Arc<Record>, usize)>> {
        if let Err(stop) = self.check_deadline() {
            self.note(|| TraceEvent::CheckHost {
                domain: domain.clone(),
                entry,
            });
            return Err(stop);
        }
        let resolver = self.resolver;
        let answer = match resolver.txt(domain).await {
            Ok(answer) => answer,
            Err(error) => {
                self.note_load_failure(domain, entry, Err(error.clone()));
                return Err(dns_stop(&error));
            }
        };
        match self.select_record(domain, &answer) {
            Ok(Some(record)) => {
                let record_step = match (&mut self.trace, answer) {
                    (
                        Some(trace),
                        Answer::Records {
                            records,
                            ttl_seconds,
                        },
                    ) => trace.push_load(
                        entry,
                        domain.clone(),
                        (records, ttl_seconds),
                        Arc::clone(&record),
                    ),
                    _ => 0,
                };
                Ok(Some((record, record_step)))
            }
            other => {
                self.note_load_failure(domain, entry, Ok(answer));
                // `Ok(None)` or the error (a record found was the arm above).
                other.map(|_| None)
            }
        }
    }

    /// The trace of a [`Evaluation::load_record`] that found no record: the entry and the
    /// TXT query.
    fn note_load_failure(
        &mut self,
        domain: &Name,
        entry: Entry,
        answer: Result<Answer<Txt>, LookupError>,
    ) {
        if let Some(trace) = &mut self.trace {
            trace.push_event(TraceEvent::CheckHost {
                domain: domain.clone(),
                entry,
            });
            trace.push_event(TraceEvent::Query {
                name: domain.clone(),
                record_type: RecordType::Txt,
                answer: answer.map(DnsAnswer::Txt),
            });
        }
    }

    /// The one `v=spf1` record of `answer` (TXT at `domain`), parsed; `None` when there is
    /// none.
    fn select_record(&self, domain: &Name, answer: &Answer<Txt>) -> Step<Option<Arc<Record>>> {
        let Answer::Records { records, .. } = answer else {
            return Ok(None);
        };
        let mut spf = records
            .iter()
            .enumerate()
            .filter(|(_, txt)| is_spf_record(txt.as_bytes()));
        let Some((first, _)) = spf.next() else {
            return Ok(None);
        };
        let others = spf.count();
        if others > 0 {
            return Err(Stop::permerror(Reason::MultipleRecords {
                domain: domain.clone(),
                count: others + 1,
            }));
        }
        match self.verifier.records.parse_answer(records, first) {
            Ok(record) => Ok(Some(record)),
            Err(error) => Err(Stop::permerror(Reason::Syntax {
                domain: domain.clone(),
                error,
            })),
        }
    }

    fn count_dns_term(&mut self) -> Step<()> {
        self.dns_terms += 1;
        if self.dns_terms > self.verifier.dns_term_limit {
            return Err(Stop::permerror(Reason::DnsTermLimit {
                limit: self.verifier.dns_term_limit,
            }));
        }
        Ok(())
    }

    fn count_void(&mut self) -> Step<()> {
        self.void_lookups += 1;
        if self.void_lookups > self.verifier.void_lookup_limit {
            return Err(Stop::permerror(Reason::VoidLookupLimit {
                limit: self.verifier.void_lookup_limit,
            }));
        }
        Ok(())
    }

    /// Before each DNS query: *temperror* once the deadline has passed. One read of the
    /// coarse monotonic clock per query ([`coarse_now`]); the first one also starts
    /// `time_limit` (nothing before the first query waits, so this is the evaluation's start
    /// to within a clock tick, without a read of its own). A fixed [`Verifier::deadline`] costs
    /// one precise read at that first check, to place it on the coarse clock.
    #[inline]
    fn check_deadline(&mut self) -> Step<()> {
        let verifier = self.verifier;
        if verifier.deadline.is_none() && verifier.time_limit.is_none() {
            return Ok(());
        }
        let now = coarse_now();
        if !self.deadline_fixed {
            self.deadline_fixed = true;
            self.deadline = self.fix_deadline(now);
        }
        match self.deadline {
            Some(deadline) if now >= deadline => Err(Stop {
                result: SpfResult::TempError,
                reason: Reason::DeadlineExceeded,
            }),
            _ => Ok(()),
        }
    }

    /// The deadline in force on the coarse clock, `now` being its first reading: the earlier
    /// of `now + time_limit` and the verifier's fixed deadline (its distance from a precise
    /// reading of now, added to the coarse one).
    #[cold]
    fn fix_deadline(&self, now: coarsetime::Instant) -> Option<coarsetime::Instant> {
        let verifier = self.verifier;
        let limit = verifier
            .time_limit
            .and_then(|limit| now.checked_add(limit.into()));
        let fixed = verifier.deadline.map(|deadline| {
            let left = deadline.saturating_duration_since(Instant::now());
            now.saturating_add(left.into())
        });
        match (limit, fixed) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    #[inline]
    fn note(&mut self, event: impl FnOnce() -> TraceEvent) {
        if let Some(trace) = &mut self.trace {
            trace.push_event(event());
        }
    }

    /// Notes how the term at `index` of `frame`'s record came out.
    #[inline]
    fn note_term(&mut self, frame: &Frame, index: usize, outcome: TermOutcome) {
        if let Some(trace) = &mut self.trace {
            trace.push_term(frame.record_step, index, outcome);
        }
    }

    #[inline]
    fn note_query<T: Clone>(
        &mut self,
        name: &Name,
        record_type: RecordType,
        answer: &Result<Answer<T>, LookupError>,
        wrap: fn(Answer<T>) -> DnsAnswer,
    ) {
        self.note(|| TraceEvent::Query {
            name: name.clone(),
            record_type,
            answer: answer.clone().map(wrap),
        });
    }

    async fn txt(&mut self, name: &Name) -> Step<Answer<Txt>> {
        self.check_deadline()?;
        let resolver = self.resolver;
        let answer = resolver.txt(name).await;
        self.note_query(name, RecordType::Txt, &answer, DnsAnswer::Txt);
        answer.map_err(|e| dns_stop(&e))
    }

    async fn a(&mut self, name: &Name) -> Step<Answer<Ipv4Addr>> {
        self.check_deadline()?;
        let resolver = self.resolver;
        let answer = resolver.a(name).await;
        self.note_query(name, RecordType::A, &answer, DnsAnswer::A);
        answer.map_err(|e| dns_stop(&e))
    }

    async fn aaaa(&mut self, name: &Name) -> Step<Answer<Ipv6Addr>> {
        self.check_deadline()?;
        let resolver = self.resolver;
        let answer = resolver.aaaa(name).await;
        self.note_query(name, RecordType::Aaaa, &answer, DnsAnswer::Aaaa);
        answer.map_err(|e| dns_stop(&e))
    }

    async fn ptr(&mut self) -> Step<Answer<Name>> {
        self.check_deadline()?;
        let resolver = self.resolver;
        let answer = resolver.ptr(self.ip).await;
        if self.trace.is_some() {
            let name = Name::reverse(self.ip);
            self.note_query(&name, RecordType::Ptr, &answer, DnsAnswer::Ptr);
        }
        answer.map_err(|e| dns_stop(&e))
    }
}

fn qualifier_result(qualifier: Qualifier) -> SpfResult {
    match qualifier {
        Qualifier::Pass => SpfResult::Pass,
        Qualifier::Fail => SpfResult::Fail,
        Qualifier::SoftFail => SpfResult::SoftFail,
        Qualifier::Neutral => SpfResult::Neutral,
    }
}

fn in_network_v4(ip: Ipv4Addr, network: Ipv4Addr, prefix_length: u8) -> bool {
    let mask = u32::MAX
        .checked_shl(32 - u32::from(prefix_length.min(32)))
        .unwrap_or(0);
    u32::from(ip) & mask == u32::from(network) & mask
}

fn in_network_v6(ip: Ipv6Addr, network: Ipv6Addr, prefix_length: u8) -> bool {
    let mask = u128::MAX
        .checked_shl(128 - u32::from(prefix_length.min(128)))
        .unwrap_or(0);
    u128::from(ip) & mask == u128::from(network) & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks() {
        let ip: Ipv4Addr = "192.0.2.77".parse().unwrap();
        assert!(in_network_v4(ip, "192.0.2.0".parse().unwrap(), 24));
        assert!(!in_network_v4(ip, "192.0.3.0".parse().unwrap(), 24));
        assert!(in_network_v4(ip, "1.1.1.1".parse().unwrap(), 0));
        assert!(in_network_v4(ip, ip, 32));
        assert!(in_network_v4(ip, ip, 200));
        let ip6: Ipv6Addr = "2001:db8::1".parse().unwrap();
        assert!(in_network_v6(ip6, "2001:db8::".parse().unwrap(), 32));
        assert!(!in_network_v6(ip6, "2001:db9::".parse().unwrap(), 32));
        assert!(in_network_v6(ip6, "::".parse().unwrap(), 0));
        assert!(in_network_v6(ip6, ip6, 128));
    }

    #[test]
    fn record_cache_parses_once_and_is_bounded() {
        let cache = RecordCache::default();
        let text = b"v=spf1 include:_spf.example.com -all";
        let first = cache.parse(text).unwrap();
        let again = cache.parse(text).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        assert!(Arc::ptr_eq(&cache.clone().parse(text).unwrap(), &first));
        assert!(cache.parse(b"v=spf1 a:foo.example.com/33").is_err());
        for index in 0..=RECORD_CACHE_CAPACITY {
            cache
                .parse(format!("v=spf1 ip4:10.0.0.1 a:{index}.example.com").as_bytes())
                .unwrap();
        }
        assert!(cache.0.lock().unwrap().by_text.len() <= RECORD_CACHE_CAPACITY);
    }

    #[test]
    fn record_cache_recognizes_a_shared_answer() {
        let cache = RecordCache::default();
        let answer: Arc<[Txt]> = Arc::new([
            Txt::new(&b"not spf"[..]),
            Txt::new(&b"v=spf1 ip4:192.0.2.0/24 -all"[..]),
        ]);
        let first = cache.parse_answer(&answer, 1).unwrap();
        assert!(Arc::ptr_eq(
            &first,
            &cache.parse_answer(&answer, 1).unwrap()
        ));
        // Equal text in another allocation: found by text.
        let copy: Arc<[Txt]> = answer.to_vec().into();
        assert!(Arc::ptr_eq(&first, &cache.parse_answer(&copy, 1).unwrap()));
        // Another index of the same answer is another record.
        assert!(cache.parse_answer(&answer, 0).is_err());
        // A dropped answer's address may be reused only once no entry refers to it: the
        // entries hold weak references, so a new answer with other text is parsed anew.
        drop((answer, copy));
        for text in ["v=spf1 -all", "v=spf1 ~all", "v=spf1 ?all"] {
            let fresh: Arc<[Txt]> = Arc::new([Txt::new(text.as_bytes())]);
            assert_eq!(cache.parse_answer(&fresh, 0).unwrap().to_string(), text);
        }
        for index in 0..3 * RECENT_ANSWERS {
            let fresh: Arc<[Txt]> =
                Arc::new([Txt::new(format!("v=spf1 a:{index}.example").as_bytes())]);
            assert_eq!(
                cache.parse_answer(&fresh, 0).unwrap().to_string(),
                format!("v=spf1 a:{index}.example")
            );
        }
        assert!(cache.0.lock().unwrap().recent.len() <= RECENT_ANSWERS);
    }

    #[test]
    fn literal_targets_are_made_once() {
        let parse =
            |text: &str| MacroString::parse(text.as_bytes(), MacroKind::DomainSpec).unwrap();
        let spec = parse("_spf1.Example.com.");
        let name = spec.literal_target().unwrap();
        assert_eq!(Some(name), target_name("_spf1.Example.com.").ok().as_ref());
        assert!(std::ptr::eq(name, spec.clone().literal_target().unwrap()));
        assert!(parse("%{d}.example.com").literal_target().is_none());
        assert!(parse("%%.example.com").literal_target().is_none());
        assert!(parse("a..example.com").literal_target().is_none());
        let long = format!("{}.example.com", "a.".repeat(200));
        assert_eq!(
            parse(&long).literal_target().map(|n| n.as_str().len()),
            target_name(&long).ok().map(|n| n.as_str().len())
        );
    }

    #[test]
    fn initial_processing() {
        assert!(initial_domain("example.com").is_some());
        assert!(initial_domain("Example.COM.").is_some());
        assert!(initial_domain("_spf.example.com").is_some());
        for bad in [
            "",
            "com",
            "A2345678",
            "[1.2.3.5]",
            "1.2.3.5",
            "a...example.com",
            "foo bar.example.com",
            "foo:bar.example.com",
        ] {
            assert!(initial_domain(bad).is_none(), "{bad}");
        }
        let long = format!("{}.example.com", "a".repeat(64));
        assert!(initial_domain(&long).is_none());
    }
}
