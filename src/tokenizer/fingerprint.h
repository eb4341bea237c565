// Tokenizer fingerprints are FNV-1a 64 over vocabulary, merges and added tokens: the project's one
// hash (core/hash.h), length-prefixed strings and little-endian integers. Not cryptographic; it
// detects that two tokenizers differ, it does not defend against crafted collisions.
#pragma once

#include "lightreasoner/core/hash.h"

namespace lightreasoner::tokenizer {

using Fingerprint = lightreasoner::Fnv64;

}  // namespace lightreasoner::tokenizer
