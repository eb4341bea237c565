// Non-template parts of the config schema: typed value reads, checks, "did you mean", overrides.
#include "lightreasoner/config/schema.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "lightreasoner/core/pytext.h"

namespace lightreasoner::config {

Check<std::string> one_of(std::vector<std::string> allowed) {
  return [allowed](const std::string& v) {
    if (std::find(allowed.begin(), allowed.end(), v) != allowed.end()) return std::string();
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    return "must be one of " + list;
  };
}

Check<std::string> not_empty() {
  return [](const std::string& v) { return v.empty() ? std::string("must not be empty") : std::string(); };
}

Check<std::vector<std::string>> each_one_of(std::vector<std::string> allowed) {
  return [allowed](const std::vector<std::string>& values) {
    auto single = one_of(allowed);
    for (const auto& v : values) {
      std::string why = single(v);
      if (!why.empty()) return "entries " + why + " ('" + v + "' is not)";
    }
    return std::string();
  };
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t substitute = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, substitute});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest_key(const std::string& key, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::numeric_limits<size_t>::max();
  for (const auto& c : candidates) {
    size_t d = edit_distance(key, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  // Only suggest when the typo is small relative to the word.
  size_t limit = std::max<size_t>(2, key.size() / 3);
  return best_distance <= limit ? best : std::string();
}

std::string json_preview(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);  // never throws on bad UTF-8
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

std::string Reader::join_keys(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

namespace {
[[noreturn]] void type_error(const std::string& path, const char* expected, const Json& j) {
  LR_FAIL(path << " must be " << expected << " (got " << json_preview(j) << ")");
}

int64_t read_integer(const Json& j, const std::string& path) {
  if (j.is_number_unsigned()) {  // above 2^63 it would wrap to a negative number
    LR_CHECK(j.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()),
             path << " is out of range (got " << json_preview(j) << ")");
    return j.get<int64_t>();
  }
  if (j.is_number_integer()) return j.get<int64_t>();
  if (j.is_number_float()) {
    const double d = j.get<double>();
    if (std::isfinite(d) && std::floor(d) == d) {
      // 2^63 = 9.22e18: converting a float at or beyond it would be undefined.
      LR_CHECK(std::fabs(d) < 9.2e18, path << " is out of range (got " << json_preview(j) << ")");
      return static_cast<int64_t>(d);
    }
  }
  type_error(path, "an integer", j);
}
}  // namespace

void read_value(const Json& j, const std::string& path, bool& out) {
  if (!j.is_boolean()) type_error(path, "true or false", j);
  out = j.get<bool>();
}

void read_value(const Json& j, const std::string& path, int& out) {
  int64_t v = read_integer(j, path);
  LR_CHECK(v >= std::numeric_limits<int>::min() && v <= std::numeric_limits<int>::max(),
           path << " is out of range (got " << v << ")");
  out = static_cast<int>(v);
}

void read_value(const Json& j, const std::string& path, int64_t& out) { out = read_integer(j, path); }

void read_value(const Json& j, const std::string& path, uint64_t& out) {
  if (j.is_number_unsigned()) {
    out = j.get<uint64_t>();
    return;
  }
  const int64_t v = read_integer(j, path);
  LR_CHECK(v >= 0, path << " must be a non-negative integer (got " << v << ")");
  out = static_cast<uint64_t>(v);
}

void read_value(const Json& j, const std::string& path, std::optional<int64_t>& out) {
  if (j.is_null()) {
    out.reset();
    return;
  }
  out = read_integer(j, path);
}

void read_value(const Json& j, const std::string& path, double& out) {
  if (!j.is_number()) type_error(path, "a number", j);
  out = j.get<double>();
}

void read_value(const Json& j, const std::string& path, std::string& out) {
  if (!j.is_string()) type_error(path, "a string", j);
  out = j.get<std::string>();
}

void read_value(const Json& j, const std::string& path, std::optional<std::string>& out) {
  if (j.is_null()) {
    out.reset();
    return;
  }
  if (!j.is_string()) type_error(path, "a string or null", j);
  out = j.get<std::string>();
}

void read_value(const Json& j, const std::string& path, std::vector<std::string>& out) {
  if (!j.is_array()) type_error(path, "an array of strings", j);
  out.clear();
  for (size_t i = 0; i < j.size(); ++i) {
    std::string item;
    read_value(j[i], path + "[" + std::to_string(i) + "]", item);
    out.push_back(std::move(item));
  }
}

void read_value(const Json& j, const std::string& path, std::vector<double>& out) {
  if (!j.is_array()) type_error(path, "an array of numbers", j);
  out.clear();
  for (size_t i = 0; i < j.size(); ++i) {
    double item = 0;
    read_value(j[i], path + "[" + std::to_string(i) + "]", item);
    out.push_back(item);
  }
}

void read_value(const Json& j, const std::string& path, std::array<double, 2>& out) {
  if (!j.is_array() || j.size() != 2) type_error(path, "an array of two numbers", j);
  for (size_t i = 0; i < 2; ++i) read_value(j[i], path + "[" + std::to_string(i) + "]", out[i]);
}

void apply_override(Json& root, const std::string& assignment) {
  auto eq = assignment.find('=');
  // A config is JSON, whose strings are UTF-8: bytes that are not would fail when it is written out.
  LR_CHECK(py::sanitize_utf8(assignment) == assignment,
           "--set '" << py::sanitize_utf8(assignment) << "' is not valid UTF-8 (shown with U+FFFD for the bad bytes)");
  LR_CHECK(eq != std::string::npos && eq > 0,
           "--set expects key.path=value (got '" << assignment << "')");
  std::string path = assignment.substr(0, eq);
  std::string text = assignment.substr(eq + 1);
  Json value = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) value = text;  // plain strings need no quotes

  Json* node = &root;
  size_t start = 0;
  std::string walked;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    LR_CHECK(!part.empty(), "--set key '" << path << "' has an empty component");
    if (node->is_null()) *node = Json::object();
    LR_CHECK(node->is_object(), "--set " << path << ": '" << walked << "' is not a section (it holds "
                                         << json_preview(*node) << ")");
    walked = join_path(walked, part);
    if (dot == std::string::npos) {
      (*node)[part] = value;
      return;
    }
    node = &(*node)[part];
    start = dot + 1;
  }
}

}  // namespace lightreasoner::config
