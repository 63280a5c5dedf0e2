#include "tools/bench/table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ipcproof::bench {
namespace {

using ::testing::HasSubstr;

Result Figure(const std::string& kind, const std::string& mechanism,
              int64_t size, const std::string& unit, double median) {
  Result result;
  result.name = {kind, mechanism, size};
  result.unit = unit;
  result.median = median;
  result.mean = median;
  result.cv = 0.012;
  result.repetitions = 5;
  return result;
}

TEST(TableTest, Labels) {
  EXPECT_EQ(SizeLabel(64), "64");
  EXPECT_EQ(SizeLabel(16384), "16K");
  EXPECT_EQ(SizeLabel(1048576), "1M");
  EXPECT_EQ(SizeLabel(1000), "1000");
  EXPECT_EQ(FigureLabel(812, "ns"), "812 ns");
  EXPECT_EQ(FigureLabel(12345, "ns"), "12.3 us");
  EXPECT_EQ(FigureLabel(3.41e9, "bytes_per_second"), "3.41 GB/s");
  EXPECT_EQ(FigureLabel(8.12e8, "bytes_per_second"), "812 MB/s");
}

TEST(TableTest, KindsRatiosAndSkips) {
  std::vector<Result> results = {
      Figure("latency", "pipe", 64, "ns", 5000),
      Figure("throughput", "pipe", 64, "bytes_per_second", 1e9),
      Figure("memcpy", "single_core", 64, "bytes_per_second", 8e9),
      Figure("wrapper", "pipe_raw", 64, "ns", 1000),
      Figure("wrapper", "pipe_ipc", 64, "ns", 1010),
  };
  Result skipped =
      Figure("throughput", "sysv_msg", 1048576, "bytes_per_second", 0);
  skipped.skipped = "msgmax is 8192";
  results.push_back(skipped);
  const std::string text = FormatTables(results);
  EXPECT_THAT(text, HasSubstr("latency: median round trip (cv %)"));
  EXPECT_THAT(text, HasSubstr("5 us ±1.2%"));
  // 1 GB/s against 8 GB/s / 2.
  EXPECT_THAT(text, HasSubstr("throughput / (memcpy/2) at the same size"));
  EXPECT_THAT(text, HasSubstr("0.25"));
  EXPECT_THAT(text, HasSubstr("1.010"));
  EXPECT_THAT(text, HasSubstr("throughput/sysv_msg/1048576: msgmax is 8192"));
  EXPECT_THAT(text, HasSubstr("wrapper cost: ipc/raw time per transfer"));
}

}  // namespace
}  // namespace ipcproof::bench
