#include "tools/kernels/guest_report.h"

#include <sys/wait.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "tools/kernels/console_log.h"
#include "tools/kernels/text_files.h"

namespace ipcproof::kernels {
namespace {

namespace fs = std::filesystem;

constexpr size_t kLogTailLines = 20;

}  // namespace

void ParseResultPayload(const std::string& payload, GuestBinaryResult* result) {
  const std::vector<std::string> lines = Lines(payload);
  const std::string first = lines.empty() ? "" : lines[0];
  if (first.starts_with("exit ")) {
    result->exit_status = std::atoi(first.c_str() + 5);
  } else if (first.starts_with("signal ")) {
    result->exit_status = 128 + std::atoi(first.c_str() + 7);
  } else if (first == "timeout") {
    result->timed_out = true;
  } else {
    result->output_tail = first + "\n" + result->output_tail;
  }
  for (const std::string& line : lines) {
    if (line.starts_with("seconds "))
      result->seconds = std::atof(line.c_str() + 8);
  }
}

RecordsSeen ApplyRecords(const std::vector<Record>& records,
                         GuestRun* run_out) {
  GuestRun& run = *run_out;
  RecordsSeen seen;
  GuestBinaryResult current;
  for (const Record& record : records) {
    const std::string& kind = record.kind;
    if (kind == kRecordHello) {
      seen.hello = true;
    } else if (kind == kRecordUname) {
      const std::vector<std::string> lines = Lines(record.payload);
      if (lines.size() >= 4) {
        run.release = lines[1];
        run.version = lines[2];
        run.machine = lines[3];
      }
    } else if (kind == kRecordTaintedBefore) {
      run.tainted_before = Trim(record.payload);
    } else if (kind == kRecordTaintedAfter) {
      run.tainted_after = Trim(record.payload);
    } else if (kind == kRecordMountError || kind == kRecordNote) {
      run.init_notes.push_back((record.name.empty() ? "" : record.name + ": ") +
                               Trim(record.payload));
    } else if (kind == kRecordFilesystems) {
      // "nodev\tproc" / "\text4": the name is the last field.
      for (const std::string& line : Lines(record.payload)) {
        const size_t tab = line.rfind('\t');
        run.filesystems.push_back(
            Trim(tab == std::string::npos ? line : line.substr(tab + 1)));
      }
    } else if (kind == kRecordNamespaces) {
      run.namespaces = Lines(record.payload);
    } else if (kind == kRecordConfigGz) {
      std::string error;
      run.proc_config = Gunzip(record.payload, &error);
      if (!error.empty()) run.init_notes.push_back(error);
    } else if (kind == kRecordModuleLoaded) {
      run.modules_loaded.push_back(record.name);
    } else if (kind == kRecordModuleError) {
      run.module_errors.push_back(record.name + ": " + Trim(record.payload));
    } else if (kind == kRecordProbe) {
      if (record.payload == "enosys")
        run.enosys_syscalls.push_back(record.name);
    } else if (kind == kRecordStart) {
      current = GuestBinaryResult{};
      current.name = record.name;
      seen.running = record.name;
      ++seen.running_index;
    } else if (kind == kRecordOutput) {
      current.output_tail = record.payload;
    } else if (kind == kRecordXml) {
      current.xml = record.payload;
    } else if (kind == kRecordResult) {
      current.name = record.name;
      ParseResultPayload(record.payload, &current);
      run.binaries.push_back(current);
      current = GuestBinaryResult{};
      seen.running.clear();
    } else if (kind == kRecordFatal) {
      seen.fatal = record.payload;
    }
  }
  return seen;
}

namespace {

std::string KernelName(const GuestRun& run) {
  std::string release = run.release;
  if (release.empty() && !run.kernel.modules_dir.empty()) {
    release = fs::path(run.kernel.modules_dir).filename().string();
  }
  return run.kernel.label + (release.empty() ? "" : " (" + release + ")");
}

}  // namespace

void ClassifyRun(const QemuOutcome& outcome, const DecodedStream& stream,
                 const RecordsSeen& seen, std::string_view console_log,
                 const RunLimits& limits, GuestRun* run_out) {
  GuestRun& run = *run_out;
  const ConsoleScan scan = ScanConsoleLog(console_log);
  run.log_warnings = scan.warnings;
  const std::string& console_log_path = run.console_log_path;
  const std::chrono::seconds silence_limit = limits.silence;
  const std::chrono::seconds total_limit = limits.total;
  const std::string name = KernelName(run);
  const std::string when = Seconds(outcome.seconds) + " s into the run";
  std::string what;
  if (outcome.end == QemuOutcome::End::kNotStarted ||
      outcome.end == QemuOutcome::End::kAborted ||
      (outcome.end == QemuOutcome::End::kExited &&
       !(WIFEXITED(outcome.wait_status) &&
         WEXITSTATUS(outcome.wait_status) == 0) &&
       !seen.hello)) {
    run.failure = GuestFailure::kQemuFailed;
    what = "QEMU failed for " + name + ": " +
           (outcome.end == QemuOutcome::End::kNotStarted
                ? outcome.error
                : DescribeWaitStatus(outcome.wait_status) + ": " +
                      FirstLines(outcome.stderr_text, 4));
  } else if (!scan.panic_line.empty()) {
    run.failure = GuestFailure::kPanic;
    what = name + " panicked " + when + ": " +
           std::string(WithoutTimestamp(scan.panic_line));
  } else if (!stream.has_end &&
             (outcome.end == QemuOutcome::End::kTimeLimit ||
              outcome.end == QemuOutcome::End::kSilence ||
              outcome.end == QemuOutcome::End::kNoFirstOutput)) {
    run.failure = GuestFailure::kHang;
    if (outcome.end == QemuOutcome::End::kTimeLimit) {
      what = name + " hung: the run's time limit of " +
             std::to_string(total_limit.count()) +
             " s passed without the end record; QEMU was killed";
    } else if (outcome.end == QemuOutcome::End::kNoFirstOutput) {
      what = name + " hung: no result record within " +
             std::to_string(silence_limit.count()) +
             " s of QEMU's start (the kernel never reached /init, or /init "
             "never wrote to ttyS1); QEMU was killed";
    } else {
      what = name + " hung: the guest was silent for " +
             std::to_string(silence_limit.count()) + " s (no heartbeat), " +
             when + "; QEMU was killed";
    }
  } else if (!stream.error.empty() && !stream.truncated) {
    run.failure = GuestFailure::kBadStream;
    what = name + " sent a malformed result stream: " + stream.error;
  } else if (!stream.has_end) {
    run.failure = GuestFailure::kSilent;
    what = name + " stopped " + when + " without its end record (QEMU " +
           DescribeWaitStatus(outcome.wait_status) + ", no panic in the log)";
    if (!seen.fatal.empty()) {
      what += "; the init gave up: " + seen.fatal;
    }
    if (stream.truncated) what += "; the stream stops " + stream.error;
  } else if (!scan.oops_line.empty()) {
    run.failure = GuestFailure::kOops;
    what = name + " reported an oops: " +
           std::string(WithoutTimestamp(scan.oops_line));
  }
  if (run.failure == GuestFailure::kNone) return;
  if (!seen.running.empty() && run.failure != GuestFailure::kOops) {
    what += "; it was running " + seen.running + " (binary " +
            std::to_string(seen.running_index) + ")";
  }
  const std::string tail = ConsoleTail(console_log, kLogTailLines);
  what += "\nlast " + std::to_string(kLogTailLines) +
          " lines of the kernel log (" + console_log_path + "):\n" +
          (tail.empty() ? "(the log is empty)" : tail);
  if (run.failure == GuestFailure::kQemuFailed &&
      !outcome.stderr_text.empty()) {
    what += "\nQEMU said:\n" + outcome.stderr_text.substr(0, 2000);
  }
  run.failure_message = what;
}

std::string Gunzip(std::string_view compressed, std::string* error) {
  z_stream stream{};
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) {
    *error = "inflateInit2 failed";
    return "";
  }
  stream.next_in =
      reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = compressed.size();
  std::string out;
  char buffer[64 * 1024];
  int result = Z_OK;
  while (result == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    result = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - stream.avail_out);
    if (result == Z_BUF_ERROR && stream.avail_in == 0) break;
  }
  inflateEnd(&stream);
  if (result != Z_STREAM_END) {
    *error = "/proc/config.gz does not inflate (zlib " +
             std::to_string(result) + ")";
    return "";
  }
  return out;
}

}  // namespace ipcproof::kernels
