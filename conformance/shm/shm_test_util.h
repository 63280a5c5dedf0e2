// What the shared-memory suites of conformance/shm share: a gate a forked
// child waits at (and the test proves, from /proc, that it waits there),
// and the page-frame lookup in /proc/PID/pagemap.
#ifndef CONFORMANCE_SHM_SHM_TEST_UTIL_H_
#define CONFORMANCE_SHM_SHM_TEST_UTIL_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/pipe.h"

namespace ipcproof {

// A pipe a forked child waits on until the test closes its write end. The
// child blocks in poll(2) (kit/deadline_io.h PollWithin, with the kit's
// blocking deadline), so the test can prove it waits there
// (WaitUntilChildWaits) before it looks at what the child holds (an
// attachment, a mapping), and a test that never opens the gate does not
// hang the child past that deadline.
class ChildGate {
 public:
  ChildGate();

  // In the child, first thing: closes the inherited write end, so the
  // parent's Open() is what ends the wait. Every child forked while a gate
  // is shut inherits its write end, and must take that gate's side too,
  // whether or not it waits there: otherwise the gate never opens for the
  // child that does. Async-signal-safe.
  void ChildTakesItsSide() const;
  // In the child: waits for the parent's Open(). True when the gate opened
  // (end of file), false on the deadline or an error. Async-signal-safe.
  bool ChildWaits() const;

  // In the test process: the child `pid` sleeps in poll on the gate.
  ::testing::AssertionResult WaitUntilChildWaits(pid_t pid) const;
  // In the test process: lets every waiting child go (closes the write end).
  void Open();

 private:
  ipc::Pipe pipe_;
};

// One /proc/PID/pagemap entry (proc(5), "/proc/pid/pagemap"): bit 63
// "page present", bits 0-54 the page frame number, which reads as 0 for a
// reader without CAP_SYS_ADMIN (since Linux 4.2).
struct PagemapEntry {
  uint64_t raw = 0;
  bool present() const { return (raw >> 63) & 1; }
  uint64_t frame() const { return raw & ((uint64_t{1} << 55) - 1); }
};

// The entry for the page holding `address` in process `pid` ("self" when
// pid is 0). Throws std::system_error when the file cannot be read.
PagemapEntry ReadPagemap(pid_t pid, const void* address);

// Why page frames cannot be read here, or nullopt when they can: decided by
// trying, on a page of this process that is present (just written), whose
// frame is then known not to be 0. The reason names what was read.
std::optional<std::string> WhyPageFramesAreHidden();

}  // namespace ipcproof

#endif  // CONFORMANCE_SHM_SHM_TEST_UTIL_H_
