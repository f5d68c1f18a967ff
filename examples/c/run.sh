#!/usr/bin/env bash
# Builds mailproof's C library (crates/ffi), then the C example and tests of this directory
# against both libmailproof.a and libmailproof.so; runs them, checks their output, and runs
# them again under valgrind (memcheck), failing on any memory error or leak.
#
#   bash examples/c/run.sh            (from anywhere; needs cargo, gcc, pkg-config, valgrind)
#
# Writes target/debug/mailproof.pc (from crates/ffi/mailproof.pc.in) and the programs to
# target/c-examples/. Set VALGRIND=0 to skip the valgrind runs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
here=examples/c
testdata="$root/testdata"
libdir="$root/target/debug"
out="$root/target/c-examples"
mkdir -p "$out"

echo "-- cargo build -p mailproof-ffi"
cargo build -p mailproof-ffi

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
sed -e "s|@PREFIX@|$root|" -e "s|@LIBDIR@|$libdir|" -e "s|@INCLUDEDIR@|$root/crates/ffi/include|" \
    -e "s|@VERSION@|$version|" crates/ffi/mailproof.pc.in >"$libdir/mailproof.pc"
export PKG_CONFIG_PATH="$libdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
[ "$(pkg-config --modversion mailproof)" = "$version" ]

cflags="-std=c11 -Wall -Wextra -Werror -g -O1 -pthread"
programs=(verify sign test_api)
for program in "${programs[@]}"; do
  # Shared: the pkg-config link line, with an rpath so the programs run in place.
  # shellcheck disable=SC2046,SC2086
  gcc $cflags -o "$out/$program-shared" "$here/$program.c" $(pkg-config --cflags --libs mailproof) \
      -Wl,-rpath,"$libdir"
  # Static: the archive and the system libraries Rust's standard library needs.
  # shellcheck disable=SC2046,SC2086
  gcc $cflags -o "$out/$program-static" "$here/$program.c" $(pkg-config --cflags mailproof) \
      "$libdir/libmailproof.a" -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
done
echo "-- built: $(cd "$out" && echo *)"
if ldd "$out/verify-static" | grep -q libmailproof; then
  echo "verify-static is linked against libmailproof.so"; exit 1
fi
ldd "$out/verify-shared" | grep -q "$libdir/libmailproof.so"

expect() { # FILE PATTERN...: each fixed string must appear in FILE
  local file=$1; shift
  for pattern in "$@"; do
    grep -qF -- "$pattern" "$file" || { cat "$file"; echo "missing in output: $pattern"; exit 1; }
  done
}

check_outputs() { # KIND
  local kind=$1 log="$out/verify-$1.out"
  "$out/verify-$kind" "$testdata" >"$log"
  expect "$log" "mailproof $version" "spf: pass" "spf.domain: fake.com" "dkim: pass" \
    "dkim.domain: fake.com" "dkim.selector: s1" "dmarc: fail" "dmarc.domain: a.com" \
    "dmarc.policy: reject" "disposition: reject" \
    "header: Authentication-Results: mx.example.org; spf=pass" "received-spf: Received-SPF: fail"
  # The callbacks and the zone files give the same verdict.
  diff <(sed -n '/^== callbacks/,/^callback lookups/p' "$log" | sed '1d;$d') \
       <(sed -n '/^== zones/,/^== spf only/p' "$log" | sed '1d;$d')
  grep -Eq '^callback lookups: [1-9]' "$log"

  log="$out/sign-$kind.out"
  "$out/sign-$kind" "$testdata" "$out/signed-$kind.eml" >"$log"
  cmp "$out/signed-$kind.eml" "$testdata/stories/b-forwarded.eml"
  expect "$log" "keys: 2" "spf: fail" "dkim: pass (s=rsa)" "dkim: pass (s=ed)" "dmarc: pass"

  log="$out/test_api-$kind.out"
  "$out/test_api-$kind" "$testdata" 8 20 >"$log"
  expect "$log" "ok: verify arguments" "ok: 8 threads x 20 rounds" "all tests passed"
  echo "-- $kind library: verify, sign, test_api (8 threads) passed"
}
check_outputs static
check_outputs shared

if [ "${VALGRIND:-1}" != 0 ]; then
  for kind in static shared; do
    for run in "verify $testdata" "sign $testdata $out/signed-vg.eml" "test_api $testdata 4 2"; do
      set -- $run
      program=$1; shift
      log="$out/valgrind-$program-$kind.log"
      if ! valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \
          --errors-for-leak-kinds=definite,indirect --error-exitcode=1 --log-file="$log" \
          "$out/$program-$kind" "$@" >/dev/null; then
        cat "$log"; echo "valgrind found errors in $program-$kind"; exit 1
      fi
      grep -q "ERROR SUMMARY: 0 errors" "$log" || { cat "$log"; exit 1; }
      echo "-- valgrind $program-$kind: $(grep -Eo 'ERROR SUMMARY: [0-9]+ errors' "$log");" \
           "$(grep -Eo 'definitely lost: [0-9,]+ bytes' "$log" || echo 'definitely lost: 0 bytes')"
    done
  done
fi
echo "-- C examples and tests passed"
