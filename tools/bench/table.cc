#include "tools/bench/table.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>

namespace ipcproof::bench {
namespace {

// Rows (mechanisms, in order of first appearance) × columns (sizes,
// ascending) of text cells.
struct Grid {
  std::string title;
  std::vector<std::string> rows;
  std::set<int64_t> sizes;
  std::map<std::pair<std::string, int64_t>, std::string> cells;

  void Put(const std::string& row, int64_t size, std::string cell) {
    if (std::find(rows.begin(), rows.end(), row) == rows.end()) {
      rows.push_back(row);
    }
    sizes.insert(size);
    cells[{row, size}] = std::move(cell);
  }

  std::string Text() const {
    if (rows.empty()) return "";
    size_t first = 0;
    for (const std::string& row : rows) first = std::max(first, row.size());
    std::map<int64_t, size_t> widths;
    for (int64_t size : sizes) {
      size_t width = SizeLabel(size).size();
      for (const std::string& row : rows) {
        const auto cell = cells.find({row, size});
        if (cell != cells.end()) width = std::max(width, cell->second.size());
      }
      widths[size] = width;
    }
    std::string text = title + "\n";
    text += fmt::format("  {:<{}}", "", first);
    for (int64_t size : sizes) {
      text += fmt::format("  {:>{}}", SizeLabel(size), widths[size]);
    }
    text += "\n";
    for (const std::string& row : rows) {
      text += fmt::format("  {:<{}}", row, first);
      for (int64_t size : sizes) {
        const auto cell = cells.find({row, size});
        text += fmt::format(
            "  {:>{}}", cell != cells.end() ? cell->second : "-", widths[size]);
      }
      text += "\n";
    }
    return text + "\n";
  }
};

std::string KindTitle(const std::string& kind, const std::string& unit) {
  if (kind == "latency") return "latency: median round trip (cv %)";
  if (kind == "throughput") return "throughput: median one-way (cv %)";
  const std::string what =
      unit == "ns" ? "median time per iteration" : "median bytes per second";
  return kind + ": " + what + " (cv %)";
}

std::string Cell(const Result& result) {
  if (result.skipped) return "skipped";
  std::string cell = FigureLabel(result.median, result.unit);
  if (result.cv) cell += fmt::format(" ±{:.1f}%", *result.cv * 100);
  return cell;
}

const Result* Find(const std::vector<Result>& results, const std::string& kind,
                   const std::string& mechanism, int64_t size) {
  for (const Result& result : results) {
    if (result.name.kind == kind && result.name.mechanism == mechanism &&
        result.name.size == size && !result.skipped) {
      return &result;
    }
  }
  return nullptr;
}

bool EndsWith(const std::string& text, const std::string& end) {
  return text.size() >= end.size() &&
         text.compare(text.size() - end.size(), end.size(), end) == 0;
}

}  // namespace

std::string SizeLabel(int64_t size) {
  if (size >= (1 << 20) && size % (1 << 20) == 0) {
    return std::to_string(size >> 20) + "M";
  }
  if (size >= 1024 && size % 1024 == 0) return std::to_string(size >> 10) + "K";
  return std::to_string(size);
}

std::string FigureLabel(double value, const std::string& unit) {
  if (unit == "bytes_per_second") {
    if (value >= 1e9) return fmt::format("{:.3g} GB/s", value / 1e9);
    if (value >= 1e6) return fmt::format("{:.3g} MB/s", value / 1e6);
    return fmt::format("{:.3g} kB/s", value / 1e3);
  }
  if (value >= 1e6) return fmt::format("{:.3g} ms", value / 1e6);
  if (value >= 1e3) return fmt::format("{:.3g} us", value / 1e3);
  return fmt::format("{:.3g} ns", value);
}

std::string FormatTables(const std::vector<Result>& results) {
  std::vector<std::string> kinds;
  for (const Result& result : results) {
    if (std::find(kinds.begin(), kinds.end(), result.name.kind) ==
        kinds.end()) {
      kinds.push_back(result.name.kind);
    }
  }
  std::string text;
  for (const std::string& kind : kinds) {
    Grid grid;
    for (const Result& result : results) {
      if (result.name.kind != kind) continue;
      if (grid.title.empty()) grid.title = KindTitle(kind, result.unit);
      grid.Put(result.name.mechanism, result.name.size, Cell(result));
    }
    text += grid.Text();
  }

  // Throughput against the bound: memcpy/2 at the same size.
  Grid bound;
  bound.title = "throughput / (memcpy/2) at the same size";
  for (const Result& result : results) {
    if (result.name.kind != "throughput") continue;
    const Result* memcpy_result =
        Find(results, "memcpy", "single_core", result.name.size);
    if (result.skipped) {
      bound.Put(result.name.mechanism, result.name.size, "skipped");
    } else if (memcpy_result != nullptr && memcpy_result->median > 0) {
      bound.Put(
          result.name.mechanism, result.name.size,
          fmt::format("{:.2f}", result.median / (memcpy_result->median / 2)));
    }
  }
  text += bound.Text();

  // Wrappers: wrapper/<path>_ipc/<size> over wrapper/<path>_raw/<size>.
  Grid wrappers;
  wrappers.title = "wrapper cost: ipc/raw time per transfer (1.00 = none)";
  for (const Result& result : results) {
    if (result.name.kind != "wrapper" ||
        !EndsWith(result.name.mechanism, "_ipc")) {
      continue;
    }
    const std::string path = result.name.mechanism.substr(
        0, result.name.mechanism.size() - std::string("_ipc").size());
    const Result* raw =
        Find(results, "wrapper", path + "_raw", result.name.size);
    if (result.skipped || raw == nullptr) {
      wrappers.Put(path, result.name.size, "skipped");
    } else if (raw->median > 0) {
      wrappers.Put(path, result.name.size,
                   fmt::format("{:.3f}", result.median / raw->median));
    }
  }
  text += wrappers.Text();

  std::string skips;
  for (const Result& result : results) {
    if (result.skipped) {
      skips += "  " + result.name.Text() + ": " + *result.skipped + "\n";
    }
  }
  if (!skips.empty()) text += "skipped:\n" + skips;
  return text;
}

}  // namespace ipcproof::bench
