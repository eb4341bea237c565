// Output-directory locks and the two-stage stop on SIGINT/SIGTERM (core/run_control.h): a second
// process is refused with the holder's pid, a nested acquire in the holding process releases
// nothing, a killed holder leaves no stale lock, the first signal only raises the flag, the second
// ends the process with 128 + signal.
#include "lightreasoner/core/run_control.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lightreasoner/core/atomic_file.h"
#include "support.h"

namespace fs = std::filesystem;
using namespace lightreasoner;

// What another process gets when it tries to take `dir`: "taken" or the error message.
std::string try_in_another_process(const fs::path& dir, const std::string& what) {
  int out[2];
  if (::pipe(out) != 0) return "pipe failed";
  const pid_t child = ::fork();
  if (child == 0) {
    std::string text;
    try {
      OutputDirLock lock = OutputDirLock::acquire(dir, what);
      text = lock.held() && !lock.nested() ? "taken" : "not held";
    } catch (const std::exception& e) {
      text = e.what();
    }
    [[maybe_unused]] ssize_t n = ::write(out[1], text.data(), text.size());
    ::_exit(0);
  }
  ::close(out[1]);
  std::string text;
  char buffer[512];
  for (ssize_t n; (n = ::read(out[0], buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<size_t>(n));
  ::close(out[0]);
  ::waitpid(child, nullptr, 0);
  return text;
}

TEST(OutputDirLock, ASecondProcessIsRefusedNamingTheHolder) {
  const auto dir = lrtest::temp_dir() / "run";
  OutputDirLock first = OutputDirLock::acquire(dir, "train");
  EXPECT_TRUE(first.held());
  EXPECT_FALSE(first.nested());
  EXPECT_TRUE(fs::is_regular_file(dir / kLockFileName));
  const std::string refused = try_in_another_process(dir, "sample");
  EXPECT_NE(refused.find("is in use by another run (pid " + std::to_string(::getpid()) + ", lightreasoner train)"),
            std::string::npos)
      << refused;
  first.release();
  EXPECT_FALSE(first.held());
  EXPECT_EQ(try_in_another_process(dir, "sample"), "taken");
  OutputDirLock again = OutputDirLock::acquire(dir, "sample");
  OutputDirLock moved = std::move(again);
  EXPECT_TRUE(moved.held());
  EXPECT_FALSE(again.held());  // NOLINT(bugprone-use-after-move): the moved-from state is the point
  EXPECT_NE(try_in_another_process(dir, "eval").find("lightreasoner sample"), std::string::npos);
}

TEST(OutputDirLock, ANestedAcquireInTheHoldingProcessReleasesNothing) {
  // train runs sample on its own output directory: the inner acquire must neither fail nor unlock.
  const auto dir = lrtest::temp_dir() / "run";
  OutputDirLock outer = OutputDirLock::acquire(dir, "train");
  {
    OutputDirLock inner = OutputDirLock::acquire(dir / ".", "sample");  // another spelling of the same folder
    EXPECT_TRUE(inner.held());
    EXPECT_TRUE(inner.nested());
  }
  EXPECT_NE(try_in_another_process(dir, "eval").find("is in use by another run"), std::string::npos);
  outer.release();
  EXPECT_EQ(try_in_another_process(dir, "eval"), "taken");
  EXPECT_FALSE(OutputDirLock::acquire(dir, "eval").nested());  // not nested once the outer one is gone
}

TEST(OutputDirLock, ReleaseAndRemoveLeavesNoLockFileAndTheNextAcquireWorks) {
  const auto dir = lrtest::temp_dir() / "model";
  OutputDirLock lock = OutputDirLock::acquire(dir, "merge");
  EXPECT_NE(try_in_another_process(dir, "merge").find("lightreasoner merge"), std::string::npos);
  lock.release_and_remove();
  EXPECT_FALSE(lock.held());
  EXPECT_FALSE(fs::exists(dir / kLockFileName));
  EXPECT_EQ(try_in_another_process(dir, "merge"), "taken");
}

TEST(OutputDirLock, AKilledHolderLeavesNoStaleLock) {
  const auto dir = lrtest::temp_dir() / "run";
  {
    lrtest::LockHolder holder(dir, "train");  // a real process; killed with SIGKILL when it goes
    ASSERT_GT(holder.pid, 0);
    EXPECT_LR_ERROR(OutputDirLock::acquire(dir, "sample"), "pid " + std::to_string(holder.pid) + ", lightreasoner train");
  }
  EXPECT_TRUE(OutputDirLock::acquire(dir, "sample").held());
}

TEST(OutputDirLock, AnUnwritableParentIsAClearError) {
  if (::geteuid() == 0) {
    // root ignores permissions; a path under a regular file fails for everyone.
    const auto dir = lrtest::temp_dir();
    write_file_atomic(dir / "file", "x");
    EXPECT_LR_ERROR(OutputDirLock::acquire(dir / "file" / "run", "train"), "cannot create output directory");
    return;
  }
  EXPECT_LR_ERROR(OutputDirLock::acquire("/proc/lightreasoner-run", "train"), "cannot create output directory");
}

TEST(StopSignal, TheFirstSignalOnlyRaisesTheFlag) {
  install_stop_handlers();
  reset_stop_request();
  EXPECT_FALSE(stop_requested());
  ASSERT_EQ(::raise(SIGTERM), 0);  // the process goes on
  EXPECT_TRUE(stop_requested());
  EXPECT_EQ(stop_signal(), SIGTERM);
  EXPECT_EQ(stop_exit_code(), 128 + SIGTERM);
  reset_stop_request();
  EXPECT_FALSE(stop_requested());
}

TEST(StopSignal, TheSecondSignalExitsAtOnceWith128PlusTheSignal) {
  EXPECT_EXIT(
      {
        install_stop_handlers();
        reset_stop_request();
        ::raise(SIGINT);
        ::raise(SIGINT);
        ::_exit(0);  // not reached
      },
      ::testing::ExitedWithCode(128 + SIGINT), "signal again to exit now");
}
