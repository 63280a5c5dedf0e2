// main() of every conformance test binary: a program the binary plays
// (runner/programs.h) if asked for one; otherwise gtest and gmock parse their
// flags, then the runner runs each test in a process of its own.
#include "conformance/runner/programs.h"
#include "conformance/runner/supervisor.h"
#include "gmock/gmock.h"

int main(int argc, char** argv) {
  if (const int status = ipcproof::RunProgramIfAsked(argc, argv); status >= 0) {
    return status;
  }
  testing::InitGoogleMock(&argc, argv);
  return ipcproof::RunTests(argc, argv);
}
