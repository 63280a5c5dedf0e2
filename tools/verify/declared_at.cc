#include "tools/verify/declared_at.h"

#include <algorithm>

namespace ipcproof::verify {
namespace {

// The suite names the source may use for a gtest classname: as is, without
// a TEST_P instantiation prefix ("Inst/Suite"), without a typed test's
// index ("Suite/0").
std::vector<std::string> SourceSuites(const std::string& suite) {
  std::vector<std::string> names{suite};
  if (const size_t slash = suite.rfind('/'); slash != std::string::npos) {
    names.push_back(suite.substr(slash + 1));
    names.push_back(suite.substr(0, suite.find('/')));
  }
  return names;
}

// A TEST_P's name without the "/parameter" gtest appends.
std::string SourceName(const std::string& name) {
  return name.substr(0, name.find('/'));
}

}  // namespace

std::string DeclaredAt(const claims::ClaimIndex& index,
                       const TestResult& result) {
  const std::vector<std::string> suites = SourceSuites(result.suite);
  const std::string name = SourceName(result.name);
  for (const claims::Declaration& declaration : index.declarations) {
    for (const std::string& suite : suites) {
      if (declaration.test == suite + "." + name) {
        return declaration.file + ":" + std::to_string(declaration.line);
      }
    }
  }
  return "";
}

void FillDeclaredAt(const claims::ClaimIndex& index,
                    std::vector<TestResult>& results) {
  for (TestResult& result : results)
    result.declared_at = DeclaredAt(index, result);
}

}  // namespace ipcproof::verify
