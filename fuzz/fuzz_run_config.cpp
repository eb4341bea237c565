// Fuzzes the run config (a JSON file with comments) plus `--set key=value` overrides, one per line
// of the second part, through load_run_config: schema reading, did-you-mean, validation. An
// accepted config must dump and read back to the same JSON.
#include <cstdlib>
#include <sstream>

#include "fuzz_support.h"
#include "lightreasoner/config/run_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lightreasoner;
  const auto parts = lrfuzz::split_parts(data, size, 2);  // config.json, overrides (one per line)
  const auto path = lrfuzz::write_scratch("run/config.json", parts[0]);
  std::vector<std::string> overrides;
  std::istringstream lines(parts[1]);
  for (std::string line; std::getline(lines, line);) overrides.push_back(line);
  LR_FUZZ_EXPECT_ERRORS({
    const config::RunConfig config = config::load_run_config(path, overrides);
    const auto dumped = config::config_to_json(config);
    const auto again = config::config_to_json(config::config_from_json(config::Json::parse(dumped.dump()), "dump"));
    if (dumped != again) std::abort();
  });
  return 0;
}
