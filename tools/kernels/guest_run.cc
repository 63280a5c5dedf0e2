// RunInGuest: the initramfs, the QEMU run and what the guest sent back.
#include "tools/kernels/guest_run.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "tools/kernels/guest_report.h"
#include "tools/kernels/guest_wire.h"
#include "tools/kernels/initramfs.h"
#include "tools/kernels/module_plan.h"
#include "tools/kernels/qemu.h"
#include "tools/kernels/syscall_names.h"
#include "tools/kernels/text_files.h"

extern "C" const char ipcproof_guest_init_start[];
extern "C" const char ipcproof_guest_init_end[];

namespace ipcproof::kernels {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

constexpr char kTimeScaleFlag[] = "--ipcproof_time_scale=";
constexpr char kGuestBinDir[] = "ipcproof/bin/";
constexpr char kGuestModuleDir[] = "ipcproof/modules/";
constexpr int kHeartbeatSeconds = 5;

// From QEMU's start to the first record (firmware, kernel, unpacking the
// initramfs), and the longest the stream may then stay silent (the init
// ticks every kHeartbeatSeconds while a binary runs).
seconds BootAllowance(const std::string& accelerator) {
  return accelerator == "kvm" ? seconds(30) : seconds(90);
}

// ---- The initramfs.

void CheckGuestName(const std::string& name, const char* what) {
  if (name.empty() || name.front() == '/' ||
      name.find("..") != std::string::npos) {
    throw std::runtime_error(std::string(what) + " '" + name +
                             "': want a workspace-relative path");
  }
}

std::string WriteEmbeddedInit(const std::string& work_dir) {
  const std::string path = work_dir + "/guest_init";
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(ipcproof_guest_init_start,
            ipcproof_guest_init_end - ipcproof_guest_init_start);
  out.close();
  if (!out) {
    throw std::system_error(errno, std::generic_category(), "write " + path);
  }
  ::chmod(path.c_str(), 0755);
  return path;
}

struct Initramfs {
  std::string path;
  Plan plan;
  std::vector<std::string> notes;  // what the guest will lack
};

Initramfs BuildInitramfs(const GuestRequest& request, const ModulePlan& modules,
                         const std::vector<PlanProbe>& probes,
                         const std::vector<GuestBinary>& binaries,
                         const std::string& name) {
  Initramfs initramfs;
  initramfs.path = request.work_dir + "/" + name;
  initramfs.plan.heartbeat_seconds = kHeartbeatSeconds;
  initramfs.plan.probes = probes;
  CpioWriter cpio(initramfs.path);
  cpio.AddCharDevice("dev/console", 5, 1);
  for (const char* dir : {"proc", "sys", "tmp", "root"}) cpio.AddDirectory(dir);
  const std::string real_init = WriteEmbeddedInit(request.work_dir);
  if (request.init_override.empty()) {
    cpio.AddFile("init", real_init, 0755);
  } else {
    cpio.AddFile("init", request.init_override, 0755);
    cpio.AddFile("ipcproof/guest_init", real_init, 0755);
  }
  const std::string busybox =
      request.busybox_path.empty() ? "/bin/busybox" : request.busybox_path;
  if (IsFile(busybox)) {
    cpio.AddFile("bin/busybox", busybox, 0755);
    for (const char* program : {"sh", "cat", "readlink"}) {
      cpio.AddSymlink(std::string("bin/") + program, "busybox");
    }
  } else if (!request.busybox_path.empty()) {
    throw std::runtime_error("busybox " + busybox + ": not a file");
  } else {
    cpio.AddDirectory("bin");  // the tests that exec sh/cat then fail
    initramfs.notes.push_back("no " + busybox +
                              " on the host: the guest has no /bin/sh, "
                              "/bin/cat, /bin/readlink");
  }
  for (const ModuleFile& module : modules.files) {
    const std::string file = fs::path(module.host_path).filename().string();
    cpio.AddFile(kGuestModuleDir + file, module.host_path, 0644);
    initramfs.plan.modules.push_back(
        {module.name, "/" + std::string(kGuestModuleDir) + file});
  }
  for (const GuestBinary& binary : binaries) {
    const std::string guest = kGuestBinDir + binary.name;
    cpio.AddFile(guest, binary.host_path, 0755);
    PlanBinary planned;
    planned.name = binary.name;
    planned.guest_path = "/" + guest;
    planned.time_limit_seconds = static_cast<int>(binary.time_limit.count());
    planned.args = binary.args;
    initramfs.plan.binaries.push_back(std::move(planned));
  }
  for (const auto& [host, guest] : request.extra_files) {
    struct stat status {};
    if (::stat(host.c_str(), &status) != 0) {
      throw std::system_error(errno, std::generic_category(),
                              "extra file " + host);
    }
    cpio.AddFile(guest, host, status.st_mode & 0777);
  }
  cpio.AddFileContents("ipcproof/plan", EncodePlan(initramfs.plan), 0644);
  cpio.Finish();
  fs::remove(real_init);  // it is in the archive now
  return initramfs;
}

// ---- KVM, decided by booting.

struct KvmAnswer {
  bool works = false;
  std::string note;
};

bool KvmStopped(std::string_view output) {
  return output.find("KVM internal error") != std::string_view::npos ||
         output.find("failed to initialize kvm") != std::string_view::npos ||
         output.find("Could not access KVM") != std::string_view::npos;
}

KvmAnswer ProbeKvm(const GuestRequest& request) {
  const std::string dir = request.work_dir + "/kvm-probe";
  fs::create_directories(dir);
  GuestRequest probe;
  probe.kernel = request.kernel;
  probe.work_dir = dir;
  probe.busybox_path = request.busybox_path;
  const Initramfs initramfs =
      BuildInitramfs(probe, {}, {}, {}, "initramfs.cpio");
  QemuConfig config;
  config.kernel_path = request.kernel.image_path;
  config.initrd_path = initramfs.path;
  config.accelerator = "kvm";
  config.cpus = 1;
  config.memory_mib = 256;
  config.console_log_path = dir + "/console.log";
  config.results_path = dir + "/results.stream";
  QemuLimits limits;
  limits.total = seconds(30);
  QemuWatch watch;
  watch.abort_on_stderr = KvmStopped;
  watch.cancelled = request.cancelled;
  const QemuOutcome outcome = RunQemu(config, limits, dir + "/qemu.log", watch);
  fs::remove(initramfs.path);
  KvmAnswer answer;
  if (outcome.end == QemuOutcome::End::kCancelled) {
    throw std::runtime_error("interrupted while probing KVM");
  }
  const DecodedStream stream =
      DecodeResultStream(ReadTextOrEmpty(config.results_path));
  if (stream.has_end) {
    answer.works = true;
    return answer;
  }
  std::string why;
  if (outcome.end == QemuOutcome::End::kNotStarted) {
    why = outcome.error;
  } else if (!outcome.stderr_text.empty()) {
    why = FirstLines(outcome.stderr_text, 2);
  } else if (outcome.end == QemuOutcome::End::kTimeLimit) {
    why = "the probe boot did not finish within 30 s";
  } else {
    why = "the probe boot ended without its end record (" +
          DescribeWaitStatus(outcome.wait_status) + ")";
  }
  answer.note = "KVM did not boot " + request.kernel.label +
                " in this run's one KVM probe (" + why +
                "); every guest ran TCG";
  return answer;
}

KvmAnswer KvmAnswerFor(const GuestRequest& request) {
  static std::mutex mutex;
  static bool probed = false;
  static KvmAnswer answer;
  std::lock_guard<std::mutex> lock(mutex);
  if (!probed) {
    answer = ProbeKvm(request);
    probed = true;
  }
  return answer;
}

int ScaleFromArgs(const std::vector<GuestBinary>& binaries, int fallback) {
  for (const GuestBinary& binary : binaries) {
    for (const std::string& arg : binary.args) {
      if (arg.starts_with(kTimeScaleFlag)) {
        return std::atoi(arg.c_str() + strlen(kTimeScaleFlag));
      }
    }
  }
  return fallback;
}

}  // namespace

