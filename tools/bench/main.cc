// tools/bazel run -c opt //tools/bench -- --help
#include "tools/bench/runner.h"

int main(int argc, char** argv) {
  return ipcproof::bench::BenchMain(argc, argv);
}
