#!/usr/bin/env bash
# Keeps the chain claim id -> test unbroken, from the sources alone:
#  1. every id a conformance test declares with CLAIM(...) is in the
#     registry (docs/claims.tsv), so no result is joined to a typo;
#  2. every registered id of the areas given as arguments (e.g. "pipe fifo")
#     is declared by at least one test.
# Usage: check_registry.sh REGISTRY AREA... -- SOURCE...
set -euo pipefail

registry=$1
shift
areas=()
while (($#)) && [[ $1 != -- ]]; do
  areas+=("$1")
  shift
done
shift  # --
sources=("$@")

registered=$(grep -v '^#' "$registry" | cut -f1 | sort -u)
# CLAIM("a", "b") may span lines: read each file whole.
declared=$(perl -0777 -ne 'while (/\bCLAIM\((.*?)\)/sg) { my $a = $1; print "$1\n" while $a =~ /"([^"]+)"/g }' \
  "${sources[@]}" | sort -u)

status=0
unknown=$(comm -23 <(echo "$declared") <(echo "$registered") | grep . || true)
if [[ -n $unknown ]]; then
  echo "Declared by a test but missing from $registry:"
  sed 's/^/  /' <<<"$unknown"
  status=1
fi
for area in "${areas[@]}"; do
  missing=$(grep -E "^${area}\." <<<"$registered" | comm -23 - <(echo "$declared") || true)
  if [[ -n $missing ]]; then
    echo "Registered claims of area '$area' that no test declares:"
    sed 's/^/  /' <<<"$missing"
    status=1
  fi
done
count=$(grep -c . <<<"$declared" || true)
if ((status == 0)); then
  echo "claim registry: ${count} declared ids, all registered; areas ${areas[*]} fully declared."
fi
exit $status
