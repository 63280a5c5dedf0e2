// Whether this process holds a capability where the kernel checks it,
// decided by trying something only that capability allows (the house rule:
// privilege is decided by trying, never by reading the uid).
#ifndef CONFORMANCE_KIT_CAPABILITIES_H_
#define CONFORMANCE_KIT_CAPABILITIES_H_

namespace ipcproof {

// CAP_SYS_RESOURCE in the initial user namespace, which is where msgctl's
// IPC_SET above msgmnb, F_SETPIPE_SZ above pipe-max-size and mq_open above
// fs/mqueue/msg_max look (capable(), not ns_capable()). Decided by trying,
// in a forked child, to raise a hard resource limit it first lowered
// (setrlimit(2): "A privileged process (under Linux: one with the
// CAP_SYS_RESOURCE capability in the initial user namespace) may make
// arbitrary changes to either limit value"). False also when the probe
// child cannot be forked.
bool HoldsSysResourceCapability();

// In a forked child (async-signal-safe, raw capget/capset): clears the
// effective capability set, keeping uid, gid and the permitted set. The
// process then meets the kernel's permission checks as an ordinary owner
// would: ipcperms() applies an IPC object's mode bits to it (CAP_IPC_OWNER
// no longer bypasses them), generic_permission() a file's (no
// CAP_DAC_OVERRIDE), and only owner or creator may IPC_SET / IPC_RMID (no
// CAP_SYS_ADMIN). Needs no second uid, so it works in a user namespace that
// maps only one. False when a call failed.
bool DropEffectiveCapabilities();

}  // namespace ipcproof

#endif  // CONFORMANCE_KIT_CAPABILITIES_H_
