// Helpers shared by the test suites: the repository's test fixtures and data folders, fresh
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

// tests/fixtures of this source tree: tokenizers, stories260K, HF parity models, grader vectors
// (tests/fixtures/README.md says where each comes from). Always present in a clone.
std::filesystem::path fixture_dir();
// data/ of this source tree: the evaluation sets in the toolkit's layout (data/README.md).
std::filesystem::path data_dir();

// False in a sanitizer build: the sentencepiece shim needs RTLD_DEEPBIND, which the sanitizer
// runtime refuses (docs/reliability.md, Sanitizers). Cases that load a sentencepiece model skip
// there with LR_SKIP_WITHOUT_SENTENCEPIECE(), saying why; everywhere else they run.
bool sentencepiece_available();
#define LR_SKIP_WITHOUT_SENTENCEPIECE()                                                            \
  if (!lrtest::sentencepiece_available())                                                         \
  GTEST_SKIP() << "loads a sentencepiece model, which a sanitizer build cannot (the shim needs " \
                  "RTLD_DEEPBIND)"

// A fresh, empty directory named after the running test.
std::filesystem::path temp_dir(const std::string& tag = "");

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
// Runs the built lightreasoner binary with the given argument string (shell syntax).
CommandResult run_binary(const std::string& args);
// Runs a shell command line (stdout and stderr together).
CommandResult run_shell(const std::string& command_line);

// Starts the binary with `args` (argv, no shell; output discarded), polls `ready` every few ms and
// kills the process with SIGKILL as soon as it returns true (or after `timeout`). Returns whether the
// process died by that signal, i.e. was still running when killed (false: it had already exited).
bool run_binary_and_kill_when(const std::vector<std::string>& args, const std::function<bool()>& ready,
                              std::chrono::seconds timeout = std::chrono::seconds(120));

// The same with any signal, the output kept: sends `signal` once `ready` holds (or after `timeout`)
// and waits for the process to end.
struct SignalledRun {
  bool signalled = false;  // `ready` held before the process ended on its own
  int exit_code = -1;      // its exit status when it exited (-1 when a signal ended it)
  int term_signal = 0;     // the signal that ended it, 0 when it exited
  std::string output;      // stdout and stderr together
};
SignalledRun run_binary_and_signal_when(const std::vector<std::string>& args, const std::function<bool()>& ready,
                                        int signal, std::chrono::seconds timeout = std::chrono::seconds(120));

// Kill anywhere: runs the binary with `first` and kills it with SIGKILL after a seeded random delay
// in [10%, 50%) of `uninterrupted` (the wall time of an uninterrupted run of the same command: each
// rerun has less left to do, so the points lie early enough to land in most of them);
// then again with `rerun` (e.g. `first` + --resume), `kills` times in all or until a run ends on its
// own, and finally runs `rerun` to the end, which must exit 0. Returns how many runs were killed
// before they ended (0: every attempt finished first, the test exercised nothing).
struct KillAnywhereResult {
  int killed = 0;
  CommandResult final_run;
};
KillAnywhereResult kill_anywhere_then_finish(const std::vector<std::string>& first, const std::vector<std::string>& rerun,
                                             std::chrono::milliseconds uninterrupted, int kills, uint64_t seed);

// A jsonl file's records with `key` removed from each (e.g. a timing field), one dump per line.
std::string jsonl_without(const std::filesystem::path& file, const std::string& key);

// Wall time of a call.
template <class F>
std::chrono::milliseconds timed(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

// A forked child process that holds `dir`'s output-directory lock for `what` (as a running command
// would) until this object is destroyed, which kills it (the kernel then drops the lock). pid is -1
// when the child could not take the lock.
struct LockHolder {
  LockHolder(const std::filesystem::path& dir, const std::string& what);
  ~LockHolder();
  LockHolder(const LockHolder&) = delete;
  LockHolder& operator=(const LockHolder&) = delete;
  int pid = -1;
};

}  // namespace lrtest

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
