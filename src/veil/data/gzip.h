// Internal: a bounded byte stream over raw or gzip-compressed bytes, for the
// idx (MNIST) reader. gzip is recognised by its magic bytes (1f 8b);
// concatenated gzip members are decoded one after the other, as gunzip does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace veil::data::detail {

class ByteStream {
 public:
  ByteStream(std::span<const std::uint8_t> bytes, std::string_view source);
  ~ByteStream();
  ByteStream(const ByteStream&) = delete;
  ByteStream& operator=(const ByteStream&) = delete;

  bool compressed() const { return gz_ != nullptr; }
  // Decodes up to n bytes into out; fewer only at the end of the data.
  // Corrupt or truncated gzip data is an io::FormatError naming the source.
  std::size_t read(std::uint8_t* out, std::size_t n);
  // Whether any decoded byte is left (decodes at most one more byte).
  bool at_end();
  // Decoded bytes handed out so far.
  std::uint64_t position() const { return position_; }

 private:
  struct Gz;
  std::span<const std::uint8_t> in_;
  std::string source_;
  std::size_t raw_pos_ = 0;
  std::uint64_t position_ = 0;
  std::unique_ptr<Gz> gz_;
  bool peeked_ = false;
  std::uint8_t peek_ = 0;
};

// Compresses `bytes` as one gzip member (tests, fuzz seeds).
std::vector<std::uint8_t> gzip(std::span<const std::uint8_t> bytes);

}  // namespace veil::data::detail
