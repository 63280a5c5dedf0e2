// count_copies: runs the suite's own named transfers
// (conformance/kit/named_transfers.h) under the eBPF copy counters, exactly
// as copy_count_test counts them (counted_transfer.h: A under label 1, B
// under label 2, every buffer faulting on each page, whole-page chunks), and
// prints what each method counted. A debugging tool for a kernel under test,
// not a test: it asserts nothing about the copies, only that the bytes
// arrived.
//
//   tools/bazel run //conformance/copy:count_copies -- --method both
//   tools/bazel run //tools/kernels:kernel_run -- --kernel linux-6.12
//       --out /tmp/k612 --binary bazel-bin/conformance/copy/count_copies
//
// Options: --method page_faults|fentry|both (default both; with both, each
// transfer runs once with the two counters attached at once, or with the
// page-fault counter alone where fentry does not start); --size BYTES
// (rounded up to whole pages; default copy_count_test's TransferSize);
// --transfer NAME, repeatable (default: every named transfer). The kernel
// runner's --ipcproof_time_scale=N scales the kit's deadlines, as it does
// for a conformance binary; any other argument is ignored.
//
// Per transfer: each method's DescribeCopies, each process's user copies as
// bytes / N (N: the bytes moved), and, with both methods, whether they agree
// (MethodsAgree: per label and direction, within a page per call). A
// summary, one line per transfer, comes last: the kernel runner keeps only
// the output's tail.
//
// Exit status: 0 when every transfer it ran delivered exactly and every
// method asked for started; 1 when a method could not start (the kernel's
// answer is printed); 2 when a transfer failed (before 1); 64 for a bad
// --method, --size or --transfer.
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "bpf/copy_counter.h"
#include "bpf/function_copies.h"
#include "conformance/copy/counted_transfer.h"
#include "conformance/kit/memory.h"
#include "conformance/kit/named_transfers.h"
#include "conformance/kit/namespaces.h"
#include "conformance/runner/wire.h"

namespace ipcproof {
namespace {

using bpf::CopyCounter;
using bpf::CopyCounts;
using bpf::CopyMethod;
using bpf::ProcessCopies;

constexpr int kExitMethodUnavailable = 1;
constexpr int kExitTransferFailed = 2;
constexpr int kExitUsage = 64;

struct Options {
  std::vector<CopyMethod> methods = {CopyMethod::kPageFaults,
                                     CopyMethod::kFunctionEntry};
  size_t size = 0;  // 0: TransferSize(chunk)
  std::vector<const NamedTransfer*> transfers;
};

// The options, or the usage error (thrown as std::invalid_argument).
Options Parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    // "--name VALUE" or "--name=VALUE".
    auto value = [&](std::string_view name) -> std::optional<std::string> {
      if (arg == name) {
        if (i + 1 == argc) {
          throw std::invalid_argument(std::string(name) + " needs a value");
        }
        return std::string(argv[++i]);
      }
      if (arg.starts_with(name) && arg.size() > name.size() &&
          arg[name.size()] == '=') {
        return std::string(arg.substr(name.size() + 1));
      }
      return std::nullopt;
    };
    if (auto method = value("--method")) {
      if (*method == "page_faults") {
        options.methods = {CopyMethod::kPageFaults};
      } else if (*method == "fentry") {
        options.methods = {CopyMethod::kFunctionEntry};
      } else if (*method != "both") {
        throw std::invalid_argument("--method " + *method +
                                    ": not page_faults, fentry or both");
      }
    } else if (auto size = value("--size")) {
      const char* end = size->data() + size->size();
      const auto [at, error] = std::from_chars(size->data(), end, options.size);
      if (error != std::errc() || at != end || options.size == 0) {
        throw std::invalid_argument("--size " + *size +
                                    ": not a positive number of bytes");
      }
    } else if (auto name = value("--transfer")) {
      options.transfers.push_back(&TransferNamed(*name));  // throws if unknown
    } else if (auto scale = value("--ipcproof_time_scale")) {
      ::setenv(internal::kTimeScaleEnv, scale->c_str(), 1);
    }
  }
  if (options.transfers.empty()) {
    for (const NamedTransfer& transfer : AllTransfers()) {
      options.transfers.push_back(&transfer);
    }
  }
  return options;
}

// The kit puts source and sink files in the runner's per-test directory
// ($IPCPROOF_TEST_TMPDIR, kit/temp_path.h); run on its own, the tool makes
// one under $TMPDIR and removes it at the end (the transfers remove their
// files first).
class ToolTempDir {
 public:
  ToolTempDir() {
    if (const char* given = std::getenv(internal::kTestTempDirEnv);
        given != nullptr && *given != '\0') {
      return;
    }
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp ? tmp : "/tmp") +
                          "/count_copies.XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp(" + pattern +
                               "): " + std::strerror(errno));
    }
    made_ = pattern;
    ::setenv(internal::kTestTempDirEnv, made_.c_str(), 1);
  }
  ~ToolTempDir() {
    if (!made_.empty()) ::rmdir(made_.c_str());
  }
  ToolTempDir(const ToolTempDir&) = delete;
  ToolTempDir& operator=(const ToolTempDir&) = delete;

 private:
  std::string made_;
};

std::string Ratio(uint64_t bytes, size_t size) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f",
                static_cast<double>(bytes) / static_cast<double>(size));
  return text;
}

