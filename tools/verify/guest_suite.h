// Runs the suite in a guest kernel through the kernel runner
// (tools/kernels/guest_run.h) and turns what comes back into what the host
// path gives: test results with reruns attached, the kernel's description
// and health, and the reasons some claims stay unverified there.
//
// One boot runs every binary the requirements let run; a second boot, only
// when tests failed, reruns each failed test alone. Inside a guest nothing
// is verify's own infrastructure: a binary that hangs, crashes or writes
// broken XML there, or a guest that panics, oopses, hangs or falls silent,
// is the kernel's result. It is never a pass: the claims whose tests did not
// report become unverified, naming what happened, and the run fails.
#ifndef TOOLS_VERIFY_GUEST_SUITE_H_
#define TOOLS_VERIFY_GUEST_SUITE_H_

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tools/kernels/guest_run.h"
#include "tools/verify/guest_timing.h"
#include "tools/verify/model.h"
#include "tools/verify/progress_display.h"
#include "tools/verify/requirements.h"
#include "tools/verify/suite_runner.h"
#include "tools/verify/unverified.h"

namespace ipcproof::verify {

// The scale the binaries' limits are computed with: kernels::kTcgTimeScale
// or kKvmTimeScale. "auto" gets TCG's: the limits are fixed before the boot
// decides, and a limit too long only slows the end of a hung binary, while
// one too short fails a sound kernel. (The binaries' --ipcproof_time_scale
// under auto is the runner's, from what it booted.)
int TimeScaleFor(kernels::Accelerator accelerator);

// The kernel runner; RunInGuest in verify, a fake in verify's tests.
using GuestRunner =
    std::function<kernels::GuestRun(const kernels::GuestRequest&)>;

struct GuestSettings {
  std::string label;  // unique in this run: the report's column
  std::string spec;   // as given to --kernel
  int test_timeout_seconds = 30;
  // --binary-timeout (host seconds): multiplied by the time scale here.
  std::optional<std::chrono::seconds> binary_bound;
  std::string gtest_filter;  // the selection's, as on the host
  kernels::Accelerator accelerator = kernels::Accelerator::kAuto;
  int cpus = 2;
  int memory_mib = 2048;
  // The guest's work directory (created if missing), and the same relative
  // to the report directory ("kernels/linux-6.1"), for KernelInfo.
  std::string work_dir;
  std::string work_dir_in_report;
  std::string busybox_path;  // "" = the runner's default
  // Polled while QEMU runs: true stops it (Ctrl+C), and the run throws.
  std::function<bool()> cancelled;
};

struct GuestSuiteRun {
  SuiteRun suite;  // the results that stand, reruns attached
  KernelInfo kernel;
  KernelHealth health;
  std::string release, version, machine;  // uname in the guest
  // Why claims stay unverified here (unverified.h).
  std::vector<FolderBlock> blocks;
  std::vector<TestGap> gaps;
  // One line per binary that did not report fully, with its last output,
  // for verify's stderr (KernelInfo.unreported has the same without it).
  std::vector<std::string> problems;
};

// `plan` is the host's listing of the selected binaries (PlanSuite);
// `requirements` every folder's. Throws InfrastructureError for what is
// not the kernel's doing: its config file cannot be read, the runner
// cannot even try (a missing binary, an unwritable work directory), QEMU
// cannot start, or the run was cancelled.
GuestSuiteRun RunSuiteInGuest(
    const kernels::KernelImage& image, const std::vector<PlannedBinary>& plan,
    const std::vector<FolderRequirements>& requirements,
    const GuestSettings& settings, const GuestRunner& runner,
    ProgressDisplay& progress);

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_GUEST_SUITE_H_
