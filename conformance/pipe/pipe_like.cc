#include "conformance/pipe/pipe_like.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "conformance/kit/blocking.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/sysctl.h"
#include "conformance/kit/temp_path.h"
#include "ipc/error.h"

namespace ipcproof {

PipeLike::PipeLike(PipeLikeSpec spec, std::optional<ipc::Fifo> fifo,
                   ipc::Pipe pipe)
    : spec_(spec), fifo_(std::move(fifo)), pipe_(std::move(pipe)) {}

PipeLike PipeLike::Make(PipeLikeSpec spec) {
  const int non_blocking = spec.non_blocking ? O_NONBLOCK : 0;
  switch (spec.kind) {
    case PipeKind::kAnonymous:
      return PipeLike(spec, std::nullopt,
                      ipc::Pipe::Create(O_CLOEXEC | non_blocking));
    case PipeKind::kNamed: {
      ipc::Fifo fifo = ipc::Fifo::Create(UniqueTempPath("pipe-like-fifo"));
      // fifo(7): opening the read end with O_NONBLOCK succeeds at once even
      // with no writer; a blocking open would wait for one.
      ipc::UniqueFd read_end = fifo.OpenForReading(O_NONBLOCK | O_CLOEXEC);
      // With a reader present, opening the write end does not block (and
      // does not fail ENXIO when O_NONBLOCK is asked for).
      ipc::UniqueFd write_end = fifo.OpenForWriting(O_CLOEXEC | non_blocking);
      if (!spec.non_blocking) ipc::SetNonBlocking(read_end.get(), false);
      return PipeLike(spec, std::move(fifo),
                      ipc::Pipe(std::move(read_end), std::move(write_end)));
    }
  }
  ipc::ThrowInvalidArgument("PipeLike::Make", "unknown PipeKind");
}

std::string PipeLikeName(const PipeLikeSpec& spec) {
  std::string name =
      spec.kind == PipeKind::kAnonymous ? "AnonymousPipe" : "NamedPipe";
  if (spec.non_blocking) name += "NonBlocking";
  return name;
}

void PrintTo(const PipeLikeSpec& spec, std::ostream* os) {
  *os << PipeLikeName(spec);
}

std::string PipeLikeParamName(
    const ::testing::TestParamInfo<PipeLikeSpec>& info) {
  return PipeLikeName(info.param);
}

std::vector<PipeLikeSpec> AllPipeKinds(bool non_blocking) {
  return {{PipeKind::kAnonymous, non_blocking},
          {PipeKind::kNamed, non_blocking}};
}

size_t PageSize() { return static_cast<size_t>(::sysconf(_SC_PAGESIZE)); }

size_t PipeMaxSize() {
  return static_cast<size_t>(ReadSysctl("fs/pipe-max-size"));
}

size_t DefaultCapacityFor(bool holds_sys_resource) {
  constexpr size_t kPipeDefBuffers = 16;  // pipe(7): "16 pages"
  const size_t page = PageSize();
  const size_t max_size = PipeMaxSize();
  if (kPipeDefBuffers * page > max_size && !holds_sys_resource) {
    return (max_size / page) * page;
  }
  return kPipeDefBuffers * page;
}

size_t PowerOfTwoPagesAtLeast(size_t bytes) {
  const size_t page = PageSize();
  const size_t pages = std::max<size_t>(1, (bytes + page - 1) / page);
  size_t rounded = 1;
  while (rounded < pages) rounded *= 2;
  return rounded * page;
}

std::optional<ipc::WaitStatus> WaitWithin(ipc::ChildProcess& child,
                                          std::chrono::milliseconds timeout) {
  if (!WaitUntilExited(child.pid(), timeout)) return std::nullopt;
  return child.Wait();
}

namespace {

// poll(POLLIN) on `fd` for at most `timeout`: true when a read will not
// block (data, end of file or an error is there).
bool Readable(int fd, std::chrono::milliseconds timeout) {
  pollfd entry{fd, POLLIN, 0};
  for (;;) {
    const int n = ::poll(&entry, 1, static_cast<int>(timeout.count()));
    if (n >= 0) return n == 1;
    if (errno != EINTR) ipc::ThrowErrno("poll");
  }
}

}  // namespace

std::string ReadReady(int fd, size_t max) {
  if (!Readable(fd, std::chrono::milliseconds(0))) return "";
  std::string text(max, '\0');
  ssize_t n;
  do {
    n = ::read(fd, text.data(), max);
  } while (n < 0 && errno == EINTR);
  if (n < 0) ipc::ThrowErrno("read");
  text.resize(static_cast<size_t>(n));
  return text;
}

::testing::AssertionResult ReadExactWithin(int fd, std::span<std::byte> buffer,
                                           std::chrono::milliseconds timeout) {
  size_t done = 0;
  while (done < buffer.size()) {
    if (!Readable(fd, timeout)) {
      return ::testing::AssertionFailure()
             << "no data within " << timeout.count() << " ms after " << done
             << " of " << buffer.size() << " bytes";
    }
    const ssize_t n = ::read(fd, buffer.data() + done, buffer.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return ::testing::AssertionFailure()
             << "read failed with " << ErrnoName(errno) << " after " << done
             << " of " << buffer.size() << " bytes";
    }
    if (n == 0) {
      return ::testing::AssertionFailure()
             << "end of file after " << done << " of " << buffer.size()
             << " bytes";
    }
    done += static_cast<size_t>(n);
  }
  return ::testing::AssertionSuccess();
}

std::optional<std::string> ReadUntilEofWithin(
    int fd, size_t max, std::chrono::milliseconds timeout) {
  std::string text;
  char chunk[4096];
  while (text.size() < max) {
    if (!Readable(fd, timeout)) return std::nullopt;
    const ssize_t n =
        ::read(fd, chunk, std::min(sizeof chunk, max - text.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    text.append(chunk, static_cast<size_t>(n));
  }
  return text;
}

::testing::AssertionResult FillWithoutWaiting(int fd, const void* data,
                                              size_t size) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    return ::testing::AssertionFailure()
           << "fcntl(F_GETFL/F_SETFL) failed with " << ErrnoName(errno);
  }
  const ssize_t n = ::write(fd, data, size);
  const int error = errno;
  ::fcntl(fd, F_SETFL, flags);
  if (n == static_cast<ssize_t>(size)) return ::testing::AssertionSuccess();
  auto failure = ::testing::AssertionFailure();
  failure << "a non-blocking write of " << size << " bytes ";
  if (n < 0) {
    failure << "failed with " << ErrnoName(error);
  } else {
    failure << "took only " << n;
  }
  return failure;
}

bool WriteWhole(int fd, const void* data, size_t size) {
  return ::write(fd, data, size) == static_cast<ssize_t>(size);
}

bool ReadWhole(int fd, void* data, size_t size) {
  char* out = static_cast<char*>(data);
  while (size > 0) {
    pollfd entry{fd, POLLIN, 0};
    if (::poll(&entry, 1, static_cast<int>(kBlockedTimeout.count())) != 1) {
      return false;
    }
    const ssize_t n = ::read(fd, out, size);
    if (n <= 0) return false;
    out += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

char* PutDecimal(char* out, long value) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  while (n > 0) *out++ = digits[--n];
  return out;
}

}  // namespace ipcproof
