//! `mailproof verify` over many messages: several files, mbox files and Maildirs, verified in
//! parallel with a progress bar on stderr and a summary table at the end.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use mailproof::{Authenticator, Envelope, Verdict};
use tokio::task::JoinSet;

use crate::dns::Dns;
use crate::verify::to_json;
use crate::{CliError, write_stdout};

/// One message to verify and where it came from (`path`, `path#3` for the third message of an
/// mbox).
pub(crate) struct Source {
    pub(crate) label: String,
    pub(crate) bytes: Vec<u8>,
}

/// True when the inputs need batch mode: more than one, a directory (Maildir) or an mbox.
pub(crate) fn is_batch(files: &[String]) -> bool {
    match files {
        [] => false,
        [one] if one == "-" => false,
        [one] => {
            let path = Path::new(one);
            path.is_dir() || starts_like_mbox(path)
        }
        _ => true,
    }
}

fn starts_like_mbox(path: &Path) -> bool {
    use std::io::Read as _;
    let mut head = [0u8; 5];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| &head == b"From ")
}

/// Reads every message the inputs name.
pub(crate) fn collect(files: &[String]) -> Result<Vec<Source>, CliError> {
    let mut sources = Vec::new();
    for file in files {
        let path = Path::new(file);
        if file == "-" {
            return Err(CliError::usage(
                "standard input cannot be combined with other inputs".to_owned(),
            ));
        }
        if path.is_dir() {
            for entry in maildir_files(path)? {
                let bytes = read(&entry)?;
                sources.push(Source {
                    label: entry.display().to_string(),
                    bytes,
                });
            }
            continue;
        }
        let bytes = read(path)?;
        if bytes.starts_with(b"From ") {
            for (index, message) in split_mbox(&bytes).into_iter().enumerate() {
                sources.push(Source {
                    label: format!("{file}#{}", index + 1),
                    bytes: message,
                });
            }
        } else {
            sources.push(Source {
                label: file.clone(),
                bytes,
            });
        }
    }
    Ok(sources)
}

fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::new(format!("cannot read {}: {e}", path.display())))
}

/// The message files of a Maildir (`cur/` and `new/`), or of a plain directory, sorted.
fn maildir_files(dir: &Path) -> Result<Vec<PathBuf>, CliError> {
    let list = |d: &Path| -> Result<Vec<PathBuf>, CliError> {
        let entries = std::fs::read_dir(d)
            .map_err(|e| CliError::new(format!("cannot read directory {}: {e}", d.display())))?;
        let mut files = Vec::new();
        for entry in entries {
            let entry =
                entry.map_err(|e| CliError::new(format!("cannot read {}: {e}", d.display())))?;
            let path = entry.path();
            if path.is_file() {
                files.push(path);
            }
        }
        Ok(files)
    };
    let mut files = Vec::new();
    let (cur, new) = (dir.join("cur"), dir.join("new"));
    if cur.is_dir() || new.is_dir() {
        for sub in [cur, new] {
            if sub.is_dir() {
                files.extend(list(&sub)?);
            }
        }
    } else {
        files = list(dir)?;
    }
    files.sort();
    Ok(files)
}

/// Splits an mbox (mboxrd/mboxo): a message starts at each line beginning `From ` at the start
/// of the file or after an empty line; that separator line is dropped, and one `>` is removed
/// from `>From `, `>>From `, ... lines (mboxrd quoting).
pub(crate) fn split_mbox(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut messages: Vec<Vec<u8>> = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    let mut previous_blank = true;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        if previous_blank && line.starts_with(b"From ") {
            if let Some(mut message) = current.take() {
                // The blank line before the separator belongs to the mbox, not the message.
                if message.ends_with(b"\r\n\r\n") {
                    message.truncate(message.len() - 2);
                } else if message.ends_with(b"\n\n") {
                    message.truncate(message.len() - 1);
                }
                messages.push(message);
            }
            current = Some(Vec::new());
            previous_blank = false;
            continue;
        }
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        previous_blank = content.is_empty();
        if let Some(message) = current.as_mut() {
            let quoted = line.iter().take_while(|&&b| b == b'>').count();
            if quoted > 0 && line[quoted..].starts_with(b"From ") {
                message.extend_from_slice(&line[1..]);
            } else {
                message.extend_from_slice(line);
            }
        }
    }
    if let Some(message) = current {
        messages.push(message);
    }
    messages
}

