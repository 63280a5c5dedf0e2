// POSIX message queues, the limits (docs/claims.json, mq.size-limited,
// mq.array-inside, mq.solves-pipe-blocking, mq.not-for-big-data): the IPC
// namespace's fs/mqueue sysctls and their compiled-in ceilings,
// RLIMIT_MSGQUEUE, queues_max, RLIMIT_NOFILE, what a default queue holds
// against a default pipe, and bulk throughput against a pipe.
//
// Every test enters a private IPC namespace (posix_mq_util.h), where
// /proc/sys/fs/mqueue/* are its own: it may lower and raise them without
// touching the host. Limits are read from those sysctls, never assumed.
//
// Kernel paths (ipc/mqueue.c, Linux 6.12): mqueue_create_attr counts the
// namespace's queues against queues_max (ENOSPC) unless the caller has
// CAP_SYS_RESOURCE; mqueue_get_inode checks mq_maxmsg / mq_msgsize against
// msg_max / msgsize_max (or, with CAP_SYS_RESOURCE, HARD_MSGMAX /
// HARD_MSGSIZEMAX) (EINVAL) and charges the queue's bytes to the creator's
// RLIMIT_MSGQUEUE (EMFILE); mqueue_evict_inode gives both back when the queue
// is destroyed.
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/kit/alarm_deadline.h"
#include "conformance/kit/bytes.h"
#include "conformance/kit/capabilities.h"
#include "conformance/kit/child_exit.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/matchers.h"
#include "conformance/kit/sysctl.h"
#include "conformance/kit/test_control.h"
#include "conformance/kit/time_scale.h"
#include "conformance/kit/transfer.h"
#include "conformance/mq/posix_mq_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/child_process.h"
#include "ipc/error.h"
#include "ipc/pipe.h"
#include "ipc/posix_message_queue.h"

