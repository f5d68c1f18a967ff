//! The verification pipeline: SPF and DKIM concurrently, then DMARC with their outcomes.

use futures_util::future::{join, join_all};
use mailproof_dkim::{Clock, Policy as DkimPolicy, Scratch, Signature};
use mailproof_dmarc::{Author, DkimOutcome, FromProblem, PublicSuffixList, SpfOutcome};
use mailproof_dns::{Answer, FailureKind, LookupError, Name, RecordType, Resolver, Txt};
use mailproof_message::{FromAuthors, Message, author_domain, parse_address_list};

use crate::verdict::{
    DkimVerdict, DmarcVerdict, Envelope, KeyLookup, SignatureTags, SpfVerdict, Verdict,
    describe_disposition, describe_dkim, describe_dmarc, dmarc_dkim_result, dmarc_spf_result,
    requested_policy,
};

/// How DMARC finds a policy record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Discovery {
    /// RFC 9989's DNS Tree Walk (the default).
    #[default]
    TreeWalk,
    /// RFC 7489: the Author Domain, then its Organizational Domain from the compiled-in
    /// Public Suffix List. `pct=` sampling selects every message (the policy applies in full);
    /// use [`Authenticator::with_dmarc_verifier`] for another sampler.
    Rfc7489,
}

/// Verifies incoming mail: SPF, DKIM and DMARC, in one call, with one [`Verdict`].
///
/// Build one per process and share it (`Arc<Authenticator<R>>` or `&'static`); it is `Send +
/// Sync` when the resolver is. See the crate documentation for an example.
pub struct Authenticator<R> {
    resolver: R,
    authserv_id: String,
    spf: mailproof_spf::Verifier,
    dkim: mailproof_dkim::Verifier,
    dmarc: mailproof_dmarc::Verifier,
    #[cfg(feature = "blocking")]
    runtime: std::sync::OnceLock<tokio::runtime::Runtime>,
}

impl<R> std::fmt::Debug for Authenticator<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("authserv_id", &self.authserv_id)
            .field("dkim", &self.dkim)
            .field("dmarc", &self.dmarc)
            .finish_non_exhaustive()
    }
}

impl<R: Resolver> Authenticator<R> {
    /// An authenticator that looks records up with `resolver` and reports its results as
    /// `authserv_id` (the receiving host's name, e.g. `mx.example.org`; also SPF's
    /// `receiver`). Defaults: the strict DKIM [`Policy`](mailproof_dkim::Policy), the system
    /// clock, the DNS Tree Walk.
    pub fn new(resolver: R, authserv_id: &str) -> Authenticator<R> {
        let mut spf = mailproof_spf::Verifier::default();
        authserv_id.clone_into(&mut spf.receiver);
        Authenticator {
            resolver,
            authserv_id: authserv_id.to_owned(),
            spf,
            dkim: mailproof_dkim::Verifier::default(),
            dmarc: mailproof_dmarc::Verifier::new(),
            #[cfg(feature = "blocking")]
            runtime: std::sync::OnceLock::new(),
        }
    }

    /// Uses `policy` for DKIM (which algorithms, key sizes and `l=` are accepted).
    #[must_use]
    pub fn with_dkim_policy(mut self, policy: DkimPolicy) -> Authenticator<R> {
        self.dkim.policy = policy;
        self
    }

    /// Uses `clock` for "now": DKIM's `t=`/`x=` checks and SPF's `%{t}` macro.
    /// [`Clock::Fixed`] replays old mail reproducibly. A fixed time past what the platform's
    /// `SystemTime` holds reads, for SPF, as DKIM's last timestamp
    /// ([`MAX_TIMESTAMP`](mailproof_dkim::MAX_TIMESTAMP), in the year 33658), or else as
    /// 2^32 - 1 seconds (in 2106).
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Authenticator<R> {
        self.dkim.clock = clock;
        self.spf.now = match clock {
            Clock::Fixed(seconds) => Some(
                [seconds, mailproof_dkim::MAX_TIMESTAMP, u64::from(u32::MAX)]
                    .into_iter()
                    .find_map(|s| {
                        std::time::UNIX_EPOCH.checked_add(std::time::Duration::from_secs(s))
                    })
                    .unwrap_or(std::time::UNIX_EPOCH),
            ),
            Clock::System => None,
        };
        self
    }

