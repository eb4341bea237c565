// Fuzzes a whole PEFT adapter directory (adapter_config.json + adapter_model.safetensors) attached
// to a real model (tests/fixtures/hf_parity/llama) through load_peft_adapter: the config's rank
// and targets against the tensors' names, shapes and dtypes. An accepted adapter must run a
// forward pass (a shape slipping past the checks would fail there with a LibTorch error, which is a
// finding); the model is detached again after every input.
#include <cstdlib>

#include "fuzz_support.h"
#include "lightreasoner/model/loader.h"
#include "lightreasoner/model/lora.h"

namespace {
lightreasoner::model::CausalLM& base_model() {
  static const auto model =
      lightreasoner::model::load_model(std::filesystem::path(LR_SOURCE_DIR) / "tests/fixtures/hf_parity/llama");
  return *model;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lightreasoner;
  auto& model = base_model();
  const auto parts = lrfuzz::split_parts(data, size, 2);
  lrfuzz::write_scratch("adapter/adapter_config.json", parts[0]);
  lrfuzz::write_scratch("adapter/adapter_model.safetensors", parts[1]);
  LR_FUZZ_EXPECT_ERRORS({
    torch::NoGradGuard no_grad;
    const auto modules = model::load_peft_adapter(model, lrfuzz::scratch_dir() / "adapter");
    if (modules.empty()) std::abort();  // an adapter that adapts nothing was accepted
    const auto hidden = model.forward(torch::tensor({{1, 2, 3}}, torch::kLong));
    (void)model.logits(hidden).sum().item<double>();
  });
  model::detach_lora(model);
  return 0;
}
