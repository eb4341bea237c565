// tokenizer.json BPE tokenizers (see json_tokenizer.h). The pipeline is read from the file and
// described by data, not subclasses: normalizer steps (NFC/NFKC/..., Prepend, Replace), pre-
// tokenizer steps (Split regex "Isolated", ByteLevel, Metaspace), the BPE model, the decoder
// (ByteLevel, or Replace/ByteFallback/Fuse/Strip, or Metaspace) and the post-processor
// (TemplateProcessing / ByteLevel / Sequence). Anything else is refused with an Error naming the
// JSON path, rather than tokenized differently from Hugging Face.
#include "json_tokenizer.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <unordered_map>

#include "bpe_model.h"
#include "byte_fallback.h"
#include "byte_level.h"
#include "fingerprint.h"
#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/io/limits.h"
#include "lightreasoner/tokenizer/utf8.h"
#include "regex_split.h"

namespace lightreasoner::tokenizer {
namespace {

using Json = nlohmann::json;

const std::string kMetaspace = "\xE2\x96\x81";  // U+2581 "▁"
// GPT-2's pre-tokenizer regex (ByteLevel with use_regex=true).
const std::string kGpt2Regex = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

std::string replace_all(std::string_view text, const std::string& from, const std::string& to) {
  std::string out;
  if (from.empty()) return std::string(text);
  size_t pos = 0;
  while (true) {
    size_t hit = text.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(text.substr(pos, hit - pos));
    out += to;
    pos = hit + from.size();
  }
  out.append(text.substr(pos));
  return out;
}

struct NormalizerStep {
  enum class Kind { kUnicode, kPrepend, kReplace } kind;
  utf8::NormalForm form = utf8::NormalForm::kNFC;
  std::string text, replacement;     // Prepend text; Replace pattern (String) and content
  std::shared_ptr<Regex> regex;      // Replace pattern (Regex)
};

struct PreTokenizerStep {
  enum class Kind { kSplit, kByteLevel, kMetaspace } kind;
  std::shared_ptr<Regex> regex;      // Split pattern, or GPT-2's for ByteLevel use_regex
  bool add_prefix_space = false;     // ByteLevel
  std::string replacement = kMetaspace;                      // Metaspace
  enum class Prepend { kAlways, kFirst, kNever } prepend = Prepend::kAlways;
  bool split = true;                 // Metaspace
};

struct DecoderSpec {
  bool byte_level = false;
  bool byte_fallback = false;
  std::vector<std::pair<std::string, std::string>> replacements;  // applied in order to each token
  int strip_leading_spaces = 0;
};

std::string where(const std::string& file, const std::string& path) { return file + " " + path; }

std::string string_pattern_or_regex(const Json& pattern, const std::string& at, std::shared_ptr<Regex>& regex) {
  LR_CHECK(pattern.is_object(), at << ".pattern must be {\"String\": ...} or {\"Regex\": ...}, got " << pattern.dump());
  if (pattern.contains("String")) return pattern["String"].get<std::string>();
  if (pattern.contains("Regex")) {
    regex = std::make_shared<Regex>(pattern["Regex"].get<std::string>(), at);
    return {};
  }
  LR_FAIL(at << ".pattern must be {\"String\": ...} or {\"Regex\": ...}, got " << pattern.dump());
}

class JsonBpeTokenizer final : public Tokenizer {
 public:
  JsonBpeTokenizer(const std::filesystem::path& path, const TokenizerConfig& config) {
    file_ = path.string();
    Json j;
    try {
      j = Json::parse(io::limits::read_bounded_file(path, io::limits::kMaxTokenizerJsonBytes, "a tokenizer.json"));
    } catch (const Json::exception& e) {
      LR_FAIL(file_ << ": not valid JSON: " << e.what());
    }
    LR_CHECK(j.is_object() && j.contains("model") && j["model"].is_object(), file_ << ": no \"model\" object");
    try {
      read(j, config);
    } catch (const Json::exception& e) {
      // A key of the wrong JSON type deep in the pipeline (the section readers check the keys
      // they branch on; nlohmann checks the rest on access).
      LR_FAIL(file_ << ": a key has the wrong type or is missing: " << e.what());
    }
  }

