// Fuzzes the grading path of `eval`: an evaluation record (parse_example for a data set name picked
// by the first byte), the answer extractor on a completion, strip_string, and math_equal with its
// time budget, which must be kept: a comparison may time out (scored wrong) but not run long past it.
#include <chrono>
#include <cstdlib>

#include "fuzz_support.h"
#include "lightreasoner/eval/dataset.h"
#include "lightreasoner/eval/extract_answer.h"
#include "lightreasoner/eval/math_equal.h"
#include "lightreasoner/eval/strip_string.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lightreasoner;
  if (size == 0) return 0;
  const auto& names = eval::known_data_names();
  const std::string& data_name = names[data[0] % names.size()];
  const auto parts = lrfuzz::split_parts(data + 1, size - 1, 3);  // record json, completion, reference
  LR_FUZZ_EXPECT_ERRORS({
    io::JsonlRecord record;
    record.path = "fuzz.jsonl";
    record.line = 1;
    record.value = io::Json::parse(parts[0], nullptr, /*allow_exceptions=*/false);
    if (record.value.is_object()) (void)eval::parse_example(record, data_name, 0);
  });
  const std::string completion = lrfuzz::to_valid_utf8(parts[1]);
  const std::string reference = lrfuzz::to_valid_utf8(parts[2]);
  LR_FUZZ_EXPECT_ERRORS({
    const std::string prediction = eval::extract_answer(completion, data_name);
    (void)eval::strip_string(reference, eval::skips_units(data_name));
    eval::MathEqualOptions options;
    options.timeout_s = 0.5;
    const auto start = std::chrono::steady_clock::now();
    (void)eval::math_equal(prediction, reference, options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (seconds > options.timeout_s + 2.0) std::abort();  // budget not kept
  });
  return 0;
}
