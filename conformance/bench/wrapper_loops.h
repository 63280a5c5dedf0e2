// The timed loops that compare the ipc/ wrappers with raw system calls, for
// the two binaries that report them: wrapper_cost_bench (every form of every
// wrapper, and the syscall seam alone) and limits_bench (the pairs
// wrapper/<mechanism>_raw and wrapper/<mechanism>_ipc that the benchmark
// runner turns into ipc/raw ratios). One definition of each loop, so both
// binaries time the same transfer.
//
// Each loop makes one round trip per iteration in one process (write N
// bytes, read them back: the data path of the channel, without a second
// process's scheduling in the figure), on a channel the caller made, through
// a buffer the caller placed. On a failed or short call it ends the
// benchmark with SkipWithError naming the call and its errno: never a hang
// (a round trip in one process cannot block once the channel holds a
// message of its size) and never a silent wrong figure.
//
// WHERE THE BYTES SIT. The kernel's copies between user memory and its own
// buffers (pipe pages; a queue's struct msg_msg, whose text starts 48 bytes
// into a slab object) and glibc's memcpy from 4 KiB on use `rep movsb`,
// which on this project's AMD machines runs several times slower when the
// destination starts 1 to 63 bytes after the source modulo 4096
// (ipc/placed_buffer.h, WHY PLACEMENT MATTERS, has the figures). Left to
// the heap, each benchmark's buffer would land at another page offset and
// raw and wrapper would differ by that luck, not by the wrapper. So every
// buffer a benchmark owns puts its bytes at the page offset the wrappers use
// for their own (PlacedBuffer::kWrappersOffset), and wrapper_cost_bench's
// ...RawTextAt24 shows what an unlucky offset costs the raw calls
// themselves.
#ifndef CONFORMANCE_BENCH_WRAPPER_LOOPS_H_
#define CONFORMANCE_BENCH_WRAPPER_LOOPS_H_

#include <mqueue.h>
#include <sys/msg.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <string>

#include "benchmark/benchmark.h"
#include "ipc/pipe.h"
#include "ipc/posix_message_queue.h"
#include "ipc/sysv_message_queue.h"

namespace ipcproof::bench {

// "calls: ENAME" for the errno the failing call left.
inline std::string Failed(const char* calls) {
  const int err = errno;
  const char* name = strerrorname_np(err);
  return std::string(calls) + ": " +
         (name != nullptr ? name : std::to_string(err));
}

inline size_t Size(const benchmark::State& state) {
  return static_cast<size_t>(state.range(0));
}

// `size` zeroed bytes starting `page_offset` bytes into a 4 KiB-aligned
// allocation, with room for a struct msgbuf's long type before them (see
// WHERE THE BYTES SIT).
class PlacedBuffer {
 public:
  // ipc/placed_buffer.h's kTextOffset (internal to ipc/, so not included).
  static constexpr size_t kWrappersOffset = 1536;

  explicit PlacedBuffer(size_t size, size_t page_offset = kWrappersOffset)
      : allocation_(static_cast<std::byte*>(
            ::operator new (page_offset + size, std::align_val_t{4096}))),
        bytes_(allocation_ + page_offset, size) {
    std::memset(allocation_, 0, page_offset + size);
  }
  ~PlacedBuffer() { ::operator delete (allocation_, std::align_val_t{4096}); }
  PlacedBuffer(const PlacedBuffer&) = delete;
  PlacedBuffer& operator=(const PlacedBuffer&) = delete;

  std::span<std::byte> bytes() const { return bytes_; }
  char* chars() const { return reinterpret_cast<char*>(bytes_.data()); }
  // The struct msgbuf whose text is bytes(), of type 1.
  void* msgbuf() const {
    std::byte* const msgbuf = bytes_.data() - sizeof(long);
    const long type = 1;
    std::memcpy(msgbuf, &type, sizeof type);
    return msgbuf;
  }

