// The typed metadata reader (fields.h) over the schema's value conversion.
#include "lightreasoner/config/fields.h"

#include "lightreasoner/core/error.h"

namespace lightreasoner::config {

Fields::Fields(const Json& object, std::string where) : Fields(object, std::move(where), "") {}

Fields::Fields(const Json& object, std::string where, std::string prefix)
    : object_(&object), where_(std::move(where)), prefix_(std::move(prefix)) {
  LR_CHECK(object.is_object(), (prefix_.empty() ? where_ + ": must hold a JSON object"
                                                : where_ + ": key '" + prefix_ + "' must be an object")
                                   << " (got " << json_preview(object) << ")");
}

const Json* Fields::find(const std::string& key) const {
  auto it = object_->find(key);
  return it == object_->end() || it->is_null() ? nullptr : &*it;
}

const Json& Fields::json(const std::string& key) const {
  const Json* value = find(key);
  LR_CHECK(value != nullptr, where_ << ": missing key '" << join_path(prefix_, key) << "'");
  return *value;
}

Fields Fields::section(const std::string& key) const { return Fields(json(key), where_, join_path(prefix_, key)); }

std::string Fields::name(const std::string& key) const { return where_ + ": key '" + join_path(prefix_, key) + "'"; }

}  // namespace lightreasoner::config
