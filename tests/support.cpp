// Shared test helpers (see support.h).
#include "support.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <sys/wait.h>

namespace lrtest {

namespace fs = std::filesystem;

std::optional<fs::path> shared_dir() {
  if (const char* env = std::getenv("LR_SHARED_DIR")) {
    if (fs::is_directory(env)) return fs::path(env);
  }
  fs::path candidate = fs::path(LR_SOURCE_DIR).parent_path() / "shared";
  if (fs::is_directory(candidate / "fixtures")) return candidate;
  return std::nullopt;
}

fs::path temp_dir(const std::string& tag) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "test";
  if (!tag.empty()) name += "." + tag;
  fs::path dir = fs::path(LR_TEST_TMP) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

CommandResult run_binary(const std::string& args) {
  CommandResult result;
  std::string command = std::string("'") + LR_BINARY + "' " + args + " 2>&1";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer{};
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace lrtest
