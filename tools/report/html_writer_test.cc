#include <functional>
#include <iterator>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/report/claim_figures.h"
#include "tools/report/report_test_util.h"
#include "tools/report/report_writers.h"
#include "tools/report/sample_report.h"
#include "tools/report/text_escape.h"

namespace ipcproof::verify {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::SampleReport;

class HtmlWriterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    report_ = new Report(SampleReport());
    html_ = new std::string(WriteHtml(*report_));
  }
  static Report* report_;
  static std::string* html_;
};
Report* HtmlWriterTest::report_ = nullptr;
std::string* HtmlWriterTest::html_ = nullptr;

void Walk(pugi::xml_node node,
          const std::function<void(pugi::xml_node)>& visit) {
  for (pugi::xml_node child : node.children()) {
    if (child.type() != pugi::node_element) continue;
    visit(child);
    Walk(child, visit);
  }
}

TEST_F(HtmlWriterTest, EveryClaimHasItsSectionWithAreaAndVerdict) {
  pugi::xml_document page = testing::ParseHtml(*html_);
  for (const ClaimReport& claim : report_->claims) {
    const std::string id = "claim-" + claim.claim.id;
    const pugi::xml_node section = page.find_node([&](pugi::xml_node node) {
      return std::string_view(node.attribute("id").value()) == id;
    });
    ASSERT_TRUE(section) << id;
    EXPECT_STREQ(section.name(), "section");
    EXPECT_EQ(section.attribute("data-area").value(), claim.claim.area);
    EXPECT_EQ(section.attribute("data-verdict").value(),
              std::string(VerdictKey(claim.verdict)));
  }
}

TEST_F(HtmlWriterTest, IdsAreUniqueAndEveryLinkStaysOnThePage) {
  pugi::xml_document page = testing::ParseHtml(*html_);
  std::set<std::string> ids;
  Walk(page, [&](pugi::xml_node node) {
    if (node.attribute("id")) {
      EXPECT_TRUE(ids.insert(node.attribute("id").value()).second)
          << "duplicate id " << node.attribute("id").value();
    }
  });
  int links = 0;
  int file_links = 0;
  Walk(page, [&](pugi::xml_node node) {
    for (pugi::xml_attribute attribute : node.attributes()) {
      const std::string name = attribute.name();
      EXPECT_NE(name, "src") << "nothing is loaded from elsewhere";
      EXPECT_FALSE(name.starts_with("on")) << "no inline handler: " << name;
      if (name == "href") {
        const std::string href = attribute.value();
        // The one link off the page: the benchmark run's figures, a
        // relative path beside report.html.
        if (report_->benchmarks && href == report_->benchmarks->file) {
          ++file_links;
          continue;
        }
        ++links;
        ASSERT_TRUE(href.starts_with("#")) << href;
        EXPECT_TRUE(ids.contains(href.substr(1))) << "dangling link " << href;
      }
    }
  });
  EXPECT_EQ(links, static_cast<int>(report_->claims.size()));
  EXPECT_EQ(file_links, 1);
}

TEST_F(HtmlWriterTest, NoteWordsAreMarkedChinese) {
  pugi::xml_document page = testing::ParseHtml(*html_);
  for (const ClaimReport& claim : report_->claims) {
    if (claim.claim.beyond_note) continue;
    const pugi::xml_node section = page.find_node([&](pugi::xml_node node) {
      return std::string_view(node.attribute("id").value()) ==
             "claim-" + claim.claim.id;
    });
    const pugi::xml_node quote = section.find_node([](pugi::xml_node node) {
      return std::string_view(node.name()) == "p" &&
             std::string_view(node.attribute("lang").value()) == "zh";
    });
    ASSERT_TRUE(quote) << claim.claim.id;
    EXPECT_EQ(testing::TextOf(quote), CleanText(claim.claim.note_quote));
  }
}

