#include "conformance/kit/sysctl.h"

#include <fcntl.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>

#include "conformance/kit/errno_name.h"
#include "conformance/procfs/files.h"
#include "ipc/error.h"
#include "ipc/io.h"
#include "ipc/unique_fd.h"

namespace ipcproof {

int64_t ReadSysctl(std::string_view name) {
  const std::string path = "/proc/sys/" + std::string(name);
  const std::string text = ReadFileOrThrow(path);
  errno = 0;
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (end == text.c_str() || errno != 0) {
    ipc::ThrowInvalidArgument(path, "does not hold a number: " + text);
  }
  return value;
}

void WriteSysctl(std::string_view name, int64_t value) {
  WriteProcFile("/proc/sys/" + std::string(name), std::to_string(value));
}

std::string TryWriteSysctl(std::string_view name, int64_t value) {
  const std::string what = "cannot write " + std::to_string(value) +
                           " to /proc/sys/" + std::string(name) + ": ";
  try {
    WriteSysctl(name, value);
    return "";
  } catch (const std::system_error& e) {
    // what() is "<call>: <strerror>"; name the errno symbolically instead.
    std::string call = e.what();
    const std::string suffix = ": " + e.code().message();
    if (call.ends_with(suffix)) call.resize(call.size() - suffix.size());
    return what + call + " failed with " + ErrnoName(e.code().value());
  } catch (const std::exception& e) {
    return what + e.what();
  }
}

int SysctlWriteErrno(std::string_view name, int64_t value) {
  try {
    WriteSysctl(name, value);
    return 0;
  } catch (const std::system_error& e) {
    return e.code().value();
  }
}

}  // namespace ipcproof
