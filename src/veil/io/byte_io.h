// Little-endian byte writer and bounded byte reader for serializers.
//
// Every multi-byte value is little-endian, whatever the host. ByteReader never
// reads past its span: each get_* names the field it reads so that a
// truncation error says what was being read. Lengths read from input must go
// through get_count() (bounded by a caller-given maximum) and checked_size()
// before anything is allocated from them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace veil::io {

// a * b, or FormatError naming `field` if the product overflows 64 bits.
std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, const char* field = "size");

// a + b, or FormatError naming `field` if the sum overflows 64 bits.
std::uint64_t checked_add(std::uint64_t a, std::uint64_t b, const char* field = "size");

// count * elem_size as a std::size_t, or FormatError naming `field` if it
// overflows 64 bits or does not fit in std::size_t.
std::size_t checked_size(std::uint64_t count, std::size_t elem_size, const char* field = "size");

class ByteWriter {
 public:
  ByteWriter() = default;

  void reserve(std::size_t n) { buf_.reserve(n); }

  void put_u8(std::uint8_t v) { buf_.push_back(v); }
  void put_u16(std::uint16_t v);
  void put_u32(std::uint32_t v);
  void put_u64(std::uint64_t v);
  // The IEEE-754 binary64 bit pattern, as a u64.
  void put_f64(double v);
  void put_bytes(std::span<const std::uint8_t> bytes);
  // The elements only, each as a u64; write the count separately (put_u64)
  // so that the reader can bound it with get_count().
  void put_u64_array(std::span<const std::uint64_t> values);

  std::size_t size() const { return buf_.size(); }
  const std::vector<std::uint8_t>& bytes() const { return buf_; }
  // Moves the buffer out; the writer is empty afterwards.
  std::vector<std::uint8_t> take();

 private:
  std::vector<std::uint8_t> buf_;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> data) : data_(data) {}

  // Each throws FormatError("truncated: needed N bytes for 'field', M left")
  // when fewer bytes remain than the value needs; nothing is consumed then.
  std::uint8_t get_u8(const char* field);
  std::uint16_t get_u16(const char* field);
  std::uint32_t get_u32(const char* field);
  std::uint64_t get_u64(const char* field);
  double get_f64(const char* field);

  // A view of the next n bytes (valid as long as the underlying data).
  std::span<const std::uint8_t> get_bytes(const char* field, std::size_t n);

  // Fills `out` with out.size() u64 values.
  void get_u64_array(const char* field, std::span<std::uint64_t> out);
  // Reads `count` u64 values; the length is checked against the remaining
  // bytes before anything is allocated.
  std::vector<std::uint64_t> get_u64_vector(const char* field, std::uint64_t count);

  // Reads a u64 count and rejects it if it exceeds `max`. When elem_size is
  // non-zero it also rejects counts whose count * elem_size bytes cannot be
  // present in the rest of the input (checked without overflow).
  std::uint64_t get_count(const char* field, std::uint64_t max, std::size_t elem_size = 0);

  // Throws FormatError if any byte is left unread.
  void expect_end() const;

  std::size_t position() const { return pos_; }
  std::size_t remaining() const { return data_.size() - pos_; }

 private:
  // Throws unless n more bytes are available.
  void need(std::size_t n, const char* field) const;

  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
};

}  // namespace veil::io
