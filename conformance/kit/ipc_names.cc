#include "conformance/kit/ipc_names.h"

#include <atomic>
#include <cstdlib>
#include <stdexcept>

#include "conformance/runner/wire.h"

namespace ipcproof {
namespace {

bool UsablePrefix(std::string_view prefix) {
  // Room for at least a one-byte stem and a counter of a few digits.
  return !prefix.empty() && prefix.size() <= kMaxIpcNameLength / 2 &&
         prefix.find('/') == std::string_view::npos;
}

}  // namespace

const std::string& IpcNamePrefix() {
  static const std::string prefix = [] {
    const char* from_runner = std::getenv(internal::kIpcNamePrefixEnv);
    if (from_runner != nullptr && UsablePrefix(from_runner)) {
      return std::string(from_runner);
    }
    return internal::MakeIpcNamePrefix("");
  }();
  return prefix;
}

std::string UniqueIpcName(std::string_view stem) {
  if (stem.find('/') != std::string_view::npos ||
      stem.find('\0') != std::string_view::npos) {
    throw std::invalid_argument("UniqueIpcName: stem \"" + std::string(stem) +
                                "\" contains '/' or NUL");
  }
  static std::atomic<unsigned long> counter{0};
  std::string name = "/" + IpcNamePrefix();
  name += stem;
  name += '.';
  name += std::to_string(counter.fetch_add(1));
  if (name.size() - 1 > kMaxIpcNameLength) {
    throw std::invalid_argument(
        "UniqueIpcName: \"" + name + "\" is longer than " +
        std::to_string(kMaxIpcNameLength) +
        " bytes after its '/' (NAME_MAX less sem_open's \"sem.\")");
  }
  return name;
}

}  // namespace ipcproof
