// I/O for a forked child, and the pipe report it sends back.
//
// After fork a child may make only async-signal-safe calls
// (signal-safety(7)): no allocation, no locks, no exceptions, no gtest.
// Everything here that a child calls is raw system calls on memory the
// caller provides, so it may run in a child of a multithreaded process.
//
//   WriteInOneCall    one write(2) that must take the whole buffer
//   ReadExactInChild  fill a buffer, each read after poll(2), with a deadline
//   PutDecimal        format a number without allocating
//   WriteReport       a plain struct to a pipe, in one atomic write
//   ReadReport        (test process) that struct back, with a deadline
#ifndef CONFORMANCE_KIT_CHILD_IO_H_
#define CONFORMANCE_KIT_CHILD_IO_H_

#include <limits.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <span>
#include <type_traits>

#include "conformance/kit/blocking.h"
#include "conformance/kit/deadline_io.h"
#include "gtest/gtest.h"

namespace ipcproof {

// One write(2) of all `size` bytes; false if it wrote fewer or failed
// (EINTR included: the call is the check). Where the test relies on what
// one call does (a blocking pipe write returns only when every byte is in,
// pipe(7)), a loop over short writes would hide a kernel that stops early.
// Async-signal-safe.
bool WriteInOneCall(int fd, const void* data, size_t size);

// Reads exactly `size` bytes within `timeout` (ReadIntoWithin: scaled, at
// time scale 1), so a child
// whose peer never writes exits instead of hanging; false on a timeout, end
// of file or an error. Async-signal-safe.
bool ReadExactInChild(int fd, void* data, size_t size,
                      std::chrono::milliseconds timeout = kBlockedTimeout);

// Writes the decimal digits of `value` (>= 0) at `out`, without allocating;
// returns the end (not terminated). Async-signal-safe.
char* PutDecimal(char* out, long value);

// A child's report to the test process: a plain struct that fits in
// PIPE_BUF, so one write(2) to a pipe carries it whole (pipe(7): writes of
// at most PIPE_BUF bytes are atomic).
template <typename Report>
concept PipeReport = std::is_trivially_copyable_v<Report> &&
                     sizeof(Report) <= PIPE_BUF;

// In the child: sends `report` in one write(2). Async-signal-safe.
template <PipeReport Report>
bool WriteReport(int fd, const Report& report) {
  return WriteInOneCall(fd, &report, sizeof report);
}

// In the test process: receives what the child sent with WriteReport into
// `report`, within `timeout`. Fails on a timeout or end of file (the child
// died before reporting), saying how far it got; throws std::system_error
// when poll or read fails.
template <PipeReport Report>
::testing::AssertionResult ReadReport(
    int fd, Report& report,
    std::chrono::milliseconds timeout = kBlockedTimeout) {
  return ReadExactWithin(fd, std::as_writable_bytes(std::span(&report, 1)),
                         timeout)
         << " (a child's " << sizeof(Report) << "-byte report)";
}

}  // namespace ipcproof

#endif  // CONFORMANCE_KIT_CHILD_IO_H_
