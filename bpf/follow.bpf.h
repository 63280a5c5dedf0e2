/* The follow part of every copy probe: which processes are followed and
 * under which label, and their system calls. Included by each name.bpf.c
 * (each object gets its own maps and programs). Layout: bpf/follow.h. */
#ifndef BPF_FOLLOW_BPF_H_
#define BPF_FOLLOW_BPF_H_

#include "vmlinux.h"
/* vmlinux.h first: the helper headers use its types. */
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "follow.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load: the marker must carry it. */
const volatile unsigned long long follow_cookie = 0;

/* tgid (kernel's) -> label. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, IPCPROOF_MAX_FOLLOWED);
  __type(key, unsigned int);
  __type(value, unsigned int);
} followed SEC(".maps");

/* (label, nr) -> calls. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, IPCPROOF_MAX_SYSCALL_KEYS);
  __type(key, struct ipcproof_syscall_key);
  __type(value, unsigned long long);
} syscalls SEC(".maps");

/* kernel PID of a followed thread -> its system call sequence. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, IPCPROOF_MAX_FOLLOWED);
  __type(key, unsigned int);
  __type(value, struct ipcproof_task_state);
} tasks SEC(".maps");

/* The label of the current process, 0 when it is not followed. */
static __always_inline unsigned int current_label(void) {
  unsigned int tgid = bpf_get_current_pid_tgid() >> 32;
  unsigned int *label = bpf_map_lookup_elem(&followed, &tgid);
  return label ? *label : 0;
}

/* The current thread's state, NULL when its process is not followed. */
static __always_inline struct ipcproof_task_state *current_task_state(void) {
  unsigned int pid = (unsigned int)bpf_get_current_pid_tgid();
  return bpf_map_lookup_elem(&tasks, &pid);
}

static __always_inline void count_add(unsigned long long *counter,
                                      unsigned long long n) {
  __sync_fetch_and_add(counter, n);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(follow_sys_enter, struct pt_regs *regs, long id) {
  unsigned long long pid_tgid = bpf_get_current_pid_tgid();
  unsigned int tgid = pid_tgid >> 32;
  unsigned int pid = (unsigned int)pid_tgid;
  if (id == IPCPROOF_NR_PRCTL && regs->di == IPCPROOF_FOLLOW_OPTION &&
      regs->si == follow_cookie) {
    unsigned int label = (unsigned int)regs->dx;
    if (label == 0 || label > IPCPROOF_MAX_LABEL) {
      bpf_map_delete_elem(&followed, &tgid);
      bpf_map_delete_elem(&tasks, &pid);
    } else {
      struct ipcproof_task_state fresh = {.seq = 0, .nr = -1};
      bpf_map_update_elem(&followed, &tgid, &label, BPF_ANY);
      bpf_map_update_elem(&tasks, &pid, &fresh, BPF_NOEXIST);
    }
    return 0;
  }
  unsigned int *label = bpf_map_lookup_elem(&followed, &tgid);
  if (!label) return 0;
  struct ipcproof_task_state *task = bpf_map_lookup_elem(&tasks, &pid);
  if (!task) {
    /* A thread of a followed process that has not made a call yet. */
    struct ipcproof_task_state fresh = {.seq = 0, .nr = -1};
    bpf_map_update_elem(&tasks, &pid, &fresh, BPF_NOEXIST);
    task = bpf_map_lookup_elem(&tasks, &pid);
    if (!task) return 0;
  }
  task->seq++;
  task->nr = id;
  struct ipcproof_syscall_key key = {.label = *label, .nr = (unsigned int)id};
  unsigned long long one = 1;
  unsigned long long *calls = bpf_map_lookup_elem(&syscalls, &key);
  if (calls)
    count_add(calls, 1);
  else
    bpf_map_update_elem(&syscalls, &key, &one, BPF_NOEXIST);
  return 0;
}

/* A followed process's children (and new threads) inherit its label. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(follow_fork, struct task_struct *parent,
             struct task_struct *child) {
  unsigned int parent_tgid = parent->tgid;
  unsigned int child_tgid = child->tgid;
  unsigned int child_pid = child->pid;
  unsigned int *label = bpf_map_lookup_elem(&followed, &parent_tgid);
  if (!label) return 0;
  unsigned int copy = *label;
  struct ipcproof_task_state fresh = {.seq = 0, .nr = -1};
  if (child_tgid != parent_tgid)
    bpf_map_update_elem(&followed, &child_tgid, &copy, BPF_ANY);
  bpf_map_update_elem(&tasks, &child_pid, &fresh, BPF_ANY);
  return 0;
}

/* Forget an exiting thread (and, with its leader, the process), so a
 * recycled PID is not taken for a followed one. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(follow_exit, struct task_struct *task) {
  unsigned int pid = task->pid;
  unsigned int tgid = task->tgid;
  bpf_map_delete_elem(&tasks, &pid);
  if (pid == tgid) bpf_map_delete_elem(&followed, &tgid);
  return 0;
}

#endif /* BPF_FOLLOW_BPF_H_ */
