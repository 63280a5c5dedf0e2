// Which claims a run decides (--claims, --areas) and which tests that takes:
// the tests the claim index lists for them, as one gtest filter, so verify
// runs only those instead of the whole suite.
#ifndef TOOLS_VERIFY_CLAIM_SELECTION_H_
#define TOOLS_VERIFY_CLAIM_SELECTION_H_

#include <string>
#include <vector>

#include "tools/claims/claim_index.h"
#include "tools/claims/registry.h"

namespace ipcproof::verify {

// The ids chosen by `patterns` (ids, or fnmatch(3) globs such as "pipe.*")
// and `areas` (area ids), in registry order, each once; empty when both are
// empty (every claim). Throws UsageError for a pattern that matches no
// claim or an area the registry lacks.
std::vector<std::string> SelectClaims(const claims::Registry& registry,
                                      const std::vector<std::string>& patterns,
                                      const std::vector<std::string>& areas);

// A gtest filter ("A.B:*/A.B/*:C.D:*/C.D/*") selecting every test the index
// lists for these claims; "" when the index lists none.
std::string GtestFilterForClaims(const claims::ClaimIndex& index,
                                 const std::vector<std::string>& claim_ids);

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_CLAIM_SELECTION_H_
