// For tests of what verify prints: a FILE* whose text can be read back.
#ifndef TOOLS_VERIFY_CAPTURED_OUTPUT_H_
#define TOOLS_VERIFY_CAPTURED_OUTPUT_H_

#include <cstdio>
#include <cstdlib>
#include <string>

namespace ipcproof::verify {

// Captures what is written to file() (an open_memstream).
class Captured {
 public:
  Captured() { file_ = ::open_memstream(&data_, &size_); }
  ~Captured() {
    std::fclose(file_);
    std::free(data_);
  }
  Captured(const Captured&) = delete;
  Captured& operator=(const Captured&) = delete;
  std::FILE* file() { return file_; }
  std::string text() {
    std::fflush(file_);
    return std::string(data_, size_);
  }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
  std::FILE* file_;
};

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_CAPTURED_OUTPUT_H_
