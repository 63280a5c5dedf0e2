#!/usr/bin/env bash
# Keeps the chain claim id -> folder -> test unbroken, from the sources alone:
#  1. the registry (docs/claims.tsv) is well formed: five columns, unique
#     ids, the area column equal to the id's prefix, a known verdict;
#  2. every id a conformance test declares with CLAIM(...) is registered, so
#     no result is joined to a typo;
#  3. every registered id of the areas given as arguments (e.g. "pipe fifo")
#     is declared by at least one test in the folder the registry names;
#  4. docs/claim-index.md is what tools/claims/claim_index.pl makes of the
#     sources now.
# Usage: check_registry.sh REGISTRY INDEX AREA... -- SOURCE...
set -euo pipefail

registry=$1
index=$2
shift 2
areas=()
while (($#)) && [[ $1 != -- ]]; do
  areas+=("$1")
  shift
done
shift # --
sources=("$@")
here=$(dirname "$0")

status=0
malformed=$(awk -F'\t' '
  /^#/ || !NF { next }
  NF != 5 { print "line " NR ": " NF " columns, expected 5"; next }
  { split($1, id, ".") }
  id[1] != $2 { print "line " NR ": area \"" $2 "\" is not the prefix of " $1 }
  $3 !~ /^conformance\/[a-z]+$/ { print "line " NR ": folder \"" $3 "\"" }
  $4 !~ /^(confirmed|refined|refuted|measured|not-checkable)$/ {
    print "line " NR ": predicted verdict \"" $4 "\"" }
  seen[$1]++ { print "line " NR ": duplicate id " $1 }
' "$registry")
if [[ -n $malformed ]]; then
  echo "Malformed registry $registry:"
  sed 's/^/  /' <<<"$malformed"
  status=1
fi

registered=$(grep -v '^#' "$registry" | cut -f1 | sort -u)
# CLAIM("a", "b") may span lines: read each file whole. Prints "id<TAB>file".
declarations=$(perl -0777 -ne 'while (/\bCLAIM\((.*?)\)/sg) { my $a = $1; print "$1\t$ARGV\n" while $a =~ /"([^"]+)"/g }' \
  "${sources[@]}" | sort -u)
declared=$(cut -f1 <<<"$declarations" | sort -u)

unknown=$(comm -23 <(echo "$declared") <(echo "$registered") | grep . || true)
if [[ -n $unknown ]]; then
  echo "Declared by a test but missing from $registry:"
  sed 's/^/  /' <<<"$unknown"
  status=1
fi
for area in "${areas[@]}"; do
  # id<TAB>folder of every registered claim of the area.
  while IFS=$'\t' read -r id folder; do
    if ! grep -qE "^${id//./\\.}"$'\t'"${folder}/" <<<"$declarations"; then
      echo "Claim $id (area $area) is declared by no test in $folder/"
      status=1
    fi
  done < <(awk -F'\t' -v area="$area" '!/^#/ && $2 == area { print $1 "\t" $3 }' "$registry")
done

if ! diff -u "$index" <(perl "$here/claim_index.pl" "$registry" "${sources[@]}") >/tmp/claim-index.diff.$$ 2>&1; then
  echo "$index is stale: run tools/claims/update_claim_index.sh"
  head -40 /tmp/claim-index.diff.$$
  status=1
fi
rm -f /tmp/claim-index.diff.$$

count=$(grep -c . <<<"$declared" || true)
if ((status == 0)); then
  echo "claim registry: ${count} declared ids, all registered; areas ${areas[*]} fully declared in their folders; index current."
fi
exit $status