TEST_F(HtmlWriterTest, MessagesAreTextNeverMarkup) {
  pugi::xml_document page = testing::ParseHtml(*html_);
  int scripts = 0;
  int pres_with_message = 0;
  const std::string message = TrimMessage(testing::kHostileMessage);
  Walk(page, [&](pugi::xml_node node) {
    const std::string name = node.name();
    scripts += name == "script";
    EXPECT_NE(name, "b");
    EXPECT_NE(name, "i");
    if (name == "pre" && testing::TextOf(node) == message) ++pres_with_message;
  });
  EXPECT_EQ(scripts, 1) << "only the page's own script";
  EXPECT_GT(pres_with_message, 0);
  EXPECT_THAT(*html_, HasSubstr("&lt;script&gt;alert(&quot;x&quot;)"));
}

TEST_F(HtmlWriterTest, NothingPointsOffThePage) {
  EXPECT_THAT(*html_, Not(HasSubstr("http:")));
  EXPECT_THAT(*html_, Not(HasSubstr("https:")));
  EXPECT_THAT(*html_, Not(HasSubstr("url(")));
  EXPECT_THAT(*html_, Not(HasSubstr("@import")));
  for (const std::string& code : testing::ScriptsAndStyles(*html_)) {
    EXPECT_THAT(code, Not(HasSubstr("//")));
  }
}

TEST_F(HtmlWriterTest, FilterOffersEveryAreaAndVerdictAndStartsHidden) {
  pugi::xml_document page = testing::ParseHtml(*html_);
  const pugi::xml_node form = page.find_node([](pugi::xml_node node) {
    return std::string_view(node.attribute("id").value()) == "filter";
  });
  ASSERT_TRUE(form);
  EXPECT_TRUE(form.attribute("hidden")) << "shown only when the script runs";
  std::set<std::string> options;
  Walk(form, [&](pugi::xml_node node) {
    if (std::string_view(node.name()) == "option") {
      options.insert(node.attribute("value").value());
    }
  });
  for (const claims::Area& area : report_->areas) {
    EXPECT_TRUE(options.contains(area.id)) << area.id;
  }
  for (Verdict verdict : AllVerdicts()) {
    EXPECT_TRUE(options.contains(std::string(VerdictKey(verdict))));
  }
}

TEST_F(HtmlWriterTest, FiguresAreATable) {
  pugi::xml_document page = testing::ParseHtml(*html_);
  const pugi::xml_node table = page.find_node([](pugi::xml_node node) {
    return std::string_view(node.attribute("class").value()) == "figures";
  });
  ASSERT_TRUE(table);
  EXPECT_THAT(testing::TextOf(table), HasSubstr("sample.ratio0.21"));
}

// The figures table of the sample's claim that is not measured and whose
// tests recorded figures (sample_report.h).
pugi::xml_node MeasuredTableOfUnmeasuredClaim(const Report& report,
                                              const pugi::xml_document& page) {
  for (const ClaimReport& claim : report.claims) {
    if (claim.claim.rule || claim.tests.empty()) continue;
    if (report.tests[claim.tests.front()].measured.empty()) continue;
    const pugi::xml_node section = page.find_node([&](pugi::xml_node node) {
      return std::string_view(node.attribute("id").value()) ==
             "claim-" + claim.claim.id;
    });
    return section.find_node([](pugi::xml_node node) {
      return std::string_view(node.name()) == "table" &&
             std::string_view(node.attribute("class").value()) == "measured";
    });
  }
  throw std::logic_error("the sample has no unmeasured claim with figures");
}

TEST_F(HtmlWriterTest, FiguresMeasuredAreGroupedByTestAndCapped) {
  pugi::xml_document page = testing::ParseHtml(*html_);
  const pugi::xml_node table = MeasuredTableOfUnmeasuredClaim(*report_, page);
  ASSERT_TRUE(table);
  std::vector<pugi::xml_node> rows;
  for (pugi::xml_node row : table.children("tr")) rows.push_back(row);
  // A header, the capped rows, the row that says how many were left out.
  ASSERT_EQ(rows.size(), kMaxFigureRowsPerClaim + 2);
  // Each test's cell spans its figures: 3 of the first, the rest of the cap
  // from the second.
  std::vector<int> spans;
  for (pugi::xml_node row : rows) {
    const pugi::xml_node head =
        row.find_child_by_attribute("th", "scope", "row");
    if (head) spans.push_back(head.attribute("rowspan").as_int());
  }
  EXPECT_EQ(spans, (std::vector<int>{
                       3, static_cast<int>(kMaxFigureRowsPerClaim) - 3}));
  EXPECT_THAT(testing::TextOf(rows[1]), HasSubstr("sa_restart.readresumed"));
  const int left_out =
      testing::kManyFigures - (static_cast<int>(kMaxFigureRowsPerClaim) - 3);
  EXPECT_THAT(testing::TextOf(rows.back()),
              HasSubstr(std::to_string(left_out) + " more in report.json"));
  EXPECT_THAT(testing::TextOf(table),
              Not(HasSubstr(fmt::format("sample.step_{:03}",
                                        kMaxFigureRowsPerClaim - 3))));
}

