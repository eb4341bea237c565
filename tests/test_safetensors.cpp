// safetensors: round trips, byte-compatibility with the reference writer, the real stories260K
// checkpoint, sharded checkpoints, and hostile files (each a clear Error, never a crash).
#include <torch/torch.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <fstream>

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/io/safetensors.h"
#include "support.h"

namespace fs = std::filesystem;
using namespace lightreasoner;
using namespace lightreasoner::io;

namespace {

std::string u64le(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return s;
}

// A file with the given header JSON (unpadded) followed by `data_bytes` zero bytes.
fs::path write_raw(const fs::path& dir, const std::string& name, const std::string& header, size_t data_bytes) {
  fs::path path = dir / name;
  std::string bytes = u64le(header.size()) + header + std::string(data_bytes, '\0');
  write_file_atomic(path, bytes);
  return path;
}

}  // namespace

TEST(Safetensors, MatchesReferenceWriterBytes) {
  // Expected bytes from the reference (Rust) implementation's own serialization tests:
  // {"attn.0": F32 [1,2,3] = 0..5}, no metadata.
  auto t = torch::arange(6, torch::kFloat32).reshape({1, 2, 3});
  std::string bytes = serialize_safetensors({{"attn.0", t}}, std::nullopt);
  const unsigned char expected[] = {
      64,  0,   0,   0,   0,   0,   0,   0,   123, 34,  97,  116, 116, 110, 46,  48,  34,  58,  123, 34,  100, 116,
      121, 112, 101, 34,  58,  34,  70,  51,  50,  34,  44,  34,  115, 104, 97,  112, 101, 34,  58,  91,  49,  44,
      50,  44,  51,  93,  44,  34,  100, 97,  116, 97,  95,  111, 102, 102, 115, 101, 116, 115, 34,  58,  91,  48,
      44,  50,  52,  93,  125, 125, 0,   0,   0,   0,   0,   0,   128, 63,
      0,   0,   0,   64,  0,   0,   64,  64,  0,   0,   128, 64,  0,   0,   160, 64};
  // The JSON is exactly 64 bytes here, so no padding; 8 + 64 + 24 bytes in all.
  ASSERT_EQ(bytes.size(), sizeof(expected));
  EXPECT_EQ(0, std::memcmp(bytes.data(), expected, sizeof(expected)));

  // Empty file with metadata {"framework": "pt"}: the reference's exact 48 bytes.
  std::string empty = serialize_safetensors({}, std::map<std::string, std::string>{{"framework", "pt"}});
  std::string expected_empty = u64le(40) + "{\"__metadata__\":{\"framework\":\"pt\"}}     ";
  EXPECT_EQ(empty, expected_empty);
}

TEST(Safetensors, RewritingStories260KIsByteIdentical) {
  fs::path original = lrtest::fixture_dir() / "stories260K/hf/model.safetensors";
  auto file = SafetensorsFile::open(original);
  NamedTensors tensors;
  for (const auto& info : file->tensors()) tensors.emplace_back(info.name, file->tensor(info.name));
  EXPECT_EQ(serialize_safetensors(tensors), read_file(original));
}

TEST(Safetensors, Stories260KNamesShapesValues) {
  auto file = SafetensorsFile::open(lrtest::fixture_dir() / "stories260K/hf/model.safetensors");
  EXPECT_EQ(file->tensors().size(), 47u);
  EXPECT_EQ(file->header().metadata.at("format"), "pt");
  EXPECT_EQ(file->find("lm_head.weight"), nullptr);  // tied: HF drops the copy
  auto embed = file->tensor("model.embed_tokens.weight");
  EXPECT_EQ(embed.sizes(), (std::vector<int64_t>{512, 64}));
  EXPECT_EQ(embed.scalar_type(), torch::kFloat32);
  EXPECT_EQ(file->tensor("model.layers.0.self_attn.k_proj.weight").sizes(), (std::vector<int64_t>{32, 64}));
  EXPECT_EQ(file->tensor("model.layers.4.mlp.down_proj.weight").sizes(), (std::vector<int64_t>{64, 172}));
  // Values read back equal the raw little-endian floats at the header's offsets.
  std::string bytes = read_file(lrtest::fixture_dir() / "stories260K/hf/model.safetensors");
  const auto* info = file->find("model.norm.weight");
  ASSERT_NE(info, nullptr);
  auto norm = file->tensor("model.norm.weight");
  for (int64_t i : {0, 17, 63}) {
    float expected;
    std::memcpy(&expected, bytes.data() + 8 + file->header().header_size + info->begin + 4 * i, 4);
    EXPECT_EQ(norm[i].item<float>(), expected);
  }
  EXPECT_TRUE(torch::isfinite(embed).all().item<bool>());
  EXPECT_GT(embed.abs().sum().item<double>(), 0.0);
}

