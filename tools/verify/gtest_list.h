// Reads what a gtest binary prints for --gtest_list_tests:
//
//   PipeTest.
//     ReadOnEmptyPipeBlocks
//   Pipes/PipeSemanticsTest.  # TypeParam = ...
//     ReadBlocks/anonymous  # GetParam() = ...
//
// into full test names ("Pipes/PipeSemanticsTest.ReadBlocks/anonymous"), the
// form --gtest_filter takes.
#ifndef TOOLS_VERIFY_GTEST_LIST_H_
#define TOOLS_VERIFY_GTEST_LIST_H_

#include <string>
#include <string_view>
#include <vector>

namespace ipcproof::verify {

// Lines of neither shape (a note a binary prints first) are ignored; a test
// line before any suite line is too.
std::vector<std::string> ParseGtestList(std::string_view output);

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_GTEST_LIST_H_
