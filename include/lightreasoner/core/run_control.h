// Two things every long command needs from the operating system, and nothing else:
//  - an exclusive lock on its output directory, so two runs never write into one folder at once
//    (flock on <dir>/.lightreasoner.lock: released when the holder exits, also by the kernel when it
//    crashes or is killed, so a stale lock cannot outlive its process);
//  - a graceful stop on SIGINT/SIGTERM: the first signal only raises a flag that the command polls at
//    its next safe point (after a batch is written, after a checkpoint), the second ends the process
//    at once. Which points are safe is the caller's business, not this file's.
#pragma once

#include <filesystem>
#include <string>

namespace lightreasoner {

// Holds the lock while alive (movable, not copyable).
class OutputDirLock {
 public:
  // Creates `dir` when missing, takes the lock without waiting and records this process (pid and
  // `what`, e.g. "train") in the lock file. Throws Error naming the directory and the holder's pid
  // and command when another process holds it. When this process already holds it (a recipe run by
  // another on the same folder: train sampling its dataset), the handle is nested and releases nothing.
  static OutputDirLock acquire(const std::filesystem::path& dir, const std::string& what);
  OutputDirLock() = default;
  OutputDirLock(OutputDirLock&& other) noexcept;
  OutputDirLock& operator=(OutputDirLock&& other) noexcept;
  OutputDirLock(const OutputDirLock&) = delete;
  OutputDirLock& operator=(const OutputDirLock&) = delete;
  ~OutputDirLock();

  bool held() const { return fd_ >= 0 || nested_; }
  bool nested() const { return nested_; }
  void release();
  // For a folder that is itself a product (a merged model directory, which users upload as it is):
  // removes the lock file, still holding it, then releases. A concurrent acquire notices and retries.
  void release_and_remove();

 private:
  int fd_ = -1;
  bool nested_ = false;
  std::string key_;             // the directory's canonical path while fd_ holds it
  std::filesystem::path path_;  // the lock file
};

// The lock file's name inside an output directory.
inline constexpr const char* kLockFileName = ".lightreasoner.lock";

// Installs the SIGINT/SIGTERM handlers (idempotent). After the first signal stop_requested() is true
// and one line says how to stop at once; a second signal exits immediately with 128 + signal.
void install_stop_handlers();
bool stop_requested();
// The signal that asked for the stop (SIGINT or SIGTERM), 0 when none did.
int stop_signal();
// 128 + stop_signal(): the exit status of a command that stopped early on request.
int stop_exit_code();
// For tests: clears the flag.
void reset_stop_request();

// Thrown by a command that stopped at a safe point because of a signal; main() turns it into a
// log line and stop_exit_code().
struct StopRequested {
  std::string where;  // what was saved, e.g. "checkpoint at step 200"
};

}  // namespace lightreasoner