  void read(const Json& j, const TokenizerConfig& config) {
    // Ids index dense tables sized by the largest id: bound them by what the file lists.
    auto count = [](const Json& object, const char* key) {
      auto it = object.find(key);
      return it == object.end() ? size_t{0} : it->size();
    };
    max_token_id_ = static_cast<int64_t>(count(j["model"], "vocab") + count(j, "added_tokens")) +
                    io::limits::kMaxTokenIdHoles;
    for (const char* key : {"truncation", "padding"}) {
      if (j.contains(key) && !j[key].is_null()) spdlog::warn("{}: \"{}\" is set; ignored (lightreasoner never truncates or pads here)", file_, key);
    }
    read_normalizer(j.value("normalizer", Json()), "normalizer");
    read_pre_tokenizer(j.value("pre_tokenizer", Json()), "pre_tokenizer");
    read_decoder(j.value("decoder", Json()), "decoder");
    read_model(j["model"]);
    read_added_tokens(j.value("added_tokens", Json::array()));
    index_added_tokens();
    read_post_processor(j.value("post_processor", Json()), "post_processor");
    // Without a config, the post-processor's leading token is the BOS.
    if (!prefix_ids_.empty()) bos_id_ = prefix_ids_.front();
    apply_config(config);
    compute_fingerprint();
  }

  TokenizerKind kind() const override {
    return byte_level_ ? TokenizerKind::kByteLevelBpe : TokenizerKind::kByteFallbackBpe;
  }
  int64_t vocab_size() const override { return static_cast<int64_t>(id_to_token_.size()); }

  std::string id_to_token(TokenId id) const override {
    LR_CHECK(id >= 0 && id < vocab_size() && has_token_[id],
             "token id " << id << " has no token in " << file_ << " (vocab size " << vocab_size() << ")");
    return id_to_token_[id];
  }
  std::optional<TokenId> token_to_id(std::string_view token) const override {
    auto it = token_to_id_.find(std::string(token));
    if (it == token_to_id_.end()) return std::nullopt;
    return it->second;
  }

  std::string token_bytes(TokenId id) const override {
    const std::string& token = id_to_token(id);
    if (decoder_.byte_level) {
      auto bytes = byte_level::decode(token);
      return bytes ? *bytes : token;
    }
    if (decoder_.byte_fallback) {
      if (const auto byte = byte_fallback_value(token)) return std::string(1, static_cast<char>(*byte));
    }
    std::string out = token;
    for (const auto& [from, to] : decoder_.replacements) out = replace_all(out, from, to);
    return out;
  }

 protected:
  void encode_segment(std::string_view text, bool first, const EncodeOptions& options,
                      std::vector<TokenId>& out) const override {
    std::string normalized = normalize(text);
    if (normalized.empty()) return;
    std::vector<std::string> words = pre_tokenize(std::move(normalized), first);
    for (const auto& word : words) {
      if (options.reference_bpe) {
        model_->encode_word_reference(word, out);
      } else {
        model_->encode_word(word, out);
      }
    }
  }

 private:
  std::string normalize(std::string_view text) const {
    std::string s(text);
    for (const auto& step : normalizers_) {
      switch (step.kind) {
        case NormalizerStep::Kind::kUnicode: s = utf8::normalize(s, step.form); break;
        case NormalizerStep::Kind::kPrepend:
          if (!s.empty()) s = step.text + s;
          break;
        case NormalizerStep::Kind::kReplace:
          if (step.regex) {
            std::string out;
            size_t last = 0;
            for (const auto& [b, e] : step.regex->find_all(s)) {
              out.append(s, last, b - last);
              out += step.replacement;
              last = e;
            }
            out.append(s, last, std::string::npos);
            s = std::move(out);
          } else {
            s = replace_all(s, step.text, step.replacement);
          }
          break;
      }
    }
    return s;
  }

