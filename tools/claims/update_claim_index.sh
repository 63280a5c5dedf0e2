#!/usr/bin/env bash
# Rewrites docs/claim-index.md from the conformance sources. Usage: no
# arguments, from anywhere in the workspace.
#
# Bazel builds the index (//tools/claims:claim_index_markdown) from
# //conformance:test_sources and docs/claims.json, the same inputs
# //tools/claims:registry_test compares the committed file with, so the two
# cannot disagree about which sources count.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/bazel build //tools/claims:claim_index_markdown
generated=bazel-bin/tools/claims/claim-index.md
# Copy through a temporary file: the build output is read-only, and a copy
# cut short must not replace the committed index.
cat "$generated" >docs/claim-index.md.tmp
mv docs/claim-index.md.tmp docs/claim-index.md
echo "wrote docs/claim-index.md ($(grep -c '^| `' docs/claim-index.md) rows)"