/// Verifies every source with up to `parallelism` messages in flight on the multi-threaded
/// runtime, printing one line (or one JSON object) per message in input order, then a summary.
pub(crate) async fn run(
    sources: Vec<Source>,
    authenticator: Authenticator<Dns>,
    envelope: Envelope,
    json: bool,
) -> Result<(), CliError> {
    let total = sources.len();
    let progress = ProgressBar::new(u64::try_from(total).unwrap_or(u64::MAX));
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} verifying {pos}/{len} [{bar:30}] {per_sec} {eta}")
    {
        progress.set_style(style.progress_chars("=> "));
    }
    let authenticator = Arc::new(authenticator);
    let envelope = Arc::new(envelope);
    let parallelism = std::thread::available_parallelism().map_or(2, |n| n.get() * 4);
    let mut pending = sources.into_iter().enumerate();
    let mut tasks = JoinSet::new();
    let mut done: Vec<Option<(String, Verdict)>> = (0..total).map(|_| None).collect();
    loop {
        while tasks.len() < parallelism {
            let Some((index, source)) = pending.next() else {
                break;
            };
            let (authenticator, envelope) = (Arc::clone(&authenticator), Arc::clone(&envelope));
            tasks.spawn(async move {
                let raw = mailproof::to_crlf(&source.bytes);
                let verdict = authenticator.verify(&envelope, &raw).await;
                (index, source.label, verdict)
            });
        }
        let Some(joined) = tasks.join_next().await else {
            break;
        };
        let (index, label, verdict) =
            joined.map_err(|e| CliError::new(format!("verification task failed: {e}")))?;
        if let Some(slot) = done.get_mut(index) {
            *slot = Some((label, verdict));
        }
        progress.inc(1);
    }
    progress.finish_and_clear();

    let mut output = String::new();
    let mut summary = Summary::default();
    for (label, verdict) in done.into_iter().flatten() {
        summary.add(&verdict);
        if json {
            let mut object = to_json(&verdict);
            object["source"] = serde_json::Value::String(label);
            output.push_str(&object.to_string());
            output.push('\n');
        } else {
            let _ = writeln!(output, "{label}: {}", one_line(&verdict));
        }
    }
    if json {
        write_stdout(output.as_bytes())?;
        eprint!("{}", summary.table());
    } else {
        output.push('\n');
        output.push_str(&summary.table());
        write_stdout(output.as_bytes())?;
    }
    Ok(())
}

fn one_line(verdict: &Verdict) -> String {
    let dkim: Vec<&str> = verdict
        .dkim
        .iter()
        .map(|d| d.result.result().as_str())
        .collect();
    format!(
        "spf={} dkim={} dmarc={} disposition={}",
        verdict.spf.mail_from.result.as_str(),
        if dkim.is_empty() {
            "none".to_owned()
        } else {
            dkim.join(",")
        },
        verdict.dmarc.result().as_str(),
        verdict.disposition().as_str(),
    )
}

/// Counts per method and result.
#[derive(Default)]
struct Summary {
    messages: usize,
    counts: BTreeMap<(&'static str, String), usize>,
}

impl Summary {
    fn add(&mut self, verdict: &Verdict) {
        self.messages += 1;
        let mut bump = |method: &'static str, result: &str| {
            *self.counts.entry((method, result.to_owned())).or_default() += 1;
        };
        bump("spf", verdict.spf.mail_from.result.as_str());
        if verdict.dkim.is_empty() {
            bump("dkim", "none");
        }
        for dkim in &verdict.dkim {
            bump("dkim", dkim.result.result().as_str());
        }
        bump("dmarc", verdict.dmarc.result().as_str());
        bump("disposition", verdict.disposition().as_str());
    }

    fn table(&self) -> String {
        let mut table = format!(
            "{} messages\n{:<12} {:<10} {:>8}\n",
            self.messages, "method", "result", "count"
        );
        for ((method, result), count) in &self.counts {
            let _ = writeln!(table, "{method:<12} {result:<10} {count:>8}");
        }
        table
    }
}

#[cfg(test)]
mod tests {
    use super::split_mbox;

    #[test]
    fn mbox_splits_and_unquotes() {
        let mbox = b"From a@b Mon Jan  1 00:00:00 2024\nSubject: one\n\n>From here\nbody\n\nFrom c@d Mon Jan  1 00:00:01 2024\nSubject: two\n\nx\n";
        let messages = split_mbox(mbox);
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0], b"Subject: one\n\nFrom here\nbody\n");
        assert_eq!(messages[1], b"Subject: two\n\nx\n");
    }

    #[test]
    fn from_inside_a_paragraph_is_not_a_separator() {
        let mbox = b"From x\nSubject: s\n\nline\nFrom the start\n";
        assert_eq!(split_mbox(mbox).len(), 1);
    }
}
