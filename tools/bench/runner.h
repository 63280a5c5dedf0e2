// The benchmark runner (its options and exit status: command_line.cc's
// --help): runs each benchmark binary, merges their JSON into
// OUT/benchmarks.json and prints the tables. A library so that its test
// can run it in process against a sample binary.
#ifndef TOOLS_BENCH_RUNNER_H_
#define TOOLS_BENCH_RUNNER_H_

namespace ipcproof::bench {

// main()'s body: 0, 1 or 2 as EXIT STATUS says.
int BenchMain(int argc, char** argv);

}  // namespace ipcproof::bench

#endif  // TOOLS_BENCH_RUNNER_H_
