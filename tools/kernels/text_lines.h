// Small text helpers the runner's messages share: the console log, QEMU's
// stderr and the guest's records are quoted line by line.
#ifndef TOOLS_KERNELS_TEXT_LINES_H_
#define TOOLS_KERNELS_TEXT_LINES_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ipcproof::kernels {

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

#endif  // TOOLS_KERNELS_TEXT_LINES_H_
