//! Sign outgoing mail with two keys (RSA and Ed25519) in one pass.
//!
//! ```text
//! cargo run -p mailproof-examples --example sign_message
//! ```
//!
//! The keys are the test keys of `testdata/stories/keys`, made with `mailproof keygen`; their
//! public halves are published in `testdata/zones/qq.com.zone`.

use std::error::Error;
use std::path::{Path, PathBuf};

use mailproof::{Clock, Signer, SigningKey};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

/// Signs the story (b) message and returns the signed message.
pub(crate) fn run() -> Result<Vec<u8>, Box<dyn Error>> {
    let key = |file: &str| -> Result<SigningKey, Box<dyn Error>> {
        let pem = std::fs::read_to_string(testdata().join("stories/keys").join(file))?;
        Ok(SigningKey::from_pem(&pem)?)
    };
    let signer = Signer::new()
        .with_key(key("qq.com.rsa.pem")?, "qq.com", "rsa")?
        .with_key(key("qq.com.ed.pem")?, "qq.com", "ed")?
        // A fixed time makes the output reproducible; use Clock::System in a real server.
        .with_clock(Clock::Fixed(1_648_170_000));
    let message = std::fs::read(testdata().join("stories/b-forwarded.unsigned.eml"))?;
    // Messages stored with bare LF must become CRLF before signing.
    let message = mailproof::to_crlf(&message);
    Ok(signer.sign(&message)?)
}

fn main() -> Result<(), Box<dyn Error>> {
    use std::io::Write as _;
    std::io::stdout().write_all(&run()?)?;
    Ok(())
}
