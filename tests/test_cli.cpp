// The binary: --version, --help, exit codes, errors logged once, config validation from the
// command line, the tensors listing of a real checkpoint, and the OpenBLAS kernels it runs.
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "lightreasoner/core/atomic_file.h"
#include "lightreasoner/core/openblas.h"
#include "support.h"

TEST(Cli, VersionPrintsWhatAHelpRequestNeeds) {
  auto r = lrtest::run_binary("--version");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("lightreasoner " LR_VERSION), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("LibTorch " + std::string(TORCH_VERSION) + ", C++11 ABI " +
                          std::to_string(_GLIBCXX_USE_CXX11_ABI)),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("CUDA available: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("cuDNN: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("devices: cpu"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\nBLAS: "), std::string::npos) << r.output;
  // The build tree's binary finds the shim beside itself and the repository's data/ one level up.
  const std::filesystem::path binary = LR_BINARY;
  const std::string shim_line = lrtest::sentencepiece_available()
                                   ? "sentencepiece shim: loaded from " +
                                         (binary.parent_path() / "liblightreasoner_spm.so").string()
                                   : "sentencepiece shim: NOT loaded: sentencepiece tokenizers are not available";
  EXPECT_NE(r.output.find(shim_line), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("data: " + (std::filesystem::path(LR_SOURCE_DIR) / "data").lexically_normal().string()),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("\ndocs: "), std::string::npos) << r.output;
}

// `cmake --install` lays the binary, the shim and data/ out as the binary looks for them: the
// installed copy finds its own (not the source tree's) data/ and shim.
TEST(Cli, AnInstalledBinaryFindsItsOwnDataAndShim) {
  const auto prefix = lrtest::temp_dir();
  const auto install = lrtest::run_shell(std::string("'") + LR_CMAKE_COMMAND + "' --install '" + LR_BUILD_DIR +
                                         "' --prefix '" + prefix.string() + "'");
  ASSERT_EQ(install.exit_code, 0) << install.output;
  const auto version = lrtest::run_shell("'" + (prefix / "bin/lightreasoner").string() + "' --version");
  EXPECT_EQ(version.exit_code, 0) << version.output;
  const std::string& output = version.output;
  EXPECT_NE(output.find("data: " + (prefix / "share/lightreasoner/data").string()), std::string::npos) << output;
  if (lrtest::sentencepiece_available()) {
    EXPECT_NE(output.find("sentencepiece shim: loaded from " +
                          (prefix / "lib/lightreasoner/liblightreasoner_spm.so").string()),
              std::string::npos)
        << output;
  }
  EXPECT_TRUE(std::filesystem::is_regular_file(prefix / "lib/lightreasoner/liblightreasoner_spm.so"));
  EXPECT_TRUE(std::filesystem::is_regular_file(prefix / "share/lightreasoner/data/gsm8k/test.jsonl"));
}

// On virtual machines whose CPUID hides the model, OpenBLAS falls back to SSE3 kernels (measured
// here: SFT of the toy world's expert at 0.45x the speed of its AVX-512 kernels); the binary then
// runs itself again with OPENBLAS_CORETYPE set, and keeps a user's own setting.
TEST(Cli, RunsTheOpenBlasKernelsThisCpuSupports) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) GTEST_SKIP() << "OPENBLAS_CORETYPE is set for this test run";
  const std::regex core_pattern(R"(OpenBLAS (\w+)\))");
  auto binary_core = [&] {
    const auto r = lrtest::run_binary("--version");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    std::smatch m;
    return std::regex_search(r.output, m, core_pattern) ? m[1].str() : std::string();
  };
  const std::string own_core = lightreasoner::openblas_core();  // this test process: OpenBLAS's own choice
  if (own_core.empty()) GTEST_SKIP() << "LibTorch does not use OpenBLAS in this build";
  // The expectation from the kernel's view of the CPU (/proc/cpuinfo flags), not from
  // better_openblas_core() (the function under test): a core OpenBLAS picked that predates AVX2 is
  // replaced by SkylakeX with AVX-512 F/BW/VL, by Haswell with AVX2 + FMA; any other choice stands.
  std::set<std::string> flags;
  {
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);) {
      if (line.rfind("flags", 0) != 0) continue;
      std::istringstream words(line.substr(line.find(':') + 1));
      for (std::string word; words >> word;) flags.insert(word);
      break;
    }
  }
  ASSERT_FALSE(flags.empty()) << "no flags line in /proc/cpuinfo";
  const std::set<std::string> pre_avx2 = {"unknown", "katmai", "coppermine", "northwood",  "prescott", "banias",
                                          "atom",    "core2",  "penryn",     "dunnington", "nehalem",  "sandybridge"};
  std::string own_lower = own_core;
  for (char& c : own_lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string expected = own_core;
  if (pre_avx2.count(own_lower)) {
    if (flags.count("avx512f") && flags.count("avx512bw") && flags.count("avx512vl")) expected = "SkylakeX";
    else if (flags.count("avx2") && flags.count("fma")) expected = "Haswell";
  }
  EXPECT_EQ(binary_core(), expected) << "OpenBLAS chose " << own_core;

  ASSERT_EQ(setenv("OPENBLAS_CORETYPE", "Prescott", 1), 0);
  EXPECT_EQ(binary_core(), "Prescott");
  unsetenv("OPENBLAS_CORETYPE");
}

