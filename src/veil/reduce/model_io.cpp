#include "veil/reduce/model_io.h"

#include <bit>
#include <cmath>

#include "veil/io/errors.h"

namespace veil::reduce::detail {

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void put_u64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void put_f64(std::vector<std::uint8_t>& out, double v) {
  put_u64(out, std::bit_cast<std::uint64_t>(v));
}

void put_f32_array(std::vector<std::uint8_t>& out, std::span<const float> values) {
  out.reserve(out.size() + 4 * values.size());
  for (float v : values) put_u32(out, std::bit_cast<std::uint32_t>(v));
}

std::vector<float> get_f32_array(io::ByteReader& r, const std::string& field, std::uint64_t count) {
  // get_bytes checks the length against the remaining bytes; checked_size
  // rules out an overflowing count * 4 first.
  const std::size_t n = io::checked_size(count, 4, field.c_str());
  std::span<const std::uint8_t> b = r.get_bytes(field.c_str(), n);
  std::vector<float> values(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::uint8_t* p = b.data() + 4 * i;
    const std::uint32_t u = std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 |
                            std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24;
    values[i] = std::bit_cast<float>(u);
    if (!std::isfinite(values[i])) {
      throw io::FormatError(field + "[" + std::to_string(i) + "] is not finite");
    }
  }
  return values;
}

double get_finite_f64(io::ByteReader& r, const std::string& field) {
  const double v = r.get_f64(field.c_str());
  if (!std::isfinite(v)) throw io::FormatError(field + " is not finite");
  return v;
}

std::string dims(std::size_t in, std::size_t out) {
  return std::to_string(in) + "->" + std::to_string(out);
}

}  // namespace veil::reduce::detail
