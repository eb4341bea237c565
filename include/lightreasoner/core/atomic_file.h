// Crash-safe whole-file writes: everything goes to "<path>.tmp.<pid>" in the same directory,
// is flushed and fsync'ed, then renamed over <path>, so a reader (or a rerun after a kill) sees
// either the old file or the new one, never a torn one. Not for append-only logs (see io/jsonl).
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

namespace lightreasoner {

// Writes `content` to `path` atomically. Creates parent directories. Throws Error naming the path.
void write_file_atomic(const std::filesystem::path& path, std::string_view content);

// Reads a whole file; throws Error naming the path when it cannot be opened or read.
std::string read_file(const std::filesystem::path& path);

// Streaming variant for large outputs (safetensors): write() chunks, then commit(). If the object
// is destroyed without commit() the temp file is removed and `path` is untouched.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::filesystem::path path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(const void* data, size_t size);
  void write(std::string_view text) { write(text.data(), text.size()); }
  void commit();
  const std::filesystem::path& temp_path() const { return temp_path_; }

 private:
  std::filesystem::path path_;
  std::filesystem::path temp_path_;
  std::FILE* file_ = nullptr;
};

// fsyncs a directory so a rename inside it is durable (best effort).
void sync_directory(const std::filesystem::path& dir);

}  // namespace lightreasoner
