// Fuzzes config.json → ModelConfig (and generation_config.json against it) through the file
// loaders: an accepted config has every dimension within the sane bounds, so a model built from
// it cannot be asked to allocate more than those bounds allow.
#include <cstdlib>

#include "fuzz_support.h"
#include "lightreasoner/io/limits.h"
#include "lightreasoner/model/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lightreasoner;
  const auto parts = lrfuzz::split_parts(data, size, 2);
  lrfuzz::write_scratch("model/config.json", parts[0]);
  lrfuzz::write_scratch("model/generation_config.json", parts[1]);
  LR_FUZZ_EXPECT_ERRORS({
    const model::ModelConfig config = model::load_model_config(lrfuzz::scratch_dir() / "model");
    if (config.num_hidden_layers > io::limits::kMaxLayers || config.hidden_size > io::limits::kMaxHiddenSize ||
        config.vocab_size > io::limits::kMaxVocabSize || config.head_dim() <= 0 || config.num_parameters() <= 0) {
      std::abort();
    }
    (void)model::model_config_from_json(model::model_config_to_json(config), "round trip");
    (void)model::load_generation_defaults(lrfuzz::scratch_dir() / "model", config);
  });
  return 0;
}