std::string_view GuestFailureName(GuestFailure failure) {
  switch (failure) {
    case GuestFailure::kNone:
      return "none";
    case GuestFailure::kPanic:
      return "panic";
    case GuestFailure::kOops:
      return "oops";
    case GuestFailure::kHang:
      return "hang";
    case GuestFailure::kSilent:
      return "silent";
    case GuestFailure::kBadStream:
      return "bad result stream";
    case GuestFailure::kQemuFailed:
      return "qemu failed";
  }
  return "unknown";
}

GuestRun RunInGuest(const GuestRequest& request) {
  if (request.kernel.image_path.empty() || !IsFile(request.kernel.image_path)) {
    throw std::runtime_error("kernel image '" + request.kernel.image_path +
                             "' of " + request.kernel.label + ": not a file");
  }
  if (request.work_dir.empty()) {
    throw std::runtime_error("RunInGuest needs a work_dir");
  }
  std::error_code error;
  fs::create_directories(request.work_dir, error);
  if (error) {
    throw std::system_error(error, "create work dir " + request.work_dir);
  }
  for (const GuestBinary& binary : request.binaries) {
    CheckGuestName(binary.name, "binary name");
    if (!IsFile(binary.host_path)) {
      throw std::runtime_error("binary " + binary.name + ": " +
                               binary.host_path + " is not a file");
    }
  }
  if (!request.init_override.empty() && !IsFile(request.init_override)) {
    throw std::runtime_error("init " + request.init_override + ": not a file");
  }
  std::vector<PlanProbe> probes;
  for (const std::string& name : request.probe_syscalls) {
    const long number = X86_64SyscallNumber(name);
    if (number < 0) {
      throw std::runtime_error("probe_syscalls: '" + name +
                               "' is not an x86-64 system call name");
    }
    probes.push_back({name, number});
  }
  auto report = [&](const GuestProgress& progress) {
    if (request.progress) request.progress(progress);
  };

  GuestRun run_template;
  run_template.kernel = request.kernel;
  std::string accelerator =
      request.accelerator == Accelerator::kKvm ? "kvm" : "tcg";
  if (request.accelerator == Accelerator::kAuto) {
    report({"", 0, request.binaries.size(), "probing KVM"});
    const KvmAnswer kvm = KvmAnswerFor(request);
    accelerator = kvm.works ? "kvm" : "tcg";
    run_template.accelerator_note = kvm.note;
  }
  run_template.accelerator = accelerator;
  const int scale = accelerator == "kvm" ? kKvmTimeScale : kTcgTimeScale;
  run_template.time_scale = ScaleFromArgs(request.binaries, scale);

  std::vector<GuestBinary> binaries = request.binaries;
  seconds sum_of_limits(0);
  for (GuestBinary& binary : binaries) {
    if (binary.time_limit.count() <= 0) {
      binary.time_limit = kBinaryTimeLimitPerScale * scale;
    }
    if (ScaleFromArgs({binary}, 0) == 0) {
      binary.args.push_back(kTimeScaleFlag + std::to_string(scale));
    }
    sum_of_limits += binary.time_limit;
  }

  const ModulePlan modules =
      PlanModules(request.kernel.modules_dir, request.modules);
  const Initramfs initramfs =
      BuildInitramfs(request, modules, probes, binaries, "initramfs.cpio");

  const seconds allowance = BootAllowance(accelerator);
  const seconds probe_time(2 * static_cast<long>(probes.size()));
  const seconds total_limit = request.time_limit.count() > 0
                                  ? request.time_limit
                                  : allowance + probe_time + sum_of_limits;
  QemuConfig config;
  config.kernel_path = request.kernel.image_path;
  config.initrd_path = initramfs.path;
  config.accelerator = accelerator;
  config.cpus = request.cpus;
  config.memory_mib = request.memory_mib;
  config.console_log_path = request.work_dir + "/console.log";
  config.results_path = request.work_dir + "/results.stream";
  QemuLimits limits;
  limits.total = total_limit;
  limits.first_output = std::min(allowance, total_limit);
  limits.silence = std::min(allowance, total_limit);

  // Progress as the stream grows.
  std::string stream_bytes;
  size_t decoded = 0;
  size_t finished = 0;
  QemuWatch watch;
  watch.cancelled = request.cancelled;
  // A KVM that stops with an internal error leaves QEMU paused, forever.
  if (accelerator == "kvm") watch.abort_on_stderr = KvmStopped;
  watch.on_results = [&](std::string_view bytes) {
    stream_bytes.append(bytes);
    if (!request.progress) return;
    const DecodedStream partial =
        DecodeResultStream(std::string_view(stream_bytes));
    for (; decoded < partial.records.size(); ++decoded) {
      const Record& record = partial.records[decoded];
      if (record.kind == kRecordUname) {
        const std::vector<std::string> lines = Lines(record.payload);
        report({"", finished, binaries.size(),
                "booted " + (lines.size() > 1 ? lines[1] : std::string())});
      } else if (record.kind == kRecordStart) {
        report(
            {record.name, finished, binaries.size(), "running " + record.name});
      } else if (record.kind == kRecordResult) {
        ++finished;
        GuestBinaryResult result;
        ParseResultPayload(record.payload, &result);
        const std::vector<std::string> lines = Lines(record.payload);
        report({record.name, finished, binaries.size(),
                record.name + ": " + (lines.empty() ? "?" : lines[0]) + " in " +
                    Seconds(result.seconds) + " s"});
      }
    }
  };
  report({"", 0, binaries.size(), "booting (" + accelerator + ")"});
  const QemuOutcome outcome =
      RunQemu(config, limits, request.work_dir + "/qemu.log", watch);
  if (outcome.end == QemuOutcome::End::kCancelled) {
    throw std::runtime_error("interrupted: QEMU for " + request.kernel.label +
                             " was stopped");
  }

  const DecodedStream stream =
      DecodeResultStream(ReadTextOrEmpty(config.results_path));
  GuestRun run = run_template;
  const RecordsSeen seen = ApplyRecords(stream.records, &run);
  run.console_log_path = config.console_log_path;
  run.seconds = outcome.seconds;
  run.boot_seconds = std::max(0.0, outcome.first_output_seconds);
  for (const std::string& name : modules.builtin) {
    run.modules_loaded.push_back(name);
  }
  for (const std::string& why : modules.errors) {
    run.module_errors.push_back(why);
  }
  for (const std::string& note : initramfs.notes) {
    run.init_notes.push_back(note);
  }
  RunLimits run_limits;
  run_limits.silence = std::chrono::duration_cast<seconds>(limits.silence);
  run_limits.total = total_limit;
  ClassifyRun(outcome, stream, seen, ReadTextOrEmpty(config.console_log_path),
              run_limits, &run);
  return run;
}

}  // namespace ipcproof::kernels
