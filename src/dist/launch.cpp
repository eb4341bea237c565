// torchrun's environment variables → LaunchEnv, with errors that name the variable.
#include "lightreasoner/dist/launch.h"

#include <cstdlib>

#include "lightreasoner/core/error.h"

namespace lightreasoner::dist {

namespace {

int integer_variable(const EnvLookup& lookup, const std::string& name, int min, int max) {
  auto text = lookup(name);
  LR_CHECK(text && !text->empty(), "environment variable " << name << " is not set; a distributed launch (WORLD_SIZE="
                                                           << lookup("WORLD_SIZE").value_or("") << ") needs RANK, "
                                                           << "WORLD_SIZE, MASTER_ADDR and MASTER_PORT (torchrun sets them)");
  size_t used = 0;
  long value = 0;
  try {
    value = std::stol(*text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  LR_CHECK(used == text->size(), "environment variable " << name << "='" << *text << "' is not an integer");
  LR_CHECK(value >= min && value <= max,
           "environment variable " << name << "=" << value << " is out of range: expected " << min << ".." << max);
  return static_cast<int>(value);
}

}  // namespace

LaunchEnv parse_launch_env(const EnvLookup& lookup) {
  LaunchEnv env;
  if (!lookup("WORLD_SIZE")) {
    LR_CHECK(!lookup("RANK"), "environment variable RANK is set but WORLD_SIZE is not; set both (torchrun does) or "
                              "neither (one process)");
    return env;
  }
  env.launched = true;
  env.world_size = integer_variable(lookup, "WORLD_SIZE", 1, 1 << 20);
  env.rank = integer_variable(lookup, "RANK", 0, env.world_size - 1);
  // Without LOCAL_RANK (a hand-made single-node launch) the global rank picks the GPU.
  env.local_rank = lookup("LOCAL_RANK") ? integer_variable(lookup, "LOCAL_RANK", 0, env.world_size - 1) : env.rank;
  auto addr = lookup("MASTER_ADDR");
  LR_CHECK(addr && !addr->empty(), "environment variable MASTER_ADDR is not set; a distributed launch (WORLD_SIZE="
                                       << env.world_size << ") needs the address of rank 0's rendezvous store");
  env.master_addr = *addr;
  env.master_port = integer_variable(lookup, "MASTER_PORT", 1, 65535);
  return env;
}

LaunchEnv launch_env_from_process() {
  return parse_launch_env([](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value) return std::nullopt;
    return std::string(value);
  });
}

}  // namespace lightreasoner::dist
