// Fuzzes the sharded checkpoint index (model.safetensors.index.json) through Checkpoint::open on a
// folder holding the fuzzed index and one small valid shard, then reads every tensor it maps.
#include "fuzz_support.h"
#include "lightreasoner/io/safetensors.h"

namespace {
const std::filesystem::path& checkpoint_dir() {
  static const std::filesystem::path dir = [] {
    using namespace lightreasoner;
    const auto dir = lrfuzz::scratch_dir() / "ckpt";
    std::filesystem::create_directories(dir);
    io::write_safetensors(dir / "model-00001-of-00002.safetensors",
                          {{"a.weight", torch::ones({2, 3})}, {"b.bias", torch::zeros({4}, torch::kBFloat16)}});
    io::write_safetensors(dir / "model-00002-of-00002.safetensors", {{"c.weight", torch::ones({1})}});
    return dir;
  }();
  return dir;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lightreasoner;
  const auto& dir = checkpoint_dir();
  lrfuzz::write_scratch("ckpt/model.safetensors.index.json", std::string_view(reinterpret_cast<const char*>(data), size));
  LR_FUZZ_EXPECT_ERRORS({
    auto checkpoint = io::Checkpoint::open(dir);
    for (const auto& name : checkpoint.names()) (void)checkpoint.tensor(name).sum().item<double>();
  });
  return 0;
}