TEST_F(HtmlWriterTest, FigureNamesAndValuesStayText) {
  pugi::xml_document page = testing::ParseHtml(*html_);
  const pugi::xml_node table = MeasuredTableOfUnmeasuredClaim(*report_, page);
  ASSERT_TRUE(table);
  // The third row holds the hostile figure: name and value come back as the
  // very text recorded, and no element came out of them.
  const pugi::xml_node row = *std::next(table.children("tr").begin(), 3);
  std::vector<std::string> cells;
  for (pugi::xml_node cell : row.children("td")) {
    cells.push_back(testing::TextOf(cell));
  }
  EXPECT_EQ(cells, (std::vector<std::string>{testing::kHostileFigureName,
                                             testing::kHostileFigureValue}));
  Walk(table, [](pugi::xml_node node) {
    const std::string name = node.name();
    EXPECT_NE(name, "script");
    EXPECT_NE(name, "u");
  });
}

TEST(HtmlWriterFiguresTest, ATestsFiguresAppearUnderEveryClaimItDeclares) {
  Report report;
  TestResult test;
  test.full_name = "SaRestart.PipeRead";
  test.claims = {"signal.a", "signal.b"};
  test.measured = {{"sa_restart.read", "resumed"}};
  report.tests.push_back(test);
  for (const char* id : {"signal.a", "signal.b"}) {
    ClaimReport claim;
    claim.claim.id = id;
    claim.claim.area = "signal";
    claim.verdict = Verdict::kConfirmed;
    claim.tests = {0};
    report.claims.push_back(claim);
  }
  ClaimReport without;
  without.claim.id = "signal.c";
  without.claim.area = "signal";
  report.claims.push_back(without);
  pugi::xml_document page = testing::ParseHtml(WriteHtml(report));
  for (const char* id : {"signal.a", "signal.b", "signal.c"}) {
    const pugi::xml_node section = page.find_node([&](pugi::xml_node node) {
      return std::string_view(node.attribute("id").value()) ==
             std::string("claim-") + id;
    });
    ASSERT_TRUE(section) << id;
    const pugi::xml_node table = section.find_node([](pugi::xml_node node) {
      return std::string_view(node.attribute("class").value()) == "measured";
    });
    EXPECT_EQ(static_cast<bool>(table), std::string(id) != "signal.c") << id;
    if (table) {
      EXPECT_THAT(testing::TextOf(table),
                  HasSubstr("SaRestart.PipeReadsa_restart.readresumed"));
    }
  }
}

