// Sentencepiece tokenizers through liblightreasoner_spm.so (see spm_shim/sentencepiece_shim.h).
// The shim is dlopen()ed with RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND, first beside the running
// executable, then in <prefix>/lib/lightreasoner (an installed binary), then at its build path; linking libsentencepiece into the program instead crashes
// at start-up (its protobuf clashes with LibTorch's). Encoding of each text piece is
// sentencepiece's own; added-token splitting, BOS and decoding are the shared Tokenizer code,
// with the decoding rules of HF's converted Llama tokenizers (▁ -> space, <0xNN> -> byte,
// one leading space stripped when the model adds a dummy prefix).
#include "sentencepiece_tokenizer.h"

#include <dlfcn.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstring>
#include <mutex>
#include <type_traits>
#include <unordered_map>

#include "byte_fallback.h"
#include "fingerprint.h"
#include "lightreasoner/core/error.h"
#include "spm_shim/sentencepiece_shim.h"

#ifndef LR_SPM_SHIM_NAME
#define LR_SPM_SHIM_NAME "liblightreasoner_spm.so"
#endif

// Weak: null unless the program defines it (see shim_state()).
extern "C" __attribute__((weak)) const int lr_spm_without_deepbind;

namespace lightreasoner::tokenizer {
namespace {

// The shim's functions, resolved once per process; the module is never unloaded.
struct ShimApi {
  decltype(&lr_spm_api_version) api_version;
  decltype(&lr_spm_last_error) last_error;
  decltype(&lr_spm_load) load;
  decltype(&lr_spm_free) free;
  decltype(&lr_spm_encode) encode;
  decltype(&lr_spm_piece_size) piece_size;
  decltype(&lr_spm_id_to_piece) id_to_piece;
  decltype(&lr_spm_piece_to_id) piece_to_id;
  decltype(&lr_spm_score) score;
  decltype(&lr_spm_is_control) is_control;
  decltype(&lr_spm_is_unknown) is_unknown;
  decltype(&lr_spm_is_byte) is_byte;
  decltype(&lr_spm_bos_id) bos_id;
  decltype(&lr_spm_eos_id) eos_id;
  decltype(&lr_spm_unk_id) unk_id;
  decltype(&lr_spm_pad_id) pad_id;
};

std::vector<std::filesystem::path> shim_candidates() {
  std::vector<std::filesystem::path> paths;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    paths.push_back(exe.parent_path() / LR_SPM_SHIM_NAME);
    paths.push_back(exe.parent_path().parent_path() / "lib" / "lightreasoner" / LR_SPM_SHIM_NAME);
  }
#ifdef LR_SPM_SHIM_BUILD_PATH
  paths.emplace_back(LR_SPM_SHIM_BUILD_PATH);
#endif
  return paths;
}

struct ShimState {
  ShimApi api;
  std::string failure;      // empty when loaded
  std::string loaded_from;  // the module's path
};

const ShimState& shim_state() {
  static std::once_flag once;
  static ShimState state;
  std::call_once(once, [] {
    ShimApi& api = state.api;
    std::string& failure = state.failure;
    // RTLD_DEEPBIND keeps sentencepiece's protobuf away from LibTorch's; a program that links no
    // LibTorch (the sentencepiece fuzz harness) says so by defining lr_spm_without_deepbind.
    const bool deepbind = &lr_spm_without_deepbind == nullptr;
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer aborts the process on RTLD_DEEPBIND (google/sanitizers issue 611), and without
    // it sentencepiece's protobuf meets LibTorch's (a SEGV in protobuf's arena, tried): no
    // sentencepiece tokenizers in sanitizer builds that link LibTorch, said plainly instead of an abort.
    if (deepbind) {
      failure = "sentencepiece tokenizers are not available in an AddressSanitizer build (the shim needs "
                "RTLD_DEEPBIND, which the sanitizer runtime refuses)";
      return;
    }
#endif
    void* handle = nullptr;
    std::string tried;
    for (const auto& path : shim_candidates()) {
      tried += (tried.empty() ? "" : ", ") + path.string();
      if (!std::filesystem::exists(path)) continue;
      handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | (deepbind ? RTLD_DEEPBIND : 0));
      if (handle != nullptr) {
        state.loaded_from = path.string();
        break;
      }
      const char* why = dlerror();
      tried += std::string(" (") + (why ? why : "dlopen failed") + ")";
    }
    if (handle == nullptr) {
      failure = "the sentencepiece shim " LR_SPM_SHIM_NAME " was not found or could not be loaded (tried: " + tried +
                "); build the lightreasoner_spm target (needs libsentencepiece-dev) and keep it beside the executable";
      return;
    }
    auto resolve = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(handle, name));
      if (fn == nullptr && failure.empty()) failure = std::string("sentencepiece shim lacks symbol ") + name;
    };
    resolve(api.api_version, "lr_spm_api_version");
    resolve(api.last_error, "lr_spm_last_error");
    resolve(api.load, "lr_spm_load");
    resolve(api.free, "lr_spm_free");
    resolve(api.encode, "lr_spm_encode");
    resolve(api.piece_size, "lr_spm_piece_size");
    resolve(api.id_to_piece, "lr_spm_id_to_piece");
    resolve(api.piece_to_id, "lr_spm_piece_to_id");
    resolve(api.score, "lr_spm_score");
    resolve(api.is_control, "lr_spm_is_control");
    resolve(api.is_unknown, "lr_spm_is_unknown");
    resolve(api.is_byte, "lr_spm_is_byte");
    resolve(api.bos_id, "lr_spm_bos_id");
    resolve(api.eos_id, "lr_spm_eos_id");
    resolve(api.unk_id, "lr_spm_unk_id");
    resolve(api.pad_id, "lr_spm_pad_id");
    if (failure.empty() && api.api_version() != LR_SPM_SHIM_API_VERSION) {
      failure = "sentencepiece shim API version " + std::to_string(api.api_version()) + ", expected " +
                std::to_string(LR_SPM_SHIM_API_VERSION) + " (stale " LR_SPM_SHIM_NAME "? rebuild)";
    }
  });
  return state;
}

