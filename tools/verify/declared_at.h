// Where a test that ran is declared in the sources, from the claim index:
// "conformance/pipe/pipe_test.cc:406", so a report links each result to the
// line that decides it.
#ifndef TOOLS_VERIFY_DECLARED_AT_H_
#define TOOLS_VERIFY_DECLARED_AT_H_

#include <string>
#include <vector>

#include "tools/claims/claim_index.h"
#include "tools/verify/model.h"

namespace ipcproof::verify {

// "file:line" of the first declaration whose test ("Suite.Name") is this
// result's test once gtest's additions are taken off: the instantiation
// prefix of a TEST_P suite ("Pipes/PipeSemanticsTest"), the parameter
// suffix of its name ("ReadBlocks/anonymous"), a typed suite's "/0". Empty
// when the index has none.
std::string DeclaredAt(const claims::ClaimIndex& index,
                       const TestResult& result);

// Sets declared_at of every result.
void FillDeclaredAt(const claims::ClaimIndex& index,
                    std::vector<TestResult>& results);

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_DECLARED_AT_H_
