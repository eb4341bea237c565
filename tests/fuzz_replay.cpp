// Replays inputs through the fuzz harnesses (fuzz/fuzz_*.cpp) in the default build, without clang,
// libFuzzer or sanitizers: every harness compiles with the library as it is now, and every input in
// fuzz/corpus/ (the seeds and each earlier finding) plus the empty input goes through its harness
// again. What a harness treats as a finding (an exception other than lightreasoner::Error, an
// abort) ends this process with a non-zero status, naming the input. Fuzzing itself stays with
// scripts/fuzz.sh. Each harness's LLVMFuzzerTestOneInput is renamed at compile time
// (tests/CMakeLists.txt) so that all of them live in one executable.
// Usage: fuzz_replay CORPUS_ROOT   (replays every harness; CORPUS_ROOT/<harness>/ holds its inputs)
//        fuzz_replay CORPUS_ROOT HARNESS...
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <utility>
#include <vector>

// The generated table (tests/CMakeLists.txt): LR_FUZZ_HARNESS(name) for each harness compiled here,
// LR_FUZZ_NOT_REPLAYED(name, "why") for each that cannot run in this process.
#define LR_FUZZ_HARNESS(name) extern "C" int lr_fuzz_entry_##name(const uint8_t* data, size_t size);
#define LR_FUZZ_NOT_REPLAYED(name, why)
#include "fuzz_replay_harnesses.h"
#undef LR_FUZZ_HARNESS
#undef LR_FUZZ_NOT_REPLAYED

namespace {

struct Harness {
  const char* name;
  int (*run)(const uint8_t*, size_t);
};

const Harness kHarnesses[] = {
#define LR_FUZZ_HARNESS(name) {#name, lr_fuzz_entry_##name},
#define LR_FUZZ_NOT_REPLAYED(name, why)
#include "fuzz_replay_harnesses.h"
#undef LR_FUZZ_HARNESS
#undef LR_FUZZ_NOT_REPLAYED
};

// Harnesses whose inputs cannot be replayed in this process (not compiled here), with the reason.
const std::vector<std::pair<const char*, const char*>> kNotReplayed = {  // may be empty
#define LR_FUZZ_HARNESS(name)
#define LR_FUZZ_NOT_REPLAYED(name, why) {#name, why},
#include "fuzz_replay_harnesses.h"
#undef LR_FUZZ_HARNESS
#undef LR_FUZZ_NOT_REPLAYED
};

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int replay(const Harness& harness, const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> inputs;
  if (std::filesystem::is_directory(folder)) {
    for (const auto& entry : std::filesystem::directory_iterator(folder))
      if (entry.is_regular_file()) inputs.push_back(entry.path());
  }
  std::sort(inputs.begin(), inputs.end());
  std::printf("%s: the empty input", harness.name);
  std::fflush(stdout);
  (void)harness.run(reinterpret_cast<const uint8_t*>(""), 0);
  for (const auto& input : inputs) {
    const std::string bytes = read_bytes(input);
    std::printf(", %s (%zu bytes)", input.filename().c_str(), bytes.size());
    std::fflush(stdout);  // a crash leaves the input it happened on as the last name printed
    (void)harness.run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  std::printf(": ok\n");
  return static_cast<int>(inputs.size()) + 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: fuzz_replay CORPUS_ROOT [HARNESS...]\n");
    return 2;
  }
  const std::filesystem::path root = argv[1];
  if (!std::filesystem::is_directory(root)) {
    std::fprintf(stderr, "fuzz_replay: %s is not a folder\n", root.c_str());
    return 2;
  }
  std::set<std::string> known, wanted(argv + 2, argv + argc);
  for (const auto& harness : kHarnesses) known.insert(harness.name);
  for (const auto& [name, why] : kNotReplayed) known.insert(name);
  for (const auto& name : wanted) {
    if (known.count(name) == 0) {
      std::fprintf(stderr, "fuzz_replay: no harness named %s\n", name.c_str());
      return 2;
    }
  }
  // A corpus folder for a harness this binary lacks would otherwise never be replayed.
  for (const auto& entry : std::filesystem::directory_iterator(root)) {
    if (entry.is_directory() && known.count(entry.path().filename().string()) == 0) {
      std::fprintf(stderr, "fuzz_replay: %s has no harness here (a renamed or removed fuzz/%s.cpp?)\n",
                   entry.path().c_str(), entry.path().filename().c_str());
      return 1;
    }
  }
  int inputs = 0, harnesses = 0;
  for (const auto& harness : kHarnesses) {
    if (!wanted.empty() && wanted.count(harness.name) == 0) continue;
    inputs += replay(harness, root / harness.name);
    ++harnesses;
  }
  for (const auto& [name, why] : kNotReplayed)
    if (wanted.empty() || wanted.count(name) != 0) std::printf("%s: not replayed: %s\n", name, why);
  std::printf("replayed %d inputs through %d harnesses\n", inputs, harnesses);
  return 0;
}