// The benchmarks section: after the summary, the run's stamp and both
// charts, the hostile skip message as text.
TEST_F(HtmlWriterTest, BenchmarksSectionFollowsTheSummaryWithTwoCharts) {
  pugi::xml_document page = testing::ParseHtml(*html_);
  const pugi::xml_node section = page.find_node([](pugi::xml_node node) {
    return std::string_view(node.attribute("id").value()) == "benchmarks";
  });
  ASSERT_TRUE(section);
  EXPECT_STREQ(section.name(), "section");
  EXPECT_EQ(testing::TextOf(section.child("h2")), "Benchmarks");
  EXPECT_STREQ(section.previous_sibling().attribute("id").value(), "summary");
  EXPECT_STREQ(section.next_sibling().name(), "main");
  std::vector<pugi::xml_node> charts;
  Walk(section, [&](pugi::xml_node node) {
    if (std::string_view(node.name()) == "svg") charts.push_back(node);
  });
  ASSERT_EQ(charts.size(), 2u);
  EXPECT_STREQ(charts[0].attribute("data-kind").value(), "latency");
  EXPECT_STREQ(charts[1].attribute("data-kind").value(), "throughput");
  const std::string text = testing::TextOf(section);
  EXPECT_THAT(text, HasSubstr(report_->benchmarks->cpu_model));
  EXPECT_THAT(text, HasSubstr("cpu0,cpu1"));
  EXPECT_THAT(text, HasSubstr("private (unshare(CLONE_NEWIPC))"));
  EXPECT_THAT(text, Not(HasSubstr("decide nothing")));
  // The skip's message is text, never an element of the page.
  EXPECT_THAT(text, HasSubstr("posix_mq at 1 MiB: skipped: "));
  EXPECT_THAT(text, HasSubstr("<script>alert(\"x\")</script>"));
  Walk(section, [&](pugi::xml_node node) {
    EXPECT_STRNE(node.name(), "script");
    EXPECT_STRNE(node.name(), "pre");
  });
}

TEST(HtmlBenchmarksTest, NoBenchmarksNoSection) {
  Report report = SampleReport();
  report.benchmarks.reset();
  const std::string html = WriteHtml(report);
  EXPECT_THAT(html, Not(HasSubstr("id=\"benchmarks\"")));
  EXPECT_THAT(html, Not(HasSubstr("<svg")));
}

TEST(HtmlBenchmarksTest, UnusableFiguresAreSaidLoudly) {
  Report report = SampleReport();
  report.benchmarks->unusable = "a smoke run <b>decides</b> nothing";
  const std::string html = WriteHtml(report);
  pugi::xml_document page = testing::ParseHtml(html);
  const pugi::xml_node alert = page.find_node([](pugi::xml_node node) {
    return std::string_view(node.attribute("class").value()) ==
           "bench-unusable";
  });
  ASSERT_TRUE(alert);
  EXPECT_STREQ(alert.attribute("role").value(), "alert");
  EXPECT_EQ(testing::TextOf(alert),
            "These figures decide nothing: a smoke run <b>decides</b> "
            "nothing");
}

}  // namespace
}  // namespace ipcproof::verify

// --- Several kernels.

namespace ipcproof::verify {
namespace {

using ::testing::HasSubstr;

TEST(HtmlOneKernelTest, OneReportIsTheSingleReportByteForByte) {
  const testing::KernelsSample sample = testing::SampleKernels();
  Report guest = sample.reports[3];
  guest.run.kernel.missing_requirements = {testing::kMissingRequirement};
  for (const Report& report : {sample.reports[0], guest}) {
    EXPECT_EQ(WriteHtml(std::vector<Report>{report}), WriteHtml(report));
  }
  EXPECT_THROW(WriteHtml(std::vector<Report>{}), std::invalid_argument);
}

pugi::xml_node ById(const pugi::xml_document& page, const std::string& id) {
  return page.find_node([&](pugi::xml_node node) {
    return std::string_view(node.attribute("id").value()) == id;
  });
}

TEST(HtmlOneKernelTest, AGuestsPageSaysHowItBootedAndThatItFailed) {
  const testing::KernelsSample sample = testing::SampleKernels();
  Report guest = sample.reports[3];
  guest.run.kernel.missing_requirements = {testing::kMissingRequirement};
  const std::string html = WriteHtml(guest);
  pugi::xml_document page = testing::ParseHtml(html);
  const pugi::xml_node failure = page.find_node([](pugi::xml_node node) {
    return std::string_view(node.attribute("class").value()) == "guest-failure";
  });
  ASSERT_TRUE(failure);
  EXPECT_STREQ(failure.attribute("role").value(), "alert");
  EXPECT_EQ(testing::TextOf(failure.child("pre")),
            TrimMessage(testing::kGuestFailureMessage, 100, 10000));
  EXPECT_THAT(testing::TextOf(failure),
              HasSubstr("The guest kernel bzImage failed (panic)"));
  EXPECT_THAT(testing::TextOf(ById(page, "missing-requirements")),
              HasSubstr(testing::kMissingRequirement));
  EXPECT_THAT(html, HasSubstr("<tr><th>booted as</th><td>bzImage</td></tr>"));
  EXPECT_THAT(html, HasSubstr(".guest-failure {"));
  const std::string host = WriteHtml(sample.reports[0]);
  EXPECT_THAT(host, ::testing::Not(HasSubstr("booted as")));
  EXPECT_THAT(host, ::testing::Not(HasSubstr("guest-failure")));
}

class HtmlKernelsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sample_ = new testing::KernelsSample(testing::SampleKernels());
    html_ = new std::string(WriteHtml(sample_->reports));
  }
  void SetUp() override { page_ = testing::ParseHtml(*html_); }
  static const std::vector<Report>& reports() { return sample_->reports; }
  static testing::KernelsSample* sample_;
  static std::string* html_;
  pugi::xml_document page_;
};
testing::KernelsSample* HtmlKernelsTest::sample_ = nullptr;
std::string* HtmlKernelsTest::html_ = nullptr;

