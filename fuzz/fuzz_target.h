// What every fuzz target source provides, and helpers for writing one.
//
// A target source defines LLVMFuzzerTestOneInput (the libFuzzer entry point)
// and veil::fuzz::seed_inputs() (valid inputs that reach deep into the code
// under test). The same source builds the libFuzzer binary (VEIL_FUZZ=ON,
// clang) and, with any compiler, the deterministic replay executable
// <name>_replay (replay_main.cpp) that CTest runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace veil::fuzz {

// Well-formed inputs for the target. The replay driver mutates them; written
// out with `<name>_replay --write-seeds DIR` they seed a libFuzzer corpus.
std::vector<std::vector<std::uint8_t>> seed_inputs();

// A broken invariant: report it and abort, so both libFuzzer and the replay
// driver record the input as a finding.
[[noreturn]] inline void finding(const char* what, const char* file, int line) {
  std::fprintf(stderr, "FUZZ FINDING at %s:%d: %s\n", file, line, what);
  std::abort();
}

}  // namespace veil::fuzz

// Checks an invariant in every build type (unlike assert).
#define VEIL_FUZZ_CHECK(cond)                                      \
  do {                                                             \
    if (!(cond)) ::veil::fuzz::finding(#cond, __FILE__, __LINE__); \
  } while (0)