 private:
  std::byte* allocation_;
  std::span<std::byte> bytes_;
};

// ------------------------------------------------------------------ Pipe
// The pipe must hold Size(state) bytes (Capacity() at least that), or the
// write would block with no reader.

inline void PipeRawLoop(benchmark::State& state, const ipc::Pipe& pipe,
                        const PlacedBuffer& buffer) {
  const std::span<std::byte> bytes = buffer.bytes();
  for (auto _ : state) {
    if (::write(pipe.write_fd(), bytes.data(), bytes.size()) !=
            static_cast<ssize_t>(bytes.size()) ||
        ::read(pipe.read_fd(), bytes.data(), bytes.size()) !=
            static_cast<ssize_t>(bytes.size())) {
      state.SkipWithError(Failed("write/read (or a short count)").c_str());
      break;
    }
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// The wrappers throw std::system_error on a failed call: a caller that must
// not end the process on one catches it and calls SkipWithError.
inline void PipeWrapperLoop(benchmark::State& state, ipc::Pipe& pipe,
                            const PlacedBuffer& buffer) {
  for (auto _ : state) {
    pipe.WriteAll(buffer.bytes());
    pipe.ReadExact(buffer.bytes());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// ------------------------------------------------------ System V queue
// The queue's msg_qbytes and the namespace's msgmax must admit Size(state).

inline void SysvRawLoop(benchmark::State& state,
                        const ipc::SysvMessageQueue& queue,
                        const PlacedBuffer& buffer) {
  const size_t size = buffer.bytes().size();
  void* const msgbuf = buffer.msgbuf();
  for (auto _ : state) {
    if (::msgsnd(queue.id(), msgbuf, size, 0) != 0 ||
        ::msgrcv(queue.id(), msgbuf, size, 0, 0) !=
            static_cast<ssize_t>(size)) {
      state.SkipWithError(Failed("msgsnd/msgrcv").c_str());
      break;
    }
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// Send plus ReceiveInto(span): the wrapper's allocation-free form.
inline void SysvWrapperIntoLoop(benchmark::State& state,
                                ipc::SysvMessageQueue& queue,
                                const PlacedBuffer& buffer) {
  for (auto _ : state) {
    queue.Send(1, buffer.bytes());
    benchmark::DoNotOptimize(queue.ReceiveInto(buffer.bytes()));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// Send and ReceiveInto of one SysvMessageBuffer of Size(state) bytes, both
// ways (as the raw loop uses one buffer): no allocation and no copy, the
// form that makes the raw calls' transfer.
inline void SysvWrapperBufferLoop(benchmark::State& state,
                                  ipc::SysvMessageQueue& queue) {
  const size_t size = static_cast<size_t>(state.range(0));
  ipc::SysvMessageBuffer message(size);
  message.set_type(1);
  for (auto _ : state) {
    queue.Send(message, size);
    benchmark::DoNotOptimize(queue.ReceiveInto(message));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// --------------------------------------------------------- POSIX queue

// A queue whose mq_msgsize is the message size, so mq_receive's buffer is
// the message's (mq_receive(3) wants at least mq_msgsize bytes), and room
// for one message: each round sends one and takes it back. The name is
// per process in case the namespace is the host's; the wrapper unlinks it
// on destruction.
inline ipc::PosixMessageQueue BenchPosixQueue(size_t size) {
  return ipc::PosixMessageQueue::Create(
      "/ipcproof-bench-" + std::to_string(::getpid()),
      ipc::PosixQueueAttributes{1, static_cast<long>(size)});
}

inline void PosixRawLoop(benchmark::State& state,
                         const ipc::PosixMessageQueue& queue,
                         const PlacedBuffer& buffer) {
  const size_t size = buffer.bytes().size();
  const mqd_t mqd = queue.descriptor();
  char* const chars = buffer.chars();
  for (auto _ : state) {
    unsigned priority;
    if (::mq_send(mqd, chars, size, 0) != 0 ||
        ::mq_receive(mqd, chars, size, &priority) !=
            static_cast<ssize_t>(size)) {
      state.SkipWithError(Failed("mq_send/mq_receive").c_str());
      break;
    }
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// Send plus ReceiveInto(span): the wrapper's allocation-free form.
inline void PosixWrapperIntoLoop(benchmark::State& state,
                                 ipc::PosixMessageQueue& queue,
                                 const PlacedBuffer& buffer) {
  for (auto _ : state) {
    queue.Send(buffer.bytes());
    benchmark::DoNotOptimize(queue.ReceiveInto(buffer.bytes()));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

}  // namespace ipcproof::bench

#endif  // CONFORMANCE_BENCH_WRAPPER_LOOPS_H_
