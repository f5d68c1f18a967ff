//! The resolver the DNS-reading subcommands use: zone files, a given server, or the system's.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use mailproof_dns::{Answer, LookupError, Mx, Name, Resolver, Txt, ZoneResolver};
use mailproof_dns_hickory::{HickoryResolver, NameServerAddr};

use crate::CliError;

/// Where DNS answers come from.
pub(crate) enum Dns {
    /// RFC 1035 zone files loaded in memory: no network at all. Names outside the loaded
    /// zones are NXDOMAIN here ([`ZoneResolver::answer_nxdomain_outside_zones`]), not REFUSED
    /// as an authoritative server would say: an offline check must not end in *temperror*
    /// because DMARC's tree walk asks `_dmarc.com`.
    Zones(ZoneResolver),
    /// A name server, or the system's (`/etc/resolv.conf`).
    Network(HickoryResolver),
}

#[derive(Clone, Debug, clap::Args)]
pub(crate) struct DnsArgs {
    /// Answer DNS queries from this RFC 1035 zone file (repeatable); no network is used, and
    /// names outside the given zones do not exist (NXDOMAIN).
    #[arg(long = "zone", value_name = "FILE")]
    zones: Vec<String>,
    /// Query this name server (IP:PORT, or IP for port 53) instead of the system resolver.
    #[arg(long = "dns", value_name = "IP:PORT", conflicts_with = "zones")]
    server: Option<String>,
}

impl DnsArgs {
    pub(crate) fn resolver(&self) -> Result<Dns, CliError> {
        if !self.zones.is_empty() {
            let mut zone = ZoneResolver::new();
            zone.answer_nxdomain_outside_zones();
            for path in &self.zones {
                zone.load_zone_path(path, None)
                    .map_err(|e| CliError::new(format!("zone file {path}: {e}")))?;
            }
            return Ok(Dns::Zones(zone));
        }
        let resolver = match &self.server {
            Some(addr) => {
                let addr: NameServerAddr = addr
                    .parse()
                    .map_err(|e| CliError::usage(format!("--dns: {e}")))?;
                HickoryResolver::with_name_servers(&[addr])
            }
            None => HickoryResolver::from_system_conf(),
        }
        .map_err(|e| CliError::new(format!("DNS resolver: {e}")))?;
        Ok(Dns::Network(resolver))
    }
}

impl Resolver for Dns {
    async fn txt(&self, name: &Name) -> Result<Answer<Txt>, LookupError> {
        match self {
            Dns::Zones(r) => r.txt(name).await,
            Dns::Network(r) => r.txt(name).await,
        }
    }

    async fn a(&self, name: &Name) -> Result<Answer<Ipv4Addr>, LookupError> {
        match self {
            Dns::Zones(r) => r.a(name).await,
            Dns::Network(r) => r.a(name).await,
        }
    }

    async fn aaaa(&self, name: &Name) -> Result<Answer<Ipv6Addr>, LookupError> {
        match self {
            Dns::Zones(r) => r.aaaa(name).await,
            Dns::Network(r) => r.aaaa(name).await,
        }
    }

    async fn mx(&self, name: &Name) -> Result<Answer<Mx>, LookupError> {
        match self {
            Dns::Zones(r) => r.mx(name).await,
            Dns::Network(r) => r.mx(name).await,
        }
    }

    async fn ptr(&self, ip: IpAddr) -> Result<Answer<Name>, LookupError> {
        match self {
            Dns::Zones(r) => r.ptr(ip).await,
            Dns::Network(r) => r.ptr(ip).await,
        }
    }
}

/// One answer in words, for explanations.
pub(crate) fn describe_txt(answer: &Result<Answer<Txt>, LookupError>) -> String {
    match answer {
        Ok(Answer::Records { records, .. }) => records
            .iter()
            .map(|t| {
                format!(
                    "\"{}\"",
                    abbreviate(&t.as_bytes().escape_ascii().to_string())
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
        Ok(Answer::NoRecords { .. }) => "no TXT records (the name exists)".into(),
        Ok(Answer::NxDomain { .. }) => "NXDOMAIN (the name does not exist)".into(),
        Err(error) => format!("lookup failed: {}", error.kind()),
    }
}

/// Long key material shortened for reading.
pub(crate) fn abbreviate(text: &str) -> String {
    if text.len() <= 100 {
        return text.to_owned();
    }
    let head: String = text.chars().take(60).collect();
    format!("{head}…({} characters)", text.chars().count())
}
