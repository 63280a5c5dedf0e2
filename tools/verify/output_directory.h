// verify's outputs, written so that a reader never sees a half-written or
// mixed report: everything goes into a new directory beside the target
// ("<out>.tmp-XXXXXX", same parent, so the final rename stays within one
// file system), which replaces the target in one step only when every file
// was written. A run that fails leaves the target as it was.
#ifndef TOOLS_VERIFY_OUTPUT_DIRECTORY_H_
#define TOOLS_VERIFY_OUTPUT_DIRECTORY_H_

#include <string>
#include <string_view>

namespace ipcproof::verify {

// The file every report directory holds, so verify replaces only a
// directory it wrote (never, say, a home directory named by mistake).
inline constexpr char kReportMarker[] = ".ipcproof-report";

// Throws InfrastructureError unless `target` is absent, an empty directory,
// or a directory holding kReportMarker: checked before anything runs.
void CheckReplaceable(const std::string& target);

class StagedDirectory {
 public:
  // Creates "<target>.tmp-XXXXXX" (and the target's missing parents) and
  // the marker in it. Throws InfrastructureError naming the path.
  explicit StagedDirectory(const std::string& target);
  StagedDirectory(const StagedDirectory&) = delete;
  StagedDirectory& operator=(const StagedDirectory&) = delete;
  // Removes the staging directory unless Commit() succeeded.
  ~StagedDirectory();

  const std::string& path() const { return path_; }
  const std::string& target() const { return target_; }

  // `relative` (may name a subdirectory, created as needed) in the staging
  // directory. Throws InfrastructureError naming the file.
  void WriteFile(const std::string& relative, std::string_view text) const;
  // Creates a subdirectory; returns its path.
  std::string MakeDirectory(const std::string& relative) const;

  // Moves the staging directory into place: renameat2(RENAME_EXCHANGE) with
  // an existing target (then removes the old one), rename(2) otherwise.
  // Throws InfrastructureError (and the target is untouched) on failure.
  void Commit();

 private:
  std::string target_;
  std::string path_;
  bool committed_ = false;
};

// `path` written through "<path>.tmp-XXXXXX" and rename(2). Throws
// InfrastructureError naming the file.
void WriteFileAtomically(const std::string& path, std::string_view text);

// Removes a directory tree without following symbolic links. Best effort:
// used on verify's own temporary files.
void RemoveTree(const std::string& path);

}  // namespace ipcproof::verify

#endif  // TOOLS_VERIFY_OUTPUT_DIRECTORY_H_
