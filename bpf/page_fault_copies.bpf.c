// SPDX-License-Identifier: GPL-2.0
/* The page-fault method of the copy counter (bpf/copy_counter.h): every
 * page fault the kernel takes on a user address of a followed process is a
 * page it copied to or from user space, provided the process dropped the
 * buffer's page-table entries before the call (bpf/fault_buffer.h). The
 * fault's kernel stack says which routine copied. Layout shared with the
 * loader: page_fault_copies.h. */
#include "follow.bpf.h"
/* follow.bpf.h first: it brings vmlinux.h and the helper headers. */
#include "page_fault_copies.h"

/* The x86 page fault error code (arch/x86/include/asm/trap_pf.h): bit 0
 * set when the page was present (a protection fault), bit 1 on a write.
 * Own names: vmlinux.h declares the kernel's enum x86_pf_error_code. */
#define IPCPROOF_PF_PROT_BIT 0x1UL
#define IPCPROOF_PF_WRITE_BIT 0x2UL
/* Above this is kernel space (x86-64 with 4-level page tables: user space
 * ends at 0x7ffffffff000). */
#define IPCPROOF_USER_ADDRESS_END 0x800000000000UL
/* x86-64 bpf(2): the counter's own Reset and Read, made while the caller is
 * followed. Their faults are not the caller's copies. */
#define IPCPROOF_NR_BPF 321

/* (label, direction, stack, thread, call) -> faults. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, IPCPROOF_PF_MAX_FAULT_KEYS);
  __type(key, struct ipcproof_pf_key);
  __type(value, struct ipcproof_pf_counts);
} faults SEC(".maps");

/* Stack hash -> the stack. A hash map keyed by our own 64-bit hash, not a
 * STACK_TRACE map: that one refuses a second stack whose hash falls in an
 * occupied bucket (-EEXIST), so a few dozen distinct stacks in its buckets
 * would already drop events now and then. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, IPCPROOF_PF_MAX_STACKS);
  __type(key, unsigned long long);
  __type(value, struct ipcproof_pf_stack);
} stacks SEC(".maps");

/* Room for one stack per CPU: 520 bytes do not fit the 512-byte BPF stack. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, unsigned int);
  __type(value, struct ipcproof_pf_stack);
} scratch SEC(".maps");

/* IPCPROOF_PF_DROP_* -> events lost that way. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, IPCPROOF_PF_DROP_KINDS);
  __type(key, unsigned int);
  __type(value, unsigned long long);
} dropped SEC(".maps");

/* Calibration of current->pagefault_disabled. The value the probe reads is
 * not always the faulting code's: a kernel may disable page faults around
 * the tracepoint's programs themselves (6.18 does: every fault reads 1
 * there). So the loader, before anything is followed, sets calibration_tid
 * to its own thread and makes one system call whose copy to user space
 * faults with page faults enabled (uname(2) into a fresh page); the probe
 * stores what it read then as the baseline, and an atomic fault is one
 * that reads more than the baseline. */
unsigned int calibration_tid = 0;
unsigned int calibration_faults = 0;
int pagefault_disabled_baseline = 0;

static __always_inline void count_drop(unsigned int kind) {
  unsigned long long *counter = bpf_map_lookup_elem(&dropped, &kind);
  if (counter) count_add(counter, 1);
}

/* A 64-bit hash of the first `depth` frames (a multiply-xorshift mix per
 * frame): collisions among a few thousand stacks are ~2^-40 likely. */
static __always_inline unsigned long long hash_stack(
    const struct ipcproof_pf_stack *stack) {
  unsigned long long hash = 0x9e3779b97f4a7c15ULL ^ stack->depth;
  for (int i = 0; i < IPCPROOF_PF_STACK_DEPTH; i++) {
    if (i >= stack->depth) break;
    hash ^= stack->ips[i];
    hash *= 0xbf58476d1ce4e5b9ULL;
    hash ^= hash >> 31;
  }
  return hash;
}

SEC("tp_btf/page_fault_kernel")
int BPF_PROG(count_fault, unsigned long address, struct pt_regs *regs,
             unsigned long error_code) {
  /* Kernel addresses are the kernel's own memory, not a user copy. */
  if (address >= IPCPROOF_USER_ADDRESS_END) return 0;
  /* A protection fault hit a page that was mapped: copy-on-write after
   * fork (the child's tid and rseq writes, a poll's revents on a stack the
   * parent shares), or a write after a read fault in the same call, whose
   * page the read fault already counted. Only a fault on an unmapped page
   * is a page's first touch, the event the method counts. */
  if (error_code & IPCPROOF_PF_PROT_BIT) return 0;

  struct task_struct *self = bpf_get_current_task_btf();
  int disabled = BPF_CORE_READ(self, pagefault_disabled);
  unsigned long long pid_tgid = bpf_get_current_pid_tgid();
  if (calibration_tid != 0 && (unsigned int)pid_tgid == calibration_tid) {
    pagefault_disabled_baseline = disabled;
    __sync_fetch_and_add(&calibration_faults, 1);
    return 0;
  }

  unsigned int label = current_label();
  if (label == 0) return 0;
  struct ipcproof_task_state *task = current_task_state();
  if (task && task->nr == IPCPROOF_NR_BPF) return 0;

  unsigned int zero = 0;
  struct ipcproof_pf_stack *stack = bpf_map_lookup_elem(&scratch, &zero);
  if (!stack) return 0;
  long taken = bpf_get_stack(ctx, stack->ips, sizeof(stack->ips), 0);
  if (taken <= 0) {
    count_drop(IPCPROOF_PF_DROP_NO_STACK);
    return 0;
  }
  stack->depth = (unsigned int)(taken / sizeof(stack->ips[0]));
  stack->pad = 0;
  unsigned long long hash = hash_stack(stack);
  if (!bpf_map_lookup_elem(&stacks, &hash)) {
    long stored = bpf_map_update_elem(&stacks, &hash, stack, BPF_NOEXIST);
    if (stored != 0 && stored != -17 /* EEXIST: another CPU stored it */) {
      count_drop(IPCPROOF_PF_DROP_STACKS_FULL);
      return 0;
    }
  }

  struct ipcproof_pf_key key = {
      .label = label,
      .direction = (error_code & IPCPROOF_PF_WRITE_BIT) ? IPCPROOF_PF_TO_USER
                                                        : IPCPROOF_PF_FROM_USER,
      .stack = hash,
      .tid = (unsigned int)pid_tgid,
      .pad = 0,
      .seq = task ? task->seq : 0,
  };
  /* With page faults disabled the kernel will not map the page: the copy
   * stops short and is retried after a pre-fault (generic_perform_write),
   * whose own fault is the one that counts the page. */
  int atomic = disabled > pagefault_disabled_baseline;
  struct ipcproof_pf_counts fresh = {
      .faults = atomic ? 0 : 1,
      .atomic_faults = atomic ? 1 : 0,
  };
  struct ipcproof_pf_counts *counts = bpf_map_lookup_elem(&faults, &key);
  if (!counts) {
    long added = bpf_map_update_elem(&faults, &key, &fresh, BPF_NOEXIST);
    if (added == 0) return 0;
    counts = bpf_map_lookup_elem(&faults, &key);
    if (!counts) {
      count_drop(IPCPROOF_PF_DROP_FAULTS_FULL);
      return 0;
    }
  }
  if (atomic)
    count_add(&counts->atomic_faults, 1);
  else
    count_add(&counts->faults, 1);
  return 0;
}
