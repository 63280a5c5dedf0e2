// The charts are plain SVG elements written as text: a reader's browser
// draws them with nothing loaded, and the page's XML check reads them like
// the rest of the page. Every coordinate and figure is printed with a fixed
// precision, so the same run always gives the same bytes.
#include "tools/report/benchmark_charts.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <utility>

#include "fmt/format.h"
#include "tools/report/text_escape.h"

namespace ipcproof::verify {
namespace {

constexpr std::string_view kLatency = "latency";
constexpr std::string_view kThroughput = "throughput";
constexpr std::string_view kMemcpy = "memcpy";
constexpr std::string_view kSingleCore = "single_core";

// Three significant digits for a value already scaled to its unit prefix.
std::string Significant3(double value) {
  const double magnitude = std::fabs(value);
  const int decimals = magnitude < 10 ? 2 : magnitude < 100 ? 1 : 0;
  return fmt::format("{:.{}f}", value, decimals);
}

// The prefix a value of `unit` is shown in: its divisor and the unit's
// words. Decimal for rates, as disks and networks count.
std::pair<double, std::string> ScaleFor(double value, std::string_view unit) {
  const double magnitude = std::fabs(value);
  if (unit == "ns") {
    if (magnitude < 1e3) return {1, "ns"};
    if (magnitude < 1e6) return {1e3, "µs"};
    if (magnitude < 1e9) return {1e6, "ms"};
    return {1e9, "s"};
  }
  if (unit == "bytes_per_second") {
    if (magnitude < 1e3) return {1, "B/s"};
    if (magnitude < 1e6) return {1e3, "kB/s"};
    if (magnitude < 1e9) return {1e6, "MB/s"};
    if (magnitude < 1e12) return {1e9, "GB/s"};
    return {1e12, "TB/s"};
  }
  return {1, std::string(unit)};
}

// A tick label: a power of ten in its unit, without needless decimals
// ("10 µs", "1 GB/s").
std::string FormatTick(double value, std::string_view unit) {
  const auto [divisor, words] = ScaleFor(value * 1.0000001, unit);
  return fmt::format("{:g} {}", std::round(value / divisor * 1000) / 1000,
                     words);
}

std::string Coordinate(double value) { return fmt::format("{:.1f}", value); }

// What tells the mechanisms apart besides colour: a marker shape and a dash
// pattern, so the chart reads in greyscale and for colour-blind readers.
// The 12 colours, 4 shapes and 3 dash patterns give 12 distinct pairs of
// shape and dash; beyond 12 the colours repeat with the next dash.
constexpr std::string_view kColours[] = {
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
    "#e377c2", "#17becf", "#9a8c00", "#555555", "#393b79", "#637939"};
constexpr std::string_view kDashes[] = {"", "7 3", "2 2"};
enum class Shape { kCircle, kSquare, kTriangle, kDiamond };
constexpr Shape kShapes[] = {Shape::kCircle, Shape::kSquare, Shape::kTriangle,
                             Shape::kDiamond};

struct SeriesStyle {
  std::string_view colour;
  std::string_view dash;
  Shape shape;
};

SeriesStyle StyleOf(size_t index) {
  return {kColours[index % std::size(kColours)],
          kDashes[(index / std::size(kShapes)) % std::size(kDashes)],
          kShapes[index % std::size(kShapes)]};
}

std::string Marker(Shape shape, double x, double y, std::string_view colour) {
  const std::string fill = fmt::format(
      "fill=\"{0}\" stroke=\"{0}\" stroke-width=\"1\"", std::string(colour));
  switch (shape) {
    case Shape::kCircle:
      return fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"4\" {} />",
                         Coordinate(x), Coordinate(y), fill);
    case Shape::kSquare:
      return fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"7\" height=\"7\" {} />",
          Coordinate(x - 3.5), Coordinate(y - 3.5), fill);
    case Shape::kTriangle:
      return fmt::format("<polygon points=\"{},{} {},{} {},{}\" {} />",
                         Coordinate(x), Coordinate(y - 4.5),
                         Coordinate(x + 4.5), Coordinate(y + 3.5),
                         Coordinate(x - 4.5), Coordinate(y + 3.5), fill);
    case Shape::kDiamond:
      return fmt::format("<polygon points=\"{},{} {},{} {},{} {},{}\" {} />",
                         Coordinate(x), Coordinate(y - 5), Coordinate(x + 5),
                         Coordinate(y), Coordinate(x), Coordinate(y + 5),
                         Coordinate(x - 5), Coordinate(y), fill);
  }
  return "";
}

