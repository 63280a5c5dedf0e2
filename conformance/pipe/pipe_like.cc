#include "conformance/pipe/pipe_like.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "conformance/kit/errno_name.h"
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

}  // namespace ipcproof
