#include "tools/report/text_escape.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcproof::verify {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(CleanTextTest, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(CleanText("管道 ok\ttab\nline"), "管道 ok\ttab\nline");
  EXPECT_EQ(CleanText("a\xff"
                      "b"),
            "a\xEF\xBF\xBD"
            "b");
  // Overlong "/" and a UTF-16 surrogate are not UTF-8.
  EXPECT_EQ(CleanText("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(CleanText("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  // A character cut short at the end.
  EXPECT_EQ(CleanText("x\xE7\xAE"), "x\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(CleanTextTest, ControlCharactersBecomeVisible) {
  EXPECT_EQ(CleanText("\x1b[31mred\x7f\x01"), "\\x1b[31mred\\x7f\\x01");
  EXPECT_EQ(CleanText("crlf\r\nend"), "crlf\nend");
}

TEST(OneLineTest, CollapsesWhitespace) {
  EXPECT_EQ(OneLine("  a\n\n b\t c  "), "a b c");
}

TEST(TrimMessageTest, ShortTextIsKept) {
  EXPECT_EQ(TrimMessage("one\ntwo\n\n"), "one\ntwo");
}

TEST(TrimMessageTest, CutsLinesAndSaysHowMuchWasLeftOut) {
  std::string text;
  for (int i = 0; i < 10; ++i) text += "line " + std::to_string(i) + "\n";
  const std::string trimmed = TrimMessage(text, 3, 1000);
  EXPECT_THAT(trimmed, StartsWith("line 0\nline 1\nline 2\n[... "));
  EXPECT_THAT(trimmed, HasSubstr("more bytes left out"));
}

TEST(TrimMessageTest, NeverCutsACharacterInHalf) {
  const std::string text = "管管管管";  // 3 bytes each
  const std::string trimmed = TrimMessage(text, 10, 4);
  EXPECT_THAT(trimmed, StartsWith("管\n[... 9 more bytes"));
}

TEST(HtmlEscapeTest, EscapesMarkupAndBothQuotes) {
  EXPECT_EQ(HtmlEscape("<script>a&b \"c\" 'd'</script>"),
            "&lt;script&gt;a&amp;b &quot;c&quot; &#39;d&#39;&lt;/script&gt;");
}

TEST(MarkdownEscapeTest, BarsAndMarkupAreLiteral) {
  EXPECT_EQ(MarkdownEscape("a | b <i>x</i> *y* `z` [l](u) &amp;"),
            "a \\| b \\<i\\>x\\</i\\> \\*y\\* \\`z\\` \\[l\\](u) \\&amp;");
}

TEST(MarkdownEscapeTest, LineStartsThatWouldOpenABlock) {
  EXPECT_EQ(MarkdownEscape("# not a heading"), "\\# not a heading");
  EXPECT_EQ(MarkdownEscape("- not a list"), "\\- not a list");
  EXPECT_EQ(MarkdownEscape("12. not a list"), "12\\. not a list");
  EXPECT_EQ(MarkdownEscape("6.18 kernel"), "6.18 kernel");
}

TEST(MarkdownCodeBlockTest, FenceOutgrowsBackticksInside) {
  EXPECT_EQ(MarkdownCodeBlock("plain"), "```text\nplain\n```\n");
  const std::string block = MarkdownCodeBlock("a ```` b\n```");
  EXPECT_THAT(block, StartsWith("`````text\n"));
  EXPECT_THAT(block, EndsWith("\n`````\n"));
}

}  // namespace
}  // namespace ipcproof::verify
