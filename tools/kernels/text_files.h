// Small file and text helpers the runner shares: it reads host files (a
// modules.dep, the result stream, a lock file) and quotes the console log,
// QEMU's stderr and the guest's records line by line.
#ifndef TOOLS_KERNELS_TEXT_FILES_H_
#define TOOLS_KERNELS_TEXT_FILES_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ipcproof::kernels {

// A regular file (after symlinks) is at `path`.
bool IsFile(const std::string& path);
// The file's bytes; "" when it cannot be opened (a file that may be absent).
std::string ReadTextOrEmpty(const std::string& path);
// The file's bytes; std::system_error ("open PATH") when it cannot be opened.
std::string ReadTextOrThrow(const std::string& path);

// Without leading spaces and trailing spaces and newlines.
std::string Trim(std::string text);
// The non-empty lines of `text`.
std::vector<std::string> Lines(std::string_view text);
// "12.3": seconds with one decimal.
std::string Seconds(double value);
// The first `count` non-empty lines, trimmed, joined with " / " (for a
// one-line message).
std::string FirstLines(std::string_view text, size_t count);

}  // namespace ipcproof::kernels

#endif  // TOOLS_KERNELS_TEXT_FILES_H_
