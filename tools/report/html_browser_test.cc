// The sample report's page in a real browser: Debian's chromium, headless,
// dumps the DOM after the page's script ran and records every request in a
// network log. The page must show a section per registered claim, run its
// filter, show the benchmark charts, and make no request to anything
// outside itself; so must the page of the four-kernel sample, whose filter
// also picks a kernel and the claims that differ.
//
// Runs under Bazel's linux-sandbox as it is: chromium runs with
// --no-sandbox (its own sandbox needs namespaces the test's already are),
// and everything it writes (profile, HOME, caches, the net log) is under
// TEST_TMPDIR.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tools/report/report_test_util.h"
#include "tools/report/report_writers.h"
#include "tools/report/sample_report.h"

extern char** environ;

namespace ipcproof::verify {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kChromium[] = "/usr/bin/chromium";
constexpr auto kBrowserDeadline = std::chrono::seconds(30);

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  ASSERT_TRUE(file.good()) << "cannot write " << path;
}

// A new directory with a short path (under /tmp, else /dev/shm), removed
// with everything in it when this goes out of scope.
class ShortTempDir {
 public:
  ShortTempDir() {
    for (const char* base : {"/tmp", "/dev/shm"}) {
      std::string pattern = std::string(base) + "/ipcproof-chromium-XXXXXX";
      if (::mkdtemp(pattern.data()) != nullptr) {
        path_ = pattern;
        return;
      }
    }
    ADD_FAILURE() << "cannot make a directory under /tmp or /dev/shm: "
                  << std::strerror(errno);
  }
  ~ShortTempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  ShortTempDir(const ShortTempDir&) = delete;
  ShortTempDir& operator=(const ShortTempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct BrowserRun {
  std::string dom;  // chromium's stdout: the DOM after scripts ran
  json net_log;     // the --log-net-log file
  std::string stderr_tail;
};

// Renders `url` in headless chromium, in its own process group, killed (the
// whole group) when it outlives kBrowserDeadline. `name` keeps the files of
// separate runs apart.
BrowserRun RenderInChromium(const std::string& url, const std::string& name) {
  BrowserRun run;
  const std::string dir = TempDir() + "/" + name;
  ::mkdir(dir.c_str(), 0700);
  const std::string home = dir + "/home";
  ::mkdir(home.c_str(), 0700);
  const std::string dom_path = dir + "/dom.html";
  const std::string err_path = dir + "/chromium.stderr";
  const std::string net_path = dir + "/net.json";

  std::vector<std::string> args = {
      kChromium, "--headless", "--no-sandbox", "--disable-gpu",
      // /dev/shm may be read-only in the sandbox; /tmp (TEST_TMPDIR) is not.
      "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
      "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--disable-extensions",
      // Nothing the browser tries may leave the machine: names resolve to
      // nothing. Requests are still attempted, so the net log still shows
      // each one.
      "--host-resolver-rules=MAP * ~NOTFOUND",
      "--user-data-dir=" + dir + "/profile", "--log-net-log=" + net_path,
      "--dump-dom", url};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  // Chromium binds a socket under TMPDIR, and a socket path has at most 107
  // bytes: TEST_TMPDIR under Bazel's sandbox is longer than that.
  ShortTempDir short_tmp;
  if (short_tmp.path().empty()) return run;
  std::vector<std::string> env = {
      "HOME=" + home, "XDG_CONFIG_HOME=" + home + "/.config",
      "XDG_CACHE_HOME=" + home + "/.cache", "TMPDIR=" + short_tmp.path(),
      "PATH=/usr/bin:/bin"};
  std::vector<char*> envp;
  for (std::string& var : env) envp.push_back(var.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&files, 1, dom_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&files, 2, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, kChromium, &files, &attributes,
                                  argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) {
    ADD_FAILURE() << "cannot start " << kChromium << ": "
                  << std::strerror(spawned);
    return run;
  }

  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + kBrowserDeadline;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ADD_FAILURE() << "chromium did not finish within 30 s; killed";
      return run;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Helpers chromium started are in its group; none may outlive the test.
  ::kill(-pid, SIGKILL);

  const std::string errors = ReadFile(err_path);
  run.stderr_tail =
      errors.substr(errors.size() > 2000 ? errors.size() - 2000 : 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "chromium ended with status " << status << "; stderr:\n"
      << run.stderr_tail;
  run.dom = ReadFile(dom_path);
  try {
    run.net_log = json::parse(ReadFile(net_path));
  } catch (const json::exception& error) {
    ADD_FAILURE() << "the net log " << net_path
                  << " is not JSON: " << error.what();
  }
  return run;
}

// The URLs the page itself asked for. Chromium also makes requests of its
// own (its clock check, the account list) however it is started; those have
// no document behind them ("initiator": "not an origin") and a network
// isolation key that is not the page's site, and are no request of the
// page's.
std::vector<std::string> PageRequests(const json& net_log) {
  std::vector<std::string> urls;
  if (!net_log.contains("constants") || !net_log.contains("events"))
    return urls;
  int start_job = -1;
  for (const auto& [name, value] :
       net_log["constants"]["logEventTypes"].items()) {
    if (name == "URL_REQUEST_START_JOB") start_job = value.get<int>();
  }
  EXPECT_NE(start_job, -1)
      << "no URL_REQUEST_START_JOB in the net log's constants";
  for (const json& event : net_log["events"]) {
    if (event.value("type", -1) != start_job || !event.contains("params"))
      continue;
    const json& params = event["params"];
    if (!params.contains("url")) continue;
    const std::string initiator = params.value("initiator", "");
    const std::string isolation = params.value("network_isolation_key", "");
    const bool from_browser = initiator == "not an origin" &&
                              isolation.find("file://") == std::string::npos;
    if (!from_browser) urls.push_back(params["url"].get<std::string>());
  }
  return urls;
}

class HtmlBrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    struct stat status;
    ASSERT_EQ(::stat(kChromium, &status), 0)
        << kChromium
        << " is missing: install chromium (tools/bazel installs it)";
    report_ = testing::SampleReport();
    page_path_ = TempDir() + "/report.html";
    page_ = WriteHtml(report_);
    WriteFile(page_path_, page_);
  }

  Report report_;
  std::string page_path_;
  std::string page_;
};

// The opening tag of every claim section in a dumped DOM, by claim id.
std::map<std::string, std::string> ClaimSectionTags(const std::string& dom) {
  std::map<std::string, std::string> tags;
  const std::regex section_tag(R"re(<section id="claim-([^"]+)"[^>]*>)re");
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), section_tag);
       it != std::sregex_iterator(); ++it) {
    tags[(*it)[1]] = (*it)[0];
  }
  return tags;
}

