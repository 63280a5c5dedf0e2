// What a guest run amounts to: the init's records turned into GuestRun's
// fields, and the run classified (GuestFailure) from how QEMU ended, the
// stream and the kernel's log, with a message that names the kernel and
// quotes the log's tail. Pure: RunInGuest (guest_run.cc) feeds it.
#ifndef TOOLS_KERNELS_GUEST_REPORT_H_
#define TOOLS_KERNELS_GUEST_REPORT_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "tools/kernels/guest_run.h"
#include "tools/kernels/guest_wire.h"
#include "tools/kernels/qemu.h"

namespace ipcproof::kernels {

// What the records say beyond GuestRun's fields, for the classification.
struct RecordsSeen {
  bool hello = false;        // the init got as far as its first record
  std::string fatal;         // the init's "fatal" record: why it gave up
  std::string running;       // a binary that started and never reported
  size_t running_index = 0;  // its place in the run (1-based)
};

// Fills `run`'s guest-reported fields (uname, taint, file systems,
// namespaces, /proc/config.gz decompressed, modules, ENOSYS calls, notes,
// binaries) from `records`.
RecordsSeen ApplyRecords(const std::vector<Record>& records, GuestRun* run);

struct RunLimits {
  std::chrono::seconds silence{0};  // first record / heartbeat limit
  std::chrono::seconds total{0};    // the whole boot's limit
};

// Sets run->failure, run->failure_message and run->log_warnings. The order
// decides when several apply: QEMU failed, panic, hang, malformed stream,
// silent, oops. The message names run->kernel.label and the release (the
// guest's uname, else the modules directory's name) and ends with the last
// 20 lines of `console_log` (run->console_log_path names the file).
void ClassifyRun(const QemuOutcome& outcome, const DecodedStream& stream,
                 const RecordsSeen& seen, std::string_view console_log,
                 const RunLimits& limits, GuestRun* run);

// A "result" record's payload ("exit 3\nseconds 1.5\n", "signal 9 ...",
// "timeout ...", "not started: why ...") into `result`.
void ParseResultPayload(const std::string& payload, GuestBinaryResult* result);

// gzip (/proc/config.gz) → its bytes; "" and `error` set when it does not
// inflate.
std::string Gunzip(std::string_view compressed, std::string* error);

}  // namespace ipcproof::kernels

#endif  // TOOLS_KERNELS_GUEST_REPORT_H_
