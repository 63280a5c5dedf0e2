// Pipe-like channels for value-parameterised fixtures.
//
// pipe(7): "The only difference between pipes and FIFOs is the manner in
// which they are created and opened. Once these tasks have been accomplished,
// I/O on pipes and FIFOs has exactly the same semantics." A fixture
// parameterised over PipeLikeSpec tests that sentence: every shared
// semantics test runs once on an anonymous pipe and once on a named pipe.
//
//   class PipeSemanticsTest : public ::testing::TestWithParam<PipeLikeSpec> {};
//   TEST_P(PipeSemanticsTest, ReadOnEmptyBlocks) {
//     PipeLike channel = PipeLike::Make(GetParam());
//     ... channel.read_fd(), channel.write_fd(), channel.pipe().Capacity() ...
//   }
//   INSTANTIATE_TEST_SUITE_P(PipeLike, PipeSemanticsTest,
//                            ::testing::ValuesIn(AllPipeKinds()),
//                            PipeLikeParamName);
//
// gives PipeLike/PipeSemanticsTest.ReadOnEmptyBlocks/AnonymousPipe and
// PipeLike/PipeSemanticsTest.ReadOnEmptyBlocks/NamedPipe.
//
// Below the fixture: what the pipe tests of this folder compare against
// (page size, pipe-max-size, the kernel's default capacity rule) and a fill
// that cannot wait. The deadline-bounded reads and waits they use so that a
// misbehaving kernel fails one test with a message instead of hanging it are
// the kit's (kit/deadline_io.h, kit/child_exit.h, kit/child_io.h).
#ifndef CONFORMANCE_PIPE_PIPE_LIKE_H_
#define CONFORMANCE_PIPE_PIPE_LIKE_H_

#include <limits.h>

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ipc/fifo.h"
#include "ipc/pipe.h"

namespace ipcproof {

// How the channel is made.
enum class PipeKind {
  kAnonymous,  // pipe2(2)
  kNamed,      // mkfifo(3) in TestTempDir(), both ends opened by this process
};

// One value of a pipe-like fixture's parameter.
struct PipeLikeSpec {
  PipeKind kind = PipeKind::kAnonymous;
  // O_NONBLOCK on both ends (each end is its own open file description).
  bool non_blocking = false;
};

// A pipe-like channel owned by the test: both ends as an ipc::Pipe, plus the
// FIFO node when it is named (unlinked when this object goes away, after the
// ends are closed). Both ends are O_CLOEXEC; forked children inherit them.
class PipeLike {
 public:
  // Anonymous: pipe2(O_CLOEXEC [| O_NONBLOCK]).
  // Named: mkfifo, then the read end is opened O_RDONLY|O_NONBLOCK (which
  // fifo(7) lets succeed with no writer, so nothing blocks), then the write
  // end (which now has a reader), then O_NONBLOCK is cleared on the read end
  // unless the spec asks for non-blocking ends.
  // Throws std::system_error when a call fails.
  static PipeLike Make(PipeLikeSpec spec);

  PipeLike(PipeLike&&) noexcept = default;
  PipeLike& operator=(PipeLike&&) noexcept = default;

  const PipeLikeSpec& spec() const { return spec_; }
  ipc::Pipe& pipe() { return pipe_; }
  const ipc::Pipe& pipe() const { return pipe_; }
  int read_fd() const { return pipe_.read_fd(); }
  int write_fd() const { return pipe_.write_fd(); }
  // The FIFO node for a named pipe, nullptr for an anonymous one.
  const ipc::Fifo* fifo() const { return fifo_ ? &*fifo_ : nullptr; }

 private:
  PipeLike(PipeLikeSpec spec, std::optional<ipc::Fifo> fifo, ipc::Pipe pipe);

  PipeLikeSpec spec_;
  std::optional<ipc::Fifo> fifo_;  // declared first: destroyed after pipe_
  ipc::Pipe pipe_;
};

// "AnonymousPipe", "NamedPipe", "AnonymousPipeNonBlocking",
// "NamedPipeNonBlocking": a valid gtest name suffix.
std::string PipeLikeName(const PipeLikeSpec& spec);

// Lets gtest print a spec (in failure messages and --gtest_list_tests).
void PrintTo(const PipeLikeSpec& spec, std::ostream* os);

// Name generator for INSTANTIATE_TEST_SUITE_P.
std::string PipeLikeParamName(
    const ::testing::TestParamInfo<PipeLikeSpec>& info);

// Both kinds (anonymous, named) with the given blocking mode, for
// ::testing::ValuesIn.
std::vector<PipeLikeSpec> AllPipeKinds(bool non_blocking = false);

// --- What the kernel's pipes are compared against --------------------------

// sysconf(_SC_PAGESIZE): a pipe's ring holds whole pages (fs/pipe.c).
size_t PageSize();

// /proc/sys/fs/pipe-max-size.
size_t PipeMaxSize();

// PIPE_BUF from <limits.h>: the documented atomicity bound (pipe(7)).
inline constexpr size_t kPipeBuf = PIPE_BUF;

// The capacity fs/pipe.c alloc_pipe_info gives a new pipe whose owner is
// under /proc/sys/fs/pipe-user-pages-soft: PIPE_DEF_BUFFERS pages (pipe(7):
// "Since Linux 2.6.35, the default pipe capacity is 16 pages"), lowered to
// pipe-max-size (whole pages) unless the creator holds CAP_SYS_RESOURCE:
//   if (pipe_bufs * PAGE_SIZE > max_size && !capable(CAP_SYS_RESOURCE))
//           pipe_bufs = max_size >> PAGE_SHIFT;
// (pipe(7): "Since Linux 4.9, the value on this file also acts as a ceiling
// on the default capacity of a new pipe", which leaves out the exemption.)
size_t DefaultCapacityFor(bool holds_sys_resource);

// fcntl(2) F_SETPIPE_SZ: "the allocation is the next higher power-of-two
// page-size multiple of the requested size"; below a page rounds up to one
// (fs/pipe.c round_pipe_size).
size_t PowerOfTwoPagesAtLeast(size_t bytes);

// --- Filling without waiting ----------------------------------------------

// Writes all of `data` in one write(2) with O_NONBLOCK set on the file
// description for that call only (then restored): to fill a blocking pipe
// up to what F_GETPIPE_SZ says without risking a wait, so a kernel whose
// pipe holds less fails here instead of hanging.
::testing::AssertionResult FillWithoutWaiting(int fd, const void* data,
                                              size_t size);

}  // namespace ipcproof

#endif  // CONFORMANCE_PIPE_PIPE_LIKE_H_
