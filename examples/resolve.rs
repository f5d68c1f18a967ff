//! Resolve one record through mailproof's DNS layer, offline from zone files or from a name
//! server.
//!
//! ```text
//! cargo run -p mailproof-examples --example resolve -- --zone testdata/zones/example.com.zone TXT sel._domainkey.example.com
//! cargo run -p mailproof-examples --example resolve -- --server 127.0.0.1:5353 MX example.com
//! ```
//!
//! The answer is printed as the three values the DNS layer distinguishes: the records, NODATA
//! (the name exists, no records of that type) or NXDOMAIN; failures are temporary errors.

use std::fmt::Debug;
use std::process::ExitCode;

use mailproof_dns::{Answer, LookupError, Name, Resolver, ZoneResolver};
use mailproof_dns_hickory::{HickoryResolver, NameServerAddr};

const USAGE: &str = "usage: resolve (--zone FILE)... | --server IP:PORT  TYPE NAME|IP
TYPE is one of TXT, A, AAAA, MX, PTR (PTR takes an IP address)";

#[tokio::main]
async fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Vec<String>) -> Result<(), String> {
    let mut zones = Vec::new();
    let mut server = None;
    let mut rest = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--zone" => zones.push(args.next().ok_or(USAGE)?),
            "--server" => server = Some(args.next().ok_or(USAGE)?),
            "-h" | "--help" => return Err(USAGE.into()),
            _ => rest.push(arg),
        }
    }
    let [record_type, target] = <[String; 2]>::try_from(rest).map_err(|_| USAGE.to_owned())?;
    match server {
        Some(addr) => {
            let addr: NameServerAddr = addr.parse().map_err(|e| format!("{e}"))?;
            let resolver =
                HickoryResolver::with_name_servers(&[addr]).map_err(|e| e.to_string())?;
            lookup(&resolver, &record_type, &target).await
        }
        None if zones.is_empty() => Err(USAGE.into()),
        None => {
            let mut resolver = ZoneResolver::new();
            for zone in &zones {
                resolver
                    .load_zone_path(zone, None)
                    .map_err(|e| format!("{zone}: {e}"))?;
            }
            lookup(&resolver, &record_type, &target).await
        }
    }
}

async fn lookup<R: Resolver>(resolver: &R, record_type: &str, target: &str) -> Result<(), String> {
    if record_type.eq_ignore_ascii_case("PTR") {
        let ip = target.parse().map_err(|e| format!("{target}: {e}"))?;
        return print(resolver.ptr(ip).await, ToString::to_string);
    }
    let name: Name = target.parse().map_err(|e| format!("{target}: {e}"))?;
    match record_type.to_ascii_uppercase().as_str() {
        "TXT" => print(resolver.txt(&name).await, |t| {
            format!("\"{}\"", t.as_bytes().escape_ascii())
        }),
        "A" => print(resolver.a(&name).await, ToString::to_string),
        "AAAA" => print(resolver.aaaa(&name).await, ToString::to_string),
        "MX" => print(resolver.mx(&name).await, |mx| {
            format!("{} {}", mx.preference, mx.exchange)
        }),
        other => Err(format!("unknown record type {other}\n{USAGE}")),
    }
}

fn print<T: Debug>(
    result: Result<Answer<T>, LookupError>,
    show: impl Fn(&T) -> String,
) -> Result<(), String> {
    match result {
        Ok(Answer::Records {
            records,
            ttl_seconds,
        }) => {
            for record in records.iter() {
                println!("{ttl_seconds}\t{}", show(record));
            }
            Ok(())
        }
        Ok(Answer::NoRecords { ttl_seconds }) => {
            println!(
                "NODATA (the name exists, no records of this type; negative TTL {ttl_seconds})"
            );
            Ok(())
        }
        Ok(Answer::NxDomain { ttl_seconds }) => {
            println!("NXDOMAIN (the name does not exist; negative TTL {ttl_seconds})");
            Ok(())
        }
        Err(error) => Err(format!("temporary failure: {error}")),
    }
}
