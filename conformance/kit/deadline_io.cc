#include "conformance/kit/deadline_io.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>

#include "conformance/kit/files.h"
#include "conformance/kit/time_scale.h"
#include "ipc/error.h"

namespace ipcproof {
namespace {

// CLOCK_MONOTONIC in milliseconds: clock_gettime is async-signal-safe
// (signal-safety(7)), which ReadIntoWithin and PollWithin promise.
int64_t MonotonicMs() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

// The same clock rounded up: a deadline counted from it is never reached
// early (from the floor, a 50 ms wait that starts at 10.9 ms ends at 60 ms,
// 49.1 ms later).
int64_t MonotonicMsCeil() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000 +
         (now.tv_nsec + 999999) / 1000000;
}

int MsLeft(int64_t deadline) {
  return static_cast<int>(
      std::clamp<int64_t>(deadline - MonotonicMs(), 0, INT_MAX));
}

// poll(2) until the absolute `deadline` (MonotonicMs), retrying EINTR.
int PollUntilMs(int fd, short events, int64_t deadline) {
  for (;;) {
    pollfd entry{fd, events, 0};
    const int n = ::poll(&entry, 1, MsLeft(deadline));
    if (n > 0) return entry.revents;
    if (n == 0) return 0;
    if (errno != EINTR) return -1;
  }
}

}  // namespace

int PollWithin(int fd, short events, std::chrono::milliseconds timeout) {
  return PollUntilMs(fd, events,
                     MonotonicMsCeil() + ScaledTimeout(timeout).count());
}

short PollEventsNow(int fd, short events) {
  const int revents = PollWithin(fd, events, std::chrono::milliseconds(0));
  if (revents < 0) ipc::ThrowErrno("poll");
  return static_cast<short>(revents);
}

ReadOutcome ReadIntoWithin(int fd, std::span<std::byte> buffer,
                           std::chrono::milliseconds timeout) {
  ReadOutcome outcome;
  const auto failed = [&outcome](const char* call) {
    outcome.error = errno;
    outcome.call = call;
    return outcome;
  };
  const int64_t deadline = MonotonicMsCeil() + ScaledTimeout(timeout).count();
  while (outcome.bytes < buffer.size()) {
    const int left = MsLeft(deadline);
    const int ready = PollUntilMs(fd, POLLIN, deadline);
    if (ready < 0) return failed("poll");
    outcome.timed_out = ready == 0;
    if (outcome.timed_out) return outcome;
    const ssize_t n = ::read(fd, buffer.data() + outcome.bytes,
                             buffer.size() - outcome.bytes);
    if (n > 0) {
      outcome.bytes += static_cast<size_t>(n);
    } else if (n == 0) {
      outcome.eof = true;
      return outcome;
    } else if (errno != EINTR && errno != EAGAIN) {
      return failed("read");
    } else if (left == 0) {
      // EINTR and EAGAIN are retried against the same deadline; once it
      // has passed, stop.
      outcome.timed_out = true;
      return outcome;
    }
  }
  return outcome;
}

Received ReadWithin(int fd, size_t want, std::chrono::milliseconds timeout) {
  std::string bytes(want, '\0');
  const ReadOutcome outcome =
      ReadIntoWithin(fd, std::as_writable_bytes(std::span(bytes)), timeout);
  if (outcome.error != 0) ipc::ThrowSystemError(outcome.error, outcome.call);
  bytes.resize(outcome.bytes);
  return Received{std::move(bytes), outcome.eof, outcome.timed_out};
}

::testing::AssertionResult ReadExactWithin(int fd, std::span<std::byte> buffer,
                                           std::chrono::milliseconds timeout) {
  const ReadOutcome outcome = ReadIntoWithin(fd, buffer, timeout);
  if (outcome.error != 0) ipc::ThrowSystemError(outcome.error, outcome.call);
  if (outcome.bytes == buffer.size()) return ::testing::AssertionSuccess();
  auto failure = ::testing::AssertionFailure();
  if (outcome.timed_out) {
    failure << "no data within " << DescribeScaledTimeout(timeout) << " after ";
  } else {
    failure << "end of file after ";
  }
  return failure << outcome.bytes << " of " << buffer.size() << " bytes";
}

std::string ReadReady(int fd, size_t max) {
  if (PollEventsNow(fd, POLLIN) == 0) return "";
  return ReadAvailable(fd, max);
}

}  // namespace ipcproof
