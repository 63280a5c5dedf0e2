/* The function-entry copy counter (CopyMethod::kFunctionEntry): the layout
 * function_copies.bpf.c shares with its loader, function_copies.cc (plain C
 * for both), and, for C++ only, the counter's own interface.
 *
 * The probe traces the kernel's data-path functions at entry and exit
 * (fentry/fexit). A function that takes a `struct iov_iter *` moved
 * count-at-entry - count-at-exit bytes of it; they are a copy to or from
 * user memory when the iterator is ITER_UBUF or ITER_IOVEC (values the probe
 * takes from the running kernel's BTF: they differ between 6.1 and 6.12),
 * otherwise bytes moved through a kernel iterator (a pipe's pages, a bio_vec,
 * a kvec). A few functions are traced at exit alone, from their arguments
 * and result (load_msg, store_msg, the splice-read and sendpage functions).
 * Where one traced function calls another on the same iterator
 * (tcp_sendmsg_locked -> skb_splice_from_iter), the inner one is credited
 * and the outer one only with what is left: no byte counts twice. */
#ifndef BPF_FUNCTION_COPIES_H_
#define BPF_FUNCTION_COPIES_H_

/* The table of traced functions. The loader names them in the same order
 * (function_copies.cc); the probe's section names carry the function names
 * themselves. Which exist depends on the kernel (checked in each one's BTF):
 * pipe_read/pipe_write on 6.1 and 6.12, anon_pipe_* / fifo_pipe_* on 6.18;
 * filemap_splice_read, shmem_file_splice_read and skb_splice_from_iter on
 * 6.12 and 6.18; do_tcp_sendpages and unix_stream_sendpage on 6.1 only
 * (the sendpage path, replaced by MSG_SPLICE_PAGES). */
enum ipcproof_copy_function {
  /* Pipes and FIFOs (read(2)/write(2) on either end). */
  IPCPROOF_FN_PIPE_READ,
  IPCPROOF_FN_PIPE_WRITE,
  IPCPROOF_FN_ANON_PIPE_READ,
  IPCPROOF_FN_ANON_PIPE_WRITE,
  IPCPROOF_FN_FIFO_PIPE_READ,
  IPCPROOF_FN_FIFO_PIPE_WRITE,
  /* Files: page-cache reads (ext4, ramfs...), tmpfs reads, buffered writes
   * of every filesystem the tests use; a splice's read into a pipe. */
  IPCPROOF_FN_FILEMAP_READ,
  IPCPROOF_FN_SHMEM_FILE_READ_ITER,
  IPCPROOF_FN_GENERIC_PERFORM_WRITE,
  IPCPROOF_FN_FILEMAP_SPLICE_READ,
  IPCPROOF_FN_SHMEM_FILE_SPLICE_READ,
  /* System V and POSIX message queues. */
  IPCPROOF_FN_LOAD_MSG,
  IPCPROOF_FN_STORE_MSG,
  /* Sockets: receive (Unix and TCP), Unix send, TCP send, spliced pages. */
  IPCPROOF_FN_SKB_COPY_DATAGRAM_ITER,
  IPCPROOF_FN_SKB_COPY_DATAGRAM_FROM_ITER,
  IPCPROOF_FN_TCP_SENDMSG_LOCKED,
  IPCPROOF_FN_SKB_SPLICE_FROM_ITER,
  IPCPROOF_FN_DO_TCP_SENDPAGES,
  IPCPROOF_FN_UNIX_STREAM_SENDPAGE,
  IPCPROOF_FN_COUNT
};

/* What the bytes of one record were. */
enum ipcproof_copy_kind {
  IPCPROOF_COPY_TO_USER = 0,   /* the kernel wrote user memory */
  IPCPROOF_COPY_FROM_USER = 1, /* the kernel read user memory */
  IPCPROOF_COPY_KERNEL = 2,    /* moved without touching user memory */
  IPCPROOF_COPY_KINDS
};

/* Key of the `copies` map: bytes `label`'s processes moved through
 * `function` as `kind`. */
struct ipcproof_copy_key {
  unsigned int label;
  unsigned int function; /* enum ipcproof_copy_function */
  unsigned int kind;     /* enum ipcproof_copy_kind */
  unsigned int pad;
};

/* Value of the `copies` map. `calls`: invocations that moved >= 1 byte. */
struct ipcproof_copy_value {
  unsigned long long bytes;
  unsigned long long calls;
};

/* Every (label, function, kind) at once. */
#define IPCPROOF_MAX_COPY_KEYS 4096
/* Threads inside a traced function at once. */
#define IPCPROOF_MAX_IN_FLIGHT 1024
/* Traced functions nested on one thread (only tcp_sendmsg_locked ->
 * skb_splice_from_iter nests today). */
#define IPCPROOF_MAX_NESTING 2

#ifdef __cplusplus
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bpf/copy_counter.h"

struct function_copies;  // the skeleton (bpf/function_copies.skel.h)

namespace ipcproof::bpf {

// The kFunctionEntry counter. CopyCounter::Start(CopyMethod::kFunctionEntry)
// returns one; dynamic_cast to ask what it traces on this kernel.
class FunctionCopyCounter final : public CopyCounter {
 public:
  // Loads the probe with `cookie` and attaches it; throws
  // CopyCounterUnavailable (what() names the step, the program, the errno and
  // libbpf's words) when the kernel refuses.
  explicit FunctionCopyCounter(uint64_t cookie);
  ~FunctionCopyCounter() override;

  CopyCounts Read() const override;
  void Reset() override;

  // The table's functions this kernel has, traced (table order).
  const std::vector<std::string>& traced_functions() const { return traced_; }
  // The table's functions this kernel's BTF lacks, left out (not an error:
  // names differ between kernels).
  const std::vector<std::string>& absent_functions() const { return absent_; }
  // "traced: pipe_read, ...; absent from this kernel: anon_pipe_read, ...".
  std::string DescribeCoverage() const;

  // label -> function -> bytes it moved without a user copy (their sum is
  // ProcessCopies::kernel_bytes): which path moved page references or
  // copied between kernel buffers.
  std::map<uint32_t, std::map<std::string, uint64_t>> KernelBytesByFunction()
      const;

 private:
  struct Links;
  function_copies* skeleton_ = nullptr;
  std::unique_ptr<Links> links_;
  std::vector<std::string> traced_;
  std::vector<std::string> absent_;
  // Programs' recursion misses at the last Reset (events the kernel skipped).
  uint64_t misses_at_reset_ = 0;

  uint64_t RecursionMisses() const;
};

// The name of a table function ("pipe_read"), "" for an unknown id.
const char* CopyFunctionName(unsigned int function);

}  // namespace ipcproof::bpf
#endif /* __cplusplus */

#endif /* BPF_FUNCTION_COPIES_H_ */