namespace ipcproof {
namespace {

using ::ipc::ChildProcess;
using ::ipc::PosixMessageQueue;
using ::ipc::PosixQueueAttributes;
using ::ipc::RealtimeDeadlineFromNow;

// mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, {maxmsg, msgsize}).
mqd_t CreateRaw(const std::string& name, long maxmsg, long msgsize) {
  mq_attr attr{};
  attr.mq_maxmsg = maxmsg;
  attr.mq_msgsize = msgsize;
  return ::mq_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
}

// Sends `size`-byte messages on non-blocking `mqd` until EAGAIN, and says
// how many it took. `bound` is a few times the queue's mq_maxmsg: a kernel
// that takes more without EAGAIN fails the test there instead of filling
// memory. Each send carries an already expired timeout, which O_NONBLOCK
// makes irrelevant (do_mq_timedsend returns EAGAIN before it would sleep):
// a kernel that ignored O_NONBLOCK on the full queue fails ETIMEDOUT here
// instead of blocking the test for ever.
::testing::AssertionResult FillUntilEagain(mqd_t mqd, size_t size, long bound,
                                           long* accepted) {
  const std::vector<char> message(size, 'm');
  for (*accepted = 0; *accepted <= bound; ++*accepted) {
    if (::mq_timedsend(mqd, message.data(), message.size(), 0,
                       &kAlreadyExpired) != 0) {
      if (errno == EAGAIN) return ::testing::AssertionSuccess();
      return ::testing::AssertionFailure()
             << "mq_timedsend failed with " << ErrnoName(errno) << " after "
             << *accepted << " messages";
    }
  }
  return ::testing::AssertionFailure()
         << "more than " << bound << " messages accepted without EAGAIN";
}

// =========================================================================
// Attributes and limits: the namespace's sysctls
// =========================================================================

// mq_overview(7): msg_default and msgsize_default are "the value used for a
// new queue's mq_maxmsg [mq_msgsize] setting when the queue is created with a
// call to mq_open(3) where attr is specified as NULL" (mqueue_get_inode:
// min(msg_max, msg_default), min(msgsize_max, msgsize_default)).
TEST_F(PosixMqTest, QueueWithoutAttributesGetsTheDefaultsFromTheSysctls) {
  CLAIM("mq.beyond.posix-defaults");
  const MqSysctls sysctls = ReadMqSysctls();
  RecordSysctls(sysctls);
  const rlimit limit = MsgqueueRlimit();
  RecordMeasurement("rlimit_msgqueue_soft",
                    static_cast<int64_t>(limit.rlim_cur));
  RecordMeasurement("rlimit_msgqueue_hard",
                    static_cast<int64_t>(limit.rlim_max));

  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  const mq_attr attr = queue.Attributes();
  EXPECT_EQ(attr.mq_maxmsg, sysctls.default_maxmsg());
  EXPECT_EQ(attr.mq_msgsize, sysctls.default_msgsize());
  RecordMeasurement("default_queue.mq_maxmsg", attr.mq_maxmsg);
  RecordMeasurement("default_queue.mq_msgsize", attr.mq_msgsize);
  RecordMeasurement("mq_prio_max", ::sysconf(_SC_MQ_PRIO_MAX));
}

// The defaults are tunables, not constants: changed in this namespace, the
// next queue made without attributes takes the new values (the queue made
// before keeps its own).
TEST_F(PosixMqTest, ChangingTheDefaultSysctlsChangesTheNextQueue) {
  CLAIM("mq.array-inside", "mq.beyond.posix-defaults");
  const MqSysctls before = ReadMqSysctls();
  PosixMessageQueue old_queue = PosixMessageQueue::Create(UniqueQueueName());

  const int64_t msg_default = before.default_maxmsg() == 3 ? 4 : 3;
  const int64_t msgsize_default = before.default_msgsize() == kMinMsgsizeMax
                                      ? 2 * kMinMsgsizeMax
                                      : kMinMsgsizeMax;
  WRITE_SYSCTL_OR_SKIP("fs/mqueue/msg_default", msg_default);
  WRITE_SYSCTL_OR_SKIP("fs/mqueue/msgsize_default", msgsize_default);
  const MqSysctls after = ReadMqSysctls();

  PosixMessageQueue new_queue = PosixMessageQueue::Create(UniqueQueueName());
  EXPECT_EQ(new_queue.Attributes().mq_maxmsg, after.default_maxmsg());
  EXPECT_EQ(new_queue.Attributes().mq_msgsize, after.default_msgsize());
  EXPECT_EQ(old_queue.Attributes().mq_maxmsg, before.default_maxmsg());
  EXPECT_EQ(old_queue.Attributes().mq_msgsize, before.default_msgsize());
}

// mq_overview(7): "A new queue's default mq_maxmsg value will be the smaller
// of msg_default and msg_max"; "If msgsize_default exceeds msgsize_max, a new
// queue's default mq_msgsize value is capped to the msgsize_max limit."
TEST_F(PosixMqTest, DefaultsAboveTheMaximaAreCappedToTheMaxima) {
  CLAIM("mq.size-limited", "mq.beyond.posix-defaults");
  const MqSysctls before = ReadMqSysctls();
  ASSERT_LT(before.msg_max, kHardMsgMax);
  ASSERT_LT(before.msgsize_max, kHardMsgsizeMax);
  WRITE_SYSCTL_OR_SKIP("fs/mqueue/msg_default", before.msg_max + 1);
  WRITE_SYSCTL_OR_SKIP("fs/mqueue/msgsize_default", before.msgsize_max + 1);

  PosixMessageQueue queue = PosixMessageQueue::Create(UniqueQueueName());
  EXPECT_EQ(queue.Attributes().mq_maxmsg, before.msg_max);
  EXPECT_EQ(queue.Attributes().mq_msgsize, before.msgsize_max);
}

// mq_open(3), EINVAL: "Both of these fields must be greater than zero. In a
// process that is unprivileged (does not have the CAP_SYS_RESOURCE
// capability), attr->mq_maxmsg must be less than or equal to the msg_max
// limit, and attr->mq_msgsize must be less than or equal to the msgsize_max
// limit" (gVisor MqTest.OpenInvalidArgs, LTP mq_open01). mqueue_get_inode
// checks the sysctl maxima unless capable(CAP_SYS_RESOURCE), and then
// HARD_MSGMAX / HARD_MSGSIZEMAX instead. Root here lacks CAP_SYS_RESOURCE;
// the test says which case it saw.
TEST_F(PosixMqTest, AttributesAboveTheSysctlMaximaFailEinval) {
  CLAIM("mq.size-limited");
  const MqSysctls sysctls = ReadMqSysctls();
  RecordSysctls(sysctls);
  const bool privileged = HoldsSysResourceCapability();
  RecordMeasurement("has_cap_sys_resource", privileged ? 1 : 0);
  const ScopedQueueName name(UniqueQueueName());

  // Non-positive values: refused for everyone.
  using Attrs = std::pair<long, long>;  // maxmsg, msgsize
  const Attrs non_positive[] = {{0, 16}, {1, 0}, {-1, 16}, {1, -1}};
  for (const auto& [maxmsg, msgsize] : non_positive) {
    SCOPED_TRACE("maxmsg " + std::to_string(maxmsg) + ", msgsize " +
                 std::to_string(msgsize));
    EXPECT_THAT(CreateRaw(name.name(), maxmsg, msgsize),
                SyscallFailsWithErrno(EINVAL));
  }
  // At the limits: accepted.
  {
    ScopedMqd at_limits(CreateRaw(name.name(), sysctls.msg_max, 16));
    EXPECT_TRUE(at_limits.valid()) << ErrnoName(errno);
    ::mq_unlink(name.c_str());
    ScopedMqd at_size(CreateRaw(name.name(), 1, sysctls.msgsize_max));
    EXPECT_TRUE(at_size.valid()) << ErrnoName(errno);
    ::mq_unlink(name.c_str());
  }
  // One above: refused unless privileged.
  const Attrs above[] = {{sysctls.msg_max + 1, 16},
                         {1, sysctls.msgsize_max + 1}};
  for (const auto& [maxmsg, msgsize] : above) {
    SCOPED_TRACE("maxmsg " + std::to_string(maxmsg) + ", msgsize " +
                 std::to_string(msgsize));
    ScopedMqd mqd(CreateRaw(name.name(), maxmsg, msgsize));
    const int err = errno;
    if (privileged) {
      EXPECT_TRUE(mqd.valid())
          << "CAP_SYS_RESOURCE should lift the limit: " << ErrnoName(err);
    } else {
      EXPECT_FALSE(mqd.valid()) << "created beyond the sysctl limit";
      EXPECT_EQ(err, EINVAL) << ErrnoName(err);
    }
    ::mq_unlink(name.c_str());
  }
  // The compiled-in ceiling holds even with the capability.
  EXPECT_THAT(CreateRaw(name.name(), kHardMsgMax + 1, 16),
              SyscallFailsWithErrno(EINVAL));
}

// The note says the size limit comes from an array inside (内部使用数组).
// It does not: msg_max and msgsize_max are tunables of the IPC namespace.
// Refused before, the same queue is created once they are raised, and a
// message of the new size goes through intact.
TEST_F(PosixMqTest, RaisingTheMaximaInTheNamespaceAdmitsALargerQueue) {
  CLAIM("mq.array-inside", "mq.size-limited");
  const MqSysctls before = ReadMqSysctls();
  if (HoldsSysResourceCapability()) {
    // CAP_SYS_RESOURCE ignores msg_max and msgsize_max (root in a guest
    // kernel has it), so raising them would prove nothing: this test's own
    // process (one process per test) drops its effective capabilities.
    ASSERT_TRUE(DropEffectiveCapabilities())
        << "capset could not clear the effective set";
    ASSERT_FALSE(HoldsSysResourceCapability())
        << "CAP_SYS_RESOURCE still effective after capset";
  }
  const long bigger_count = before.msg_max * 2;
  const long bigger_size = before.msgsize_max * 2;
  ASSERT_LE(bigger_count, kHardMsgMax);
  ASSERT_LE(bigger_size, kHardMsgsizeMax);
  // Queue sizes stay far below RLIMIT_MSGQUEUE: (many, small) and (2, big).
  const PosixQueueAttributes many_small{bigger_count, 128};
  const PosixQueueAttributes few_big{2, bigger_size};
  const ScopedQueueName name(UniqueQueueName());
  for (const PosixQueueAttributes& attrs : {many_small, few_big}) {
    EXPECT_THAT(
        CreateRaw(name.name(), attrs.max_messages, attrs.max_message_size),
        SyscallFailsWithErrno(EINVAL))
        << attrs.max_messages << " x " << attrs.max_message_size
        << " before raising the limits";
  }

  WRITE_SYSCTL_OR_SKIP("fs/mqueue/msg_max", bigger_count);
  WRITE_SYSCTL_OR_SKIP("fs/mqueue/msgsize_max", bigger_size);

  PosixMessageQueue many = PosixMessageQueue::Create(
      UniqueQueueName(), many_small, O_RDWR | O_NONBLOCK);
  long accepted = 0;
  ASSERT_TRUE(
      FillUntilEagain(many.descriptor(), 1, 4 * bigger_count, &accepted));
  EXPECT_EQ(accepted, bigger_count);

  PosixMessageQueue big = PosixMessageQueue::Create(UniqueQueueName(), few_big);
  const std::vector<char> data = Pattern(static_cast<size_t>(bigger_size), 3);
  ASSERT_THAT(::mq_send(big.descriptor(), data.data(), data.size(), 0),
              SyscallSucceeds());
  EXPECT_TRUE(ReceivesNow(big.descriptor(),
                          std::string_view(data.data(), data.size())));
}

// mq_overview(7): msg_max's "upper limit is HARD_MSGMAX" (65,536 since 3.5,
// minimum 1) and msgsize_max's "the limit is 16,777,216 (HARD_MSGSIZEMAX)"
// (minimum 128). These ceilings are compiled in; the sysctl refuses to cross
// them even in a namespace of one's own (proc_dointvec_minmax).
TEST_F(PosixMqTest, SysctlMaximaHaveCompiledInCeilings) {
  CLAIM("mq.array-inside", "mq.beyond.posix-hard-ceilings");
  const MqSysctls before = ReadMqSysctls();
  WRITE_SYSCTL_OR_SKIP("fs/mqueue/msg_max", before.msg_max);  // writable?

  EXPECT_EQ(SysctlWriteErrno("fs/mqueue/msg_max", kHardMsgMax), 0);
  EXPECT_EQ(SysctlWriteErrno("fs/mqueue/msg_max", kHardMsgMax + 1), EINVAL);
  EXPECT_EQ(SysctlWriteErrno("fs/mqueue/msg_max", kMinMsgMax - 1), EINVAL);
  EXPECT_EQ(ReadSysctl("fs/mqueue/msg_max"), kHardMsgMax);

  EXPECT_EQ(SysctlWriteErrno("fs/mqueue/msgsize_max", kHardMsgsizeMax), 0);
  EXPECT_EQ(SysctlWriteErrno("fs/mqueue/msgsize_max", kHardMsgsizeMax + 1),
            EINVAL);
  EXPECT_EQ(SysctlWriteErrno("fs/mqueue/msgsize_max", kMinMsgsizeMax - 1),
            EINVAL);
  EXPECT_EQ(ReadSysctl("fs/mqueue/msgsize_max"), kHardMsgsizeMax);
}

// =========================================================================
// RLIMIT_MSGQUEUE, queues_max, RLIMIT_NOFILE
// =========================================================================

// Lowers the soft RLIMIT_MSGQUEUE to `bytes` (or the hard limit, if lower);
// lowering is always allowed (setrlimit(2)). Returns the new soft limit.
rlim_t LowerMsgqueueRlimit(rlim_t bytes) {
  rlimit limit = MsgqueueRlimit();
  limit.rlim_cur = std::min(bytes, limit.rlim_max);
  if (::setrlimit(RLIMIT_MSGQUEUE, &limit) != 0) {
    ipc::ThrowErrno("setrlimit(RLIMIT_MSGQUEUE)");
  }
  return limit.rlim_cur;
}

// getrlimit(2), RLIMIT_MSGQUEUE: "a limit on the number of bytes that can be
// allocated for POSIX message queues for the real user ID of the calling
// process", each queue counting maxmsg * msgsize plus overhead. With
// msgsize_max raised, a queue larger than the limit still fails (EMFILE,
// mqueue_get_inode's errno for it: LTP mq_open01) — and so does a 16 MiB
// message, the hard ceiling, under the default 819200-byte limit.
TEST_F(PosixMqTest, QueueLargerThanRlimitMsgqueueFailsEmfile) {
  CLAIM("mq.size-limited", "mq.beyond.posix-rlimit");
  // The budget is per (user namespace, uid): in a fresh user namespace no
  // other process of this uid (a test running in parallel) spends it.
  ENTER_PRIVATE_USER_AND_IPC_NAMESPACE_OR_SKIP();
  const rlimit limit = MsgqueueRlimit();
  RecordMeasurement("rlimit_msgqueue_soft",
                    static_cast<int64_t>(limit.rlim_cur));
  RecordMeasurement("rlimit_msgqueue_hard",
                    static_cast<int64_t>(limit.rlim_max));
  const long budget = static_cast<long>(
      limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= kHardMsgsizeMax / 2
          ? LowerMsgqueueRlimit(1 << 20)
          : limit.rlim_cur);
  WRITE_SYSCTL_OR_SKIP("fs/mqueue/msgsize_max", kHardMsgsizeMax);

  const ScopedQueueName name(UniqueQueueName());
  // Just over the budget in message bytes alone: EMFILE.
  EXPECT_THAT(CreateRaw(name.name(), 1, budget + 1),
              SyscallFailsWithErrno(EMFILE));
  // The hard ceiling, one message of 16 MiB: EMFILE as well.
  EXPECT_THAT(CreateRaw(name.name(), 1, kHardMsgsizeMax),
              SyscallFailsWithErrno(EMFILE));
  // A quarter of the budget (other queues of this uid may hold some): fine.
  ScopedMqd fits(CreateRaw(name.name(), 1, budget / 4));
  EXPECT_TRUE(fits.valid()) << ErrnoName(errno);
}

// getrlimit(2): the bytes are charged from the queue's creation (mqueue_
// get_inode, inc_rlimit_ucounts) until it is destroyed (mqueue_evict_inode)
// — not until mq_unlink, which only removes the name while a descriptor
// keeps the queue alive (mq_unlink(3)). The largest one-message queue that
// fits is found by bisection; with it in place not even a one-byte queue
// fits, unlinking it changes nothing, and closing its last descriptor makes
// room again.
TEST_F(PosixMqTest, RlimitMsgqueueChargesAQueueUntilItIsDestroyed) {
  CLAIM("mq.beyond.posix-rlimit", "mq.beyond.posix-unlink");
  // The budget is per (user namespace, uid): in a fresh user namespace no
  // other process of this uid (a test running in parallel) spends it.
  ENTER_PRIVATE_USER_AND_IPC_NAMESPACE_OR_SKIP();
  const long budget = static_cast<long>(LowerMsgqueueRlimit(64 << 10));
  ASSERT_GE(budget, 2 * kMinMsgsizeMax) << "the hard limit is tiny";
  WRITE_SYSCTL_OR_SKIP("fs/mqueue/msgsize_max",
                       std::min<int64_t>(budget + 1, kHardMsgsizeMax));

  const ScopedQueueName probe(UniqueQueueName("probe"));
  // 1 if a (1, msgsize) queue could be created (and is gone again), 0 if
  // refused with EMFILE, -1 (and a failure) for anything else.
  auto fits = [&](long msgsize) {
    ScopedMqd mqd(CreateRaw(probe.name(), 1, msgsize));
    if (!mqd.valid()) {
      if (errno == EMFILE) return 0;
      ADD_FAILURE() << "a queue of 1 x " << msgsize << " failed with "
                    << ErrnoName(errno);
      return -1;
    }
    mqd.Close();
    ::mq_unlink(probe.c_str());
    return 1;
  };
  long fitting = 1;           // fits: checked below
  long refused = budget + 1;  // charged more than the budget in data alone
  ASSERT_EQ(fits(fitting), 1);
  ASSERT_EQ(fits(refused), 0);
  while (refused - fitting > 1) {
    const long middle = fitting + (refused - fitting) / 2;
    const int answer = fits(middle);
    ASSERT_GE(answer, 0);
    (answer == 1 ? fitting : refused) = middle;
  }
  RecordMeasurement("largest_one_message_queue_bytes", fitting);
  // What the kernel charges beyond the message bytes: per getrlimit(2), one
  // struct msg_msg and one posix_msg_tree_node (plus any other queues this
  // uid holds).
  RecordMeasurement("charge_beyond_the_message_bytes", budget - fitting);

  const ScopedQueueName big_name(UniqueQueueName("big"));
  ScopedMqd big(CreateRaw(big_name.name(), 1, fitting));
  ASSERT_TRUE(big.valid()) << ErrnoName(errno);
  const ScopedQueueName small_name(UniqueQueueName("small"));
  EXPECT_THAT(CreateRaw(small_name.name(), 1, 1), SyscallFailsWithErrno(EMFILE))
      << "the budget was not used up by the largest queue that fits";
  ASSERT_THAT(::mq_unlink(big_name.c_str()), SyscallSucceeds());
  EXPECT_THAT(CreateRaw(small_name.name(), 1, 1), SyscallFailsWithErrno(EMFILE))
      << "unlinking gave the charge back while a descriptor was open";
  big.Close();
  ScopedMqd small(CreateRaw(small_name.name(), 1, 1));
  EXPECT_TRUE(small.valid())
      << "closing the last descriptor did not give the charge back: "
      << ErrnoName(errno);
}

// mq_overview(7): queues_max "can be used to view and change the
// system-wide limit on the number of message queues that can be created",
// and ipc_namespaces(7): "The POSIX message queue interfaces in
// /proc/sys/fs/mqueue" are distinct in each IPC namespace; mq_open(3) ENOSPC
// "Insufficient space for the creation of a new message queue. This probably
// occurred because the queues_max limit was encountered" (LTP mq_open01).
// mqueue_create_attr counts the namespace's queues (mq_queues_count, 0 in a
// fresh namespace) and refuses one more than queues_max unless
// capable(CAP_SYS_RESOURCE); a creation refused later (mqueue_get_inode's
// EINVAL) gives its slot back, and only a queue's destruction
// (mqueue_evict_inode) frees a slot, not its unlink. Opening an existing
// queue creates nothing, so it is never refused.
TEST_F(PosixMqTest, CreatingPastQueuesMaxFailsEnospc) {
  CLAIM("mq.beyond.posix-queues-max");
  RecordMeasurement("namespace.fs.mqueue.queues_max",
                    ReadSysctl("fs/mqueue/queues_max"));
  constexpr int kLimit = 3;
  WRITE_SYSCTL_OR_SKIP("fs/mqueue/queues_max", kLimit);
  const bool privileged = HoldsSysResourceCapability();
  RecordMeasurement("has_cap_sys_resource", privileged ? 1 : 0);

  std::vector<std::unique_ptr<ScopedQueueName>> names;
  std::vector<std::unique_ptr<ScopedMqd>> mqds;
  // 0 when a new queue was created, else mq_open's errno.
  auto create = [&](long maxmsg = 4) {
    names.push_back(std::make_unique<ScopedQueueName>(UniqueQueueName()));
    const mqd_t mqd = CreateRaw(names.back()->name(), maxmsg, 16);
    const int err = mqd == kNoQueue ? errno : 0;
    mqds.push_back(std::make_unique<ScopedMqd>(mqd));
    return err;
  };
  for (int i = 0; i < kLimit; ++i) {
    const int err = create();
    ASSERT_EQ(err, 0) << "queue " << i << " of " << kLimit << ": "
                      << ErrnoName(err);
  }
  if (privileged) {
    // A privileged creator passes the limit (root in a guest kernel has
    // CAP_SYS_RESOURCE, this machine's root does not) ...
    EXPECT_EQ(create(), 0) << "CAP_SYS_RESOURCE should lift queues_max";
    // ... and the rest is seen once this test's own process (one process
    // per test) drops its effective capabilities, after destroying the
    // queue the privilege added, so the count is at the limit again.
    mqds.back()->Close();
    ASSERT_THAT(::mq_unlink(names.back()->c_str()), SyscallSucceeds());
    ASSERT_TRUE(DropEffectiveCapabilities())
        << "capset could not clear the effective set";
    ASSERT_FALSE(HoldsSysResourceCapability())
        << "CAP_SYS_RESOURCE still effective after capset";
  }
  const int over = create();
  ASSERT_EQ(over, ENOSPC) << "queue " << kLimit + 1 << " with queues_max "
                          << kLimit << ": " << ErrnoName(over);

  // Opening existing queues at the limit: no new queue, no refusal.
  ScopedMqd reopened(::mq_open(names[0]->c_str(), O_RDWR));
  EXPECT_TRUE(reopened.valid()) << ErrnoName(errno);
  ScopedMqd reopened_with_creat(
      ::mq_open(names[0]->c_str(), O_CREAT | O_RDWR, 0600, nullptr));
  EXPECT_TRUE(reopened_with_creat.valid()) << ErrnoName(errno);

  // Unlinked, the queue still exists and still counts; destroyed, it frees
  // its slot.
  ASSERT_THAT(::mq_unlink(names[0]->c_str()), SyscallSucceeds());
  EXPECT_EQ(create(), ENOSPC) << "the unlink freed a slot";
  mqds[0]->Close();
  reopened.Close();
  reopened_with_creat.Close();
  ASSERT_EQ(create(), 0) << "closing the last descriptor freed no slot";

  // A creation mqueue_get_inode refuses does not keep the slot it took.
  WriteSysctl("fs/mqueue/queues_max", kLimit + 1);
  EXPECT_EQ(create(/*maxmsg=*/0), EINVAL);
  EXPECT_EQ(create(), 0) << "the refused creation kept its slot";
  EXPECT_EQ(create(), ENOSPC);

  // Lowered below the count: the queues there keep working, none is added.
  WriteSysctl("fs/mqueue/queues_max", 1);
  EXPECT_TRUE(SendNow(mqds[1]->get(), "still works"));
  EXPECT_TRUE(ReceivesNow(mqds[1]->get(), "still works"));
  EXPECT_EQ(create(), ENOSPC);
  WriteSysctl("fs/mqueue/queues_max", 0);
  EXPECT_EQ(create(), ENOSPC);
}

// LTP mq_open01 "NO_FILE": mq_open(3) EMFILE "The per-process limit on the
// number of open file and message queue descriptors has been reached (see
// the description of RLIMIT_NOFILE in getrlimit(2))". do_mq_open
// reserves the descriptor (get_unused_fd_flags) before it looks the name up,
// so a creation refused this way leaves no queue behind.
TEST_F(PosixMqTest, NoFreeDescriptorFailsEmfileAndCreatesNothing) {
  CLAIM("mq.beyond.posix-descriptor");
  const ScopedQueueName existing(UniqueQueueName("existing"));
  ScopedMqd made(CreateRaw(existing.name(), 4, 16));
  ASSERT_TRUE(made.valid()) << ErrnoName(errno);
  const ScopedQueueName fresh(UniqueQueueName("fresh"));
  ChildProcess child = ChildProcess::Fork([&] {
    rlimit none{};
    if (::getrlimit(RLIMIT_NOFILE, &none) != 0) return 20;
    none.rlim_cur = 0;
    if (::setrlimit(RLIMIT_NOFILE, &none) != 0) return 21;
    if (::mq_open(fresh.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600, nullptr) !=
        kNoQueue) {
      return 10;
    }
    if (errno != EMFILE) return ErrnoExit();
    if (::mq_open(existing.c_str(), O_RDWR) != kNoQueue) return 11;
    if (errno != EMFILE) return ErrnoExit();
    return 0;
  });
  EXPECT_TRUE(ExitsWithZeroWithin(child));
  EXPECT_THAT(::mq_open(fresh.c_str(), O_RDONLY), SyscallFailsWithErrno(ENOENT))
      << "the refused creation left a queue";
}

// =========================================================================
// Measured: a queue against a pipe
// =========================================================================

// The note says queues solve the pipes' blocking (消息队列就能够解决这个问题).
// What a writer can leave behind with no reader before it would block:
// a default queue takes min(msg_default, msg_max) messages however small
// they are — 1-byte messages fill it after that many bytes — and that many
// messages of mq_msgsize when they are full-size; a default pipe takes its
// capacity in bytes. Both then refuse (EAGAIN) or block: neither removes the
// blocking, they only buffer differently (and a full queue blocks its
// sender: mq.send-and-return's refinement).
TEST_F(PosixMqTest, DefaultQueueBuffersMessagesNotBytesUnlikeADefaultPipe) {
  CLAIM("mq.solves-pipe-blocking", "mq.send-and-return");
  const MqSysctls sysctls = ReadMqSysctls();
  RecordSysctls(sysctls);
  const long bound = 4 * sysctls.default_maxmsg();

  PosixMessageQueue small = PosixMessageQueue::Create(
      UniqueQueueName(), std::nullopt, O_WRONLY | O_NONBLOCK);
  long small_count = 0;
  ASSERT_TRUE(FillUntilEagain(small.descriptor(), 1, bound, &small_count));
  EXPECT_EQ(small_count, sysctls.default_maxmsg());

  PosixMessageQueue full = PosixMessageQueue::Create(
      UniqueQueueName(), std::nullopt, O_WRONLY | O_NONBLOCK);
  const size_t msgsize = static_cast<size_t>(full.Attributes().mq_msgsize);
  EXPECT_EQ(static_cast<int64_t>(msgsize), sysctls.default_msgsize());
  long full_count = 0;
  ASSERT_TRUE(FillUntilEagain(full.descriptor(), msgsize, bound, &full_count));
  EXPECT_EQ(full_count, sysctls.default_maxmsg());

  ipc::Pipe pipe = ipc::Pipe::Create(O_NONBLOCK | O_CLOEXEC);
  const size_t pipe_bytes =
      WriteUntilEagain(pipe.write_fd(), PIPE_BUF,
                       static_cast<size_t>(4 * ReadSysctl("fs/pipe-max-size")))
          .bytes;
  EXPECT_EQ(pipe_bytes, pipe.Capacity());

  RecordMeasurement("queue.messages_accepted_1_byte", small_count);
  RecordMeasurement("queue.bytes_accepted_1_byte", small_count);
  RecordMeasurement("queue.messages_accepted_full_size", full_count);
  RecordMeasurement("queue.bytes_accepted_full_size",
                    static_cast<int64_t>(full_count * msgsize));
  RecordMeasurement("pipe.bytes_accepted", pipe_bytes);
  RecordMeasurement("pipe.capacity", pipe.Capacity());
  RecordMeasurement("ratio.queue_full_size_bytes_over_pipe_bytes",
                    static_cast<double>(full_count * msgsize) /
                        static_cast<double>(pipe_bytes));
}

// Moves `data` through a queue of `attrs` to a forked receiver that checks
// every byte, in messages of mq_msgsize bytes (the last one shorter). Each
// send waits at most kBlockedTimeout for room: a receiver that stopped
// fails the test instead of hanging it.
TransferResult TransferThroughQueue(const std::vector<char>& data,
                                    const PosixQueueAttributes& attrs) {
  PosixMessageQueue queue =
      PosixMessageQueue::Create(UniqueQueueName("bulk"), attrs);
  const size_t msgsize = static_cast<size_t>(attrs.max_message_size);
  const mqd_t mqd = queue.descriptor();
  std::vector<std::byte> buffer(msgsize);
  const TransferResult result = MeasureTransfer(
      std::as_bytes(std::span(data)), buffer,
      [mqd](std::span<std::byte> into) {
        return ::mq_receive(mqd, reinterpret_cast<char*>(into.data()),
                            into.size(), nullptr);
      },
      msgsize,
      [&data, mqd](size_t offset, size_t n) {
        const timespec deadline =
            RealtimeDeadlineFromNow(ScaledTimeout(kBlockedTimeout));
        while (::mq_timedsend(mqd, data.data() + offset, n, 0, &deadline) !=
               0) {
          if (errno == ETIMEDOUT) {
            throw std::runtime_error("the queue stayed full for " +
                                     DescribeScaledTimeout(kBlockedTimeout) +
                                     ": the receiver stopped receiving");
          }
          if (errno != EINTR) ipc::ThrowErrno("mq_timedsend during a transfer");
        }
        return n;
      });
  EXPECT_TRUE(ExitedWithZero(result.receiver_status))
      << "queue transfer in " << msgsize << "-byte messages";
  return result;
}

// The same through a default pipe in `chunk`-byte blocking writes and
// capacity-sized reads. The whole transfer (16 MiB take tens of
// milliseconds here) must end within kBlockedTimeout of the first write;
// the writes themselves are plain blocking write(2) calls, so the rate is
// that of the path a pipe writer takes, with no poll(2) per chunk.
TransferResult TransferThroughPipe(const std::vector<char>& data,
                                   size_t chunk) {
  ipc::Pipe pipe = ipc::Pipe::Create(O_CLOEXEC);
  std::vector<std::byte> buffer(pipe.Capacity());
  const int read_fd = pipe.read_fd();
  const int write_fd = pipe.write_fd();
  // A receiver that stopped reading, or a lost wake-up, would leave a
  // blocking write asleep for ever: the deadline interrupts it.
  ScopedAlarmDeadline deadline;
  const TransferResult result = MeasureTransfer(
      std::as_bytes(std::span(data)), buffer,
      [read_fd](std::span<std::byte> into) {
        return ::read(read_fd, into.data(), into.size());
      },
      chunk,
      [&data, &deadline, write_fd](size_t offset, size_t n) -> size_t {
        if (offset == 0) deadline.Arm(kBlockedTimeout);
        for (size_t done = 0; done < n;) {
          const ssize_t written =
              ::write(write_fd, data.data() + offset + done, n - done);
          if (deadline.passed()) {
            throw std::runtime_error(
                "the pipe transfer outlived its deadline of " +
                DescribeScaledTimeout(kBlockedTimeout) + " after " +
                std::to_string(offset + done) +
                " bytes: the receiver stopped reading or a wake-up was lost");
          }
          if (written < 0) {
            if (errno == EINTR) continue;
            ipc::ThrowErrno("write during the pipe transfer");
          }
          done += static_cast<size_t>(written);
        }
        if (offset + n == data.size()) deadline.Disarm();
        return n;
      });
  EXPECT_TRUE(ExitedWithZero(result.receiver_status)) << "pipe transfer";
  return result;
}

// The note says queues are unsuitable for large data (不适合大数据的传输).
// Measured, not asserted: 16 MiB from one process to another through a
// queue in max-size messages — as the host's limits allow (msgsize_max
// bytes, msg_max deep), and with msgsize_max raised in this namespace to
// 64 KiB, as deep as RLIMIT_MSGQUEUE lets the queue be — against a default
// pipe written in 64 KiB chunks. Data integrity and the message count are
// asserted; the rates (kit/transfer.h: median, lowest and highest of five
// runs) are recorded.
TEST_F(PosixMqTest, BulkTransferThroughputAgainstAPipe) {
  CLAIM("mq.not-for-big-data");
  SetTestTimeout(std::chrono::seconds(120));
  constexpr size_t kBytes = 16 << 20;
  constexpr int kRounds = 5;
  constexpr size_t kPipeChunk = 64 << 10;
  constexpr long kRaisedMsgsize = 64 << 10;
  const std::vector<char> data = Pattern(kBytes, 7);
  const MqSysctls sysctls = ReadMqSysctls();
  RecordSysctls(sysctls);
  const rlimit limit = MsgqueueRlimit();
  RecordMeasurement("rlimit_msgqueue_soft",
                    static_cast<int64_t>(limit.rlim_cur));

  const PosixQueueAttributes host{sysctls.msg_max, sysctls.msgsize_max};
  const size_t host_messages = (kBytes + host.max_message_size - 1) /
                               static_cast<size_t>(host.max_message_size);
  const TransferRates host_rates = MeasureTransferRates(kRounds, kBytes, [&] {
    const TransferResult r = TransferThroughQueue(data, host);
    EXPECT_EQ(r.units, host_messages);
    return r;
  });
  RecordTransferRates("queue_host_limits", host_rates);
  RecordMeasurement("queue_host_limits.mq_msgsize", host.max_message_size);
  RecordMeasurement("queue_host_limits.mq_maxmsg", host.max_messages);

  const TransferRates pipe_rates = MeasureTransferRates(
      kRounds, kBytes, [&] { return TransferThroughPipe(data, kPipeChunk); });
  RecordTransferRates("pipe", pipe_rates);
  RecordMeasurement("pipe.capacity", ipc::Pipe::Create().Capacity());
  // The figure the registry's rule for mq.not-for-big-data reads, beside the
  // System V suite's sysv_to_pipe_default_ratio: the queue at the host's
  // (default) limits against a default pipe, median over median.
  RecordMeasurement("posix_to_pipe_default_ratio",
                    host_rates.mb_per_s_median / pipe_rates.mb_per_s_median);

  // Per getrlimit(2) a queue costs maxmsg * (msgsize + overhead); a margin
  // of 512 bytes per message covers the overhead. Two messages deep (the
  // 128 KiB the System V suite's raised queue holds): RLIMIT_MSGQUEUE is
  // spent per user, and a deeper queue (10 x 64 KiB is 80 % of the default
  // 819200 bytes) would leave another test of this uid running in parallel
  // without room for its own queues (EMFILE).
  constexpr long kRaisedDepth = 2;
  const long per_message = kRaisedMsgsize + 512;
  const long depth =
      std::min<long>({kRaisedDepth, sysctls.msg_max,
                      limit.rlim_cur == RLIM_INFINITY
                          ? kRaisedDepth
                          : static_cast<long>(limit.rlim_cur) / per_message});
  if (depth < 1) {
    RecordMeasurement("queue_raised",
                      std::string_view("not measured: RLIMIT_MSGQUEUE "
                                       "too small for a 64 KiB message"));
    return;
  }
  const std::string why =
      sysctls.msgsize_max >= kRaisedMsgsize
          ? ""
          : TryWriteSysctl("fs/mqueue/msgsize_max", kRaisedMsgsize);
  if (!why.empty()) {
    RecordMeasurement("queue_raised", std::string_view(why));
    return;
  }
  const PosixQueueAttributes raised{depth, kRaisedMsgsize};
  RecordTransferRates(
      "queue_raised", MeasureTransferRates(kRounds, kBytes, [&] {
        const TransferResult r = TransferThroughQueue(data, raised);
        EXPECT_EQ(r.units, kBytes / kRaisedMsgsize);
        return r;
      }));
}

}  // namespace
}  // namespace ipcproof