// Debian's LibTorch runs its fp32 matmuls in whichever OpenBLAS the system's alternatives name; on
// the pthreads build, its pool and LibTorch's OpenMP threads took turns on the same cores (training
// 1.15-1.32x slower, bench/RESULTS.md). Where the OpenMP build is installed, the build links every
// program to load it whatever the alternatives say (cmake/Dependencies.cmake): this test process
// and the binary both run on it.
TEST(Cli, RunsOnTheOpenMpBuildOfOpenBlasWhereTheBuildFoundOne) {
#ifndef LR_OPENBLAS_OPENMP_DIR
  GTEST_SKIP() << "this build found no OpenMP build of OpenBLAS to prefer (libopenblas0-openmp)";
#else
  EXPECT_EQ(lightreasoner::openblas_threading(), "OpenMP") << lightreasoner::openblas_library();
  EXPECT_EQ(std::filesystem::path(lightreasoner::openblas_library()).parent_path(),
            std::filesystem::path(LR_OPENBLAS_OPENMP_DIR));
  const auto r = lrtest::run_binary("--version");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(std::string(" kernels, OpenMP threads (") + LR_OPENBLAS_OPENMP_DIR + "/"), std::string::npos)
      << r.output;
#endif
}

// LibTorch's OpenMP threads spin for a long while after each parallel region by default; beside
// OpenBLAS's own pthreads pool they took the cores from the fp32 matmuls (bench/RESULTS.md). The
// binary runs itself with a short GOMP_SPINCOUNT then, and keeps a user's own setting.
TEST(Cli, RunsWithAShortOpenMpSpinBesideOpenBlasThreadsAndKeepsAUsersSetting) {
  if (std::getenv("GOMP_SPINCOUNT") != nullptr || std::getenv("OMP_WAIT_POLICY") != nullptr)
    GTEST_SKIP() << "GOMP_SPINCOUNT or OMP_WAIT_POLICY is set for this test run";
  auto spin_line = [] {
    const auto r = lrtest::run_binary("--version");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    std::smatch m;
    static const std::regex line(R"(OpenMP spin: ([^\n]*))");
    return std::regex_search(r.output, m, line) ? m[1].str() : std::string("(no line)");
  };
  // This test process was not re-executed, so its OpenBLAS is the binary's: pthreads or not.
  const bool pthreads_openblas = !lightreasoner::gomp_spin_count_to_set().empty();
  EXPECT_EQ(spin_line(), pthreads_openblas ? std::string("GOMP_SPINCOUNT=") + lightreasoner::kGompSpinCount
                                           : std::string("libgomp's default"));
  ASSERT_EQ(setenv("GOMP_SPINCOUNT", "123", 1), 0);
  EXPECT_EQ(lightreasoner::gomp_spin_count_to_set(), "");
  EXPECT_EQ(spin_line(), "GOMP_SPINCOUNT=123");
  unsetenv("GOMP_SPINCOUNT");
  ASSERT_EQ(setenv("OMP_WAIT_POLICY", "ACTIVE", 1), 0);
  EXPECT_EQ(spin_line(), "OMP_WAIT_POLICY=ACTIVE");
  unsetenv("OMP_WAIT_POLICY");
}

// The binary serves tensor-sized blocks from the heap (core/malloc_tuning.h) unless the user tuned
// malloc, which it then names.
TEST(Cli, VersionSaysHowMallocIsTuned) {
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("MALLOC_TRIM_THRESHOLD_") || std::getenv("GLIBC_TUNABLES"))
    GTEST_SKIP() << "malloc is tuned by the environment of this test run";
  auto r = lrtest::run_binary("--version");
  EXPECT_NE(r.output.find("malloc: blocks up to 32 MiB from the heap, 1 GiB of freed heap kept"), std::string::npos)
      << r.output;
  ASSERT_EQ(setenv("MALLOC_MMAP_THRESHOLD_", "65536", 1), 0);
  r = lrtest::run_binary("--version");
  unsetenv("MALLOC_MMAP_THRESHOLD_");
  EXPECT_NE(r.output.find("malloc: the user's MALLOC_MMAP_THRESHOLD_=65536"), std::string::npos) << r.output;
}

TEST(Cli, HelpListsGlobalOptionsAndSubcommands) {
  auto r = lrtest::run_binary("--help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* word : {"--log-level", "--log-file", "--device", "--threads", "--seed", "config", "tensors"}) {
    EXPECT_NE(r.output.find(word), std::string::npos) << word << "\n" << r.output;
  }
}

