// Named transfers: the same bytes moved from a file to a sink by each of the
// paths the note compares (its "zero copy" section and its copy counts), so
// that a test can run any of them, check what arrived byte for byte, count
// the system calls of its sending half (kit/syscall_counter.h), or time it.
//
// Every transfer has two halves in two processes:
//   A, the sender: moves TransferSetup::size bytes from the source file into
//      the channel (a socket, a pipe, a queue, shared memory);
//   B, the receiver: a child forked by Prepare, which takes the bytes out of
//      the channel and writes them into a sink file, then exits.
// The outcome is what the sink file holds once B has exited, with B's own
// byte count and checksum (where B sees the bytes in a buffer of its own).
//
// A runs in two ways. RunTransfer calls Send() in the calling process (with
// a SIGALRM deadline, kit/alarm_deadline.h). Or a test prepares the
// transfer, calls Send() between the syscall counter's marks in its traced
// child, and then calls Finish with that child's status:
//
//   std::unique_ptr<PreparedTransfer> prepared = transfer.prepare(setup);
//   SyscallCount count = CountSyscallsBetweenMarks([&] {
//     SyscallCountStartMark();
//     const int code = prepared->Send();
//     SyscallCountEndMark();
//     return code;
//   });
//   TransferOutcome outcome = prepared->Finish(count.exit_status);
//
// Send() is async-signal-safe and allocation-free: every buffer, descriptor,
// mapping of shared memory and the receiver itself are made by Prepare, and
// Send makes raw system calls only. It does not close the channel: Finish
// does (A's copies in the traced child close when it exits), so B sees the
// end of a stream once every copy of A's end is gone. Queues and shared
// memory carry the end as a zero-length message / handoff that Send makes.
//
// Bounded: B resets SIGALRM to its default and calls alarm(2) on entry, so a
// receiver whose channel never delivers dies with SIGALRM (and Finish says
// so); Finish waits for B at most kTransferDeadline; A sees EPIPE (SIGPIPE is
// ignored while a transfer is prepared) when B is gone, EINTR when its
// deadline passes, and treats any short count of 0 as the end of its input.
//
// Queue transfers create System V / POSIX queues: the caller must be in a
// private IPC namespace (kit/namespaces.h) so nothing can leak onto the host.
// POSIX names come from UniqueIpcName and are unlinked as soon as both ends
// are open.
#ifndef CONFORMANCE_KIT_NAMED_TRANSFERS_H_
#define CONFORMANCE_KIT_NAMED_TRANSFERS_H_

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ipc/child_process.h"

namespace ipcproof {

// Each half's deadline: B's alarm and Finish's wait for B; RunTransfer's
// deadline for A. At time scale 1: each is ScaledTimeout(kTransferDeadline)
// (kit/time_scale.h).
inline constexpr std::chrono::seconds kTransferDeadline{5};

enum class TransferKind {
  kFileToSocket,      // A: file -> socket;  B: socket -> sink file
  kFileToPipeToFile,  // A: file -> pipe;    B: pipe -> sink file
  kMessageQueue,      // A: file -> queue;   B: queue -> sink file
  kSharedMemory,      // A: file -> shm;     B: shm -> sink file (semaphores)
};

// "file_to_socket", ...
std::string_view TransferKindName(TransferKind kind);

struct TransferSetup {
  // The source file; every transfer opens it afresh (its own offset).
  std::string source_path;
  // The bytes to move: the whole source file.
  size_t size = 0;
  // The most bytes one call moves. Queue transfers use at most the queue's
  // largest message (kernel/msgmax, fs/mqueue/msgsize_max, read from /proc).
  size_t chunk = 64 * 1024;

  // For the page-fault copy counter (bpf/copy_counter.h, kPageFaults): it
  // sees a copy between user and kernel space only where the user page is
  // not mapped when the kernel touches it. With this set, every user buffer
  // A and B copy through is a bpf::FaultingBuffer (page-aligned, one mapping
  // per page, bpf/fault_buffer.h) whose pages are dropped right before each
  // system call that copies through it (read, write, msgsnd, msgrcv,
  // mq_timedsend, mq_timedreceive), so each page the kernel copies faults
  // once inside the copying routine:
  //   - System V messages: the long mtype sits at the end of the page before
  //     the text, so the text starts on a page boundary, and only the text's
  //     pages are dropped (msgsnd reads mtype with one get_user and msgrcv
  //     writes it with one put_user, apart from the data copy: load_msg /
  //     store_msg);
  //   - mmap+write: the source is mapped by Prepare as a
  //     bpf::PerPageFileMapping (each page its own mapping: no fault-around),
  //     so Send makes no mmap/munmap of its own in this mode and the mapping
  //     is dropped before each write;
  //   - shared memory: the region is a FaultingBuffer (MAP_SHARED, so B
  //     shares it after the fork); the semaphores' page stays mapped and
  //     only the data slot's pages are dropped (before A's read into it and
  //     B's write out of it);
  //   - queue chunks are rounded down to whole pages (when at least one), so
  //     each message's text is whole pages.
  // Send stays async-signal-safe and allocation-free: Prepare makes every
  // buffer. A Drop that fails ends the half with ErrnoExit.
  bool fault_every_page = false;

