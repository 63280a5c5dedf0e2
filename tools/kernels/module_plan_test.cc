#include "tools/kernels/module_plan.h"

#include <elf.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcproof::kernels {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// An ELF relocatable with a null section, .modinfo holding `modinfo` (NUL
// separated key=value strings, as modpost writes them) and .shstrtab.
std::string ModuleElf(const std::string& modinfo) {
  const std::string names = std::string("\0.modinfo\0.shstrtab\0", 20);
  Elf64_Ehdr header{};
  std::memcpy(header.e_ident, ELFMAG, SELFMAG);
  header.e_ident[EI_CLASS] = ELFCLASS64;
  header.e_ident[EI_DATA] = ELFDATA2LSB;
  header.e_ident[EI_VERSION] = EV_CURRENT;
  header.e_type = ET_REL;
  header.e_machine = EM_X86_64;
  header.e_version = EV_CURRENT;
  header.e_ehsize = sizeof(Elf64_Ehdr);
  header.e_shentsize = sizeof(Elf64_Shdr);
  header.e_shnum = 3;
  header.e_shstrndx = 2;
  const size_t modinfo_at = sizeof header;
  const size_t names_at = modinfo_at + modinfo.size();
  header.e_shoff = names_at + names.size();
  Elf64_Shdr sections[3]{};
  sections[1].sh_name = 1;
  sections[1].sh_type = SHT_PROGBITS;
  sections[1].sh_offset = modinfo_at;
  sections[1].sh_size = modinfo.size();
  sections[2].sh_name = 10;
  sections[2].sh_type = SHT_STRTAB;
  sections[2].sh_offset = names_at;
  sections[2].sh_size = names.size();
  std::string bytes(reinterpret_cast<const char*>(&header), sizeof header);
  bytes += modinfo + names;
  bytes.append(reinterpret_cast<const char*>(sections), sizeof sections);
  return bytes;
}

class ModulePlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/module_plan_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = std::string(pattern) + "/lib/modules/9.9.9";
    fs::create_directories(dir_);
    root_ = pattern;
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const std::string& relative, const std::string& contents = "m") {
    fs::create_directories(fs::path(dir_ + "/" + relative).parent_path());
    std::ofstream(dir_ + "/" + relative, std::ios::binary) << contents;
  }

  std::vector<std::string> Files(const ModulePlan& plan) {
    std::vector<std::string> files;
    for (const ModuleFile& file : plan.files) {
      files.push_back(file.name + "=" + file.host_path.substr(dir_.size() + 1));
    }
    return files;
  }

  std::string root_, dir_;
};

TEST(ModuleNameTest, IsTheFileNameWithoutSuffixesAndWithUnderscores) {
  EXPECT_EQ(ModuleName("kernel/drivers/net/veth.ko"), "veth");
  EXPECT_EQ(ModuleName("kernel/net/ipv4/tcp-bic.ko.xz"), "tcp_bic");
  EXPECT_EQ(ModuleName("a.ko.zst"), "a");
}

TEST_F(ModulePlanTest, DependenciesComeFirstAndDecompressedFilesArePreferred) {
  Write("modules.dep",
        "kernel/drivers/net/veth.ko:\n"
        "kernel/a/top.ko.xz: kernel/a/mid.ko.xz kernel/a/base.ko.xz\n"
        "kernel/a/mid.ko.xz: kernel/a/base.ko.xz\n"
        "kernel/a/base.ko.xz:\n");
  Write("kernel/drivers/net/veth.ko");
  Write("kernel/a/top.ko.xz");
  Write("kernel/a/top.ko");
  Write("kernel/a/mid.ko.xz");  // no .ko beside it: the kernel decompresses
  Write("kernel/a/base.ko.xz");
  Write("kernel/a/base.ko");
  const ModulePlan plan = PlanModules(dir_, {"top", "veth", "base"});
  EXPECT_THAT(plan.errors, IsEmpty());
  EXPECT_THAT(
      Files(plan),
      ElementsAre("base=kernel/a/base.ko", "mid=kernel/a/mid.ko.xz",
                  "top=kernel/a/top.ko", "veth=kernel/drivers/net/veth.ko"));
}

TEST_F(ModulePlanTest, BuiltInModulesNeedNoFile) {
  Write("modules.dep", "");
  Write("modules.builtin", "kernel/net/ipv4/tcp_bic.ko\n");
  const ModulePlan plan = PlanModules(dir_, {"tcp-bic"});
  EXPECT_THAT(plan.files, IsEmpty());
  EXPECT_THAT(plan.errors, IsEmpty());
  EXPECT_THAT(plan.builtin, ElementsAre("tcp-bic"));
}

TEST_F(ModulePlanTest, WhatCannotBeFoundIsAnErrorNamingIt) {
  Write("modules.dep",
        "kernel/b/needs.ko: kernel/b/gone.ko\n"
        "kernel/b/listed.ko:\n");
  Write("kernel/b/needs.ko");
  const ModulePlan plan = PlanModules(dir_, {"nothing", "needs", "listed"});
  EXPECT_THAT(Files(plan), ElementsAre("needs=kernel/b/needs.ko"));
  EXPECT_THAT(
      plan.errors,
      ElementsAre(
          "nothing: not in " + dir_ + "/modules.dep",
          "needs: its dependency gone is not in " + dir_ + "/modules.dep",
          HasSubstr("listed: " + dir_ + "/kernel/b/listed.ko is missing")));
}

TEST_F(ModulePlanTest, AKernelWithoutModulesCannotLoadAny) {
  const ModulePlan plan = PlanModules("", {"veth"});
  EXPECT_THAT(plan.errors, ElementsAre(HasSubstr("veth: the kernel has no "
                                                 "modules directory")));
  EXPECT_THAT(PlanModules("", {}).errors, IsEmpty());
}

TEST_F(ModulePlanTest, WithoutModulesDepTheModinfoSaysTheDependencies) {
  Write("kernel/x/base.ko",
        ModuleElf(std::string("license=GPL\0depends=\0", 21)));
  Write("kernel/x/other-dep.ko", ModuleElf(std::string("depends=\0", 9)));
  Write("kernel/y/top.ko",
        ModuleElf(std::string("vermagic=9.9.9\0depends=base,other-dep\0", 38)));
  EXPECT_THAT(ModinfoDepends(dir_ + "/kernel/y/top.ko"),
              ElementsAre("base", "other_dep"));
  const ModulePlan plan = PlanModules(dir_, {"top"});
  EXPECT_THAT(plan.errors, IsEmpty());
  EXPECT_THAT(Files(plan), ElementsAre("base=kernel/x/base.ko",
                                       "other_dep=kernel/x/other-dep.ko",
                                       "top=kernel/y/top.ko"));
  EXPECT_THAT(ModinfoDepends(dir_ + "/kernel/x/base.ko"), IsEmpty());
}

}  // namespace
}  // namespace ipcproof::kernels
