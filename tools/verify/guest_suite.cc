#include "tools/verify/guest_suite.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include "tools/verify/gtest_xml_reader.h"
#include "tools/verify/output_directory.h"
#include "tools/verify/verify_error.h"

namespace ipcproof::verify {
namespace {

using kernels::GuestBinary;
using kernels::GuestBinaryResult;
using kernels::GuestFailure;
using kernels::GuestRequest;
using kernels::GuestRun;

// "linux-6.1 panicked before conformance/mq/posix_mq_test reported".
std::string FailedVerb(GuestFailure failure) {
  switch (failure) {
    case GuestFailure::kNone:
      return "";
    case GuestFailure::kPanic:
      return "panicked";
    case GuestFailure::kOops:
      return "oopsed";
    case GuestFailure::kHang:
      return "hung (no end record within its time limit)";
    case GuestFailure::kSilent:
      return "stopped without an end record";
    case GuestFailure::kBadStream:
      return "sent a broken result stream";
    case GuestFailure::kQemuFailed:
      return "could not be started by QEMU";
  }
  return "failed";
}

std::string LastLine(std::string tail) {
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) {
    tail.pop_back();
  }
  const size_t newline = tail.find_last_of('\n');
  return newline == std::string::npos ? tail : tail.substr(newline + 1);
}

std::string FirstLine(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

std::string DescribeExit(int status) {
  if (status > 128 && status < 128 + 65) {
    const char* name = ::sigabbrev_np(status - 128);
    return std::string("was killed by SIG") +
           (name != nullptr ? name : std::to_string(status - 128));
  }
  return "exited with status " + std::to_string(status);
}

void MakeDirectories(const std::string& path) {
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    const std::string prefix = path.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      throw InfrastructureError(DescribeErrno("mkdir(" + prefix + ")", errno));
    }
    if (slash == std::string::npos) break;
  }
}

// The runner leaves what it booted in the work directory: the initramfs
// and the init it packed (also in kvm-probe/, from deciding --accel auto).
// The report keeps the kernel's log and the result stream, not a copy of
// every binary.
void RemoveInitramfs(const std::string& work_dir) {
  for (const std::string& dir : {work_dir, work_dir + "/kvm-probe"}) {
    DIR* listing = ::opendir(dir.c_str());
    if (listing == nullptr) continue;
    std::vector<std::string> doomed;
    while (const dirent* entry = ::readdir(listing)) {
      const std::string name = entry->d_name;
      if (name.starts_with("initramfs") || name.ends_with(".cpio") ||
          name.ends_with(".cpio.gz") || name == "guest_init") {
        doomed.push_back(dir + "/" + name);
      }
    }
    ::closedir(listing);
    for (const std::string& path : doomed) RemoveTree(path);
  }
}

// One file per binary, named as on the host (two of one name in different
// folders keep apart).
class LogNames {
 public:
  std::string For(const std::string& binary) {
    const auto known = names_.find(binary);
    if (known != names_.end()) return known->second;
    const size_t slash = binary.find_last_of('/');
    std::string name =
        slash == std::string::npos ? binary : binary.substr(slash + 1);
    if (!used_.insert(name).second) {
      name = binary;
      std::replace(name.begin(), name.end(), '/', '.');
      used_.insert(name);
    }
    names_[binary] = name;
    return name;
  }

 private:
  std::map<std::string, std::string> names_;
  std::set<std::string> used_;
};

class GuestSuite {
 public:
  GuestSuite(const kernels::KernelImage& image,
             const std::vector<PlannedBinary>& plan,
             const std::vector<FolderRequirements>& requirements,
             const GuestSettings& settings, const GuestRunner& runner,
             ProgressDisplay& progress)
      : image_(image),
        plan_(plan),
        requirements_(RequirementsOf(requirements, BinaryNames(plan))),
        settings_(settings),
        runner_(runner),
        progress_(progress),
        scale_(TimeScaleFor(settings.accelerator)) {}

