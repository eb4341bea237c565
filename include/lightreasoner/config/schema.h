// The machinery behind typed configs: a section struct lists its fields once, in
// `template <class V> void visit(V& v)`, as v.field("name", member, checks...) and
// v.section("name", child). From that one list we read JSON (rejecting unknown keys with a
// "did you mean" hint, type-checking every value), validate ranges, and write JSON back.
// It knows nothing about which sections exist; see run_config.h for that.
#pragma once

#include <array>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "lightreasoner/core/error.h"

namespace lightreasoner::config {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// A check returns "" when the value is acceptable, else the reason ("must be > 0").
template <class T>
using Check = std::function<std::string(const T&)>;

template <class T>
Check<T> greater_than(T bound) {
  return [bound](const T& v) {
    std::ostringstream s;
    if (!(v > bound)) s << "must be > " << bound;
    return s.str();
  };
}
template <class T>
Check<T> at_least(T bound) {
  return [bound](const T& v) {
    std::ostringstream s;
    if (!(v >= bound)) s << "must be >= " << bound;
    return s.str();
  };
}
template <class T>
Check<T> in_range(T lo, T hi) {  // closed interval
  return [lo, hi](const T& v) {
    std::ostringstream s;
    if (!(v >= lo && v <= hi)) s << "must be in [" << lo << ", " << hi << "]";
    return s.str();
  };
}
Check<std::string> one_of(std::vector<std::string> allowed);
Check<std::string> not_empty();
Check<std::vector<std::string>> each_one_of(std::vector<std::string> allowed);

// Levenshtein distance, for "did you mean" hints.
size_t edit_distance(const std::string& a, const std::string& b);
// The candidate closest to `key` (or "" when none is reasonably close).
std::string closest_key(const std::string& key, const std::vector<std::string>& candidates);

std::string json_preview(const Json& value);  // short text of a value for error messages

// --- typed conversion of one JSON value; `path` is the dotted key for messages ---
// The project's one typed conversion: run configs (the visitor below) and every metadata file
// (config/fields.h) read their values through these. An integer may be written as an integral
// float (1e4); one beyond int64 (or int for `int`) is "out of range", never wrapped.
void read_value(const Json& j, const std::string& path, bool& out);
void read_value(const Json& j, const std::string& path, int& out);
void read_value(const Json& j, const std::string& path, int64_t& out);
void read_value(const Json& j, const std::string& path, uint64_t& out);
void read_value(const Json& j, const std::string& path, double& out);
void read_value(const Json& j, const std::string& path, std::string& out);
void read_value(const Json& j, const std::string& path, std::optional<std::string>& out);
void read_value(const Json& j, const std::string& path, std::optional<int64_t>& out);
void read_value(const Json& j, const std::string& path, std::vector<std::string>& out);
void read_value(const Json& j, const std::string& path, std::vector<double>& out);
void read_value(const Json& j, const std::string& path, std::array<double, 2>& out);

template <class T>
OrderedJson write_value(const T& v) { return OrderedJson(v); }
inline OrderedJson write_value(const std::optional<std::string>& v) {
  return v ? OrderedJson(*v) : OrderedJson(nullptr);
}

// Collects the field and section names of one section.
struct NameCollector {
  std::vector<std::string> names;
  template <class T, class... C>
  void field(const char* name, T&, C&&...) { names.emplace_back(name); }
  template <class S>
  void section(const char* name, S&) { names.emplace_back(name); }
};

template <class S>
std::vector<std::string> field_names(S& s) {
  NameCollector c;
  s.visit(c);
  return c.names;
}

inline std::string join_path(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

// Reads a JSON object into a section: unknown keys and wrong types are errors.
class Reader {
 public:
  Reader(const Json& j, std::string prefix) : j_(j), prefix_(std::move(prefix)) {}

  template <class T, class... C>
  void field(const char* name, T& member, C&&...) {
    auto it = j_.find(name);
    if (it != j_.end()) read_value(*it, join_path(prefix_, name), member);
  }
  template <class S>
  void section(const char* name, S& child) {
    auto it = j_.find(name);
    if (it != j_.end()) read_section(*it, join_path(prefix_, name), child);
  }

  template <class S>
  static void read_section(const Json& j, const std::string& prefix, S& s) {
    LR_CHECK(j.is_object(), (prefix.empty() ? std::string("config") : prefix)
                                << " must be an object (got " << json_preview(j) << ")");
    auto known = field_names(s);
    std::set<std::string> known_set(known.begin(), known.end());
    for (const auto& [key, value] : j.items()) {
      if (known_set.count(key)) continue;
      std::string hint = closest_key(key, known);
      LR_FAIL("unknown config key '" << join_path(prefix, key) << "'"
                                      << (hint.empty() ? "" : " (did you mean '" + join_path(prefix, hint) + "'?)")
                                      << "; valid keys here: " << join_keys(known));
    }
    Reader r(j, prefix);
    s.visit(r);
  }

 private:
  static std::string join_keys(const std::vector<std::string>& keys);
  const Json& j_;
  std::string prefix_;
};

// Runs every check of every field; the first failure throws "path must be ... (got value)".
class Validator {
 public:
  explicit Validator(std::string prefix) : prefix_(std::move(prefix)) {}

  template <class T, class... C>
  void field([[maybe_unused]] const char* name, T& member, C&&... checks) {
    (run(name, member, checks), ...);
  }
  template <class S>
  void section(const char* name, S& child) {
    Validator v(join_path(prefix_, name));
    child.visit(v);
  }

 private:
  template <class T, class C>
  void run(const char* name, const T& member, const C& check) {
    std::string why = check(member);
    LR_CHECK(why.empty(), join_path(prefix_, name) << " " << why << " (got " << json_preview(Json(write_value(member)))
                                                   << ")");
  }
  std::string prefix_;
};

// Writes a section as an ordered JSON object (fields in declaration order).
class Writer {
 public:
  OrderedJson out = OrderedJson::object();
  template <class T, class... C>
  void field(const char* name, T& member, C&&...) { out[name] = write_value(member); }
  template <class S>
  void section(const char* name, S& child) {
    Writer w;
    child.visit(w);
    out[name] = std::move(w.out);
  }
};

// Applies "a.b.c=value" to a JSON object. The value is parsed as JSON when it parses
// (numbers, true/false, null, arrays, quoted strings), else taken as a plain string.
void apply_override(Json& root, const std::string& assignment);

}  // namespace lightreasoner::config
