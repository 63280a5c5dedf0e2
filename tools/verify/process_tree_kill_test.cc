#include "tools/verify/process_tree_kill.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcproof::verify {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(DescendantsTest, FollowsEveryGenerationAndNothingElse) {
  // 10 -> 11 -> 13 -> 14; 10 -> 12; 20 is unrelated; 1 is init.
  const std::map<pid_t, pid_t> parents = {{11, 10}, {12, 10}, {13, 11},
                                          {14, 13}, {20, 1},  {10, 1}};
  EXPECT_THAT(Descendants(10, parents), ElementsAre(11, 12, 13, 14));
  EXPECT_THAT(Descendants(14, parents), IsEmpty());
}

// The case the conformance runner makes: the supervisor's test runs in a
// process group of its own, so killing the supervisor's group alone would
// leave it.
TEST(KillProcessTreeTest, KillsAGrandchildInAnotherProcessGroup) {
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::setpgid(0, 0);
    const pid_t grandchild = ::fork();
    if (grandchild == 0) {
      ::setpgid(0, 0);
      for (int i = 0; i < 600; ++i) ::pause();
      ::_exit(0);
    }
    [[maybe_unused]] ssize_t n =
        ::write(report[1], &grandchild, sizeof grandchild);
    for (int i = 0; i < 600; ++i) ::pause();
    ::_exit(0);
  }
  ::close(report[1]);
  pid_t grandchild = 0;
  ASSERT_EQ(::read(report[0], &grandchild, sizeof grandchild),
            static_cast<ssize_t>(sizeof grandchild));
  ::close(report[0]);

  KillProcessTree(child);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  // The grandchild was re-parented once the child died; it is gone (or a
  // zombie of whoever reaps orphans) within a short, bounded wait.
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    char state = '?';
    FILE* stat = std::fopen(
        ("/proc/" + std::to_string(grandchild) + "/stat").c_str(), "r");
    if (stat == nullptr) {
      gone = true;
      break;
    }
    const int read = std::fscanf(stat, "%*d (%*[^)]) %c", &state);
    std::fclose(stat);
    gone = read == 1 && (state == 'Z' || state == 'X');
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(gone) << "grandchild " << grandchild << " still runs";
  ::kill(grandchild, SIGKILL);  // in case the assertion above failed
}

}  // namespace
}  // namespace ipcproof::verify