TEST(Safetensors, RoundTripMixedDtypesZeroCopy) {
  auto dir = lrtest::temp_dir();
  torch::manual_seed(0);
  NamedTensors tensors = {
      {"w.bf16", torch::randn({3, 5}).to(torch::kBFloat16)},
      {"w.f16", torch::randn({7}).to(torch::kFloat16)},
      {"w.f32", torch::randn({2, 2, 2})},
      {"ids.i64", torch::arange(5, torch::kInt64)},
      {"mask.bool", torch::tensor({true, false, true})},
      {"scalar", torch::tensor(3.5f)},
      {"empty", torch::zeros({0, 4})},
  };
  write_safetensors(dir / "m.safetensors", tensors);
  auto file = SafetensorsFile::open(dir / "m.safetensors");
  ASSERT_EQ(file->tensors().size(), tensors.size());
  for (const auto& [name, t] : tensors) {
    auto back = file->tensor(name);
    EXPECT_EQ(back.scalar_type(), t.scalar_type()) << name;
    EXPECT_EQ(back.sizes(), t.sizes()) << name;
    EXPECT_TRUE(torch::equal(back, t)) << name;
  }
  // The writer aligns every tensor: the largest dtypes come first and the header is padded to 8.
  EXPECT_EQ(file->header().header_size % 8, 0u);
  auto f32 = file->tensor("w.f32");
  EXPECT_EQ(reinterpret_cast<uintptr_t>(f32.data_ptr()) % 4, 0u);
  // Writing into a tensor does not touch the file (private mapping).
  f32.fill_(42.0f);
  auto again = SafetensorsFile::open(dir / "m.safetensors");
  EXPECT_TRUE(torch::equal(again->tensor("w.f32"), tensors[2].second));
}

TEST(Safetensors, TensorOutlivesFileHandle) {
  auto dir = lrtest::temp_dir();
  write_safetensors(dir / "a.safetensors", {{"x", torch::arange(10, torch::kFloat32)}});
  torch::Tensor t;
  {
    auto file = SafetensorsFile::open(dir / "a.safetensors");
    t = file->tensor("x");
  }
  EXPECT_FLOAT_EQ(t[9].item<float>(), 9.0f);  // the mapping is kept alive by the tensor
}

TEST(Safetensors, ShardedCheckpointRoundTrip) {
  auto dir = lrtest::temp_dir();
  NamedTensors tensors;
  for (int i = 0; i < 6; ++i) tensors.emplace_back("layer." + std::to_string(i) + ".w", torch::full({16}, float(i)));
  tensors.emplace_back("bf", torch::ones({8}, torch::kBFloat16));
  // 6×64 + 16 bytes, shards of at most 150 bytes → several files plus an index.
  auto files = write_checkpoint(dir, tensors, 150);
  ASSERT_GT(files.size(), 2u);
  EXPECT_EQ(files.back(), "model.safetensors.index.json");
  EXPECT_TRUE(fs::exists(dir / "model-00001-of-00003.safetensors") ||
              fs::exists(dir / "model-00001-of-00004.safetensors"));
  auto ckpt = Checkpoint::open(dir);
  EXPECT_EQ(ckpt.names().size(), tensors.size());
  EXPECT_GT(ckpt.files().size(), 1u);
  for (const auto& [name, t] : tensors) EXPECT_TRUE(torch::equal(ckpt.tensor(name), t)) << name;
  auto index = nlohmann::json::parse(read_file(dir / "model.safetensors.index.json"));
  EXPECT_EQ(index["metadata"]["total_size"].get<uint64_t>(), 6u * 64u + 16u);

  // Small enough: one plain model.safetensors.
  auto single_dir = lrtest::temp_dir("single");
  EXPECT_EQ(write_checkpoint(single_dir, tensors, 1 << 20), std::vector<std::string>{"model.safetensors"});
}

