// Fuzzes the jsonl reader under both bad-record policies: stop (an Error naming file:line) and
// skip (bad lines counted; every record returned is a JSON object with its line number).
#include <cstdlib>

#include "fuzz_support.h"
#include "lightreasoner/io/jsonl.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lightreasoner;
  const auto path = lrfuzz::write_scratch("data.jsonl", std::string_view(reinterpret_cast<const char*>(data), size));
  LR_FUZZ_EXPECT_ERRORS({ (void)io::read_jsonl(path, io::BadRecordPolicy::kStop); });
  LR_FUZZ_EXPECT_ERRORS({
    io::JsonlReader reader(path, io::BadRecordPolicy::kSkip);
    io::JsonlRecord record;
    int64_t previous = 0;
    while (reader.next(record)) {
      if (!record.value.is_object() || record.line <= previous) std::abort();
      previous = record.line;
    }
    (void)reader.summary();
  });
  return 0;
}