  GuestSuiteRun Run() {
    out_.kernel.label = settings_.label;
    out_.kernel.spec = settings_.spec;
    out_.kernel.guest = true;
    out_.kernel.package = image_.package;
    out_.kernel.image_path = image_.image_path;
    out_.kernel.time_scale = scale_;
    MakeDirectories(settings_.work_dir);

    CheckBeforeBoot();
    std::vector<const PlannedBinary*> to_run;
    for (const PlannedBinary& planned : plan_) {
      if (before_.Missing(FolderOf(planned.binary.name)).empty()) {
        to_run.push_back(&planned);
      }
    }
    if (to_run.empty()) {
      out_.kernel.config_source = config_ ? config_->source : "";
      Finish();
      return std::move(out_);
    }

    const GuestRequest request = Request(to_run, settings_.work_dir);
    // The runner says what it does ("probing KVM", "booting (tcg)", each
    // binary's end) through the request's progress callback.
    const GuestRun run = Boot(request);
    Describe(run);
    Collect(run, to_run);
    Rerun(run, to_run);
    CheckAfterBoot(run);
    Finish();
    return std::move(out_);
  }

 private:
  void CheckBeforeBoot() {
    if (!image_.config_path.empty()) {
      const std::string name =
          image_.config_path.substr(image_.config_path.find_last_of('/') + 1);
      config_ = ReadKernelConfig(
          image_.config_path,
          (image_.package.empty() ? "config file " : "package boot/") + name);
    }
    KernelFacts facts;
    facts.label = settings_.label;
    facts.config = config_;
    facts.available_modules = ModulesOnDisk(image_.modules_dir);
    before_ = CheckRequirements(requirements_, facts);
    for (const FolderCheck& check : before_.folders) {
      if (!check.missing.empty()) {
        out_.blocks.push_back({check.folder, check.missing.front()});
      }
    }
  }

  // Under auto the runner adds --ipcproof_time_scale itself, from the
  // accelerator that booted.
  std::vector<std::string> BinaryArgs() const {
    std::vector<std::string> args = {
        "--ipcproof_timeout=" + std::to_string(settings_.test_timeout_seconds)};
    if (settings_.accelerator != kernels::Accelerator::kAuto) {
      args.push_back("--ipcproof_time_scale=" + std::to_string(scale_));
    }
    return args;
  }

  std::chrono::seconds Bound(int tests) const {
    if (settings_.binary_bound) return *settings_.binary_bound * scale_;
    return GuestBinaryBound(tests, scale_);
  }

  GuestRequest Request(const std::vector<const PlannedBinary*>& binaries,
                       const std::string& work_dir) const {
    GuestRequest request;
    request.kernel = image_;
    std::vector<FolderRequirements> running;
    for (const PlannedBinary* planned : binaries) {
      GuestBinary binary;
      binary.name = planned->binary.name;
      binary.host_path = planned->binary.path;
      binary.args = BinaryArgs();
      if (!settings_.gtest_filter.empty()) {
        binary.args.push_back("--gtest_filter=" + settings_.gtest_filter);
      }
      binary.time_limit = Bound(static_cast<int>(planned->tests.size()));
      request.binaries.push_back(std::move(binary));
      for (const FolderRequirements& folder : requirements_) {
        if (folder.folder == FolderOf(planned->binary.name) &&
            std::none_of(running.begin(), running.end(),
                         [&](const FolderRequirements& f) {
                           return f.folder == folder.folder;
                         })) {
          running.push_back(folder);
        }
      }
    }
    request.modules = before_.Modules();
    request.probe_syscalls =
        SyscallsToProbe(running, /*config_known=*/config_.has_value());
    request.busybox_path = settings_.busybox_path;
    request.accelerator = settings_.accelerator;
    request.cpus = settings_.cpus;
    request.memory_mib = settings_.memory_mib;
    request.work_dir = work_dir;
    request.cancelled = settings_.cancelled;
    request.progress = [this](const kernels::GuestProgress& report) {
      // On a terminal the line follows the guest; in a log, the lines
      // that say something happened (booted, a binary's end).
      if (report.text.starts_with("running ") && !progress_.terminal()) return;
      progress_.Status("verify: " + KernelPrefix(settings_.label) + "[" +
                       std::to_string(report.finished) + "/" +
                       std::to_string(report.total) + "] " + report.text);
    };
    return request;
  }

  GuestRun Boot(const GuestRequest& request) {
    GuestRun run;
    try {
      run = runner_(request);
    } catch (const std::exception& error) {
      throw InfrastructureError(settings_.label + ": " + error.what());
    }
    RemoveInitramfs(request.work_dir);
    if (run.failure == GuestFailure::kQemuFailed) {
      throw InfrastructureError(settings_.label + ": QEMU failed: " +
                                (run.failure_message.empty()
                                     ? std::string("(no message)")
                                     : run.failure_message));
    }
    return run;
  }

