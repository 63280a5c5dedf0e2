#include "tools/verify/requirements.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/verify/verify_error.h"

namespace ipcproof::verify {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::ThrowsMessage;

// The shapes of the real files: comments, blank lines, every kind.
constexpr char kMq[] = R"(# What the tests of conformance/mq need.

# Kernel options (kselftest config style).
CONFIG_SYSVIPC=y
CONFIG_POSIX_MQUEUE=y
# Optional: without CAP_SYS_ADMIN, a user namespace
# gives the read-only bind mount.
CONFIG_USER_NS=y
CONFIG_IPC_NS=y

syscall mq_open 2.6.6
syscall msgget 2.0
feature MSG_COPY 3.8 msgrcv by position without removing
sysctl fs/mqueue/msg_max
file /proc/sysvipc/msg
capability CAP_SYS_RESOURCE optional msg_qbytes above msgmnb
)";

constexpr char kSocket[] = R"(CONFIG_UNIX=y
CONFIG_VETH=y
syscall socketpair 2.0
)";

std::vector<FolderRequirements> Both() {
  return {ParseRequirements(kMq, "conformance/mq"),
          ParseRequirements(kSocket, "conformance/socket")};
}

KernelConfig Config(const std::string& text) {
  return ParseKernelConfig(text, "package boot/config-6.1.0-57-cloud-amd64");
}

constexpr char kFullConfig[] =
    "CONFIG_SYSVIPC=y\nCONFIG_POSIX_MQUEUE=y\nCONFIG_USER_NS=y\n"
    "CONFIG_IPC_NS=y\nCONFIG_UNIX=y\nCONFIG_VETH=m\n";

TEST(ParseRequirementsTest, ReadsOptionsAndSystemCallsWithTheirLines) {
  const FolderRequirements mq = ParseRequirements(kMq, "conformance/mq");
  EXPECT_EQ(mq.file, "conformance/mq/requirements");
  ASSERT_EQ(mq.options.size(), 4u);
  EXPECT_EQ(mq.options[0].option, "CONFIG_SYSVIPC");
  EXPECT_EQ(mq.options[0].value, 'y');
  EXPECT_EQ(mq.options[0].line, 4);
  EXPECT_FALSE(mq.options[1].optional);
  // "# Optional:" heads the comment right above: that line only.
  EXPECT_TRUE(mq.options[2].optional);
  EXPECT_FALSE(mq.options[3].optional);
  ASSERT_EQ(mq.syscalls.size(), 2u);
  EXPECT_EQ(mq.syscalls[0].name, "mq_open");
  EXPECT_EQ(mq.syscalls[0].version, "2.6.6");
  EXPECT_EQ(mq.syscalls[0].line, 11);
}

TEST(ParseRequirementsTest, MalformedLinesNameFileAndLine) {
  EXPECT_THAT(
      [] { ParseRequirements("\nCONFIG_SYSVIPC=Y\n", "conformance/x"); },
      ThrowsMessage<InfrastructureError>(
          HasSubstr("conformance/x/requirements:2: not CONFIG_NAME=y|m|n")));
  EXPECT_THAT([] { ParseRequirements("CONFIG_SYSVIPC\n", "conformance/x"); },
              ThrowsMessage<InfrastructureError>(
                  HasSubstr("conformance/x/requirements:1:")));
  EXPECT_THAT([] { ParseRequirements("syscall mq_open\n", "conformance/x"); },
              ThrowsMessage<InfrastructureError>(HasSubstr(
                  "conformance/x/requirements:1: expected: syscall NAME")));
  EXPECT_THAT(
      [] { ParseRequirements("syscall mq_open 2.6.x\n", "conformance/x"); },
      ThrowsMessage<InfrastructureError>(HasSubstr("syscall NAME VERSION")));
}

TEST(LoadRequirementsTest, ReadsEveryRealFolderFile) {
  // This test's data are the real files, under its runfiles directory.
  const std::vector<FolderRequirements> all = LoadRequirements(
      ".", {"conformance/mq", "conformance/pipe", "conformance/mq",
            "conformance/no-such-folder", "/abs/fake/bin", ""});
  ASSERT_EQ(all.size(), 2u);  // each once; none for a folder without a file
  EXPECT_EQ(all[0].folder, "conformance/mq");
  EXPECT_EQ(all[1].folder, "conformance/pipe");
  EXPECT_FALSE(all[0].options.empty());
  EXPECT_FALSE(all[0].syscalls.empty());
  // pipe's CONFIG_USER_NS carries the "Optional:" comment.
  bool optional_user_ns = false;
  for (const OptionRequirement& option : all[1].options) {
    if (option.option == "CONFIG_USER_NS") optional_user_ns = option.optional;
  }
  EXPECT_TRUE(optional_user_ns);
}

