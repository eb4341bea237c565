// Tokenizer throughput: encodes every question and answer of GSM8K train with the Qwen3
// tokenizer (cold cache, then warm, then the slow reference merge loop) and, in the same run,
// with the node peer (@huggingface/tokenizers via scripts/peer_tokenizers/peer_encode.mjs) on
// the same texts; prints tokens/s, MB/s and the ratio. Not a test; results go to bench/RESULTS.md.
//   bench_tokenizer [--model DIR] [--data FILE.jsonl] [--no-peer]
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lightreasoner/io/jsonl.h"
#include "lightreasoner/tokenizer/tokenizer.h"

using namespace lightreasoner;
namespace fs = std::filesystem;

namespace {

struct Pass {
  double seconds = 0;
  int64_t tokens = 0;
};

Pass encode_all(const tokenizer::Tokenizer& tok, const std::vector<std::string>& texts, const tokenizer::EncodeOptions& o) {
  Pass pass;
  const auto start = std::chrono::steady_clock::now();
  for (const auto& t : texts) pass.tokens += static_cast<int64_t>(tok.encode(t, o).size());
  pass.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return pass;
}

std::string run_capture(const std::string& command) {
  std::string out;
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return out;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, n);
  ::pclose(pipe);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path source = LR_SOURCE_DIR;
  fs::path model = source / "tests/fixtures/qwen3-tokenizer";
  fs::path data = source / "data/gsm8k_openai/train.jsonl";
  bool peer = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--model" && i + 1 < argc) model = argv[++i];
    else if (a == "--data" && i + 1 < argc) data = argv[++i];
    else if (a == "--no-peer") peer = false;
    else {
      std::cerr << "usage: bench_tokenizer [--model DIR] [--data FILE.jsonl] [--no-peer]\n";
      return 2;
    }
  }
  try {
    std::vector<std::string> texts;
    int64_t bytes = 0;
    for (const auto& r : io::read_jsonl(data)) {
      for (const char* field : {"question", "answer"}) {
        texts.push_back(r.string_field(field));
        bytes += static_cast<int64_t>(texts.back().size());
      }
    }
    const auto load_start = std::chrono::steady_clock::now();
    auto tok = tokenizer::load_tokenizer(model);
    const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
    const double mb = bytes / 1e6;
    std::printf("data: %s, %zu texts, %.3f MB; tokenizer %s (load %.2f s)\n", data.c_str(), texts.size(), mb,
                model.c_str(), load_s);
    auto report = [&](const char* name, const Pass& p) {
      std::printf("%-34s %8.3f s  %10.0f tokens/s  %7.2f MB/s  (%lld tokens)\n", name, p.seconds, p.tokens / p.seconds,
                  mb / p.seconds, static_cast<long long>(p.tokens));
    };
    const Pass cold = encode_all(*tok, texts, {});
    report("lightreasoner (cold word cache)", cold);
    const Pass warm = encode_all(*tok, texts, {});
    report("lightreasoner (warm word cache)", warm);
    tokenizer::EncodeOptions reference;
    reference.reference_bpe = true;
    const Pass slow = encode_all(*tok, texts, reference);
    report("lightreasoner reference merge loop", slow);
    if (peer) {
      const fs::path script = fs::path(LR_SOURCE_DIR) / "scripts/peer_tokenizers/peer_encode.mjs";
      const std::string out = run_capture("node '" + script.string() + "' bench '" + model.string() + "' '" +
                                          data.string() + "' 2>&1");
      Pass node{};
      try {
        const auto j = nlohmann::json::parse(out);
        node = {j["seconds"].get<double>(), j["tokens"].get<int64_t>()};
      } catch (const std::exception&) {
        std::printf("peer unavailable (run scripts/install_peer_tokenizers.sh): %s\n", out.substr(0, 300).c_str());
        return 1;
      }
      report("@huggingface/tokenizers 0.2.0 (node)", node);
      // A speed ratio means something only when both sides did the same work: refuse otherwise.
      if (node.tokens != cold.tokens || warm.tokens != cold.tokens || slow.tokens != cold.tokens) {
        spdlog::error("token counts differ: peer {}, ours cold {}, warm {}, reference loop {}: no speed-up reported",
                      node.tokens, cold.tokens, warm.tokens, slow.tokens);
        return 1;
      }
      std::printf("speed-up vs the peer (Tokenizers.js in node): cold %.1fx, warm %.1fx\n", node.seconds / cold.seconds,
                  node.seconds / warm.seconds);
    }
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  return 0;
}
