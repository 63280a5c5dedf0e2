// Reading a guest kernel's log (its ttyS0 console, as QEMU wrote it): the
// lines that say the kernel broke (a panic, an oops, a BUG), the lines that
// say it warned, and the tail to quote in a failure message.
//
// The console prints messages up to level 4 (loglevel=5 on the command
// line): WARNING lines (pr_warn) appear; an oops and a panic raise the
// console level themselves (console_verbose), so they always appear.
#ifndef TOOLS_KERNELS_CONSOLE_LOG_H_
#define TOOLS_KERNELS_CONSOLE_LOG_H_

#include <string>
#include <string_view>
#include <vector>

namespace ipcproof::kernels {

struct ConsoleScan {
  // "Kernel panic - not syncing: ..." (the first such line), or "".
  std::string panic_line;
  // The first line that reports an oops: "Oops: ...", "BUG: ...", "kernel
  // BUG at ...", "general protection fault ...", or "".
  std::string oops_line;
  // Every line with WARNING, BUG, Oops or panic, and hung-task or RCU-stall
  // reports, in order (timestamps kept), at most 200.
  std::vector<std::string> warnings;
};

// The log's lines with carriage returns, terminal escape sequences (the
// firmware clears the screen) and other control bytes removed; empty lines
// dropped.
std::vector<std::string> ConsoleLines(std::string_view log);

ConsoleScan ScanConsoleLog(std::string_view log);

// The last `count` lines of ConsoleLines(log), joined with "\n".
std::string ConsoleTail(std::string_view log, size_t count = 20);

// The message of a line without its "[   12.345678] " time stamp.
std::string_view WithoutTimestamp(std::string_view line);

}  // namespace ipcproof::kernels

#endif  // TOOLS_KERNELS_CONSOLE_LOG_H_
