// The kernel's health around a run, as LTP reports it: the taint flags
// (/proc/sys/kernel/tainted) before and after, and the kernel log records
// with WARNING, BUG or Oops that appeared in between (read from /dev/kmsg,
// positioned at its end before the run). A warning is reported, not fatal.
#ifndef TOOLS_VERIFY_KERNEL_HEALTH_H_
#define TOOLS_VERIFY_KERNEL_HEALTH_H_

#include <string>
#include <string_view>

#include "tools/verify/model.h"

namespace ipcproof::verify {

class KernelHealthWatch {
 public:
  // Reads the taint flags and opens the kernel log at its end. Never throws:
  // what cannot be read is said in the KernelHealth.
  explicit KernelHealthWatch(
      std::string tainted_path = "/proc/sys/kernel/tainted",
      std::string kmsg_path = "/dev/kmsg");
  KernelHealthWatch(const KernelHealthWatch&) = delete;
  KernelHealthWatch& operator=(const KernelHealthWatch&) = delete;
  ~KernelHealthWatch();

  // Reads the taint flags again and the log records written since the
  // constructor. Call once.
  KernelHealth Finish();

 private:
  std::string tainted_path_;
  std::string kmsg_path_;
  int kmsg_fd_ = -1;
  KernelHealth health_;
};

// The message of one /dev/kmsg record ("6,1234,5678,-;text\n KEY=value\n"):
// the text after ';' up to the first newline; the record itself if it has
// no ';'.
std::string_view KmsgRecordMessage(std::string_view record);

// Whether a kernel log message reports a warning: the word WARNING, BUG or
// Oops (as a word, so "DEBUG" is not a BUG).
bool IsKernelWarning(std::string_view message);

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_KERNEL_HEALTH_H_
