#include "conformance/kit/time_scale.h"

#include <cstdlib>

#include "conformance/runner/wire.h"

namespace ipcproof {
namespace {

// Whole seconds as "N s", anything else as "N ms".
std::string Duration(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
  return std::to_string(d.count()) + " ms";
}

}  // namespace

int TimeScale() {
  const char* value = std::getenv(internal::kTimeScaleEnv);
  if (value == nullptr) return 1;
  const int scale = internal::ParseTimeScale(value);
  return scale == 0 ? 1 : scale;
}

std::chrono::milliseconds ScaledTimeout(std::chrono::milliseconds base) {
  return base * TimeScale();
}

std::chrono::milliseconds UnscaledTimeLeft(
    std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return std::chrono::milliseconds(0);
  const int scale = TimeScale();
  return std::chrono::milliseconds((left.count() + scale - 1) / scale);
}

std::string DescribeScaledTimeout(std::chrono::milliseconds base) {
  const int scale = TimeScale();
  if (scale == 1) return Duration(base);
  return Duration(ScaledTimeout(base)) + " (" + Duration(base) +
         " × time scale " + std::to_string(scale) + ")";
}

}  // namespace ipcproof
