#!/usr/bin/env bash
# The grading bundle runs where it is unpacked, with no installation: unpack
# it outside the workspace, check that nothing in it needs a dynamic loader,
# and run its verify with an empty environment on one claim.
set -euo pipefail

bundle=$1
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/bundle.XXXXXX")
trap 'rm -rf "$work"' EXIT

tar -xzf "$bundle" -C "$work"
root=$work/ipcproof
for f in bin/verify docs/claims.json tools/claims/claim_index.json \
         tools/verify/suite.txt docs/grading.json docs/expected-deviations.json; do
  [[ -f $root/$f ]] || { echo "FAIL: the bundle lacks $f"; exit 1; }
done

# Every program in it is static: no PT_INTERP (no dynamic loader named).
binaries=("$root/bin/verify")
while read -r rel; do
  binaries+=("$root/$rel")
done <"$root/tools/verify/suite.txt"
for bin in "${binaries[@]}"; do
  [[ -x $bin ]] || { echo "FAIL: $bin is missing or not executable"; exit 1; }
  if readelf -l "$bin" | grep -q 'Requesting program interpreter'; then
    echo "FAIL: ${bin#"$work/"} is dynamically linked"
    exit 1
  fi
done
echo "ok: ${#binaries[@]} binaries, all static"

# An empty environment: no runfiles, no Bazel variables; verify finds its
# data from its own location. One claim, so the run takes seconds.
out=$work/out
status=0
(cd "$work" && env -i PATH=/usr/bin:/bin "$root/bin/verify" \
  --claims pipe.unidirectional --out "$out") >"$work/verify.log" 2>&1 || status=$?
if ((status != 0)); then
  echo "FAIL: the unpacked verify exited $status:"
  cat "$work/verify.log"
  exit 1
fi
for f in report.md report.html report.json junit.xml report.ktap results.json; do
  [[ -s $out/$f ]] || { echo "FAIL: verify wrote no $f"; cat "$work/verify.log"; exit 1; }
done
grep -q '"id": *"pipe.unidirectional"' "$out/report.json" ||
  { echo "FAIL: report.json lacks the claim run"; exit 1; }
grep -q '^ok 1 pipe.unidirectional' "$out/report.ktap" ||
  { echo "FAIL: the claim was not earned:"; cat "$out/report.ktap"; exit 1; }
echo "ok: the unpacked bundle ran verify and earned pipe.unidirectional"
