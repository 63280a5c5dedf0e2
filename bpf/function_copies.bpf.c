// SPDX-License-Identifier: GPL-2.0
/* The function-entry copy counter, kernel side (layout: function_copies.h).
 *
 * fentry/fexit on the data-path functions, for followed processes only
 * (follow.bpf.h). The loader turns off every program whose target function
 * is absent from the running kernel's BTF before loading: one missing target
 * would fail the whole object. */
#include "follow.bpf.h"
/* follow.bpf.h first: it brings vmlinux.h and the helper headers. */
#include "function_copies.h"

/* Events that could not be recorded (a full map, a missed exit): non-zero
 * makes the counts a lower bound. Read by the loader through the skeleton. */
unsigned long long dropped_events = 0;

/* (label, function, kind) -> bytes, calls. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, IPCPROOF_MAX_COPY_KEYS);
  __type(key, struct ipcproof_copy_key);
  __type(value, struct ipcproof_copy_value);
} copies SEC(".maps");

/* One traced call in progress on a thread. */
struct copy_frame {
  unsigned long long seq;   /* the thread's system call (follow.h) */
  unsigned long long count; /* the iterator's count at entry */
  unsigned long long inner; /* of which nested traced calls took */
  unsigned long long iter;  /* the iterator's address */
  unsigned int function;
  unsigned int kind;
};

struct copy_frames {
  unsigned int depth;
  unsigned int pad;
  struct copy_frame frame[IPCPROOF_MAX_NESTING];
};

/* kernel PID -> the traced calls it is inside; deleted when it leaves the
 * outermost one, so the map holds only threads inside a traced function. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, IPCPROOF_MAX_IN_FLIGHT);
  __type(key, unsigned int);
  __type(value, struct copy_frames);
} in_flight SEC(".maps");

static __always_inline void count_dropped(void) {
  __sync_fetch_and_add(&dropped_events, 1);
}

static __always_inline void record(unsigned int label, unsigned int function,
                                   unsigned int kind,
                                   unsigned long long bytes) {
  if (bytes == 0) return;
  struct ipcproof_copy_key key = {
      .label = label, .function = function, .kind = kind, .pad = 0};
  struct ipcproof_copy_value *value = bpf_map_lookup_elem(&copies, &key);
  if (!value) {
    struct ipcproof_copy_value fresh = {.bytes = 0, .calls = 0};
    bpf_map_update_elem(&copies, &key, &fresh, BPF_NOEXIST);
    value = bpf_map_lookup_elem(&copies, &key);
    if (!value) {
      count_dropped();
      return;
    }
  }
  count_add(&value->bytes, bytes);
  count_add(&value->calls, 1);
}

/* User memory behind the iterator? enum iter_type's values come from the
 * running kernel's BTF (CO-RE): ITER_IOVEC is 0 on 6.1 and 1 on 6.12. */
static __always_inline int iter_is_user(const struct iov_iter *iter) {
  unsigned int type = BPF_CORE_READ(iter, iter_type);
  if (bpf_core_enum_value_exists(enum iter_type, ITER_UBUF) &&
      type == bpf_core_enum_value(enum iter_type, ITER_UBUF))
    return 1;
  if (bpf_core_enum_value_exists(enum iter_type, ITER_IOVEC) &&
      type == bpf_core_enum_value(enum iter_type, ITER_IOVEC))
    return 1;
  return 0;
}

static __always_inline unsigned long long current_seq(void) {
  struct ipcproof_task_state *task = current_task_state();
  return task ? task->seq : 0;
}

/* Entry of an iterator function: push a frame with the count. `direction`
 * is the function's user direction (IPCPROOF_COPY_TO_USER for a read). */
static __always_inline int enter_iter(unsigned int function,
                                      unsigned int direction,
                                      const struct iov_iter *iter) {
  if (!current_label()) return 0;
  unsigned int pid = (unsigned int)bpf_get_current_pid_tgid();
  unsigned long long seq = current_seq();
  struct copy_frames *frames = bpf_map_lookup_elem(&in_flight, &pid);
  if (!frames) {
    struct copy_frames fresh = {};
    bpf_map_update_elem(&in_flight, &pid, &fresh, BPF_NOEXIST);
    frames = bpf_map_lookup_elem(&in_flight, &pid);
    if (!frames) {
      count_dropped();
      return 0;
    }
  }
  unsigned int depth = frames->depth;
  if (depth > IPCPROOF_MAX_NESTING) depth = 0;
  /* A frame left by an earlier system call: its exit was never seen (the
   * kernel skips a program that would recurse on its CPU). */
  if (depth > 0 && frames->frame[(depth - 1) & 1].seq != seq) {
    count_dropped();
    depth = 0;
  }
  if (depth >= IPCPROOF_MAX_NESTING) {
    count_dropped();
    frames->depth = depth;
    return 0;
  }
  struct copy_frame *frame = &frames->frame[depth & 1];
  frame->seq = seq;
  frame->count = BPF_CORE_READ(iter, count);
  frame->inner = 0;
  frame->iter = (unsigned long long)iter;
  frame->function = function;
  frame->kind = iter_is_user(iter) ? direction : IPCPROOF_COPY_KERNEL;
  frames->depth = depth + 1;
  return 0;
}

