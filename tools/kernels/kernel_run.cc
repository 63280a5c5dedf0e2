// kernel_run: runs conformance binaries inside another kernel under QEMU and
// writes what came back, for people debugging a kernel (verify --kernel is
// what grades one).
//
//   tools/bazel run //tools/kernels:kernel_run -- --kernel linux-6.1
//       --out /tmp/k61 [--binary conformance/pipe/pipe_test ...]
//
// OUT/summary.txt (also on stdout), OUT/<binary>.xml and OUT/<binary>.out
// (the tail of its output) per binary, OUT/guest/ (console.log: the
// kernel's log; results.stream; qemu.log). Exit status: 0 when the guest
// reported and every binary exited 0; 1 when the guest failed or a binary
// did not; 2 for a usage error or a kernel that does not resolve.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "tools/kernels/guest_run.h"
#include "tools/kernels/kernel_resolver.h"

namespace ipcproof::kernels {
namespace {

namespace fs = std::filesystem;

constexpr char kSuiteFile[] = "tools/kernels/kernel_run_suite.txt";

volatile sig_atomic_t interrupted = 0;
void OnInterrupt(int) { interrupted = 1; }

std::string RunfilesRoot() {
  if (const char* dir = std::getenv("RUNFILES_DIR"); dir && *dir) {
    if (fs::exists(std::string(dir) + "/ipcproof")) {
      return std::string(dir) + "/ipcproof";
    }
  }
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (!error && fs::exists(exe.string() + ".runfiles/ipcproof")) {
    return exe.string() + ".runfiles/ipcproof";
  }
  return "";
}

std::string UserPath(const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  if (const char* dir = std::getenv("BUILD_WORKING_DIRECTORY"); dir && *dir) {
    return std::string(dir) + "/" + path;
  }
  return fs::absolute(path).string();
}

// "conformance/pipe/pipe_test" from the runfiles, or a file path.
GuestBinary FindBinary(const std::string& spec, const std::string& runfiles) {
  GuestBinary binary;
  if (!runfiles.empty() && fs::is_regular_file(runfiles + "/" + spec)) {
    binary.name = spec;
    binary.host_path = runfiles + "/" + spec;
    return binary;
  }
  const std::string path = UserPath(spec);
  if (!fs::is_regular_file(path)) {
    throw std::runtime_error("--binary " + spec +
                             ": neither a conformance binary in the runfiles "
                             "nor a file");
  }
  binary.host_path = path;
  // Keep the workspace-relative name when the path has one
  // (bazel-bin/conformance/pipe/pipe_test).
  const size_t at = path.find("/conformance/");
  binary.name = at != std::string::npos
                    ? path.substr(at + 1)
                    : "extra/" + fs::path(path).filename().string();
  return binary;
}

std::string Quoted(const std::string& text, const std::string& indent) {
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out += indent + line + "\n";
  return out;
}

// "tests=\"12\"" of the <testsuites> element, or "?".
std::string XmlCount(const std::string& xml, const std::string& attribute) {
  const size_t suites = xml.find("<testsuites");
  if (suites == std::string::npos) return "?";
  const size_t at = xml.find(" " + attribute + "=\"", suites);
  if (at == std::string::npos || at > xml.find('>', suites)) return "?";
  const size_t start = at + attribute.size() + 3;
  return xml.substr(start, xml.find('"', start) - start);
}

int Main(int argc, char** argv) {
  CLI::App app(
      "Runs conformance binaries inside another kernel under QEMU and writes "
      "each binary's XML, its output's tail and a summary.",
      "kernel_run");
  std::string kernel_spec, out_dir, init, accel = "auto", cache, lock, busybox,
                                          filter, timeout;
  std::vector<std::string> binaries, modules = {"veth"}, probes, extra_args;
  int cpus = 2, memory = 2048, binary_limit = 0, boot_limit = 0;
  bool no_modules = false;
  app.add_option("--kernel", kernel_spec,
                 "linux-6.1 | linux-6.12 | a Debian package[=VERSION] | a "
                 "bzImage path")
      ->required();
  app.add_option("--out", out_dir, "where the results go (created)")
      ->required();
  app.add_option("--binary", binaries,
                 "a conformance binary (conformance/pipe/pipe_test) or a "
                 "path; repeatable; default: every conformance binary");
  app.add_option("--filter", filter, "--gtest_filter for every binary");
  app.add_option("--arg", extra_args, "one more argument for every binary");
  app.add_option("--timeout", timeout,
                 "the per-test watchdog (--ipcproof_timeout), seconds");
  app.add_option("--init", init,
                 "a static program to run as /init instead of the real one");
  app.add_option("--module", modules,
                 "a module to load first (modules.dep); default: veth");
  app.add_flag("--no-modules", no_modules, "load no module");
  app.add_option("--probe", probes,
                 "a system call to probe for ENOSYS; repeatable");
  app.add_option("--accel", accel, "auto (KVM if it boots, else TCG), tcg, kvm")
      ->check(CLI::IsMember({"auto", "tcg", "kvm"}));
  app.add_option("--cpus", cpus, "guest CPUs")->check(CLI::Range(1, 64));
  app.add_option("--memory", memory, "guest memory, MiB")
      ->check(CLI::Range(256, 1 << 20));
  app.add_option("--binary-limit", binary_limit,
                 "each binary's time limit, seconds (default: 60 s x the "
                 "time scale)")
      ->check(CLI::Range(1, 86400));
  app.add_option("--boot-limit", boot_limit,
                 "the whole boot's time limit, seconds (default: derived)")
      ->check(CLI::Range(1, 7 * 86400));
  app.add_option("--kernel-cache", cache, "the kernel cache directory");
  app.add_option("--lock", lock, "the lock file (default: the workspace's)");
  app.add_option("--busybox", busybox,
                 "static busybox for /bin/sh, cat, readlink (default "
                 "/bin/busybox)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  }

  ResolveOptions resolve;
  resolve.cache_dir = cache.empty() ? "" : UserPath(cache);
  resolve.lock_file = lock.empty() ? "" : UserPath(lock);
  const std::string runfiles = RunfilesRoot();
  if (!runfiles.empty() &&
      fs::exists(runfiles + "/tools/kernels/fetch_kernel.sh")) {
    resolve.fetch_script = runfiles + "/tools/kernels/fetch_kernel.sh";
  }
  GuestRequest request;
  try {
    request.kernel = ResolveKernel(kernel_spec, resolve);
    if (binaries.empty()) {
      if (runfiles.empty()) {
        throw std::runtime_error(
            "no runfiles: name the binaries with --binary PATH");
      }
      std::ifstream suite(runfiles + "/" + kSuiteFile);
      for (std::string line; std::getline(suite, line);) {
        if (!line.empty()) binaries.push_back(line);
      }
      if (binaries.empty()) {
        throw std::runtime_error(runfiles + "/" + kSuiteFile +
                                 " lists no binary");
      }
    }
    for (const std::string& spec : binaries) {
      GuestBinary binary = FindBinary(spec, runfiles);
      if (!filter.empty()) binary.args.push_back("--gtest_filter=" + filter);
      if (!timeout.empty()) {
        binary.args.push_back("--ipcproof_timeout=" + timeout);
      }
      for (const std::string& arg : extra_args) binary.args.push_back(arg);
      binary.time_limit = std::chrono::seconds(binary_limit);
      request.binaries.push_back(std::move(binary));
    }
  } catch (const std::exception& error) {
    std::cerr << "kernel_run: " << error.what() << "\n";
    return 2;
  }
  if (!no_modules) request.modules = modules;
  request.probe_syscalls = probes;
  request.busybox_path = busybox.empty() ? "" : UserPath(busybox);
  request.accelerator = accel == "kvm"   ? Accelerator::kKvm
                        : accel == "tcg" ? Accelerator::kTcg
                                         : Accelerator::kAuto;
  request.cpus = cpus;
  request.memory_mib = memory;
  request.time_limit = std::chrono::seconds(boot_limit);
  const std::string out = UserPath(out_dir);
  request.work_dir = out + "/guest";
  request.init_override = init.empty() ? "" : UserPath(init);
  request.progress = [](const GuestProgress& progress) {
    std::cerr << "kernel_run: " << progress.text << "\n";
  };
  request.cancelled = [] { return interrupted != 0; };
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) {
    ::sigaction(signal, &action, nullptr);
  }

  GuestRun run;
  try {
    fs::create_directories(out);
    run = RunInGuest(request);
  } catch (const std::exception& error) {
    std::cerr << "kernel_run: " << error.what() << "\n";
    return 2;
  }
  fs::remove(request.work_dir + "/initramfs.cpio");

  std::ostringstream summary;
  summary << "kernel: " << run.kernel.label
          << (run.kernel.package.empty() ? "" : " [" + run.kernel.package + "]")
          << "\n  image: " << run.kernel.image_path
          << "\n  release: " << run.release << " " << run.version
          << "\n  accelerator: " << run.accelerator
          << (run.accelerator_note.empty() ? ""
                                           : " (" + run.accelerator_note + ")")
          << ", time scale " << run.time_scale
          << "\n  boot: " << run.boot_seconds << " s to the first record, "
          << run.seconds << " s in all\n"
          << "  tainted: " << run.tainted_before << " before, "
          << run.tainted_after << " after\n";
  for (const std::string& module : run.modules_loaded) {
    summary << "  module loaded: " << module << "\n";
  }
  for (const std::string& error : run.module_errors) {
    summary << "  module error: " << error << "\n";
  }
  for (const std::string& name : run.enosys_syscalls) {
    summary << "  ENOSYS: " << name << "\n";
  }
  for (const std::string& note : run.init_notes) {
    summary << "  init: " << note << "\n";
  }
  for (const std::string& warning : run.log_warnings) {
    summary << "  kernel log: " << warning << "\n";
  }
  int status = run.failure == GuestFailure::kNone ? 0 : 1;
  summary << "binaries:\n";
  for (const GuestBinaryResult& binary : run.binaries) {
    const fs::path xml = fs::path(out) / (binary.name + ".xml");
    fs::create_directories(xml.parent_path());
    if (!binary.xml.empty()) std::ofstream(xml, std::ios::binary) << binary.xml;
    std::ofstream(fs::path(out) / (binary.name + ".out"), std::ios::binary)
        << binary.output_tail;
    size_t skipped = 0;
    for (size_t at = binary.xml.find("result=\"skipped\"");
         at != std::string::npos;
         at = binary.xml.find("result=\"skipped\"", at + 1)) {
      ++skipped;
    }
    char line[512];
    std::snprintf(line, sizeof line,
                  "  %-45s %-10s %7.1f s  tests %s, failures %s, skipped %zu\n",
                  binary.name.c_str(),
                  binary.timed_out
                      ? "timeout"
                      : ("exit " + std::to_string(binary.exit_status)).c_str(),
                  binary.seconds, XmlCount(binary.xml, "tests").c_str(),
                  XmlCount(binary.xml, "failures").c_str(), skipped);
    summary << line;
    if (binary.timed_out || binary.exit_status != 0) status = 1;
  }
  if (run.binaries.size() < request.binaries.size()) {
    summary << "  (" << request.binaries.size() - run.binaries.size() << " of "
            << request.binaries.size() << " binaries reported nothing)\n";
    status = 1;
  }
  if (run.failure != GuestFailure::kNone) {
    summary << "FAILURE (" << GuestFailureName(run.failure) << "):\n"
            << Quoted(run.failure_message, "  ");
  }
  summary << "kernel log: " << run.console_log_path << "\n";
  std::ofstream(fs::path(out) / "summary.txt") << summary.str();
  std::cout << summary.str();
  return status;
}

}  // namespace
}  // namespace ipcproof::kernels

int main(int argc, char** argv) { return ipcproof::kernels::Main(argc, argv); }