TEST(Safetensors, CorruptIndexIsAPreciseError) {
  auto dir = lrtest::temp_dir();
  write_safetensors(dir / "model-00001-of-00001.safetensors", {{"a", torch::ones({2})}});
  write_file_atomic(dir / "model.safetensors.index.json",
                    R"({"metadata":{},"weight_map":{"a":"model-00001-of-00001.safetensors","b":"model-00001-of-00001.safetensors"}})");
  EXPECT_LR_ERROR(Checkpoint::open(dir), "maps tensor 'b'");
  write_file_atomic(dir / "model.safetensors.index.json", R"({"weight_map":{"a":"missing.safetensors"}})");
  EXPECT_LR_ERROR(Checkpoint::open(dir), "lists shard 'missing.safetensors' which does not exist");
  write_file_atomic(dir / "model.safetensors.index.json", R"({"weights":{}})");
  EXPECT_LR_ERROR(Checkpoint::open(dir), "weight_map");
  write_file_atomic(dir / "model.safetensors.index.json", "{not json");
  EXPECT_LR_ERROR(Checkpoint::open(dir), "not a valid JSON object");
  EXPECT_LR_ERROR(Checkpoint::open(dir / "nowhere"), "does not exist");
}

TEST(Safetensors, HostileFiles) {
  auto dir = lrtest::temp_dir();
  const std::string ok_entry = R"("t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";

  write_file_atomic(dir / "empty.safetensors", "");
  EXPECT_LR_ERROR(SafetensorsFile::open(dir / "empty.safetensors"), "expected at least 8");

  write_file_atomic(dir / "short.safetensors", "abc");
  EXPECT_LR_ERROR(SafetensorsFile::open(dir / "short.safetensors"), "expected at least 8");

  write_file_atomic(dir / "huge_n.safetensors", u64le(uint64_t(1) << 60) + "{}");
  EXPECT_LR_ERROR(SafetensorsFile::open(dir / "huge_n.safetensors"), "exceeds the limit");

  write_file_atomic(dir / "past_end.safetensors", u64le(1000) + "{}");
  EXPECT_LR_ERROR(SafetensorsFile::open(dir / "past_end.safetensors"), "runs past the end of the file");

  EXPECT_LR_ERROR(SafetensorsFile::open(write_raw(dir, "nonjson.safetensors", "{\"t\": [1,2", 0)),
                  "not a valid JSON object");
  EXPECT_LR_ERROR(SafetensorsFile::open(write_raw(dir, "notobj.safetensors", "[1, 2, 3]", 0)), "does not start with '{'");

  // Truncated data: header promises 8 bytes, the file holds 4.
  EXPECT_LR_ERROR(SafetensorsFile::open(write_raw(dir, "trunc.safetensors", "{" + ok_entry + "}", 4)),
                  "truncated file?");
  // Trailing garbage after the last tensor.
  EXPECT_LR_ERROR(SafetensorsFile::open(write_raw(dir, "trailing.safetensors", "{" + ok_entry + "}", 12)),
                  "trailing bytes");
  // Overlapping offsets.
  EXPECT_LR_ERROR(
      SafetensorsFile::open(write_raw(
          dir, "overlap.safetensors",
          R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
          12)),
      "overlaps the previous tensor");
  // A gap between tensors.
  EXPECT_LR_ERROR(
      SafetensorsFile::open(write_raw(
          dir, "gap.safetensors",
          R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
          12)),
      "(gap)");
  // Offsets far out of range (and size mismatch with the shape).
  EXPECT_LR_ERROR(SafetensorsFile::open(write_raw(
                      dir, "range.safetensors", R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,99999999999]}})", 8)),
                  "needs 8");
  EXPECT_LR_ERROR(SafetensorsFile::open(write_raw(
                      dir, "backwards.safetensors", R"({"t":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", 8)),
                  "begin > end");
  // Wrong dtype string.
  EXPECT_LR_ERROR(SafetensorsFile::open(write_raw(
                      dir, "dtype.safetensors", R"({"t":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}})", 8)),
                  "unknown dtype 'F33'");
  // Shape overflow (checked multiplication).
  EXPECT_LR_ERROR(SafetensorsFile::open(write_raw(
                      dir, "overflow.safetensors",
                      R"({"t":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}})", 8)),
                  "overflows");
  // Negative dimension and missing fields.
  EXPECT_LR_ERROR(SafetensorsFile::open(write_raw(
                      dir, "negdim.safetensors", R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8)),
                  "bad dimension");
  EXPECT_LR_ERROR(SafetensorsFile::open(write_raw(dir, "fields.safetensors", R"({"t":{"dtype":"F32"}})", 0)),
                  "needs dtype, shape and data_offsets");
  // Duplicate names.
  EXPECT_LR_ERROR(
      SafetensorsFile::open(write_raw(
          dir, "dup.safetensors",
          R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
          8)),
      "more than once");
  // Metadata must be string → string.
  EXPECT_LR_ERROR(SafetensorsFile::open(write_raw(dir, "meta.safetensors", R"({"__metadata__":{"n":1}})", 0)),
                  "must be a string");
  // A dtype LibTorch cannot hold is readable as a header but refused as a tensor.
  auto u16 = SafetensorsFile::open(
      write_raw(dir, "u16.safetensors", R"({"t":{"dtype":"U16","shape":[2],"data_offsets":[0,4]}})", 4));
  EXPECT_LR_ERROR(u16->tensor("t"), "no LibTorch");
  EXPECT_LR_ERROR(u16->tensor("nope"), "no tensor named 'nope'");
  // Deeply nested JSON in the header: an error, not a stack overflow.
  std::string deep = "{\"t\":" + std::string(200000, '[') + std::string(200000, ']') + "}";
  EXPECT_LR_ERROR(SafetensorsFile::open(write_raw(dir, "deep.safetensors", deep, 0)), "is not an object");
  // Every error names the file.
  EXPECT_LR_ERROR(SafetensorsFile::open(dir / "trunc.safetensors"), "trunc.safetensors");
}