    /// Chooses how DMARC discovers policies.
    #[must_use]
    pub fn with_discovery(mut self, discovery: Discovery) -> Authenticator<R> {
        self.dmarc = match discovery {
            Discovery::TreeWalk => mailproof_dmarc::Verifier::new(),
            Discovery::Rfc7489 => {
                mailproof_dmarc::Verifier::rfc7489(PublicSuffixList::compiled_in(), || 0)
            }
        };
        self
    }

    /// Uses a DMARC verifier configured by hand (a Public Suffix List file, a `pct=` sampler,
    /// a limit on Author Domains).
    #[must_use]
    pub fn with_dmarc_verifier(mut self, verifier: mailproof_dmarc::Verifier) -> Authenticator<R> {
        self.dmarc = verifier;
        self
    }

    /// Uses an SPF verifier configured by hand (limits, deadline, explanation). Its
    /// `receiver` is kept as given.
    #[must_use]
    pub fn with_spf_verifier(mut self, verifier: mailproof_spf::Verifier) -> Authenticator<R> {
        self.spf = verifier;
        self
    }

    /// The resolver.
    pub fn resolver(&self) -> &R {
        &self.resolver
    }

    /// The authserv-id results are reported under.
    pub fn authserv_id(&self) -> &str {
        &self.authserv_id
    }

    /// Verifies one message received with `envelope`.
    ///
    /// SPF for the HELO and MAIL FROM identities and the DKIM key lookups of every signature
    /// run concurrently; DMARC then looks up the From domain's policy and checks alignment
    /// with the MAIL FROM SPF result and the DKIM results.
    ///
    /// `raw_message` must use CRLF line endings, as on the wire; convert stored mail with
    /// [`to_crlf`](crate::to_crlf). A message that does not parse, or has no From or several
    /// From fields, never passes DMARC (see [`Verdict::message_error`] and the DMARC crate's
    /// documentation on Author Domains).
    pub async fn verify(&self, envelope: &Envelope, raw_message: &[u8]) -> Verdict {
        self.run(envelope, None, raw_message).await
    }

    /// SPF alone, for both identities (HELO and MAIL FROM, concurrently): what an MTA checks
    /// at `MAIL FROM` time, before the message arrives. Hand the result to
    /// [`verify_with_spf`](Self::verify_with_spf) once the message is in, so SPF is not
    /// evaluated twice.
    pub async fn check_spf(&self, envelope: &Envelope) -> SpfVerdict {
        let resolver = &self.resolver;
        let (helo, mail_from) = join(
            self.spf
                .verify_helo(resolver, envelope.client_ip, &envelope.helo),
            self.spf.verify_mail_from(
                resolver,
                envelope.client_ip,
                &envelope.helo,
                &envelope.mail_from,
            ),
        )
        .await;
        SpfVerdict { mail_from, helo }
    }

    /// [`verify`](Self::verify) with SPF already evaluated by [`check_spf`](Self::check_spf)
    /// for the same `envelope`: DKIM and DMARC run, and `spf` is used as it is (DMARC reads its
    /// MAIL FROM result; the verdict carries it).
    pub async fn verify_with_spf(
        &self,
        envelope: &Envelope,
        spf: SpfVerdict,
        raw_message: &[u8],
    ) -> Verdict {
        self.run(envelope, Some(spf), raw_message).await
    }

