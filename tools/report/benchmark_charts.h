// The benchmark run's figures (Report::benchmarks) for the reports: human
// units, tables by kind (mechanism rows by size columns), and the two charts
// of report.html as inline SVG written here (no chart library, nothing
// loaded, no URL), plus the HTML section that holds them. The Markdown
// writer uses the tables and units; the HTML writer the section.
#ifndef TOOLS_REPORT_BENCHMARK_CHARTS_H_
#define TOOLS_REPORT_BENCHMARK_CHARTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/verify/model.h"

namespace ipcproof::verify {

// A message size in binary units: "64 B", "4 KiB", "1 MiB" ("1.5 KiB" for a
// size that is no whole multiple).
std::string FormatSize(int64_t bytes);

// A figure in its unit, three significant digits: "ns" as "812 ns",
// "61.2 µs", "1.23 ms", "2.00 s"; "bytes_per_second" in decimal units
// (1 MB/s = 10^6 bytes per second) as "532 MB/s", "9.87 GB/s"; any other
// unit as the number and the unit.
std::string FormatFigure(double value, std::string_view unit);

// The spread: "3.1 %"; "" when absent (one repetition).
std::string FormatCv(std::optional<double> cv);

// A result that can be drawn and put in a table as a number: not skipped, a
// finite median above 0.
bool HasUsableMedian(const BenchmarkResult& result);

// What a table cell says of a result: "61.2 µs ±3.1 %", "61.2 µs" (one
// repetition), "skipped", "no median" (absent, zero, negative or not
// finite).
std::string CellText(const BenchmarkResult& result);

// The results of one kind as a grid: mechanisms in order of first
// appearance, sizes ascending, each cell the first result of that
// mechanism and size (nullptr where there is none).
struct BenchmarkTable {
  std::string kind;
  std::string unit;  // of the first result
  std::vector<std::string> mechanisms;
  std::vector<int64_t> sizes;
  std::vector<std::vector<const BenchmarkResult*>> cells;  // [mech][size]
};

// Every kind of `run`, in order of first appearance. The pointers point into
// `run`.
std::vector<BenchmarkTable> BenchmarkTables(const BenchmarkRun& run);

// The memcpy/single_core result of `run` at `size` with a usable median, or
// nullptr.
const BenchmarkResult* MemcpyAt(const BenchmarkRun& run, int64_t size);

// `result`'s throughput over memcpy/single_core / 2 at the same size (a
// channel that copies twice cannot beat it): absent when either median is
// unusable.
std::optional<double> RatioToHalfMemcpy(const BenchmarkRun& run,
                                        const BenchmarkResult& result);

// What a kind measures, for its heading ("latency": "round trip between two
// processes"); "" for a kind this code does not know.
std::string KindDescription(std::string_view kind);

// wrapper/<path>_ipc over wrapper/<path>_raw at the same size, time per
// transfer (1.00: ipcproof's wrappers cost nothing), in result order; only
// pairs with usable medians.
struct WrapperRatio {
  std::string path;
  int64_t size = 0;
  double ratio = 0;
};
std::vector<WrapperRatio> WrapperRatios(const BenchmarkRun& run);

// Sentences for what a chart or table of `kind` leaves out, in result
// order: "posix_mq at 1 MiB: skipped: <message>", "pipe at 64 B: no usable
// median, not drawn". Raw text; the writer escapes it.
std::vector<std::string> LeftOutResults(const BenchmarkRun& run,
                                        std::string_view kind);

// The chart of `kind` ("latency": median round trip in ns; "throughput":
// one-way bytes per second, with memcpy/single_core and memcpy/2 drawn as
// labelled limits) as an inline <svg> element: log-log axes, a polyline
// with markers per mechanism, a <title> tooltip per point, the cv as an
// error bar, a legend. Well-formed XML without xmlns (inline SVG in HTML5
// needs none) and without "//". "" when no result of `kind` is drawable.
std::string BenchmarkChartSvg(const BenchmarkRun& run, std::string_view kind);

// The "Benchmarks" section's body for one run: the run's stamp, `unusable`
// loudly, the latency and throughput charts (each in a <figure> with what
// it leaves out and a <details> table of its numbers), then a table per
// other kind. `heading` is the element of its sub-headings ("h3"). No id
// attributes, so several of these fit on one page.
std::string BenchmarkSectionBodyHtml(const BenchmarkRun& run,
                                     std::string_view heading);

}  // namespace ipcproof::verify

#endif  // TOOLS_REPORT_BENCHMARK_CHARTS_H_