TEST(Safetensors, AHeaderAnnouncingTerabytesIsRefusedFromItsOffsetsAgainstTheFileSize) {
  // A consistent 4 TiB tensor (shape × dtype = span) in a 100-byte file: refused by comparing the
  // stated offsets with the file size; nothing is allocated or read from the claimed range.
  auto dir = lrtest::temp_dir();
  const auto path = write_raw(dir, "tera.safetensors",
                              R"({"t":{"dtype":"F32","shape":[1048576,1048576],"data_offsets":[0,4398046511104]}})", 8);
  EXPECT_LR_ERROR(SafetensorsFile::open(path), "tensors cover 4398046511104 data bytes but the file holds 8 (truncated file?)");
  // The same shard named by a sharded index: the error names the shard file.
  fs::rename(path, dir / "model-00001-of-00001.safetensors");
  write_file_atomic(dir / "model.safetensors.index.json", R"({"weight_map":{"t":"model-00001-of-00001.safetensors"}})");
  EXPECT_LR_ERROR(Checkpoint::open(dir), "model-00001-of-00001.safetensors: tensors cover 4398046511104 data bytes");
}

TEST(Safetensors, AnIndexFileLargerThanTheBoundIsRefusedUnread) {
  auto dir = lrtest::temp_dir();
  write_file_atomic(dir / "model.safetensors.index.json", "{}");
  fs::resize_file(dir / "model.safetensors.index.json", (uint64_t{64} << 20) + 1);  // sparse: no disk used
  EXPECT_LR_ERROR(Checkpoint::open(dir), "model.safetensors.index.json: 67108865 bytes, more than the 67108864 bytes "
                                         "allowed for a safetensors index");
}

TEST(Safetensors, MisalignedDataIsCopied) {
  // A hand-made file whose header length is not a multiple of 8: data start is misaligned for F32.
  auto dir = lrtest::temp_dir();
  std::string header = R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} )";  // 55 bytes
  ASSERT_NE((8 + header.size()) % 4, 0u);
  float values[2] = {1.5f, -2.25f};
  std::string bytes = u64le(header.size()) + header + std::string(reinterpret_cast<char*>(values), 8);
  write_file_atomic(dir / "odd.safetensors", bytes);
  auto t = SafetensorsFile::open(dir / "odd.safetensors")->tensor("t");
  EXPECT_FLOAT_EQ(t[0].item<float>(), 1.5f);
  EXPECT_FLOAT_EQ(t[1].item<float>(), -2.25f);
}

TEST(Safetensors, AtomicWriteLeavesOldFileOnFailure) {
  auto dir = lrtest::temp_dir();
  write_safetensors(dir / "m.safetensors", {{"a", torch::ones({2})}});
  std::string before = read_file(dir / "m.safetensors");
  // Writing the same name twice fails before anything touches the existing file.
  EXPECT_LR_ERROR(write_safetensors(dir / "m.safetensors", {{"a", torch::ones({3})}, {"a", torch::ones({3})}}),
                  "twice");
  EXPECT_EQ(read_file(dir / "m.safetensors"), before);
  for (const auto& entry : fs::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << "temp file left behind";
  }
}
