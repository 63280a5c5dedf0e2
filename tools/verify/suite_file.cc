#include "tools/verify/suite_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <iterator>

#include "tools/verify/data_root.h"
#include "tools/verify/verify_error.h"

namespace ipcproof::verify {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() &&
         std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() &&
         std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

void CheckExecutable(const SuiteBinary& binary) {
  const std::string where =
      binary.path == binary.name ? "" : " (" + binary.path + ")";
  struct stat st;
  if (::stat(binary.path.c_str(), &st) != 0) {
    throw InfrastructureError(binary.name + ": cannot be found" + where + ": " +
                              ErrnoName(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    throw InfrastructureError(binary.name + ": not a regular file" + where);
  }
  if (::access(binary.path.c_str(), X_OK) != 0) {
    throw InfrastructureError(binary.name + ": not executable" + where + ": " +
                              ErrnoName(errno));
  }
}

}  // namespace

std::vector<SuiteBinary> ParseSuite(std::string_view text,
                                    const std::string& file,
                                    const std::string& root) {
  std::vector<SuiteBinary> binaries;
  int line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const size_t newline = text.find('\n');
    const std::string_view line = Trim(text.substr(0, newline));
    text.remove_prefix(newline == text.npos ? text.size() : newline + 1);
    if (line.empty() || line.front() == '#') continue;
    SuiteBinary binary{std::string(line), UnderRoot(root, std::string(line))};
    if (std::any_of(
            binaries.begin(), binaries.end(),
            [&](const SuiteBinary& b) { return b.name == binary.name; })) {
      throw InfrastructureError(file + ":" + std::to_string(line_number) +
                                ": " + binary.name + " is listed twice");
    }
    binaries.push_back(std::move(binary));
  }
  return binaries;
}

std::vector<SuiteBinary> LoadSuite(const std::string& file,
                                   const std::string& root) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw InfrastructureError(file + ": cannot be read: " + ErrnoName(errno));
  }
  const std::string text((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  std::vector<SuiteBinary> binaries = ParseSuite(text, file, root);
  if (binaries.empty()) {
    throw InfrastructureError(file + ": lists no binary");
  }
  for (const SuiteBinary& binary : binaries) CheckExecutable(binary);
  return binaries;
}

}  // namespace ipcproof::verify
