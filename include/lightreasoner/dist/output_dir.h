// A command's hold on its output directory: the exclusive lock of core/run_control.h, taken by the
// process that writes the directory's shared files (rank 0 of a torchrun launch; the other ranks
// write only their own part files). Not the lock itself, nor what the recipe writes.
#pragma once

#include <filesystem>
#include <string>

#include "lightreasoner/core/run_control.h"

namespace lightreasoner::dist {

// Rank 0 (or the only process) takes the lock on `dir` for `what` ("sample", "train", ...); the
// other ranks get an empty handle. Throws, naming the holder, when another run holds `dir` — on
// every rank of a launch (a collective: all ranks call it at the same point).
OutputDirLock lock_output_dir(const std::filesystem::path& dir, const std::string& what);

}  // namespace lightreasoner::dist