TEST(FolderOfTest, IsTheDirectory) {
  EXPECT_EQ(FolderOf("conformance/mq/posix_mq_test"), "conformance/mq");
  EXPECT_EQ(FolderOf("alpha"), "");
  EXPECT_EQ(ModuleForOption("CONFIG_VETH"), "veth");
  EXPECT_EQ(ModuleForOption("CONFIG_NET_SCH_NETEM"), "net_sch_netem");
}

TEST(CheckRequirementsTest, AMissingOptionBlocksItsFolderNamingIt) {
  KernelFacts facts;
  facts.label = "linux-6.1";
  facts.config = Config(
      "CONFIG_SYSVIPC=y\n# CONFIG_POSIX_MQUEUE is not set\nCONFIG_UNIX=y\n"
      "CONFIG_VETH=y\nCONFIG_IPC_NS=y\n");
  const RequirementsCheck check = CheckRequirements(Both(), facts);
  EXPECT_EQ(
      check.Missing("conformance/mq"),
      "linux-6.1 lacks CONFIG_POSIX_MQUEUE (conformance/mq/requirements)");
  EXPECT_EQ(check.Missing("conformance/socket"), "");
  // CONFIG_USER_NS is absent too, but optional: a note, not a block.
  ASSERT_NE(check.Find("conformance/mq"), nullptr);
  EXPECT_THAT(check.Find("conformance/mq")->missing,
              ElementsAre(HasSubstr("POSIX_MQUEUE")));
  EXPECT_THAT(check.AllNotes(),
              ElementsAre("linux-6.1 lacks CONFIG_USER_NS "
                          "(conformance/mq/requirements, where it is "
                          "optional)"));
  // Before a boot, system calls are not known.
  EXPECT_THAT(check.Modules(), IsEmpty());
}

TEST(CheckRequirementsTest, AModuleOptionIsLoadedWhenItsModuleIsThere) {
  KernelFacts facts;
  facts.label = "linux-6.1";
  facts.config = Config(kFullConfig);
  facts.available_modules = std::vector<std::string>{"veth", "ipv6"};
  RequirementsCheck check = CheckRequirements(Both(), facts);
  EXPECT_THAT(check.AllMissing(), IsEmpty());
  EXPECT_THAT(check.Modules(), ElementsAre("veth"));

  // No modules list at all: the runner is asked anyway and says.
  facts.available_modules.reset();
  EXPECT_THAT(CheckRequirements(Both(), facts).Modules(), ElementsAre("veth"));

  // A list without it: the folder is not run.
  facts.available_modules = std::vector<std::string>{"ipv6"};
  check = CheckRequirements(Both(), facts);
  EXPECT_EQ(check.Missing("conformance/socket"),
            "linux-6.1 has CONFIG_VETH=m, but its modules hold no veth "
            "(conformance/socket/requirements)");
  EXPECT_THAT(check.Modules(), IsEmpty());
}

TEST(CheckRequirementsTest, AfterTheBootAModuleMustHaveLoaded) {
  KernelFacts facts;
  facts.label = "linux-6.1";
  facts.config = Config(kFullConfig);
  facts.booted = true;
  facts.modules_loaded = {"veth"};
  EXPECT_THAT(CheckRequirements(Both(), facts).AllMissing(), IsEmpty());

  facts.modules_loaded = {};
  facts.module_errors = {"veth: finit_module: ENOEXEC"};
  EXPECT_EQ(CheckRequirements(Both(), facts).Missing("conformance/socket"),
            "linux-6.1 could not load veth (CONFIG_VETH=m): veth: "
            "finit_module: ENOEXEC (conformance/socket/requirements)");
  facts.module_errors = {};
  EXPECT_EQ(CheckRequirements(Both(), facts).Missing("conformance/socket"),
            "linux-6.1 did not load veth (CONFIG_VETH=m) "
            "(conformance/socket/requirements)");
}

