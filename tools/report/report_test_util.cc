#include "tools/report/report_test_util.h"

#include "gtest/gtest.h"

namespace ipcproof::verify::testing {

std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

MarkdownParts SplitMarkdown(std::string_view markdown) {
  MarkdownParts parts;
  size_t fence = 0;  // the open block's fence length; 0 outside a block
  std::string block;
  for (const std::string& line : SplitLines(markdown)) {
    size_t backticks = 0;
    while (backticks < line.size() && line[backticks] == '`') ++backticks;
    if (fence == 0) {
      if (backticks >= 3) {
        fence = backticks;
        block.clear();
      } else {
        parts.outside += line + "\n";
      }
    } else if (backticks >= fence && backticks == line.size()) {
      parts.code_blocks.push_back(block);
      fence = 0;
    } else {
      block += line + "\n";
    }
  }
  if (fence != 0) ADD_FAILURE() << "a code block is never closed";
  return parts;
}

int UnescapedBars(std::string_view row) {
  int bars = 0;
  for (size_t i = 0; i < row.size(); ++i) {
    if (row[i] == '\\') {
      ++i;
    } else if (row[i] == '|') {
      ++bars;
    }
  }
  return bars;
}

namespace {

std::string BlankElements(std::string html, std::string_view tag) {
  const std::string open = "<" + std::string(tag);
  const std::string close = "</" + std::string(tag) + ">";
  size_t at = 0;
  while ((at = html.find(open, at)) != std::string::npos) {
    const size_t body = html.find('>', at);
    const size_t end = html.find(close, body);
    if (body == std::string::npos || end == std::string::npos) break;
    html.erase(body + 1, end - body - 1);
    at = body + 1 + close.size();
  }
  return html;
}

}  // namespace

pugi::xml_document ParseHtml(const std::string& html) {
  const std::string xml = BlankElements(BlankElements(html, "script"), "style");
  pugi::xml_document document;
  const pugi::xml_parse_result result = document.load_buffer(
      xml.data(), xml.size(), pugi::parse_default | pugi::parse_doctype);
  if (!result) {
    ADD_FAILURE() << "the page is not well-formed: " << result.description()
                  << " at offset " << result.offset << ": "
                  << xml.substr(result.offset > 80 ? result.offset - 80 : 0,
                                160);
  }
  return document;
}

std::string TextOf(pugi::xml_node node) {
  std::string text;
  for (pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      text += child.value();
    } else {
      text += TextOf(child);
    }
  }
  return text;
}

std::vector<std::string> ScriptsAndStyles(const std::string& html) {
  std::vector<std::string> contents;
  for (std::string_view tag : {"script", "style"}) {
    const std::string open = "<" + std::string(tag);
    const std::string close = "</" + std::string(tag) + ">";
    size_t at = 0;
    while ((at = html.find(open, at)) != std::string::npos) {
      const size_t body = html.find('>', at);
      const size_t end = html.find(close, body);
      if (body == std::string::npos || end == std::string::npos) break;
      contents.push_back(html.substr(body + 1, end - body - 1));
      at = end;
    }
  }
  return contents;
}

}  // namespace ipcproof::verify::testing