// One drawn point: where, and what its tooltip says.
struct Point {
  int64_t size = 0;
  double value = 0;
  std::optional<double> cv;
};

struct Series {
  std::string name;           // the mechanism, raw
  std::vector<Point> points;  // sizes ascending, one per size
};

std::string Tooltip(const std::string& name, const Point& point,
                    std::string_view unit) {
  std::string text = name + ", " + FormatSize(point.size) + ": " +
                     FormatFigure(point.value, unit) + " median";
  text += point.cv ? ", cv " + FormatCv(point.cv) : " (one repetition)";
  return text;
}

bool Drawable(const BenchmarkResult& result) {
  return HasUsableMedian(result) && result.size > 0;
}

// The drawable results of `kind` by mechanism, in order of first appearance;
// `mechanism`, when given, keeps that mechanism only.
std::vector<Series> SeriesOf(const BenchmarkRun& run, std::string_view kind,
                             std::string_view mechanism = "") {
  std::vector<Series> series;
  for (const BenchmarkResult& result : run.results) {
    if (result.kind != kind || !Drawable(result)) continue;
    if (!mechanism.empty() && result.mechanism != mechanism) continue;
    auto it = std::find_if(series.begin(), series.end(), [&](const Series& s) {
      return s.name == result.mechanism;
    });
    if (it == series.end()) {
      series.push_back({result.mechanism, {}});
      it = series.end() - 1;
    }
    const bool seen = std::any_of(
        it->points.begin(), it->points.end(),
        [&](const Point& point) { return point.size == result.size; });
    if (!seen) it->points.push_back({result.size, *result.median, result.cv});
  }
  for (Series& s : series) {
    std::sort(s.points.begin(), s.points.end(),
              [](const Point& a, const Point& b) { return a.size < b.size; });
  }
  return series;
}

// Log-log axes over a plot rectangle.
struct Axes {
  double left = 90, right = 560, top = 30, bottom = 380;
  double x_min = 0, x_max = 1;  // log2 of sizes, padded
  int decade_min = 0, decade_max = 1;
  double X(int64_t size) const {
    return left + (std::log2(static_cast<double>(size)) - x_min) /
                      (x_max - x_min) * (right - left);
  }
  // A larger value lies higher: a smaller y.
  double Y(double value) const {
    const double y = top + (decade_max - std::log10(value)) /
                               (decade_max - decade_min) * (bottom - top);
    return std::clamp(y, top, bottom);
  }
};

std::string Polyline(const Axes& axes, const std::vector<Point>& points,
                     std::string_view attributes) {
  std::string coordinates;
  for (const Point& point : points) {
    if (!coordinates.empty()) coordinates += ' ';
    coordinates +=
        Coordinate(axes.X(point.size)) + "," + Coordinate(axes.Y(point.value));
  }
  return fmt::format("<polyline points=\"{}\" fill=\"none\" {} />\n",
                     coordinates, attributes);
}

// The cv as a bar from median × (1 - cv) to median × (1 + cv).
std::string ErrorBar(const Axes& axes, const Point& point,
                     std::string_view colour) {
  if (!point.cv || !std::isfinite(*point.cv) || *point.cv <= 0) return "";
  const double low = point.value * (1 - *point.cv);
  const double high = point.value * (1 + *point.cv);
  const double x = axes.X(point.size);
  return fmt::format(
      "<line class=\"spread\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" "
      "stroke=\"{3}\" stroke-width=\"1\" />",
      Coordinate(x), Coordinate(low > 0 ? axes.Y(low) : axes.bottom),
      Coordinate(axes.Y(high)), std::string(colour));
}

}  // namespace

