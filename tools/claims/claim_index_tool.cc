// claim_index_tool: writes the claim -> test index of the given conformance
// sources, as Markdown (docs/claim-index.md) and/or JSON (claim_index.json,
// which tools/verify reads).
//
//   claim_index_tool --registry docs/claims.json [--markdown OUT.md]
//                    [--json OUT.json] SOURCE...
//
// SOURCE paths are written into the index as given: pass them relative to
// the workspace root. Exit status 0, or 1 with one line on stderr naming
// what failed; 2 for a usage error.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "CLI/CLI.hpp"
#include "tools/claims/claim_index.h"
#include "tools/claims/registry.h"

namespace {

// Writes beside the target and renames, so a failed run leaves the old file
// whole rather than half of a new one.
void WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
      std::filesystem::remove(temporary);
      throw std::runtime_error(path + ": cannot write " + temporary);
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary);
    throw std::runtime_error(path + ": cannot rename " + temporary +
                             " into place: " + error.message());
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Writes the claim -> test index (every CLAIM(...) of the sources, with "
      "its test and file:line) as Markdown and/or JSON."};
  std::string registry_path;
  std::string markdown_path;
  std::string json_path;
  std::vector<std::string> sources;
  app.add_option("--registry", registry_path,
                 "the claim registry, docs/claims.json")
      ->required();
  app.add_option("--markdown", markdown_path,
                 "write the Markdown index (docs/claim-index.md) here");
  app.add_option("--json", json_path,
                 "write the JSON index (claim_index.json) here");
  app.add_option("sources", sources,
                 "conformance test sources, relative to the workspace root")
      ->required();
  try {
    app.parse(argc, argv);
    if (markdown_path.empty() && json_path.empty()) {
      throw CLI::ValidationError("give --markdown, --json or both");
    }
  } catch (const CLI::ParseError& error) {
    const int status = app.exit(error);
    return status == 0 ? 0 : 2;
  }

  try {
    const ipcproof::claims::Registry registry =
        ipcproof::claims::LoadRegistry(registry_path);
    const ipcproof::claims::ClaimIndex index =
        ipcproof::claims::ScanSources(sources);
    if (!markdown_path.empty()) {
      WriteFileAtomically(
          markdown_path, ipcproof::claims::ClaimIndexMarkdown(index, registry));
    }
    if (!json_path.empty()) {
      WriteFileAtomically(json_path, ipcproof::claims::ClaimIndexJson(index));
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "claim_index_tool: %s\n", error.what());
    return 1;
  }
  return 0;
}
