// How verify words what stops it. Both kinds end the run with exit status 2
// and print one line, "verify: <what()>", so what() already names the file,
// binary or option at fault: "docs/claims.json: not JSON (...)".
#ifndef TOOLS_VERIFY_VERIFY_ERROR_H_
#define TOOLS_VERIFY_VERIFY_ERROR_H_

#include <cstring>
#include <stdexcept>
#include <string>

namespace ipcproof::verify {

// Bad input or a broken environment: a file that cannot be read or parsed,
// a binary that cannot start, crashes or hangs, an output that cannot be
// written.
class InfrastructureError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The command line asks for something verify cannot do (an unknown format,
// claim or area; an option outside its context). main() adds a pointer to
// --help.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "ENOENT": the symbolic name, which a reader can look up in errno(3), rather
// than a sentence that depends on the locale.
inline std::string ErrnoName(int error) {
  const char* name = ::strerrorname_np(error);
  return name != nullptr ? name : "errno " + std::to_string(error);
}

// "open(/x): ENOENT (No such file or directory)".
inline std::string DescribeErrno(const std::string& call, int error) {
  return call + ": " + ErrnoName(error) + " (" + std::strerror(error) + ")";
}

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_VERIFY_ERROR_H_
