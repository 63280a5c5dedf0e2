// The note's copy counts, measured: how many times the bytes of a file cross
// between user and kernel space on each path the note compares.
//
//   copy.pipe-mq-four   file -> A -> pipe / System V queue / POSIX queue ->
//                       B -> file: "四次用户态和内核态之间的拷贝"
//   copy.shm-two        file -> A -> shared memory -> B -> file: two
//   copy.read-write-two read(file) + write(socket) in A: two
//   zerocopy.mmap-one   mmap(file) + write(socket) in A: one
//   zerocopy.sendfile-none  sendfile (and splice) in A: none; and whether
//                       the kernel still copies the file's pages into the
//                       socket (CopySendfileKernelTest, below)
//   zerocopy.fewer-syscalls  cross-check of syscall_count_test's ptrace
//                       counts by the probe's own sys_enter counts
//
// How: each named transfer (conformance/kit/named_transfers.h) runs once with
// the eBPF copy counter attached (bpf/copy_counter.h), by RunCounted
// (conformance/copy/counted_transfer.h, shared with count_copies). A (this
// process) counts under label 1 while it sends, B (the receiver the kit
// forks) under label 2 from the first thing it does
// (TransferSetup::receiver_started). The page-fault method is the rules'
// method because it runs on every kernel, the host included: with
// TransferSetup::fault_every_page every user buffer A and B copy through is
// dropped from the page tables before each call, so each 4 KiB page the
// kernel copies to or from user memory faults once, in the routine that
// copies it. The transfer's size and chunks are whole pages
// (the size at least 1 MiB and at least four times the largest channel
// buffer, so A waits on a full channel many times; a queue's chunk is its
// largest message, read from /proc/sys), so the figures are exact.
//
// What the tests assert is that the measurement is sound, never the note's
// numbers: every byte arrived; no event was dropped; B's write(2) into the
// sink, which write(2) defines as reading every byte from B's memory, was
// seen in full (a counter blind to a path fails here instead of reporting
// too few copies); and the faults no routine of the table explains stay
// within kUnattributedSlackPages per process. The figures, recorded for the
// registry's rules (docs/claims.json), decide the claims:
//   copies.kernel_buffered.{pipe,sysv_msg,posix_mq}.user_copies (A + B) / N
//   copies.shared_memory.user_copies                              (A + B) / N
//   copies.{read_write,mmap_write,sendfile,splice}_socket.user_copies  A / N
//   copies.mmap_write_socket.{to_user,from_user}                        A / N
// (the Unix-socket and the TCP test record the same names: the rules read
// every one of them), and per process the detail under
// copies.<transfer>.<sender|receiver>.{to_user_bytes, from_user_bytes,
// to_user_calls, from_user_calls, unattributed_bytes, atomic_faults,
// routines, syscalls}, names no rule's glob matches.
//
// One suite per claim (KernelBufferCopyTest, SharedMemoryCopyTest,
// ReadWriteSocketCopyTest, MmapWriteSocketCopyTest, SendfileSocketCopyTest),
// each with two tests: CountedByPageFaults, whose figures decide the claim,
// and BothMethodsAgree, which runs the same transfer with both methods
// attached at once where the kernel allows fentry (the 6.1 and 6.12 guests;
// the host refuses it and the test skips saying so): per process and
// direction the function-entry bytes must equal the page-fault bytes (within
// the slack MethodsAgree, counted_transfer.h, states), and every routine the
// page faults name must be one the function-entry counter saw copying.
//
// What would fail a test here: a kernel whose copy goes through a path the
// counter cannot see (a copy outside the data-path functions, or a fault
// the tracepoint does not report) fails the check of B's sink write or the
// unattributed slack, and, in the guests, the agreement of the two methods;
// a copy counted twice or missed by one method fails the agreement; a
// sendfile that copies the page cache into the socket where the kernel
// claims to pass references (6.5+ MSG_SPLICE_PAGES, 6.1 sendpage) shows as
// kernel_copies 1 and, where fentry runs, fails its cross-check; a
// sys_enter tracepoint that misses a call, or ptrace that reports one
// twice, fails the syscall cross-check; a lost wake-up of a sender on a
// full channel fails the transfer at its deadline (it does not hang). An
// extra or a missing copy on a path is not an assertion: it shows in the
// figures, and the registry's rule then refutes the claim.
//
// Skips: without permission to load the probes (unprivileged, or the Bazel
// sandbox's user namespace) CopyCounter::Start throws CopyCounterUnavailable
// and every test that needs the counter skips with its reason, leaving its
// claims unverified. CopySendfileKernelTest needs no probe: it runs anyway.
#include <fcntl.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "bpf/copy_counter.h"
#include "bpf/function_copies.h"
#include "conformance/copy/counted_transfer.h"
#include "conformance/kit/blocking.h"
#include "conformance/kit/bytes.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/deadline_io.h"
#include "conformance/kit/errno_name.h"
#include "conformance/kit/named_transfers.h"
#include "conformance/kit/namespaces.h"
#include "conformance/kit/syscall_counter.h"
#include "conformance/procfs/task.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/tcp_socket.h"
#include "ipc/unique_fd.h"

