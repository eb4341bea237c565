// Fuzzes tokenizer.json + tokenizer_config.json loading (load_tokenizer on a folder) and, when the
// pair loads, encoding and decoding a fuzzed text with it (regex pre-tokenizers from the file
// included: a catastrophic pattern must fail with an error, not hang).
#include "fuzz_support.h"
#include "lightreasoner/tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lightreasoner;
  const auto parts = lrfuzz::split_parts(data, size, 3);  // tokenizer.json, tokenizer_config.json, text
  lrfuzz::write_scratch("tok/tokenizer.json", parts[0]);
  const auto config_path = lrfuzz::scratch_dir() / "tok/tokenizer_config.json";
  if (parts[1].empty()) {
    std::filesystem::remove(config_path);
  } else {
    lrfuzz::write_scratch("tok/tokenizer_config.json", parts[1]);
  }
  LR_FUZZ_EXPECT_ERRORS({
    auto tok = tokenizer::load_tokenizer(lrfuzz::scratch_dir() / "tok");
    const auto ids = tok->encode(lrfuzz::to_valid_utf8(parts[2]));
    (void)tok->decode(ids);
    (void)tok->decode(ids, /*skip_special_tokens=*/true);
  });
  return 0;
}
