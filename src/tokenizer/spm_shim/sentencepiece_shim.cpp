// liblightreasoner_spm.so: the C API of sentencepiece_shim.h over libsentencepiece (load, encode,
// decode, piece table, special ids, training). Built as a separate MODULE and only ever dlopen()ed;
// never link it (or libsentencepiece) into the program. Exceptions never cross the C boundary.
#include "sentencepiece_shim.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstring>
#include <string>
#include <vector>

#define LR_SPM_EXPORT extern "C" __attribute__((visibility("default")))

struct lr_spm {
  sentencepiece::SentencePieceProcessor processor;
};

namespace {

thread_local std::string last_error;

void set_error(const std::string& message) { last_error = message; }

int64_t copy_out(const std::string& s, char* out, int64_t capacity) {
  const auto n = static_cast<int64_t>(s.size());
  if (out != nullptr && n <= capacity) std::memcpy(out, s.data(), s.size());
  return n;
}

bool valid_id(const lr_spm* sp, int32_t id) { return sp != nullptr && id >= 0 && id < sp->processor.GetPieceSize(); }

}  // namespace

LR_SPM_EXPORT int lr_spm_api_version(void) { return LR_SPM_SHIM_API_VERSION; }
LR_SPM_EXPORT const char* lr_spm_last_error(void) { return last_error.c_str(); }

LR_SPM_EXPORT lr_spm* lr_spm_load(const char* model_path) {
  try {
    auto* sp = new lr_spm;
    const auto status = sp->processor.Load(model_path);
    if (!status.ok()) {
      set_error(status.ToString());
      delete sp;
      return nullptr;
    }
    return sp;
  } catch (const std::exception& e) {
    set_error(e.what());
    return nullptr;
  }
}

LR_SPM_EXPORT void lr_spm_free(lr_spm* sp) { delete sp; }

LR_SPM_EXPORT int64_t lr_spm_encode(const lr_spm* sp, const char* text, size_t text_len, int32_t* ids,
                                    int64_t capacity) {
  try {
    std::vector<int> out;
    const auto status = sp->processor.Encode(std::string(text, text_len), &out);
    if (!status.ok()) {
      set_error(status.ToString());
      return -1;
    }
    const auto n = static_cast<int64_t>(out.size());
    if (ids != nullptr && n <= capacity) {
      for (int64_t i = 0; i < n; ++i) ids[i] = out[i];
    }
    return n;
  } catch (const std::exception& e) {
    set_error(e.what());
    return -1;
  }
}

LR_SPM_EXPORT int64_t lr_spm_decode(const lr_spm* sp, const int32_t* ids, int64_t n, char* text, int64_t capacity) {
  try {
    std::vector<int> in(ids, ids + n);
    std::string out;
    const auto status = sp->processor.Decode(in, &out);
    if (!status.ok()) {
      set_error(status.ToString());
      return -1;
    }
    return copy_out(out, text, capacity);
  } catch (const std::exception& e) {
    set_error(e.what());
    return -1;
  }
}

LR_SPM_EXPORT int32_t lr_spm_piece_size(const lr_spm* sp) { return sp->processor.GetPieceSize(); }

LR_SPM_EXPORT int64_t lr_spm_id_to_piece(const lr_spm* sp, int32_t id, char* piece, int64_t capacity) {
  if (!valid_id(sp, id)) {
    set_error("piece id " + std::to_string(id) + " out of range");
    return -1;
  }
  return copy_out(sp->processor.IdToPiece(id), piece, capacity);
}

LR_SPM_EXPORT int32_t lr_spm_piece_to_id(const lr_spm* sp, const char* piece, size_t piece_len) {
  const std::string p(piece, piece_len);
  const int id = sp->processor.PieceToId(p);
  // PieceToId answers unk_id for unknown pieces; tell those apart from the unk piece itself.
  if (id == sp->processor.unk_id() && sp->processor.IdToPiece(id) != p) return -1;
  return id;
}

LR_SPM_EXPORT float lr_spm_score(const lr_spm* sp, int32_t id) { return valid_id(sp, id) ? sp->processor.GetScore(id) : 0.0f; }
LR_SPM_EXPORT int lr_spm_is_control(const lr_spm* sp, int32_t id) { return valid_id(sp, id) && sp->processor.IsControl(id); }
LR_SPM_EXPORT int lr_spm_is_unknown(const lr_spm* sp, int32_t id) { return valid_id(sp, id) && sp->processor.IsUnknown(id); }
LR_SPM_EXPORT int lr_spm_is_byte(const lr_spm* sp, int32_t id) { return valid_id(sp, id) && sp->processor.IsByte(id); }
LR_SPM_EXPORT int32_t lr_spm_bos_id(const lr_spm* sp) { return sp->processor.bos_id(); }
LR_SPM_EXPORT int32_t lr_spm_eos_id(const lr_spm* sp) { return sp->processor.eos_id(); }
LR_SPM_EXPORT int32_t lr_spm_unk_id(const lr_spm* sp) { return sp->processor.unk_id(); }
LR_SPM_EXPORT int32_t lr_spm_pad_id(const lr_spm* sp) { return sp->processor.pad_id(); }

LR_SPM_EXPORT int lr_spm_train(const char* args) {
  try {
    const auto status = sentencepiece::SentencePieceTrainer::Train(args);
    if (!status.ok()) {
      set_error(status.ToString());
      return -1;
    }
    return 0;
  } catch (const std::exception& e) {
    set_error(e.what());
    return -1;
  }
}
