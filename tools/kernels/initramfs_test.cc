#include "tools/kernels/initramfs.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcproof::kernels {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

struct Entry {
  unsigned inode, mode, nlink, size, rdev_major, rdev_minor;
  std::string name, data;
};

unsigned Hex(const std::string& bytes, size_t at) {
  return std::stoul(bytes.substr(at, 8), nullptr, 16);
}

// An independent reader of the newc format: every field, the alignment,
// the trailer, and nothing after it but zero padding.
std::vector<Entry> ParseNewc(const std::string& bytes) {
  std::vector<Entry> entries;
  size_t at = 0;
  while (true) {
    EXPECT_EQ(at % 4, 0u);
    if (at + 110 > bytes.size()) {
      ADD_FAILURE() << "no trailer";
      return entries;
    }
    EXPECT_EQ(bytes.substr(at, 6), "070701") << "at " << at;
    Entry entry;
    entry.inode = Hex(bytes, at + 6);
    entry.mode = Hex(bytes, at + 14);
    EXPECT_EQ(Hex(bytes, at + 22), 0u);  // uid
    EXPECT_EQ(Hex(bytes, at + 30), 0u);  // gid
    entry.nlink = Hex(bytes, at + 38);
    EXPECT_EQ(Hex(bytes, at + 46), 0u);  // mtime
    entry.size = Hex(bytes, at + 54);
    entry.rdev_major = Hex(bytes, at + 78);
    entry.rdev_minor = Hex(bytes, at + 86);
    const unsigned name_size = Hex(bytes, at + 94);
    EXPECT_EQ(Hex(bytes, at + 102), 0u);  // check
    entry.name = bytes.substr(at + 110, name_size - 1);
    EXPECT_EQ(bytes[at + 110 + name_size - 1], '\0');
    at += 110 + name_size;
    at = (at + 3) & ~size_t{3};
    entry.data = bytes.substr(at, entry.size);
    at += entry.size;
    at = (at + 3) & ~size_t{3};
    if (entry.name == "TRAILER!!!") break;
    entries.push_back(entry);
  }
  EXPECT_EQ(at, bytes.size());
  return entries;
}

class CpioWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/cpio_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
  }

  std::string dir_;
};

TEST_F(CpioWriterTest, ATinyTreeHasTheExactNewcBytes) {
  const std::string archive = dir_ + "/tiny.cpio";
  CpioWriter cpio(archive);
  cpio.AddDirectory("/d", 0700);
  cpio.AddFileContents("d/f", "abc", 0644);
  cpio.AddSymlink("l", "d/f");
  cpio.Finish();
  const std::string bytes = Read(archive);
  // Header by header (c_ino c_mode c_uid c_gid c_nlink c_mtime c_filesize
  // c_devmajor c_devminor c_rdevmajor c_rdevminor c_namesize c_check), the
  // name with its NUL padded to 4 bytes, the data padded to 4 bytes.
  auto header = [](std::vector<std::string> fields) {
    std::string text = "070701";
    for (const std::string& field : fields) text += field;
    return text;
  };
  const std::string z = "00000000";
  const std::string expected =
      // 0: "d", a directory 0700 (nlink 2); 110 + 2 bytes: no padding.
      header({"00000001", "000041C0", z, z, "00000002", z, z, z, z, z, z,
              "00000002", z}) +
      std::string("d\0", 2) +
      // 112: "d/f", a file 0644 of 3 bytes; 110 + 4 → 2 bytes of padding;
      // the data 3 → 1.
      header({"00000002", "000081A4", z, z, "00000001", z, "00000003", z, z, z,
              z, "00000004", z}) +
      std::string("d/f\0", 4) + std::string(2, '\0') + "abc" +
      std::string(1, '\0') +
      // 232: "l", a symlink to "d/f" (its data, no NUL).
      header({"00000003", "0000A1FF", z, z, "00000001", z, "00000003", z, z, z,
              z, "00000002", z}) +
      std::string("l\0", 2) + "d/f" + std::string(1, '\0') +
      // 348: the trailer; 110 + 11 → 3 bytes of padding; 472 in all.
      header(
          {"00000004", z, z, z, "00000001", z, z, z, z, z, z, "0000000B", z}) +
      std::string("TRAILER!!!\0", 11) + std::string(3, '\0');
  ASSERT_EQ(expected.size(), 472u);
  EXPECT_EQ(bytes.size(), expected.size());
  EXPECT_EQ(bytes, expected);
}