std::string FormatSize(int64_t bytes) {
  constexpr int64_t kKiB = 1024, kMiB = 1024 * 1024, kGiB = kMiB * 1024;
  const auto scaled = [&](int64_t unit, std::string_view words) {
    if (bytes % unit == 0) return fmt::format("{} {}", bytes / unit, words);
    return fmt::format("{:.1f} {}", static_cast<double>(bytes) / unit, words);
  };
  if (bytes >= kGiB) return scaled(kGiB, "GiB");
  if (bytes >= kMiB) return scaled(kMiB, "MiB");
  if (bytes >= kKiB) return scaled(kKiB, "KiB");
  return fmt::format("{} B", bytes);
}

std::string FormatFigure(double value, std::string_view unit) {
  if (!std::isfinite(value)) return fmt::format("{} {}", value, unit);
  const auto [divisor, words] = ScaleFor(value, unit);
  return Significant3(value / divisor) + " " + words;
}

std::string FormatCv(std::optional<double> cv) {
  if (!cv || !std::isfinite(*cv)) return "";
  return fmt::format("{:.1f} %", *cv * 100);
}

bool HasUsableMedian(const BenchmarkResult& result) {
  return result.skipped.empty() && result.median &&
         std::isfinite(*result.median) && *result.median > 0;
}

std::string CellText(const BenchmarkResult& result) {
  if (!result.skipped.empty()) return "skipped";
  if (!HasUsableMedian(result)) return "no median";
  std::string text = FormatFigure(*result.median, result.unit);
  const std::string cv = FormatCv(result.cv);
  if (!cv.empty()) text += " ±" + cv;
  return text;
}

std::vector<BenchmarkTable> BenchmarkTables(const BenchmarkRun& run) {
  std::vector<BenchmarkTable> tables;
  for (const BenchmarkResult& result : run.results) {
    auto it = std::find_if(
        tables.begin(), tables.end(),
        [&](const BenchmarkTable& table) { return table.kind == result.kind; });
    if (it == tables.end()) {
      tables.push_back({result.kind, result.unit, {}, {}, {}});
      it = tables.end() - 1;
    }
    if (std::find(it->mechanisms.begin(), it->mechanisms.end(),
                  result.mechanism) == it->mechanisms.end()) {
      it->mechanisms.push_back(result.mechanism);
    }
    if (std::find(it->sizes.begin(), it->sizes.end(), result.size) ==
        it->sizes.end()) {
      it->sizes.push_back(result.size);
    }
  }
  for (BenchmarkTable& table : tables) {
    std::sort(table.sizes.begin(), table.sizes.end());
    table.cells.assign(
        table.mechanisms.size(),
        std::vector<const BenchmarkResult*>(table.sizes.size(), nullptr));
  }
  for (const BenchmarkResult& result : run.results) {
    for (BenchmarkTable& table : tables) {
      if (table.kind != result.kind) continue;
      const size_t m = std::find(table.mechanisms.begin(),
                                 table.mechanisms.end(), result.mechanism) -
                       table.mechanisms.begin();
      const size_t s =
          std::find(table.sizes.begin(), table.sizes.end(), result.size) -
          table.sizes.begin();
      if (table.cells[m][s] == nullptr) table.cells[m][s] = &result;
    }
  }
  return tables;
}

const BenchmarkResult* MemcpyAt(const BenchmarkRun& run, int64_t size) {
  for (const BenchmarkResult& result : run.results) {
    if (result.kind == kMemcpy && result.mechanism == kSingleCore &&
        result.size == size && HasUsableMedian(result)) {
      return &result;
    }
  }
  return nullptr;
}

std::optional<double> RatioToHalfMemcpy(const BenchmarkRun& run,
                                        const BenchmarkResult& result) {
  if (!HasUsableMedian(result)) return std::nullopt;
  const BenchmarkResult* memcpy = MemcpyAt(run, result.size);
  if (memcpy == nullptr) return std::nullopt;
  return *result.median / (*memcpy->median / 2);
}

