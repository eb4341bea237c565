// Fuzzes sentencepiece model loading through the shim (liblightreasoner_spm.so → libsentencepiece)
// and our wrapper around it (piece table, byte pieces, special ids, decoding): input = a
// tokenizer.model file + text to encode. This harness links no LibTorch, so it loads the shim
// without RTLD_DEEPBIND (lr_spm_without_deepbind), which the sanitizer runtime would refuse.
// libsentencepiece itself is Debian's uninstrumented build: its crashes are found, its memory
// errors only where they reach our code.
#include <link.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "fuzz_support.h"
#include "lightreasoner/tokenizer/tokenizer.h"

extern "C" const int lr_spm_without_deepbind = 1;

// Without RTLD_DEEPBIND a libprotobuf already in the process (LibTorch's) would take over
// sentencepiece's protobuf calls: refuse to run rather than report that clash as findings.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void*) {
        if (info->dlpi_name != nullptr && std::strstr(info->dlpi_name, "libprotobuf") != nullptr) {
          std::fprintf(stderr, "fuzz_sentencepiece: %s is loaded; link this harness without LibTorch\n", info->dlpi_name);
          std::exit(2);
        }
        return 0;
      },
      nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lightreasoner;
  const auto parts = lrfuzz::split_parts(data, size, 2);
  lrfuzz::write_scratch("spm/tokenizer.model", parts[0]);
  LR_FUZZ_EXPECT_ERRORS({
    const auto tok = tokenizer::load_tokenizer(lrfuzz::scratch_dir() / "spm");
    const auto ids = tok->encode(parts[1]);
    for (const int64_t id : ids) {
      if (id < 0 || id >= tok->vocab_size()) std::abort();  // an id outside the vocabulary
    }
    (void)tok->decode(ids, /*skip_special_tokens=*/false);
  });
  return 0;
}
