// Readers the format tests share (test-only): they take a written report
// apart the way its consumers would, so a test asserts on structure, not on
// substrings that happen to be there.
#ifndef TOOLS_REPORT_REPORT_TEST_UTIL_H_
#define TOOLS_REPORT_REPORT_TEST_UTIL_H_

#include <string>
#include <string_view>
#include <vector>

#include "pugixml.hpp"

namespace ipcproof::verify::testing {

std::vector<std::string> SplitLines(std::string_view text);

// A Markdown document split the way CommonMark reads fenced code blocks: a
// fence of N >= 3 backticks is closed only by a line of at least N
// backticks and nothing else.
struct MarkdownParts {
  std::vector<std::string> code_blocks;  // each block's content
  std::string outside;                   // every line outside a block
};
MarkdownParts SplitMarkdown(std::string_view markdown);

// The number of cell separators in a table row: `|` not escaped by a
// backslash.
int UnescapedBars(std::string_view row);

// Parses the page with pugixml. The writer emits polyglot markup (void
// elements self-closed, boolean attributes with a value) so this works; the
// contents of <script> and <style> are blanked first, since they are not
// XML. Fails the running test (ADD_FAILURE) with pugixml's message if the
// page does not parse.
pugi::xml_document ParseHtml(const std::string& html);

// The concatenated text of a node and its descendants.
std::string TextOf(pugi::xml_node node);

// The contents of every <script> and <style> element of the page source.
std::vector<std::string> ScriptsAndStyles(const std::string& html);

}  // namespace ipcproof::verify::testing

#endif  // TOOLS_REPORT_REPORT_TEST_UTIL_H_
