// Temp-file + fsync + rename writes, and whole-file reads with clear errors.
#include "lightreasoner/core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "lightreasoner/core/error.h"

namespace lightreasoner {

namespace fs = std::filesystem;

void sync_directory(const fs::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

AtomicFileWriter::AtomicFileWriter(fs::path path) : path_(std::move(path)) {
  if (path_.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(path_.parent_path(), ec);
    LR_CHECK(!ec, "cannot create directory '" << path_.parent_path().string() << "': " << ec.message());
  }
  temp_path_ = path_;
  temp_path_ += ".tmp." + std::to_string(::getpid());
  file_ = std::fopen(temp_path_.c_str(), "wb");
  LR_CHECK(file_ != nullptr, "cannot create '" << temp_path_.string() << "': " << std::strerror(errno));
}

AtomicFileWriter::~AtomicFileWriter() {
  if (file_ != nullptr) {
    std::fclose(file_);
    std::error_code ec;
    fs::remove(temp_path_, ec);
  }
}

void AtomicFileWriter::write(const void* data, size_t size) {
  LR_CHECK(file_ != nullptr, "write to '" << path_.string() << "' after commit");
  if (size == 0) return;
  size_t written = std::fwrite(data, 1, size, file_);
  LR_CHECK(written == size, "cannot write '" << path_.string() << "': " << std::strerror(errno) << " ("
                                             << written << " of " << size << " bytes reached its temporary file; "
                                             << "the file itself is untouched)");
}

void AtomicFileWriter::commit() {
  LR_CHECK(file_ != nullptr, "commit of '" << path_.string() << "' called twice");
  bool ok = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
  int saved_errno = errno;
  ok = (std::fclose(file_) == 0) && ok;
  file_ = nullptr;
  if (!ok) {
    std::error_code ec;
    fs::remove(temp_path_, ec);
    LR_FAIL("cannot write '" << path_.string() << "': " << std::strerror(saved_errno));
  }
  std::error_code ec;
  fs::rename(temp_path_, path_, ec);
  if (ec) {
    fs::remove(temp_path_, ec);
    LR_FAIL("cannot rename '" << temp_path_.string() << "' to '" << path_.string() << "': " << ec.message());
  }
  sync_directory(path_.parent_path());
}

void write_file_atomic(const fs::path& path, std::string_view content) {
  AtomicFileWriter writer(path);
  writer.write(content);
  writer.commit();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  LR_CHECK(in.good(), "cannot open '" << path.string() << "': " << std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  LR_CHECK(!in.bad(), "cannot read '" << path.string() << "'");
  return buffer.str();
}

}  // namespace lightreasoner
