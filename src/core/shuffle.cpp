// splitmix64 and the Fisher–Yates permutation built on it.
#include "lightreasoner/core/shuffle.h"

namespace lightreasoner {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t bounded_draw(uint64_t& state, uint64_t bound) {
  // Outputs below 2^64 mod bound would make the low residues likelier; draw again there.
  const uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    const uint64_t x = splitmix64(state);
    if (x >= threshold) return x % bound;
  }
}

std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed) {
  std::vector<int64_t> order(static_cast<size_t>(n < 0 ? 0 : n));
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  seeded_shuffle(order, seed);
  return order;
}

}  // namespace lightreasoner
