// Is the ipc/ library thin? The same round trip through raw system calls,
// through the syscall seam alone (ipc/syscalls.h: one indirect call per
// system call), and through the wrappers (the seam plus EINTR retry,
// short-transfer loops and argument checks):
//   - a pipe: write N bytes, read them back;
//   - a System V queue: msgsnd N bytes, msgrcv them back;
//   - a POSIX queue: mq_send N bytes, mq_receive them back.
// Each queue wrapper is measured in its forms (ipc/sysv_message_queue.h and
// ipc/posix_message_queue.h, COST):
//   ...Wrapper        the convenient forms, which return a new vector or
//                     string per message (one allocation and one copy);
//   ...WrapperInto    Send plus ReceiveInto(span): no allocation (System V:
//                     the message is packed behind its type and copied out,
//                     in a per-thread buffer);
//   ...WrapperBuffer  System V only, Send and ReceiveInto of a
//                     SysvMessageBuffer: no allocation and no copy.
// The allocation-free forms should be lost in the noise of the system calls
// themselves (house standard: "no measurable cost over raw syscalls").
//
// WHERE THE BYTES SIT: every buffer puts its bytes at the page offset the
// wrappers use for their own (conformance/bench/wrapper_loops.h says why),
// and ...RawTextAt24 shows what an unlucky offset costs the raw calls
// themselves. The raw and wrapper loops are wrapper_loops.h's, shared with
// limits_bench's wrapper/<mechanism>_{raw,ipc} pairs.
//
//   tools/bazel run -c opt //conformance/bench:wrapper_cost_bench -- ARGS
// with ARGS, for figures worth comparing, --benchmark_min_time=0.2
// --benchmark_repetitions=3 (read the medians).
//
// It runs on the host, so the queues it makes must not outlive it: main()
// first moves the process into a private IPC namespace (unshare
// CLONE_NEWIPC, which needs CAP_SYS_ADMIN), where a kill leaves nothing;
// without the privilege each queue is still an ipc::SysvMessageQueue or
// ipc::PosixMessageQueue, whose destructor removes it. The context line
// "ipc_namespace" says which.
#include <mqueue.h>
#include <sched.h>
#include <sys/msg.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <string>
#include <string_view>

#include "benchmark/benchmark.h"
#include "conformance/bench/wrapper_loops.h"
#include "ipc/fd_syscalls.h"
#include "ipc/pipe.h"
#include "ipc/posix_message_queue.h"
#include "ipc/posix_mq_syscalls.h"
#include "ipc/sysv_message_queue.h"
#include "ipc/sysv_msg_syscalls.h"

