// Programs the test binary plays itself, so a test that needs "another
// program" (an exec'd reader, a cat, a writer that shares nothing but a path
// with the test) depends on no host binary: a minimal guest kernel's
// initramfs may have no /bin/sh and no cat.
//
//   IPCPROOF_PROGRAM(fifo_cat) {            // int (int argc, char** argv)
//     ...                                   // argv[0] is the program name
//     return 0;
//   }
//   ...
//   ipc::ChildProcess::Fork([&] {
//     ExecProgram("fifo_cat", {path.c_str()});  // returns only on failure
//     return 127;
//   });
//
// main() (runner/main.cc) runs the program instead of any test when argv[1]
// is "--ipcproof_program=NAME"; the rest of argv goes to the program. The
// runner only dispatches by name: it knows no program.
#ifndef CONFORMANCE_RUNNER_PROGRAMS_H_
#define CONFORMANCE_RUNNER_PROGRAMS_H_

#include <initializer_list>

namespace ipcproof {

using ProgramMain = int (*)(int argc, char** argv);

// Registers `main` under `name`; for IPCPROOF_PROGRAM. Returns true.
bool RegisterProgram(const char* name, ProgramMain main);

// If argv[1] names a registered program, runs it and returns its exit
// status; otherwise returns -1 and leaves argv alone.
int RunProgramIfAsked(int argc, char** argv);

// execv of this same binary (/proc/self/exe) as program `name` with
// `args`. Async-signal-safe (no allocation; at most 30 arguments): for use
// in a forked child. Returns only on failure, with errno set.
void ExecProgram(const char* name, std::initializer_list<const char*> args);

}  // namespace ipcproof

#define IPCPROOF_PROGRAM(name)                                            \
  static int IpcproofProgram_##name(int argc, char** argv);               \
  [[maybe_unused]] static const bool ipcproof_program_registered_##name = \
      ::ipcproof::RegisterProgram(#name, IpcproofProgram_##name);         \
  static int IpcproofProgram_##name([[maybe_unused]] int argc,            \
                                    [[maybe_unused]] char** argv)

#endif  // CONFORMANCE_RUNNER_PROGRAMS_H_
