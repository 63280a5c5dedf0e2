#include "tools/verify/kernel_config.h"

#include <sys/stat.h>
#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/verify/verify_error.h"

namespace ipcproof::verify {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;
using ::testing::ThrowsMessage;

// The shapes of Kconfig's output, as in Debian's boot/config-6.1.0-57-cloud-
// amd64.
constexpr char kConfig[] = R"(#
# Automatically generated file; DO NOT EDIT.
# Linux/x86 6.1.192 Kernel Configuration
#
CONFIG_CC_VERSION_TEXT="gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0"
CONFIG_SYSVIPC=y
CONFIG_POSIX_MQUEUE=y
# CONFIG_IKCONFIG is not set
CONFIG_VETH=m
CONFIG_NR_CPUS=64
)";

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

void WriteGzip(const std::string& path, const std::string& text) {
  gzFile file = ::gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(::gzwrite(file, text.data(), static_cast<unsigned>(text.size())),
            static_cast<int>(text.size()));
  ASSERT_EQ(::gzclose(file), Z_OK);
}

TEST(KernelConfigTest, ReadsSetUnsetAndAbsentOptions) {
  const KernelConfig config = ParseKernelConfig(kConfig, "package x");
  EXPECT_EQ(config.source, "package x");
  EXPECT_EQ(config.Value("CONFIG_SYSVIPC"), "y");
  EXPECT_EQ(config.Value("CONFIG_VETH"), "m");
  EXPECT_EQ(config.Value("CONFIG_IKCONFIG"), "n");
  // Kconfig leaves out what depends on a disabled option: absent is off.
  EXPECT_EQ(config.Value("CONFIG_IKCONFIG_PROC"), "n");
  EXPECT_EQ(config.Value("CONFIG_NR_CPUS"), "64");
  EXPECT_EQ(config.Value("CONFIG_CC_VERSION_TEXT"),
            "\"gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0\"");
  // Comments are not options.
  EXPECT_EQ(config.values.count("CONFIG_"), 0u);
  EXPECT_EQ(config.values.size(), 6u);
}

TEST(KernelConfigTest, ReadsPlainAndGzipFiles) {
  const std::string plain = TempPath("config-plain");
  std::ofstream(plain) << kConfig;
  EXPECT_EQ(ReadKernelConfig(plain, "p").Value("CONFIG_VETH"), "m");

  // /proc/config.gz is gzip; told apart by its magic, not its name.
  const std::string gz = TempPath("config-gz");
  WriteGzip(gz, kConfig);
  const KernelConfig config = ReadKernelConfig(gz, "/proc/config.gz");
  EXPECT_EQ(config.Value("CONFIG_POSIX_MQUEUE"), "y");
  EXPECT_EQ(config.Value("CONFIG_IKCONFIG"), "n");
}

TEST(KernelConfigTest, ATruncatedGzipOrAMissingFileIsAnError) {
  const std::string gz = TempPath("config-full.gz");
  WriteGzip(gz, std::string(kConfig) + std::string(100000, '#'));
  std::ifstream in(gz, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  const std::string cut = TempPath("config-cut.gz");
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  EXPECT_THAT([&] { ReadKernelConfig(cut, "x"); },
              ThrowsMessage<InfrastructureError>(
                  HasSubstr(cut + ": not a complete gzip stream")));
  EXPECT_THAT([] { ReadKernelConfig("/nonexistent/config", "x"); },
              ThrowsMessage<InfrastructureError>(
                  HasSubstr("open(/nonexistent/config): ENOENT")));
}

TEST(ModulesOnDiskTest, ListsModulesDepElseModulesOrder) {
  const std::string dir = TempPath("modules");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  EXPECT_EQ(ModulesOnDisk(dir), std::nullopt);
  EXPECT_EQ(ModulesOnDisk(""), std::nullopt);

  // Debian's package ships modules.order; depmod writes modules.dep.
  std::ofstream(dir + "/modules.order")
      << "kernel/drivers/net/veth.ko\nkernel/net/sched/sch-netem.ko\n";
  EXPECT_THAT(ModulesOnDisk(dir), Optional(ElementsAre("veth", "sch_netem")));
  std::ofstream(dir + "/modules.dep")
      << "kernel/drivers/net/veth.ko.xz:\n"
         "kernel/net/ipv6/ipv6.ko: kernel/net/x/dep.ko\n";
  EXPECT_THAT(ModulesOnDisk(dir), Optional(ElementsAre("veth", "ipv6")));
}

TEST(NormalModuleNameTest, DashesAreUnderscores) {
  EXPECT_EQ(NormalModuleName("sch-netem"), "sch_netem");
  EXPECT_EQ(NormalModuleName("veth"), "veth");
}

}  // namespace
}  // namespace ipcproof::verify
