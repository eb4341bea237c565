// Streaming JSON Lines I/O. The reader yields one record at a time with its file and line
// number, skips empty lines and a UTF-8 BOM, and on a bad line either stops with an error naming
// file:line, or skips and counts it (policy). The writer appends whole lines, flushes per batch,
// and on reopen drops a torn last line left by a killed run. No schema knowledge here.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace lightreasoner::io {

using Json = nlohmann::json;

enum class BadRecordPolicy { kStop, kSkip };
BadRecordPolicy parse_bad_record_policy(const std::string& name);  // "stop" | "skip"

// One record and where it came from; field accessors throw Error naming file:line and field.
struct JsonlRecord {
  std::string path;
  int64_t line = 0;  // 1-based
  Json value;

  std::string where() const { return path + ":" + std::to_string(line); }
  bool has(const std::string& field) const;
  const Json& field(const std::string& name) const;  // must exist
  std::string string_field(const std::string& name) const;  // must exist and be a string
  // The first of `names` that exists (must be a string); throws listing all names when none does.
  std::string first_string_field(const std::vector<std::string>& names, std::string* which = nullptr) const;
};

class JsonlReader {
 public:
  JsonlReader(std::filesystem::path path, BadRecordPolicy policy = BadRecordPolicy::kStop);

  // Next valid object record; false at end of file. Non-object JSON values are bad records.
  bool next(JsonlRecord& record);

  int64_t bad_records() const { return bad_; }
  int64_t lines_read() const { return line_; }
  // "N bad records skipped in FILE (first at line L: reason)" or "" when none.
  std::string summary() const;

 private:
  std::filesystem::path path_;
  BadRecordPolicy policy_;
  std::ifstream in_;
  int64_t line_ = 0;
  int64_t bad_ = 0;
  std::string first_bad_;
};

// Reads every valid record (convenience for small files).
std::vector<JsonlRecord> read_jsonl(const std::filesystem::path& path, BadRecordPolicy policy = BadRecordPolicy::kStop);

class JsonlWriter {
 public:
  // append=false truncates. append=true keeps complete lines and drops a torn last line (one
  // not ending in '\n'), reporting it through torn_bytes_dropped().
  JsonlWriter(std::filesystem::path path, bool append);
  ~JsonlWriter();
  JsonlWriter(const JsonlWriter&) = delete;
  JsonlWriter& operator=(const JsonlWriter&) = delete;

  void write(const Json& record);      // buffered; the line is only complete on disk after flush()
  void write_line(const std::string& json_text);
  void flush();                        // write buffered lines, fflush and fsync
  int64_t torn_bytes_dropped() const { return torn_bytes_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  std::string buffer_;
  int64_t torn_bytes_ = 0;
};

// Truncates a torn last line (bytes after the final '\n') in place; returns the bytes dropped.
int64_t drop_torn_last_line(const std::filesystem::path& path);

}  // namespace lightreasoner::io