TEST_F(HtmlKernelsTest, IdsAreUniqueAndEveryLinkStaysOnThePage) {
  std::set<std::string> ids;
  Walk(page_, [&](pugi::xml_node node) {
    if (node.attribute("id")) {
      EXPECT_TRUE(ids.insert(node.attribute("id").value()).second)
          << "duplicate id " << node.attribute("id").value();
    }
  });
  int links = 0;
  Walk(page_, [&](pugi::xml_node node) {
    for (pugi::xml_attribute attribute : node.attributes()) {
      const std::string name = attribute.name();
      EXPECT_NE(name, "src");
      EXPECT_FALSE(name.starts_with("on")) << name;
      if (name != "href") continue;
      const std::string href = attribute.value();
      if (href == reports()[0].benchmarks->file) continue;  // the host's
      ++links;
      ASSERT_TRUE(href.starts_with("#")) << href;
      EXPECT_TRUE(ids.contains(href.substr(1))) << "dangling link " << href;
    }
  });
  EXPECT_GT(links, static_cast<int>(reports()[0].claims.size()));
  EXPECT_THAT(*html_, ::testing::Not(HasSubstr("http:")));
  EXPECT_THAT(*html_, ::testing::Not(HasSubstr("https:")));
  for (const std::string& code : testing::ScriptsAndStyles(*html_)) {
    EXPECT_THAT(code, ::testing::Not(HasSubstr("//")));
  }
}

TEST_F(HtmlKernelsTest, EveryClaimSectionCarriesEachKernelsVerdict) {
  for (size_t i = 0; i < reports()[0].claims.size(); ++i) {
    const std::string& id = reports()[0].claims[i].claim.id;
    const pugi::xml_node section = ById(page_, "claim-" + id);
    ASSERT_TRUE(section) << id;
    std::string verdicts;
    for (const Report& report : reports()) {
      if (!verdicts.empty()) verdicts += ' ';
      verdicts += VerdictKey(report.claims[i].verdict);
    }
    EXPECT_EQ(section.attribute("data-verdicts").value(), verdicts) << id;
    EXPECT_EQ(section.attribute("data-area").value(),
              reports()[0].claims[i].claim.area);
    // One evidence block per kernel, in kernel order.
    std::vector<std::string> kernels;
    for (pugi::xml_node block : section.children("div")) {
      kernels.push_back(block.attribute("data-kernel").value());
    }
    EXPECT_EQ(kernels, (std::vector<std::string>{"0", "1", "2", "3"})) << id;
    const bool answers = id == sample_->differing_claim;
    EXPECT_EQ(std::string(section.attribute("class").value())
                      .find("differs-answers") != std::string::npos,
              answers)
        << id;
  }
}