TEST_F(CpioWriterTest, ParentsComeFirstAndEveryEntryReadsBack) {
  const std::string source = dir_ + "/source";
  std::ofstream(source, std::ios::binary) << std::string(5000, 'x') << "end";
  const std::string archive = dir_ + "/tree.cpio";
  CpioWriter cpio(archive);
  cpio.AddCharDevice("dev/console", 5, 1);
  cpio.AddFile("ipcproof/bin/conformance/pipe/pipe_test", source, 0755);
  cpio.AddFileContents("ipcproof/plan", "plan\n", 0644);
  cpio.AddSymlink("bin/sh", "busybox");
  cpio.Finish();
  const std::vector<Entry> entries = ParseNewc(Read(archive));
  std::vector<std::string> names;
  for (const Entry& entry : entries) names.push_back(entry.name);
  EXPECT_THAT(names, ElementsAre("dev", "dev/console", "ipcproof",
                                 "ipcproof/bin", "ipcproof/bin/conformance",
                                 "ipcproof/bin/conformance/pipe",
                                 "ipcproof/bin/conformance/pipe/pipe_test",
                                 "ipcproof/plan", "bin", "bin/sh"));
  EXPECT_EQ(entries[0].mode, S_IFDIR | 0755u);
  EXPECT_EQ(entries[0].nlink, 2u);
  EXPECT_EQ(entries[1].mode, S_IFCHR | 0600u);
  EXPECT_EQ(entries[1].rdev_major, 5u);
  EXPECT_EQ(entries[1].rdev_minor, 1u);
  EXPECT_EQ(entries[6].mode, S_IFREG | 0755u);
  EXPECT_EQ(entries[6].data, std::string(5000, 'x') + "end");
  EXPECT_EQ(entries[7].data, "plan\n");
  EXPECT_EQ(entries[9].mode, S_IFLNK | 0777u);
  EXPECT_EQ(entries[9].data, "busybox");
  // Inodes are distinct: the kernel links regular files that share one.
  for (size_t i = 1; i < entries.size(); ++i) {
    EXPECT_NE(entries[i].inode, entries[i - 1].inode);
  }
}

TEST_F(CpioWriterTest, GnuCpioListsAndExtractsTheArchiveWhenPresent) {
  if (::access("/usr/bin/cpio", X_OK) != 0 &&
      ::access("/bin/cpio", X_OK) != 0) {
    GTEST_SKIP() << "GNU cpio is not installed; the byte-level tests above "
                    "still check the format";
  }
  const std::string archive = dir_ + "/gnu.cpio";
  CpioWriter cpio(archive);
  cpio.AddFileContents("a/b/c.txt", "hello\n", 0640);
  cpio.AddSymlink("a/link", "b/c.txt");
  cpio.Finish();
  const std::string out = dir_ + "/out";
  fs::create_directories(out);
  const std::string command = "cd '" + out +
                              "' && cpio --quiet -id --no-absolute-filenames "
                              "< '" +
                              archive + "'";
  ASSERT_EQ(std::system(command.c_str()), 0);
  EXPECT_EQ(Read(out + "/a/b/c.txt"), "hello\n");
  EXPECT_EQ(fs::read_symlink(out + "/a/link"), "b/c.txt");
  EXPECT_EQ(fs::status(out + "/a/b/c.txt").permissions() & fs::perms::all,
            fs::perms(0640));
}

TEST_F(CpioWriterTest, BadAndRepeatedNamesAreRefused) {
  CpioWriter cpio(dir_ + "/bad.cpio");
  EXPECT_THROW(cpio.AddFileContents("", "x", 0644), std::invalid_argument);
  EXPECT_THROW(cpio.AddFileContents("a/../b", "x", 0644),
               std::invalid_argument);
  EXPECT_THROW(cpio.AddFileContents("a//b", "x", 0644), std::invalid_argument);
  cpio.AddFileContents("a/x", "x", 0644);
  EXPECT_THROW(cpio.AddFileContents("/a/x", "y", 0644), std::invalid_argument);
  EXPECT_THROW(cpio.AddDirectory("a"), std::invalid_argument);
  EXPECT_THROW(cpio.AddFile("b", dir_ + "/missing", 0644), std::system_error);
  EXPECT_THROW(cpio.AddFile("c", dir_, 0644), std::system_error);
}

}  // namespace
}  // namespace ipcproof::kernels
