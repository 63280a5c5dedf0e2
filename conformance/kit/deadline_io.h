// Reading a descriptor with a deadline, so a channel that stops delivering
// fails the test that asked, with what it had got, instead of blocking it
// to the runner's watchdog.
//
// Every read here comes after poll(2) said the descriptor is readable, so
// it works the same on blocking and non-blocking descriptors. EINTR is
// retried against the same deadline (never a fresh one); EAGAIN after poll
// said "readable" (another reader took the data first) is retried the same
// way. One deadline covers the whole call, not each read.
//
//   PollWithin       poll(2) for `events` within a deadline (async-signal-safe)
//   PollEventsNow    what poll(2) reports right now, without waiting
//   ReadIntoWithin   fill a caller's buffer (async-signal-safe: for children)
//   ReadWithin       up to `want` bytes as a string, with eof / timed_out
//   ReadExactWithin  exactly the buffer's size, or a failure saying how far
//   ReadReady        one read(2) of what is there now (a packet stays one)
//
// The functions that allocate or throw are for the test process; in a
// forked child use PollWithin, ReadIntoWithin or kit/child_io.h.
//
// Each `timeout` is at time scale 1: the deadline is ScaledTimeout(timeout)
// from the call (kit/time_scale.h); 0 stays 0, a look without waiting.
#ifndef CONFORMANCE_KIT_DEADLINE_IO_H_
#define CONFORMANCE_KIT_DEADLINE_IO_H_

#include <poll.h>

#include <chrono>
#include <cstddef>
#include <span>
#include <string>

#include "conformance/kit/blocking.h"
#include "gtest/gtest.h"

namespace ipcproof {

// poll(2) on `fd` for `events`, waiting at most `timeout` (0: look without
// waiting), retrying EINTR with what is left of the deadline. Returns the
// revents (POLLHUP and POLLERR may be among them unasked), 0 when the
// deadline passed first, -1 with errno when poll failed. Async-signal-safe.
int PollWithin(int fd, short events, std::chrono::milliseconds timeout);

// revents of a poll(2) that does not wait; 0 when nothing is ready. Throws
// std::system_error when poll fails.
short PollEventsNow(int fd, short events = POLLIN);

// What a read with a deadline got into its buffer, and why it stopped: the
// buffer is full, or one of the three below.
struct ReadOutcome {
  size_t bytes = 0;        // bytes placed at the start of the buffer
  bool eof = false;        // read(2) returned 0 (the last writer has gone)
  bool timed_out = false;  // the deadline passed before the buffer was full
  int error = 0;           // errno of a poll(2) or read(2) that failed
  const char* call = "";   // which of the two failed: "poll" or "read"
};

// Reads into `buffer` until it is full, end of file, an error, or `timeout`
// from now. Async-signal-safe (poll, read, clock_gettime; no allocation, no
// exception): for a forked child as well as the test process.
ReadOutcome ReadIntoWithin(int fd, std::span<std::byte> buffer,
                           std::chrono::milliseconds timeout);

// What ReadWithin got: the bytes, and why it stopped short of `want` (both
// flags false when it has all `want` bytes).
struct Received {
  std::string bytes;
  bool eof = false;
  bool timed_out = false;
};

// Reads until `want` bytes have arrived, end of file, or `timeout` passes.
// To see end of file after a message, ask for one byte more than the
// message. Throws std::system_error when poll(2) or read(2) fails.
Received ReadWithin(int fd, size_t want,
                    std::chrono::milliseconds timeout = kBlockedTimeout);

// Fills `buffer` within `timeout`. Fails, saying how far it got, on a
// timeout or end of file ("no data within 10 s after 3 of 8 bytes",
// "end of file after 3 of 8 bytes"); throws std::system_error when poll(2)
// or read(2) fails.
::testing::AssertionResult ReadExactWithin(
    int fd, std::span<std::byte> buffer,
    std::chrono::milliseconds timeout = kBlockedTimeout);

// What is readable on `fd` right now: a poll(2) that does not wait, then
// ONE read(2) of at most `max` bytes, so a packet-mode pipe (O_DIRECT)
// gives one packet. "" when nothing is there (or at end of file). For data
// whose arrival is already proven (its writer exited), so a kernel that
// lost it fails the check instead of blocking the test. Throws
// std::system_error when poll(2) or read(2) fails (EAGAIN included).
std::string ReadReady(int fd, size_t max);

}  // namespace ipcproof

#endif  // CONFORMANCE_KIT_DEADLINE_IO_H_
