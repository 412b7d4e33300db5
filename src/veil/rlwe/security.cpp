#include "veil/rlwe/security.h"

namespace veil::rlwe {

std::optional<int> max_modulus_bits_128(std::size_t n) {
  switch (n) {
    case 1024:
      return 27;
    case 2048:
      return 54;
    case 4096:
      return 109;
    case 8192:
      return 218;
    case 16384:
      return 438;
    case 32768:
      return 881;
    default:
      return std::nullopt;
  }
}

}  // namespace veil::rlwe
