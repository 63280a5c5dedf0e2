// The copy counter's self-test (bpf/copy_counter.h): before the copy tests
// believe its figures, it must count copies whose size the kernel itself
// states, exactly, and show a copy it cannot attribute instead of hiding it.
//
// Every case runs for both methods: page faults (tracepoints only, so the
// host too) and function entry (fentry/fexit, refused on the host, where
// those cases skip with the kernel's answer, and run in the guests).
//
// What pins the figures: read(2), pread(2), write(2), pwrite(2) and
// process_vm_readv(2) return the number of bytes they moved between the
// caller's buffer and the kernel, so a call that returned N copied N bytes
// to (reads) or from (writes) user space, once each: read(2) "attempts to
// read up to count bytes ... into the buffer", write(2) "writes up to count
// bytes from the buffer". The counter must report exactly N, in that
// direction, by the routine of the file or pipe the call went through, in
// one call, with no byte left unattributed and no event dropped. Sizes: one
// page, 16 pages, 1024 pages (4 MiB: the pipe case then fills a default
// 64 KiB pipe 64 times, so the writer sleeps and the reader runs many
// calls). Page size from sysconf.
//
// The page-fault method sees a copy only where the user page is not mapped
// when the kernel touches it: every buffer here is a memfd mapping whose
// pages each have their own mapping (no fault-around), dropped before the
// call (MADV_DONTNEED keeps the contents), and every size is whole pages.
//
// Bugs that fail it: a probe that counts a page twice (the pre-fault of
// generic_perform_write and its atomic retry both counted), misses the
// pages of a second call, takes the wrong error-code bit for the direction,
// attributes to the copy helper (copy_page_to_iter) instead of the data
// path, loses a forked child's label or gives it the parent's, counts a
// system call twice or not at all; a counter whose Reset leaves counts,
// whose label 0 does not stop counting, which sends a marker for a label it
// must refuse; a kernel that lets a process without capabilities load
// tracing programs.
#include "bpf/copy_counter.h"

// Claims: copy.beyond.counter-exact-for-known-copies (the known reads and
// writes), copy.beyond.counter-reports-uncovered-copies (process_vm_readv),
// copy.beyond.counter-follows-labels (children, Reset, label 0, labels
// above 64, system call counts), copy.beyond.counter-refused-without-privilege
// (a child without capabilities).
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "bpf/fault_buffer.h"
#include "conformance/kit/alarm_deadline.h"
#include "conformance/kit/blocking.h"
#include "conformance/kit/bytes.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/child_io.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/deadline_io.h"
#include "conformance/kit/errno_name.h"
#include "conformance/kit/files.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/signals.h"
#include "conformance/kit/temp_path.h"
#include "conformance/runner/programs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/pipe.h"
#include "ipc/unique_fd.h"