  void Describe(const GuestRun& run) {
    KernelInfo& kernel = out_.kernel;
    kernel.accelerator = run.accelerator;
    kernel.accelerator_note = run.accelerator_note;
    if (run.time_scale > 0) kernel.time_scale = run.time_scale;
    kernel.boot_seconds = run.boot_seconds;
    kernel.modules_loaded = run.modules_loaded;
    kernel.init_notes = run.init_notes;
    if (run.failure != GuestFailure::kNone) {
      kernel.failure = std::string(kernels::GuestFailureName(run.failure));
      kernel.failure_message = run.failure_message;
    }
    kernel.console_log = InReport(run.console_log_path);
    out_.release = run.release;
    out_.version = run.version;
    out_.machine = run.machine;
    out_.health.tainted_before = run.tainted_before;
    out_.health.tainted_after = run.tainted_after;
    out_.health.warnings = run.log_warnings;
  }

  // The log's path as the report names it: under the report directory when
  // the runner wrote it into the work directory.
  std::string InReport(const std::string& path) const {
    const std::string prefix = settings_.work_dir + "/";
    if (!settings_.work_dir_in_report.empty() && path.starts_with(prefix)) {
      return settings_.work_dir_in_report + "/" + path.substr(prefix.size());
    }
    return path;
  }

  void Gap(const PlannedBinary& planned, const std::string& test,
           const std::string& sentence) {
    out_.gaps.push_back({planned.binary.name, test, sentence});
  }

  // The binary did not report (all of) its tests: the sentence goes into
  // the report, and with its last output onto stderr.
  void Unreported(const std::string& sentence, const std::string& tail) {
    out_.kernel.unreported.push_back(sentence);
    std::string line = sentence;
    const std::string last = LastLine(tail);
    if (!last.empty()) line += "; its last output: \"" + last + "\"";
    out_.problems.push_back(line);
  }

  static const GuestBinaryResult* Find(const GuestRun& run,
                                       const std::string& name) {
    for (const GuestBinaryResult& result : run.binaries) {
      if (result.name == name) return &result;
    }
    return nullptr;
  }

  // What one binary reported; every listed test without a result is a gap.
  std::vector<TestResult> Results(const GuestRun& run,
                                  const PlannedBinary& planned) {
    const std::string& name = planned.binary.name;
    const std::string& label = settings_.label;
    const GuestBinaryResult* result = Find(run, name);
    auto gap_all = [&](const std::string& sentence) {
      for (const std::string& test : planned.tests) {
        Gap(planned, test, sentence);
      }
    };
    if (result == nullptr) {
      const std::string sentence =
          run.failure != GuestFailure::kNone
              ? label + " " + FailedVerb(run.failure) + " before " + name +
                    " reported"
              : "the kernel runner did not run " + name + " in " + label;
      out_.kernel.unreported.push_back(sentence);
      out_.problems.push_back(sentence);
      gap_all(sentence);
      return {};
    }
    logs_.emplace_back(name, result->output_tail);
    if (result->timed_out) {
      const std::string sentence =
          name + " ran past its " +
          std::to_string(
              Bound(static_cast<int>(planned.tests.size())).count()) +
          " s limit in " + label + " and was killed before it reported";
      Unreported(sentence, result->output_tail);
      gap_all(sentence);
      return {};
    }
    std::vector<TestResult> tests;
    std::string broken;
    if (result->xml.empty()) {
      broken = name + " wrote no XML in " + label;
    } else {
      try {
        tests = ParseGtestXml(result->xml, label + ": " + name + " XML", name);
      } catch (const InfrastructureError& error) {
        broken = name + "'s XML from " + label +
                 " is unreadable: " + FirstLine(error.what());
      }
    }
    const bool normal = result->exit_status == 0 || result->exit_status == 1;
    std::string ended;
    if (!normal)
      ended = name + " " + DescribeExit(result->exit_status) + " in " + label;
    if (!broken.empty()) {
      const std::string sentence = ended.empty() ? broken : ended;
      Unreported(sentence, result->output_tail);
      gap_all(sentence);
      return {};
    }
    std::set<std::string> reported;
    for (const TestResult& test : tests) reported.insert(test.full_name);
    std::vector<std::string> missing;
    for (const std::string& test : planned.tests) {
      if (!reported.contains(test)) missing.push_back(test);
    }
    if (!ended.empty() || !missing.empty()) {
      std::string sentence = ended;
      if (!missing.empty()) {
        sentence +=
            std::string(sentence.empty() ? name : ",") +
            " wrote no result for " + missing.front() +
            (missing.size() > 1
                 ? " and " + std::to_string(missing.size() - 1) + " more tests"
                 : "") +
            (ended.empty() ? " in " + label : "");
      }
      Unreported(sentence, result->output_tail);
      for (const std::string& test : missing) Gap(planned, test, sentence);
    }
    return tests;
  }

