#include "conformance/runner/wire.h"

#include <sys/random.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "ipc/io.h"

namespace ipcproof::internal {

std::string MakeIpcNamePrefix(std::string_view test) {
  // The pid keeps apart the live processes of one PID namespace; the token,
  // processes of different PID namespaces sharing one /dev/shm (containers,
  // sandboxed runs), whose pids may be equal.
  static const std::uint32_t token = [] {
    std::uint32_t value = 0;
    if (::getrandom(&value, sizeof value, GRND_NONBLOCK) !=
        static_cast<ssize_t>(sizeof value)) {
      // No entropy yet (an early-boot guest): a stack address still
      // differs between runs under ASLR.
      value = static_cast<std::uint32_t>(
          reinterpret_cast<std::uintptr_t>(&value) >> 4);
    }
    return value;
  }();
  char head[64];
  std::snprintf(head, sizeof head, "ipcproof.%ld.%08x.",
                static_cast<long>(::getpid()), token);
  std::string prefix = head;
  if (!test.empty()) {
    prefix += test;
    prefix += '.';
  }
  return prefix;
}

std::string EncodeRecord(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line += '\t';
    for (char c : fields[i]) {
      switch (c) {
        case '\\':
          line += "\\\\";
          break;
        case '\t':
          line += "\\t";
          break;
        case '\n':
          line += "\\n";
          break;
        default:
          line += c;
      }
    }
  }
  line += '\n';
  return line;
}

std::vector<std::string> DecodeRecord(std::string_view line) {
  std::vector<std::string> fields(1);
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\t') {
      fields.emplace_back();
    } else if (c == '\\' && i + 1 < line.size()) {
      const char next = line[++i];
      fields.back() += next == 't' ? '\t' : next == 'n' ? '\n' : next;
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

int ParseTimeScale(std::string_view text) {
  if (text.empty() || text.size() > 3) return 0;
  int value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return 0;
    value = value * 10 + (c - '0');
  }
  return value >= kMinTimeScale && value <= kMaxTimeScale ? value : 0;
}

int ResultFd() {
  static const int fd = [] {
    const char* value = std::getenv(kResultFdEnv);
    return value != nullptr ? std::atoi(value) : -1;
  }();
  return fd;
}

void SendRecord(const std::vector<std::string>& fields) {
  const int fd = ResultFd();
  if (fd < 0) return;
  static std::mutex one_writer;
  const std::lock_guard lock(one_writer);
  // A supervisor that has gone away must not turn a test into a crash.
  try {
    ipc::WriteAll(fd, EncodeRecord(fields));
  } catch (const std::exception&) {
  }
}

}  // namespace ipcproof::internal
