// Shared test helpers (see support.h).
#include "support.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "lightreasoner/core/run_control.h"
#include "lightreasoner/io/jsonl.h"

extern char** environ;

namespace lrtest {

namespace fs = std::filesystem;

fs::path fixture_dir() { return fs::path(LR_SOURCE_DIR) / "tests" / "fixtures"; }

fs::path data_dir() { return fs::path(LR_SOURCE_DIR) / "data"; }

fs::path temp_dir(const std::string& tag) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "test";
  if (!tag.empty()) name += "." + tag;
  fs::path dir = fs::path(LR_TEST_TMP) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

bool sentencepiece_available() {
#if defined(__SANITIZE_ADDRESS__)
  return false;
#else
  return true;
#endif
}

CommandResult run_binary(const std::string& args) { return run_shell(std::string("'") + LR_BINARY + "' " + args); }

CommandResult run_shell(const std::string& command_line) {
  CommandResult result;
  std::string command = command_line + " 2>&1";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer{};
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

SignalledRun run_binary_and_signal_when(const std::vector<std::string>& args, const std::function<bool()>& ready,
                                        int signal, std::chrono::seconds timeout) {
  SignalledRun run;
  std::vector<std::string> storage = {LR_BINARY};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::FILE* log = std::tmpfile();  // the output, read back once the process has ended
  if (!log) return run;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, ::fileno(log), 1);
  posix_spawn_file_actions_adddup2(&actions, ::fileno(log), 2);
  pid_t pid = 0;
  int spawned = posix_spawn(&pid, LR_BINARY, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    std::fclose(log);
    return run;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  bool ended = false;
  while (std::chrono::steady_clock::now() < deadline && !ready()) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      ended = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!ended) {
    run.signalled = true;
    ::kill(pid, signal);
    ::waitpid(pid, &status, 0);
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  std::rewind(log);
  std::array<char, 4096> buffer{};
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), log)) > 0) run.output.append(buffer.data(), n);
  std::fclose(log);
  return run;
}

std::string jsonl_without(const fs::path& file, const std::string& key) {
  std::string text;
  for (auto record : lightreasoner::io::read_jsonl(file)) {
    record.value.erase(key);
    text += record.value.dump() + "\n";
  }
  return text;
}

KillAnywhereResult kill_anywhere_then_finish(const std::vector<std::string>& first, const std::vector<std::string>& rerun,
                                             std::chrono::milliseconds uninterrupted, int kills, uint64_t seed) {
  KillAnywhereResult result;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> fraction(0.1, 0.5);
  for (int k = 0; k < kills; ++k) {
    const auto delay = std::chrono::milliseconds(static_cast<int64_t>(fraction(rng) * uninterrupted.count()));
    const auto deadline = std::chrono::steady_clock::now() + delay;
    const SignalledRun run = run_binary_and_signal_when(
        k == 0 ? first : rerun, [&] { return std::chrono::steady_clock::now() >= deadline; }, SIGKILL);
    if (!run.signalled) {  // it finished before its kill point: nothing left to interrupt
      result.final_run = {run.exit_code, run.output};
      return result;
    }
    ++result.killed;
  }
  std::string line;
  for (const auto& arg : rerun) line += " '" + arg + "'";
  result.final_run = run_binary(line);
  return result;
}

bool run_binary_and_kill_when(const std::vector<std::string>& args, const std::function<bool()>& ready,
                              std::chrono::seconds timeout) {
  const SignalledRun run = run_binary_and_signal_when(args, ready, SIGKILL, timeout);
  return run.signalled && run.term_signal == SIGKILL;
}

LockHolder::LockHolder(const fs::path& dir, const std::string& what) {
  int ready[2];
  if (::pipe(ready) != 0) return;
  const pid_t child = ::fork();
  if (child == 0) {
    try {
      lightreasoner::OutputDirLock lock = lightreasoner::OutputDirLock::acquire(dir, what);
      [[maybe_unused]] ssize_t n = ::write(ready[1], "x", 1);
      ::pause();
    } catch (...) {
    }
    ::_exit(1);
  }
  char byte = 0;
  if (child > 0 && ::read(ready[0], &byte, 1) == 1) pid = child;
  ::close(ready[0]);
  ::close(ready[1]);
  if (child > 0 && pid < 0) ::waitpid(child, nullptr, 0);
}

LockHolder::~LockHolder() {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

}  // namespace lrtest
