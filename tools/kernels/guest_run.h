// The kernel runner: boots a kernel under QEMU with an initramfs holding the
// test binaries and a small static init, runs the binaries inside it, and
// brings back each binary's gtest XML and exit status, what the guest
// reported about itself, and the kernel's log. verify (tools/verify) calls it
// for every --kernel other than the host; it knows no mechanism.
//
//   KernelImage kernel = ResolveKernel("linux-6.1", {});
//   GuestRequest request{.kernel = kernel, .binaries = {...}, ...};
//   GuestRun run = RunInGuest(request);
//   if (run.failure != GuestFailure::kNone) { /* run.failure_message */ }
#ifndef TOOLS_KERNELS_GUEST_RUN_H_
#define TOOLS_KERNELS_GUEST_RUN_H_

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ipcproof::kernels {

// A kernel to boot, as found on disk.
struct KernelImage {
  // What the report calls it: the shorthand ("linux-6.1"), the package name,
  // or the image file's name for a bare path ("bzImage").
  std::string label;
  std::string image_path;   // the bzImage / vmlinuz
  std::string config_path;  // its .config; "" when none was found
  std::string modules_dir;  // lib/modules/RELEASE (has modules.dep); or ""
  // "linux-image-6.1.0-57-cloud-amd64-unsigned 6.1.192-3"; "" for a path.
  std::string package;
};

struct ResolveOptions {
  // The kernel cache; "" = ${IPCPROOF_KERNEL_CACHE:-${XDG_CACHE_HOME:-
  // $HOME/.cache}/ipcproof/kernels}.
  std::string cache_dir;
  // The lock file; "" = the one in verify's data (tools/kernels/kernels.lock).
  std::string lock_file;
  // tools/kernels/fetch_kernel.sh, run for a package that is not cached yet;
  // "" = never fetch (an uncached package is then an error saying how).
  std::string fetch_script;
};

// "linux-6.1" | "linux-6.12" (the lock file's shorthands) | a Debian package
// name (optionally "=VERSION") | a path to a kernel image. Throws
// std::runtime_error with a message that says what was looked for where.
KernelImage ResolveKernel(std::string_view spec, const ResolveOptions& options);

// One binary to run in the guest.
struct GuestBinary {
  std::string name;       // workspace-relative: "conformance/pipe/pipe_test"
  std::string host_path;  // where the static binary is on the host
  // Extra arguments (--gtest_filter=..., --ipcproof_time_scale=N); the init
  // adds --gtest_output=xml:... itself.
  std::vector<std::string> args;
  // This binary's own budget inside the guest; past it the init kills its
  // process group (every process it started) and reports "timeout". 0 =
  // derived from the time scale (kBinaryTimeLimitPerScale).
  std::chrono::seconds time_limit{0};
};

enum class Accelerator { kAuto, kTcg, kKvm };

// How much slower than the host a guest runs, for its deadlines: what the
// binaries get as --ipcproof_time_scale (RunInGuest adds it unless a
// binary's args already hold one) and what their default time limits are
// derived from. TCG emulates every instruction; KVM runs them.
inline constexpr int kTcgTimeScale = 10;
inline constexpr int kKvmTimeScale = 2;
// A binary's default time limit in the guest: twice the conformance
// runner's default per-test watchdog (30 s), times the scale, so a binary
// with one test hung to the watchdog still finishes and sends its XML.
inline constexpr std::chrono::seconds kBinaryTimeLimitPerScale{60};

// What RunInGuest reports while the guest runs (GuestRequest::progress).
struct GuestProgress {
  std::string binary;   // the binary running or just finished; "" at boot
  size_t finished = 0;  // binaries that reported a result
  size_t total = 0;     // binaries planned
  // "booting (tcg)", "booted 6.1.0-57-cloud-amd64", "running NAME",
  // "NAME: exit 0 in 12.3 s".
  std::string text;
};

struct GuestRequest {
  KernelImage kernel;
  std::vector<GuestBinary> binaries;  // run in this order
  // Module names to load before the tests ("veth"), found with their
  // dependencies through kernel.modules_dir/modules.dep.
  std::vector<std::string> modules;
  // System call names (x86-64) the init calls with invalid arguments to find
  // which answer ENOSYS (a bare image with no config).
  std::vector<std::string> probe_syscalls;
  // Extra files to put into the initramfs: {host path, guest path}.
  std::vector<std::pair<std::string, std::string>> extra_files;
  // Static busybox for /bin/sh, /bin/cat, /bin/readlink; "" = /bin/busybox.
  std::string busybox_path;
  // kAuto: try KVM by booting (not by /dev/kvm's presence), else TCG.
  Accelerator accelerator = Accelerator::kAuto;
  int cpus = 2;
  int memory_mib = 2048;
  // The whole boot's limit; 0 = derived from the binaries' limits and the
  // accelerator. QEMU is killed past it (GuestFailure::kHang).
  std::chrono::seconds time_limit{0};
  // Where the initramfs, console.log and the result stream are written
  // (kept for the report); created if missing.
  std::string work_dir;
  // For the runner's own tests: use this static program as /init instead of
  // the real one (a deliberately broken init). The real init is then at
  // /ipcproof/guest_init, for a test init that execs it after its mischief.
  std::string init_override;
  // Called on the calling thread as the guest reports; may be empty.
  std::function<void(const GuestProgress&)> progress;
  // Polled about ten times a second while QEMU runs; true ends QEMU at once
  // and RunInGuest throws std::runtime_error ("interrupted"). May be empty.
  std::function<bool()> cancelled;
};

// What one binary did in the guest.
struct GuestBinaryResult {
  std::string name;
  // Its exit status (0..255), 128+N for a signal; -1 when it never ran or
  // was killed at its time limit (then timed_out).
  int exit_status = -1;
  bool timed_out = false;
  std::string xml;          // its gtest XML; "" when it wrote none
  std::string output_tail;  // the last ~4 KiB of its stdout+stderr
  double seconds = 0;
};

enum class GuestFailure {
  kNone,
  kPanic,       // "Kernel panic" in the log
  kOops,        // "Oops"/"BUG:" in the log (the run may have finished)
  kHang,        // no end record before the time limit; QEMU was killed
  kSilent,      // QEMU exited without an end record and without a panic
  kBadStream,   // the result stream is malformed or truncated
  kQemuFailed,  // QEMU could not start (message says why)
};
// "none", "panic", "oops", "hang", "silent", "bad result stream",
// "qemu failed".
std::string_view GuestFailureName(GuestFailure failure);

struct GuestRun {
  KernelImage kernel;
  std::string accelerator;  // "tcg" or "kvm": what actually ran
  // Why KVM was not used under kAuto ("KVM internal error ... emulation
  // failure" / "no /dev/kvm"); "" when KVM ran or was not asked for.
  std::string accelerator_note;
  // uname inside the guest.
  std::string release, version, machine;
  int time_scale = 1;                       // what the binaries were given
  std::vector<GuestBinaryResult> binaries;  // in run order; ran ones only
  // What the guest reported about itself.
  std::vector<std::string> enosys_syscalls;
  std::string proc_config;  // /proc/config.gz, decompressed; "" if absent
  std::vector<std::string> filesystems;  // /proc/filesystems names
  std::vector<std::string> namespaces;   // /proc/self/ns entries
  std::vector<std::string> modules_loaded;
  std::vector<std::string> module_errors;  // "veth: finit_module: ENOENT"
  // What the init reported beside the results: a mount that failed, lo
  // that did not come up, a process that survived SIGKILL.
  std::vector<std::string> init_notes;
  std::string tainted_before, tainted_after;
  // Kernel log lines with WARNING, BUG, Oops or panic.
  std::vector<std::string> log_warnings;
  GuestFailure failure = GuestFailure::kNone;
  // Names the kernel and quotes the log's tail: "linux-6.1 (6.1.0-57-cloud-
  // amd64) panicked 12.3 s into the run: ... last 20 lines ...".
  std::string failure_message;
  std::string console_log_path;  // the kernel's log (ttyS0), kept
  double boot_seconds = 0;       // QEMU start to the guest's first record
  double seconds = 0;            // QEMU start to exit
};

// Boots request.kernel and runs request.binaries. Never throws for what the
// guest did (that is GuestRun::failure); throws std::runtime_error for a
// request it cannot even try (a missing binary, an unwritable work_dir).
GuestRun RunInGuest(const GuestRequest& request);

}  // namespace ipcproof::kernels

#endif  // TOOLS_KERNELS_GUEST_RUN_H_
