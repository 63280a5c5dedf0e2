/* The layout page_fault_copies.bpf.c shares with its loader
 * (page_fault_copies.cc): the page-fault method of the copy counter
 * (bpf/copy_counter.h, CopyMethod::kPageFaults).
 *
 * The probe records each page fault that the kernel takes on a user address
 * of a followed process (tp_btf/page_fault_kernel: the fault happened in
 * kernel mode) under (label, direction, kernel stack, thread, system call):
 * the loader turns stacks into routines and paths, faults into bytes (one
 * page each) and the distinct (thread, system call) pairs into calls.
 * Plain C: included by clang -target bpf and by C++. */
#ifndef BPF_PAGE_FAULT_COPIES_H_
#define BPF_PAGE_FAULT_COPIES_H_

/* Frames kept per kernel stack, innermost first. A copy's stack from the
 * system call entry down to the fault is 15 to 30 frames on 6.1 to 6.18
 * (probe and exception frames included); a deeper one keeps its innermost
 * frames, which hold the routine. */
#define IPCPROOF_PF_STACK_DEPTH 64
/* Distinct kernel stacks recorded at once. */
#define IPCPROOF_PF_MAX_STACKS 4096
/* Distinct (label, direction, stack, thread, call) keys recorded at once:
 * a transfer of a few MiB in page-sized calls needs a few thousand. */
#define IPCPROOF_PF_MAX_FAULT_KEYS 32768

/* Directions, from the x86 page fault error code's write bit: the kernel
 * writing user memory is a copy to user space. */
#define IPCPROOF_PF_TO_USER 0
#define IPCPROOF_PF_FROM_USER 1

/* Slots of the `dropped` array: events the probe could not record, so the
 * counts are a lower bound when any is non-zero. */
#define IPCPROOF_PF_DROP_NO_STACK 0    /* bpf_get_stack failed */
#define IPCPROOF_PF_DROP_STACKS_FULL 1 /* no room for a new stack */
#define IPCPROOF_PF_DROP_FAULTS_FULL 2 /* no room for a new fault key */
#define IPCPROOF_PF_DROP_KINDS 3

/* A kernel stack: `depth` return addresses, innermost first (the probe's own
 * frames, then the exception entry, then the faulting routine and its
 * callers). Key of the `stacks` map: a 64-bit hash of the frames. */
struct ipcproof_pf_stack {
  unsigned int depth;
  unsigned int pad;
  unsigned long long ips[IPCPROOF_PF_STACK_DEPTH];
};

/* Key of the `faults` map. `seq` is the thread's system call sequence
 * number (bpf/follow.h's ipcproof_task_state): two keys that differ only in
 * (tid, seq) are the same routine in two calls. */
struct ipcproof_pf_key {
  unsigned int label;
  unsigned int direction;   /* IPCPROOF_PF_TO_USER or IPCPROOF_PF_FROM_USER */
  unsigned long long stack; /* key of `stacks` */
  unsigned int tid;         /* kernel thread id */
  unsigned int pad;
  unsigned long long seq;
};

/* Value of the `faults` map. */
struct ipcproof_pf_counts {
  /* Faults that mapped a page: each is one page the kernel copied. */
  unsigned long long faults;
  /* Faults taken with page faults disabled (current->pagefault_disabled):
   * the kernel does not handle them, the atomic copy stops short and is
   * retried after a pre-fault, which is the fault that counts. */
  unsigned long long atomic_faults;
};

#endif /* BPF_PAGE_FAULT_COPIES_H_ */
