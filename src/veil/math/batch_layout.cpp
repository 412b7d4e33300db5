#include "veil/math/batch_layout.h"

#include <stdexcept>
#include <string>

#include "veil/math/bitops.h"

namespace veil::math {

namespace {

void check_map(const std::vector<std::uint32_t>& map, const NttTables& tables, const char* who) {
  if (map.size() != tables.size()) {
    throw std::invalid_argument(std::string(who) + ": slot map has " + std::to_string(map.size()) +
                                " entries but the NTT size is " + std::to_string(tables.size()));
  }
}

}  // namespace

std::vector<std::uint32_t> batch_slot_to_ntt_index(std::size_t n) {
  if (!is_power_of_two(n) || n < 2 || n > (std::size_t{1} << 31)) {
    throw std::invalid_argument(
        "batch_slot_to_ntt_index: ring degree must be a power of two in [2, 2^31], got " +
        std::to_string(n));
  }
  const int log_n = log2_exact(n);
  const std::size_t half = n / 2;
  const std::uint64_t two_n = 2 * static_cast<std::uint64_t>(n), mask = two_n - 1;
  std::vector<std::uint32_t> map(n);
  std::uint64_t e = 1;  // 3^c mod 2N
  for (std::size_t c = 0; c < half; ++c) {
    // NTT entry j holds the evaluation at psi^(2*brv(j)+1).
    map[c] = static_cast<std::uint32_t>(bit_reverse(e >> 1, log_n));
    map[half + c] = static_cast<std::uint32_t>(bit_reverse((two_n - e) >> 1, log_n));
    e = (e * 3) & mask;
  }
  return map;
}

void batch_encode(const std::uint64_t* slots, std::uint64_t* coeffs,
                  const std::vector<std::uint32_t>& map, const NttTables& tables) {
  check_map(map, tables, "batch_encode");
  const std::uint64_t t = tables.modulus().value();
  std::vector<std::uint64_t> v(tables.size());
  for (std::size_t i = 0; i < map.size(); ++i) {
    if (slots[i] >= t) {
      throw std::invalid_argument("batch_encode: slot " + std::to_string(i) + " value " +
                                  std::to_string(slots[i]) +
                                  " is not below t = " + std::to_string(t));
    }
    v[map[i]] = slots[i];
  }
  tables.inverse(v.data());
  for (std::size_t i = 0; i < v.size(); ++i) coeffs[i] = v[i];
}

void batch_decode(const std::uint64_t* coeffs, std::uint64_t* slots,
                  const std::vector<std::uint32_t>& map, const NttTables& tables) {
  check_map(map, tables, "batch_decode");
  const std::uint64_t t = tables.modulus().value();
  std::vector<std::uint64_t> v(coeffs, coeffs + tables.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] >= t) {
      throw std::invalid_argument("batch_decode: coefficient " + std::to_string(i) + " value " +
                                  std::to_string(v[i]) + " is not below t = " + std::to_string(t));
    }
  }
  tables.forward(v.data());
  for (std::size_t i = 0; i < map.size(); ++i) slots[i] = v[map[i]];
}

}  // namespace veil::math
