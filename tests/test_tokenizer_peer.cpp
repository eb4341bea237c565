// Peer comparison at scale: scripts/peer_tokenizers/peer_encode.mjs (the official Tokenizers.js,
// @huggingface/tokenizers 0.2.0) encodes every question and answer/solution text of the jsonl
// files in data/ with the Qwen3 and the Mistral tokenizer.json; our ids must be identical
// on all of them. Skipped when node or the installed peer (scripts/install_peer_tokenizers.sh) is absent.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "lightreasoner/tokenizer/tokenizer.h"
#include "support.h"
#include "tokenizer_fixtures.h"

using namespace lightreasoner::tokenizer;

TEST(TokenizerPeer, AllDataTextsIdenticalToTokenizersJs) {
  const std::filesystem::path peer_dir = std::filesystem::path(LR_SOURCE_DIR) / "scripts/peer_tokenizers";
  if (!std::filesystem::exists(peer_dir / "node_modules/@huggingface/tokenizers/package.json")) {
    GTEST_SKIP() << "peer not installed (run scripts/install_peer_tokenizers.sh)";
  }
  if (std::system("node --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "node not found";
  const auto out = lrtest::temp_dir() / "peer.jsonl";
  const std::string command = "node '" + (peer_dir / "peer_encode.mjs").string() + "' dump '" +
                              (lrtest::fixture_dir() / "qwen3-tokenizer").string() + "' '" +
                              (lrtest::fixture_dir() / "mistral-tokenizer").string() + "' '" + (lrtest::data_dir()).string() +
                              "' > '" + out.string() + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const auto& qwen = lrtest::fixture_tokenizer("qwen3-tokenizer");
  const auto& mistral = lrtest::fixture_tokenizer("mistral-tokenizer");
  std::ifstream in(out);
  std::string line;
  int64_t texts = 0, qwen_ids = 0, mistral_ids = 0;
  std::map<std::string, int64_t> per_file;
  while (std::getline(in, line)) {
    const auto r = nlohmann::json::parse(line);
    const std::string text = r["text"];
    const std::string where = r["file"].get<std::string>() + ":" + std::to_string(r["line"].get<int>()) + " field " +
                              r["field"].get<std::string>();
    const auto q = qwen.encode(text);
    ASSERT_EQ(q, r["qwen"].get<std::vector<TokenId>>()) << "Qwen3 ids differ at " << where << "\ntext: " << text;
    const auto m = mistral.encode(text);
    ASSERT_EQ(m, r["mistral"].get<std::vector<TokenId>>()) << "Mistral ids differ at " << where << "\ntext: " << text;
    ++texts;
    ++per_file[r["file"].get<std::string>()];
    qwen_ids += static_cast<int64_t>(q.size());
    mistral_ids += static_cast<int64_t>(m.size());
  }
  std::cout << "peer comparison: " << texts << " texts from " << per_file.size() << " files identical (" << qwen_ids
            << " Qwen3 ids, " << mistral_ids << " Mistral ids)\n";
  EXPECT_GT(texts, 50000);
  EXPECT_GE(per_file.size(), 27u);
}
