#!/usr/bin/env bash
# Rewrites docs/claim-index.md from the conformance sources.
set -euo pipefail
cd "$(dirname "$0")/../.."
# The test sources of the mechanism folders: those with a requirements file
# (conformance/README.md), as //conformance:test_sources lists them.
mapfile -t sources < <(
  for dir in conformance/*/; do
    [[ -f $dir/requirements ]] && ls "$dir"*_test.cc
  done | sort
)
perl tools/claims/claim_index.pl docs/claims.tsv "${sources[@]}" >docs/claim-index.md
echo "wrote docs/claim-index.md (${#sources[@]} sources)"