  void Collect(const GuestRun& run,
               const std::vector<const PlannedBinary*>& to_run) {
    for (size_t i = 0; i < to_run.size(); ++i) {
      const PlannedBinary& planned = *to_run[i];
      std::vector<TestResult> tests = Results(run, planned);
      if (Find(run, planned.binary.name) != nullptr) {
        out_.suite.binaries.push_back(planned.binary.name);
      }
      BinaryProgress counts;
      counts.kernel = settings_.label;
      counts.index = static_cast<int>(i + 1);
      counts.total = static_cast<int>(to_run.size());
      counts.binary = planned.binary.name;
      counts.tests = static_cast<int>(planned.tests.size());
      for (const TestResult& test : tests) {
        ++counts.done;
        if (test.first.status == TestStatus::kFailed) {
          ++counts.failed;
          progress_.Failure(counts, test.full_name);
        }
        if (test.first.status == TestStatus::kSkipped) ++counts.skipped;
      }
      progress_.Finished(counts);
      for (TestResult& test : tests)
        out_.suite.tests.push_back(std::move(test));
    }
  }

  // One more boot that reruns each failed test alone (a filter of exactly
  // the failed tests, binary by binary), unless the guest already failed:
  // a kernel that panicked is not asked again, and its failed tests stay
  // "not rerun".
  void Rerun(const GuestRun& first,
             const std::vector<const PlannedBinary*>& to_run) {
    if (first.failure != GuestFailure::kNone) return;
    std::map<std::string, std::vector<std::string>> failed;
    size_t count = 0;
    for (const TestResult& test : out_.suite.tests) {
      if (test.first.status != TestStatus::kFailed) continue;
      failed[test.binary].push_back(test.full_name);
      ++count;
    }
    if (failed.empty()) return;

    std::vector<PlannedBinary> reruns;
    for (const PlannedBinary* planned : to_run) {
      const auto found = failed.find(planned->binary.name);
      if (found == failed.end()) continue;
      reruns.push_back({planned->binary, found->second});
    }
    std::vector<const PlannedBinary*> pointers;
    for (const PlannedBinary& planned : reruns) pointers.push_back(&planned);
    GuestRequest request = Request(pointers, settings_.work_dir + "/rerun");
    for (size_t i = 0; i < request.binaries.size(); ++i) {
      GuestBinary& binary = request.binaries[i];
      std::erase_if(binary.args, [](const std::string& arg) {
        return arg.starts_with("--gtest_filter=");
      });
      std::string filter;
      for (const std::string& test : reruns[i].tests) {
        filter += (filter.empty() ? "" : ":") + test;
      }
      binary.args.push_back("--gtest_filter=" + filter);
    }
    progress_.Status("verify: " + KernelPrefix(settings_.label) + "rerunning " +
                     std::to_string(count) + " failed " +
                     (count == 1 ? "test" : "tests") +
                     " alone (a second boot)");
    const GuestRun run = Boot(request);
    if (run.failure != GuestFailure::kNone && out_.kernel.failure.empty()) {
      out_.kernel.failure = std::string(kernels::GuestFailureName(run.failure));
      out_.kernel.failure_message =
          "in the boot that reran the failed tests: " + run.failure_message;
    }
    if (run.tainted_before != run.tainted_after) {
      out_.health.tainted_after = run.tainted_after;
    }
    out_.health.warnings.insert(out_.health.warnings.end(),
                                run.log_warnings.begin(),
                                run.log_warnings.end());

    for (TestResult& test : out_.suite.tests) {
      if (test.first.status != TestStatus::kFailed) continue;
      const GuestBinaryResult* result = Find(run, test.binary);
      if (result == nullptr || result->xml.empty()) continue;
      std::vector<TestResult> again;
      try {
        again = ParseGtestXml(
            result->xml, settings_.label + ": " + test.binary + " rerun XML",
            test.binary);
      } catch (const InfrastructureError&) {
        continue;  // not rerun: the failure stands
      }
      for (const TestResult& candidate : again) {
        if (candidate.full_name != test.full_name) continue;
        test.rerun = candidate.first;
        progress_.Note("verify: " + KernelPrefix(settings_.label) +
                       test.binary + ": reran " + test.full_name + " alone: " +
                       std::string(TestStatusName(candidate.first.status)));
      }
    }
  }

