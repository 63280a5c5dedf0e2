// Is the ipc/ library thin? The same round trip through raw system calls,
// through the syscall seam alone (ipc/syscalls.h: one indirect call per
// system call), and through the wrappers (the seam plus EINTR retry,
// short-transfer loops, argument checks and, for a System V queue, packing
// the message behind its type and copying it out into a vector):
//   - a pipe: write N bytes, read them back;
//   - a System V queue: msgsnd N bytes, msgrcv them back.
// The differences should be lost in the noise of the system calls
// themselves.
//
//   tools/bazel run -c opt //conformance/bench:wrapper_cost_bench
//
// It runs on the host, so the queue it makes must not outlive it: main()
// first moves the process into a private IPC namespace (unshare
// CLONE_NEWIPC, which needs CAP_SYS_ADMIN), where a kill leaves nothing;
// without the privilege the queue is still an ipc::SysvMessageQueue, whose
// destructor removes it. The context line "ipc_namespace" says which.
#include <sched.h>
#include <sys/msg.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "ipc/fd_syscalls.h"
#include "ipc/io.h"
#include "ipc/pipe.h"
#include "ipc/sysv_message_queue.h"
#include "ipc/sysv_msg_syscalls.h"

namespace {

// ------------------------------------------------------------------ Pipe

void BM_PipeRaw(benchmark::State& state) {
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

void BM_PipeSeam(benchmark::State& state) {
  ipc::Pipe pipe = ipc::Pipe::Create();
  std::vector<std::byte> buffer(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    ipc::FdSyscalls& sys = ipc::FdSyscalls::Current();
    if (sys.Write(pipe.write_fd(), buffer.data(), buffer.size()) !=
            static_cast<ssize_t>(buffer.size()) ||
        sys.Read(pipe.read_fd(), buffer.data(), buffer.size()) !=
            static_cast<ssize_t>(buffer.size())) {
      state.SkipWithError("short transfer");
      break;
    }
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_PipeWrapper(benchmark::State& state) {
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
BENCHMARK(BM_PipeRaw)->RangeMultiplier(16)->Range(1, 65536);
BENCHMARK(BM_PipeSeam)->RangeMultiplier(16)->Range(1, 65536);
BENCHMARK(BM_PipeWrapper)->RangeMultiplier(16)->Range(1, 65536);

// ------------------------------------------------------ System V queue

// struct msgbuf of msgsnd(2): the type, then the bytes.
std::vector<std::byte> MessageBuffer(size_t size) {
  std::vector<std::byte> buffer(sizeof(long) + size);
  const long type = 1;
  std::memcpy(buffer.data(), &type, sizeof type);
  return buffer;
}

// The queue lives in an ipc::SysvMessageQueue in every case, so it is
// removed however the benchmark ends; only the loop differs.
void BM_SysvQueueRaw(benchmark::State& state) {
  ipc::SysvMessageQueue queue = ipc::SysvMessageQueue::Create();
  const size_t size = static_cast<size_t>(state.range(0));
  std::vector<std::byte> buffer = MessageBuffer(size);
  for (auto _ : state) {
    if (::msgsnd(queue.id(), buffer.data(), size, 0) != 0 ||
        ::msgrcv(queue.id(), buffer.data(), size, 0, 0) !=
            static_cast<ssize_t>(size)) {
      state.SkipWithError(
          ("msgsnd/msgrcv: " + std::string(strerror(errno))).c_str());
      break;
    }
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_SysvQueueSeam(benchmark::State& state) {
  ipc::SysvMessageQueue queue = ipc::SysvMessageQueue::Create();
  const size_t size = static_cast<size_t>(state.range(0));
  std::vector<std::byte> buffer = MessageBuffer(size);
  for (auto _ : state) {
    ipc::SysvMsgSyscalls& sys = ipc::SysvMsgSyscalls::Current();
    if (sys.Msgsnd(queue.id(), buffer.data(), size, 0) != 0 ||
        sys.Msgrcv(queue.id(), buffer.data(), size, 0, 0) !=
            static_cast<ssize_t>(size)) {
      state.SkipWithError(
          ("msgsnd/msgrcv: " + std::string(strerror(errno))).c_str());
      break;
    }
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_SysvQueueWrapper(benchmark::State& state) {
  ipc::SysvMessageQueue queue = ipc::SysvMessageQueue::Create();
  const size_t size = static_cast<size_t>(state.range(0));
  const std::vector<std::byte> data(size);
  for (auto _ : state) {
    queue.Send(1, data);
    ipc::SysvMessage message = queue.Receive(size);
    benchmark::DoNotOptimize(message.data.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// Up to 8192 bytes: MSGMAX, the default msgmax (msgsnd(2)) of a fresh IPC
// namespace and of a host nobody retuned.
BENCHMARK(BM_SysvQueueRaw)->RangeMultiplier(8)->Range(1, 8192);
BENCHMARK(BM_SysvQueueSeam)->RangeMultiplier(8)->Range(1, 8192);
BENCHMARK(BM_SysvQueueWrapper)->RangeMultiplier(8)->Range(1, 8192);

}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists (and before the benchmarks make a queue).
  const bool private_ipc = ::unshare(CLONE_NEWIPC) == 0;
  const int unshare_errno = errno;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext(
      "ipc_namespace", private_ipc
                           ? "private (unshare(CLONE_NEWIPC))"
                           : "host's: unshare(CLONE_NEWIPC) failed with " +
                                 std::string(strerrorname_np(unshare_errno)) +
                                 "; queues are removed by RAII");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
