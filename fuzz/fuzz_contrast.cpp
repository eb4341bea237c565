// Fuzzes contrast.jsonl (read_contrast: records, ids, soft targets) and contrast.meta.json
// (read_meta), the two files `train` reads from a sampling run.
#include "fuzz_support.h"
#include "lightreasoner/contrast/dataset.h"
#include "lightreasoner/contrast/meta.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lightreasoner;
  const auto parts = lrfuzz::split_parts(data, size, 2);  // contrast.jsonl, contrast.meta.json
  const auto records = lrfuzz::write_scratch("contrast/contrast.jsonl", parts[0]);
  const auto meta = lrfuzz::write_scratch("contrast/contrast.meta.json", parts[1]);
  LR_FUZZ_EXPECT_ERRORS({
    for (const auto& record : contrast::read_contrast(records)) (void)contrast::record_to_json(record);
  });
  LR_FUZZ_EXPECT_ERRORS({ (void)contrast::meta_to_json(contrast::read_meta(meta)); });
  return 0;
}
