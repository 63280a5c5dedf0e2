#include "tools/kernels/kernel_resolver.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/kernels/guest_run.h"

namespace ipcproof::kernels {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kSha[] =
    "e31a28be852fe1faec3cdbb0d19a25818f3b951d15dc13e331aeca4f991c52fe";

std::string ErrorOf(const std::function<void()>& call) {
  try {
    call();
  } catch (const std::exception& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(ParseLockFileTest, ReadsEntriesSkippingCommentsAndBlankLines) {
  const std::vector<LockEntry> entries = ParseLockFile(
      std::string("# shorthand package version sha256\n\n") +
          "linux-6.1  linux-image-6.1.0-57-cloud-amd64-unsigned  6.1.192-3  " +
          kSha + "  # trailing comment\n" +
          "linux-6.12\tlinux-image-6.12.117+deb12-cloud-amd64-unsigned\t"
          "6.12.117-1~deb12u1\t" +
          kSha,
      "kernels.lock");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].shorthand, "linux-6.1");
  EXPECT_EQ(entries[0].package, "linux-image-6.1.0-57-cloud-amd64-unsigned");
  EXPECT_EQ(entries[0].version, "6.1.192-3");
  EXPECT_EQ(entries[0].line, 3);
  EXPECT_EQ(entries[1].version, "6.12.117-1~deb12u1");
  EXPECT_EQ(entries[1].line, 4);
}

TEST(ParseLockFileTest, ErrorsNameTheFileAndLine) {
  EXPECT_THAT(ErrorOf([] { ParseLockFile("\nlinux-6.1 pkg 1.0\n", "L"); }),
              HasSubstr("L:2: want 4 fields (shorthand package version "
                        "sha256), found 3"));
  EXPECT_THAT(ErrorOf([] { ParseLockFile("a pkg 1.0 abc\n", "L"); }),
              HasSubstr("L:1: 'abc' is not a sha256"));
  EXPECT_THAT(ErrorOf([] {
                ParseLockFile(std::string("a Bad_Name 1.0 ") + kSha, "L");
              }),
              HasSubstr("L:1: 'Bad_Name' is not a Debian package name"));
  EXPECT_THAT(ErrorOf([] {
                ParseLockFile(
                    std::string("a pkg 1 ") + kSha + "\na pkg 2 " + kSha, "L");
              }),
              HasSubstr("L:2: shorthand 'a' again (first on line 1)"));
}

TEST(CompareDebianVersionsTest, FollowsDpkgOrder) {
  EXPECT_GT(CompareDebianVersions("6.1.192-3", "6.1.158-1"), 0);
  EXPECT_GT(CompareDebianVersions("6.1.192-3", "6.1.19-9"), 0);
  EXPECT_LT(CompareDebianVersions("6.12.117-1~deb12u1", "6.12.117-1"), 0);
  EXPECT_LT(CompareDebianVersions("1.0~rc1", "1.0"), 0);
  EXPECT_GT(CompareDebianVersions("1.0a", "1.0"), 0);
  EXPECT_GT(CompareDebianVersions("1.0+b1", "1.0"), 0);
  EXPECT_GT(CompareDebianVersions("1:0.1", "9.9"), 0);
  EXPECT_EQ(CompareDebianVersions("1.01-1", "1.1-1"), 0);
  EXPECT_EQ(CompareDebianVersions("6.1.192-3", "6.1.192-3"), 0);
  EXPECT_LT(CompareDebianVersions("6.1.192-3", "6.1.192-10"), 0);
}

class ResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/kernel_resolver_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    cache_ = dir_ + "/cache";
    lock_ = dir_ + "/kernels.lock";
    fs::create_directories(cache_);
    std::ofstream(lock_) << "# test lock\n"
                         << "linux-9.9 linux-image-9.9.0-1-test 9.9.1-2 "
                         << kSha << "\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A bzImage as far as the checks go: "HdrS" at 0x202.
  static void WriteImage(const std::string& path) {
    std::string bytes(0x300, '\0');
    bytes.replace(0x202, 4, "HdrS");
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
  }

  // A `dpkg -x` tree as the fetch step leaves it.
  std::string MakeTree(const std::string& package, const std::string& version,
                       const std::string& release, bool ready = true) {
    const std::string tree = cache_ + "/" + package + "_" + version;
    WriteImage(tree + "/boot/vmlinuz-" + release);
    std::ofstream(tree + "/boot/config-" + release) << "CONFIG_SYSVIPC=y\n";
    fs::create_directories(tree + "/lib/modules/" + release + "/kernel");
    if (ready) std::ofstream(tree + "/READY") << "ok\n";
    return tree;
  }

  ResolveOptions Options() {
    ResolveOptions options;
    options.cache_dir = cache_;
    options.lock_file = lock_;
    return options;
  }

  std::string dir_, cache_, lock_;
};