std::string KindDescription(std::string_view kind) {
  if (kind == kLatency) return "round trip between two processes";
  if (kind == kThroughput) return "one way, bytes per second";
  if (kind == kMemcpy) return "memcpy bandwidth, the limit";
  if (kind == "syscall") return "the cost of a system call";
  if (kind == "wrapper") {
    return "ipcproof's wrappers against raw system calls, time per transfer";
  }
  if (kind == "zerocopy") return "file to socket, bytes per second";
  return "";
}

std::vector<WrapperRatio> WrapperRatios(const BenchmarkRun& run) {
  constexpr std::string_view kIpc = "_ipc", kRaw = "_raw";
  std::vector<WrapperRatio> ratios;
  for (const BenchmarkResult& ipc : run.results) {
    if (ipc.kind != "wrapper" || !ipc.mechanism.ends_with(kIpc) ||
        !HasUsableMedian(ipc)) {
      continue;
    }
    const std::string path =
        ipc.mechanism.substr(0, ipc.mechanism.size() - kIpc.size());
    for (const BenchmarkResult& raw : run.results) {
      if (raw.kind == "wrapper" && raw.mechanism == path + std::string(kRaw) &&
          raw.size == ipc.size && HasUsableMedian(raw)) {
        ratios.push_back({path, ipc.size, *ipc.median / *raw.median});
        break;
      }
    }
  }
  return ratios;
}

std::vector<std::string> LeftOutResults(const BenchmarkRun& run,
                                        std::string_view kind) {
  std::vector<std::string> left_out;
  for (const BenchmarkResult& result : run.results) {
    if (result.kind != kind) continue;
    const std::string where =
        result.mechanism + " at " + FormatSize(result.size);
    if (!result.skipped.empty()) {
      left_out.push_back(where + ": skipped: " + result.skipped);
    } else if (!HasUsableMedian(result)) {
      left_out.push_back(where + ": no usable median (" +
                         (result.median ? fmt::format("{}", *result.median)
                                        : std::string("none")) +
                         "), not drawn");
    }
  }
  return left_out;
}

