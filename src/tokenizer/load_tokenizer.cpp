// load_tokenizer(dir): picks the backend from the files in a model directory (tokenizer.json
// preferred, else tokenizer.model) and hands it tokenizer_config.json. No algorithm here.
#include <spdlog/spdlog.h>

#include "json_tokenizer.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/tokenizer/tokenizer.h"
#include "sentencepiece_tokenizer.h"
#include "tokenizer_config.h"

namespace lightreasoner::tokenizer {

std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& model_dir) {
  LR_CHECK(std::filesystem::is_directory(model_dir), "tokenizer: " << model_dir.string() << " is not a directory");
  const TokenizerConfig config = read_tokenizer_config(model_dir / "tokenizer_config.json");
  if (std::filesystem::exists(model_dir / "tokenizer.json")) return load_json_tokenizer(model_dir / "tokenizer.json", config);
  if (std::filesystem::exists(model_dir / "tokenizer.model")) {
    return load_sentencepiece_tokenizer(model_dir / "tokenizer.model", config);
  }
  LR_FAIL("tokenizer: " << model_dir.string() << " has neither tokenizer.json nor tokenizer.model");
}

}  // namespace lightreasoner::tokenizer