    /// The pipeline, in the order it runs; SPF is evaluated unless given.
    #[allow(clippy::too_many_lines)]
    async fn run(
        &self,
        envelope: &Envelope,
        spf: Option<SpfVerdict>,
        raw_message: &[u8],
    ) -> Verdict {
        let parsed = Message::parse(raw_message);
        // Every DKIM-Signature parsed once: the key names come from it, then the
        // verification.
        let prepared = parsed
            .as_ref()
            .ok()
            .map(|message| self.dkim.prepare(message));
        let keys_needed = prepared
            .as_ref()
            .map(mailproof_dkim::Prepared::key_names)
            .unwrap_or_default();
        let tags = parsed.as_ref().map(signature_tags).unwrap_or_default();
        let resolver = &self.resolver;
        let (spf, answers) = join(
            async {
                match spf {
                    Some(spf) => spf,
                    None => self.check_spf(envelope).await,
                }
            },
            join_all(keys_needed.iter().map(|name| resolver.txt(name))),
        )
        .await;
        let SpfVerdict { mail_from, helo } = spf;
        let keys: Vec<(Name, Result<Answer<Txt>, LookupError>)> =
            keys_needed.into_iter().zip(answers).collect();

        let mut dkim = Vec::new();
        let author = match (&parsed, prepared) {
            (Ok(message), Some(prepared)) => {
                let results = prepared.verify_with_keys(
                    &mut |name| {
                        // A name not fetched can only come from the clock crossing a
                        // signature's t= or x= since the key names were chosen: a temporary
                        // error, right on a retry, never a made-up answer.
                        keys.iter().find(|(n, _)| n == name).map_or_else(
                            || {
                                Err(LookupError::new(
                                    FailureKind::Other,
                                    name.clone(),
                                    RecordType::Txt,
                                ))
                            },
                            |(_, a)| a.clone(),
                        )
                    },
                    &mut Scratch::with_capacity(message.header_block().len()),
                );
                for (result, tags) in results.into_iter().zip(tags) {
                    let key = result
                        .signature
                        .as_ref()
                        .and_then(Signature::key_name)
                        .and_then(|name| keys.iter().find(|(n, _)| *n == name))
                        .map(|(name, answer)| KeyLookup {
                            name: name.clone(),
                            answer: answer.clone(),
                        });
                    dkim.push(DkimVerdict {
                        reason: describe_dkim(&result.status),
                        result,
                        tags,
                        key,
                    });
                }
                author_of(message)
            }
            _ => Author::Unusable {
                problem: FromProblem::Malformed,
                known_domains: Vec::new(),
            },
        };

        let spf_outcome = SpfOutcome {
            result: dmarc_spf_result(mail_from.result),
            mail_from_domain: Name::new(&mail_from.domain).ok(),
        };
        let dkim_outcomes: Vec<DkimOutcome> = dkim
            .iter()
            .filter_map(|d| {
                let signing_domain = match d.result.verified() {
                    Some(proof) => proof.signing_domain().clone(),
                    None => d.result.signature.as_ref()?.signing_domain.clone(),
                };
                Some(DkimOutcome {
                    result: dmarc_dkim_result(d.result.result()),
                    signing_domain,
                })
            })
            .collect();
        let evaluation = self
            .dmarc
            .evaluate(resolver, &author, &spf_outcome, &dkim_outcomes)
            .await;
        let (from_domain, from_problem) = match (&author, &parsed) {
            (Author::From(domains), _) if domains.len() == 1 => (domains.first().cloned(), None),
            (Author::From(domains), _) => (
                None,
                (!domains.is_empty())
                    .then(|| format!("{} mailboxes in the From field", domains.len())),
            ),
            (Author::SeveralFromFields(_), _) => (None, Some("several From fields".to_owned())),
            (_, Err(error)) => (None, Some(format!("the message does not parse: {error}"))),
            (Author::Unusable { problem, .. }, _) => (
                None,
                Some(match problem {
                    FromProblem::Missing => "no From address".to_owned(),
                    _ => "the From field cannot be read".to_owned(),
                }),
            ),
        };
        let dmarc = DmarcVerdict {
            from_domain,
            from_problem,
            policy: requested_policy(&evaluation),
            disposition: evaluation.disposition(),
            reason: describe_dmarc(&evaluation),
            disposition_reason: describe_disposition(&evaluation),
            evaluation,
        };
        Verdict {
            authserv_id: self.authserv_id.clone(),
            message_error: parsed.err(),
            spf: SpfVerdict { mail_from, helo },
            dkim,
            dmarc,
        }
    }
}

/// The tags of each DKIM-Signature field, for reports.
fn signature_tags(message: &Message<'_>) -> Vec<SignatureTags> {
    message
        .headers()
        .filter(|h| h.is("DKIM-Signature"))
        .map(|h| SignatureTags::from_field(h.value()))
        .collect()
}

