// An owning file descriptor: closed exactly once, when its owner goes away.
#ifndef IPC_UNIQUE_FD_H_
#define IPC_UNIQUE_FD_H_

#include <utility>

namespace ipc {

class UniqueFd {
 public:
  UniqueFd() = default;
  // Takes ownership of `fd` (-1 means "owns nothing").
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }

  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) Reset(other.Release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }

  // Gives up ownership without closing.
  int Release() { return std::exchange(fd_, -1); }

  // Closes the current descriptor (if any) and owns `fd` instead. A failing
  // close is ignored: after close(2) fails the descriptor is released anyway
  // on Linux, and retrying could close a descriptor another thread reused.
  void Reset(int fd = -1);

 private:
  int fd_ = -1;
};

}  // namespace ipc

#endif  // IPC_UNIQUE_FD_H_