  void CheckAfterBoot(const GuestRun& run) {
    KernelFacts facts;
    facts.label = settings_.label;
    facts.config = config_;
    if (config_) {
      out_.kernel.config_source = config_->source;
    } else if (!run.proc_config.empty()) {
      facts.config = ParseKernelConfig(run.proc_config, "/proc/config.gz");
      out_.kernel.config_source = "/proc/config.gz";
    } else {
      out_.kernel.config_source =
          "probed (/proc/filesystems, /proc/self/ns, system calls answering "
          "ENOSYS)";
    }
    facts.booted = true;
    facts.filesystems = run.filesystems;
    facts.namespaces = run.namespaces;
    facts.enosys_syscalls = run.enosys_syscalls;
    facts.modules_loaded = run.modules_loaded;
    facts.module_errors = run.module_errors;
    std::vector<FolderRequirements> ran;
    for (const FolderRequirements& folder : requirements_) {
      if (before_.Missing(folder.folder).empty()) ran.push_back(folder);
    }
    after_ = CheckRequirements(ran, facts);

    // A folder the guest shows lacking: its results are set aside (a page
    // of ENOSYS failures says nothing the sentence does not).
    std::set<std::string> set_aside;
    for (const FolderCheck& check : after_.folders) {
      if (check.missing.empty()) continue;
      out_.blocks.push_back({check.folder, check.missing.front()});
      set_aside.insert(check.folder);
    }
    std::erase_if(out_.suite.tests, [&](const TestResult& test) {
      return set_aside.contains(FolderOf(test.binary));
    });
  }

  void Finish() {
    KernelInfo& kernel = out_.kernel;
    for (const RequirementsCheck* check : {&before_, &after_}) {
      for (const std::string& sentence : check->AllMissing()) {
        if (std::find(kernel.missing_requirements.begin(),
                      kernel.missing_requirements.end(),
                      sentence) == kernel.missing_requirements.end()) {
          kernel.missing_requirements.push_back(sentence);
        }
      }
      for (const std::string& sentence : check->AllNotes()) {
        if (std::find(kernel.requirement_notes.begin(),
                      kernel.requirement_notes.end(),
                      sentence) == kernel.requirement_notes.end()) {
          kernel.requirement_notes.push_back(sentence);
        }
      }
    }
    if (logs_.empty()) return;
    MakeDirectories(settings_.work_dir + "/logs");
    LogNames names;
    for (const auto& [binary, tail] : logs_) {
      WriteFileAtomically(
          settings_.work_dir + "/logs/" + names.For(binary) + ".txt", tail);
    }
  }

  const kernels::KernelImage& image_;
  const std::vector<PlannedBinary>& plan_;
  const std::vector<FolderRequirements> requirements_;
  const GuestSettings& settings_;
  const GuestRunner& runner_;
  ProgressDisplay& progress_;
  const int scale_;

  std::optional<KernelConfig> config_;
  RequirementsCheck before_, after_;
  std::vector<std::pair<std::string, std::string>> logs_;
  GuestSuiteRun out_;
};

}  // namespace

int TimeScaleFor(kernels::Accelerator accelerator) {
  return accelerator == kernels::Accelerator::kKvm ? kernels::kKvmTimeScale
                                                   : kernels::kTcgTimeScale;
}

GuestSuiteRun RunSuiteInGuest(
    const kernels::KernelImage& image, const std::vector<PlannedBinary>& plan,
    const std::vector<FolderRequirements>& requirements,
    const GuestSettings& settings, const GuestRunner& runner,
    ProgressDisplay& progress) {
  return GuestSuite(image, plan, requirements, settings, runner, progress)
      .Run();
}

}  // namespace ipcproof::verify
