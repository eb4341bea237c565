// The one typed reader for the JSON metadata this program reads besides run configs (which the
// schema visitor reads, schema.h): contrast.meta.json, trainer_state.json, adapter_config.json,
// a model's config.json. Every value goes through the schema's read_value, so every file's values
// are checked and named alike — "<file>: key 'counts.rollouts' must be an integer (got "7")",
// "<file>: missing key 'hidden_size'" — and an integer is never silently wrapped or truncated.
// An absent key and a null are the same (Hugging Face writes null for "unset").
#pragma once

#include <optional>
#include <string>

#include "lightreasoner/config/schema.h"

namespace lightreasoner::config {

class Fields {
 public:
  // Throws unless `object` is a JSON object; `where` (a file name) starts every message. The
  // object must outlive the reader (and the readers of its sections).
  Fields(const Json& object, std::string where);

  bool has(const std::string& key) const { return find(key) != nullptr; }
  // The value, or nullptr when the key is absent or null.
  const Json* find(const std::string& key) const;
  // The value of any type; a missing key is an error.
  const Json& json(const std::string& key) const;
  // A nested object, read with the same rules; its keys are named "section.key".
  Fields section(const std::string& key) const;

  // A required value of type T (bool, int, int64_t, uint64_t, double, std::string,
  // std::vector<std::string>, std::vector<double>, ...).
  template <class T>
  T get(const std::string& key) const {
    T out{};
    read_value(json(key), name(key), out);
    return out;
  }
  // The value when present, else `fallback`.
  template <class T>
  T get_or(const std::string& key, T fallback) const {
    if (const Json* value = find(key)) read_value(*value, name(key), fallback);
    return fallback;
  }
  // Sets `out` when the key is present (else leaves it as it is); std::optional members too.
  template <class T>
  void read_if_present(const std::string& key, T& out) const {
    if (const Json* value = find(key)) read_value(*value, name(key), out);
  }

  // "<where>: key 'section.key'", the subject of a message about `key`.
  std::string name(const std::string& key) const;
  const std::string& where() const { return where_; }

 private:
  Fields(const Json& object, std::string where, std::string prefix);
  const Json* object_;
  std::string where_, prefix_;
};

}  // namespace lightreasoner::config