TEST(CheckRequirementsTest, ASystemCallAnsweringEnosysBlocksItsFolder) {
  KernelFacts facts;
  facts.label = "linux-6.12";
  facts.config = Config(kFullConfig);
  facts.enosys_syscalls = {"mq_open"};
  // Known only after the boot.
  EXPECT_THAT(CheckRequirements(Both(), facts).AllMissing(), IsEmpty());
  facts.booted = true;
  facts.modules_loaded = {"veth"};
  const RequirementsCheck check = CheckRequirements(Both(), facts);
  EXPECT_EQ(check.Missing("conformance/mq"),
            "linux-6.12 answers ENOSYS to mq_open (added in 2.6.6) "
            "(conformance/mq/requirements)");
  EXPECT_EQ(check.Missing("conformance/socket"), "");
}

TEST(CheckRequirementsTest, WithoutAConfigTheGuestsReportsAreProbes) {
  KernelFacts facts;
  facts.label = "bzImage";
  // Before the boot nothing is known, but a module file on disk exists only
  // for an option built as a module: it is loaded.
  facts.available_modules = std::vector<std::string>{"veth"};
  RequirementsCheck check = CheckRequirements(Both(), facts);
  EXPECT_THAT(check.AllMissing(), IsEmpty());
  EXPECT_THAT(check.Modules(), ElementsAre("veth"));

  facts.booted = true;
  facts.filesystems = {"proc", "tmpfs", "devtmpfs"};  // no mqueue
  facts.namespaces = {"mnt", "uts", "ipc", "net"};    // no user
  facts.enosys_syscalls = {"msgget"};
  facts.modules_loaded = {"veth"};
  check = CheckRequirements(Both(), facts);
  EXPECT_THAT(
      check.Find("conformance/mq")->missing,
      ElementsAre("bzImage lacks CONFIG_SYSVIPC: msgget answers ENOSYS "
                  "(conformance/mq/requirements)",
                  "bzImage lacks CONFIG_POSIX_MQUEUE: /proc/filesystems has "
                  "no mqueue (conformance/mq/requirements)",
                  "bzImage answers ENOSYS to msgget (added in 2.0) "
                  "(conformance/mq/requirements)"));
  EXPECT_THAT(check.AllNotes(),
              ElementsAre("bzImage lacks CONFIG_USER_NS: /proc/self/ns has no "
                          "user (conformance/mq/requirements, where it is "
                          "optional)",
                          "bzImage has no config, and no probe tells whether "
                          "it has CONFIG_UNIX: not checked"));
  EXPECT_EQ(check.Missing("conformance/socket"), "");

  // A report the guest did not make proves nothing absent.
  facts.filesystems = {};
  facts.namespaces = {};
  facts.enosys_syscalls = {};
  EXPECT_THAT(CheckRequirements(Both(), facts).AllMissing(), IsEmpty());
}

TEST(CheckRequirementsTest, TheHostLoadsModulesOnDemand) {
  KernelFacts facts;
  facts.label = "host";
  facts.host = true;
  facts.config = Config(kFullConfig);
  const RequirementsCheck check = CheckRequirements(Both(), facts);
  EXPECT_THAT(check.AllMissing(), IsEmpty());
  EXPECT_THAT(check.Modules(), IsEmpty());
  // No config on the host: nothing is checked.
  facts.config.reset();
  EXPECT_THAT(CheckRequirements(Both(), facts).AllMissing(), IsEmpty());
  EXPECT_THAT(CheckRequirements(Both(), facts).AllNotes(), IsEmpty());
}

TEST(CheckRequirementsTest, AnOptionThatMustBeOff) {
  KernelFacts facts;
  facts.label = "k";
  facts.config = Config("CONFIG_X=y\n");
  const RequirementsCheck check = CheckRequirements(
      {ParseRequirements("CONFIG_X=n\n", "conformance/x")}, facts);
  EXPECT_EQ(check.Missing("conformance/x"),
            "k has CONFIG_X=y, which must be unset "
            "(conformance/x/requirements)");
}

TEST(SyscallsToProbeTest, EveryFolderCallAndTheOptionProbesWithoutAConfig) {
  EXPECT_THAT(SyscallsToProbe(Both(), /*config_known=*/true),
              ElementsAre("mq_open", "msgget", "socketpair"));
  // msgget tells CONFIG_SYSVIPC too (already listed once).
  EXPECT_THAT(SyscallsToProbe(Both(), /*config_known=*/false),
              ElementsAre("mq_open", "msgget", "socketpair"));
  EXPECT_THAT(
      SyscallsToProbe({ParseRequirements("CONFIG_FUTEX=y\n", "conformance/x")},
                      false),
      ElementsAre("futex"));
}

}  // namespace
}  // namespace ipcproof::verify
