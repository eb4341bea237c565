// `lightreasoner tensors PATH`: list the tensors of a safetensors file or checkpoint directory
// (sharded or not) with dtype, shape and sizes, after full validation of every file.
#include <spdlog/spdlog.h>

#include <iostream>
#include <map>
#include <memory>

#include "command.h"
#include "lightreasoner/io/safetensors.h"

namespace lightreasoner::cli {

Command make_tensors_command(CLI::App& root, const GlobalOptions& global) {
  auto path = std::make_shared<std::string>();
  auto stem = std::make_shared<std::string>("model");
  CLI::App* app = root.add_subcommand("tensors", "list and validate the tensors of a safetensors file or model dir");
  app->add_option("path", *path, "a .safetensors file or a directory with model.safetensors(.index.json)")->required();
  app->add_option("--stem", *stem, "file stem in a directory (model, adapter_model)")->capture_default_str();
  return {app, [path, stem] {
            auto ckpt = io::Checkpoint::open(*path, *stem);
            std::map<std::string, uint64_t> bytes_by_dtype;
            uint64_t params = 0;
            for (const auto& name : ckpt.names()) {
              const auto& info = ckpt.info(name);
              std::string shape;
              uint64_t numel = 1;
              for (auto d : info.shape) {
                shape += (shape.empty() ? "" : ", ") + std::to_string(d);
                numel *= static_cast<uint64_t>(d);
              }
              std::cout << name << "  " << io::st_dtype_name(info.dtype) << " [" << shape << "]\n";
              params += numel;
              bytes_by_dtype[io::st_dtype_name(info.dtype)] += info.nbytes();
            }
            std::cout << ckpt.names().size() << " tensors in " << ckpt.files().size() << " file(s), " << params
                      << " elements";
            for (const auto& [dtype, bytes] : bytes_by_dtype) std::cout << ", " << dtype << " " << bytes << " bytes";
            std::cout << "\n";
          }};
}

}  // namespace lightreasoner::cli
