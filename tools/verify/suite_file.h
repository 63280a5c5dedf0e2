// The suite file (tools/verify/suite.txt, generated from
// //conformance:test_binaries): one conformance binary per line, a path
// relative to the data root (or absolute). Blank lines and lines starting
// with '#' are ignored.
#ifndef TOOLS_VERIFY_SUITE_FILE_H_
#define TOOLS_VERIFY_SUITE_FILE_H_

#include <string>
#include <string_view>
#include <vector>

namespace ipcproof::verify {

struct SuiteBinary {
  std::string name;  // as listed: "conformance/pipe/pipe_test"
  std::string path;  // what is exec'd: the name under the root
};

// Parses the file's text; `file` names it in errors. Throws
// InfrastructureError on a binary listed twice.
std::vector<SuiteBinary> ParseSuite(std::string_view text,
                                    const std::string& file,
                                    const std::string& root);

// Reads and parses the file, then checks that every binary exists and is an
// executable regular file, so no binary runs when one is missing. Throws
// InfrastructureError: "<file>: ..." for the file, "<binary>: ..." for a
// binary.
std::vector<SuiteBinary> LoadSuite(const std::string& file,
                                   const std::string& root);

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_SUITE_FILE_H_
