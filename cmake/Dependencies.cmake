# Finds every dependency from system packages (Debian bookworm names in the errors) and
# collects them in LR_DEPENDENCY_TARGETS. Works against Debian's CPU LibTorch 1.13 and any
# LibTorch 2.x (e.g. the one inside a pip PyTorch: -DCMAKE_PREFIX_PATH=$(python3 -c
# 'import torch;print(torch.utils.cmake_prefix_path)')).
include(FindPkgConfig)

macro(lr_require found what package)
  if(NOT ${found})
    message(FATAL_ERROR "lightreasoner: ${what} not found. Install the Debian package `${package}` "
      "(or run scripts/setup.sh, which installs every dependency).")
  endif()
endmacro()

find_package(Torch QUIET)
lr_require(Torch_FOUND "LibTorch (TorchConfig.cmake)" "libtorch-dev")
find_package(nlohmann_json 3.10 QUIET)
lr_require(nlohmann_json_FOUND "nlohmann/json" "nlohmann-json3-dev")
find_package(CLI11 QUIET)
lr_require(CLI11_FOUND "CLI11" "libcli11-dev")
find_package(spdlog QUIET)
lr_require(spdlog_FOUND "spdlog" "libspdlog-dev")
find_package(Threads REQUIRED)

find_package(PkgConfig QUIET)
lr_require(PKG_CONFIG_FOUND "pkg-config" "pkg-config")
pkg_check_modules(LR_SENTENCEPIECE QUIET IMPORTED_TARGET sentencepiece)
lr_require(LR_SENTENCEPIECE_FOUND "sentencepiece" "libsentencepiece-dev")
pkg_check_modules(LR_PCRE2 QUIET IMPORTED_TARGET libpcre2-8)
lr_require(LR_PCRE2_FOUND "PCRE2" "libpcre2-dev")
pkg_check_modules(LR_UTF8PROC QUIET IMPORTED_TARGET libutf8proc)
lr_require(LR_UTF8PROC_FOUND "utf8proc" "libutf8proc-dev")
pkg_check_modules(LR_GINAC QUIET IMPORTED_TARGET ginac)
lr_require(LR_GINAC_FOUND "GiNaC" "libginac-dev")

if(LR_BUILD_TESTS)
  find_package(GTest QUIET)
  lr_require(GTest_FOUND "GoogleTest" "libgtest-dev")
endif()

# LibTorch's CMake package gives a flags string and a list of libraries; wrap them in one target.
add_library(lr_torch INTERFACE)
target_link_libraries(lr_torch INTERFACE ${TORCH_LIBRARIES})
target_include_directories(lr_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
separate_arguments(LR_TORCH_CXX_FLAGS UNIX_COMMAND "${TORCH_CXX_FLAGS}")
target_compile_options(lr_torch INTERFACE ${LR_TORCH_CXX_FLAGS})

# sentencepiece is deliberately NOT linked into the program: Debian's libsentencepiece bundles
# and exports its own protobuf-lite, which clashes with the libprotobuf that LibTorch loads
# (segfault in static initialisation). It is linked only into the small sentencepiece shim
# module, which the tokenizer dlopen()s with RTLD_LOCAL | RTLD_DEEPBIND (see CMakeLists.txt).
# LibTorch goes LAST: the PyTorch wheel ships its own (newer) fmt headers in its include dir,
# and spdlog must see the fmt it was built with (checked on the GPU machine: spdlog 1.10 fails
# to compile against torch 2.11's fmt).
set(LR_DEPENDENCY_TARGETS nlohmann_json::nlohmann_json CLI11::CLI11 spdlog::spdlog
  PkgConfig::LR_PCRE2 PkgConfig::LR_UTF8PROC PkgConfig::LR_GINAC Threads::Threads ${CMAKE_DL_LIBS} lr_torch)
message(STATUS "lightreasoner: LibTorch ${Torch_VERSION} at ${Torch_DIR}")