const ShimApi& shim() {
  const ShimState& state = shim_state();
  LR_CHECK(state.failure.empty(), state.failure);
  return state.api;
}

const std::string kMetaspace = "\xE2\x96\x81";  // "▁"

// A score as the fingerprint takes it: micro-units, as always for the finite scores models have;
// a non-finite or huge one (a hostile file) by its bits, never an out-of-range conversion.
int64_t score_for_fingerprint(float score) {
  if (std::isfinite(score) && std::fabs(score) < 1e12f) return static_cast<int64_t>(static_cast<double>(score) * 1e6);
  uint32_t bits = 0;
  std::memcpy(&bits, &score, sizeof bits);
  return (int64_t{1} << 62) | bits;
}

class SentencePieceTokenizer final : public Tokenizer {
 public:
  SentencePieceTokenizer(const std::filesystem::path& path, const TokenizerConfig& config)
      : api_(shim()), file_(path.string()) {
    handle_ = api_.load(file_.c_str());
    LR_CHECK(handle_ != nullptr, file_ << ": sentencepiece cannot load it: " << api_.last_error());
    try {
      read_pieces(config);
    } catch (...) {  // a refused model: no destructor runs for a half-built object
      api_.free(handle_);
      throw;
    }
  }
  ~SentencePieceTokenizer() override { api_.free(handle_); }

 private:
  // The piece table, special ids and fingerprint from the loaded model, then tokenizer_config.json.
  void read_pieces(const TokenizerConfig& config) {
    const int32_t n = api_.piece_size(handle_);
    pieces_.reserve(n);
    Fingerprint f;
    f.add(std::string_view("sentencepiece"));
    f.add(static_cast<int64_t>(n));
    for (int32_t id = 0; id < n; ++id) {
      pieces_.push_back(piece_of(id));
      piece_ids_.emplace(pieces_.back(), id);
      const bool control = api_.is_control(handle_, id), unknown = api_.is_unknown(handle_, id);
      const bool byte = api_.is_byte(handle_, id);
      byte_value_.push_back(byte ? byte_of_piece(pieces_.back(), id) : -1);
      f.add(pieces_.back());
      f.add(score_for_fingerprint(api_.score(handle_, id)));
      f.add(static_cast<int64_t>(control | (unknown << 1) | (byte << 2)));
      // Control and unknown pieces behave like HF's special added tokens.
      if (control || unknown) added_tokens_.push_back({id, pieces_.back(), true});
    }
    fingerprint_ = f.hex();
    index_added_tokens();
    auto id_or_none = [](int32_t id) { return id >= 0 ? std::optional<TokenId>(id) : std::nullopt; };
    bos_id_ = id_or_none(api_.bos_id(handle_));
    eos_id_ = id_or_none(api_.eos_id(handle_));
    pad_id_ = id_or_none(api_.pad_id(handle_));
    // Like transformers' LlamaTokenizer: BOS added by default (add_bos_token), no EOS.
    if (bos_id_) prefix_ids_.push_back(*bos_id_);
    // A model with add_dummy_prefix starts every text with "▁"; decoding then strips one space.
    std::vector<TokenId> probe;
    encode_segment("a", true, {}, probe);
    strip_leading_spaces_ = !probe.empty() && pieces_[probe[0]].rfind(kMetaspace, 0) == 0 ? 1 : 0;
    apply_config(config);
  }

