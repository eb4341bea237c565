// core/: error messages carry the location, atomic writes, progress rendering, device and
// dtype parsing.
#include <sched.h>
#include <torch/torch.h>

#include <malloc.h>

#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/device.h"
#include "lightreasoner/core/device_memory.h"
#include "lightreasoner/core/malloc_tuning.h"
#include "lightreasoner/core/peak_memory.h"
#include "lightreasoner/core/progress.h"
#include "lightreasoner/core/stage_timer.h"
#include "../bench/bench_options.h"
#include "support.h"

namespace fs = std::filesystem;
using namespace lightreasoner;

TEST(Core, CheckThrowsErrorWithMessageAndLocation) {
  int expected = 3, actual = 4;
  try {
    LR_CHECK(expected == actual, "widgets: expected " << expected << ", got " << actual);
    FAIL() << "LR_CHECK did not throw";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("widgets: expected 3, got 4"), std::string::npos);
    EXPECT_NE(what.find("(at test_core.cpp:"), std::string::npos);
  }
  EXPECT_NO_THROW(LR_CHECK(true, "never"));
}

TEST(Core, AtomicWriteReplacesWholeFile) {
  auto dir = lrtest::temp_dir();
  write_file_atomic(dir / "sub/dir/a.txt", "first");
  EXPECT_EQ(read_file(dir / "sub/dir/a.txt"), "first");
  write_file_atomic(dir / "sub/dir/a.txt", "second, longer");
  EXPECT_EQ(read_file(dir / "sub/dir/a.txt"), "second, longer");
  {
    AtomicFileWriter writer(dir / "b.txt");
    writer.write("never committed");
    EXPECT_TRUE(fs::exists(writer.temp_path()));
  }  // destroyed without commit(): the target does not appear and the temp file is gone
  EXPECT_FALSE(fs::exists(dir / "b.txt"));
  for (const auto& entry : fs::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos);
  }
  EXPECT_LR_ERROR(read_file(dir / "missing.txt"), "cannot open");
  EXPECT_LR_ERROR(write_file_atomic("/proc/forbidden/x.txt", "x"), "cannot create");
}