std::string BenchmarkChartSvg(const BenchmarkRun& run, std::string_view kind) {
  const std::vector<Series> series = SeriesOf(run, kind);
  if (series.empty()) return "";
  const bool throughput = kind == kThroughput;
  const std::string unit =
      kind == kLatency ? "ns"
      : throughput     ? "bytes_per_second"
                       : [&] {
                       for (const BenchmarkResult& r : run.results) {
                         if (r.kind == kind) return r.unit;
                       }
                       return std::string();
                     }();

  int64_t size_min = INT64_MAX, size_max = 0;
  for (const Series& s : series) {
    size_min = std::min(size_min, s.points.front().size);
    size_max = std::max(size_max, s.points.back().size);
  }
  // The limit over the sizes the channels were measured at.
  std::vector<Point> limit;
  if (throughput) {
    const std::vector<Series> memcpy = SeriesOf(run, kMemcpy, kSingleCore);
    if (!memcpy.empty()) {
      for (const Point& point : memcpy.front().points) {
        if (point.size >= size_min && point.size <= size_max) {
          limit.push_back(point);
        }
      }
    }
  }
  std::vector<Point> half_limit = limit;
  for (Point& point : half_limit) point.value /= 2;

  std::set<int64_t> sizes;
  double value_min = INFINITY, value_max = 0;
  const auto include = [&](const std::vector<Point>& points) {
    for (const Point& point : points) {
      sizes.insert(point.size);
      value_min = std::min(value_min, point.value);
      value_max = std::max(value_max, point.value);
    }
  };
  for (const Series& s : series) include(s.points);
  include(limit);
  include(half_limit);

  Axes axes;
  axes.x_min = std::log2(static_cast<double>(*sizes.begin())) - 0.5;
  axes.x_max = std::log2(static_cast<double>(*sizes.rbegin())) + 0.5;
  axes.decade_min = static_cast<int>(std::floor(std::log10(value_min)));
  axes.decade_max = static_cast<int>(std::ceil(std::log10(value_max)));
  if (axes.decade_max <= axes.decade_min) axes.decade_max = axes.decade_min + 1;

  const size_t legend_rows = series.size() + (limit.empty() ? 0 : 2);
  const int width = 900;
  const int height =
      std::max(440, static_cast<int>(axes.top + 22 * legend_rows + 20));

  const std::string title =
      kind == kLatency ? "Latency: median round trip per mechanism and size"
      : throughput ? "Throughput: one-way bytes per second per mechanism and "
                     "size, with the memcpy limit"
                   : std::string(kind) + " per mechanism and size";
  std::string svg = fmt::format(
      "<svg class=\"bench-chart\" data-kind=\"{}\" role=\"img\" "
      "aria-label=\"{}; log-log axes; {} mechanism(s): {}. The table below "
      "holds the same figures.\" viewBox=\"0 0 {} {}\" width=\"{}\" "
      "height=\"{}\" font-family=\"system-ui, sans-serif\" "
      "font-size=\"12\">\n",
      HtmlEscape(kind), HtmlEscape(title), series.size(), HtmlEscape([&] {
        std::string names;
        for (const Series& s : series) {
          if (!names.empty()) names += ", ";
          names += s.name;
        }
        return names;
      }()),
      width, height, width, height);

  // Grid and ticks: a line per decade of the value, a tick per size.
  svg += "<g class=\"axes\" stroke=\"#d0d4d9\" stroke-width=\"1\">\n";
  for (int decade = axes.decade_min; decade <= axes.decade_max; ++decade) {
    const double y = axes.Y(std::pow(10.0, decade));
    svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" />\n",
                       Coordinate(axes.left), Coordinate(y),
                       Coordinate(axes.right), Coordinate(y));
  }
  for (int64_t size : sizes) {
    const double x = axes.X(size);
    svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" />\n",
                       Coordinate(x), Coordinate(axes.top), Coordinate(x),
                       Coordinate(axes.bottom));
  }
  svg += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" "
      "stroke=\"#5f6368\" />\n</g>\n",
      Coordinate(axes.left), Coordinate(axes.top),
      Coordinate(axes.right - axes.left), Coordinate(axes.bottom - axes.top));
  svg += "<g class=\"tick-labels\" fill=\"#1d1d1f\">\n";
  for (int decade = axes.decade_min; decade <= axes.decade_max; ++decade) {
    const double value = std::pow(10.0, decade);
    svg +=
        fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                    Coordinate(axes.left - 6), Coordinate(axes.Y(value) + 4),
                    HtmlEscape(FormatTick(value, unit)));
  }
  for (int64_t size : sizes) {
    svg += fmt::format(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
        Coordinate(axes.X(size)), Coordinate(axes.bottom + 16),
        HtmlEscape(FormatSize(size)));
  }
  svg += "</g>\n";
  // Axis titles.
  svg += fmt::format(
      "<text class=\"axis-title\" x=\"{}\" y=\"{}\" "
      "text-anchor=\"middle\">message size (log scale; binary units, 1 KiB = "
      "1024 B)</text>\n",
      Coordinate((axes.left + axes.right) / 2), Coordinate(axes.bottom + 38));
  const std::string y_title =
      kind == kLatency ? "median round trip (log scale)"
      : throughput     ? "one-way throughput (log; 1 GB/s = 10^9 B/s)"
                       : "median (log scale)";
  svg += fmt::format(
      "<text class=\"axis-title\" x=\"{0}\" y=\"{1}\" text-anchor=\"middle\" "
      "transform=\"rotate(-90 {0} {1})\">{2}</text>\n",
      Coordinate(18), Coordinate((axes.top + axes.bottom) / 2),
      HtmlEscape(y_title));

  // The limit first, so the channels are drawn over it.
  if (!limit.empty()) {
    svg += Polyline(axes, limit,
                    "class=\"limit\" data-limit=\"memcpy\" stroke=\"#000000\" "
                    "stroke-width=\"2.5\"");
    svg += Polyline(axes, half_limit,
                    "class=\"limit\" data-limit=\"memcpy-half\" "
                    "stroke=\"#000000\" stroke-width=\"2\" "
                    "stroke-dasharray=\"9 5\"");
    const auto label = [&](const std::vector<Point>& points,
                           std::string_view text, std::string_view limit_name,
                           std::string_view tooltip_name) {
      // Right of the last point, past the end of every line, so the text
      // crosses none; the white halo keeps it readable over a marker.
      const Point& last = points.back();
      svg += fmt::format(
          "<text class=\"limit-label\" x=\"{}\" y=\"{}\" "
          "font-weight=\"600\" stroke=\"#ffffff\" stroke-width=\"3\" "
          "paint-order=\"stroke\">{}</text>\n",
          Coordinate(axes.X(last.size) + 8), Coordinate(axes.Y(last.value) + 4),
          HtmlEscape(text));
      for (const Point& point : points) {
        svg += fmt::format(
            "<g class=\"limit-point\" data-limit=\"{}\"><title>{}</title>"
            "<circle cx=\"{}\" cy=\"{}\" r=\"2.5\" fill=\"#000000\" /></g>\n",
            limit_name,
            HtmlEscape(
                Tooltip(std::string(tooltip_name), point, "bytes_per_second")),
            Coordinate(axes.X(point.size)), Coordinate(axes.Y(point.value)));
      }
    };
    label(limit, "memcpy", "memcpy", "memcpy/single_core");
    label(half_limit, "memcpy / 2", "memcpy-half", "memcpy/single_core / 2");
  }

  for (size_t i = 0; i < series.size(); ++i) {
    const Series& s = series[i];
    const SeriesStyle style = StyleOf(i);
    std::string attributes = fmt::format(
        "class=\"series\" data-mechanism=\"{}\" stroke=\"{}\" "
        "stroke-width=\"1.8\"",
        HtmlEscape(s.name), std::string(style.colour));
    if (!style.dash.empty()) {
      attributes +=
          fmt::format(" stroke-dasharray=\"{}\"", std::string(style.dash));
    }
    svg += Polyline(axes, s.points, attributes);
    for (const Point& point : s.points) {
      svg += fmt::format(
          "<g class=\"point\" data-mechanism=\"{}\" data-size=\"{}\">"
          "<title>{}</title>{}{}</g>\n",
          HtmlEscape(s.name), point.size,
          HtmlEscape(Tooltip(s.name, point, unit)),
          ErrorBar(axes, point, style.colour),
          Marker(style.shape, axes.X(point.size), axes.Y(point.value),
                 style.colour));
    }
  }

  // The legend, right of the plot: every mechanism drawn, then the limits.
  svg += "<g class=\"legend\">\n";
  double y = axes.top + 8;
  const double x = axes.right + 100;
  for (size_t i = 0; i < series.size(); ++i) {
    const SeriesStyle style = StyleOf(i);
    svg += fmt::format(
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" "
        "stroke-width=\"1.8\"{} />",
        Coordinate(x), Coordinate(y), Coordinate(x + 30), Coordinate(y),
        std::string(style.colour),
        style.dash.empty()
            ? std::string()
            : fmt::format(" stroke-dasharray=\"{}\"", std::string(style.dash)));
    svg += Marker(style.shape, x + 15, y, style.colour);
    svg +=
        fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", Coordinate(x + 38),
                    Coordinate(y + 4), HtmlEscape(series[i].name));
    y += 22;
  }
  if (!limit.empty()) {
    svg += fmt::format(
        "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#000000\" "
        "stroke-width=\"2.5\" /><text x=\"{3}\" y=\"{4}\">memcpy, one "
        "core</text>\n",
        Coordinate(x), Coordinate(y), Coordinate(x + 30), Coordinate(x + 38),
        Coordinate(y + 4));
    y += 22;
    svg += fmt::format(
        "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#000000\" "
        "stroke-width=\"2\" stroke-dasharray=\"9 5\" /><text x=\"{3}\" "
        "y=\"{4}\">memcpy / 2: two copies</text>\n",
        Coordinate(x), Coordinate(y), Coordinate(x + 30), Coordinate(x + 38),
        Coordinate(y + 4));
  }
  svg += "</g>\n</svg>\n";
  return svg;
}

