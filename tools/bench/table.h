// The table the runner prints: per kind, one row per mechanism and one
// column per size, each cell the median and its spread (cv %); then the
// throughput as a fraction of memcpy/2 at the same size (a channel that
// copies twice cannot beat half of one core's memcpy), the wrappers'
// ipc/raw ratios, and the skips with their reasons. Pure, for tests.
#ifndef TOOLS_BENCH_TABLE_H_
#define TOOLS_BENCH_TABLE_H_

#include <string>
#include <vector>

#include "tools/bench/benchmark_output.h"

namespace ipcproof::bench {

// "64", "1K", "256K", "1M": sizes in the table's columns.
std::string SizeLabel(int64_t size);

// "812 ns", "12.3 us", "1.52 ms"; "3.41 GB/s", "812 MB/s" (decimal units).
std::string FigureLabel(double value, const std::string& unit);

std::string FormatTables(const std::vector<Result>& results);

}  // namespace ipcproof::bench

#endif  // TOOLS_BENCH_TABLE_H_
