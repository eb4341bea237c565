// Fuzzes encode/decode of arbitrary text (valid UTF-8 or not) with the real fixture tokenizers
// (byte-level BPE with the Qwen regex; byte-fallback BPE with a Metaspace pipeline): invalid
// UTF-8 is refused with an Error; everything else encodes and decodes without a finding.
#include <cstdlib>

#include "fuzz_support.h"
#include "lightreasoner/tokenizer/tokenizer.h"

namespace {
std::vector<std::unique_ptr<lightreasoner::tokenizer::Tokenizer>>& tokenizers() {
  static std::vector<std::unique_ptr<lightreasoner::tokenizer::Tokenizer>> all = [] {
    std::vector<std::unique_ptr<lightreasoner::tokenizer::Tokenizer>> out;
    for (const char* folder : {"qwen3-tokenizer", "stories260K/hf"}) {
      out.push_back(lightreasoner::tokenizer::load_tokenizer(std::filesystem::path(LR_SOURCE_DIR) / "tests/fixtures" / folder));
    }
    return out;
  }();
  return all;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lightreasoner;
  if (size == 0) return 0;
  auto& tok = *tokenizers()[data[0] % tokenizers().size()];
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  LR_FUZZ_EXPECT_ERRORS({
    const auto ids = tok.encode(text);
    (void)tok.decode(ids, /*skip_special_tokens=*/true);
  });
  return 0;
}
