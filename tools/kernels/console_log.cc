#include "tools/kernels/console_log.h"

namespace ipcproof::kernels {
namespace {

constexpr size_t kMaxWarnings = 200;

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

bool IsPanic(std::string_view message) {
  return Contains(message, "Kernel panic - not syncing");
}

// x86's die() prints "Oops: 0002 [#1] ..." (6.1) or "Oops: general
// protection fault ..." (6.12); BUG() "kernel BUG at file:line!"; page
// faults and lockups "BUG: ..." (also after a prefix: "watchdog: BUG: soft
// lockup").
bool IsOops(std::string_view message) {
  return message.starts_with("Oops") || Contains(message, "BUG: ") ||
         message.starts_with("kernel BUG at") ||
         message.starts_with("general protection fault") ||
         message.starts_with("Unable to handle kernel");
}

bool IsWarning(std::string_view message) {
  return message.starts_with("WARNING:") ||
         (message.starts_with("INFO: task ") &&
          Contains(message, "blocked for more than")) ||
         Contains(message, "rcu_sched self-detected stall") ||
         Contains(message, "rcu_preempt self-detected stall") ||
         Contains(message, "detected stalls on CPUs");
}

}  // namespace

std::vector<std::string> ConsoleLines(std::string_view log) {
  std::vector<std::string> lines;
  std::string line;
  auto flush = [&] {
    size_t end = line.size();
    while (end > 0 && line[end - 1] == ' ') --end;
    line.resize(end);
    if (!line.empty()) lines.push_back(line);
    line.clear();
  };
  for (size_t i = 0; i < log.size(); ++i) {
    const unsigned char c = log[i];
    if (c == '\n') {
      flush();
    } else if (c == 0x1b) {
      // ESC [ parameters final-byte (CSI), or ESC and one byte ("ESC c").
      if (i + 1 < log.size() && log[i + 1] == '[') {
        i += 2;
        // Parameter and intermediate bytes (0x20-0x3f); the loop's ++i
        // then skips the final byte.
        while (i < log.size() && log[i] >= 0x20 && log[i] <= 0x3f) ++i;
      } else {
        ++i;
      }
    } else if (c == '\t') {
      line += ' ';
    } else if (c >= ' ' && c != 0x7f) {
      line += static_cast<char>(c);
    }
  }
  flush();
  return lines;
}

std::string_view WithoutTimestamp(std::string_view line) {
  if (!line.starts_with('[')) return line;
  const size_t close = line.find(']');
  if (close == std::string_view::npos) return line;
  for (char c : line.substr(1, close - 1)) {
    if (c != ' ' && c != '.' && !(c >= '0' && c <= '9')) return line;
  }
  std::string_view message = line.substr(close + 1);
  while (message.starts_with(' ')) message.remove_prefix(1);
  return message;
}

ConsoleScan ScanConsoleLog(std::string_view log) {
  ConsoleScan scan;
  for (const std::string& line : ConsoleLines(log)) {
    const std::string_view message = WithoutTimestamp(line);
    const bool panic = IsPanic(message);
    const bool oops = !panic && IsOops(message);
    if (panic && scan.panic_line.empty()) scan.panic_line = line;
    if (oops && scan.oops_line.empty()) scan.oops_line = line;
    if ((panic || oops || IsWarning(message)) &&
        scan.warnings.size() < kMaxWarnings) {
      scan.warnings.push_back(line);
    }
  }
  return scan;
}

std::string ConsoleTail(std::string_view log, size_t count) {
  const std::vector<std::string> lines = ConsoleLines(log);
  std::string tail;
  const size_t first = lines.size() > count ? lines.size() - count : 0;
  for (size_t i = first; i < lines.size(); ++i) {
    if (!tail.empty()) tail += '\n';
    tail += lines[i];
  }
  return tail;
}

}  // namespace ipcproof::kernels