TEST_F(HtmlKernelsTest, TheDifferingClaimIsHighlightedAndShownWithAllAnswers) {
  const std::string& id = sample_->differing_claim;
  const pugi::xml_node row = page_.find_node([&](pugi::xml_node node) {
    return std::string_view(node.name()) == "tr" &&
           std::string_view(node.attribute("class").value()) ==
               "differs-answers" &&
           testing::TextOf(node).starts_with(id);
  });
  ASSERT_TRUE(row);
  EXPECT_STREQ(row.attribute("data-differs").value(), "answers");
  const pugi::xml_node differs = ById(page_, "differs-" + id);
  ASSERT_TRUE(differs);
  const std::string text = testing::TextOf(differs);
  EXPECT_THAT(text, HasSubstr("On host: confirmed"));
  EXPECT_THAT(text, HasSubstr("On linux-6.1: kernel deviates"));
  EXPECT_THAT(text, HasSubstr("On bzImage: unverified"));
  int pres = 0;
  Walk(differs, [&](pugi::xml_node node) {
    pres += std::string_view(node.name()) == "pre" &&
            testing::TextOf(node) == testing::kGuestAssertion;
  });
  EXPECT_EQ(pres, 2) << "the failure and its rerun";
  EXPECT_THAT(text, HasSubstr("sample.wakeups0"));
  // The differs section comes before the per-claim detail.
  EXPECT_LT(html_->find("id=\"differs\""), html_->find("<main>"));
}

TEST_F(HtmlKernelsTest, TheFilterOffersKernelsAndDifferences) {
  const pugi::xml_node form = ById(page_, "filter");
  ASSERT_TRUE(form);
  EXPECT_TRUE(form.attribute("hidden"));
  std::vector<std::string> kernels;
  for (pugi::xml_node option : ById(page_, "filter-kernel").children("option"))
    kernels.push_back(option.attribute("value").value());
  EXPECT_EQ(kernels, (std::vector<std::string>{"", "host", "linux-6.1",
                                               "linux-6.12", "bzImage"}));
  std::vector<std::string> differs;
  for (pugi::xml_node option : ById(page_, "filter-differs").children("option"))
    differs.push_back(option.attribute("value").value());
  EXPECT_EQ(differs, (std::vector<std::string>{"", "differs", "answers"}));
  int scripts = 0;
  Walk(page_, [&](pugi::xml_node node) {
    scripts += std::string_view(node.name()) == "script";
  });
  EXPECT_EQ(scripts, 1);
}

TEST_F(HtmlKernelsTest, GuestFailureAndMissingRequirementAreLoud) {
  const pugi::xml_node failures = ById(page_, "guest-failures");
  ASSERT_TRUE(failures);
  EXPECT_EQ(
      testing::TextOf(
          failures.find_child_by_attribute("div", "class", "guest-failure")
              .child("pre")),
      TrimMessage(testing::kGuestFailureMessage, 100, 10000));
  // Also said at the top, before the kernels table.
  EXPECT_LT(html_->find("class=\"guest-failure\" role=\"alert\""),
            html_->find("id=\"kernels\""));
  EXPECT_THAT(testing::TextOf(ById(page_, "missing-requirements")),
              HasSubstr(testing::kMissingRequirement));
  const pugi::xml_node kernels = ById(page_, "kernels");
  const pugi::xml_node loud = kernels.find_node([](pugi::xml_node node) {
    return std::string_view(node.attribute("class").value()) == "loud" &&
           testing::TextOf(node) == "FAILED: panic";
  });
  EXPECT_TRUE(loud);
  Walk(page_, [](pugi::xml_node node) {
    EXPECT_NE(std::string_view(node.name()), "i") << "markup from a message";
  });
}

TEST_F(HtmlKernelsTest, BenchmarksAreShownOnceUnderTheHostsLabel) {
  const pugi::xml_node section = ById(page_, "benchmarks");
  ASSERT_TRUE(section);
  std::vector<std::string> headings;
  int charts = 0;
  Walk(section, [&](pugi::xml_node node) {
    if (std::string_view(node.name()) == "h3") {
      headings.push_back(testing::TextOf(node));
    }
    charts += std::string_view(node.name()) == "svg";
  });
  EXPECT_THAT(headings, ::testing::ElementsAre("On host"));
  EXPECT_EQ(charts, 2);
  for (size_t k = 1; k < reports().size(); ++k) {
    EXPECT_FALSE(reports()[k].benchmarks) << "guests have none";
  }
}

}  // namespace
}  // namespace ipcproof::verify