namespace {

// The sizes reported: one byte, and a page and two (4 KiB, 8 KiB), with a
// few between; Pipes() adds a full default pipe (the kernel would block a
// larger single write with no reader, so the benchmark stays at or below).
void Queues(benchmark::internal::Benchmark* b) {
  for (const int64_t size : {1, 64, 512, 4096, 8192}) b->Arg(size);
}
void Pipes(benchmark::internal::Benchmark* b) {
  Queues(b);
  b->Arg(65536);
}
void Large(benchmark::internal::Benchmark* b) {
  for (const int64_t size : {4096, 8192}) b->Arg(size);
}

using ipcproof::bench::BenchPosixQueue;
using ipcproof::bench::Failed;
using ipcproof::bench::PlacedBuffer;
using ipcproof::bench::Size;

// ------------------------------------------------------------------ Pipe

void BM_PipeRaw(benchmark::State& state) {
  const ipc::Pipe pipe = ipc::Pipe::Create();
  const PlacedBuffer buffer(Size(state));
  ipcproof::bench::PipeRawLoop(state, pipe, buffer);
}

void BM_PipeSeam(benchmark::State& state) {
  ipc::Pipe pipe = ipc::Pipe::Create();
  const PlacedBuffer buffer(Size(state));
  const std::span<std::byte> bytes = buffer.bytes();
  for (auto _ : state) {
    ipc::FdSyscalls& sys = ipc::FdSyscalls::Current();
    if (sys.Write(pipe.write_fd(), bytes.data(), bytes.size()) !=
            static_cast<ssize_t>(bytes.size()) ||
        sys.Read(pipe.read_fd(), bytes.data(), bytes.size()) !=
            static_cast<ssize_t>(bytes.size())) {
      state.SkipWithError("short transfer");
      break;
    }
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_PipeWrapper(benchmark::State& state) {
  ipc::Pipe pipe = ipc::Pipe::Create();
  const PlacedBuffer buffer(Size(state));
  ipcproof::bench::PipeWrapperLoop(state, pipe, buffer);
}

BENCHMARK(BM_PipeRaw)->Apply(Pipes);
BENCHMARK(BM_PipeSeam)->Apply(Pipes);
BENCHMARK(BM_PipeWrapper)->Apply(Pipes);

// ------------------------------------------------------ System V queue

// The queue lives in an ipc::SysvMessageQueue in every case, so it is
// removed however the benchmark ends; only the loop differs.
void SysvRaw(benchmark::State& state, size_t page_offset) {
  const ipc::SysvMessageQueue queue = ipc::SysvMessageQueue::Create();
  const PlacedBuffer buffer(Size(state), page_offset);
  ipcproof::bench::SysvRawLoop(state, queue, buffer);
}

void BM_SysvQueueRaw(benchmark::State& state) {
  SysvRaw(state, PlacedBuffer::kWrappersOffset);
}

void BM_SysvQueueRawTextAt24(benchmark::State& state) { SysvRaw(state, 24); }

void BM_SysvQueueSeam(benchmark::State& state) {
  ipc::SysvMessageQueue queue = ipc::SysvMessageQueue::Create();
  const size_t size = Size(state);
  const PlacedBuffer buffer(size);
  void* const msgbuf = buffer.msgbuf();
  for (auto _ : state) {
    ipc::SysvMsgSyscalls& sys = ipc::SysvMsgSyscalls::Current();
    if (sys.Msgsnd(queue.id(), msgbuf, size, 0) != 0 ||
        sys.Msgrcv(queue.id(), msgbuf, size, 0, 0) !=
            static_cast<ssize_t>(size)) {
      state.SkipWithError(Failed("msgsnd/msgrcv").c_str());
      break;
    }
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_SysvQueueWrapper(benchmark::State& state) {
  ipc::SysvMessageQueue queue = ipc::SysvMessageQueue::Create();
  const size_t size = Size(state);
  const PlacedBuffer buffer(size);
  for (auto _ : state) {
    queue.Send(1, buffer.bytes());
    ipc::SysvMessage message = queue.Receive(size);
    benchmark::DoNotOptimize(message.data.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_SysvQueueWrapperInto(benchmark::State& state) {
  ipc::SysvMessageQueue queue = ipc::SysvMessageQueue::Create();
  const PlacedBuffer buffer(Size(state));
  ipcproof::bench::SysvWrapperIntoLoop(state, queue, buffer);
}

void BM_SysvQueueWrapperBuffer(benchmark::State& state) {
  ipc::SysvMessageQueue queue = ipc::SysvMessageQueue::Create();
  ipcproof::bench::SysvWrapperBufferLoop(state, queue);
}

// Up to 8192 bytes: MSGMAX, the default msgmax (msgsnd(2)) of a fresh IPC
// namespace and of a host nobody retuned.
BENCHMARK(BM_SysvQueueRaw)->Apply(Queues);
BENCHMARK(BM_SysvQueueRawTextAt24)->Apply(Large);
BENCHMARK(BM_SysvQueueSeam)->Apply(Queues);
BENCHMARK(BM_SysvQueueWrapper)->Apply(Queues);
BENCHMARK(BM_SysvQueueWrapperInto)->Apply(Queues);
BENCHMARK(BM_SysvQueueWrapperBuffer)->Apply(Queues);

// --------------------------------------------------------- POSIX queue

void PosixRaw(benchmark::State& state, size_t page_offset) {
  const ipc::PosixMessageQueue queue = BenchPosixQueue(Size(state));
  const PlacedBuffer buffer(Size(state), page_offset);
  ipcproof::bench::PosixRawLoop(state, queue, buffer);
}

void BM_PosixQueueRaw(benchmark::State& state) {
  PosixRaw(state, PlacedBuffer::kWrappersOffset);
}

void BM_PosixQueueRawTextAt24(benchmark::State& state) { PosixRaw(state, 24); }

void BM_PosixQueueSeam(benchmark::State& state) {
  const size_t size = Size(state);
  ipc::PosixMessageQueue queue = BenchPosixQueue(size);
  const mqd_t mqd = queue.descriptor();
  const PlacedBuffer buffer(size);
  char* const chars = buffer.chars();
  for (auto _ : state) {
    ipc::PosixMqSyscalls& sys = ipc::PosixMqSyscalls::Current();
    unsigned priority;
    if (sys.MqSend(mqd, chars, size, 0) != 0 ||
        sys.MqReceive(mqd, chars, size, &priority) !=
            static_cast<ssize_t>(size)) {
      state.SkipWithError(Failed("mq_send/mq_receive").c_str());
      break;
    }
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_PosixQueueWrapper(benchmark::State& state) {
  const size_t size = Size(state);
  ipc::PosixMessageQueue queue = BenchPosixQueue(size);
  const PlacedBuffer buffer(size);
  const std::string_view data(buffer.chars(), size);
  for (auto _ : state) {
    queue.Send(data);
    ipc::PosixMessage message = queue.Receive();
    benchmark::DoNotOptimize(message.data.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_PosixQueueWrapperInto(benchmark::State& state) {
  ipc::PosixMessageQueue queue = BenchPosixQueue(Size(state));
  const PlacedBuffer buffer(Size(state));
  ipcproof::bench::PosixWrapperIntoLoop(state, queue, buffer);
}

// Up to 8192 bytes: msgsize_max's default (mq_overview(7)), the largest
// mq_msgsize a fresh IPC namespace allows without CAP_SYS_RESOURCE.
BENCHMARK(BM_PosixQueueRaw)->Apply(Queues);
BENCHMARK(BM_PosixQueueRawTextAt24)->Apply(Large);
BENCHMARK(BM_PosixQueueSeam)->Apply(Queues);
BENCHMARK(BM_PosixQueueWrapper)->Apply(Queues);
BENCHMARK(BM_PosixQueueWrapperInto)->Apply(Queues);

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
