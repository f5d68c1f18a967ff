#!/usr/bin/env bash
# Serve every zone in testdata/zones/ with nsd on 127.0.0.1 (port $MAILPROOF_DNS_PORT, default
# 5353), for the tests that need a real authoritative DNS server.
#
#   scripts/dns-server.sh start   # start (idempotent); prints the address
#   scripts/dns-server.sh stop
#   scripts/dns-server.sh status
#
# A zone file is named after its zone: testdata/zones/example.com.zone serves example.com.
# nsd comes from Debian (apt-get install nsd); .ci/run installs it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${MAILPROOF_DNS_PORT:-5353}"
ADDR=127.0.0.1
STATE="${MAILPROOF_DNS_STATE:-${TMPDIR:-/tmp}/mailproof-dns-$PORT}"
ZONES="$ROOT/testdata/zones"

answers() {
  command -v dig >/dev/null || return 1
  # dig prints ";; communications error" on stdout when nothing listens: look for the SOA.
  dig +time=1 +tries=1 +short @"$ADDR" -p "$PORT" example.com SOA 2>/dev/null | grep -q 'hostmaster\.example\.com'
}

start() {
  if [ -f "$STATE/nsd.pid" ] && kill -0 "$(cat "$STATE/nsd.pid")" 2>/dev/null; then
    echo "nsd already running on $ADDR:$PORT (pid $(cat "$STATE/nsd.pid"))"
    return 0
  fi
  command -v nsd >/dev/null || { echo "nsd not found: apt-get install nsd" >&2; exit 1; }
  rm -rf "$STATE"; mkdir -p "$STATE"
  {
    cat <<CONF
server:
  ip-address: $ADDR
  port: $PORT
  username: ""
  chroot: ""
  zonesdir: "$ZONES"
  database: ""
  zonelistfile: "$STATE/zone.list"
  xfrdfile: "$STATE/xfrd.state"
  xfrdir: "$STATE"
  pidfile: "$STATE/nsd.pid"
  logfile: "$STATE/nsd.log"
  server-count: 1
  verbosity: 1
remote-control:
  control-enable: no
CONF
    for f in "$ZONES"/*.zone; do
      zone="$(basename "$f" .zone)"
      printf 'zone:\n  name: "%s"\n  zonefile: "%s"\n' "$zone" "$f"
    done
  } > "$STATE/nsd.conf"
  nsd-checkconf "$STATE/nsd.conf"
  for f in "$ZONES"/*.zone; do
    nsd-checkzone "$(basename "$f" .zone)" "$f" >/dev/null
  done
  nsd -c "$STATE/nsd.conf"
  for _ in $(seq 1 50); do
    if answers; then break; fi
    sleep 0.1
  done
  if ! answers; then echo "nsd did not answer on $ADDR:$PORT; log:" >&2; cat "$STATE/nsd.log" >&2 || true; exit 1; fi
  echo "nsd serving $(ls "$ZONES"/*.zone | wc -l) zones on $ADDR:$PORT (state in $STATE)"
}

stop() {
  if [ -f "$STATE/nsd.pid" ]; then
    kill "$(cat "$STATE/nsd.pid")" 2>/dev/null || true
    rm -f "$STATE/nsd.pid"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if answers; then echo "answering on $ADDR:$PORT"; else echo "not answering"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
