// The project's one error idiom: LR_CHECK(cond, "what " << expected << " got " << actual) throws
// lightreasoner::Error with the message and the source location. Library code never exits; the
// CLI's main catches, logs once and returns non-zero. Messages name the file/line/key at fault
// and give the expected and the actual value.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace lightreasoner {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

namespace detail {
[[noreturn]] void throw_error(const char* file, int line, const std::string& message);
}  // namespace detail

}  // namespace lightreasoner

#define LR_FAIL(msg)                                                         \
  do {                                                                       \
    std::ostringstream lr_message_stream_;                                   \
    lr_message_stream_ << msg;                                               \
    ::lightreasoner::detail::throw_error(__FILE__, __LINE__, lr_message_stream_.str()); \
  } while (0)

#define LR_CHECK(cond, msg) \
  do {                      \
    if (!(cond)) LR_FAIL(msg); \
  } while (0)