#[cfg(feature = "blocking")]
impl<R: Resolver> Authenticator<R> {
    /// [`verify`](Self::verify) for callers without an async runtime: runs it on a
    /// current-thread tokio runtime the authenticator creates on first use and keeps (so a
    /// network resolver's connections survive between calls). Several threads may call it
    /// at once.
    ///
    /// Drop the authenticator outside async code once this has been called: tokio refuses to
    /// drop a runtime inside another.
    ///
    /// # Errors
    /// [`Error::InsideRuntime`](crate::Error::InsideRuntime) when called from async code (use
    /// [`verify`](Self::verify) there), [`Error::Runtime`](crate::Error::Runtime) when the
    /// runtime cannot be created.
    pub fn verify_blocking(
        &self,
        envelope: &Envelope,
        raw_message: &[u8],
    ) -> Result<Verdict, crate::Error> {
        self.block_on(self.verify(envelope, raw_message))
    }

    /// [`check_spf`](Self::check_spf) for callers without an async runtime, on the same
    /// runtime as [`verify_blocking`](Self::verify_blocking).
    ///
    /// # Errors
    /// As [`verify_blocking`](Self::verify_blocking).
    pub fn check_spf_blocking(&self, envelope: &Envelope) -> Result<SpfVerdict, crate::Error> {
        self.block_on(self.check_spf(envelope))
    }

    /// [`verify_with_spf`](Self::verify_with_spf) for callers without an async runtime, on the
    /// same runtime as [`verify_blocking`](Self::verify_blocking).
    ///
    /// # Errors
    /// As [`verify_blocking`](Self::verify_blocking).
    pub fn verify_with_spf_blocking(
        &self,
        envelope: &Envelope,
        spf: SpfVerdict,
        raw_message: &[u8],
    ) -> Result<Verdict, crate::Error> {
        self.block_on(self.verify_with_spf(envelope, spf, raw_message))
    }

    /// Runs `future` on the authenticator's own runtime, created on first use.
    fn block_on<F: Future>(&self, future: F) -> Result<F::Output, crate::Error> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(crate::Error::InsideRuntime);
        }
        if self.runtime.get().is_none() {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(crate::Error::Runtime)?;
            // Another thread may have won the race; either runtime will do.
            let _ = self.runtime.set(runtime);
        }
        let runtime = self.runtime.get().ok_or(crate::Error::InsideRuntime)?;
        Ok(runtime.block_on(future))
    }
}

/// The Author Domain(s) of a message in the DMARC crate's terms. Every shape of From that is
/// not exactly one usable domain is kept distinct, so none can pass by accident.
pub(crate) fn author_of(message: &Message<'_>) -> Author {
    let name = |a_label: &str| Name::new(a_label).ok();
    match message.from_authors() {
        FromAuthors::Single { domain, .. } => match name(&domain.a_label) {
            Some(domain) => Author::single(domain),
            None => Author::Unusable {
                problem: FromProblem::Malformed,
                known_domains: Vec::new(),
            },
        },
        FromAuthors::Missing | FromAuthors::NoDomain { .. } => Author::Unusable {
            problem: FromProblem::Missing,
            known_domains: Vec::new(),
        },
        FromAuthors::MultipleFields { fields } => {
            let domains = fields
                .iter()
                .filter_map(|field| parse_address_list(field.value()).ok())
                .flatten()
                .flat_map(|address| address.mailboxes().to_vec())
                .filter_map(|mailbox| author_domain(&mailbox).ok())
                .filter_map(|domain| name(&domain.a_label))
                .collect();
            Author::SeveralFromFields(domains)
        }
        FromAuthors::MultipleMailboxes { mailboxes, .. } => {
            let known: Vec<Name> = mailboxes
                .iter()
                .filter_map(|(_, domain)| domain.as_ref().ok())
                .filter_map(|domain| name(&domain.a_label))
                .collect();
            if known.len() == mailboxes.len() {
                Author::From(known)
            } else {
                Author::Unusable {
                    problem: FromProblem::Malformed,
                    known_domains: known,
                }
            }
        }
        _ => Author::Unusable {
            problem: FromProblem::Malformed,
            known_domains: Vec::new(),
        },
    }
}
