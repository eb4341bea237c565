// train_sentencepiece (see sentencepiece_train.h): posix_spawnp("spm_train", flags) with its
// output sent to <model_prefix>.train.log, so no shell and no quoting of paths.
#include "lightreasoner/tokenizer/sentencepiece_train.h"

#include <fcntl.h>
#include <cstring>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/error.h"

extern char** environ;

namespace lightreasoner::tokenizer {

void train_sentencepiece(const std::vector<std::string>& flags) {
  std::string log_path = "spm_train.log";
  for (const auto& f : flags) {
    if (f.rfind("--model_prefix=", 0) == 0) log_path = f.substr(15) + ".train.log";
  }
  std::vector<std::string> args{"spm_train"};
  args.insert(args.end(), flags.begin(), flags.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const int spawn_error = posix_spawnp(&pid, "spm_train", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  LR_CHECK(spawn_error == 0, "sentencepiece training: cannot run spm_train (" << std::strerror(spawn_error)
                                                                              << "); install the Debian package `sentencepiece`");
  int status = 0;
  LR_CHECK(waitpid(pid, &status, 0) == pid, "sentencepiece training: waitpid failed");
  if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    std::string log;
    try {
      log = read_file(log_path);
    } catch (const std::exception&) {
    }
    if (log.size() > 600) log = "..." + log.substr(log.size() - 600);
    LR_FAIL("sentencepiece training failed (spm_train exit status "
            << (WIFEXITED(status) ? WEXITSTATUS(status) : -1) << ", log " << log_path << "):\n" << log);
  }
}

}  // namespace lightreasoner::tokenizer