  std::vector<std::string> pre_tokenize(std::string text, bool first) const {
    std::vector<std::string> pieces{std::move(text)};
    for (const auto& step : pre_tokenizers_) {
      std::vector<std::string> next;
      for (size_t p = 0; p < pieces.size(); ++p) {
        std::string& piece = pieces[p];
        switch (step.kind) {
          case PreTokenizerStep::Kind::kSplit:
            for (auto v : split_isolated(*step.regex, piece)) next.emplace_back(v);
            break;
          case PreTokenizerStep::Kind::kByteLevel: {
            if (step.add_prefix_space && !piece.empty() && piece[0] != ' ') piece.insert(0, " ");
            if (step.regex) {
              for (auto v : split_isolated(*step.regex, piece)) next.emplace_back(v);
            } else {
              next.push_back(std::move(piece));
            }
            break;
          }
          case PreTokenizerStep::Kind::kMetaspace: {
            std::string s = replace_all(piece, " ", step.replacement);
            const bool prepend = step.prepend == PreTokenizerStep::Prepend::kAlways ||
                                 (step.prepend == PreTokenizerStep::Prepend::kFirst && first && p == 0);
            if (prepend && s.compare(0, step.replacement.size(), step.replacement) != 0) s = step.replacement + s;
            if (!step.split) {
              next.push_back(std::move(s));
              break;
            }
            // Split before every replacement character (behavior MergedWithNext).
            size_t start = 0;
            for (size_t hit = s.find(step.replacement, 1); hit != std::string::npos; hit = s.find(step.replacement, hit + 1)) {
              if (hit > start) next.push_back(s.substr(start, hit - start));
              start = hit;
            }
            if (start < s.size()) next.push_back(s.substr(start));
            break;
          }
        }
      }
      pieces = std::move(next);
    }
    return pieces;
  }

  void read_normalizer(const Json& n, const std::string& at) {
    if (n.is_null()) return;
    const std::string type = n.value("type", "");
    if (type == "Sequence") {
      const auto& list = n.value("normalizers", Json::array());
      for (size_t i = 0; i < list.size(); ++i) read_normalizer(list[i], at + ".normalizers[" + std::to_string(i) + "]");
      return;
    }
    NormalizerStep step;
    if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD") {
      step.kind = NormalizerStep::Kind::kUnicode;
      step.form = type == "NFC" ? utf8::NormalForm::kNFC : type == "NFD" ? utf8::NormalForm::kNFD
                : type == "NFKC" ? utf8::NormalForm::kNFKC : utf8::NormalForm::kNFKD;
    } else if (type == "Prepend") {
      step.kind = NormalizerStep::Kind::kPrepend;
      step.text = n.at("prepend").get<std::string>();
    } else if (type == "Replace") {
      step.kind = NormalizerStep::Kind::kReplace;
      step.text = string_pattern_or_regex(n.at("pattern"), where(file_, at), step.regex);
      step.replacement = n.at("content").get<std::string>();
    } else {
      LR_FAIL(where(file_, at) << ": normalizer type \"" << type
                               << "\" is not supported (supported: Sequence, NFC, NFD, NFKC, NFKD, Prepend, Replace)");
    }
    normalizers_.push_back(std::move(step));
  }

