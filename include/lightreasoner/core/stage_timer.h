// Where a command's wall time goes, for its log: a recipe names each stage as it enters it, and
// the command ends with one plain line, "train: time by stage: sample 12.3s, load expert 0.4s,
// train 30.2s, save 0.1s (total 43.0s)" — where a user (or a GPU run's notes) can see what to cut.
// A stage entered twice adds up. No LibTorch here.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace lightreasoner {

class StageTimer {
 public:
  explicit StageTimer(std::string command);
  // Ends the stage in progress (if any) and starts `stage`.
  void start(const std::string& stage);
  // Ends the stage in progress.
  void stop();
  // Seconds spent in `stage` so far (0 for one never entered).
  double seconds(const std::string& stage) const;
  // "sample 12.3s, load expert 0.4s (total 12.7s)": the stages in the order first entered.
  std::string summary() const;
  // Ends the stage in progress and logs "<command>: time by stage: <summary>".
  void log();

 private:
  using Clock = std::chrono::steady_clock;
  std::string command_;
  std::vector<std::pair<std::string, double>> stages_;  // in the order first entered
  std::string current_;
  Clock::time_point since_;
};

}  // namespace lightreasoner
