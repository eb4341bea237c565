// Builds the text of an lightreasoner::Error: the message, then "(at file.cpp:line)" so a user's
// bug report points at the check that fired without a debugger.
#include "lightreasoner/core/error.h"

#include <cstring>

namespace lightreasoner::detail {

void throw_error(const char* file, int line, const std::string& message) {
  const char* slash = std::strrchr(file, '/');
  const char* base = slash ? slash + 1 : file;
  throw Error(message + " (at " + base + ":" + std::to_string(line) + ")");
}

}  // namespace lightreasoner::detail
