// Logging set-up on spdlog: a colour console sink (stderr) plus an optional plain file sink.
// Multi-process runs: only rank 0 logs below warning level, and every line of a rank > 0 carries
// its rank. Call sites use spdlog::info/warn/... directly; this file only configures.
#pragma once

#include <string>

namespace lightreasoner {

struct LogOptions {
  std::string level = "info";  // trace, debug, info, warn, error, off
  std::string file;            // empty = console only
  int rank = 0;
  int world_size = 1;
};

// Throws Error on an unknown level name or an unwritable log file.
void setup_logging(const LogOptions& options);

// True when stdout/stderr is a terminal (progress redraws in place only then).
bool stderr_is_terminal();

}  // namespace lightreasoner
