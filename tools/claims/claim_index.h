// The claim -> test index, derived from the conformance sources: every
// CLAIM("id", ...) with the test that declares it and its file:line. It is
// written as docs/claim-index.md (for readers, committed) and as
// claim_index.json (generated at build time, for tools/verify, which uses it
// to run only the tests of chosen claims and to show where each is declared).
#ifndef TOOLS_CLAIMS_CLAIM_INDEX_H_
#define TOOLS_CLAIMS_CLAIM_INDEX_H_

#include <string>
#include <string_view>
#include <vector>

#include "tools/claims/registry.h"

namespace ipcproof::claims {

struct Declaration {
  std::string claim;
  // "Suite.Name" of the TEST, TEST_F or TEST_P the CLAIM is in; a TEST_P runs
  // as "Instantiation/Suite.Name/Parameter". "(outside a test)" when the
  // CLAIM precedes every test of its file.
  std::string test;
  std::string file;  // as given to ScanSources: workspace-relative
  int line = 0;      // 1-based line of the CLAIM
};

struct ClaimIndex {
  // In file order, then line order.
  std::vector<Declaration> declarations;

  // The declarations of one claim, in index order.
  std::vector<const Declaration*> For(std::string_view claim) const;
};

// Scans the given sources (paths workspace-relative, as they should appear
// in the index), in sorted order whatever order they are given in. Each
// quoted id of a CLAIM(...) (which may span lines) is one declaration, of
// the nearest TEST, TEST_F or TEST_P before it; CLAIMs and TESTs inside
// comments or string literals do not count. Throws std::runtime_error naming
// a file it cannot read, or the file:line of a CLAIM( that is never closed.
ClaimIndex ScanSources(const std::vector<std::string>& paths);

// The gtest filter that selects the test of a declaration however it is
// instantiated: "Suite.Name:*/Suite.Name/*". Empty for a declaration
// "(outside a test)": no filter selects the tests that reach it.
std::string GtestFilterFor(const Declaration& declaration);

// {"version": 1, "declarations": [{"claim", "test", "file", "line"}, ...]}
std::string ClaimIndexJson(const ClaimIndex& index);
// Throws std::runtime_error naming the file when it cannot be read or parsed.
ClaimIndex LoadClaimIndex(const std::string& path);

// docs/claim-index.md: a table in registry order, "no test yet" for a claim
// no test declares.
std::string ClaimIndexMarkdown(const ClaimIndex& index,
                               const Registry& registry);

}  // namespace ipcproof::claims

#endif  // TOOLS_CLAIMS_CLAIM_INDEX_H_
