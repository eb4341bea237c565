// Fuzzes the official-format importer (the LightReasoner repository's jsonl of prompt/step/soft
// target lines) with a byte-level stand-in tokenizer: one id per byte.
#include "fuzz_support.h"
#include "lightreasoner/contrast/official_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lightreasoner;
  const auto path = lrfuzz::write_scratch("official/official.jsonl",
                                          std::string_view(reinterpret_cast<const char*>(data), size));
  auto encode = [](const std::string& text) {
    std::vector<int64_t> ids;
    for (unsigned char c : text) ids.push_back(c);
    return ids;
  };
  auto decode = [](const std::vector<int64_t>& ids) {
    std::string text;
    for (int64_t id : ids) text.push_back(static_cast<char>(id & 0xff));
    return text;
  };
  auto prompt_ids = [&](const std::string& question) { return encode("Q: " + question + "\nA:"); };
  LR_FUZZ_EXPECT_ERRORS({
    for (const auto& record : contrast::import_official(path, encode, decode, prompt_ids)) {
      (void)contrast::record_to_json(record);
    }
  });
  return 0;
}
