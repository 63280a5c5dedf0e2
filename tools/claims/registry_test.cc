// Keeps the chain claim id -> folder -> test unbroken, from the sources
// alone: the registry loads, every id a test declares is registered, the
// claims of the checked areas are declared in their folders, no
// not-checkable claim is declared, and docs/claim-index.md is current.
//
// Usage (the BUILD file passes these):
//   registry_test --registry docs/claims.json --index docs/claim-index.md
//                 --areas pipe,fifo,mq SOURCE...
// Paths are relative to the workspace root; under `bazel test` that is the
// runfiles tree $TEST_SRCDIR/$TEST_WORKSPACE.
#include "tools/claims/registry.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "gtest/gtest.h"
#include "tools/claims/claim_index.h"

namespace ipcproof::claims {
namespace {

struct Inputs {
  std::string registry_path;
  std::string index_path;
  std::vector<std::string> checked_areas;
  std::vector<std::string> sources;
};

Inputs& TheInputs() {
  static Inputs inputs;
  return inputs;
}

std::string Where(const Declaration& declaration) {
  return declaration.file + ":" + std::to_string(declaration.line) + " (" +
         declaration.test + ")";
}

// Loads the registry and scans the sources once for every test; a test
// that needs what failed to load fails saying so, and RegistryLoads says
// why.
class RegistryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    try {
      registry_ =
          std::make_unique<Registry>(LoadRegistry(TheInputs().registry_path));
    } catch (const std::exception& error) {
      registry_error_ = error.what();
    }
    try {
      index_ = std::make_unique<ClaimIndex>(ScanSources(TheInputs().sources));
    } catch (const std::exception& error) {
      index_error_ = error.what();
    }
  }
  static void TearDownTestSuite() {
    registry_.reset();
    index_.reset();
  }

  void SetUp() override {
    ASSERT_FALSE(TheInputs().sources.empty()) << "no sources given";
    ASSERT_NE(registry_, nullptr)
        << "the registry did not load: " << registry_error_;
    ASSERT_NE(index_, nullptr)
        << "the sources could not be scanned: " << index_error_;
  }

  static std::unique_ptr<Registry> registry_;
  static std::string registry_error_;
  static std::unique_ptr<ClaimIndex> index_;
  static std::string index_error_;
};

std::unique_ptr<Registry> RegistryTest::registry_;
std::string RegistryTest::registry_error_;
std::unique_ptr<ClaimIndex> RegistryTest::index_;
std::string RegistryTest::index_error_;

TEST(RegistryFileTest, RegistryLoads) {
  try {
    const Registry registry = LoadRegistry(TheInputs().registry_path);
    EXPECT_FALSE(registry.claims.empty());
  } catch (const std::exception& error) {
    FAIL() << error.what();
  }
}

TEST_F(RegistryTest, EveryDeclaredIdIsRegistered) {
  for (const Declaration& declaration : index_->declarations) {
    EXPECT_NE(registry_->Find(declaration.claim), nullptr)
        << Where(declaration) << " declares " << declaration.claim << ", which "
        << TheInputs().registry_path << " does not register";
  }
}

TEST_F(RegistryTest, CheckedAreasAreDeclaredInTheirFolders) {
  ASSERT_FALSE(TheInputs().checked_areas.empty()) << "no --areas given";
  for (const std::string& area : TheInputs().checked_areas) {
    bool area_has_claims = false;
    for (const Claim& claim : registry_->claims) {
      if (claim.area != area) continue;
      area_has_claims = true;
      // Nothing declares a not-checkable claim (NoNotCheckableClaimIsDeclared).
      if (claim.predicted == Predicted::kNotCheckable) continue;
      bool declared_in_folder = false;
      for (const Declaration* declaration : index_->For(claim.id)) {
        declared_in_folder |= declaration->file.starts_with(claim.folder + "/");
      }
      EXPECT_TRUE(declared_in_folder)
          << "claim " << claim.id << " (area " << area
          << ") is declared by no test in " << claim.folder << "/";
    }
    EXPECT_TRUE(area_has_claims)
        << "area " << area << " has no claim in " << TheInputs().registry_path;
  }
}

TEST_F(RegistryTest, EveryDeclarationLiesUnderItsClaimsFolder) {
  for (const Declaration& declaration : index_->declarations) {
    const Claim* claim = registry_->Find(declaration.claim);
    if (claim == nullptr) continue;  // EveryDeclaredIdIsRegistered says so
    bool in_a_folder = declaration.file.starts_with(claim->folder + "/");
    for (const std::string& other : claim->also_decided_in) {
      in_a_folder = in_a_folder || declaration.file.starts_with(other + "/");
    }
    EXPECT_TRUE(in_a_folder)
        << Where(declaration) << " declares " << claim->id << ", whose folder "
        << claim->folder
        << " is elsewhere (a claim other folders may also declare lists them "
           "in \"also_decided_in\")";
  }
}

TEST_F(RegistryTest, NoNotCheckableClaimIsDeclared) {
  for (const Declaration& declaration : index_->declarations) {
    const Claim* claim = registry_->Find(declaration.claim);
    if (claim == nullptr) continue;
    EXPECT_NE(claim->predicted, Predicted::kNotCheckable)
        << Where(declaration) << " declares " << claim->id
        << ", which the registry says cannot be checked: "
        << claim->not_checkable;
  }
}

TEST_F(RegistryTest, ClaimIndexMarkdownIsCurrent) {
  std::ifstream in(TheInputs().index_path, std::ios::binary);
  ASSERT_TRUE(in) << "cannot open " << TheInputs().index_path;
  std::ostringstream committed;
  committed << in.rdbuf();
  const std::string expected = ClaimIndexMarkdown(*index_, *registry_);
  if (committed.str() == expected) return;

  // Name the first line that differs, so the failure says what is stale.
  std::istringstream have(committed.str());
  std::istringstream want(expected);
  std::string have_line;
  std::string want_line;
  int line = 0;
  while (true) {
    ++line;
    const bool have_more = static_cast<bool>(std::getline(have, have_line));
    const bool want_more = static_cast<bool>(std::getline(want, want_line));
    if (!have_more) have_line = "(end of file)";
    if (!want_more) want_line = "(end of file)";
    // Both ended: the texts differ only in a final newline.
    if (have_line != want_line || (!have_more && !want_more)) break;
  }
  ADD_FAILURE() << TheInputs().index_path
                << " is stale: run tools/claims/update_claim_index.sh\n"
                << "first difference at line " << line
                << ":\n  committed: " << have_line
                << "\n  generated: " << want_line;
}

}  // namespace
}  // namespace ipcproof::claims

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  CLI::App app{"Checks the claim registry against the conformance sources."};
  ipcproof::claims::Inputs& inputs = ipcproof::claims::TheInputs();
  app.add_option("--registry", inputs.registry_path, "docs/claims.json")
      ->required();
  app.add_option("--index", inputs.index_path, "docs/claim-index.md")
      ->required();
  app.add_option("--areas", inputs.checked_areas,
                 "areas whose every claim must be declared in its folder")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->required();
  app.add_option("sources", inputs.sources, "conformance test sources")
      ->required();
  CLI11_PARSE(app, argc, argv);

  // Under `bazel test` the paths are relative to the main repository's
  // runfiles; elsewhere they are taken as given.
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir != nullptr && workspace != nullptr) {
    const std::string root = std::string(srcdir) + "/" + workspace;
    if (chdir(root.c_str()) != 0) {
      std::perror(("registry_test: chdir " + root).c_str());
      return 2;
    }
  }
  return RUN_ALL_TESTS();
}
