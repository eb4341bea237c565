# What each fuzz harness links: the parsers' sources grouped into small libraries (fuzz/fuzz.cmake
# builds them instrumented, with clang, for scripts/fuzz.sh). Kept apart from fuzz.cmake so the
# default build reads the same lists: it writes them to <build>/fuzz_sources.txt, and the ctest entry
# test_fuzz_sources (tests/test_fuzz_sources.py) checks against the default build's object files that
# every group, with the groups it links, defines every function of ours its sources and its harnesses
# (compiled into tests/fuzz_replay) call.
# That is how a new source file a parser starts to need shows up in CI, not at the next fuzzing run.

# lr_fuzz_<group>: the sources (paths under src/, no extension), then the groups it links.
set(LR_FUZZ_GROUPS base model_config config tokenizer eval torch)
set(LR_FUZZ_SOURCES_base core/error core/pytext core/atomic_file core/resources core/logging io/jsonl io/limits
  tokenizer/utf8 config/schema config/fields)
set(LR_FUZZ_LINKS_base)
set(LR_FUZZ_SOURCES_model_config model/model_config)
set(LR_FUZZ_LINKS_model_config base)
set(LR_FUZZ_SOURCES_config config/run_config config/compare contrast/meta contrast/decoding)
set(LR_FUZZ_LINKS_config base)  # and LibTorch's headers and libraries: contrast/meta reaches them
set(LR_FUZZ_SOURCES_tokenizer
  tokenizer/bpe_model tokenizer/byte_level tokenizer/json_tokenizer tokenizer/load_tokenizer
  tokenizer/regex_split tokenizer/sentencepiece_tokenizer tokenizer/tokenizer tokenizer/tokenizer_config
  core/hash)
set(LR_FUZZ_LINKS_tokenizer base)
set(LR_FUZZ_SOURCES_eval
  eval/dataset eval/extract_answer eval/grading eval/math_equal eval/pyregex eval/strip_string eval/symbolic)
set(LR_FUZZ_LINKS_eval base)
set(LR_FUZZ_SOURCES_torch
  io/safetensors core/device core/openblas core/malloc_tuning
  model/loader model/lora model/lora_adapter model/lora_peft model/identity model/kv_slots model/transformer
  model/attention model/layers model/cpu_kernels model/rope model/kv_cache model/init model/recompute model/dropout
  contrast/dataset contrast/official_format contrast/builder contrast/divergence contrast/targets)
set(LR_FUZZ_LINKS_torch model_config config tokenizer)

# harness (fuzz/fuzz_<name>.cpp) → its group; a harness not named here links the torch group.
set(LR_FUZZ_GROUP_fuzz_jsonl base)
set(LR_FUZZ_GROUP_fuzz_model_config model_config)
set(LR_FUZZ_GROUP_fuzz_run_config config)
set(LR_FUZZ_GROUP_fuzz_tokenizer_load tokenizer)
set(LR_FUZZ_GROUP_fuzz_tokenizer_encode tokenizer)
set(LR_FUZZ_GROUP_fuzz_sentencepiece tokenizer)  # no LibTorch: loads the shim without RTLD_DEEPBIND
set(LR_FUZZ_GROUP_fuzz_eval_grading eval)
file(GLOB LR_FUZZ_HARNESSES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/fuzz/fuzz_*.cpp)
foreach(src IN LISTS LR_FUZZ_HARNESSES)
  get_filename_component(name ${src} NAME_WE)
  if(NOT DEFINED LR_FUZZ_GROUP_${name})  # safetensors, sharded index, adapter config and tensors, contrast, official import
    set(LR_FUZZ_GROUP_${name} torch)
  endif()
endforeach()

# For tests/test_fuzz_sources.py: one line per group, "<group>: <linked groups> | <sources>", then
# one per harness, "harness <name>: <group>".
function(lr_write_fuzz_manifest path)
  set(text "")
  foreach(group IN LISTS LR_FUZZ_GROUPS)
    string(REPLACE ";" " " links "${LR_FUZZ_LINKS_${group}}")
    string(REPLACE ";" " " sources "${LR_FUZZ_SOURCES_${group}}")
    string(APPEND text "${group}: ${links} | ${sources}\n")
  endforeach()
  foreach(src IN LISTS LR_FUZZ_HARNESSES)
    get_filename_component(name ${src} NAME_WE)
    string(APPEND text "harness ${name}: ${LR_FUZZ_GROUP_${name}}\n")
  endforeach()
  file(CONFIGURE OUTPUT ${path} CONTENT "${text}")
endfunction()
