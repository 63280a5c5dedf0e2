#include "tools/verify/progress_display.h"

namespace ipcproof::verify {

std::string KernelPrefix(const std::string& kernel) {
  return kernel.empty() ? "" : kernel + " \u00b7 ";
}

std::string ProgressText(const BinaryProgress& progress) {
  std::string text = "verify: " + KernelPrefix(progress.kernel) + "[" +
                     std::to_string(progress.index) + "/" +
                     std::to_string(progress.total) + "] " + progress.binary +
                     ": " + std::to_string(progress.done) + "/" +
                     std::to_string(progress.tests) + " tests, " +
                     std::to_string(progress.failed) + " failed";
  if (progress.skipped > 0) {
    text += ", " + std::to_string(progress.skipped) + " skipped";
  }
  return text;
}

ProgressDisplay::ProgressDisplay(std::FILE* out, bool terminal, bool quiet)
    : out_(out), terminal_(terminal), quiet_(quiet) {}

void ProgressDisplay::Update(const BinaryProgress& progress) {
  if (quiet_ || !terminal_) return;
  std::string text = ProgressText(progress);
  if (line_open_ && text == shown_) return;
  // \033[K clears what a longer earlier line left to the right.
  std::fprintf(out_, "\r%s\033[K", text.c_str());
  shown_ = std::move(text);
  std::fflush(out_);
  line_open_ = true;
}

void ProgressDisplay::Failure(const BinaryProgress& progress,
                              const std::string& test) {
  if (quiet_ || terminal_) return;
  std::fprintf(out_, "verify: %s[%d/%d] %s: FAILED %s\n",
               KernelPrefix(progress.kernel).c_str(), progress.index,
               progress.total, progress.binary.c_str(), test.c_str());
  std::fflush(out_);
}

void ProgressDisplay::Finished(const BinaryProgress& progress) {
  if (quiet_) return;
  if (terminal_) {
    Update(progress);
    EndLine();
    return;
  }
  std::fprintf(out_, "%s\n", ProgressText(progress).c_str());
  std::fflush(out_);
}

void ProgressDisplay::Note(const std::string& text) {
  if (quiet_) return;
  EndLine();
  std::fprintf(out_, "%s\n", text.c_str());
  std::fflush(out_);
}

void ProgressDisplay::Status(const std::string& text) {
  if (quiet_) return;
  if (!terminal_) {
    std::fprintf(out_, "%s\n", text.c_str());
    std::fflush(out_);
    return;
  }
  if (line_open_ && text == shown_) return;
  std::fprintf(out_, "\r%s\033[K", text.c_str());
  shown_ = text;
  std::fflush(out_);
  line_open_ = true;
}

void ProgressDisplay::EndLine() {
  if (!line_open_) return;
  std::fputc('\n', out_);
  std::fflush(out_);
  line_open_ = false;
}

}  // namespace ipcproof::verify
