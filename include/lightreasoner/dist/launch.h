// The launch environment that torchrun (and Slurm or multi-node wrappers that mimic it) set:
// RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT. Parsing and validation only; the
// rendezvous and the collectives are in process_group.h. No variables = one process, as before.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace lightreasoner::dist {

struct LaunchEnv {
  bool launched = false;  // WORLD_SIZE was set: join a process group (even a group of one)
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;  // which GPU of this node the rank uses (cuda:LOCAL_RANK)
  std::string master_addr;
  int master_port = 0;
};

// Reads the variables through `lookup` (std::getenv in the program; a map in tests). Throws Error
// naming the variable on a missing, non-integer or out-of-range value.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
LaunchEnv parse_launch_env(const EnvLookup& lookup);
LaunchEnv launch_env_from_process();

}  // namespace lightreasoner::dist