  // Called first thing in B after the fork, before any other call of B's,
  // with `receiver_context` (e.g. to CopyCounter::Follow under B's label).
  // Must be async-signal-safe; nullptr: nothing is called.
  void (*receiver_started)(const void* context) = nullptr;
  const void* receiver_context = nullptr;
};

// A source file: `size` bytes of Pattern(size, seed) in a file of the
// test's temporary directory (kit/temp_path.h), removed on destruction.
class SourceFile {
 public:
  SourceFile(size_t size, unsigned seed);
  ~SourceFile();
  SourceFile(const SourceFile&) = delete;
  SourceFile& operator=(const SourceFile&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<char>& bytes() const { return bytes_; }
  // {path(), bytes().size(), chunk}.
  TransferSetup Setup(size_t chunk) const;

 private:
  std::string path_;
  std::vector<char> bytes_;
};

// FNV-1a, 64 bits: the checksum B computes over what it receives.
uint64_t TransferChecksum(std::span<const char> bytes);
inline constexpr uint64_t kTransferChecksumSeed = 0xcbf29ce484222325ULL;
// One step of it, for a checksum computed chunk by chunk (async-signal-safe).
uint64_t TransferChecksumUpdate(uint64_t checksum, const char* bytes, size_t n);

struct TransferOutcome {
  // "" when A and B both finished cleanly; otherwise what went wrong
  // ("the sender: exited with status 160 (the call failed with EPIPE
  // ...)", "the receiver: killed by signal 14 (Alarm clock)").
  std::string error;
  // The sink file's contents after B exited.
  std::vector<char> received;
  // B's own count and checksum of what it took out of the channel;
  // receiver_checksum is nullopt when B never held the bytes in user memory
  // (it spliced them into the sink).
  size_t receiver_bytes = 0;
  std::optional<uint64_t> receiver_checksum;

  bool ok() const { return error.empty(); }
};

// A transfer whose receiver runs and whose sender is ready to send.
// Destruction kills and reaps the receiver if Finish was not called, closes
// every descriptor and removes the queue, shared memory and sink file.
class PreparedTransfer {
 public:
  virtual ~PreparedTransfer();
  // A's half: moves every byte of the source into the channel, then the end
  // marker where the channel needs one. Async-signal-safe, no allocation:
  // callable in a forked (traced) child. Returns 0, or an exit code of
  // kit/child_exit.h (ErrnoExit for a failed call; 1 when the source ended
  // before `size` bytes). Call once.
  virtual int Send() = 0;
  // Closes A's ends of the channel in this process, waits for B (at most
  // kTransferDeadline) and reads the sink. `sender` is how A ended: the
  // traced child's status, or WaitStatus(code << 8) for Send()'s code.
  TransferOutcome Finish(std::optional<ipc::WaitStatus> sender);
  // Forks B. The last step of a transfer's prepare function, once the
  // derived object is complete; called once.
  void StartReceiver();

 protected:
  // Keeps setup.receiver_started and receiver_context for StartReceiver.
  explicit PreparedTransfer(const TransferSetup& setup);
  // Closes A's channel descriptors (idempotent).
  virtual void CloseSenderEnds() = 0;
  // Closes this process's copies of B's channel descriptors, once B is
  // forked: when B dies, A's next write then fails EPIPE at once instead of
  // blocking on a buffer nobody drains. Default: nothing (queues and shared
  // memory have no reader's end).
  virtual void CloseReceiverEnds() {}
  // B's half, run in the forked receiver after CloseSenderEnds: takes the
  // bytes out of the channel into sink_fd() until the channel's end, calls
  // ReportFromReceiver, and returns its exit code (0 on success).
  // Async-signal-safe.
  virtual int Receive() = 0;
  // For B: reports its count and checksum (async-signal-safe).
  void ReportFromReceiver(size_t bytes, uint64_t checksum, bool known);
  int sink_fd() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

struct NamedTransfer {
  // "unix_socket.sendfile", "pipe.splice", "sysv_msg", ...
  std::string_view name;
  TransferKind kind;
  // Which calls A makes per chunk (and once), and what B does.
  std::string_view calls;
  // Opens the source, makes the channel and forks B. Throws
  // TransferUnavailable when the machine cannot offer the channel (no
  // loopback for TCP), std::system_error for any other failed call.
  std::unique_ptr<PreparedTransfer> (*prepare)(const TransferSetup& setup);
};

// The channel cannot be made here: the test skips with what() as reason.
class TransferUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Every named transfer, in a fixed order: unix_socket.{read_write,
// mmap_write, sendfile, splice}, tcp_socket.{...the same}, pipe.read_write,
// pipe.splice, sysv_msg, posix_mq, shared_memory.
std::span<const NamedTransfer> AllTransfers();
// The one called `name`; throws std::invalid_argument for an unknown name.
const NamedTransfer& TransferNamed(std::string_view name);

// Prepare, Send in this process (SIGALRM deadline kTransferDeadline), Finish.
TransferOutcome RunTransfer(const NamedTransfer& transfer,
                            const TransferSetup& setup);

// The largest send buffer a file -> socket transfer starts with: the
// maximum of a fresh pipe's F_GETPIPE_SZ and the SO_SNDBUF of a fresh Unix
// stream socketpair, read from the kernel (sizes "larger than the buffer"
// are multiples of it).
size_t LargestChannelBuffer();

}  // namespace ipcproof

#endif  // CONFORMANCE_KIT_NAMED_TRANSFERS_H_
