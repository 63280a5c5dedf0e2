/* The layout the follow part of every copy probe shares with its loader
 * (bpf/follow.bpf.h on the kernel side, bpf/copy_counter.cc in user space).
 *
 * A process joins a counter by a marker system call that the probe's
 * sys_enter program recognises: prctl(IPCPROOF_FOLLOW_OPTION, cookie, label).
 * The kernel refuses the unknown option with EINVAL, so the marker is
 * harmless when no probe is attached; the cookie (random per counter) keeps
 * two counters on one machine apart. Processes are followed by label, not by
 * PID, because a test may run in a PID namespace where getpid() is not the
 * PID the probe sees. Children forked afterwards inherit the label.
 * Plain C: included by clang -target bpf and by C++. */
#ifndef BPF_FOLLOW_H_
#define BPF_FOLLOW_H_

/* 'ipcp': no prctl option has this value. */
#define IPCPROOF_FOLLOW_OPTION 0x69706370UL
/* x86-64 prctl(2): the probes are built for x86 only (-D__TARGET_ARCH_x86). */
#define IPCPROOF_NR_PRCTL 157

/* Labels 1..IPCPROOF_MAX_LABEL name followed processes; 0 stops following. */
#define IPCPROOF_MAX_LABEL 64
/* Followed processes at once (a test, its children and theirs). */
#define IPCPROOF_MAX_FOLLOWED 256
/* Distinct (label, system call) pairs counted. */
#define IPCPROOF_MAX_SYSCALL_KEYS 4096

/* Key of the `syscalls` map: how many times `label` entered system call
 * `nr` (the marker itself is not counted). */
struct ipcproof_syscall_key {
  unsigned int label;
  unsigned int nr;
};

/* Value of the `tasks` map, per thread (kernel PID) of a followed process:
 * `seq` counts the thread's system calls so a probe can tell one call from
 * the next (a routine copying during two calls is two calls), `nr` is the
 * call it is in. */
struct ipcproof_task_state {
  unsigned long long seq;
  long long nr;
};

#endif /* BPF_FOLLOW_H_ */
