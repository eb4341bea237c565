// spdlog configuration: console + optional file sink, rank prefix and rank-0 filter.
#include "lightreasoner/core/logging.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "lightreasoner/core/error.h"

namespace lightreasoner {

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

void setup_logging(const LogOptions& options) {
  auto level = spdlog::level::from_str(options.level);
  // from_str maps unknown names to "off"; only accept "off" when it was asked for.
  LR_CHECK(level != spdlog::level::off || options.level == "off",
           "--log-level must be one of trace, debug, info, warn, error, off (got '" << options.level << "')");
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (!options.file.empty()) {
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file, /*truncate=*/false));
    } catch (const spdlog::spdlog_ex& e) {
      LR_FAIL("cannot open log file '" << options.file << "': " << e.what());
    }
  }
  auto logger = std::make_shared<spdlog::logger>("lightreasoner", sinks.begin(), sinks.end());
  std::string rank_tag = options.world_size > 1 ? "[rank " + std::to_string(options.rank) + "] " : "";
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ " + rank_tag + "%v");
  if (options.rank != 0 && level < spdlog::level::warn) level = spdlog::level::warn;
  logger->set_level(level);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace lightreasoner
