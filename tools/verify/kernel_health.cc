#include "tools/verify/kernel_health.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <fstream>

#include "tools/verify/verify_error.h"

namespace ipcproof::verify {
namespace {

// A kernel that logs without end must not keep verify reading forever;
// more warnings than this are more than any reader needs to see it is sick.
constexpr int kMaxRecords = 100000;
constexpr size_t kMaxWarnings = 200;

std::string ReadTainted(const std::string& path) {
  errno = 0;
  std::ifstream in(path);
  std::string value;
  if (!in || !std::getline(in, value)) {
    return "unreadable (" + ErrnoName(errno != 0 ? errno : EIO) + ")";
  }
  while (!value.empty() &&
         std::isspace(static_cast<unsigned char>(value.back()))) {
    value.pop_back();
  }
  return value;
}

bool IsWordCharacter(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

}  // namespace

std::string_view KmsgRecordMessage(std::string_view record) {
  if (const size_t semicolon = record.find(';'); semicolon != record.npos) {
    record.remove_prefix(semicolon + 1);
  }
  return record.substr(0, record.find('\n'));
}

bool IsKernelWarning(std::string_view message) {
  for (std::string_view word : {"WARNING", "BUG", "Oops"}) {
    for (size_t at = message.find(word); at != message.npos;
         at = message.find(word, at + 1)) {
      const size_t after = at + word.size();
      if ((at == 0 || !IsWordCharacter(message[at - 1])) &&
          (after == message.size() || !IsWordCharacter(message[after]))) {
        return true;
      }
    }
  }
  return false;
}

KernelHealthWatch::KernelHealthWatch(std::string tainted_path,
                                     std::string kmsg_path)
    : tainted_path_(std::move(tainted_path)), kmsg_path_(std::move(kmsg_path)) {
  health_.tainted_before = ReadTainted(tainted_path_);
  kmsg_fd_ = ::open(kmsg_path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (kmsg_fd_ < 0) {
    health_.log_unreadable = kmsg_path_ + ": " + ErrnoName(errno);
    return;
  }
  // /dev/kmsg starts at the oldest record; only what the run provokes counts.
  if (::lseek(kmsg_fd_, 0, SEEK_END) < 0) {
    health_.log_unreadable = kmsg_path_ + ": lseek: " + ErrnoName(errno);
    ::close(kmsg_fd_);
    kmsg_fd_ = -1;
  }
}

KernelHealthWatch::~KernelHealthWatch() {
  if (kmsg_fd_ >= 0) ::close(kmsg_fd_);
}

KernelHealth KernelHealthWatch::Finish() {
  health_.tainted_after = ReadTainted(tainted_path_);
  if (kmsg_fd_ < 0) return health_;
  // One read returns one record (at most about 8 KiB with its dictionary).
  std::array<char, 16384> record;
  for (int records = 0; records < kMaxRecords; ++records) {
    const ssize_t n = ::read(kmsg_fd_, record.data(), record.size());
    if (n > 0) {
      const std::string_view message =
          KmsgRecordMessage(std::string_view(record.data(), n));
      if (IsKernelWarning(message) && health_.warnings.size() < kMaxWarnings) {
        health_.warnings.emplace_back(message);
      }
      continue;
    }
    if (n == 0 || errno == EAGAIN) break;
    if (errno == EINTR) continue;
    // EPIPE: records were overwritten before they were read; the next read
    // goes on from the oldest left.
    if (errno == EPIPE) continue;
    health_.log_unreadable = kmsg_path_ + ": read: " + ErrnoName(errno);
    break;
  }
  ::close(kmsg_fd_);
  kmsg_fd_ = -1;
  return health_;
}

}  // namespace ipcproof::verify
