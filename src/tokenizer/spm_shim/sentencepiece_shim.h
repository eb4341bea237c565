/* The plain-C API of liblightreasoner_spm.so, a thin wrapper over libsentencepiece that the
 * program loads with dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND) so that sentencepiece's bundled
 * protobuf never meets LibTorch's (see CMakeLists.txt). Shared by the shim and its loader
 * (sentencepiece_tokenizer.cpp). Output buffers: each call returns the size it needs; when that
 * exceeds the capacity given, nothing is written and the caller retries with a larger buffer.
 * Errors: functions return -1 (or NULL) and lr_spm_last_error() gives the message. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lr_spm lr_spm;

/* Increase when the API changes; the loader refuses a shim with another version. */
#define LR_SPM_SHIM_API_VERSION 1

int lr_spm_api_version(void);
/* Last error of this thread ("" when none). */
const char* lr_spm_last_error(void);

lr_spm* lr_spm_load(const char* model_path);
void lr_spm_free(lr_spm* sp);

/* Ids of `text` (no BOS/EOS). Returns the number of ids, or -1 on error. */
int64_t lr_spm_encode(const lr_spm* sp, const char* text, size_t text_len, int32_t* ids, int64_t capacity);
/* sentencepiece's own Decode of ids into UTF-8. Returns the byte length, or -1. */
int64_t lr_spm_decode(const lr_spm* sp, const int32_t* ids, int64_t n, char* text, int64_t capacity);

int32_t lr_spm_piece_size(const lr_spm* sp);
/* Piece text of an id. Returns its byte length, or -1 for an id out of range. */
int64_t lr_spm_id_to_piece(const lr_spm* sp, int32_t id, char* piece, int64_t capacity);
/* Id of a piece, or -1 when it is not a piece (sentencepiece would give unk). */
int32_t lr_spm_piece_to_id(const lr_spm* sp, const char* piece, size_t piece_len);
float lr_spm_score(const lr_spm* sp, int32_t id);
int lr_spm_is_control(const lr_spm* sp, int32_t id);
int lr_spm_is_unknown(const lr_spm* sp, int32_t id);
int lr_spm_is_byte(const lr_spm* sp, int32_t id);
int32_t lr_spm_bos_id(const lr_spm* sp);
int32_t lr_spm_eos_id(const lr_spm* sp);
int32_t lr_spm_unk_id(const lr_spm* sp);
int32_t lr_spm_pad_id(const lr_spm* sp);

/* sentencepiece training (SentencePieceTrainer::Train) with its usual flag string, e.g.
 * "--input=a.txt --model_prefix=m --vocab_size=512 --model_type=bpe". 0 on success, -1 on error. */
int lr_spm_train(const char* args);

#ifdef __cplusplus
}
#endif