TEST_F(ResolverTest, AShorthandIsTheLockedPackageFromTheCache) {
  const std::string tree =
      MakeTree("linux-image-9.9.0-1-test", "9.9.1-2", "9.9.0-1-test");
  const KernelImage kernel = ResolveKernel("linux-9.9", Options());
  EXPECT_EQ(kernel.label, "linux-9.9");
  EXPECT_EQ(kernel.package, "linux-image-9.9.0-1-test 9.9.1-2");
  EXPECT_EQ(kernel.image_path, tree + "/boot/vmlinuz-9.9.0-1-test");
  EXPECT_EQ(kernel.config_path, tree + "/boot/config-9.9.0-1-test");
  EXPECT_EQ(kernel.modules_dir, tree + "/lib/modules/9.9.0-1-test");
}

TEST_F(ResolverTest, ATreeWithoutReadyIsNotCached) {
  MakeTree("linux-image-9.9.0-1-test", "9.9.1-2", "9.9.0-1-test",
           /*ready=*/false);
  const std::string error =
      ErrorOf([&] { ResolveKernel("linux-9.9", Options()); });
  EXPECT_THAT(error, HasSubstr("linux-image-9.9.0-1-test=9.9.1-2 is not in "
                               "the kernel cache " +
                               cache_));
  EXPECT_THAT(error, HasSubstr("fetch_kernel.sh --locked"));
}

TEST_F(ResolverTest, APackageIsItsLockedVersionOrItsNewestCachedOne) {
  MakeTree("linux-image-9.9.0-1-test", "9.9.1-2", "9.9.0-1-test");
  MakeTree("linux-image-9.9.0-1-test", "9.9.1-10", "9.9.0-1-test");
  // Locked: the lock's version, not the newest in the cache.
  EXPECT_EQ(ResolveKernel("linux-image-9.9.0-1-test", Options()).package,
            "linux-image-9.9.0-1-test 9.9.1-2");
  EXPECT_EQ(ResolveKernel("linux-image-9.9.0-1-test=9.9.1-10", Options()).label,
            "linux-image-9.9.0-1-test");
  MakeTree("linux-image-7.0-other", "7.0-1~bpo", "7.0-other");
  MakeTree("linux-image-7.0-other", "7.0-1", "7.0-other");
  MakeTree("linux-image-7.0-other", "7.0-3", "7.0-other", /*ready=*/false);
  EXPECT_THAT(CachedVersions(cache_, "linux-image-7.0-other"),
              ElementsAre("7.0-1", "7.0-1~bpo"));
  EXPECT_EQ(ResolveKernel("linux-image-7.0-other", Options()).package,
            "linux-image-7.0-other 7.0-1");
}

TEST_F(ResolverTest, AnUncachedPackageIsFetchedWithTheScript) {
  // The script gets --cache CACHE PACKAGE[=VERSION] and prints the tree.
  const std::string script = dir_ + "/fetch.sh";
  std::ofstream(script) << "#!/bin/sh\n"
                        << "echo \"$@\" > '" << dir_ << "/fetch.args'\n"
                        << "t=\"$2/linux-image-5.0-x_5.0-1\"\n"
                        << "mkdir -p \"$t/boot\"\n"
                        << "cp '" << dir_
                        << "/image' \"$t/boot/vmlinuz-5.0-x\"\n"
                        << "touch \"$t/READY\"\n"
                        << "echo progress >&2\n"
                        << "echo \"$t\"\n";
  ::chmod(script.c_str(), 0755);
  WriteImage(dir_ + "/image");
  ResolveOptions options = Options();
  options.fetch_script = script;
  const KernelImage kernel = ResolveKernel("linux-image-5.0-x", options);
  EXPECT_EQ(kernel.package, "linux-image-5.0-x 5.0-1");
  EXPECT_EQ(kernel.config_path, "");
  EXPECT_EQ(kernel.modules_dir, "");
  std::string args;
  std::getline(std::ifstream(dir_ + "/fetch.args"), args);
  EXPECT_EQ(args, "--cache " + cache_ + " linux-image-5.0-x");
}

TEST_F(ResolverTest, AFailingFetchScriptIsAnError) {
  const std::string script = dir_ + "/fail.sh";
  std::ofstream(script) << "#!/bin/sh\nexit 7\n";
  ::chmod(script.c_str(), 0755);
  ResolveOptions options = Options();
  options.fetch_script = script;
  EXPECT_THAT(ErrorOf([&] { ResolveKernel("linux-9.9", options); }),
              HasSubstr(script + " --cache " + cache_ +
                        " --locked failed (exit status 7)"));
}

