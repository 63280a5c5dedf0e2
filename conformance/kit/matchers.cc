#include "conformance/kit/matchers.h"

#include <sstream>
#include <vector>

namespace ipcproof {
namespace matchers_internal {

std::string DescribeErrnoSet(const ::testing::Matcher<int>& m) {
  // Errno values are few and named: list the ones `m` accepts by name, which
  // reads better than "(is equal to 13) or (is equal to 20)". A matcher
  // that accepts many (Ne(EINTR)) keeps its own description.
  constexpr size_t kMostToList = 4;
  std::vector<int> accepted;
  for (int err = 1; err <= kLargestNamedErrno; ++err) {
    if (m.Matches(err)) accepted.push_back(err);
    if (accepted.size() > kMostToList) break;
  }
  std::ostringstream text;
  if (accepted.empty() || accepted.size() > kMostToList) {
    text << "an errno that ";
    m.DescribeTo(&text);
    return text.str();
  }
  for (size_t i = 0; i < accepted.size(); ++i) {
    text << (i == 0 ? "" : " or ") << ErrnoName(accepted[i]);
  }
  return text.str();
}

}  // namespace matchers_internal
}  // namespace ipcproof