  void read_pre_tokenizer(const Json& p, const std::string& at) {
    if (p.is_null()) return;
    const std::string type = p.value("type", "");
    PreTokenizerStep step;
    if (type == "Sequence") {
      const auto& list = p.value("pretokenizers", Json::array());
      for (size_t i = 0; i < list.size(); ++i) read_pre_tokenizer(list[i], at + ".pretokenizers[" + std::to_string(i) + "]");
      return;
    } else if (type == "Split") {
      const std::string behavior = p.value("behavior", "");
      LR_CHECK(behavior == "Isolated", where(file_, at) << ": Split behavior \"" << behavior
                                                          << "\" is not supported (supported: Isolated)");
      LR_CHECK(!p.value("invert", false), where(file_, at) << ": Split with invert=true is not supported");
      step.kind = PreTokenizerStep::Kind::kSplit;
      std::string literal = string_pattern_or_regex(p.at("pattern"), where(file_, at), step.regex);
      if (!step.regex) {
        std::string escaped = "\\Q" + literal + "\\E";
        step.regex = std::make_shared<Regex>(escaped, where(file_, at));
      }
    } else if (type == "ByteLevel") {
      step.kind = PreTokenizerStep::Kind::kByteLevel;
      step.add_prefix_space = p.value("add_prefix_space", false);
      if (p.value("use_regex", true)) step.regex = std::make_shared<Regex>(kGpt2Regex, where(file_, at));
      byte_level_ = true;
    } else if (type == "Metaspace") {
      step.kind = PreTokenizerStep::Kind::kMetaspace;
      step.replacement = p.value("replacement", kMetaspace);
      step.split = p.value("split", true);
      std::string scheme = p.value("prepend_scheme", p.value("add_prefix_space", true) ? "always" : "never");
      step.prepend = scheme == "first" ? PreTokenizerStep::Prepend::kFirst
                   : scheme == "never" ? PreTokenizerStep::Prepend::kNever : PreTokenizerStep::Prepend::kAlways;
    } else {
      LR_FAIL(where(file_, at) << ": pre_tokenizer type \"" << type
                               << "\" is not supported (supported: Sequence, Split, ByteLevel, Metaspace)");
    }
    pre_tokenizers_.push_back(std::move(step));
  }

  void read_decoder(const Json& d, const std::string& at) {
    LR_CHECK(!d.is_null(), where(file_, at) << ": a decoder is required");
    const std::string type = d.value("type", "");
    if (type == "Sequence") {
      const auto& list = d.value("decoders", Json::array());
      for (size_t i = 0; i < list.size(); ++i) read_decoder(list[i], at + ".decoders[" + std::to_string(i) + "]");
    } else if (type == "ByteLevel") {
      decoder_.byte_level = true;
    } else if (type == "ByteFallback") {
      decoder_.byte_fallback = true;
    } else if (type == "Fuse") {
      // Concatenation: what decode does anyway.
    } else if (type == "Replace") {
      std::shared_ptr<Regex> regex;
      std::string from = string_pattern_or_regex(d.at("pattern"), where(file_, at), regex);
      LR_CHECK(!regex, where(file_, at) << ": Replace decoder with a Regex pattern is not supported");
      decoder_.replacements.emplace_back(from, d.at("content").get<std::string>());
    } else if (type == "Strip") {
      const Json start = d.value("start", Json(0)), stop = d.value("stop", Json(0));
      LR_CHECK(d.value("content", " ") == " " && stop == 0 && start.is_number_integer() && start.get<int64_t>() >= 0 &&
                   start.get<int64_t>() <= 16,
               where(file_, at) << ": only Strip of up to 16 leading spaces is supported, got " << d.dump());
      decoder_.strip_leading_spaces = static_cast<int>(start.get<int64_t>());
    } else if (type == "Metaspace") {
      decoder_.replacements.emplace_back(d.value("replacement", kMetaspace), " ");
      std::string scheme = d.value("prepend_scheme", d.value("add_prefix_space", true) ? "always" : "never");
      decoder_.strip_leading_spaces = scheme == "never" ? 0 : 1;
    } else {
      LR_FAIL(where(file_, at) << ": decoder type \"" << type
                               << "\" is not supported (supported: Sequence, ByteLevel, ByteFallback, Fuse, Replace, Strip, Metaspace)");
    }
    strip_leading_spaces_ = decoder_.strip_leading_spaces;
  }

