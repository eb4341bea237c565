// Loading, overriding, validating and dumping the run config.
#include "lightreasoner/config/run_config.h"

#include "lightreasoner/core/atomic_file.h"

namespace lightreasoner::config {

RunConfig config_from_json(const Json& j, const std::string& source) {
  RunConfig config;
  try {
    Reader::read_section(j, "", config);
    Validator validator("");
    config.visit(validator);
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }
  return config;
}

RunConfig load_run_config(const std::filesystem::path& path, const std::vector<std::string>& overrides) {
  Json j = Json::object();
  std::string source = "config";
  if (!path.empty()) {
    source = path.string();
    std::string text = read_file(path);
    j = Json::parse(text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
    if (j.is_discarded()) {
      // Parse again with exceptions on to get the byte position of the error.
      try {
        Json reparsed = Json::parse(text, nullptr, true, true);
        LR_FAIL(source << ": not valid JSON (" << reparsed.type_name() << " on the second parse)");
      } catch (const Json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
        LR_FAIL(source << ": not valid JSON: " << e.what());
      }
      LR_FAIL(source << ": not valid JSON");
    }
  }
  for (const auto& assignment : overrides) {
    try {
      apply_override(j, assignment);
    } catch (const Error& e) {
      throw Error(source + ": " + e.what());
    }
  }
  return config_from_json(j, overrides.empty() ? source : source + " (with --set overrides)");
}

OrderedJson config_to_json(const RunConfig& config) {
  Writer w;
  const_cast<RunConfig&>(config).visit(w);  // visit() only reads through a Writer
  return w.out;
}

std::filesystem::path write_resolved_config(const RunConfig& config, const std::filesystem::path& dir) {
  auto path = dir / "config.resolved.json";
  write_file_atomic(path, config_to_json(config).dump(2) + "\n");
  return path;
}

}  // namespace lightreasoner::config
