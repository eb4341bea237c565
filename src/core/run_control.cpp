// Output-directory locks (flock) and the two-stage SIGINT/SIGTERM stop (run_control.h).
#include "lightreasoner/core/run_control.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "lightreasoner/core/error.h"

namespace lightreasoner {

namespace fs = std::filesystem;

namespace {

// The directories this process holds (flock is per open file: a second open of the same lock file
// in this process would be refused like another process's, so a nested acquire must not open it).
// Keyed with the pid too: a forked child inherits the table but is another process.
std::mutex g_held_mutex;
std::map<std::string, pid_t>& held_dirs() {
  static std::map<std::string, pid_t> dirs;
  return dirs;
}

}  // namespace

OutputDirLock OutputDirLock::acquire(const fs::path& dir, const std::string& what) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  LR_CHECK(!ec, "cannot create output directory '" << dir.string() << "': " << ec.message());
  const std::string key = fs::weakly_canonical(dir, ec).string();
  {
    std::lock_guard<std::mutex> guard(g_held_mutex);
    const auto it = held_dirs().find(key);
    // A recipe inside another on the same folder (train running sample): nested, releases nothing.
    if (it != held_dirs().end() && it->second == ::getpid()) {
      OutputDirLock nested;
      nested.nested_ = true;
      return nested;
    }
  }
  const fs::path path = dir / kLockFileName;
  int fd = -1, lock_error = 0;
  for (int attempt = 0;; ++attempt) {
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    LR_CHECK(fd >= 0, "cannot open the lock file '" << path.string() << "': " << std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      lock_error = errno;  // held by another process: reported below
      break;
    }
    // A holder that removes its lock file (release_and_remove) may have unlinked the file we opened
    // just before we locked it: then the lock is on a dead inode, and we start over on the new file.
    struct stat locked {}, current {};
    if (::fstat(fd, &locked) == 0 && ::stat(path.c_str(), &current) == 0 && locked.st_ino == current.st_ino &&
        locked.st_dev == current.st_dev) {
      break;  // ours
    }
    ::close(fd);
    LR_CHECK(attempt < 100, "cannot lock '" << path.string() << "': it keeps being replaced");
  }
  if (lock_error != 0) {
    const int error = lock_error;
    std::string holder(256, '\0');
    const ssize_t n = ::pread(fd, holder.data(), holder.size() - 1, 0);
    holder.resize(n > 0 ? static_cast<size_t>(n) : 0);
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) holder.pop_back();
    ::close(fd);
    LR_CHECK(error == EWOULDBLOCK, "cannot lock '" << path.string() << "': " << std::strerror(error));
    LR_FAIL("output directory '" << dir.string() << "' is in use by another run ("
                                 << (holder.empty() ? std::string("pid unknown") : holder)
                                 << "); wait for it to finish or choose another output directory");
  }
  // Who holds it, for the message of the next run that tries (best effort: the lock is the flock).
  const std::string record = "pid " + std::to_string(::getpid()) + ", lightreasoner " + what + "\n";
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] ssize_t written = ::pwrite(fd, record.data(), record.size(), 0);
  }
  OutputDirLock lock;
  lock.fd_ = fd;
  lock.key_ = key;
  lock.path_ = path;
  std::lock_guard<std::mutex> guard(g_held_mutex);
  held_dirs()[key] = ::getpid();
  return lock;
}

OutputDirLock::OutputDirLock(OutputDirLock&& other) noexcept
    : fd_(other.fd_), nested_(other.nested_), key_(std::move(other.key_)), path_(std::move(other.path_)) {
  other.fd_ = -1;
  other.nested_ = false;
}

OutputDirLock& OutputDirLock::operator=(OutputDirLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = other.fd_;
    nested_ = other.nested_;
    key_ = std::move(other.key_);
    path_ = std::move(other.path_);
    other.fd_ = -1;
    other.nested_ = false;
  }
  return *this;
}

OutputDirLock::~OutputDirLock() { release(); }

void OutputDirLock::release_and_remove() {
  if (fd_ >= 0) {
    std::error_code ec;
    fs::remove(path_, ec);  // while still holding it: a waiting acquire then sees a dead inode and retries
  }
  release();
}

void OutputDirLock::release() {
  nested_ = false;  // the outer holder releases
  if (fd_ < 0) return;
  {
    std::lock_guard<std::mutex> guard(g_held_mutex);
    held_dirs().erase(key_);
  }
  // The record stays: it is only read while the lock is held by someone.
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
  fd_ = -1;
}

namespace {

std::atomic<int> g_stop_signal{0};

extern "C" void on_stop_signal(int signal) {
  int expected = 0;
  if (g_stop_signal.compare_exchange_strong(expected, signal)) {
    static const char kMessage[] =
        "\nlightreasoner: stopping at the next safe point (progress is kept); signal again to exit now\n";
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    return;
  }
  ::_exit(128 + signal);
}

}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

bool stop_requested() { return g_stop_signal.load(std::memory_order_relaxed) != 0; }
int stop_signal() { return g_stop_signal.load(std::memory_order_relaxed); }
int stop_exit_code() { return 128 + stop_signal(); }
void reset_stop_request() { g_stop_signal.store(0); }

}  // namespace lightreasoner