  void read_model(const Json& m) {
    const std::string at = where(file_, "model");
    LR_CHECK(m.value("type", "BPE") == "BPE", at << ": model type \"" << m.value("type", "")
                                                  << "\" is not supported (only BPE)");
    for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
      LR_CHECK(!m.contains(key) || m[key].is_null() || m[key] == "", at << ": \"" << key << "\" " << m[key].dump()
                                                                         << " is not supported (expected null or \"\")");
    }
    const Json& vocab = m.at("vocab");
    LR_CHECK(vocab.is_object(), at << ".vocab must be an object {token: id}");
    BpeOptions options;
    options.byte_level = byte_level_;
    options.byte_fallback = m.value("byte_fallback", false);
    options.fuse_unk = m.value("fuse_unk", false);
    options.ignore_merges = m.value("ignore_merges", false);
    std::vector<std::pair<std::string, TokenId>> model_vocab;
    model_vocab.reserve(vocab.size());
    for (auto it = vocab.begin(); it != vocab.end(); ++it) {
      LR_CHECK(it.value().is_number_integer(), at << ".vocab[\"" << it.key() << "\"] must be an integer id");
      const auto id = it.value().get<int64_t>();
      LR_CHECK(id >= 0 && id < max_token_id_, at << ".vocab[\"" << it.key() << "\"]: id " << id << " is out of range [0, "
                                                 << max_token_id_ << ") for a file listing "
                                                 << max_token_id_ - io::limits::kMaxTokenIdHoles << " tokens");
      set_token(static_cast<TokenId>(id), it.key(), at + ".vocab");
      model_vocab.emplace_back(to_model_space(it.key()), static_cast<TokenId>(id));
    }
    if (m.contains("unk_token") && !m["unk_token"].is_null()) {
      auto unk = token_to_id(m["unk_token"].get<std::string>());
      LR_CHECK(unk.has_value(), at << ".unk_token " << m["unk_token"].dump() << " is not in the vocab");
      options.unk_id = unk;
    }
    const Json& merges = m.value("merges", Json::array());
    std::vector<std::pair<std::string, std::string>> model_merges;
    model_merges.reserve(merges.size());
    for (size_t i = 0; i < merges.size(); ++i) {
      const Json& merge = merges[i];
      std::string a, b;
      if (merge.is_string()) {
        const std::string s = merge.get<std::string>();
        const size_t space = s.find(' ');
        LR_CHECK(space != std::string::npos && s.find(' ', space + 1) == std::string::npos,
                 at << ".merges[" << i << "] \"" << s << "\" must be two tokens separated by one space");
        a = s.substr(0, space), b = s.substr(space + 1);
      } else {
        LR_CHECK(merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string(),
                 at << ".merges[" << i << "] must be \"a b\" or [\"a\", \"b\"], got " << merge.dump());
        a = merge[0].get<std::string>(), b = merge[1].get<std::string>();
      }
      merges_for_fingerprint_.push_back(a + " " + b);
      model_merges.emplace_back(to_model_space(a), to_model_space(b));
    }
    model_ = std::make_unique<BpeModel>(model_vocab, model_merges, options, at);
  }

  void read_added_tokens(const Json& list) {
    for (size_t i = 0; i < list.size(); ++i) {
      const Json& t = list[i];
      const std::string at = where(file_, "added_tokens[" + std::to_string(i) + "]");
      LR_CHECK(t.is_object() && t.contains("id") && t.contains("content"), at << " needs \"id\" and \"content\"");
      for (const char* flag : {"lstrip", "rstrip", "single_word"}) {
        if (t.value(flag, false)) spdlog::warn("{}: \"{}\" is set but not implemented; the token is matched anywhere", at, flag);
      }
      LR_CHECK(t["id"].is_number_integer(), at << ": \"id\" must be an integer, got " << t["id"].dump());
      const auto id = t["id"].get<int64_t>();
      LR_CHECK(id >= 0 && id < max_token_id_, at << ": id " << id << " is out of range [0, " << max_token_id_
                                                 << ") for a file listing "
                                                 << max_token_id_ - io::limits::kMaxTokenIdHoles << " tokens");
      AddedToken token{static_cast<TokenId>(id), t["content"].get<std::string>(), t.value("special", false)};
      if (!(token.id < vocab_size() && has_token_[token.id])) set_token(token.id, token.content, at);
      // An added token that is also a vocab entry keeps its id; its content maps to that id.
      token_to_id_[token.content] = token.id;
      added_tokens_.push_back(std::move(token));
    }
  }