/* Exit of an iterator function: pop its frame, credit what it took from
 * the iterator minus what nested traced calls already took. */
static __always_inline int leave_iter(unsigned int function,
                                      const struct iov_iter *iter) {
  unsigned int pid = (unsigned int)bpf_get_current_pid_tgid();
  struct copy_frames *frames = bpf_map_lookup_elem(&in_flight, &pid);
  if (!frames) return 0;
  unsigned int depth = frames->depth;
  if (depth == 0 || depth > IPCPROOF_MAX_NESTING) return 0;
  struct copy_frame *frame = &frames->frame[(depth - 1) & 1];
  /* Not this call's frame: its entry was not recorded (nested too deep). */
  if (frame->function != function || frame->iter != (unsigned long long)iter)
    return 0;
  unsigned long long now = BPF_CORE_READ(iter, count);
  unsigned long long taken = frame->count > now ? frame->count - now : 0;
  unsigned long long own = taken > frame->inner ? taken - frame->inner : 0;
  unsigned int kind = frame->kind;
  depth--;
  frames->depth = depth;
  if (depth > 0) {
    struct copy_frame *outer = &frames->frame[(depth - 1) & 1];
    if (outer->iter == (unsigned long long)iter) outer->inner += taken;
  } else {
    bpf_map_delete_elem(&in_flight, &pid);
  }
  unsigned int label = current_label();
  if (label) record(label, function, kind, own);
  return 0;
}

/* Functions whose second argument is the iterator: (struct kiocb *,
 * struct iov_iter *), filemap_read's third argument ignored. */
