// Benchmark of the foundation I/O: safetensors write (atomic, streamed) and open + read of every
// tensor (zero-copy mmap) against the same process's raw file write and memory copy bandwidth,
// and jsonl reading (records/s, MB/s) against reading the same bytes line by line without
// parsing. Usage: bench_io [--mb N] [--jsonl FILE]  (default FILE: data/gsm8k_openai/train.jsonl)
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "lightreasoner/io/jsonl.h"
#include "lightreasoner/io/safetensors.h"
#include "bench_options.h"

using namespace lightreasoner;
namespace fs = std::filesystem;

namespace {
double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
}  // namespace

int main(int argc, char** argv) {
  int64_t mb = 256;
  fs::path jsonl = fs::path(LR_SOURCE_DIR) / "data/gsm8k_openai/train.jsonl";
  const bench::Options cli("bench_io", argc, argv);
  for (const auto& [name, value] : cli.pairs()) {
    if (name == "--mb") mb = cli.integer(name, value);
    else if (name == "--jsonl") jsonl = value;
    else cli.unknown(name);
  }
  fs::path dir = fs::temp_directory_path() / "lr_bench_io";
  fs::create_directories(dir);
  const int64_t tensors = 64;
  const int64_t per_tensor = mb * (1 << 20) / tensors / 4;  // floats
  io::NamedTensors named;
  for (int64_t i = 0; i < tensors; ++i) named.emplace_back("t." + std::to_string(i), torch::rand({per_tensor}));
  const double bytes = static_cast<double>(tensors * per_tensor * 4);

  // Peers measured in this process: raw fwrite + fsync of the same bytes, and memcpy.
  double t0 = now();
  {
    std::FILE* f = std::fopen((dir / "raw.bin").c_str(), "wb");
    for (auto& [name, t] : named) std::fwrite(t.data_ptr(), 4, per_tensor, f);
    std::fflush(f);
    fsync(fileno(f));
    std::fclose(f);
  }
  double raw_write = bytes / (now() - t0) / 1e9;
  std::vector<char> src(static_cast<size_t>(bytes)), dst(static_cast<size_t>(bytes));
  std::memset(src.data(), 1, src.size());
  std::memcpy(dst.data(), src.data(), src.size());  // warm
  t0 = now();
  std::memcpy(dst.data(), src.data(), src.size());
  double copy_bw = bytes / (now() - t0) / 1e9;

  t0 = now();
  io::write_safetensors(dir / "bench.safetensors", named);
  double st_write = bytes / (now() - t0) / 1e9;

  t0 = now();
  auto file = io::SafetensorsFile::open(dir / "bench.safetensors");
  double open_ms = (now() - t0) * 1e3;
  t0 = now();
  double checksum = 0;
  for (const auto& info : file->tensors()) checksum += file->tensor(info.name).sum().item<double>();
  double st_read = bytes / (now() - t0) / 1e9;

  std::printf("bench_io: %lld MB in %lld F32 tensors (threads %d)\n", static_cast<long long>(mb),
              static_cast<long long>(tensors), torch::get_num_threads());
  std::printf("safetensors write : %6.2f GB/s  (raw fwrite+fsync of the same bytes %6.2f GB/s, ratio %.2f)\n", st_write,
              raw_write, st_write / raw_write);
  std::printf("safetensors open  : %6.2f ms   (header parse + validation, mmap)\n", open_ms);
  std::printf("safetensors read  : %6.2f GB/s  (every tensor, zero-copy + sum; memcpy %6.2f GB/s, ratio %.2f) [%g]\n",
              st_read, copy_bw, st_read / copy_bw, checksum > 0 ? 1.0 : 0.0);

  if (fs::exists(jsonl)) {
    double size = static_cast<double>(fs::file_size(jsonl));
    t0 = now();
    int64_t lines = 0;
    {
      std::ifstream in(jsonl, std::ios::binary);
      std::string line;
      while (std::getline(in, line)) ++lines;
    }
    double raw_lines = size / (now() - t0) / 1e6;
    t0 = now();
    io::JsonlReader reader(jsonl);
    io::JsonlRecord record;
    int64_t records = 0;
    while (reader.next(record)) ++records;
    double secs = now() - t0;
    std::printf("jsonl read        : %6.1f MB/s, %8.0f records/s (%lld records; getline alone %6.1f MB/s, ratio %.2f)\n",
                size / secs / 1e6, records / secs, static_cast<long long>(records), raw_lines,
                (size / secs / 1e6) / raw_lines);
  }
  fs::remove_all(dir);
  return 0;
}