namespace {

std::string Cell(const BenchmarkResult* result) {
  if (result == nullptr) return "<td class=\"number\">—</td>";
  return "<td class=\"number\">" + HtmlEscape(CellText(*result)) + "</td>";
}

std::string SizeHeader(int64_t size) {
  return size == 0 ? std::string("no size") : FormatSize(size);
}

// A table of `table`'s grid, mechanism rows by size columns, each cell the
// <td> that `cell` makes of a result (nullptr where there is none).
void WriteGridHtml(
    const BenchmarkTable& table, std::string_view css_class,
    const std::function<std::string(const BenchmarkResult*)>& cell,
    std::string& html) {
  html += "<table class=\"" + std::string(css_class) +
          "\">\n<tr><th>mechanism</th>";
  for (int64_t size : table.sizes) {
    html += "<th>" + HtmlEscape(SizeHeader(size)) + "</th>";
  }
  html += "</tr>\n";
  for (size_t m = 0; m < table.mechanisms.size(); ++m) {
    html +=
        "<tr><th scope=\"row\">" + HtmlEscape(table.mechanisms[m]) + "</th>";
    for (const BenchmarkResult* result : table.cells[m]) html += cell(result);
    html += "</tr>\n";
  }
  html += "</table>\n";
}

void WriteTableHtml(const BenchmarkTable& table, std::string& html) {
  WriteGridHtml(table, "bench", Cell, html);
}

void WriteRatioTableHtml(const BenchmarkRun& run, const BenchmarkTable& table,
                         std::string& html) {
  html +=
      "<p>Throughput as a fraction of memcpy/single_core / 2 at the same size "
      "(a channel that copies twice cannot exceed 1):</p>\n";
  WriteGridHtml(
      table, "bench ratio",
      [&run](const BenchmarkResult* result) {
        const std::optional<double> ratio =
            result == nullptr ? std::nullopt : RatioToHalfMemcpy(run, *result);
        return "<td class=\"number\">" +
               (ratio ? fmt::format("{:.2f}", *ratio) : std::string("—")) +
               "</td>";
      },
      html);
}

void WriteLeftOut(const BenchmarkRun& run, std::string_view kind,
                  std::string& html) {
  const std::vector<std::string> left_out = LeftOutResults(run, kind);
  if (left_out.empty()) return;
  html += "<p>Not drawn:</p>\n<ul class=\"bench-skipped\">\n";
  for (const std::string& line : left_out) {
    html += "<li>" + HtmlEscape(OneLine(TrimMessage(line, 5, 600))) + "</li>\n";
  }
  html += "</ul>\n";
}

// A relative path inside the report directory may be a link; anything else
// (a scheme, an absolute path, "//") is shown as text, so the page names no
// URL that leaves it.
bool SafeRelativeLink(const std::string& path) {
  return !path.empty() && path.front() != '/' &&
         path.find(':') == std::string::npos &&
         path.find("//") == std::string::npos &&
         path.find_first_of("\"'<>& \\?#") == std::string::npos;
}

}  // namespace