// "A 2.00 (to 1.00, from 1.00)  B 2.00 (to 1.00, from 1.00)": each
// process's user copies as bytes / size.
std::string UserCopies(const CopyCounts& counts, size_t size) {
  std::string text;
  for (const uint32_t label : {kSender, kReceiver}) {
    const ProcessCopies process = counts.Of(label);
    if (!text.empty()) text += "  ";
    text += std::string(label == kSender ? "A " : "B ") +
            Ratio(process.user_bytes(), size) + " (to " +
            Ratio(process.to_user_bytes, size) + ", from " +
            Ratio(process.from_user_bytes, size) + ")";
  }
  return text;
}

struct Started {
  std::vector<std::unique_ptr<CopyCounter>> counters;
  std::string refused;  // one line per method that did not start
};

Started StartCounters(const std::vector<CopyMethod>& methods) {
  Started started;
  for (const CopyMethod method : methods) {
    try {
      started.counters.push_back(CopyCounter::Start(method));
      std::cout << CopyMethodName(method) << ": started";
      if (const auto* entry = dynamic_cast<const bpf::FunctionCopyCounter*>(
              started.counters.back().get())) {
        std::cout << "; " << entry->DescribeCoverage();
      }
      std::cout << "\n";
    } catch (const std::exception& refused) {
      // what() names the method and the kernel's answer.
      started.refused += std::string(CopyMethodName(method)) +
                         " did not start: " + refused.what() + "\n";
    }
  }
  std::cout << started.refused;
  return started;
}

// One transfer under `counters`: the report on stdout, the summary line
// returned. Sets `failed` when the bytes did not arrive exactly.
std::string CountOne(const NamedTransfer& transfer, const Options& options,
                     const std::vector<CopyCounter*>& counters,
                     const std::string& no_ipc_namespace, bool& failed) {
  const std::string name(transfer.name);
  std::cout << "== " << name << " (" << transfer.calls << ")\n";
  auto skip = [&](const std::string& why) {
    std::cout << "  skipped: " << why << "\n";
    return name + ": skipped: " + why;
  };
  if (transfer.kind == TransferKind::kMessageQueue &&
      !no_ipc_namespace.empty()) {
    return skip("no private IPC namespace: " + no_ipc_namespace);
  }
  const size_t page = SystemPageSize();
  const size_t chunk = ChunkFor(transfer.name);
  if (chunk < page) {
    return skip("the queue's limits leave less than a page per message");
  }
  const size_t size = options.size != 0
                          ? (options.size + page - 1) / page * page
                          : TransferSize(chunk);
  const SourceFile source(size, /*seed=*/21);
  CountedTransfer run;
  try {
    run = RunCounted(transfer, source, chunk, counters);
  } catch (const TransferUnavailable& unavailable) {
    return skip(unavailable.what());
  } catch (const std::exception& error) {
    run.outcome.error = std::string("could not run: ") + error.what();
  }
  const ::testing::AssertionResult delivered =
      Delivered(transfer.name, run.outcome, source);
  if (!delivered) {
    failed = true;
    std::cout << "  TRANSFER FAILED: " << delivered.message() << "\n";
    return name + ": TRANSFER FAILED";
  }
  std::cout << "  delivered " << size << " bytes exactly, in " << chunk
            << "-byte chunks\n";
  std::string line = name;
  for (const CopyCounts& counts : run.counts) {
    const std::string copies = UserCopies(counts, size);
    std::cout << DescribeCopies(counts) << "  " << CopyMethodName(counts.method)
              << ", user copies / N: " << copies << "\n";
    line += " | " + std::string(CopyMethodName(counts.method)) + " " + copies;
  }
  if (run.counts.size() == 2) {
    const ::testing::AssertionResult agree =
        MethodsAgree(run.counts[0], run.counts[1]);
    std::cout << "  "
              << (agree ? "methods agree" : std::string(agree.message()))
              << "\n";
    line += agree ? " | agree" : " | METHODS DIFFER";
  }
  return line;
}

int Main(int argc, char** argv) {
  Options options;
  try {
    options = Parse(argc, argv);
  } catch (const std::invalid_argument& error) {
    std::cerr << "count_copies: " << error.what()
              << "\nusage: count_copies [--method page_faults|fentry|both] "
                 "[--size BYTES] [--transfer NAME]...\n";
    return kExitUsage;
  }
  // Queues in an IPC namespace of the tool's own, entered before anything
  // could start a thread (kit/namespaces.h): nothing can leak onto the host.
  std::string no_ipc_namespace;
  for (const NamedTransfer* transfer : options.transfers) {
    if (transfer->kind != TransferKind::kMessageQueue) continue;
    const IpcNamespaceResult entered = EnterPrivateIpcNamespace();
    if (!entered.entry) no_ipc_namespace = entered.failure;
    break;
  }
  const ToolTempDir temp_dir;

  // Page faults first: run.counts[0] and [1] are then what MethodsAgree
  // takes.
  Started started = StartCounters(options.methods);
  if (started.counters.empty()) return kExitMethodUnavailable;
  std::vector<CopyCounter*> counters;
  for (const auto& counter : started.counters)
    counters.push_back(counter.get());

  bool failed = false;
  std::string summary;
  for (const NamedTransfer* transfer : options.transfers) {
    summary +=
        CountOne(*transfer, options, counters, no_ipc_namespace, failed) + "\n";
  }
  std::cout << "\nsummary (per method, each process's user copies / N):\n"
            << summary << started.refused << std::flush;
  if (failed) return kExitTransferFailed;
  return started.refused.empty() ? 0 : kExitMethodUnavailable;
}

}  // namespace
}  // namespace ipcproof

int main(int argc, char** argv) { return ipcproof::Main(argc, argv); }
