// The toolkit's answer normalisation, ported step by step from Qwen2.5-Math parser.py:
// strip_string (27 steps, unit list, word numbers) and word2number 1.1's word_to_num.
// Byte-exact with the Python original on the shared vectors; not idempotent (by design: the
// pipeline applies it twice). No extraction or comparison here.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lightreasoner::eval {

// parser.py::strip_string(string, skip_unit). Input is any UTF-8 (invalid bytes become U+FFFD).
std::string strip_string(std::string_view text, bool skip_unit = false);

// The same without the unit prefilter: the slow reference path the tests compare against.
std::string strip_string_reference(std::string_view text, bool skip_unit = false);

// word2number 1.1 w2n.word_to_num, rendered as Python's str(result); nullopt where it raises.
std::optional<std::string> word_to_num(std::string_view text);

// The toolkit's unit_texts (132 entries), before the "s"-suffixed copies are appended.
const char* const* unit_texts(size_t* count);

}  // namespace lightreasoner::eval
