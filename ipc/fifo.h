// A named pipe (fifo(7)): a filesystem node that opens onto a pipe.
#ifndef IPC_FIFO_H_
#define IPC_FIFO_H_

#include <sys/types.h>

#include <string>

#include "ipc/unique_fd.h"

namespace ipc {

class Fifo {
 public:
  // mkfifo(3). The returned object owns the node and unlinks it when it goes
  // away, so a test that fails half-way leaves no node behind.
  static Fifo Create(std::string path, mode_t mode = 0600);

  // Refers to a node someone else created; never unlinks it.
  static Fifo Existing(std::string path);

  Fifo(Fifo&& other) noexcept;
  Fifo& operator=(Fifo&& other) noexcept;
  Fifo(const Fifo&) = delete;
  Fifo& operator=(const Fifo&) = delete;
  ~Fifo();

  const std::string& path() const { return path_; }
  bool owns_node() const { return owns_node_; }

  // open(2) with O_RDONLY, O_WRONLY or O_RDWR plus O_NONBLOCK / O_CLOEXEC.
  // Without O_NONBLOCK, opening one end blocks until the other end is
  // opened (the rendezvous of fifo(7)). An open interrupted by a signal
  // handler (EINTR) is retried: to observe EINTR, call open(2) directly.
  UniqueFd Open(int flags) const;
  UniqueFd OpenForReading(int extra_flags = 0) const;
  UniqueFd OpenForWriting(int extra_flags = 0) const;

  // Unlinks the node now (open descriptors keep working).
  void Remove();

 private:
  Fifo(std::string path, bool owns_node);

  std::string path_;
  bool owns_node_ = false;
};

}  // namespace ipc

#endif  // IPC_FIFO_H_
