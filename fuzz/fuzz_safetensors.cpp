// Fuzzes the safetensors header + tensor table parser (io/safetensors.cpp) on raw file bytes:
// every accepted header must describe tensors that lie inside the file, in order, without gaps.
#include <cstdlib>

#include "fuzz_support.h"
#include "lightreasoner/io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lightreasoner;
  LR_FUZZ_EXPECT_ERRORS({
    io::SafetensorsHeader header = io::parse_safetensors_header(data, size, "fuzz.safetensors");
    // The parser's promise, checked independently: data offsets inside the file.
    for (const auto& info : header.tensors) {
      if (8 + header.header_size + info.end > size || info.begin > info.end) std::abort();
    }
  });
  return 0;
}