TEST_F(HtmlBrowserTest, EveryClaimIsOnThePageAndNothingIsFetched) {
  const BrowserRun run = RenderInChromium("file://" + page_path_, "plain");
  ASSERT_FALSE(run.dom.empty()) << run.stderr_tail;

  const std::map<std::string, std::string> sections = ClaimSectionTags(run.dom);
  const claims::Registry registry = testing::LoadSampleRegistry();
  EXPECT_EQ(sections.size(), registry.claims.size());
  for (const claims::Claim& claim : registry.claims) {
    ASSERT_TRUE(sections.contains(claim.id)) << claim.id;
    EXPECT_THAT(sections.at(claim.id), Not(HasSubstr("hidden")))
        << "with no filter chosen every claim is shown";
  }
  // The script ran: it marks the body and shows the filter.
  EXPECT_TRUE(std::regex_search(
      run.dom, std::regex(R"(<body[^>]*data-filter="ready")")));
  EXPECT_TRUE(std::regex_search(
      run.dom, std::regex(R"(<form id="filter"(?![^>]*hidden)[^>]*>)")));
  EXPECT_THAT(
      run.dom,
      HasSubstr(std::to_string(registry.claims.size()) + " of " +
                std::to_string(registry.claims.size()) + " claims shown"));
  // The hostile message stayed text.
  EXPECT_THAT(run.dom, HasSubstr("&lt;script&gt;alert(\"x\")&lt;/script&gt;"));
  // So did a figure a test recorded, in its claim's figures table.
  EXPECT_TRUE(std::regex_search(
      run.dom, std::regex("<table class=\"measured\">[^]*?"
                          "&lt;script&gt;alert\\(2\\)&lt;/script&gt;")));

  EXPECT_THAT(PageRequests(run.net_log), ::testing::IsEmpty());
  // And the source names no URL that a browser would follow.
  EXPECT_THAT(page_, Not(HasSubstr("http:")));
  EXPECT_THAT(page_, Not(HasSubstr("https:")));
  for (const std::string& code : testing::ScriptsAndStyles(page_)) {
    EXPECT_THAT(code, Not(HasSubstr("//")));
  }
  const std::regex attribute(
      R"re(\s(?:href|src|action|data|poster)="([^"]*)")re");
  // The one link off the page is the benchmark run's figures beside
  // report.html, a relative path (a link: nothing is fetched).
  for (auto it = std::sregex_iterator(page_.begin(), page_.end(), attribute);
       it != std::sregex_iterator(); ++it) {
    const std::string value = (*it)[1];
    if (value == report_.benchmarks->file) continue;
    EXPECT_TRUE(value.starts_with("#")) << (*it)[0];
  }
}

// The benchmarks section after the browser built the page: the two charts
// are SVG elements in the DOM with a polyline per mechanism and the two
// memcpy limits, and the hostile skip message stayed text.
TEST_F(HtmlBrowserTest, TheBenchmarkChartsAreInTheDom) {
  const BrowserRun run = RenderInChromium("file://" + page_path_, "benchmarks");
  const size_t start = run.dom.find("<section id=\"benchmarks\">");
  ASSERT_NE(start, std::string::npos) << run.stderr_tail;
  const size_t end = run.dom.find("</section>", start);
  ASSERT_NE(end, std::string::npos);
  const std::string section = run.dom.substr(start, end - start);
  const auto count = [&](const std::string& pattern) {
    const std::regex expression(pattern);
    return std::distance(
        std::sregex_iterator(section.begin(), section.end(), expression),
        std::sregex_iterator());
  };
  EXPECT_EQ(count("<svg[^>]*class=\"bench-chart\""), 2);
  EXPECT_EQ(count("<svg[^>]*role=\"img\""), 2);
  // pipe, posix_mq and shm_futex in each chart.
  EXPECT_EQ(count("<polyline[^>]*class=\"series\""), 6);
  EXPECT_EQ(count("<polyline[^>]*data-limit=\"memcpy\""), 1);
  EXPECT_EQ(count("<polyline[^>]*data-limit=\"memcpy-half\""), 1);
  EXPECT_GT(count("<title>pipe, 4 KiB: "), 0);
  EXPECT_EQ(count("<script"), 0);
  EXPECT_THAT(section, HasSubstr("&lt;script&gt;alert(\"x\")&lt;/script&gt;"));
  EXPECT_THAT(PageRequests(run.net_log), ::testing::IsEmpty());
}

TEST_F(HtmlBrowserTest, TheFilterShowsOnlyTheChosenVerdict) {
  const BrowserRun run = RenderInChromium(
      "file://" + page_path_ + "?verdict=deviates", "filtered");
  const std::map<std::string, std::string> sections = ClaimSectionTags(run.dom);
  ASSERT_EQ(sections.size(), report_.claims.size()) << run.stderr_tail;
  int shown = 0;
  for (const ClaimReport& claim : report_.claims) {
    const bool hidden =
        sections.at(claim.claim.id).find(" hidden") != std::string::npos;
    EXPECT_EQ(hidden, claim.verdict != Verdict::kDeviates) << claim.claim.id;
    shown += !hidden;
  }
  EXPECT_EQ(shown, report_.Count(Verdict::kDeviates));
  EXPECT_TRUE(std::regex_search(
      run.dom,
      std::regex("<body[^>]*data-shown=\"" + std::to_string(shown) + "\"")));
}

TEST_F(HtmlBrowserTest, TheRequestCheckCatchesAPageThatFetches) {
  // Control: the same check on a page that loads an image from elsewhere
  // (a refused local port: nothing leaves the machine) must see it.
  const std::string control = TempDir() + "/control.html";
  WriteFile(control,
            "<!DOCTYPE html><html><body><img src=\"http://127.0.0.1:9/x.png\">"
            "</body></html>");
  const BrowserRun run = RenderInChromium("file://" + control, "control");
  EXPECT_THAT(PageRequests(run.net_log),
              ::testing::Contains("http://127.0.0.1:9/x.png"));
}

// The several-kernels page (host, linux-6.1, linux-6.12, a panicked
// bzImage): the same checks, and its own filter.
class HtmlBrowserKernelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    struct stat status;
    ASSERT_EQ(::stat(kChromium, &status), 0)
        << kChromium
        << " is missing: install chromium (tools/bazel installs it)";
    sample_ = testing::SampleKernels();
    page_path_ = TempDir() + "/kernels.html";
    page_ = WriteHtml(sample_.reports);
    WriteFile(page_path_, page_);
  }

  testing::KernelsSample sample_;
  std::string page_path_;
  std::string page_;
};

