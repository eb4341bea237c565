// Helpers shared by the test suites: locating ../shared (tests skip when absent), fresh
// temporary directories under the build tree, running the lightreasoner binary, and
// expecting an Error whose message contains given text.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <vector>
#include <optional>
#include <string>

#include "lightreasoner/core/error.h"

namespace lrtest {

// ../shared beside the source tree (or $LR_SHARED_DIR), when present.
std::optional<std::filesystem::path> shared_dir();

// A fresh, empty directory named after the running test.
std::filesystem::path temp_dir(const std::string& tag = "");

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
// Runs the built lightreasoner binary with the given argument string (shell syntax).
CommandResult run_binary(const std::string& args);

// Starts the binary with `args` (argv, no shell; output discarded), polls `ready` every few ms and
// kills the process with SIGKILL as soon as it returns true (or after `timeout`). Returns whether the
// process died by that signal, i.e. was still running when killed (false: it had already exited).
bool run_binary_and_kill_when(const std::vector<std::string>& args, const std::function<bool()>& ready,
                              std::chrono::seconds timeout = std::chrono::seconds(120));

}  // namespace lrtest

#define LR_SKIP_WITHOUT_SHARED(var)                                                    \
  auto var##_opt = lrtest::shared_dir();                                                \
  if (!var##_opt) GTEST_SKIP() << "../shared not found (set LR_SHARED_DIR); skipping"; \
  const std::filesystem::path var = *var##_opt

// Expects `statement` to throw lightreasoner::Error whose message contains `needle`.
#define EXPECT_LR_ERROR(statement, needle)                                                  \
  do {                                                                                      \
    try {                                                                                   \
      statement;                                                                            \
      ADD_FAILURE() << "expected lightreasoner::Error containing \"" << (needle) << "\""; \
    } catch (const lightreasoner::Error& e) {                                               \
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)                      \
          << "error message: " << e.what() << "\nexpected to contain: " << (needle);       \
    }                                                                                       \
  } while (0)