TEST(Core, ProgressRendersCountsRateAndEta) {
  Progress progress("sample", 200, "problems");
  progress.update(50, {{"tok/s", "812"}});
  std::string line = progress.render({{"tok/s", "812"}});
  EXPECT_NE(line.find("sample: 50/200 (25.0%) problems"), std::string::npos) << line;
  EXPECT_NE(line.find("problems/s"), std::string::npos) << line;
  EXPECT_NE(line.find("| tok/s 812"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA"), std::string::npos) << line;
  Progress unknown("train", 0, "steps", /*initial_done=*/10);
  EXPECT_EQ(unknown.render({}).find("ETA"), std::string::npos);
  EXPECT_NE(unknown.render({}).find("train: 10 steps"), std::string::npos);
  EXPECT_EQ(format_duration(3725), "1h02m");
  EXPECT_EQ(format_duration(187), "3m07s");
  EXPECT_EQ(format_duration(12.34), "12.3s");
  EXPECT_EQ(format_rate(4.56e6), "4.56M");
  EXPECT_EQ(format_rate(12345), "12.3k");
  EXPECT_EQ(format_rate(812), "812");
}

TEST(Core, StageTimesAddUpInTheOrderFirstEntered) {
  StageTimer timer("train");
  EXPECT_EQ(timer.summary(), "(total 0.0s)");
  timer.start("load");
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  timer.start("train");
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  timer.start("load");  // entered again: adds to the first entry
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  timer.stop();
  timer.stop();  // nothing in progress: no effect
  EXPECT_GE(timer.seconds("load"), 0.06);
  EXPECT_GE(timer.seconds("train"), 0.01);
  EXPECT_LT(timer.seconds("train"), timer.seconds("load"));
  EXPECT_EQ(timer.seconds("never"), 0.0);
  const std::string summary = timer.summary();
  EXPECT_EQ(summary.find("load "), 0u) << summary;
  EXPECT_NE(summary.find(", train "), std::string::npos) << summary;
  EXPECT_NE(summary.find(" (total "), std::string::npos) << summary;
}

TEST(Core, EachStageReportsThePeakHostMemoryReachedWithinItNotAnEarlierOne) {
  const auto probe = host_peak_windows().open();
  ASSERT_TRUE(probe.has_value()) << "Linux >= 4.0 lets a process reset its peak (/proc/self/clear_refs)";
  ASSERT_TRUE(host_peak_windows().close(*probe).has_value());
  StageTimer timer("train");
  timer.start("small");
  timer.start("big");
  {
    std::vector<char> block(256u << 20);  // 256 MiB, every page touched, freed at the stage's end
    for (size_t i = 0; i < block.size(); i += 4096) block[i] = 1;
    EXPECT_EQ(block[4096], 1);
  }
  timer.start("after");
  timer.stop();
  const int64_t small = timer.peak_bytes("small").value(), big = timer.peak_bytes("big").value(),
                after = timer.peak_bytes("after").value();
  EXPECT_GE(big - small, 250ll << 20) << "small " << small << ", big " << big;
  EXPECT_LT(after, big - (200ll << 20)) << "the peak of 'after' must not be the earlier stage's";
  EXPECT_FALSE(timer.peak_bytes("never").has_value());
  const std::string memory = timer.memory_summary();
  EXPECT_EQ(memory.find("small "), 0u) << memory;
  EXPECT_NE(memory.find(", big "), std::string::npos) << memory;
  EXPECT_EQ(format_bytes(812'400'000), "812 MB");
  EXPECT_EQ(format_bytes(1'240'000'000), "1.24 GB");
}

TEST(Core, AStageKeepsItsPeakWhileAnotherTimerInsideItResetsTheMark) {
  // train's "sample" stage holds the sample recipe's own timer, whose stage starts reset the kernel's
  // one high-water mark: the outer stage must still see the peak reached inside.
  StageTimer outer("train");
  outer.start("before");
  outer.start("sample");
  {
    StageTimer inner("sample");
    inner.start("generate");
    {
      std::vector<char> block(256u << 20);
      for (size_t i = 0; i < block.size(); i += 4096) block[i] = 1;
      EXPECT_EQ(block[4096], 1);
    }
    inner.start("write");  // resets the mark after the 256 MiB were freed
    inner.stop();
    EXPECT_LT(inner.peak_bytes("write").value(), inner.peak_bytes("generate").value() - (200ll << 20));
  }
  outer.stop();
  EXPECT_GE(outer.peak_bytes("sample").value() - outer.peak_bytes("before").value(), 250ll << 20)
      << "before " << outer.peak_bytes("before").value() << ", sample " << outer.peak_bytes("sample").value();
}

// A memory counter with a resettable high-water mark, as a GPU allocator keeps one.
struct MemoryCounter {
  int64_t current = 0, peak = 0;
  void set(int64_t bytes) {
    current = bytes;
    peak = std::max(peak, bytes);
  }
  PeakGauge gauge() {
    return {[this] { return std::optional<int64_t>(peak); }, [this] {
              peak = current;
              return true;
            }};
  }
};

TEST(Core, AWindowKeepsThePeakReachedInsideItWhileAnInnerWindowResetsTheMark) {
  MemoryCounter counter;
  PeakWindows windows(counter.gauge());
  counter.set(100);
  const int64_t outer = windows.open().value();
  counter.set(900);  // outer's peak, reached before the inner window resets the mark
  counter.set(200);
  const int64_t inner = windows.open().value();
  counter.set(300);
  EXPECT_EQ(windows.close(inner), 300);
  EXPECT_EQ(windows.close(outer), 900);
  EXPECT_EQ(windows.close(outer), std::nullopt) << "a window closes once";
  PeakWindows no_reset(PeakGauge{[] { return std::optional<int64_t>(1); }, [] { return false; }});
  EXPECT_EQ(no_reset.open(), std::nullopt) << "a mark that cannot be reset gives no window, not a lifetime peak";
}

TEST(Core, OnAGpuEachStageLogsItsOwnPeakDeviceMemory) {
  MemoryCounter counter;
  set_device_peak_gauge("cuda:0", counter.gauge());  // what watch_device_memory registers for a CUDA device
  {
    StageTimer timer("train");
    timer.start("load expert");
    counter.set(3'000'000'000);
    timer.start("train");
    counter.set(5'000'000'000);
    counter.set(1'000'000'000);  // activations freed at the end
    timer.start("save");
    counter.set(1'200'000'000);
    timer.stop();
    EXPECT_EQ(timer.device_peak_bytes("load expert"), 3'000'000'000);
    EXPECT_EQ(timer.device_peak_bytes("train"), 5'000'000'000);
    EXPECT_EQ(timer.device_peak_bytes("save"), 1'200'000'000) << "not the earlier stage's peak";
    EXPECT_EQ(timer.device_memory_summary(), "load expert 3.00 GB, train 5.00 GB, save 1.20 GB");
  }
  watch_device_memory(torch::Device(torch::kCPU));  // a command on the CPU: no device gauge
  EXPECT_EQ(device_peak_windows(), nullptr);
  StageTimer timer("eval");
  timer.start("generate");
  timer.stop();
  EXPECT_EQ(timer.device_peak_bytes("generate"), std::nullopt);
  EXPECT_EQ(timer.device_memory_summary(), "");
}

TEST(Core, ACommandRunInsideAnotherOnTheSameGpuKeepsTheOuterStagesPeak) {
  // train on a GPU runs sample inside its "sample" stage, and both watch the same device: the inner
  // command must reuse the outer one's windows, whose resets fold into the outer stage.
  MemoryCounter counter;
  set_device_peak_gauge("cuda:0", counter.gauge());
  const auto outer_windows = device_peak_windows();
  {
    StageTimer outer("train");
    outer.start("sample");
    set_device_peak_gauge("cuda:0", counter.gauge());  // the inner command watches the same GPU
    EXPECT_EQ(device_peak_windows(), outer_windows);
    {
      StageTimer inner("sample");
      inner.start("generate");
      counter.set(6'000'000'000);
      counter.set(2'000'000'000);
      inner.start("write");  // resets the allocator's mark after the peak
      inner.stop();
      EXPECT_EQ(inner.device_peak_bytes("write"), 2'000'000'000);
    }
    outer.stop();
    EXPECT_EQ(outer.device_peak_bytes("sample"), 6'000'000'000) << "the peak reached inside the inner command";
  }
  set_device_peak_gauge("cuda:1", counter.gauge());
  EXPECT_NE(device_peak_windows(), outer_windows) << "another device replaces the gauge";
  clear_device_peak_gauge();
  EXPECT_EQ(device_peak_windows(), nullptr);
}

TEST(Core, DeviceAndDtypeNames) {
  EXPECT_EQ(parse_device("cpu"), torch::Device(torch::kCPU));
  EXPECT_EQ(parse_device("CPU"), torch::Device(torch::kCPU));
  if (!torch::cuda::is_available()) {
    EXPECT_EQ(parse_device("auto"), torch::Device(torch::kCPU));
    EXPECT_LR_ERROR(parse_device("cuda:0"), "CUDA is not available");
  } else {
    EXPECT_EQ(parse_device("auto"), torch::Device(torch::kCUDA, 0));
    EXPECT_LR_ERROR(parse_device("cuda:99"), "only");
  }
  EXPECT_LR_ERROR(parse_device("tpu"), "device must be cpu, cuda, cuda:N or auto (got 'tpu')");
  EXPECT_LR_ERROR(parse_device("cuda:x"), "got 'cuda:x'");
  EXPECT_EQ(parse_dtype("bf16"), torch::kBFloat16);
  EXPECT_EQ(parse_dtype("bfloat16"), torch::kBFloat16);
  EXPECT_EQ(parse_dtype("fp32"), torch::kFloat32);
  EXPECT_EQ(parse_dtype("half"), torch::kFloat16);
  EXPECT_LR_ERROR(parse_dtype("int4"), "dtype must be one of f32, bf16, f16 (got 'int4')");
  EXPECT_EQ(dtype_name(torch::kBFloat16), "bf16");
}

// "Available" is the CPU affinity mask (what taskset/cgroups allow), not the machine's core count:
// restricted to one CPU the default is 1 thread, unrestricted it is the mask's size.
TEST(Core, ThreadsDefaultToAvailableCores) {
  cpu_set_t all;
  ASSERT_EQ(sched_getaffinity(0, sizeof all, &all), 0);
  set_threads(0);
  EXPECT_EQ(torch::get_num_threads(), CPU_COUNT(&all));
  int first = 0;
  while (!CPU_ISSET(first, &all)) ++first;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  set_threads(0);
  const int restricted = torch::get_num_threads();
  ASSERT_EQ(sched_setaffinity(0, sizeof all, &all), 0);
  EXPECT_EQ(restricted, 1);
  set_threads(1);
  EXPECT_EQ(torch::get_num_threads(), 1);
  set_threads(0);
}

// glibc's default mmaps every large block afresh (and the kernel zeroes its pages at every step);
// the tuning serves blocks up to 32 MiB from the heap, where freed memory is reused. Checked by
// glibc's own count of mmapped blocks, from a known starting point (glibc's initial threshold).
TEST(Core, TensorSizedBlocksComeFromTheHeapAfterTheMallocTuning) {
  for (const char* own : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES"})
    if (std::getenv(own) != nullptr) GTEST_SKIP() << own << " is set for this test run";
  auto mmapped_by = [](size_t bytes) {  // mmapped blocks this allocation adds
    const auto before = mallinfo2().hblks;
    void* p = std::malloc(bytes);
    static_cast<volatile char*>(p)[bytes - 1] = 1;
    const auto added = mallinfo2().hblks - before;
    std::free(p);
    return added;
  };
  ASSERT_EQ(mallopt(M_MMAP_THRESHOLD, 128 * 1024), 1);  // glibc's initial setting
  EXPECT_EQ(mmapped_by(8u << 20), 1u);
  ASSERT_TRUE(keep_freed_memory_for_reuse());
  EXPECT_EQ(mmapped_by(8u << 20), 0u);
  EXPECT_EQ(mmapped_by(30u << 20), 0u);
  EXPECT_EQ(mmapped_by(64u << 20), 1u);  // beyond glibc's largest threshold: mmapped still
  EXPECT_EQ(malloc_settings(), "blocks up to 32 MiB from the heap, 1 GiB of freed heap kept");
  // A user's own setting is left alone, and named.
  ASSERT_EQ(setenv("MALLOC_TRIM_THRESHOLD_", "4096", 1), 0);
  EXPECT_FALSE(keep_freed_memory_for_reuse());
  EXPECT_EQ(malloc_settings(), "the user's MALLOC_TRIM_THRESHOLD_=4096");
  unsetenv("MALLOC_TRIM_THRESHOLD_");
}

// The benchmarks' options (bench/bench_options.h): what a bench cannot use stops it with exit 2,
// naming the option, instead of running with the default it would silently keep.
TEST(BenchOptions, WhatABenchCannotUseStopsItWithExit2NamingTheOption) {
  auto parse = [](std::vector<std::string> words) {
    std::vector<char*> argv;
    for (auto& word : words) argv.push_back(word.data());
    const lightreasoner::bench::Options cli("bench_x", static_cast<int>(argv.size()), argv.data());
    for (const auto& [name, value] : cli.pairs()) {
      if (name == "--steps") (void)cli.integer(name, value);
      else if (name == "--fast") (void)cli.flag(name, value);
      else cli.unknown(name);
    }
    std::exit(0);
  };
  EXPECT_EXIT(parse({"bench_x", "--steps", "12", "--fast", "0"}), ::testing::ExitedWithCode(0), "");
  EXPECT_EXIT(parse({"bench_x", "--stpes", "12"}), ::testing::ExitedWithCode(2), "bench_x: unknown option --stpes");
  EXPECT_EXIT(parse({"bench_x", "--steps"}), ::testing::ExitedWithCode(2), "option --steps needs a value");
  EXPECT_EXIT(parse({"bench_x", "--steps", "12x"}), ::testing::ExitedWithCode(2), "--steps needs an integer, got '12x'");
  EXPECT_EXIT(parse({"bench_x", "--fast", "yes"}), ::testing::ExitedWithCode(2), "--fast needs 0 or 1, got 'yes'");
  EXPECT_EXIT(parse({"bench_x", "steps", "12"}), ::testing::ExitedWithCode(2), "expected an option --name, got 'steps'");
}
