// Is the ipc/ library thin? The same write-then-read of N bytes on one pipe,
// through raw system calls and through the wrappers (which add the syscall
// seam's indirect call, EINTR retry and short-transfer loops). The
// difference should be lost in the noise of the system calls themselves.
//
//   tools/bazel run -c opt //conformance/bench:wrapper_cost_bench
#include <unistd.h>

#include <cstddef>
#include <vector>

#include "benchmark/benchmark.h"
#include "ipc/io.h"
#include "ipc/pipe.h"

namespace {

void BM_RawWriteRead(benchmark::State& state) {
  ipc::Pipe pipe = ipc::Pipe::Create();
  std::vector<std::byte> buffer(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    if (::write(pipe.write_fd(), buffer.data(), buffer.size()) !=
            static_cast<ssize_t>(buffer.size()) ||
        ::read(pipe.read_fd(), buffer.data(), buffer.size()) !=
            static_cast<ssize_t>(buffer.size())) {
      state.SkipWithError("short transfer");
      break;
    }
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_WrapperWriteRead(benchmark::State& state) {
  ipc::Pipe pipe = ipc::Pipe::Create();
  std::vector<std::byte> buffer(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    pipe.WriteAll(buffer);
    pipe.ReadExact(buffer);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// Sizes from one byte to a full default pipe (the kernel would block a
// larger single write with no reader, so the benchmark stays at or below).
BENCHMARK(BM_RawWriteRead)->RangeMultiplier(16)->Range(1, 65536);
BENCHMARK(BM_WrapperWriteRead)->RangeMultiplier(16)->Range(1, 65536);

}  // namespace