  // The byte a byte-fallback piece stands for: its text must be "<0xNN>".
  int16_t byte_of_piece(const std::string& piece, int32_t id) const {
    const auto byte = byte_fallback_value(piece);
    LR_CHECK(byte.has_value(), file_ << ": byte piece " << id << " is '" << piece << "', expected <0xNN>");
    return *byte;
  }

 public:
  TokenizerKind kind() const override { return TokenizerKind::kSentencePiece; }
  int64_t vocab_size() const override { return static_cast<int64_t>(pieces_.size()); }
  std::string id_to_token(TokenId id) const override {
    LR_CHECK(id >= 0 && id < vocab_size(), "token id " << id << " out of range for " << file_ << " (" << vocab_size() << " pieces)");
    return pieces_[id];
  }
  std::optional<TokenId> token_to_id(std::string_view token) const override {
    auto it = piece_ids_.find(std::string(token));
    if (it == piece_ids_.end()) return std::nullopt;
    return it->second;
  }
  std::string token_bytes(TokenId id) const override {
    const std::string& piece = id_to_token(id);
    if (byte_value_[id] >= 0) return std::string(1, static_cast<char>(byte_value_[id]));
    std::string out;
    size_t pos = 0;
    for (size_t hit = piece.find(kMetaspace); hit != std::string::npos; hit = piece.find(kMetaspace, pos)) {
      out.append(piece, pos, hit - pos);
      out += ' ';
      pos = hit + kMetaspace.size();
    }
    out.append(piece, pos, std::string::npos);
    return out;
  }

 protected:
  void encode_segment(std::string_view text, bool /*first*/, const EncodeOptions& /*options*/,
                      std::vector<TokenId>& out) const override {
    const size_t start = out.size();
    int64_t capacity = static_cast<int64_t>(text.size()) + 8;
    while (true) {
      out.resize(start + capacity);
      const int64_t n = api_.encode(handle_, text.data(), text.size(), out.data() + start, capacity);
      LR_CHECK(n >= 0, file_ << ": sentencepiece encode failed: " << api_.last_error());
      if (n <= capacity) {
        out.resize(start + n);
        return;
      }
      capacity = n;
    }
  }

 private:
  std::string piece_of(int32_t id) const {
    std::string piece(64, '\0');
    int64_t n = api_.id_to_piece(handle_, id, piece.data(), static_cast<int64_t>(piece.size()));
    LR_CHECK(n >= 0, file_ << ": " << api_.last_error());
    if (n > static_cast<int64_t>(piece.size())) {
      piece.resize(n);
      n = api_.id_to_piece(handle_, id, piece.data(), n);
    }
    piece.resize(n);
    return piece;
  }

  const ShimApi& api_;
  std::string file_;
  lr_spm* handle_ = nullptr;
  std::vector<std::string> pieces_;
  std::vector<int16_t> byte_value_;  // by id: the byte of a byte-fallback piece, else -1
  std::unordered_map<std::string, TokenId> piece_ids_;
};

}  // namespace

std::string sentencepiece_shim_status() {
  const ShimState& state = shim_state();
  return state.failure.empty() ? "loaded from " + state.loaded_from : "NOT loaded: " + state.failure;
}

std::unique_ptr<Tokenizer> load_sentencepiece_tokenizer(const std::filesystem::path& model, const TokenizerConfig& config) {
  return std::make_unique<SentencePieceTokenizer>(model, config);
}

}  // namespace lightreasoner::tokenizer
