// Where a command's wall time and memory go, for its log: a recipe names each stage as it enters it,
// and the command ends with plain lines, "train: time by stage: sample 12.3s, load expert 0.4s, train
// 30.2s, save 0.1s (total 43.0s)" and, where Linux lets the peak be reset (peak_memory.h), "train:
// peak host memory by stage: sample 1.31 GB, load expert 0.52 GB, ...", then on a GPU "train: peak
// device memory by stage: ..." — where a user (or a GPU run's notes) can see what to cut. A stage
// entered twice adds up its time and keeps its larger peaks. No LibTorch here.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lightreasoner {

class PeakWindows;

class StageTimer {
 public:
  explicit StageTimer(std::string command);
  ~StageTimer();  // closes the open stage's memory window (an exception may leave one open)
  StageTimer(const StageTimer&) = delete;
  StageTimer& operator=(const StageTimer&) = delete;
  // Ends the stage in progress (if any) and starts `stage`.
  void start(const std::string& stage);
  // Ends the stage in progress.
  void stop();
  // Seconds spent in `stage` so far (0 for one never entered).
  double seconds(const std::string& stage) const;
  // The peak resident host memory within `stage`, in bytes (nullopt for one never entered, or where
  // the peak cannot be reset per stage).
  std::optional<int64_t> peak_bytes(const std::string& stage) const;
  // The peak device memory within `stage` (nullopt for one never entered or run without a device
  // gauge, peak_memory.h).
  std::optional<int64_t> device_peak_bytes(const std::string& stage) const;
  // "sample 12.3s, load expert 0.4s (total 12.7s)": the stages in the order first entered.
  std::string summary() const;
  // "sample 1.31 GB, load expert 520 MB", in the same order; "" where peaks are unknown.
  std::string memory_summary() const;
  std::string device_memory_summary() const;
  // Ends the stage in progress and logs "<command>: time by stage: <summary>", then the memory lines.
  void log();

 private:
  using Clock = std::chrono::steady_clock;
  std::string command_;
  struct Stage {
    std::string name;
    double seconds = 0.0;
    std::optional<int64_t> peak_bytes, device_peak_bytes;
  };
  std::vector<Stage> stages_;  // in the order first entered
  const Stage* find(const std::string& stage) const;  // nullptr for one never entered
  std::string peaks_summary(std::optional<int64_t> Stage::*peak) const;
  std::string current_;
  // The current stage's windows (peak_memory.h); none where unavailable.
  std::optional<int64_t> peak_window_;
  std::shared_ptr<PeakWindows> device_windows_;
  std::optional<int64_t> device_window_;
  void close_windows(std::optional<int64_t>* host_peak, std::optional<int64_t>* device_peak);
  Clock::time_point since_;
};

}  // namespace lightreasoner
