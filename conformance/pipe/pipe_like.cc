#include "conformance/pipe/pipe_like.h"

#include <fcntl.h>

#include <utility>

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

}  // namespace ipcproof
