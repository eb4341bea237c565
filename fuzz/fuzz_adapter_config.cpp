// Fuzzes a PEFT adapter_config.json through read_peft_config (model/lora.cpp): every accepted
// config has a positive rank and a list of target module names.
#include <cstdlib>

#include "fuzz_support.h"
#include "lightreasoner/model/lora.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lightreasoner;
  lrfuzz::write_scratch("adapter/adapter_config.json", std::string_view(reinterpret_cast<const char*>(data), size));
  LR_FUZZ_EXPECT_ERRORS({
    const model::LoraSpec spec = model::read_peft_config(lrfuzz::scratch_dir() / "adapter");
    if (spec.r <= 0) std::abort();
  });
  return 0;
}