namespace ipcproof {
namespace {

using bpf::CopyCounter;
using bpf::CopyCounterUnavailable;
using bpf::CopyCounts;
using bpf::CopyDirection;
using bpf::CopyMethod;
using bpf::CopyMethodName;
using bpf::DescribeCopies;
using bpf::FaultingBuffer;
using bpf::ProcessCopies;
using ::testing::HasSubstr;

constexpr uint32_t kSelf = 1;   // the test process (A)
constexpr uint32_t kChild = 2;  // a child it forks (B)

size_t PageSize() { return static_cast<size_t>(::sysconf(_SC_PAGESIZE)); }

// --- The routines each call must be attributed to --------------------------

// A regular file's read: filemap_read (page-cache reads of ext4 and the
// initramfs), shmem_file_read_iter (tmpfs). Its write: generic_perform_write
// (both). A pipe's: pipe_read / pipe_write (6.1, 6.12), anon_pipe_read /
// anon_pipe_write (later kernels).
const std::set<std::string> kFileReadRoutines = {"filemap_read",
                                                 "shmem_file_read_iter"};
const std::set<std::string> kFileWriteRoutines = {"generic_perform_write"};
const std::set<std::string> kPipeReadRoutines = {"pipe_read", "anon_pipe_read"};
const std::set<std::string> kPipeWriteRoutines = {"pipe_write",
                                                  "anon_pipe_write"};

std::string Join(const std::set<std::string>& names) {
  std::string text;
  for (const std::string& name : names) {
    if (!text.empty()) text += " or ";
    text += name;
  }
  return text;
}

uint64_t SyscallCalls(const ProcessCopies& process, long nr) {
  const auto found = process.syscalls.find(nr);
  return found == process.syscalls.end() ? 0 : found->second;
}

// The routines that copied in `direction`, as text, for a figure.
std::string RoutinesOf(const ProcessCopies& process, CopyDirection direction) {
  std::set<std::string> names;
  for (const bpf::RoutineCopies& copies : process.routines) {
    if (copies.direction == direction) {
      names.insert(copies.routine.empty() ? "<none>" : copies.routine);
    }
  }
  return names.empty() ? "<none>" : Join(names);
}

// Each label's system calls, "label 1: read 3, write 1", for a failure
// message (DescribeCopies shows the copies only).
std::string DescribeSyscalls(const CopyCounts& counts) {
  std::string text;
  for (const auto& [label, process] : counts.processes) {
    text += "  label " + std::to_string(label) + " system calls:";
    if (process.syscalls.empty()) text += " none";
    for (const auto& [nr, calls] : process.syscalls) {
      text += " " + std::to_string(nr) + "x" + std::to_string(calls);
    }
    text += "\n";
  }
  return text;
}

// Nothing was counted: no byte, no routine, no system call, no event lost.
// bpf(2) calls are left out: a counter's own Reset and Read make them while
// the caller is followed (the page-fault method drops them itself).
::testing::AssertionResult NothingCounted(const CopyCounts& counts) {
  bool counted = counts.dropped_events != 0;
  for (const auto& [label, process] : counts.processes) {
    if (!process.routines.empty() || process.user_bytes() != 0 ||
        process.kernel_bytes != 0) {
      counted = true;
    }
    for (const auto& [nr, calls] : process.syscalls) {
      if (nr != SYS_bpf && calls != 0) counted = true;
    }
  }
  if (!counted) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << DescribeCopies(counts) << DescribeSyscalls(counts);
}

// `label` copied exactly `bytes` in `direction`, all of it by `routines`,
// in `calls` calls, nothing in the other direction, nothing unattributed,
// and the probe dropped nothing.
::testing::AssertionResult CopiedExactly(
    const CopyCounts& counts, uint32_t label, CopyDirection direction,
    uint64_t bytes, const std::set<std::string>& routines, uint64_t calls) {
  const ProcessCopies process = counts.Of(label);
  const bool to_user = direction == CopyDirection::kToUser;
  const uint64_t counted =
      to_user ? process.to_user_bytes : process.from_user_bytes;
  const uint64_t other =
      to_user ? process.from_user_bytes : process.to_user_bytes;
  const uint64_t counted_calls =
      to_user ? process.to_user_calls : process.from_user_calls;
  uint64_t by_routines = 0;
  for (const std::string& routine : routines) {
    by_routines += process.BytesOf(routine, direction);
  }
  std::string wrong;
  const std::string where = " for process " + std::to_string(label) + " " +
                            std::string(bpf::CopyDirectionName(direction));
  if (counted != bytes) {
    wrong += "counted " + std::to_string(counted) + " bytes" + where +
             ", the calls returned " + std::to_string(bytes) + "; ";
  }
  if (by_routines != bytes) {
    wrong += std::to_string(by_routines) + " of them by " + Join(routines) +
             ", expected all " + std::to_string(bytes) + "; ";
  }
  if (other != 0) {
    wrong += std::to_string(other) +
             " bytes counted in the other direction, where nothing was "
             "copied; ";
  }
  if (process.unattributed_bytes != 0) {
    wrong +=
        std::to_string(process.unattributed_bytes) + " bytes unattributed; ";
  }
  if (counted_calls != calls) {
    wrong += std::to_string(counted_calls) + " call(s) counted" + where +
             ", made " + std::to_string(calls) + "; ";
  }
  if (counts.dropped_events != 0) {
    wrong += std::to_string(counts.dropped_events) + " event(s) dropped; ";
  }
  if (wrong.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << wrong << "\n"
                                       << DescribeCopies(counts);
}

// Records the figures of one process and direction under
// copy_counter.<method>.<what>.* (no rule of the registry reads them: they
// show what each kernel reported).
void RecordFigures(CopyMethod method, std::string_view what,
                   const ProcessCopies& process, CopyDirection direction) {
  const std::string prefix = "copy_counter." +
                             std::string(CopyMethodName(method)) + "." +
                             std::string(what) + ".";
  const bool to_user = direction == CopyDirection::kToUser;
  RecordMeasurement(prefix + (to_user ? "to_user_bytes" : "from_user_bytes"),
                    to_user ? process.to_user_bytes : process.from_user_bytes);
  RecordMeasurement(prefix + "calls",
                    to_user ? process.to_user_calls : process.from_user_calls);
  RecordMeasurement(prefix + "unattributed_bytes", process.unattributed_bytes);
  RecordMeasurement(prefix + "routines", RoutinesOf(process, direction));
  if (method == CopyMethod::kPageFaults) {
    RecordMeasurement(prefix + "atomic_faults", process.atomic_faults);
  }
}

// A regular file in the test's directory holding `contents`, open O_RDWR,
// removed on scope exit.
class TestFile {
 public:
  explicit TestFile(const std::vector<char>& contents)
      : path_(UniqueTempPath("copy-counter")), unlink_(path_) {
    fd_.Reset(
        ::open(path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd_) {
      throw std::system_error(errno, std::generic_category(),
                              "open(" + path_ + ")");
    }
    size_t written = 0;
    // Bounded: each pass writes at least one byte or throws.
    while (written < contents.size()) {
      const ssize_t n =
          ::pwrite(fd_.get(), contents.data() + written,
                   contents.size() - written, static_cast<off_t>(written));
      if (n <= 0) {
        throw std::system_error(errno, std::generic_category(),
                                "pwrite(" + path_ + ")");
      }
      written += static_cast<size_t>(n);
    }
  }
  int fd() const { return fd_.get(); }

  // The first `size` bytes as they are now.
  std::vector<char> Contents(size_t size) const {
    std::vector<char> bytes(size);
    const ssize_t n = ::pread(fd_.get(), bytes.data(), size, 0);
    bytes.resize(n < 0 ? 0 : static_cast<size_t>(n));
    return bytes;
  }

 private:
  std::string path_;
  ScopedUnlink unlink_;
  ipc::UniqueFd fd_;
};

std::string MethodName(const ::testing::TestParamInfo<CopyMethod>& info) {
  return info.param == CopyMethod::kPageFaults ? "PageFaults" : "FunctionEntry";
}

// Starts the method's counter and follows this process as kSelf; "" when
// it runs, else the skip reason (the method and what the kernel refused).
std::string StartCounter(CopyMethod method,
                         std::unique_ptr<CopyCounter>& counter) {
  try {
    counter = CopyCounter::Start(method);
  } catch (const CopyCounterUnavailable& unavailable) {
    return "the " + std::string(CopyMethodName(method)) +
           " copy counter cannot run here: " + unavailable.what();
  }
  counter->Follow(kSelf);
  return "";
}

#define START_COUNTER_OR_SKIP(method, counter)                      \
  do {                                                              \
    const std::string ipcproof_why = StartCounter(method, counter); \
    if (!ipcproof_why.empty()) SKIP_UNVERIFIED(ipcproof_why);       \
  } while (0)

// --- Known copies of N bytes, for each size --------------------------------

struct SizedCase {
  CopyMethod method;
  size_t pages;
};

std::string SizedCaseName(const ::testing::TestParamInfo<SizedCase>& info) {
  return std::string(info.param.method == CopyMethod::kPageFaults
                         ? "PageFaults"
                         : "FunctionEntry") +
         "_" + std::to_string(info.param.pages) + "Pages";
}

class CopyCounterSizeTest : public ::testing::TestWithParam<SizedCase> {
 protected:
  CopyMethod method() const { return GetParam().method; }
  size_t size() const { return GetParam().pages * PageSize(); }
  std::unique_ptr<CopyCounter> counter_;
};

TEST_P(CopyCounterSizeTest, FileReadCountsEveryByteToUserByTheReadRoutine) {
  CLAIM("copy.beyond.counter-exact-for-known-copies");
  START_COUNTER_OR_SKIP(method(), counter_);
  const std::vector<char> pattern = Pattern(size(), /*seed=*/1);
  const TestFile file(pattern);
  const FaultingBuffer buffer(size());

  ASSERT_EQ(buffer.Drop(), 0) << ErrnoName(buffer.Drop());
  counter_->Reset();
  ASSERT_THAT(::pread(file.fd(), buffer.data(), size(), 0),
              SyscallSucceedsWithValue(size()));
  const CopyCounts counts = counter_->Read();

  EXPECT_TRUE(CopiedExactly(counts, kSelf, CopyDirection::kToUser, size(),
                            kFileReadRoutines, 1));
  EXPECT_EQ(SyscallCalls(counts.Of(kSelf), SYS_pread64), 1u)
      << DescribeCopies(counts);
  EXPECT_EQ(std::memcmp(buffer.data(), pattern.data(), size()), 0)
      << "pread(2) delivered other bytes than the file holds";
  RecordFigures(method(), "file_read", counts.Of(kSelf),
                CopyDirection::kToUser);
}

TEST_P(CopyCounterSizeTest, FileWriteCountsEveryByteFromUserByTheWriteRoutine) {
  CLAIM("copy.beyond.counter-exact-for-known-copies");
  START_COUNTER_OR_SKIP(method(), counter_);
  const std::vector<char> pattern = Pattern(size(), /*seed=*/2);
  const TestFile file(std::vector<char>(size(), '\0'));
  const FaultingBuffer buffer(size());
  std::memcpy(buffer.data(), pattern.data(), size());

  ASSERT_EQ(buffer.Drop(), 0);
  counter_->Reset();
  ASSERT_THAT(::pwrite(file.fd(), buffer.data(), size(), 0),
              SyscallSucceedsWithValue(size()));
  const CopyCounts counts = counter_->Read();

  // generic_perform_write pre-faults the source (fault_in_iov_iter_readable)
  // and copies with page faults disabled: the pre-fault counts each page
  // once, an atomic copy that faulted anyway is counted apart (no bytes).
  EXPECT_TRUE(CopiedExactly(counts, kSelf, CopyDirection::kFromUser, size(),
                            kFileWriteRoutines, 1));
  EXPECT_EQ(SyscallCalls(counts.Of(kSelf), SYS_pwrite64), 1u)
      << DescribeCopies(counts);
  EXPECT_TRUE(file.Contents(size()) == pattern)
      << "the file does not hold what pwrite(2) said it wrote";
  RecordFigures(method(), "file_write", counts.Of(kSelf),
                CopyDirection::kFromUser);
}

// What the reading child reports through its pipe.
struct ChildReport {
  uint64_t bytes = 0;  // read in all
  uint64_t reads = 0;  // read(2) calls that returned data
};

// The reading child's failure points (exit codes 1..99 of kit/child_exit.h).
enum ChildFailure : int {
  kChildNoData = 2,
  kChildDropFailed = 3,
  kChildReadFailed = 4,
  kChildPartialPage = 5,
  kChildReportFailed = 6,
};

std::string DescribeChildFailure(const ipc::WaitStatus& status) {
  if (!status.exited()) return DescribeChildExit(status);
  switch (status.exit_code()) {
    case kChildNoData:
      return "the child saw no data within the deadline (or end of file)";
    case kChildDropFailed:
      return "the child's madvise(MADV_DONTNEED) failed";
    case kChildReadFailed:
      return "a read(2) in the child failed or returned 0";
    case kChildPartialPage:
      return "a pipe read returned a partial page: the writer's pages "
             "arrive whole, so the figure would count a page twice";
    case kChildReportFailed:
      return "the child could not write its report";
  }
  return DescribeChildExit(status);
}

TEST_P(CopyCounterSizeTest, PipeCopiesCountUnderEachProcessOwnLabel) {
  CLAIM("copy.beyond.counter-exact-for-known-copies",
        "copy.beyond.counter-follows-labels");
  START_COUNTER_OR_SKIP(method(), counter_);
  const size_t page = PageSize();
  const std::vector<char> pattern = Pattern(size(), /*seed=*/3);
  const FaultingBuffer source(size());
  const FaultingBuffer sink(size());
  std::memcpy(source.data(), pattern.data(), size());
  ipc::Pipe data = ipc::Pipe::Create(O_CLOEXEC);
  ipc::Pipe report = ipc::Pipe::Create(O_CLOEXEC);
  // A reader that died must fail the write (EPIPE), not kill the test.
  const ScopedSignalIgnored no_sigpipe(SIGPIPE);
  // A writer the kernel never wakes must fail, not hang (pipe(7): a write
  // to a full pipe blocks until the reader makes room).
  ScopedAlarmDeadline deadline;

  const CopyCounter& counter = *counter_;
  const size_t size = this->size();
  ipc::ChildProcess child = ipc::ChildProcess::Fork([&]() -> int {
    // Forked after Follow(kSelf), so the child has label kSelf until it
    // gives itself its own.
    counter.Follow(kChild);
    ::close(data.write_fd());
    ::close(report.read_fd());
    ChildReport result;
    // Bounded: every read returns at least one page or the child exits.
    while (result.bytes < size && result.reads <= size / page) {
      if (PollWithin(data.read_fd(), POLLIN, kBlockedTimeout) <= 0) {
        return kChildNoData;
      }
      if (sink.Drop() != 0) return kChildDropFailed;
      const ssize_t n = ::read(data.read_fd(), sink.data() + result.bytes,
                               size - result.bytes);
      if (n <= 0) return kChildReadFailed;
      if (static_cast<size_t>(n) % page != 0) return kChildPartialPage;
      result.bytes += static_cast<uint64_t>(n);
      ++result.reads;
    }
    // The report is a copy from user space too (a pipe write): the
    // transfer's window ends before it.
    counter.Follow(0);
    if (!WriteReport(report.write_fd(), result)) return kChildReportFailed;
    return 0;
  });
  data.CloseReadEnd();
  report.CloseWriteEnd();
  // Every call the child makes before its first poll(2) (its Follow, the
  // closes, ChildProcess's prctl) is over once it sleeps there: only then
  // may the window open. A function-entry probe records a call's bytes at
  // its exit, so anything short of this proof could let a call begun
  // before Reset count after it.
  ASSERT_TRUE(WaitUntilBlockedIn(child.pid(), SYS_poll));
  deadline.Arm(kBlockedTimeout);

  // The window: from here to Follow(0), this process only writes.
  counter_->Reset();
  ASSERT_EQ(source.Drop(), 0);
  const bool wrote = WriteInOneCall(data.write_fd(), source.data(), size);
  const int write_errno = errno;
  // This process's later calls (waiting, reading /proc) are not the
  // transfer's.
  counter_->Follow(0);
  deadline.Disarm();
  ASSERT_TRUE(wrote) << "write(2) of " << size
                     << " bytes into the pipe: " << ErrnoName(write_errno)
                     << (deadline.passed() ? " after the deadline" : "");

  ChildReport result;
  ASSERT_TRUE(ReadReport(report.read_fd(), result));
  ASSERT_CHILD_EXITS(child, status);
  ASSERT_TRUE(status.ExitedWith(0)) << DescribeChildFailure(status);
  ASSERT_EQ(result.bytes, size);
  const CopyCounts counts = counter_->Read();

  EXPECT_TRUE(CopiedExactly(counts, kSelf, CopyDirection::kFromUser, size,
                            kPipeWriteRoutines, 1));
  EXPECT_TRUE(CopiedExactly(counts, kChild, CopyDirection::kToUser, size,
                            kPipeReadRoutines, result.reads));
  EXPECT_EQ(SyscallCalls(counts.Of(kSelf), SYS_write), 1u)
      << DescribeCopies(counts);
  EXPECT_EQ(SyscallCalls(counts.Of(kChild), SYS_read), result.reads)
      << "the child's read(2) calls, counted under the label it gave "
         "itself\n"
      << DescribeCopies(counts);
  EXPECT_EQ(std::memcmp(sink.data(), pattern.data(), size), 0)
      << "the child read other bytes than were written";
  RecordFigures(method(), "pipe_write", counts.Of(kSelf),
                CopyDirection::kFromUser);
  RecordFigures(method(), "pipe_read", counts.Of(kChild),
                CopyDirection::kToUser);
}

std::vector<SizedCase> AllSizedCases() {
  std::vector<SizedCase> cases;
  for (CopyMethod method :
       {CopyMethod::kPageFaults, CopyMethod::kFunctionEntry}) {
    for (size_t pages : {1, 16, 1024}) cases.push_back({method, pages});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(MethodsAndSizes, CopyCounterSizeTest,
                         ::testing::ValuesIn(AllSizedCases()), SizedCaseName);

// --- Everything else, per method --------------------------------------------

class CopyCounterTest : public ::testing::TestWithParam<CopyMethod> {
 protected:
  CopyMethod method() const { return GetParam(); }
  std::unique_ptr<CopyCounter> counter_;
};

// What `other` misses of `reference`'s bytes in `direction`, as the
// agreement check between two methods states it; "" when they agree.
std::string Shortfall(const ProcessCopies& reference,
                      std::string_view reference_name,
                      const ProcessCopies& other, std::string_view other_name,
                      CopyDirection direction) {
  const bool to_user = direction == CopyDirection::kToUser;
  const uint64_t expected =
      to_user ? reference.to_user_bytes : reference.from_user_bytes;
  const uint64_t seen = to_user ? other.to_user_bytes : other.from_user_bytes;
  if (seen == expected) return "";
  return std::string(other_name) + " counted " + std::to_string(seen) +
         " bytes " + std::string(bpf::CopyDirectionName(direction)) +
         " where " + std::string(reference_name) + " counted " +
         std::to_string(expected) + ": " +
         std::to_string(expected > seen ? expected - seen : seen - expected) +
         (expected > seen ? " bytes copied on a path outside its table"
                          : " bytes too many");
}

// process_vm_readv(2) copies from another address space (here our own)
// into the caller's buffer through copy_page_to_iter, from no function of
// the tables: a copy the claims never count, and the counter's test of a
// path it does not cover. The page-fault method must report every byte,
// unattributed, with its path; the function-entry method cannot see it and
// must not invent it, and where both methods run the comparison names the
// bytes it missed.
TEST_P(CopyCounterTest, CopyOutsideTheTableIsReportedNotSilent) {
  CLAIM("copy.beyond.counter-reports-uncovered-copies");
  START_COUNTER_OR_SKIP(method(), counter_);
  // For the function-entry method, the page-fault method beside it (it runs
  // wherever tracepoints do; a kernel that refuses it leaves the comparison
  // out, and the bound below still holds).
  std::unique_ptr<CopyCounter> reference;
  std::string reference_missing;
  if (method() != CopyMethod::kPageFaults) {
    reference_missing = StartCounter(CopyMethod::kPageFaults, reference);
  }
  const size_t size = 16 * PageSize();
  const std::vector<char> remote = Pattern(size, /*seed=*/4);
  const FaultingBuffer local(size);
  const iovec local_iov{local.data(), size};
  const iovec remote_iov{const_cast<char*>(remote.data()), size};

  ASSERT_EQ(local.Drop(), 0);
  counter_->Reset();
  if (reference) reference->Reset();
  ASSERT_THAT(::process_vm_readv(::getpid(), &local_iov, 1, &remote_iov, 1, 0),
              SyscallSucceedsWithValue(size));
  const CopyCounts counts = counter_->Read();
  const CopyCounts reference_counts =
      reference ? reference->Read() : CopyCounts{};
  ASSERT_EQ(std::memcmp(local.data(), remote.data(), size), 0);

  const ProcessCopies process = counts.Of(kSelf);
  EXPECT_EQ(process.from_user_bytes, 0u) << DescribeCopies(counts);
  if (method() == CopyMethod::kPageFaults) {
    // Every byte, none attributed, the path naming the system call.
    EXPECT_EQ(process.to_user_bytes, size) << DescribeCopies(counts);
    EXPECT_EQ(process.unattributed_bytes, size) << DescribeCopies(counts);
    bool path_named = false;
    for (const bpf::RoutineCopies& copies : process.routines) {
      if (copies.routine.empty() &&
          copies.path.find("process_vm") != std::string::npos) {
        path_named = true;
        RecordMeasurement("copy_counter.page_faults.process_vm_readv.path",
                          copies.path);
      }
    }
    RecordMeasurement(
        "copy_counter.page_faults.process_vm_readv.unattributed_bytes",
        process.unattributed_bytes);
    EXPECT_TRUE(path_named)
        << "no unattributed copy names process_vm_readv's path\n"
        << DescribeCopies(counts);
    EXPECT_THAT(DescribeCopies(counts), HasSubstr("<no routine of the table>"));
    EXPECT_EQ(counts.dropped_events, 0u);
  } else {
    // Never more than the kernel copied; what it missed is reported.
    EXPECT_LE(process.to_user_bytes, size) << DescribeCopies(counts);
    // The check against what the call returned, as a report shows it.
    ProcessCopies stated;
    stated.to_user_bytes = size;
    const std::string missing =
        Shortfall(stated, "process_vm_readv(2)'s return value", process,
                  CopyMethodName(method()), CopyDirection::kToUser);
    const std::string figure = "copy_counter." +
                               std::string(CopyMethodName(method())) +
                               ".process_vm_readv.";
    RecordMeasurement(figure + "missing_bytes",
                      size - std::min<uint64_t>(size, process.to_user_bytes));
    if (!missing.empty()) RecordMeasurement(figure + "mismatch", missing);
    if (reference) {
      const ProcessCopies faults = reference_counts.Of(kSelf);
      EXPECT_EQ(faults.to_user_bytes, size)
          << "the page-fault method, the reference here\n"
          << DescribeCopies(reference_counts);
      const std::string disagreement =
          Shortfall(faults, "page_faults", process, CopyMethodName(method()),
                    CopyDirection::kToUser);
      EXPECT_EQ(disagreement.empty(), process.to_user_bytes == size)
          << disagreement;
      if (!disagreement.empty()) {
        std::printf("%s\n", disagreement.c_str());
      }
    } else {
      std::printf("no page-fault reference: %s\n", reference_missing.c_str());
    }
  }
}

TEST_P(CopyCounterTest, SystemCallsAreCountedExactly) {
  CLAIM("copy.beyond.counter-follows-labels");
  START_COUNTER_OR_SKIP(method(), counter_);
  // getppid(2) copies nothing and glibc does not cache it: each call is one
  // sys_enter. A prime, so a counter that counts in pairs cannot match.
  constexpr uint64_t kCalls = 41;
  counter_->Reset();
  for (uint64_t i = 0; i < kCalls; ++i) ::syscall(SYS_getppid);
  const CopyCounts counts = counter_->Read();

  const ProcessCopies process = counts.Of(kSelf);
  EXPECT_EQ(SyscallCalls(process, SYS_getppid), kCalls)
      << DescribeCopies(counts);
  EXPECT_EQ(process.user_bytes(), 0u) << DescribeCopies(counts);
  RecordMeasurement("copy_counter." + std::string(CopyMethodName(method())) +
                        ".getppid_calls",
                    SyscallCalls(process, SYS_getppid));
}

TEST_P(CopyCounterTest, ResetForgetsCopiesAndCalls) {
  CLAIM("copy.beyond.counter-follows-labels");
  START_COUNTER_OR_SKIP(method(), counter_);
  const size_t size = PageSize();
  const TestFile file(Pattern(size, /*seed=*/5));
  const FaultingBuffer buffer(size);
  counter_->Reset();
  ASSERT_EQ(buffer.Drop(), 0);
  ASSERT_THAT(::pread(file.fd(), buffer.data(), size, 0),
              SyscallSucceedsWithValue(size));
  for (int i = 0; i < 3; ++i) ::syscall(SYS_getppid);
  const CopyCounts before = counter_->Read();
  // Something to forget: otherwise the check below proves nothing.
  ASSERT_EQ(before.Of(kSelf).to_user_bytes, size) << DescribeCopies(before);
  ASSERT_EQ(SyscallCalls(before.Of(kSelf), SYS_getppid), 3u);

  counter_->Reset();
  const CopyCounts after = counter_->Read();
  EXPECT_TRUE(NothingCounted(after)) << "counted after Reset";
}

TEST_P(CopyCounterTest, LabelZeroStopsCountingAndFollowingAgainResumes) {
  CLAIM("copy.beyond.counter-follows-labels");
  START_COUNTER_OR_SKIP(method(), counter_);
  const size_t size = PageSize();
  const TestFile file(Pattern(size, /*seed=*/6));
  const FaultingBuffer buffer(size);
  counter_->Reset();
  counter_->Follow(0);
  ASSERT_EQ(buffer.Drop(), 0);
  ASSERT_THAT(::pread(file.fd(), buffer.data(), size, 0),
              SyscallSucceedsWithValue(size));
  for (int i = 0; i < 7; ++i) ::syscall(SYS_getppid);
  const CopyCounts unfollowed = counter_->Read();
  EXPECT_TRUE(NothingCounted(unfollowed)) << "counted after Follow(0)";

  // The probe still runs: following again counts again.
  counter_->Follow(kSelf);
  ASSERT_EQ(buffer.Drop(), 0);
  ASSERT_THAT(::pread(file.fd(), buffer.data(), size, 0),
              SyscallSucceedsWithValue(size));
  for (int i = 0; i < 3; ++i) ::syscall(SYS_getppid);
  const CopyCounts followed = counter_->Read();
  EXPECT_EQ(SyscallCalls(followed.Of(kSelf), SYS_getppid), 3u)
      << DescribeCopies(followed);
  EXPECT_EQ(followed.Of(kSelf).to_user_bytes, size) << DescribeCopies(followed);
}

TEST_P(CopyCounterTest, LabelAbove64IsRefusedBeforeAnySystemCall) {
  CLAIM("copy.beyond.counter-follows-labels");
  START_COUNTER_OR_SKIP(method(), counter_);
  counter_->Reset();
  // The probe reads a marker with a label above 64 as "stop following"
  // (bpf/follow.bpf.h): had Follow(65) reached the kernel, the calls below
  // would not be counted.
  EXPECT_THROW(counter_->Follow(65), std::invalid_argument);
  for (int i = 0; i < 5; ++i) ::syscall(SYS_getppid);
  const CopyCounts counts = counter_->Read();
  EXPECT_EQ(SyscallCalls(counts.Of(kSelf), SYS_getppid), 5u)
      << DescribeCopies(counts);

  // 64 is the last label, and a label of its own.
  counter_->Reset();
  EXPECT_NO_THROW(counter_->Follow(64));
  for (int i = 0; i < 2; ++i) ::syscall(SYS_getppid);
  counter_->Follow(kSelf);
  const CopyCounts last = counter_->Read();
  EXPECT_EQ(SyscallCalls(last.Of(64), SYS_getppid), 2u) << DescribeCopies(last);
  EXPECT_EQ(SyscallCalls(last.Of(kSelf), SYS_getppid), 0u)
      << DescribeCopies(last);
}

// Tries CopyCounter::Start for the method named in argv[1] and prints what
// happened on stdout: exit 0 and the reason when it was refused
// (CopyCounterUnavailable), 1 when it started, 2 on any other exception.
IPCPROOF_PROGRAM(copy_counter_start) {
  if (argc < 2) return 3;
  const std::string_view name = argv[1];
  const CopyMethod method = name == CopyMethodName(CopyMethod::kPageFaults)
                                ? CopyMethod::kPageFaults
                                : CopyMethod::kFunctionEntry;
  try {
    const std::unique_ptr<CopyCounter> counter = CopyCounter::Start(method);
    std::fputs("started", stdout);
    return 1;
  } catch (const CopyCounterUnavailable& unavailable) {
    std::fputs(unavailable.what(), stdout);
    return 0;
  } catch (const std::exception& error) {
    std::fputs(error.what(), stdout);
    return 2;
  }
}

// In a forked child: lose every capability across the coming execve(2).
// As uid 0, execve would grant the full set again (capabilities(7),
// "Capabilities and execution of programs by root"); SECBIT_NOROOT turns
// that off, and clearing the ambient and inheritable sets leaves the new
// program with none. Async-signal-safe (raw prctl and capset). 0 or the
// errno.
int DropCapabilitiesAcrossExec() {
  if (::prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED, 0, 0,
              0) != 0) {
    return errno;
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
    return errno;
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capset, &header, data) != 0) return errno;
  return 0;
}

// bpf(2): loading tracing programs and creating their maps needs CAP_BPF
// and CAP_PERFMON (or CAP_SYS_ADMIN); without them the kernel answers
// EPERM. The counter must turn that into CopyCounterUnavailable naming its
// method and the errno, so a test's skip says what was refused.
TEST_P(CopyCounterTest, WithoutCapabilitiesStartIsRefusedWithTheReason) {
  CLAIM("copy.beyond.counter-refused-without-privilege");
  ipc::Pipe out = ipc::Pipe::Create(O_CLOEXEC);
  const std::string name(CopyMethodName(method()));
  ipc::ChildProcess child = ipc::ChildProcess::Fork([&]() -> int {
    if (::dup2(out.write_fd(), STDOUT_FILENO) < 0) return ErrnoExit();
    // An ErrnoExit code (129..254) is "could not drop": a skip. The
    // program's own codes are 0..3, exec's 126 and 127.
    if (const int err = DropCapabilitiesAcrossExec(); err != 0) {
      return ErrnoExit(err);
    }
    ExecProgram("copy_counter_start", {name.c_str()});
    return ExecFailureExit();
  });
  out.CloseWriteEnd();
  const Received said = ReadWithin(out.read_fd(), 16384);
  ASSERT_CHILD_EXITS(child, status);
  if (status.exited()) {
    if (const std::optional<int> err = ErrnoFromExit(status.exit_code())) {
      SKIP_UNVERIFIED(
          "cannot take every capability from a child before it starts the " +
          name +
          " copy counter: dup2, prctl(PR_SET_SECUREBITS), "
          "prctl(PR_CAP_AMBIENT) or capset failed with " +
          ErrnoName(*err));
    }
  }
  ASSERT_TRUE(status.exited()) << DescribeChildExit(status);
  ASSERT_NE(status.exit_code(), 1)
      << "the " << name
      << " copy counter started in a process without capabilities";
  ASSERT_EQ(status.exit_code(), 0)
      << DescribeChildExit(status) << "; it said: " << said.bytes;
  EXPECT_THAT(said.bytes, HasSubstr(name));
  EXPECT_THAT(said.bytes, HasSubstr("EPERM"));
  RecordMeasurement("copy_counter." + name + ".unprivileged_reason",
                    said.bytes);
}

INSTANTIATE_TEST_SUITE_P(Methods, CopyCounterTest,
                         ::testing::Values(CopyMethod::kPageFaults,
                                           CopyMethod::kFunctionEntry),
                         MethodName);

}  // namespace
}  // namespace ipcproof