std::string BenchmarkSectionBodyHtml(const BenchmarkRun& run,
                                     std::string_view heading) {
  std::string html;
  if (!run.unusable.empty()) {
    html +=
        "<div class=\"bench-unusable\" role=\"alert\"><p>"
        "<strong>These figures decide nothing: " +
        HtmlEscape(run.unusable) + "</strong></p></div>\n";
  }
  const auto row = [&](std::string_view name, const std::string& value_html) {
    html += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", name, value_html);
  };
  html += "<table class=\"run bench-run\">\n";
  row("date", HtmlEscape(run.date));
  row("command", "<code>" + HtmlEscape(run.command) + "</code>");
  row("CPU", HtmlEscape(run.cpu_model));
  row("CPUs online", std::to_string(run.cpus));
  row("pinning", HtmlEscape(run.pinning));
  row("IPC namespace", HtmlEscape(run.ipc_namespace));
  row("repetitions", std::to_string(run.repetitions));
  row("smoke run", run.smoke
                       ? "yes: each benchmark once at its smallest size; these "
                         "figures show that it runs, never how fast"
                       : "no");
  row("wall time", fmt::format("{:.1f} s", run.seconds));
  row("figures", SafeRelativeLink(run.file)
                     ? "<a href=\"" + run.file + "\"><code>" +
                           HtmlEscape(run.file) + "</code></a>"
                     : "<code>" + HtmlEscape(run.file) + "</code>");
  html += "</table>\n";

  const std::vector<BenchmarkTable> tables = BenchmarkTables(run);
  const auto table_of = [&](std::string_view kind) -> const BenchmarkTable* {
    for (const BenchmarkTable& table : tables) {
      if (table.kind == kind) return &table;
    }
    return nullptr;
  };
  for (std::string_view kind : {kLatency, kThroughput}) {
    const bool latency = kind == kLatency;
    html += fmt::format("<{0}>{1}</{0}>\n", heading,
                        latency ? "Latency: median round trip"
                                : "Throughput: one way, with the memcpy limit");
    const BenchmarkTable* table = table_of(kind);
    const std::string svg = BenchmarkChartSvg(run, kind);
    if (svg.empty()) {
      html += fmt::format(
          "<p class=\"bench-none\">No chart: this run has no {} result that "
          "can be drawn{}.</p>\n",
          kind,
          table == nullptr ? "" : " (every one skipped or without a median)");
    } else {
      html += "<figure class=\"bench\">\n" + svg;
      bool any_memcpy = false;
      for (int64_t size : table->sizes) {
        any_memcpy = any_memcpy || MemcpyAt(run, size) != nullptr;
      }
      if (!latency && !any_memcpy) {
        html +=
            "<figcaption>No memcpy/single_core figure at these sizes: the "
            "limit is not drawn.</figcaption>\n";
      } else {
        html += fmt::format(
            "<figcaption>{} per mechanism by message size, log-log; each "
            "point's tooltip gives the median and its cv, the bar spans "
            "median ± cv.</figcaption>\n",
            latency ? "Median round trip (two processes, ping-pong)"
                    : "One-way throughput (decimal units)");
      }
      html += "</figure>\n";
    }
    if (table == nullptr) continue;
    WriteLeftOut(run, kind, html);
    html += fmt::format(
        "<details class=\"bench-table\"><summary>The {} figures as a table "
        "(median ±cv)</summary>\n",
        kind);
    WriteTableHtml(*table, html);
    if (!latency) WriteRatioTableHtml(run, *table, html);
    html += "</details>\n";
  }
  for (const BenchmarkTable& table : tables) {
    if (table.kind == kLatency || table.kind == kThroughput) continue;
    const std::string description = KindDescription(table.kind);
    html += fmt::format("<{0}>{1}{2} (median ±cv)</{0}>\n", heading,
                        HtmlEscape(table.kind),
                        description.empty() ? "" : ": " + description);
    WriteTableHtml(table, html);
    if (table.kind == "wrapper") {
      const std::vector<WrapperRatio> ratios = WrapperRatios(run);
      if (!ratios.empty()) {
        html +=
            "<table class=\"bench ratio\">\n<tr><th>path</th><th>size</th>"
            "<th>wrappers / raw</th></tr>\n";
        for (const WrapperRatio& ratio : ratios) {
          html += fmt::format(
              "<tr><th scope=\"row\">{}</th><td class=\"number\">{}</td>"
              "<td class=\"number\">{:.3f}</td></tr>\n",
              HtmlEscape(ratio.path), HtmlEscape(FormatSize(ratio.size)),
              ratio.ratio);
        }
        html += "</table>\n";
      }
    }
    const std::vector<std::string> skipped = LeftOutResults(run, table.kind);
    if (!skipped.empty()) {
      html += "<ul class=\"bench-skipped\">\n";
      for (const std::string& line : skipped) {
        html +=
            "<li>" + HtmlEscape(OneLine(TrimMessage(line, 5, 600))) + "</li>\n";
      }
      html += "</ul>\n";
    }
  }
  return html;
}

}  // namespace ipcproof::verify
