// A seeded shuffle whose order is the same on every platform and standard library: Fisher–Yates
// over a splitmix64 stream with unbiased bounded draws (std::shuffle's order is the library's
// choice, and std::uniform_int_distribution's too). Used where a user-visible order follows from
// a seed (data.shuffle). No LibTorch here.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace lightreasoner {

// splitmix64 (Steele, Lea, Flood 2014): advances `state` and returns the next output.
uint64_t splitmix64(uint64_t& state);

// A draw in [0, bound) from the stream, without modulo bias (rejection of the short last cycle).
uint64_t bounded_draw(uint64_t& state, uint64_t bound);

// The permutation Fisher–Yates makes of 0..n-1 with `seed`: element i (from the end) swaps with a
// bounded draw in [0, i].
std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed);

template <class T>
void seeded_shuffle(std::vector<T>& items, uint64_t seed) {
  uint64_t state = seed;
  for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[bounded_draw(state, i)]);
}

}  // namespace lightreasoner
