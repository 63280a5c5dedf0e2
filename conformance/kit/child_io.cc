#include "conformance/kit/child_io.h"

#include <unistd.h>

namespace ipcproof {

bool WriteInOneCall(int fd, const void* data, size_t size) {
  return ::write(fd, data, size) == static_cast<ssize_t>(size);
}

bool ReadExactInChild(int fd, void* data, size_t size,
                      std::chrono::milliseconds timeout) {
  const std::span<std::byte> buffer(static_cast<std::byte*>(data), size);
  return ReadIntoWithin(fd, buffer, timeout).bytes == size;
}

char* PutDecimal(char* out, long value) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  while (n > 0) *out++ = digits[--n];
  return out;
}

}  // namespace ipcproof