namespace ipcproof {
namespace {

using bpf::CopyCounter;
using bpf::CopyCounterUnavailable;
using bpf::CopyCounts;
using bpf::CopyDirection;
using bpf::CopyMethod;
using bpf::ProcessCopies;
using bpf::RoutineCopies;

// Faults no routine of the page-fault method's table explains, per process.
// The kernel writes a little user memory outside any data path while a
// transfer runs: msgrcv(2) stores the message's mtype in front of the text
// (put_user in do_msgrcv, a page of B's that was copied-on-write at fork),
// a signal frame or a call's result struct may land on a stack page not
// touched before, and the rseq area is updated on return to user space.
// Each is at most a page, once; four pages per process is a generous bound
// that a real uncovered copy path (a whole transfer, 256 pages of 1 MiB)
// always exceeds.
constexpr size_t kUnattributedSlackPages = 4;

size_t PageSize() { return static_cast<size_t>(::sysconf(_SC_PAGESIZE)); }

// --- Starting a counter ------------------------------------------------------

// A started counter, or why the kernel refused it.
struct StartedCounter {
  std::unique_ptr<CopyCounter> counter;
  std::string unavailable;  // "" when counter is set
};

StartedCounter TryStartCounter(CopyMethod method) {
  try {
    return {CopyCounter::Start(method), ""};
  } catch (const CopyCounterUnavailable& refused) {
    // what() names the method and the kernel's answer already.
    return {nullptr, refused.what()};
  }
}

// In a test body: `name` is a started counter of `method`, or the test skips
// naming what the kernel refused.
#define START_COUNTER_OR_SKIP(name, method)                    \
  std::unique_ptr<CopyCounter> name;                           \
  do {                                                         \
    StartedCounter ipcproof_started = TryStartCounter(method); \
    if (!ipcproof_started.counter) {                           \
      SKIP_UNVERIFIED(ipcproof_started.unavailable);           \
    }                                                          \
    name = std::move(ipcproof_started.counter);                \
  } while (0)

// --- The transfers and what each decides ------------------------------------

struct CopyCase {
  // The named transfer (conformance/kit/named_transfers.h).
  std::string_view transfer;
  // The rule's figure, without ".user_copies".
  std::string_view figure;
  // Whether the figure counts both processes (file -> A -> channel -> B ->
  // file) or the sender alone (file -> socket: the note counts the
  // sender's copies, B only drains the socket).
  bool both_processes;
  // A queue transfer: creates System V or POSIX queues, so it runs in a
  // private IPC namespace (nothing can leak onto the host).
  bool needs_ipc_namespace;
};

// gtest prints a parameter with the test's name: the transfer.
void PrintTo(const CopyCase& copy_case, std::ostream* out) {
  *out << copy_case.transfer;
}

// One table per claim, each with its own test suite below: the claim index
// (tools/claims) reads each test's CLAIM("id") from the source.
// copy.pipe-mq-four: file -> A -> pipe or queue -> B -> file.
constexpr std::array<CopyCase, 3> kKernelBufferCases = {{
    {"pipe.read_write", "copies.kernel_buffered.pipe", true, false},
    {"sysv_msg", "copies.kernel_buffered.sysv_msg", true, true},
    {"posix_mq", "copies.kernel_buffered.posix_mq", true, true},
}};
// copy.shm-two: file -> A -> shared memory -> B -> file.
constexpr CopyCase kSharedMemoryCase = {"shared_memory", "copies.shared_memory",
                                        true, false};
// copy.read-write-two: read(file) + write(socket).
constexpr std::array<CopyCase, 2> kReadWriteCases = {{
    {"unix_socket.read_write", "copies.read_write_socket", false, false},
    {"tcp_socket.read_write", "copies.read_write_socket", false, false},
}};
// zerocopy.mmap-one: mmap(file) + write(socket).
constexpr std::array<CopyCase, 2> kMmapWriteCases = {{
    {"unix_socket.mmap_write", "copies.mmap_write_socket", false, false},
    {"tcp_socket.mmap_write", "copies.mmap_write_socket", false, false},
}};
// zerocopy.sendfile-none: sendfile(socket, file), and splice(file -> pipe ->
// socket).
constexpr std::array<CopyCase, 4> kSendfileCases = {{
    {"unix_socket.sendfile", "copies.sendfile_socket", false, false},
    {"tcp_socket.sendfile", "copies.sendfile_socket", false, false},
    {"unix_socket.splice", "copies.splice_socket", false, false},
    {"tcp_socket.splice", "copies.splice_socket", false, false},
}};

std::string CaseName(std::string_view transfer) {
  std::string name(transfer);
  std::replace(name.begin(), name.end(), '.', '_');
  return name;
}

// The page-fault counts of one transfer can be trusted: nothing dropped, B's
// write of the sink seen in full, and no more than the slack unexplained.
::testing::AssertionResult SoundPageFaultCounts(const CountedTransfer& run,
                                                const CopyCounts& counts) {
  if (counts.dropped_events != 0) {
    return ::testing::AssertionFailure()
           << counts.dropped_events
           << " event(s) dropped: the counts are only a lower bound\n"
           << DescribeCopies(counts);
  }
  const ProcessCopies receiver = counts.Of(kReceiver);
  if (receiver.from_user_bytes < run.size) {
    return ::testing::AssertionFailure()
           << "B wrote " << run.size
           << " bytes into the sink with write(2), which reads them from B's "
              "memory, but the counter saw only "
           << receiver.from_user_bytes
           << " bytes copied from B's memory: it is blind to a path\n"
           << DescribeCopies(counts);
  }
  const size_t slack = kUnattributedSlackPages * PageSize();
  for (uint32_t label : {kSender, kReceiver}) {
    const ProcessCopies process = counts.Of(label);
    if (process.unattributed_bytes > slack) {
      return ::testing::AssertionFailure()
             << "process " << label << ": " << process.unattributed_bytes
             << " bytes copied by no routine of the table, more than the "
             << kUnattributedSlackPages
             << " pages of slack: a copy path the counter does not know\n"
             << DescribeCopies(counts);
    }
  }
  return ::testing::AssertionSuccess();
}

// "to_user filemap_read 1048576 B in 16 calls; from_user <unattributed:
// ksys_msgrcv > do_msgrcv> 4096 B in 1 call".
std::string RoutinesText(const ProcessCopies& process) {
  std::string text;
  for (const RoutineCopies& copies : process.routines) {
    if (!text.empty()) text += "; ";
    text += std::string(bpf::CopyDirectionName(copies.direction)) + " " +
            (copies.routine.empty() ? "<unattributed: " + copies.path + ">"
                                    : copies.routine) +
            " " + std::to_string(copies.bytes) + " B in " +
            std::to_string(copies.calls) +
            (copies.calls == 1 ? " call" : " calls");
  }
  return text.empty() ? "none" : text;
}

// "read x16, write x16, madvise x32": the probe's sys_enter counts by name,
// most frequent first.
std::string SyscallsText(const std::map<long, uint64_t>& syscalls) {
  std::vector<std::pair<long, uint64_t>> order(syscalls.begin(),
                                               syscalls.end());
  std::stable_sort(
      order.begin(), order.end(),
      [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string text;
  for (const auto& [number, calls] : order) {
    if (!text.empty()) text += ", ";
    text += SyscallName(number) + " x" + std::to_string(calls);
  }
  return text.empty() ? "none" : text;
}

const char* RoleName(uint32_t label) {
  return label == kSender ? "sender" : "receiver";
}

void RecordProcessDetail(std::string_view prefix, std::string_view transfer,
                         const ProcessCopies& process) {
  const std::string stem = std::string(prefix) + "." + std::string(transfer) +
                           "." + RoleName(process.label) + ".";
  RecordMeasurement(stem + "to_user_bytes", process.to_user_bytes);
  RecordMeasurement(stem + "from_user_bytes", process.from_user_bytes);
  RecordMeasurement(stem + "to_user_calls", process.to_user_calls);
  RecordMeasurement(stem + "from_user_calls", process.from_user_calls);
  RecordMeasurement(stem + "unattributed_bytes", process.unattributed_bytes);
  RecordMeasurement(stem + "atomic_faults", process.atomic_faults);
  RecordMeasurement(stem + "routines", RoutinesText(process));
  RecordMeasurement(stem + "syscalls", SyscallsText(process.syscalls));
}

// The rule's figure and the detail, from the page-fault counts.
void RecordPageFaultFigures(const CopyCase& copy_case,
                            const CountedTransfer& run,
                            const CopyCounts& counts) {
  const ProcessCopies sender = counts.Of(kSender);
  const ProcessCopies receiver = counts.Of(kReceiver);
  const double size = static_cast<double>(run.outcome.receiver_bytes);
  const uint64_t user_bytes =
      sender.user_bytes() +
      (copy_case.both_processes ? receiver.user_bytes() : 0);
  const std::string figure(copy_case.figure);
  RecordMeasurement(figure + ".user_copies",
                    static_cast<double>(user_bytes) / size);
  if (copy_case.figure == "copies.mmap_write_socket") {
    RecordMeasurement(figure + ".to_user",
                      static_cast<double>(sender.to_user_bytes) / size);
    RecordMeasurement(figure + ".from_user",
                      static_cast<double>(sender.from_user_bytes) / size);
  }
  const std::string detail = "copies." + std::string(copy_case.transfer);
  RecordMeasurement(detail + ".delivered_bytes", run.outcome.receiver_bytes);
  RecordProcessDetail("copies", copy_case.transfer, sender);
  RecordProcessDetail("copies", copy_case.transfer, receiver);
}

// One transfer under the page-fault counter: its figures for the claim
// the calling test declares.
void CountByPageFaults(const CopyCase& copy_case) {
  if (copy_case.needs_ipc_namespace) {
    ENTER_PRIVATE_IPC_NAMESPACE_OR_SKIP();
  }
  START_COUNTER_OR_SKIP(counter, CopyMethod::kPageFaults);
  const NamedTransfer& transfer = TransferNamed(copy_case.transfer);
  const size_t chunk = ChunkFor(copy_case.transfer);
  ASSERT_GE(chunk, PageSize()) << "the queue's limits leave less than a page "
                                  "per message";
  const SourceFile source(TransferSize(chunk), /*seed=*/21);
  CopyCounter* const counters[] = {counter.get()};
  CountedTransfer run;
  try {
    run = RunCounted(transfer, source, chunk, counters);
  } catch (const TransferUnavailable& unavailable) {
    SKIP_UNVERIFIED(unavailable.what());
  }
  ASSERT_TRUE(Delivered(copy_case.transfer, run.outcome, source));
  const CopyCounts& counts = run.counts[0];
  std::cout << transfer.name << " (" << transfer.calls << "), " << run.size
            << " bytes in " << run.chunk << "-byte chunks:\n"
            << DescribeCopies(counts);
  ASSERT_TRUE(SoundPageFaultCounts(run, counts));
  RecordPageFaultFigures(copy_case, run, counts);
}

// --- Both methods on the same transfer ---------------------------------------

// Where fentry loads (the guests), both methods count the same transfer at
// once, and must agree; the function-entry figures are recorded under
// fentry.copies.… (no rule reads them).
void CompareMethods(const CopyCase& copy_case) {
  if (copy_case.needs_ipc_namespace) {
    ENTER_PRIVATE_IPC_NAMESPACE_OR_SKIP();
  }
  START_COUNTER_OR_SKIP(faults, CopyMethod::kPageFaults);
  START_COUNTER_OR_SKIP(entry, CopyMethod::kFunctionEntry);
  if (const auto* functions =
          dynamic_cast<const bpf::FunctionCopyCounter*>(entry.get())) {
    std::cout << functions->DescribeCoverage() << "\n";
  }
  const NamedTransfer& transfer = TransferNamed(copy_case.transfer);
  const size_t chunk = ChunkFor(copy_case.transfer);
  ASSERT_GE(chunk, PageSize());
  const SourceFile source(TransferSize(chunk), /*seed=*/22);
  CopyCounter* const counters[] = {faults.get(), entry.get()};
  CountedTransfer run;
  try {
    run = RunCounted(transfer, source, chunk, counters);
  } catch (const TransferUnavailable& unavailable) {
    SKIP_UNVERIFIED(unavailable.what());
  }
  ASSERT_TRUE(Delivered(copy_case.transfer, run.outcome, source));
  const CopyCounts& by_faults = run.counts[0];
  const CopyCounts& by_entry = run.counts[1];
  std::cout << transfer.name << ", " << run.size << " bytes in " << run.chunk
            << "-byte chunks:\n"
            << DescribeCopies(by_faults) << DescribeCopies(by_entry);
  ASSERT_TRUE(SoundPageFaultCounts(run, by_faults));
  EXPECT_TRUE(MethodsAgree(by_faults, by_entry));
  const std::string stem = "fentry.copies." + std::string(copy_case.transfer);
  const ProcessCopies sender = by_entry.Of(kSender);
  const ProcessCopies receiver = by_entry.Of(kReceiver);
  const uint64_t user_bytes =
      sender.user_bytes() +
      (copy_case.both_processes ? receiver.user_bytes() : 0);
  RecordMeasurement(stem + ".user_copies",
                    static_cast<double>(user_bytes) /
                        static_cast<double>(run.outcome.receiver_bytes));
  for (const ProcessCopies* process : {&sender, &receiver}) {
    const std::string role = stem + "." + RoleName(process->label) + ".";
    RecordMeasurement(role + "to_user_bytes", process->to_user_bytes);
    RecordMeasurement(role + "from_user_bytes", process->from_user_bytes);
    RecordMeasurement(role + "kernel_bytes", process->kernel_bytes);
    RecordMeasurement(role + "routines", RoutinesText(*process));
  }
}

// --- The tests, one suite per claim ----------------------------------------

std::string CopyCaseName(const ::testing::TestParamInfo<CopyCase>& info) {
  return CaseName(info.param.transfer);
}

// Each suite: CountedByPageFaults (every kernel: its figures decide the
// claim) and BothMethodsAgree (where fentry loads).
class KernelBufferCopyTest : public ::testing::TestWithParam<CopyCase> {};

TEST_P(KernelBufferCopyTest, CountedByPageFaults) {
  CLAIM("copy.pipe-mq-four");
  CountByPageFaults(GetParam());
}

TEST_P(KernelBufferCopyTest, BothMethodsAgree) {
  CLAIM("copy.pipe-mq-four");
  CompareMethods(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Transfers, KernelBufferCopyTest,
                         ::testing::ValuesIn(kKernelBufferCases), CopyCaseName);

TEST(SharedMemoryCopyTest, CountedByPageFaults) {
  CLAIM("copy.shm-two");
  CountByPageFaults(kSharedMemoryCase);
}

TEST(SharedMemoryCopyTest, BothMethodsAgree) {
  CLAIM("copy.shm-two");
  CompareMethods(kSharedMemoryCase);
}

class ReadWriteSocketCopyTest : public ::testing::TestWithParam<CopyCase> {};

TEST_P(ReadWriteSocketCopyTest, CountedByPageFaults) {
  CLAIM("copy.read-write-two");
  CountByPageFaults(GetParam());
}

TEST_P(ReadWriteSocketCopyTest, BothMethodsAgree) {
  CLAIM("copy.read-write-two");
  CompareMethods(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Transfers, ReadWriteSocketCopyTest,
                         ::testing::ValuesIn(kReadWriteCases), CopyCaseName);

class MmapWriteSocketCopyTest : public ::testing::TestWithParam<CopyCase> {};

TEST_P(MmapWriteSocketCopyTest, CountedByPageFaults) {
  CLAIM("zerocopy.mmap-one");
  CountByPageFaults(GetParam());
}

TEST_P(MmapWriteSocketCopyTest, BothMethodsAgree) {
  CLAIM("zerocopy.mmap-one");
  CompareMethods(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Transfers, MmapWriteSocketCopyTest,
                         ::testing::ValuesIn(kMmapWriteCases), CopyCaseName);

class SendfileSocketCopyTest : public ::testing::TestWithParam<CopyCase> {};

TEST_P(SendfileSocketCopyTest, CountedByPageFaults) {
  CLAIM("zerocopy.sendfile-none");
  CountByPageFaults(GetParam());
}

TEST_P(SendfileSocketCopyTest, BothMethodsAgree) {
  CLAIM("zerocopy.sendfile-none");
  CompareMethods(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Transfers, SendfileSocketCopyTest,
                         ::testing::ValuesIn(kSendfileCases), CopyCaseName);

// --- sendfile's copy inside the kernel ---------------------------------------

// A connected stream pair {sender, receiver}, both non-blocking.
struct SocketPair {
  ipc::UniqueFd sender;
  ipc::UniqueFd receiver;
};

SocketPair UnixStreamPair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
                   fds) != 0) {
    throw std::system_error(errno, std::generic_category(),
                            "socketpair(AF_UNIX, SOCK_STREAM)");
  }
  return {ipc::UniqueFd(fds[0]), ipc::UniqueFd(fds[1])};
}

// TCP over this namespace's loopback; throws TransferUnavailable when there
// is none (no loopback up), as the kit's TCP transfers do.
SocketPair TcpLoopbackPair() {
  try {
    ipc::TcpSocket listener =
        ipc::TcpSocket::Listen(ipc::InetAddress::Loopback4(), 1);
    ipc::TcpSocket client =
        ipc::TcpSocket::Connect(listener.LocalAddress(), SOCK_CLOEXEC);
    std::optional<ipc::TcpSocket> server =
        listener.AcceptWithin(kBlockedTimeout, nullptr, SOCK_CLOEXEC);
    if (!server) {
      throw TransferUnavailable(
          "TCP loopback: the connection was not accepted within the deadline");
    }
    for (int fd : {client.fd(), server->fd()}) {
      const int flags = ::fcntl(fd, F_GETFL);
      if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        throw std::system_error(errno, std::generic_category(),
                                "fcntl(O_NONBLOCK) on a TCP socket");
      }
    }
    return {ipc::UniqueFd(client.Release()), ipc::UniqueFd(server->Release())};
  } catch (const TransferUnavailable&) {
    throw;
  } catch (const std::system_error& failed) {
    throw TransferUnavailable(std::string("TCP loopback: ") + failed.what());
  }
}

int SocketBufferOption(int fd, int option) {
  int value = 0;
  socklen_t length = sizeof value;
  if (::getsockopt(fd, SOL_SOCKET, option, &value, &length) != 0) {
    throw std::system_error(errno, std::generic_category(), "getsockopt");
  }
  return value;
}

// sendfile(2) of `size` bytes of `file` from offset 0 into non-blocking
// `socket`: each EAGAIN waits for room (poll POLLOUT with a deadline), and
// the loop ends after at most two rounds per page, so a kernel that neither
// takes the bytes nor refuses them fails here.
::testing::AssertionResult SendfileAll(int socket, int file, size_t size) {
  off_t offset = 0;
  const size_t bound = 2 * (size / PageSize() + 1);
  for (size_t round = 0; round < bound; ++round) {
    if (static_cast<size_t>(offset) == size) {
      return ::testing::AssertionSuccess();
    }
    const ssize_t n =
        ::sendfile(socket, file, &offset, size - static_cast<size_t>(offset));
    if (n > 0) continue;
    if (n == 0) {
      return ::testing::AssertionFailure()
             << "sendfile returned 0 at offset " << offset << " of " << size;
    }
    if (errno != EAGAIN) {
      return ::testing::AssertionFailure()
             << "sendfile failed with " << ErrnoName(errno) << " at offset "
             << offset;
    }
    if (PollWithin(socket, POLLOUT, kBlockedTimeout) <= 0) {
      return ::testing::AssertionFailure()
             << "sendfile: EAGAIN at offset " << offset
             << " and no room within the deadline, for " << size
             << " bytes that fit the socket's buffers";
    }
  }
  if (static_cast<size_t>(offset) == size) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "sendfile: only " << offset << " of " << size << " bytes after "
         << bound << " rounds";
}

// The functions that hand a socket the pipe's page references, without a
// copy: skb_splice_from_iter (6.5+, under unix_stream_sendmsg and
// tcp_sendmsg_locked with MSG_SPLICE_PAGES), unix_stream_sendpage and
// do_tcp_sendpages (the sendpage path before 6.5).
constexpr std::array<std::string_view, 3> kPagePassingFunctions = {
    "skb_splice_from_iter", "unix_stream_sendpage", "do_tcp_sendpages"};

bool IsPagePassing(std::string_view function) {
  return std::find(kPagePassingFunctions.begin(), kPagePassingFunctions.end(),
                   function) != kPagePassingFunctions.end();
}

// Where the function-entry counter loads (the guests): which of the table's
// functions moved the sent bytes through kernel iterators during the
// sendfile, recorded; and when the received bytes showed page references
// and the kernel has one of the page-passing functions, those must have
// moved exactly the `size` bytes sent, and skb_copy_datagram_from_iter (the
// copy of an iterator's bytes into a socket buffer) less than a page. Where
// the bytes were copied nothing is asserted: a copy may happen inside either
// kind of function.
void CrossCheckSendfileByFunctionEntry(const CopyCounter& counter, size_t size,
                                       bool by_reference) {
  const auto* entry = dynamic_cast<const bpf::FunctionCopyCounter*>(&counter);
  ASSERT_NE(entry, nullptr) << "CopyMethod::kFunctionEntry started something "
                               "other than a FunctionCopyCounter";
  const CopyCounts counts = entry->Read();
  std::cout << entry->DescribeCoverage() << "\n" << DescribeCopies(counts);
  ASSERT_EQ(counts.dropped_events, 0u) << DescribeCopies(counts);
  const auto all = entry->KernelBytesByFunction();
  const auto found = all.find(kSender);
  const std::map<std::string, uint64_t> by_function =
      found == all.end() ? std::map<std::string, uint64_t>() : found->second;
  std::string text;
  uint64_t passed = 0;
  for (const auto& [function, bytes] : by_function) {
    if (!text.empty()) text += ", ";
    text += function + " " + std::to_string(bytes) + " B";
    if (IsPagePassing(function)) passed += bytes;
  }
  if (text.empty()) text = "none";
  const auto copying = by_function.find("skb_copy_datagram_from_iter");
  const uint64_t copied = copying == by_function.end() ? 0 : copying->second;
  RecordMeasurement("fentry.copies.sendfile_kernel.kernel_bytes",
                    counts.Of(kSender).kernel_bytes);
  RecordMeasurement("fentry.copies.sendfile_kernel.by_function", text);
  RecordMeasurement("fentry.copies.sendfile_kernel.page_passing_bytes", passed);
  const std::vector<std::string>& traced = entry->traced_functions();
  if (!by_reference ||
      std::none_of(traced.begin(), traced.end(), [](const std::string& name) {
        return IsPagePassing(name);
      })) {
    return;
  }
  EXPECT_EQ(passed, size)
      << "the received bytes show page references, but function entry saw "
         "the page-passing functions move "
      << passed << " of the " << size << " bytes sent (" << text << ")";
  EXPECT_LT(copied, PageSize())
      << "the received bytes show page references, but function entry saw "
         "skb_copy_datagram_from_iter copy "
      << copied << " bytes into the socket (" << text << ")";
}

// Whether the socket held references to the file's page-cache pages or a
// copy of their bytes: sendfile `size` bytes of a file into the socket, let
// nobody read them, overwrite the file in place with pwrite(2), and then
// read what the receiver gets. A page whose NEW bytes arrive travelled as a
// reference to the page cache (0 kernel copies: the splice_to_socket /
// MSG_SPLICE_PAGES path of 6.5+, the sendpage path of 6.1); a page whose
// OLD bytes arrive was copied into the socket's buffers when sendfile ran
// (1 copy). Records copies.sendfile_socket.kernel_copies, the fraction of
// pages that arrived old; a mix of both, or bytes that are neither, fails
// with the pages' offsets.
void MeasureSendfileKernelCopies(SocketPair sockets) {
  const size_t page = PageSize();
  // A size that fits both buffers with room for the kernel's per-buffer
  // overhead (socket(7): SO_SNDBUF and SO_RCVBUF are doubled for it), so
  // the bytes wait in the sockets unread, never pruned or collapsed.
  const size_t room = std::min(
      static_cast<size_t>(SocketBufferOption(sockets.sender.get(), SO_SNDBUF)),
      static_cast<size_t>(
          SocketBufferOption(sockets.receiver.get(), SO_RCVBUF)));
  const size_t pages = std::min<size_t>(16, room / 4 / page);
  ASSERT_GE(pages, 1u) << "the socket buffers (" << room
                       << " bytes) leave no page to send";
  const size_t size = pages * page;
  const SourceFile source(size, /*seed=*/31);
  const std::vector<char> updated = Pattern(size, /*seed=*/32);
  ipc::UniqueFd file(::open(source.path().c_str(), O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(file.valid())
      << "open(" << source.path() << "): " << ErrnoName(errno);

  // The function-entry counter, where it loads, shows which routines moved
  // the bytes inside the kernel during the sendfile (the page-fault counter
  // cannot: no user memory is touched).
  StartedCounter entry = TryStartCounter(CopyMethod::kFunctionEntry);
  if (entry.counter) entry.counter->Follow(kSender);
  ::testing::AssertionResult sent =
      SendfileAll(sockets.sender.get(), file.get(), size);
  if (entry.counter) entry.counter->Follow(0);
  ASSERT_TRUE(sent);

  ASSERT_EQ(::pwrite(file.get(), updated.data(), size, 0),
            static_cast<ssize_t>(size))
      << "pwrite: " << ErrnoName(errno);
  const Received received = ReadWithin(sockets.receiver.get(), size);
  ASSERT_EQ(received.bytes.size(), size)
      << "the receiver got " << received.bytes.size() << " of " << size
      << " bytes" << (received.eof ? " (end of file)" : "")
      << (received.timed_out ? " within the deadline" : "");

  std::vector<size_t> old_pages;
  std::vector<size_t> new_pages;
  std::vector<size_t> neither;
  for (size_t offset = 0; offset < size; offset += page) {
    const char* got = received.bytes.data() + offset;
    if (std::memcmp(got, updated.data() + offset, page) == 0) {
      new_pages.push_back(offset);
    } else if (std::memcmp(got, source.bytes().data() + offset, page) == 0) {
      old_pages.push_back(offset);
    } else {
      neither.push_back(offset);
    }
  }
  auto offsets = [](const std::vector<size_t>& list) {
    std::string text;
    for (size_t offset : list) {
      if (!text.empty()) text += ", ";
      text += std::to_string(offset);
    }
    return text;
  };
  std::cout << size << " bytes sent with sendfile, then overwritten: "
            << new_pages.size() << " page(s) arrived with the new bytes "
            << "(references), " << old_pages.size()
            << " with the old ones (copied)\n";
  ASSERT_TRUE(neither.empty())
      << "pages at offsets " << offsets(neither)
      << " hold neither the bytes sent nor the bytes written later";
  ASSERT_TRUE(old_pages.empty() || new_pages.empty())
      << "a mix: pages at offsets " << offsets(new_pages)
      << " arrived as references, at " << offsets(old_pages) << " as copies";
  RecordMeasurement(
      "copies.sendfile_socket.kernel_copies",
      static_cast<double>(old_pages.size()) / static_cast<double>(pages));

  if (!entry.counter) {
    std::cout << entry.unavailable << " (no cross-check by function entry)\n";
    return;
  }
  CrossCheckSendfileByFunctionEntry(*entry.counter, size,
                                    /*by_reference=*/old_pages.empty());
}

TEST(CopySendfileKernelTest, MeasuredOverAUnixStreamSocket) {
  CLAIM("zerocopy.sendfile-none");
  MeasureSendfileKernelCopies(UnixStreamPair());
}

TEST(CopySendfileKernelTest, MeasuredOverTcpLoopback) {
  CLAIM("zerocopy.sendfile-none");
  SocketPair sockets;
  try {
    sockets = TcpLoopbackPair();
  } catch (const TransferUnavailable& unavailable) {
    SKIP_UNVERIFIED(unavailable.what());
  }
  MeasureSendfileKernelCopies(std::move(sockets));
}

// --- The probe's sys_enter counts against ptrace's ---------------------------

class CopySyscallCrossCheckTest
    : public ::testing::TestWithParam<std::string_view> {};

// zerocopy.fewer-syscalls is decided by syscall_count_test's ptrace counts;
// here the same sending half runs traced AND followed by the probe, and the
// probe's sys_enter counts of A must equal ptrace's, call for call. The
// only difference is known: the kit's two marks (prctl) are left out by
// ptrace and counted by the probe, while the probe's own markers (Follow,
// outside the marks) are counted by neither.
TEST_P(CopySyscallCrossCheckTest, SysEnterCountsEqualThePtraceCounts) {
  CLAIM("zerocopy.fewer-syscalls");
  START_COUNTER_OR_SKIP(counter, CopyMethod::kPageFaults);
  const NamedTransfer& transfer = TransferNamed(GetParam());
  const SourceFile source(kMinTransferSize, /*seed=*/41);
  std::unique_ptr<PreparedTransfer> prepared;
  try {
    prepared = transfer.prepare(source.Setup(kChunk));
  } catch (const TransferUnavailable& unavailable) {
    SKIP_UNVERIFIED(unavailable.what());
  }
  counter->Reset();
  PreparedTransfer* const sender = prepared.get();
  const CopyCounter* const probe = counter.get();
  const SyscallCount count = CountSyscallsBetweenMarks([sender, probe] {
    probe->Follow(kSender);
    SyscallCountStartMark();
    const int code = sender->Send();
    SyscallCountEndMark();
    probe->Follow(0);
    return code;
  });
  const TransferOutcome outcome = prepared->Finish(count.exit_status);
  SKIP_UNLESS_SYSCALLS_COUNTED(count);
  ASSERT_TRUE(count.ok()) << count.Describe();
  ASSERT_TRUE(Delivered(transfer.name, outcome, source));
  const CopyCounts counts = counter->Read();
  ASSERT_EQ(counts.dropped_events, 0u) << DescribeCopies(counts);

  std::map<long, uint64_t> traced;
  for (long number : count.syscalls) ++traced[number];
  traced[SYS_prctl] += 2;  // the kit's marks
  const ProcessCopies probe_view = counts.Of(kSender);
  const std::map<long, uint64_t>& probed = probe_view.syscalls;
  EXPECT_EQ(probed, traced)
      << "sys_enter (probe): " << SyscallsText(probed)
      << "\nptrace, plus the two marks: " << SyscallsText(traced);
  const std::string stem =
      "copies.sys_enter_check." + std::string(transfer.name);
  uint64_t probed_total = 0;
  for (const auto& [number, calls] : probed) probed_total += calls;
  // Raw: the probe also counts the kit's two marks (see above).
  RecordMeasurement(stem + ".probe_calls_incl_marks", probed_total);
  RecordMeasurement(stem + ".ptrace_calls", count.syscalls.size());
  RecordMeasurement(stem + ".probe_syscalls", SyscallsText(probed));
}

INSTANTIATE_TEST_SUITE_P(
    FileToSocket, CopySyscallCrossCheckTest,
    ::testing::Values("unix_socket.read_write", "unix_socket.mmap_write",
                      "unix_socket.sendfile", "unix_socket.splice",
                      "tcp_socket.read_write", "tcp_socket.mmap_write",
                      "tcp_socket.sendfile", "tcp_socket.splice"),
    [](const ::testing::TestParamInfo<std::string_view>& info) {
      return CaseName(info.param);
    });

}  // namespace
}  // namespace ipcproof
