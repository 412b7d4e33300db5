#include "veil/data/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <stdexcept>

#include "veil/data/file_bytes.h"

namespace veil::data::detail {

struct ByteStream::Gz {
  z_stream z{};
  bool finished = false;
};

ByteStream::ByteStream(std::span<const std::uint8_t> bytes, std::string_view source)
    : in_(bytes), source_(source) {
  if (bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) {
    gz_ = std::make_unique<Gz>();
    // 16 + MAX_WBITS: gzip wrapper only (a zlib or raw deflate stream is refused).
    if (inflateInit2(&gz_->z, 16 + MAX_WBITS) != Z_OK) {
      gz_.reset();
      throw std::runtime_error("zlib: inflateInit2 failed");
    }
  }
}

ByteStream::~ByteStream() {
  if (gz_) inflateEnd(&gz_->z);
}

std::size_t ByteStream::read(std::uint8_t* out, std::size_t n) {
  std::size_t got = 0;
  if (peeked_ && n > 0) {
    out[got++] = peek_;
    peeked_ = false;
  }
  if (!gz_) {
    std::size_t take = std::min(n - got, in_.size() - raw_pos_);
    if (take > 0) std::memcpy(out + got, in_.data() + raw_pos_, take);
    raw_pos_ += take;
    got += take;
    position_ += got;
    return got;
  }
  z_stream& z = gz_->z;
  while (got < n && !gz_->finished) {
    if (z.avail_in == 0 && raw_pos_ < in_.size()) {
      // zlib counts in uInt: feed large inputs in pieces.
      std::size_t take = std::min<std::size_t>(in_.size() - raw_pos_, std::size_t{1} << 30);
      z.next_in = const_cast<Bytef*>(in_.data() + raw_pos_);
      z.avail_in = static_cast<uInt>(take);
      raw_pos_ += take;
    }
    std::size_t want = std::min<std::size_t>(n - got, std::size_t{1} << 30);
    z.next_out = out + got;
    z.avail_out = static_cast<uInt>(want);
    int rc = inflate(&z, Z_NO_FLUSH);
    got += want - z.avail_out;
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0 && raw_pos_ == in_.size()) {
        gz_->finished = true;
      } else if (inflateReset(&z) != Z_OK) {  // another gzip member follows
        fail(source_, "gzip: cannot reset the decoder for the next member");
      }
    } else if (rc == Z_BUF_ERROR) {
      // No progress possible with output space left: the input ran out.
      if (z.avail_in == 0 && raw_pos_ == in_.size()) {
        fail(source_, "gzip: compressed data truncated after " + std::to_string(position_ + got) +
                          " decoded bytes");
      }
    } else if (rc != Z_OK) {
      fail(source_, std::string("gzip: corrupt compressed data (") +
                        (z.msg != nullptr ? z.msg : "zlib error " + std::to_string(rc)) +
                        ") after " + std::to_string(position_ + got) + " decoded bytes");
    }
  }
  position_ += got;
  return got;
}

bool ByteStream::at_end() {
  if (peeked_) return false;
  std::uint8_t b;
  if (read(&b, 1) == 0) return true;
  --position_;
  peek_ = b;
  peeked_ = true;
  return false;
}

std::vector<std::uint8_t> gzip(std::span<const std::uint8_t> bytes) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    throw std::runtime_error("zlib: deflateInit2 failed");
  }
  if (bytes.size() > UINT_MAX) {
    deflateEnd(&z);
    throw std::invalid_argument("gzip: input over 4 GiB");
  }
  std::vector<std::uint8_t> out(deflateBound(&z, static_cast<uLong>(bytes.size())) + 64);
  z.next_in = const_cast<Bytef*>(bytes.data());
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("zlib: deflate did not finish");
  out.resize(z.total_out);
  return out;
}

}  // namespace veil::data::detail
