#!/usr/bin/env python3
"""Evaluates every case of cases.tsv with pyspf and prints one JSON object per line:

    {"id": "...", "result": "pass", "explanation": "..."}

Usage: pyspf_check.py CASES.tsv [SERVER_IP [PORT]]   (default 127.0.0.1 5353)

pyspf resolves through dnspython's module-level resolver, which is replaced here by one that
asks only the test server (no /etc/resolv.conf, no cache). The receiver (%{r}) is
mx.receiver.test, as in crates/spf/tests/integration/pyspf_interop.rs. "<>" in the MAIL FROM
column is the null sender: pyspf then checks postmaster@<helo>. A Python exception in one case
is reported as that case's result ("exception: ..."), so the caller sees which case broke.
"""

import json
import sys
import warnings

import dns.resolver

RECEIVER = "mx.receiver.test"


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cases_path = sys.argv[1]
    server = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
    port = int(sys.argv[3]) if len(sys.argv) > 3 else 5353

    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [server]
    resolver.port = port
    resolver.timeout = 2
    resolver.lifetime = 5
    dns.resolver.default_resolver = resolver

    # pyspf calls dns.resolver.query(), deprecated in dnspython 2; keep stderr clean.
    warnings.simplefilter("ignore", DeprecationWarning)
    import spf  # after the resolver is in place

    with open(cases_path, encoding="utf-8") as cases:
        for line in cases:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            case_id, ip, mail_from, helo = line.split("\t")[:4]
            sender = "" if mail_from == "<>" else mail_from
            try:
                result, _code, explanation = spf.query(
                    i=ip, s=sender, h=helo, receiver=RECEIVER
                ).check()
            except Exception as error:  # report it against the case, keep going
                result, explanation = "exception: %r" % (error,), ""
            print(
                json.dumps({"id": case_id, "result": result, "explanation": explanation})
            )


if __name__ == "__main__":
    main()
