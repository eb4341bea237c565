# libFuzzer harnesses (fuzz/fuzz_*.cpp), built only with -DLR_FUZZ=ON and clang (scripts/fuzz.sh
# configures build-fuzz/ that way); never part of the default build. The parsers are compiled into
# their own static libraries with the fuzzer's coverage instrumentation plus ASan + UBSan, from just
# the sources the harnesses reach (fuzz/sources.cmake, which CI checks are complete), so a fuzz build
# costs a fraction of the whole library.
# Included from the top-level CMakeLists.txt (not add_subdirectory) so the per-source compile
# definitions set there (the sentencepiece shim's path on the tokenizer sources) apply here too.
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "LR_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++-14 "
    "(Debian: apt-get install clang-14 libclang-rt-14-dev), or run scripts/fuzz.sh")
endif()

set(LR_FUZZ_SANITIZE -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)

# One small library per group of parsers, so each harness needs only its own sources compiled and
# the first harnesses link (and can run) long before anything that includes LibTorch is built.
function(lr_fuzz_library name)
  set(sources)
  foreach(source ${ARGN})
    list(APPEND sources ${CMAKE_SOURCE_DIR}/src/${source}.cpp)
  endforeach()
  add_library(${name} STATIC ${sources})
  target_include_directories(${name} PUBLIC ${CMAKE_SOURCE_DIR}/include)
  target_compile_definitions(${name} PUBLIC LR_VERSION="${PROJECT_VERSION}" LR_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  target_compile_options(${name} PUBLIC ${LR_FUZZ_SANITIZE} -fsanitize=fuzzer-no-link)
  target_link_libraries(${name} PUBLIC ${LR_FUZZ_PLAIN_DEPENDENCIES})
endfunction()
# Every dependency but LibTorch, which only lr_fuzz_torch links: the harnesses without it run
# without LibTorch's libraries in the process (the sentencepiece harness needs that).
set(LR_FUZZ_PLAIN_DEPENDENCIES ${LR_DEPENDENCY_TARGETS})
list(REMOVE_ITEM LR_FUZZ_PLAIN_DEPENDENCIES lr_torch)

foreach(group IN LISTS LR_FUZZ_GROUPS)  # the lists: fuzz/sources.cmake
  lr_fuzz_library(lr_fuzz_${group} ${LR_FUZZ_SOURCES_${group}})
endforeach()
target_precompile_headers(lr_fuzz_torch PRIVATE <torch/torch.h>)
if(TARGET lightreasoner_spm)
  add_dependencies(lr_fuzz_tokenizer lightreasoner_spm)
endif()
foreach(group IN LISTS LR_FUZZ_GROUPS)
  foreach(linked IN LISTS LR_FUZZ_LINKS_${group})
    target_link_libraries(lr_fuzz_${group} PUBLIC lr_fuzz_${linked})
  endforeach()
endforeach()
target_link_libraries(lr_fuzz_config PUBLIC lr_torch)  # contrast/meta reaches LibTorch headers
target_link_libraries(lr_fuzz_torch PUBLIC lr_torch)

set(LR_FUZZ_TARGETS)
foreach(src IN LISTS LR_FUZZ_HARNESSES)  # and their groups: fuzz/sources.cmake
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE lr_fuzz_${LR_FUZZ_GROUP_${name}})
  if(LR_FUZZ_GROUP_${name} STREQUAL "torch")
    target_precompile_headers(${name} REUSE_FROM lr_fuzz_torch)
  endif()
  target_link_options(${name} PRIVATE ${LR_FUZZ_SANITIZE} -fsanitize=fuzzer)
  list(APPEND LR_FUZZ_TARGETS ${name})
endforeach()
add_custom_target(fuzz_all DEPENDS ${LR_FUZZ_TARGETS})
