// A cpio "newc" archive writer, the format the kernel unpacks as its
// initramfs (Documentation/driver-api/early-userspace/buffer-format.rst):
// each entry is a 110-byte ASCII header ("070701" and 13 eight-digit hex
// fields), the NUL-terminated name padded to 4 bytes, the data padded to 4
// bytes; "TRAILER!!!" ends the archive. Uncompressed: QEMU hands the kernel
// the bytes as they are.
//
// The kernel creates an entry only inside a directory that already exists,
// so the writer adds every missing parent directory itself, before the
// entry. Every time stamp is 0 and owners are root, so the same inputs give
// the same bytes (a cached guest result is keyed by its inputs).
#ifndef TOOLS_KERNELS_INITRAMFS_H_
#define TOOLS_KERNELS_INITRAMFS_H_

#include <sys/types.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace ipcproof::kernels {

class CpioWriter {
 public:
  // Creates (truncates) `path`. Throws std::system_error.
  explicit CpioWriter(const std::string& path);
  ~CpioWriter();
  CpioWriter(const CpioWriter&) = delete;
  CpioWriter& operator=(const CpioWriter&) = delete;

  // Names are archive paths without a leading '/' ("ipcproof/plan"); a
  // leading '/' is dropped. Adding a name twice throws std::invalid_argument.
  void AddDirectory(std::string_view name, mode_t permissions = 0755);
  // A regular file with `host_path`'s bytes (copied, not read into memory).
  void AddFile(std::string_view name, const std::string& host_path,
               mode_t permissions);
  void AddFileContents(std::string_view name, std::string_view contents,
                       mode_t permissions);
  void AddSymlink(std::string_view name, std::string_view target);
  // A character device node (/dev/console must exist before devtmpfs, or
  // the kernel starts init without a console).
  void AddCharDevice(std::string_view name, unsigned major, unsigned minor,
                     mode_t permissions = 0600);

  // Writes the trailer and closes the file. Without it the archive is
  // incomplete (the destructor only closes).
  void Finish();

  uint64_t bytes_written() const { return offset_; }

 private:
  std::string Normalize(std::string_view name);
  void AddParents(const std::string& name);
  void WriteHeader(const std::string& name, uint32_t mode, uint64_t size,
                   unsigned rdev_major, unsigned rdev_minor);
  void Write(std::string_view bytes);
  void Pad();

  std::string path_;
  int fd_ = -1;
  uint64_t offset_ = 0;
  uint32_t next_inode_ = 1;
  std::set<std::string> names_;
};

}  // namespace ipcproof::kernels

#endif  // TOOLS_KERNELS_INITRAMFS_H_