TEST_F(ResolverTest, AVmlinuzPathFindsItsConfigAndModulesBesideIt) {
  const std::string tree = dir_ + "/unpacked";
  WriteImage(tree + "/boot/vmlinuz-6.6.6-student");
  std::ofstream(tree + "/boot/config-6.6.6-student") << "x";
  fs::create_directories(tree + "/lib/modules/6.6.6-student");
  fs::create_directories(tree + "/lib/modules/6.6.5-other");
  const KernelImage kernel =
      ResolveKernel(tree + "/boot/vmlinuz-6.6.6-student", Options());
  EXPECT_EQ(kernel.label, "vmlinuz-6.6.6-student");
  EXPECT_EQ(kernel.package, "");
  EXPECT_EQ(kernel.config_path, tree + "/boot/config-6.6.6-student");
  EXPECT_EQ(kernel.modules_dir, tree + "/lib/modules/6.6.6-student");
}

TEST_F(ResolverTest, ABzImageFindsItsConfigByItsNameOrItsKernelTree) {
  WriteImage(dir_ + "/hand-in/bzImage");
  std::ofstream(dir_ + "/hand-in/bzImage.config") << "x";
  std::ofstream(dir_ + "/hand-in/.config") << "y";
  EXPECT_EQ(KernelFromPath(dir_ + "/hand-in/bzImage").config_path,
            dir_ + "/hand-in/bzImage.config");
  fs::remove(dir_ + "/hand-in/bzImage.config");
  EXPECT_EQ(KernelFromPath(dir_ + "/hand-in/bzImage").config_path,
            dir_ + "/hand-in/.config");
  // A kernel build tree: the .config is at its top.
  WriteImage(dir_ + "/linux/arch/x86/boot/bzImage");
  std::ofstream(dir_ + "/linux/.config") << "z";
  const KernelImage built =
      KernelFromPath(dir_ + "/linux/arch/x86/boot/bzImage");
  EXPECT_EQ(built.label, "bzImage");
  EXPECT_EQ(built.config_path, dir_ + "/linux/.config");
  EXPECT_EQ(built.modules_dir, "");
}

TEST_F(ResolverTest, WhatIsNotABootableImageIsRefusedSayingWhy) {
  std::ofstream(dir_ + "/vmlinux", std::ios::binary) << "\x7f"
                                                        "ELF"
                                                     << std::string(600, '\0');
  EXPECT_THAT(ErrorOf([&] { KernelFromPath(dir_ + "/vmlinux"); }),
              HasSubstr("is an ELF vmlinux"));
  std::ofstream(dir_ + "/notes.txt") << "hello";
  EXPECT_THAT(ErrorOf([&] { KernelFromPath(dir_ + "/notes.txt"); }),
              HasSubstr("not an x86 bzImage"));
  EXPECT_THAT(ErrorOf([&] { ResolveKernel(dir_ + "/missing", Options()); }),
              HasSubstr("not a file"));
}

TEST_F(ResolverTest, HostAndNonsenseAreRefused) {
  EXPECT_THAT(ErrorOf([&] { ResolveKernel("host", Options()); }),
              HasSubstr("not booted"));
  EXPECT_THAT(ErrorOf([&] { ResolveKernel("", Options()); }),
              HasSubstr("empty kernel spec"));
  const std::string error =
      ErrorOf([&] { ResolveKernel("Not A Package", Options()); });
  EXPECT_THAT(error, HasSubstr("neither a shorthand of " + lock_));
  EXPECT_THAT(error, HasSubstr("(linux-9.9), a Debian package"));
  EXPECT_THAT(ErrorOf([&] { ResolveKernel("linux-image-x=", Options()); }),
              HasSubstr("neither a shorthand"));
}

TEST_F(ResolverTest, ABrokenLockFileIsAnErrorNamingIt) {
  std::ofstream(lock_) << "linux-9.9 only-two\n";
  EXPECT_THAT(ErrorOf([&] { ResolveKernel("linux-9.9", Options()); }),
              HasSubstr(lock_ + ":1: want 4 fields"));
}

TEST(DefaultKernelCacheTest, TheEnvironmentDecidesInOrder) {
  const std::string saved_home = std::getenv("HOME") ? std::getenv("HOME") : "";
  ::setenv("IPCPROOF_KERNEL_CACHE", "/c", 1);
  ::setenv("XDG_CACHE_HOME", "/x", 1);
  ::setenv("HOME", "/h", 1);
  EXPECT_EQ(DefaultKernelCache(), "/c");
  ::unsetenv("IPCPROOF_KERNEL_CACHE");
  EXPECT_EQ(DefaultKernelCache(), "/x/ipcproof/kernels");
  ::unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(DefaultKernelCache(), "/h/.cache/ipcproof/kernels");
  ::unsetenv("HOME");
  EXPECT_EQ(DefaultKernelCache(),
            PasswdHome(::getuid()) + "/.cache/ipcproof/kernels");
  ::setenv("HOME", saved_home.c_str(), 1);
}

}  // namespace
}  // namespace ipcproof::kernels
