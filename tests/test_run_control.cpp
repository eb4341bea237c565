// Output-directory locks and the two-stage stop on SIGINT/SIGTERM (core/run_control.h): a second
// holder is refused with the first one's pid, a killed holder leaves no stale lock, the first signal
// only raises the flag, the second ends the process with 128 + signal.
#include "lightreasoner/core/run_control.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lightreasoner/core/atomic_file.h"
#include "support.h"

namespace fs = std::filesystem;
using namespace lightreasoner;

TEST(OutputDirLock, ASecondHolderIsRefusedNamingTheFirst) {
  const auto dir = lrtest::temp_dir() / "run";
  OutputDirLock first = OutputDirLock::acquire(dir, "train");
  EXPECT_TRUE(first.held());
  EXPECT_TRUE(fs::is_regular_file(dir / kLockFileName));
  const std::string holder = "pid " + std::to_string(::getpid()) + ", lightreasoner train";
  EXPECT_LR_ERROR(OutputDirLock::acquire(dir, "sample"), holder);
  EXPECT_LR_ERROR(OutputDirLock::acquire(dir, "sample"), "is in use by another run");
  first.release();
  EXPECT_FALSE(first.held());
  OutputDirLock again = OutputDirLock::acquire(dir, "sample");
  EXPECT_TRUE(again.held());
  OutputDirLock moved = std::move(again);
  EXPECT_TRUE(moved.held());
  EXPECT_FALSE(again.held());  // NOLINT(bugprone-use-after-move): the moved-from state is the point
  EXPECT_LR_ERROR(OutputDirLock::acquire(dir, "eval"), "lightreasoner sample");
}

TEST(OutputDirLock, AKilledHolderLeavesNoStaleLock) {
  const auto dir = lrtest::temp_dir() / "run";
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      OutputDirLock lock = OutputDirLock::acquire(dir, "train");
      [[maybe_unused]] ssize_t n = ::write(ready[1], "x", 1);
      ::pause();
    } catch (...) {
    }
    ::_exit(1);
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  EXPECT_LR_ERROR(OutputDirLock::acquire(dir, "sample"), "pid " + std::to_string(child) + ", lightreasoner train");
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_TRUE(OutputDirLock::acquire(dir, "sample").held());
  ::close(ready[0]);
  ::close(ready[1]);
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
