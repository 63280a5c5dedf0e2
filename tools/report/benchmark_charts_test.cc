// The benchmark charts read back as XML: what is drawn where, what is left
// out and said instead, and that foreign text stays text.
#include "tools/report/benchmark_charts.h"

#include <cmath>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pugixml.hpp"
#include "tools/report/report_test_util.h"
#include "tools/report/sample_report.h"

namespace ipcproof::verify {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr int64_t kMiB = 1 << 20;

BenchmarkResult Result(std::string kind, std::string mechanism, int64_t size,
                       std::optional<double> median,
                       std::optional<double> cv = 0.02) {
  BenchmarkResult result;
  result.kind = std::move(kind);
  result.mechanism = std::move(mechanism);
  result.size = size;
  result.unit = result.kind == "latency" ? "ns" : "bytes_per_second";
  result.median = median;
  result.cv = cv;
  result.repetitions = 5;
  return result;
}

pugi::xml_document ParseSvg(const std::string& svg) {
  pugi::xml_document document;
  const pugi::xml_parse_result parsed = document.load_string(svg.c_str());
  EXPECT_TRUE(parsed) << parsed.description() << " at offset " << parsed.offset
                      << " of:\n"
                      << svg;
  return document;
}

std::vector<std::pair<double, double>> PolylinePoints(pugi::xml_node line) {
  std::vector<std::pair<double, double>> points;
  std::istringstream text(line.attribute("points").value());
  std::string pair;
  while (text >> pair) {
    const size_t comma = pair.find(',');
    points.push_back(
        {std::stod(pair.substr(0, comma)), std::stod(pair.substr(comma + 1))});
  }
  return points;
}

std::vector<pugi::xml_node> WithClass(const pugi::xml_document& document,
                                      const std::string& element,
                                      const std::string& css) {
  std::vector<pugi::xml_node> nodes;
  for (const pugi::xpath_node& node : document.select_nodes(
           ("//" + element + "[@class='" + css + "']").c_str())) {
    nodes.push_back(node.node());
  }
  return nodes;
}

// A drawn point's marker centre: a circle's centre, a square's middle, a
// polygon's first vertex x and its vertical middle.
std::pair<double, double> MarkerCentre(pugi::xml_node group) {
  for (pugi::xml_node child : group.children()) {
    const std::string name = child.name();
    if (name == "circle") {
      return {child.attribute("cx").as_double(),
              child.attribute("cy").as_double()};
    }
    if (name == "rect") {
      return {child.attribute("x").as_double() + 3.5,
              child.attribute("y").as_double() + 3.5};
    }
    if (name == "polygon") {
      double min_y = 1e9, max_y = -1e9, first_x = 0;
      bool first = true;
      for (const auto& [x, y] : PolylinePoints(child)) {
        if (first) first_x = x;
        first = false;
        min_y = std::min(min_y, y);
        max_y = std::max(max_y, y);
      }
      // The triangle's apex is 4.5 above the centre, its base 3.5 below.
      const bool triangle = PolylinePoints(child).size() == 3;
      return {first_x, triangle ? min_y + 4.5 : (min_y + max_y) / 2};
    }
  }
  ADD_FAILURE() << "a point without a marker";
  return {0, 0};
}

TEST(BenchmarkChartsTest, UnitsAreHuman) {
  EXPECT_EQ(FormatSize(64), "64 B");
  EXPECT_EQ(FormatSize(4096), "4 KiB");
  EXPECT_EQ(FormatSize(kMiB), "1 MiB");
  EXPECT_EQ(FormatSize(1536), "1.5 KiB");
  EXPECT_EQ(FormatFigure(812, "ns"), "812 ns");
  EXPECT_EQ(FormatFigure(61200, "ns"), "61.2 µs");
  EXPECT_EQ(FormatFigure(1.234e6, "ns"), "1.23 ms");
  EXPECT_EQ(FormatFigure(9.87e9, "bytes_per_second"), "9.87 GB/s");
  EXPECT_EQ(FormatFigure(532e6, "bytes_per_second"), "532 MB/s");
  EXPECT_EQ(FormatCv(0.031), "3.1 %");
  EXPECT_EQ(FormatCv(std::nullopt), "");
  EXPECT_EQ(CellText(Result("latency", "pipe", 64, 61200, 0.031)),
            "61.2 µs ±3.1 %");
  EXPECT_EQ(CellText(Result("latency", "pipe", 64, 0)), "no median");
}

TEST(BenchmarkChartsTest, ChartsAreWellFormedXmlWithoutANamespaceOrUrl) {
  const BenchmarkRun run = testing::SampleBenchmarks();
  for (const char* kind : {"latency", "throughput"}) {
    const std::string svg = BenchmarkChartSvg(run, kind);
    ASSERT_FALSE(svg.empty()) << kind;
    const pugi::xml_document document = ParseSvg(svg);
    const pugi::xml_node root = document.document_element();
    EXPECT_STREQ(root.name(), "svg");
    EXPECT_STREQ(root.attribute("role").value(), "img");
    EXPECT_THAT(root.attribute("aria-label").value(), HasSubstr("pipe"));
    EXPECT_FALSE(root.attribute("xmlns")) << "inline SVG in HTML5 needs none";
    EXPECT_THAT(svg, Not(HasSubstr("//")));
    EXPECT_EQ(svg, BenchmarkChartSvg(run, kind)) << "deterministic";
  }
}

TEST(BenchmarkChartsTest, OnePolylinePerDrawnMechanismInOrderOfAppearance) {
  const BenchmarkRun run = testing::SampleBenchmarks();
  for (const char* kind : {"latency", "throughput"}) {
    const pugi::xml_document document = ParseSvg(BenchmarkChartSvg(run, kind));
    std::vector<std::string> mechanisms;
    for (pugi::xml_node line : WithClass(document, "polyline", "series")) {
      mechanisms.push_back(line.attribute("data-mechanism").value());
    }
    EXPECT_THAT(mechanisms, ElementsAre("pipe", "posix_mq", "shm_futex"))
        << kind;
    // The legend names each of them.
    const std::string legend =
        testing::TextOf(document.select_node("//g[@class='legend']").node());
    for (const std::string& mechanism : mechanisms) {
      EXPECT_THAT(legend, HasSubstr(mechanism));
    }
  }
}

TEST(BenchmarkChartsTest, MemcpyHalfLiesBelowMemcpyAtEverySize) {
  const BenchmarkRun run = testing::SampleBenchmarks();
  const pugi::xml_document document =
      ParseSvg(BenchmarkChartSvg(run, "throughput"));
  const pugi::xml_node memcpy =
      document.select_node("//polyline[@data-limit='memcpy']").node();
  const pugi::xml_node half =
      document.select_node("//polyline[@data-limit='memcpy-half']").node();
  ASSERT_TRUE(memcpy);
  ASSERT_TRUE(half);
  EXPECT_TRUE(half.attribute("stroke-dasharray")) << "memcpy/2 is dashed";
  const auto full_points = PolylinePoints(memcpy);
  const auto half_points = PolylinePoints(half);
  ASSERT_EQ(full_points.size(), 3u);
  ASSERT_EQ(half_points.size(), full_points.size());
  for (size_t i = 0; i < full_points.size(); ++i) {
    EXPECT_DOUBLE_EQ(half_points[i].first, full_points[i].first);
    EXPECT_GT(half_points[i].second, full_points[i].second)
        << "half the rate lies lower (a larger y)";
  }
  // Both are labelled.
  const std::string text = testing::TextOf(document.document_element());
  EXPECT_THAT(text, HasSubstr("memcpy, one core"));
  EXPECT_THAT(text, HasSubstr("memcpy / 2"));
  EXPECT_EQ(document.select_nodes("//text[@class='limit-label']").size(), 2u)
      << "each limit is labelled beside its line too";
  // The latency chart has no limit.
  const pugi::xml_document latency =
      ParseSvg(BenchmarkChartSvg(run, "latency"));
  EXPECT_FALSE(latency.select_node("//polyline[@class='limit']"));
}

TEST(BenchmarkChartsTest, LargerSizesLieRightAndLargerValuesHigher) {
  const BenchmarkRun run = testing::SampleBenchmarks();
  for (const char* kind : {"latency", "throughput"}) {
    const pugi::xml_document document = ParseSvg(BenchmarkChartSvg(run, kind));
    struct Drawn {
      int64_t size;
      double median, x, y;
    };
    std::vector<Drawn> drawn;
    for (pugi::xml_node group : WithClass(document, "g", "point")) {
      const std::string mechanism = group.attribute("data-mechanism").value();
      const int64_t size = group.attribute("data-size").as_llong();
      double median = 0;
      for (const BenchmarkResult& result : run.results) {
        if (result.kind == kind && result.mechanism == mechanism &&
            result.size == size) {
          median = *result.median;
        }
      }
      const auto [x, y] = MarkerCentre(group);
      drawn.push_back({size, median, x, y});
    }
    // Latency: 9 results, one skipped, one zero; throughput: one skipped.
    ASSERT_EQ(drawn.size(), std::string(kind) == "latency" ? 7u : 8u) << kind;
    for (const Drawn& a : drawn) {
      for (const Drawn& b : drawn) {
        if (a.size < b.size) {
          EXPECT_LT(a.x, b.x) << kind;
        }
        if (a.size == b.size) {
          EXPECT_NEAR(a.x, b.x, 0.11) << kind;
        }
        if (a.median < b.median) {
          EXPECT_GT(a.y, b.y) << kind << ": " << a.median << " < " << b.median;
        }
      }
    }
    // Each polyline runs left to right.
    for (pugi::xml_node line : WithClass(document, "polyline", "series")) {
      const auto points = PolylinePoints(line);
      for (size_t i = 1; i < points.size(); ++i) {
        EXPECT_LT(points[i - 1].first, points[i].first);
      }
    }
  }
}

TEST(BenchmarkChartsTest, ALargerLatencyLiesHigher) {
  BenchmarkRun run;
  run.results = {Result("latency", "fast", 64, 1000),
                 Result("latency", "slow", 64, 100000)};
  const pugi::xml_document document =
      ParseSvg(BenchmarkChartSvg(run, "latency"));
  const auto lines = WithClass(document, "polyline", "series");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_GT(PolylinePoints(lines[0])[0].second,
            PolylinePoints(lines[1])[0].second);
}

TEST(BenchmarkChartsTest, PointsHaveTooltipsWithMedianAndCv) {
  const BenchmarkRun run = testing::SampleBenchmarks();
  const pugi::xml_document document =
      ParseSvg(BenchmarkChartSvg(run, "latency"));
  std::vector<std::string> titles;
  for (pugi::xml_node group : WithClass(document, "g", "point")) {
    titles.push_back(group.child("title").text().get());
  }
  EXPECT_THAT(titles, ::testing::Contains("pipe, 4 KiB: 12.0 µs median, "
                                          "cv 3.1 %"));
  EXPECT_THAT(titles, ::testing::Contains("shm_futex, 1 MiB: 260 µs median "
                                          "(one repetition)"));
  // The cv is drawn too, where there is one.
  EXPECT_FALSE(WithClass(document, "line", "spread").empty());
}

TEST(BenchmarkChartsTest, SkippedAndZeroMediansAreNotDrawnButListed) {
  const BenchmarkRun run = testing::SampleBenchmarks();
  const pugi::xml_document document =
      ParseSvg(BenchmarkChartSvg(run, "latency"));
  for (pugi::xml_node group : WithClass(document, "g", "point")) {
    const std::string mechanism = group.attribute("data-mechanism").value();
    const int64_t size = group.attribute("data-size").as_llong();
    EXPECT_FALSE(mechanism == "posix_mq" && size == kMiB) << "skipped";
    EXPECT_FALSE(mechanism == "shm_futex" && size == 64) << "zero median";
  }
  const std::vector<std::string> left_out = LeftOutResults(run, "latency");
  ASSERT_EQ(left_out.size(), 2u);
  EXPECT_THAT(left_out[0], ::testing::StartsWith("posix_mq at 1 MiB: skipped: "
                                                 "conformance/pipe"));
  EXPECT_THAT(left_out[1],
              ::testing::StartsWith("shm_futex at 64 B: no usable median"));
  const std::string section = BenchmarkSectionBodyHtml(run, "h3");
  EXPECT_THAT(section, HasSubstr("posix_mq at 1 MiB: skipped: "));
  EXPECT_THAT(section, HasSubstr("shm_futex at 64 B: no usable median"));
}

TEST(BenchmarkChartsTest, BadMediansDoNotBreakTheScale) {
  BenchmarkRun run;
  run.results = {
      Result("latency", "pipe", 64, 8000),
      Result("latency", "pipe", 4096, 12000),
      Result("latency", "pipe", 16384, -5),
      Result("latency", "pipe", 65536,
             std::numeric_limits<double>::quiet_NaN()),
      Result("latency", "pipe", 262144,
             std::numeric_limits<double>::infinity()),
      Result("latency", "pipe", kMiB, std::nullopt),
      Result("latency", "fifo", 64, 0),
  };
  const std::string svg = BenchmarkChartSvg(run, "latency");
  EXPECT_THAT(svg, Not(HasSubstr("nan")));
  EXPECT_THAT(svg, Not(HasSubstr("inf")));
  const pugi::xml_document document = ParseSvg(svg);
  const auto lines = WithClass(document, "polyline", "series");
  ASSERT_EQ(lines.size(), 1u) << "fifo has nothing to draw";
  EXPECT_EQ(PolylinePoints(lines[0]).size(), 2u);
  // Only 8 µs and 12 µs set the value axis: it spans the decades 1 µs,
  // 10 µs, 100 µs; the sizes axis has the two sizes drawn.
  EXPECT_EQ(document.select_nodes("//g[@class='tick-labels']/text").size(),
            3u /* decades */ + 2u /* sizes */);
  EXPECT_EQ(LeftOutResults(run, "latency").size(), 5u);
}

TEST(BenchmarkChartsTest, HostileTextStaysText) {
  BenchmarkRun run;
  run.unusable = "<b>smoke</b> & \"run\"";
  run.command = "bench --out '<x>'";
  run.results = {
      Result("latency", "<script>alert(1)</script>", 64, 1000),
      Result("latency", "pipe", 64, std::nullopt),
  };
  run.results[1].skipped = testing::kHostileMessage;
  const std::string section = BenchmarkSectionBodyHtml(run, "h3");
  EXPECT_THAT(section, Not(HasSubstr("<script>")));
  EXPECT_THAT(section, Not(HasSubstr("<b>smoke")));
  EXPECT_THAT(section, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(section, HasSubstr("These figures decide nothing: &lt;b&gt;"));
  // The whole section is well-formed XML (the page's check reads it so).
  ParseSvg("<div>" + section + "</div>");
}

TEST(BenchmarkChartsTest, AKindWithNothingDrawableGivesNoChartAndSaysSo) {
  BenchmarkRun run;
  run.results = {Result("latency", "pipe", 64, std::nullopt)};
  run.results[0].skipped = "no pipe here";
  EXPECT_EQ(BenchmarkChartSvg(run, "latency"), "");
  EXPECT_EQ(BenchmarkChartSvg(run, "throughput"), "");
  const std::string section = BenchmarkSectionBodyHtml(run, "h3");
  EXPECT_THAT(section, Not(HasSubstr("<svg")));
  EXPECT_THAT(section, HasSubstr("No chart: this run has no latency result "
                                 "that can be drawn (every one skipped"));
  EXPECT_THAT(section, HasSubstr("No chart: this run has no throughput "
                                 "result that can be drawn."));
  EXPECT_THAT(section, HasSubstr("pipe at 64 B: skipped: no pipe here"));
}

TEST(BenchmarkChartsTest, TheSectionHasTheStampTwoChartsAndTheTables) {
  const BenchmarkRun run = testing::SampleBenchmarks();
  const std::string section = BenchmarkSectionBodyHtml(run, "h3");
  const pugi::xml_document document = ParseSvg("<div>" + section + "</div>");
  EXPECT_EQ(document.select_nodes("//svg").size(), 2u);
  EXPECT_EQ(document.select_nodes("//details/table").size(), 3u)
      << "latency, throughput and its ratio to memcpy/2";
  EXPECT_THAT(section, Not(HasSubstr("decide nothing")));
  EXPECT_THAT(section, HasSubstr("AMD EPYC 7B13"));
  EXPECT_THAT(section, HasSubstr("<a href=\"benchmarks/benchmarks.json\">"));
  EXPECT_THAT(section, Not(HasSubstr("id=\""))) << "several fit on a page";
  // The ratio: pipe at 4 KiB moves 2.9 GB/s against memcpy's 24 GB/s / 2.
  EXPECT_THAT(section, HasSubstr("<td class=\"number\">0.24</td>"));
  // The other kinds get tables of their own.
  EXPECT_THAT(section, HasSubstr("<h3>syscall: the cost of a system call "
                                 "(median ±cv)</h3>"));
  EXPECT_THAT(section, HasSubstr("<h3>wrapper: "));
  // pipe_ipc / pipe_raw = 1210 / 1201.
  EXPECT_THAT(section, HasSubstr("<td class=\"number\">1.007</td>"));
  EXPECT_THAT(section, HasSubstr("85.2 ns ±0.4 %"));
}

}  // namespace
}  // namespace ipcproof::verify