  void read_post_processor(const Json& p, const std::string& at) {
    if (p.is_null()) return;
    const std::string type = p.value("type", "");
    if (type == "Sequence") {
      const auto& list = p.value("processors", Json::array());
      for (size_t i = 0; i < list.size(); ++i) read_post_processor(list[i], at + ".processors[" + std::to_string(i) + "]");
    } else if (type == "ByteLevel") {
      // Offsets only; adds no token.
    } else if (type == "TemplateProcessing") {
      const Json& single = p.at("single");
      const Json& specials = p.value("special_tokens", Json::object());
      bool after_sequence = false;
      for (const Json& item : single) {
        if (item.contains("Sequence")) {
          after_sequence = true;
          continue;
        }
        LR_CHECK(item.contains("SpecialToken"), where(file_, at) << ".single: unexpected item " << item.dump());
        const std::string name = item["SpecialToken"].at("id").get<std::string>();
        LR_CHECK(specials.contains(name), where(file_, at) << ".special_tokens has no entry for \"" << name << "\"");
        for (const Json& id : specials[name].at("ids")) {
          LR_CHECK(id.is_number_integer() && id.get<int64_t>() >= 0 && id.get<int64_t>() < max_token_id_,
                   where(file_, at) << ".special_tokens[\"" << name << "\"].ids: " << id.dump()
                                    << " is not a token id in [0, " << max_token_id_ << ")");
          (after_sequence ? suffix_ids_ : prefix_ids_).push_back(static_cast<TokenId>(id.get<int64_t>()));
        }
      }
    } else {
      LR_FAIL(where(file_, at) << ": post_processor type \"" << type
                               << "\" is not supported (supported: Sequence, ByteLevel, TemplateProcessing)");
    }
  }

  void set_token(TokenId id, const std::string& token, const std::string& at) {
    if (id >= vocab_size()) {
      id_to_token_.resize(id + 1);
      has_token_.resize(id + 1, false);
    }
    LR_CHECK(!has_token_[id], at << ": id " << id << " is given to both \"" << id_to_token_[id] << "\" and \"" << token << "\"");
    id_to_token_[id] = token;
    has_token_[id] = true;
    token_to_id_.emplace(token, id);
  }

  // Byte-level vocabularies are stored as raw bytes so that BPE runs on the input's bytes.
  std::string to_model_space(const std::string& token) const {
    if (!byte_level_) return token;
    auto bytes = byte_level::decode(token);
    return bytes ? *bytes : token;
  }

  void compute_fingerprint() {
    Fingerprint f;
    f.add(std::string_view(byte_level_ ? "byte-level-bpe" : "bpe"));
    f.add(vocab_size());
    for (TokenId id = 0; id < vocab_size(); ++id) f.add(has_token_[id] ? std::string_view(id_to_token_[id]) : std::string_view("\x01<none>"));
    f.add(static_cast<int64_t>(merges_for_fingerprint_.size()));
    for (const auto& m : merges_for_fingerprint_) f.add(m);
    f.add(static_cast<int64_t>(added_tokens_.size()));
    for (const auto& t : added_tokens_) {
      f.add(static_cast<int64_t>(t.id));
      f.add(t.content);
      f.add(static_cast<int64_t>(t.special));
    }
    fingerprint_ = f.hex();
    merges_for_fingerprint_.clear();
    merges_for_fingerprint_.shrink_to_fit();
  }

  std::string file_;
  int64_t max_token_id_ = 0;  // exclusive
  bool byte_level_ = false;
  std::vector<NormalizerStep> normalizers_;
  std::vector<PreTokenizerStep> pre_tokenizers_;
  DecoderSpec decoder_;
  std::unique_ptr<BpeModel> model_;
  std::vector<std::string> id_to_token_;
  std::vector<bool> has_token_;
  std::unordered_map<std::string, TokenId> token_to_id_;
  std::vector<std::string> merges_for_fingerprint_;
};

}  // namespace

std::unique_ptr<Tokenizer> load_json_tokenizer(const std::filesystem::path& tokenizer_json, const TokenizerConfig& config) {
  return std::make_unique<JsonBpeTokenizer>(tokenizer_json, config);
}

}  // namespace lightreasoner::tokenizer
