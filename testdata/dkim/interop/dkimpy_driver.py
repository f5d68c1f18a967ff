#!/usr/bin/env python3
"""Signs and verifies a batch of messages with dkimpy, for crates/dkim's interop test.

    python3 dkimpy_driver.py MANIFEST DNS_IP DNS_PORT

MANIFEST is tab-separated, one operation a line (blank lines and '#' lines ignored):

    verify  ID  MESSAGE
    sign    ID  MESSAGE  OUTPUT  ALGORITHM  HEADER/BODY  DOMAIN  SELECTOR  KEY_PEM

`verify` checks the first DKIM-Signature of MESSAGE, fetching the key record from the DNS
server at DNS_IP:DNS_PORT (dnspython, no system resolver). `sign` writes MESSAGE with a
DKIM-Signature field prepended to OUTPUT; ALGORITHM is rsa-sha256 or ed25519-sha256 and
KEY_PEM an unencrypted PKCS#8 PEM (dkimpy takes Ed25519 keys as a base64 seed, cut from it).

Prints one JSON object a line: {"id": ..., "op": ..., "ok": true|false, "detail": "..."}.
Needs dkimpy, PyNaCl (Ed25519) and dnspython: pip install dkimpy pynacl dnspython.
"""

import base64
import json
import sys

import dkim
import dns.message
import dns.query
import dns.rcode


def txt_lookup(server, port):
    """A dkimpy dnsfunc: the first TXT record at NAME, its strings joined; None if none."""

    def lookup(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode("ascii")
        query = dns.message.make_query(name, "TXT")
        response = dns.query.udp(query, server, port=port, timeout=timeout)
        if response.rcode() != dns.rcode.NOERROR:
            return None
        for rrset in response.answer:
            for record in rrset:
                return b"".join(record.strings)
        return None

    return lookup


def key_for_dkimpy(path, algorithm):
    """PEM for RSA; for Ed25519 the base64 32-byte seed, the last bytes of PKCS#8 v1 DER."""
    pem = open(path, "rb").read()
    if algorithm == "rsa-sha256":
        return pem
    body = b"".join(line for line in pem.splitlines() if not line.startswith(b"-----"))
    der = base64.b64decode(body)
    if len(der) != 48:
        raise ValueError(f"{path}: expected a 48-byte PKCS#8 v1 Ed25519 key, got {len(der)}")
    return base64.b64encode(der[-32:])


def verify(message, lookup):
    try:
        ok = dkim.DKIM(message).verify(dnsfunc=lookup)
        return ok, "pass" if ok else "signature did not verify"
    except Exception as error:  # dkimpy reports some failures as exceptions
        return False, f"{type(error).__name__}: {error}"


def sign(fields, message):
    output, algorithm, canonicalization, domain, selector, key_path = fields
    header, body = canonicalization.split("/")
    signature = dkim.sign(
        message,
        selector.encode(),
        domain.encode(),
        key_for_dkimpy(key_path, algorithm),
        canonicalize=(header.encode(), body.encode()),
        signature_algorithm=algorithm.encode(),
    )
    with open(output, "wb") as out:
        out.write(signature + message)
    return True, "signed"


def main():
    manifest, server, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    lookup = txt_lookup(server, port)
    for line in open(manifest, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        op, case_id, path, *rest = line.split("\t")
        message = open(path, "rb").read()
        if op == "verify":
            ok, detail = verify(message, lookup)
        elif op == "sign":
            try:
                ok, detail = sign(rest, message)
            except Exception as error:
                ok, detail = False, f"{type(error).__name__}: {error}"
        else:
            raise SystemExit(f"{manifest}: unknown operation {op!r}")
        print(json.dumps({"id": case_id, "op": op, "ok": ok, "detail": detail}), flush=True)


if __name__ == "__main__":
    main()