TEST(Cli, UnknownOptionOrCommandFails) {
  EXPECT_NE(lrtest::run_binary("--no-such-flag").exit_code, 0);
  EXPECT_NE(lrtest::run_binary("no-such-command").exit_code, 0);
}

TEST(Cli, ConfigErrorsExitNonZeroWithOneLoggedLine) {
  auto r = lrtest::run_binary("config --set train.batch_sise=3");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("did you mean 'train.batch_size'"), std::string::npos) << r.output;
  size_t first = r.output.find("error");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(r.output.find("error", first + 1), std::string::npos) << "error logged more than once:\n" << r.output;
}

TEST(Cli, EveryModelRecipeNamesTheKeyOfAModelDirectoryThatIsNotThere) {
  // configs/default.json names models/Qwen2.5-Math-1.5B, which a clone does not have.
  const std::string config = (std::filesystem::path(LR_SOURCE_DIR) / "configs/default.json").string();
  const auto out = lrtest::temp_dir();
  for (const std::string recipe : {"sample", "train", "sft", "eval"}) {
    std::string args = "--threads 1 " + recipe + " --config '" + config + "' --set output_dir='" + (out / recipe).string() + "'";
    if (recipe == "eval") args = "--threads 1 eval --config '" + config + "' --data '" + LR_SOURCE_DIR +
                                 "/data/gsm8k/test.jsonl' --out '" + (out / recipe).string() + "'";
    const auto r = lrtest::run_binary(args);
    EXPECT_EQ(r.exit_code, 1) << recipe << ": " << r.output;
    EXPECT_NE(r.output.find("= 'models/Qwen2.5-Math-1.5B' (a relative path, read from "), std::string::npos)
        << recipe << ": " << r.output;
    EXPECT_NE(r.output.find("expert.path"), std::string::npos) << recipe << ": " << r.output;
  }
}

TEST(Cli, ConfigPrintsResolvedConfigWithGlobalOverrides) {
  auto r = lrtest::run_binary("--seed 7 --device cpu config --set optim.lr=0.001");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["seed"], 7);
  EXPECT_EQ(j["device"], "cpu");
  EXPECT_DOUBLE_EQ(j["optim"]["lr"].get<double>(), 0.001);
}

TEST(Cli, GlobalOptionsAreAcceptedAfterTheSubcommandToo) {
  auto dir = lrtest::temp_dir();
  auto log = dir / "after.log";
  auto r = lrtest::run_binary("config --set optim.lr=0.001 --seed 7 --device cpu --threads 1 --dist-timeout 30 "
                              "--log-level info --log-file '" + log.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["seed"], 7);
  EXPECT_EQ(j["device"], "cpu");
  // --log-file after the subcommand reaches the logger: a failing run writes its error there.
  auto bad = lrtest::run_binary("config --set optim.lr=-1 --log-file '" + log.string() + "'");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(lightreasoner::read_file(log).find("optim.lr must be > 0"), std::string::npos);
  EXPECT_EQ(lrtest::run_binary("config --log-level loud").exit_code, 1);
  // A subcommand's own option of the same name keeps its meaning (init --seed), and unknown
  // options after a subcommand still fail.
  EXPECT_NE(lrtest::run_binary("config --no-such-flag").exit_code, 0);
  // The issue's example: generate takes --device after its own options.
  // (dir holds no model, so it fails later, at loading, not at parsing.)
  auto generate = lrtest::run_binary("generate --model '" + dir.string() + "' --device cpu --prompt hi");
  EXPECT_EQ(generate.exit_code, 1) << generate.output;
  EXPECT_EQ(generate.output.find("not expected"), std::string::npos) << generate.output;
  EXPECT_NE(generate.output.find("has neither tokenizer.json nor tokenizer.model"), std::string::npos) << generate.output;
}

TEST(Cli, LogFileReceivesPlainLines) {
  auto dir = lrtest::temp_dir();
  auto log = dir / "run.log";
  auto r = lrtest::run_binary("--log-file '" + log.string() + "' config --set optim.lr=-1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(lightreasoner::read_file(log).find("optim.lr must be > 0"), std::string::npos);
  EXPECT_EQ(lrtest::run_binary("--log-level loud config").exit_code, 1);
}

TEST(Cli, TensorsListsARealCheckpointAndRejectsCorruptOnes) {
  auto r = lrtest::run_binary("tensors '" + (lrtest::fixture_dir() / "stories260K/hf").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("model.embed_tokens.weight  F32 [512, 64]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("47 tensors in 1 file(s), 260032 elements"), std::string::npos) << r.output;
  auto dir = lrtest::temp_dir();
  lightreasoner::write_file_atomic(dir / "model.safetensors", std::string(16, '\x01'));
  auto bad = lrtest::run_binary("tensors '" + dir.string() + "'");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("model.safetensors: header length"), std::string::npos) << bad.output;
}
