// main() of every conformance test binary: gtest and gmock parse their flags,
// then the supervisor runs each test in a process of its own.
#include "conformance/runner/supervisor.h"
#include "gmock/gmock.h"

int main(int argc, char** argv) {
  testing::InitGoogleMock(&argc, argv);
  return ipcproof::RunTests(argc, argv);
}
