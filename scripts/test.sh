#!/usr/bin/env bash
# Runs every test of the workspace, doc tests included, with the real DNS server that some
# integration tests query (nsd serving testdata/zones/ on 127.0.0.1:5353).
#
# Without nsd installed (apt-get install nsd bind9-dnsutils) those tests print "skipped";
# CI sets MAILPROOF_REQUIRE_REAL_DNS=1 so that they fail instead.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

started_dns=0
if command -v nsd >/dev/null && command -v dig >/dev/null; then
  if ! scripts/dns-server.sh status >/dev/null 2>&1; then
    scripts/dns-server.sh start
    started_dns=1
  fi
else
  echo "nsd/dig not installed: real-DNS tests will be skipped"
fi
cleanup() { if [ "$started_dns" = 1 ]; then scripts/dns-server.sh stop; fi; }
trap cleanup EXIT

cargo test --workspace  "$@"
