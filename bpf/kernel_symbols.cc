#include "bpf/kernel_symbols.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <utility>

#include "bpf/copy_counter.h"

namespace ipcproof::bpf {
namespace {

// /proc/kallsyms is 5 to 15 MB on the kernels we run; far beyond that the
// file is not what we think it is.
constexpr size_t kMaxKallsymsBytes = 256u << 20;

std::string ErrnoText(int err) {
  const char* name = ::strerrorname_np(err);
  const char* description = ::strerrordesc_np(err);
  return std::string(name ? name : "errno " + std::to_string(err)) + " (" +
         (description ? description : "unknown error") + ")";
}

// A file's whole contents by read(2) (procfs reports a size of 0), or the
// failed call and errno.
std::optional<std::string> ReadWhole(const std::string& path,
                                     std::string& error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "open(" + path + ") failed with " + ErrnoText(errno);
    return std::nullopt;
  }
  std::string text;
  char chunk[1 << 16];
  while (text.size() <= kMaxKallsymsBytes) {
    const ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      error = "read(" + path + ") failed with " + ErrnoText(errno);
      ::close(fd);
      return std::nullopt;
    }
    if (got == 0) break;
    text.append(chunk, static_cast<size_t>(got));
  }
  ::close(fd);
  if (text.size() > kMaxKallsymsBytes) {
    error = path + " is larger than " + std::to_string(kMaxKallsymsBytes) +
            " bytes";
    return std::nullopt;
  }
  return text;
}

bool IsTextType(char type) {
  return type == 't' || type == 'T' || type == 'w' || type == 'W';
}

bool ParseHex(std::string_view digits, uint64_t& value) {
  if (digits.empty() || digits.size() > 16) return false;
  value = 0;
  for (char c : digits) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return false;
    }
    value = value << 4 | static_cast<uint64_t>(digit);
  }
  return true;
}

}  // namespace

KernelSymbols KernelSymbols::Parse(std::string text,
                                   const std::string& sysctl_dir) {
  KernelSymbols symbols;
  symbols.text_ = std::make_shared<const std::string>(std::move(text));
  const std::string_view all(*symbols.text_);

  std::vector<std::pair<uint64_t, std::string_view>> entries;
  size_t text_symbols = 0;
  size_t zero_addresses = 0;
  size_t line_start = 0;
  while (line_start < all.size()) {
    size_t line_end = all.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = all.size();
    const std::string_view line = all.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    // "ADDRESS TYPE NAME[\t[MODULE]]"
    const size_t first_space = line.find(' ');
    if (first_space == std::string_view::npos ||
        first_space + 3 >= line.size() || line[first_space + 2] != ' ') {
      continue;
    }
    const char type = line[first_space + 1];
    if (!IsTextType(type)) continue;
    uint64_t address = 0;
    if (!ParseHex(line.substr(0, first_space), address)) continue;
    std::string_view name = line.substr(first_space + 3);
    const size_t tab = name.find('\t');
    if (tab != std::string_view::npos) name = name.substr(0, tab);
    if (name.empty()) continue;
    ++text_symbols;
    if (address == 0) {
      ++zero_addresses;
      continue;
    }
    entries.emplace_back(address, name);
  }

  if (text_symbols == 0) {
    throw CopyCounterUnavailable(
        "kernel symbols: no text symbol in " + std::to_string(all.size()) +
        " bytes of kallsyms, so no stack can be symbolised");
  }
  if (entries.empty()) {
    const auto sysctl = [&](const char* name) {
      std::string error;
      std::optional<std::string> value =
          ReadWhole(sysctl_dir + "/" + name, error);
      if (!value) return std::string("unreadable");
      while (!value->empty() &&
             (value->back() == '\n' || value->back() == ' ')) {
        value->pop_back();
      }
      return *value;
    };
    throw CopyCounterUnavailable(
        "kernel symbols: all " + std::to_string(zero_addresses) +
        " text symbols of kallsyms show address 0 to this process, so no "
        "stack can be symbolised: the kernel hides its addresses (with "
        "kernel.kptr_restrict 2 from everyone, with 1 from a process "
        "without CAP_SYSLOG, with 0 too unless kernel.perf_event_paranoid "
        "is at most 1; here kptr_restrict " +
        sysctl("kptr_restrict") + ", perf_event_paranoid " +
        sysctl("perf_event_paranoid") + ")");
  }

  std::stable_sort(
      entries.begin(), entries.end(),
      [](const auto& a, const auto& b) { return a.first < b.first; });
  symbols.addresses_.reserve(entries.size());
  symbols.names_.reserve(entries.size());
  for (const auto& [address, name] : entries) {
    symbols.addresses_.push_back(address);
    symbols.names_.push_back(name);
  }
  return symbols;
}

KernelSymbols KernelSymbols::Load(const std::string& path) {
  std::string error;
  std::optional<std::string> text = ReadWhole(path, error);
  if (!text) throw CopyCounterUnavailable("kernel symbols: " + error);
  return Parse(std::move(*text));
}

const KernelSymbols& KernelSymbols::OfRunningKernel() {
  static std::mutex mutex;
  static std::optional<KernelSymbols> loaded;
  const std::lock_guard<std::mutex> lock(mutex);
  if (!loaded) loaded = Load();
  return *loaded;
}

long KernelSymbols::IndexOf(uint64_t address) const {
  const auto above =
      std::upper_bound(addresses_.begin(), addresses_.end(), address);
  if (above == addresses_.begin()) return -1;
  const long index = static_cast<long>(above - addresses_.begin()) - 1;
  if (address - addresses_[static_cast<size_t>(index)] > kMaxFunctionSize) {
    return -1;
  }
  return index;
}

std::string_view KernelSymbols::NameOf(uint64_t address) const {
  const long index = IndexOf(address);
  return index < 0 ? std::string_view() : names_[static_cast<size_t>(index)];
}

std::string KernelSymbols::Describe(uint64_t address) const {
  char hex[32];
  const long index = IndexOf(address);
  if (index < 0) {
    std::snprintf(hex, sizeof hex, "0x%llx",
                  static_cast<unsigned long long>(address));
    return hex;
  }
  const uint64_t offset = address - addresses_[static_cast<size_t>(index)];
  std::string text(names_[static_cast<size_t>(index)]);
  if (offset != 0) {
    std::snprintf(hex, sizeof hex, "+0x%llx",
                  static_cast<unsigned long long>(offset));
    text += hex;
  }
  return text;
}

}  // namespace ipcproof::bpf
