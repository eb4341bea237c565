// lightreasoner entry point: parses the command line with CLI11, sets up logging/threads/seed,
// and dispatches to the chosen subcommand. Any exception becomes one logged error line and
// exit code 1; a stop asked for by SIGINT/SIGTERM (core/run_control.h) ends with 128 + the signal
// after the command saved its progress. No algorithm code lives here.
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "command.h"
#include "lightreasoner/core/device.h"
#include "lightreasoner/core/error.h"
#include "lightreasoner/core/logging.h"
#include "lightreasoner/core/malloc_tuning.h"
#include "lightreasoner/core/openblas.h"
#include "lightreasoner/core/resources.h"
#include "lightreasoner/core/run_control.h"
#include "lightreasoner/dist/launch.h"
#include "lightreasoner/tokenizer/tokenizer.h"

namespace {

// What a user pastes when asking for help: versions, the C++ ABI, accelerators, the BLAS kernels,
// the sentencepiece shim and the shipped folders this binary finds (core/resources.h).
std::string version_text() {
  using namespace lightreasoner;
  auto found = [](const std::string& name) {
    auto dir = find_resource_dir(name);
    return dir ? dir->string() : std::string("NOT found (looked beside the binary and in ") + LR_SOURCE_DIR + ")";
  };
  const std::string blas = openblas_core();
  std::ostringstream out;
  out << "lightreasoner " << LR_VERSION << "\n"
      << "LibTorch " << TORCH_VERSION << ", C++11 ABI " << _GLIBCXX_USE_CXX11_ABI << "\n"
      << "CUDA available: " << (torch::cuda::is_available() ? "yes" : "no") << " (" << torch::cuda::device_count()
      << " device(s)), cuDNN: " << (torch::cuda::cudnn_is_available() ? "yes" : "no") << "\n"
      << "devices: " << describe_devices() << "\n"
      << "BLAS: "
      << (blas.empty() ? std::string("not OpenBLAS (LibTorch's own, e.g. MKL)")
                       : "OpenBLAS, " + blas + " kernels, " + openblas_threading() + " threads (" + openblas_library() + ")")
      << "\n"
      << "OpenMP spin: "
      << (std::getenv("GOMP_SPINCOUNT") ? std::string("GOMP_SPINCOUNT=") + std::getenv("GOMP_SPINCOUNT")
          : std::getenv("OMP_WAIT_POLICY") ? std::string("OMP_WAIT_POLICY=") + std::getenv("OMP_WAIT_POLICY")
                                            : std::string("libgomp's default"))
      << "\n"
      << "malloc: " << malloc_settings() << "\n"
      << "sentencepiece shim: " << tokenizer::sentencepiece_shim_status() << "\n"
      << "data: " << found("data") << "\n"
      << "docs: " << found("docs");
  return out.str();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace lightreasoner;
  reexec_with_tuned_cpu_runtime(argv);
  CLI::App app{"lightreasoner: make a large language model a better reasoner by learning where a small model "
               "disagrees with it (LightReasoner, arXiv 2510.07962)."};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", [] {
    lightreasoner::set_threads(0);
    return version_text();
  });

  // Global options may also follow the subcommand (`generate --model M --device cpu`), as users
  // of torchrun and HF CLIs type them: an option a subcommand does not know falls through to here.
  app.fallthrough();
  cli::GlobalOptions global;
  app.add_option("--log-level", global.log_level, "trace, debug, info, warn, error, off")
      ->capture_default_str();
  app.add_option("--log-file", global.log_file, "also append plain log lines to this file");
  app.add_option("--device", global.device, "cpu, cuda, cuda:N or auto (overrides the config's device)");
  app.add_option("--threads", global.threads, "CPU threads for LibTorch (0 = all available cores)")->capture_default_str();
  app.add_option("--seed", global.seed, "random seed (overrides the config's seed)");
  app.add_option("--dist-timeout", global.dist_timeout_s,
                 "seconds a rank of a torchrun launch waits for the others (rendezvous, each collective)")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));

  std::vector<cli::Command> commands;
  for (cli::CommandFactory factory :
       {&cli::make_config_command, &cli::make_tensors_command, &cli::make_init_command, &cli::make_generate_command,
        &cli::make_tokenize_command, &cli::make_sample_command, &cli::make_inspect_command, &cli::make_train_command,
        &cli::make_sft_command, &cli::make_merge_command, &cli::make_official_command, &cli::make_eval_command,
        &cli::make_world_command}) {
    commands.push_back(factory(app, global));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (app.get_subcommands().empty()) {
    std::cout << app.help();
    return 0;
  }

  try {
    // Under torchrun every log line of a rank > 0 names it, and only warnings and errors show.
    const auto launch = dist::launch_env_from_process();
    setup_logging({global.log_level, global.log_file, launch.rank, launch.world_size});
    set_threads(global.threads);
    install_stop_handlers();  // the first Ctrl-C asks the command to stop at its next safe point
    // A file-size limit (ulimit -f) then fails the write with EFBIG, reported with the file's name
    // like a full disk, instead of killing the process.
    std::signal(SIGXFSZ, SIG_IGN);
    // A peer rank that died closes its socket; gloo's next write to it must fail with EPIPE (an
    // error naming the rank, dist/process_group.cpp) rather than kill this rank silently by SIGPIPE.
    // Python (torchrun's usual host) ignores SIGPIPE at start-up for the same reason.
    std::signal(SIGPIPE, SIG_IGN);
    for (const auto& command : commands) {
      if (command.app->parsed()) command.run();
    }
  } catch (const StopRequested& stop) {
    spdlog::warn("stopped on request (signal {}): {}", stop_signal(), stop.where);
    return stop_exit_code();
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  return 0;
}
