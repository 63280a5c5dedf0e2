// Running QEMU for one guest boot: its command line, and a supervised run
// with monotonic limits that never leaves a QEMU behind.
//
// QEMU runs in a process group of its own (the terminal's Ctrl+C reaches
// only the caller, which ends it through `cancelled`), with
// PR_SET_PDEATHSIG(SIGKILL), so it dies with the caller even when the caller
// is killed outright.
#ifndef TOOLS_KERNELS_QEMU_H_
#define TOOLS_KERNELS_QEMU_H_

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ipcproof::kernels {

struct QemuConfig {
  std::string qemu_binary = "qemu-system-x86_64";  // looked up in PATH
  std::string kernel_path;
  std::string initrd_path;
  std::string accelerator = "tcg";  // "tcg" | "kvm"
  int cpus = 2;
  int memory_mib = 2048;
  std::string append;  // the kernel command line; "" = KernelCommandLine()
  std::string console_log_path;  // ttyS0: the kernel's log
  std::string results_path;      // ttyS1: the init's result stream
};

// "console=ttyS0 panic=-1 quiet loglevel=5": panic=-1 reboots at once on a
// panic, which -no-reboot turns into QEMU exiting; loglevel=5 keeps WARNING
// lines on the console while boot chatter (level 6) stays off it.
std::string KernelCommandLine();

// argv for QEMU, argv[0] first. Throws std::invalid_argument for an unknown
// accelerator or a path QEMU's option syntax cannot carry.
std::vector<std::string> QemuCommandLine(const QemuConfig& config);

struct QemuLimits {
  // Past this since the start, QEMU is killed (kTimeLimit).
  std::chrono::milliseconds total{std::chrono::minutes(10)};
  // The first byte of the result stream must come within this (the boot);
  // 0 = no such limit.
  std::chrono::milliseconds first_output{0};
  // After the first byte, the stream must grow at least this often (the
  // init's heartbeat); 0 = no such limit.
  std::chrono::milliseconds silence{0};
};

struct QemuOutcome {
  enum class End {
    kExited,         // QEMU exited by itself (wait_status)
    kTimeLimit,      // killed at QemuLimits::total
    kNoFirstOutput,  // killed: nothing on the result stream in time
    kSilence,        // killed: the result stream stopped growing
    kAborted,        // killed: abort_on_stderr said so
    kCancelled,      // killed: cancelled() said so
    kNotStarted,     // fork or exec failed (error says why)
  };
  End end = End::kNotStarted;
  int wait_status = 0;
  std::string error;                 // kNotStarted: the failing call and errno
  std::string stderr_text;           // QEMU's stdout+stderr (at most 64 KiB)
  double seconds = 0;                // start to exit
  double first_output_seconds = -1;  // start to the stream's first byte
};

struct QemuWatch {
  // Called with each new piece of the result stream as it grows.
  std::function<void(std::string_view bytes)> on_results;
  // Polled about ten times a second; true ends QEMU (kCancelled).
  std::function<bool()> cancelled;
  // Polled with QEMU's output so far; true ends QEMU (kAborted): a KVM that
  // stopped with "KVM internal error" stays paused forever otherwise.
  std::function<bool(std::string_view stderr_text)> abort_on_stderr;
};

// Starts QEMU with `config` and supervises it until it exits or a limit
// ends it; QEMU's output goes to `stderr_path`. Never throws for what QEMU
// did; throws std::system_error when it cannot even set up (a file).
QemuOutcome RunQemu(const QemuConfig& config, const QemuLimits& limits,
                    const std::string& stderr_path, const QemuWatch& watch);

// "exited with status 1", "killed by signal 9".
std::string DescribeWaitStatus(int wait_status);

}  // namespace ipcproof::kernels

#endif  // TOOLS_KERNELS_QEMU_H_
