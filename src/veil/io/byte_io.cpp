#include "veil/io/byte_io.h"

#include <bit>
#include <cstring>
#include <limits>
#include <string>

#include "veil/io/errors.h"

namespace veil::io {
namespace {

constexpr bool kLittleEndianHost = std::endian::native == std::endian::little;

void store_le(std::vector<std::uint8_t>& buf, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) buf.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::uint64_t load_le(const std::uint8_t* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}

std::string quoted(const char* field) { return std::string("'") + field + "'"; }

}  // namespace

std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, const char* field) {
  std::uint64_t r;
  if (__builtin_mul_overflow(a, b, &r)) {
    throw FormatError("overflow: size of " + quoted(field) + " is " + std::to_string(a) + " * " +
                      std::to_string(b) + ", expected at most 2^64 - 1");
  }
  return r;
}

std::uint64_t checked_add(std::uint64_t a, std::uint64_t b, const char* field) {
  std::uint64_t r;
  if (__builtin_add_overflow(a, b, &r)) {
    throw FormatError("overflow: size of " + quoted(field) + " is " + std::to_string(a) + " + " +
                      std::to_string(b) + ", expected at most 2^64 - 1");
  }
  return r;
}

std::size_t checked_size(std::uint64_t count, std::size_t elem_size, const char* field) {
  std::uint64_t bytes = checked_mul(count, elem_size, field);
  if (bytes > std::numeric_limits<std::size_t>::max()) {
    throw FormatError("overflow: size of " + quoted(field) + " is " + std::to_string(bytes) +
                      " bytes, expected at most " +
                      std::to_string(std::numeric_limits<std::size_t>::max()));
  }
  return static_cast<std::size_t>(bytes);
}

void ByteWriter::put_u16(std::uint16_t v) { store_le(buf_, v, 2); }
void ByteWriter::put_u32(std::uint32_t v) { store_le(buf_, v, 4); }
void ByteWriter::put_u64(std::uint64_t v) { store_le(buf_, v, 8); }
void ByteWriter::put_f64(double v) { put_u64(std::bit_cast<std::uint64_t>(v)); }

void ByteWriter::put_bytes(std::span<const std::uint8_t> bytes) {
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

void ByteWriter::put_u64_array(std::span<const std::uint64_t> values) {
  if constexpr (kLittleEndianHost) {
    std::size_t old = buf_.size();
    buf_.resize(old + values.size_bytes());
    if (!values.empty()) std::memcpy(buf_.data() + old, values.data(), values.size_bytes());
  } else {
    buf_.reserve(buf_.size() + values.size_bytes());
    for (std::uint64_t v : values) store_le(buf_, v, 8);
  }
}

std::vector<std::uint8_t> ByteWriter::take() {
  std::vector<std::uint8_t> out = std::move(buf_);
  buf_.clear();
  return out;
}

void ByteReader::need(std::size_t n, const char* field) const {
  if (n > remaining()) {
    throw FormatError("truncated: needed " + std::to_string(n) + " bytes for " + quoted(field) +
                      ", " + std::to_string(remaining()) + " left");
  }
}

std::uint8_t ByteReader::get_u8(const char* field) {
  need(1, field);
  return data_[pos_++];
}

std::uint16_t ByteReader::get_u16(const char* field) {
  need(2, field);
  auto v = static_cast<std::uint16_t>(load_le(data_.data() + pos_, 2));
  pos_ += 2;
  return v;
}

std::uint32_t ByteReader::get_u32(const char* field) {
  need(4, field);
  auto v = static_cast<std::uint32_t>(load_le(data_.data() + pos_, 4));
  pos_ += 4;
  return v;
}

std::uint64_t ByteReader::get_u64(const char* field) {
  need(8, field);
  std::uint64_t v = load_le(data_.data() + pos_, 8);
  pos_ += 8;
  return v;
}

double ByteReader::get_f64(const char* field) { return std::bit_cast<double>(get_u64(field)); }

std::span<const std::uint8_t> ByteReader::get_bytes(const char* field, std::size_t n) {
  need(n, field);
  auto out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

void ByteReader::get_u64_array(const char* field, std::span<std::uint64_t> out) {
  // out.size_bytes() cannot overflow: the span already exists in memory.
  need(out.size_bytes(), field);
  const std::uint8_t* p = data_.data() + pos_;
  if constexpr (kLittleEndianHost) {
    if (!out.empty()) std::memcpy(out.data(), p, out.size_bytes());
  } else {
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = load_le(p + 8 * i, 8);
  }
  pos_ += out.size_bytes();
}

std::vector<std::uint64_t> ByteReader::get_u64_vector(const char* field, std::uint64_t count) {
  need(checked_size(count, sizeof(std::uint64_t), field), field);
  std::vector<std::uint64_t> out(static_cast<std::size_t>(count));
  get_u64_array(field, out);
  return out;
}

std::uint64_t ByteReader::get_count(const char* field, std::uint64_t max, std::size_t elem_size) {
  std::size_t start = pos_;
  std::uint64_t count = get_u64(field);
  try {
    if (count > max) {
      throw FormatError("count too large: " + quoted(field) + " is " + std::to_string(count) +
                        ", expected at most " + std::to_string(max));
    }
    if (elem_size != 0) {
      std::uint64_t bytes = checked_mul(count, elem_size, field);
      if (bytes > remaining()) {
        throw FormatError("truncated: " + quoted(field) + " is " + std::to_string(count) +
                          " elements of " + std::to_string(elem_size) + " bytes, needing " +
                          std::to_string(bytes) + " bytes, " + std::to_string(remaining()) +
                          " left");
      }
    }
  } catch (...) {
    pos_ = start;  // a rejected count consumes nothing
    throw;
  }
  return count;
}

void ByteReader::expect_end() const {
  if (remaining() != 0) {
    throw FormatError("trailing bytes: expected end of input at offset " + std::to_string(pos_) +
                      ", got " + std::to_string(remaining()) + " more bytes");
  }
}

}  // namespace veil::io
