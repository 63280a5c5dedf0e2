#include "conformance/mq/posix_mq_util.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "conformance/kit/child_exit.h"
#include "conformance/kit/claims.h"
#include "conformance/kit/errno_name.h"
#include "conformance/kit/sysctl.h"
#include "conformance/procfs/task.h"
#include "ipc/error.h"

namespace ipcproof {

std::string UniqueQueueName(std::string_view stem) {
  static int counter = 0;
  return "/ipcproof-" + std::string(stem) + "-" + std::to_string(::getpid()) +
         "-" + std::to_string(counter++);
}

int64_t MqSysctls::default_maxmsg() const {
  return std::min(msg_default, msg_max);
}

int64_t MqSysctls::default_msgsize() const {
  return std::min(msgsize_default, msgsize_max);
}

MqSysctls ReadMqSysctls() {
  return MqSysctls{
      .msg_default = ReadSysctl("fs/mqueue/msg_default"),
      .msg_max = ReadSysctl("fs/mqueue/msg_max"),
      .msgsize_default = ReadSysctl("fs/mqueue/msgsize_default"),
      .msgsize_max = ReadSysctl("fs/mqueue/msgsize_max"),
      .queues_max = ReadSysctl("fs/mqueue/queues_max"),
  };
}

void RecordSysctls(const MqSysctls& s) {
  RecordMeasurement("fs.mqueue.msg_default", s.msg_default);
  RecordMeasurement("fs.mqueue.msg_max", s.msg_max);
  RecordMeasurement("fs.mqueue.msgsize_default", s.msgsize_default);
  RecordMeasurement("fs.mqueue.msgsize_max", s.msgsize_max);
  RecordMeasurement("fs.mqueue.queues_max", s.queues_max);
}

rlimit MsgqueueRlimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_MSGQUEUE, &limit) != 0) {
    ipc::ThrowErrno("getrlimit(RLIMIT_MSGQUEUE)");
  }
  return limit;
}

mq_attr QueueAttributes(mqd_t mqd) {
  mq_attr attr{};
  if (::mq_getattr(mqd, &attr) != 0) ipc::ThrowErrno("mq_getattr");
  return attr;
}

long CurrentMessages(mqd_t mqd) { return QueueAttributes(mqd).mq_curmsgs; }

ScopedQueueName::~ScopedQueueName() { ::mq_unlink(name_.c_str()); }

void ScopedMqd::Close() {
  if (mqd_ != kNoQueue) ::mq_close(mqd_);
  mqd_ = kNoQueue;
}

::testing::AssertionResult SendNow(mqd_t mqd, std::string_view data,
                                   unsigned priority) {
  if (::mq_timedsend(mqd, data.data(), data.size(), priority,
                     &kAlreadyExpired) == 0) {
    return ::testing::AssertionSuccess();
  }
  const int err = errno;
  return ::testing::AssertionFailure()
         << "sending \"" << data.substr(0, 32) << "\" (priority " << priority
         << ") failed with " << ErrnoName(err)
         << (err == ETIMEDOUT ? ": the queue was full" : "");
}

::testing::AssertionResult SendNowNumbered(mqd_t mqd, long count,
                                           std::string_view stem,
                                           unsigned priority) {
  for (long i = 0; i < count; ++i) {
    ::testing::AssertionResult sent =
        SendNow(mqd, std::string(stem) + std::to_string(i), priority);
    if (!sent) return sent << " (message " << i << " of " << count << ")";
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult ReceiveNow(mqd_t mqd, Message* message) {
  mq_attr attr{};
  if (::mq_getattr(mqd, &attr) != 0) {
    return ::testing::AssertionFailure()
           << "mq_getattr failed with " << ErrnoName(errno);
  }
  std::vector<char> buffer(static_cast<size_t>(attr.mq_msgsize));
  unsigned priority = 0;
  const ssize_t n = ::mq_timedreceive(mqd, buffer.data(), buffer.size(),
                                      &priority, &kAlreadyExpired);
  if (n < 0) {
    const int err = errno;
    return ::testing::AssertionFailure()
           << "receiving failed with " << ErrnoName(err)
           << (err == ETIMEDOUT ? ": no message was queued" : "");
  }
  message->data.assign(buffer.data(), static_cast<size_t>(n));
  message->priority = priority;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult ReceivesNow(mqd_t mqd, std::string_view expected,
                                       std::optional<unsigned> priority) {
  Message got;
  if (::testing::AssertionResult received = ReceiveNow(mqd, &got); !received) {
    return received << " (expected \"" << expected << "\")";
  }
  if (got.data != expected || (priority && got.priority != *priority)) {
    auto failure = ::testing::AssertionFailure();
    failure << "received \"" << got.data << "\" (priority " << got.priority
            << ") where \"" << expected << "\"";
    if (priority) failure << " (priority " << *priority << ")";
    return failure << " was next";
  }
  return ::testing::AssertionSuccess();
}

int ReceiveInChild(mqd_t mqd, std::span<char> buffer,
                   std::string_view expected) {
  const ssize_t n = ::mq_receive(mqd, buffer.data(), buffer.size(), nullptr);
  if (n < 0) return ErrnoExit();
  if (static_cast<size_t>(n) != expected.size() ||
      std::memcmp(buffer.data(), expected.data(), expected.size()) != 0) {
    return kReceivedSomethingElse;
  }
  return 0;
}

::testing::AssertionResult StillBlockedIn(pid_t pid, long syscall) {
  const std::optional<TaskState> task = ReadTaskState(pid, pid);
  if (!task) {
    return ::testing::AssertionFailure() << "pid " << pid << " is gone";
  }
  if (task->sleeping() && task->syscall == syscall) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "pid " << pid << " is no longer asleep in " << SyscallName(syscall)
         << ": " << task->ToString();
}

::testing::AssertionResult ReadQueueStatusLine(int fd, QueueStatusLine* line) {
  char text[128] = {};
  const ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
  if (n < 0) {
    return ::testing::AssertionFailure()
           << "pread of the queue descriptor failed with " << ErrnoName(errno);
  }
  line->text.assign(text, static_cast<size_t>(n));
  if (std::sscanf(text, "QSIZE:%ld NOTIFY:%ld SIGNO:%ld NOTIFY_PID:%ld",
                  &line->qsize, &line->notify, &line->signo,
                  &line->notify_pid) != 4) {
    return ::testing::AssertionFailure()
           << "the status line does not read as mq_overview(7) says: \""
           << line->text << "\"";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace ipcproof
