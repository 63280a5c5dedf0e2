#!/usr/bin/env bash
# Keeps the peer map (docs/peers/*.md) honest: every ipcproof test it names
# as `Suite.Test` (or `Prefix/Suite.Test/*`) must exist in one of the
# conformance binaries, so a renamed or deleted test cannot leave a row
# pointing at nothing. Names whose suite is not one of ours (gVisor's
# PipeTest.X, LTP file names) are the peers' and are not checked.
# Usage: check_peer_map.sh MAP.md... -- BINARY...
set -euo pipefail
maps=()
while (($#)) && [[ $1 != -- ]]; do
  maps+=("$1")
  shift
done
shift # --

# "Suite.Test" for every test of every binary, with gtest's instantiation
# prefix ("PipeLike/") and parameter suffix ("/AnonymousPipe", "/0") removed.
ours=$(for binary in "$@"; do
  "$binary" --gtest_list_tests
done | awk '
  /^[^ ]/ { suite = $1; sub(/\.$/, "", suite); n = split(suite, part, "/"); suite = part[n] }
  /^  / { test = $1; sub(/\/.*/, "", test); print suite "." test }' | sort -u)
[[ -n $ours ]] || { echo "no tests listed by the binaries"; exit 1; }
suites=$(cut -d. -f1 <<<"$ours" | sort -u)

named=$(grep -ohE '`[A-Za-z0-9]+(/[A-Za-z0-9]+)?\.[A-Z][A-Za-z0-9_]*(/[*A-Za-z0-9]+)?`' "${maps[@]}" |
  tr -d '`' | sed -E 's#^[A-Za-z0-9]+/([A-Za-z0-9]+\.)#\1#; s#/.*##' | sort -u)
ours_named=$(awk -F. 'NR == FNR { s[$1] = 1; next } ($1 in s)' <(echo "$suites") <(echo "$named"))
# A peer's test may share a suite name with ours (gVisor's Pipe2Test); a
# name is only reported when no binary has it and the map cites it in the
# ipcproof column (after the second "|" of a table row).
missing=""
while read -r name; do
  [[ -z $name ]] && continue
  grep -qxF "$name" <<<"$ours" && continue
  if grep -hE '^\|' "${maps[@]}" | awk -F'|' -v n="$name" '
      { for (i = 3; i <= NF; i++) if (index($i, n)) found = 1 }
      END { exit !found }'; then
    missing+="  $name"$'\n'
  fi
done <<<"$ours_named"
if [[ -n $missing ]]; then
  echo "The peer map names ipcproof tests that no binary has:"
  printf '%s' "$missing"
  exit 1
fi
echo "peer map: $(grep -c . <<<"$ours_named") ipcproof test names cited, all exist ($(grep -c . <<<"$ours") tests listed)"