TEST_F(HtmlBrowserKernelsTest, EveryClaimIsOnThePageAndNothingIsFetched) {
  const BrowserRun run =
      RenderInChromium("file://" + page_path_, "kernels-plain");
  ASSERT_FALSE(run.dom.empty()) << run.stderr_tail;
  const std::map<std::string, std::string> sections = ClaimSectionTags(run.dom);
  const claims::Registry registry = testing::LoadSampleRegistry();
  EXPECT_EQ(sections.size(), registry.claims.size());
  for (const claims::Claim& claim : registry.claims) {
    ASSERT_TRUE(sections.contains(claim.id)) << claim.id;
    EXPECT_THAT(sections.at(claim.id), Not(HasSubstr("hidden")));
  }
  EXPECT_TRUE(std::regex_search(
      run.dom, std::regex(R"(<body[^>]*data-filter="ready")")));
  EXPECT_THAT(
      run.dom,
      HasSubstr(std::to_string(registry.claims.size()) + " of " +
                std::to_string(registry.claims.size()) + " claims shown"));
  // The kernel's log stayed text.
  EXPECT_THAT(run.dom, HasSubstr("&lt;script&gt;alert(3)&lt;/script&gt;"));
  EXPECT_THAT(PageRequests(run.net_log), ::testing::IsEmpty());
  for (const std::string& code : testing::ScriptsAndStyles(page_)) {
    EXPECT_THAT(code, Not(HasSubstr("//")));
  }
  const std::regex attribute(
      R"re(\s(?:href|src|action|data|poster)="([^"]*)")re");
  const std::string host_file = sample_.reports[0].benchmarks->file;
  for (auto it = std::sregex_iterator(page_.begin(), page_.end(), attribute);
       it != std::sregex_iterator(); ++it) {
    const std::string value = (*it)[1];
    if (value == host_file) continue;
    EXPECT_TRUE(value.starts_with("#")) << (*it)[0];
  }
  EXPECT_THAT(run.dom, HasSubstr("<section id=\"benchmarks\">"));
}

TEST_F(HtmlBrowserKernelsTest, DiffersOnlyShowsTheClaimsWhoseAnswersDiffer) {
  const BrowserRun run = RenderInChromium(
      "file://" + page_path_ + "?differs=answers", "kernels-answers");
  const std::map<std::string, std::string> sections = ClaimSectionTags(run.dom);
  ASSERT_EQ(sections.size(), sample_.reports[0].claims.size())
      << run.stderr_tail;
  for (const auto& [id, tag] : sections) {
    EXPECT_EQ(tag.find(" hidden") == std::string::npos,
              id == sample_.differing_claim)
        << id;
  }
  EXPECT_TRUE(
      std::regex_search(run.dom, std::regex("<body[^>]*data-shown=\"1\"")));
}

TEST_F(HtmlBrowserKernelsTest, AKernelAndVerdictShowItsClaimsAndEvidenceOnly) {
  const BrowserRun run = RenderInChromium(
      "file://" + page_path_ + "?kernel=linux-6.1&verdict=deviates",
      "kernels-deviates");
  const std::map<std::string, std::string> sections = ClaimSectionTags(run.dom);
  const Report& linux61 = sample_.reports[1];
  ASSERT_EQ(sections.size(), linux61.claims.size()) << run.stderr_tail;
  int shown = 0;
  for (const ClaimReport& claim : linux61.claims) {
    const bool hidden =
        sections.at(claim.claim.id).find(" hidden") != std::string::npos;
    EXPECT_EQ(hidden, claim.verdict != Verdict::kDeviates) << claim.claim.id;
    shown += !hidden;
  }
  EXPECT_EQ(shown, linux61.Count(Verdict::kDeviates));
  // Only linux-6.1's evidence blocks are shown.
  const std::regex block(
      R"re(<div class="kernel-evidence" data-kernel="(\d)"([^>]*)>)re");
  int blocks = 0;
  for (auto it = std::sregex_iterator(run.dom.begin(), run.dom.end(), block);
       it != std::sregex_iterator(); ++it) {
    ++blocks;
    EXPECT_EQ(std::string((*it)[2]).find("hidden") == std::string::npos,
              (*it)[1] == "1")
        << (*it)[0];
  }
  EXPECT_GT(blocks, 0);
}

}  // namespace
}  // namespace ipcproof::verify
