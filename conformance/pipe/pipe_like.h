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
#ifndef CONFORMANCE_PIPE_END_H_
#define CONFORMANCE_PIPE_END_H_

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

}  // namespace ipcproof

#endif  // CONFORMANCE_PIPE_END_H_