#define ITER_ARG2_FUNCTION(fn, id, direction)                     \
  SEC("fentry/" #fn)                                              \
  int BPF_PROG(fentry_##fn, void *first, struct iov_iter *iter) { \
    return enter_iter(id, direction, iter);                       \
  }                                                               \
  SEC("fexit/" #fn)                                               \
  int BPF_PROG(fexit_##fn, void *first, struct iov_iter *iter) {  \
    return leave_iter(id, iter);                                  \
  }

ITER_ARG2_FUNCTION(pipe_read, IPCPROOF_FN_PIPE_READ, IPCPROOF_COPY_TO_USER)
ITER_ARG2_FUNCTION(pipe_write, IPCPROOF_FN_PIPE_WRITE, IPCPROOF_COPY_FROM_USER)
ITER_ARG2_FUNCTION(anon_pipe_read, IPCPROOF_FN_ANON_PIPE_READ,
                   IPCPROOF_COPY_TO_USER)
ITER_ARG2_FUNCTION(anon_pipe_write, IPCPROOF_FN_ANON_PIPE_WRITE,
                   IPCPROOF_COPY_FROM_USER)
ITER_ARG2_FUNCTION(fifo_pipe_read, IPCPROOF_FN_FIFO_PIPE_READ,
                   IPCPROOF_COPY_TO_USER)
ITER_ARG2_FUNCTION(fifo_pipe_write, IPCPROOF_FN_FIFO_PIPE_WRITE,
                   IPCPROOF_COPY_FROM_USER)
ITER_ARG2_FUNCTION(filemap_read, IPCPROOF_FN_FILEMAP_READ,
                   IPCPROOF_COPY_TO_USER)
ITER_ARG2_FUNCTION(shmem_file_read_iter, IPCPROOF_FN_SHMEM_FILE_READ_ITER,
                   IPCPROOF_COPY_TO_USER)
ITER_ARG2_FUNCTION(generic_perform_write, IPCPROOF_FN_GENERIC_PERFORM_WRITE,
                   IPCPROOF_COPY_FROM_USER)
/* skb_splice_from_iter(skb, iter, maxsize, gfp): page references from a
 * bio_vec (6.5+: sendfile and splice into Unix and TCP sockets). */
ITER_ARG2_FUNCTION(skb_splice_from_iter, IPCPROOF_FN_SKB_SPLICE_FROM_ITER,
                   IPCPROOF_COPY_FROM_USER)

/* skb_copy_datagram_iter(skb, offset, to, len): every stream socket's
 * receive copy (through skb_copy_datagram_msg). */
SEC("fentry/skb_copy_datagram_iter")
int BPF_PROG(fentry_skb_copy_datagram_iter, void *skb, int offset,
             struct iov_iter *to) {
  return enter_iter(IPCPROOF_FN_SKB_COPY_DATAGRAM_ITER, IPCPROOF_COPY_TO_USER,
                    to);
}
SEC("fexit/skb_copy_datagram_iter")
int BPF_PROG(fexit_skb_copy_datagram_iter, void *skb, int offset,
             struct iov_iter *to) {
  return leave_iter(IPCPROOF_FN_SKB_COPY_DATAGRAM_ITER, to);
}

/* skb_copy_datagram_from_iter(skb, offset, from, len): the Unix socket's
 * send copy. */
SEC("fentry/skb_copy_datagram_from_iter")
int BPF_PROG(fentry_skb_copy_datagram_from_iter, void *skb, int offset,
             struct iov_iter *from) {
  return enter_iter(IPCPROOF_FN_SKB_COPY_DATAGRAM_FROM_ITER,
                    IPCPROOF_COPY_FROM_USER, from);
}
SEC("fexit/skb_copy_datagram_from_iter")
int BPF_PROG(fexit_skb_copy_datagram_from_iter, void *skb, int offset,
             struct iov_iter *from) {
  return leave_iter(IPCPROOF_FN_SKB_COPY_DATAGRAM_FROM_ITER, from);
}

/* tcp_sendmsg_locked(sk, msg, size): TCP's send copy (into the skbs' page
 * frags), or, with MSG_SPLICE_PAGES, the caller of skb_splice_from_iter. */
SEC("fentry/tcp_sendmsg_locked")
int BPF_PROG(fentry_tcp_sendmsg_locked, void *sk, struct msghdr *msg) {
  return enter_iter(IPCPROOF_FN_TCP_SENDMSG_LOCKED, IPCPROOF_COPY_FROM_USER,
                    &msg->msg_iter);
}
SEC("fexit/tcp_sendmsg_locked")
int BPF_PROG(fexit_tcp_sendmsg_locked, void *sk, struct msghdr *msg) {
  return leave_iter(IPCPROOF_FN_TCP_SENDMSG_LOCKED, &msg->msg_iter);
}

/* load_msg(src, len): a message's text copied from user memory (msgsnd,
 * mq_timedsend); an ERR_PTR result copied nothing we can count. */
SEC("fexit/load_msg")
int BPF_PROG(fexit_load_msg, const void *src, unsigned long len,
             struct msg_msg *result) {
  unsigned int label = current_label();
  if (!label) return 0;
  if ((unsigned long)result >= (unsigned long)-4095L) return 0;
  record(label, IPCPROOF_FN_LOAD_MSG, IPCPROOF_COPY_FROM_USER, len);
  return 0;
}

/* store_msg(dest, msg, len): 0 once all len bytes reached user memory
 * (msgrcv, mq_timedreceive). */
SEC("fexit/store_msg")
int BPF_PROG(fexit_store_msg, void *dest, struct msg_msg *msg,
             unsigned long len, int result) {
  unsigned int label = current_label();
  if (!label || result != 0) return 0;
  record(label, IPCPROOF_FN_STORE_MSG, IPCPROOF_COPY_TO_USER, len);
  return 0;
}

/* Functions that move page references and return the bytes moved: the
 * splice reads into a pipe (6.5+; earlier kernels read through
 * filemap_read / shmem_file_read_iter with a pipe iterator) and the
 * sendpage functions (before 6.5). */
#define SPLICE_READ_FUNCTION(fn, id)                                       \
  SEC("fexit/" #fn)                                                        \
  int BPF_PROG(fexit_##fn, void *in, void *ppos, void *pipe,               \
               unsigned long len, unsigned int flags, long result) {       \
    unsigned int label = current_label();                                  \
    if (label && result > 0)                                               \
      record(label, id, IPCPROOF_COPY_KERNEL, (unsigned long long)result); \
    return 0;                                                              \
  }
#define SENDPAGE_FUNCTION(fn, id)                                          \
  SEC("fexit/" #fn)                                                        \
  int BPF_PROG(fexit_##fn, void *sock, void *page, int offset,             \
               unsigned long size, int flags, long result) {               \
    unsigned int label = current_label();                                  \
    if (label && result > 0)                                               \
      record(label, id, IPCPROOF_COPY_KERNEL, (unsigned long long)result); \
    return 0;                                                              \
  }

SPLICE_READ_FUNCTION(filemap_splice_read, IPCPROOF_FN_FILEMAP_SPLICE_READ)
SPLICE_READ_FUNCTION(shmem_file_splice_read, IPCPROOF_FN_SHMEM_FILE_SPLICE_READ)
SENDPAGE_FUNCTION(do_tcp_sendpages, IPCPROOF_FN_DO_TCP_SENDPAGES)
SENDPAGE_FUNCTION(unix_stream_sendpage, IPCPROOF_FN_UNIX_STREAM_SENDPAGE)
