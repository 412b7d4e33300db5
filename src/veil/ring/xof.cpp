#include "veil/ring/xof.h"

#include <sodium.h>

#include <cstring>
#include <stdexcept>

namespace veil::ring {

void ensure_sodium() {
  static const bool ok = [] { return sodium_init() >= 0; }();
  if (!ok) throw std::runtime_error("libsodium failed to initialise");
}

Seed random_seed() {
  ensure_sodium();
  Seed s;
  randombytes_buf(s.data(), s.size());
  return s;
}

void keystream_xor(const Seed& seed, std::uint64_t domain, std::uint8_t* data, std::size_t len) {
  ensure_sodium();
  if (len / 64 >= UINT32_MAX) throw std::runtime_error("keystream_xor: length beyond one stream");
  std::array<std::uint8_t, 12> nonce{};
  for (int i = 0; i < 8; ++i) nonce[i] = static_cast<std::uint8_t>(domain >> (8 * i));
  crypto_stream_chacha20_ietf_xor_ic(data, data, len, nonce.data(), 0, seed.data());
}

Xof::Xof(const Seed& seed, std::uint64_t domain) {
  ensure_sodium();
  std::memcpy(key_.data(), seed.data(), key_.size());
  for (int i = 0; i < 8; ++i) nonce_[i] = static_cast<std::uint8_t>(domain >> (8 * i));
}

Xof::Xof(Xof&& o) noexcept
    : key_(o.key_),
      nonce_(o.nonce_),
      block_counter_(o.block_counter_),
      buffer_(o.buffer_),
      pos_(o.pos_) {
  sodium_memzero(o.key_.data(), o.key_.size());
  sodium_memzero(o.buffer_.data(), o.buffer_.size());
  o.pos_ = kBufferBytes;
}

Xof::~Xof() {
  sodium_memzero(key_.data(), key_.size());
  sodium_memzero(buffer_.data(), buffer_.size());
}

void Xof::refill() {
  constexpr std::uint32_t kBlocks = kBufferBytes / 64;
  if (block_counter_ > UINT32_MAX - kBlocks) {
    throw std::runtime_error("Xof: keystream exhausted for this seed and domain");
  }
  std::memset(buffer_.data(), 0, buffer_.size());
  crypto_stream_chacha20_ietf_xor_ic(buffer_.data(), buffer_.data(), buffer_.size(), nonce_.data(),
                                     block_counter_, key_.data());
  block_counter_ += kBlocks;
  pos_ = 0;
}

void Xof::fill(std::uint8_t* out, std::size_t len) {
  // Drain what is buffered, then write whole 64-byte blocks straight into the
  // output; only the tail goes through the buffer again.
  std::size_t take = std::min(len, kBufferBytes - pos_);
  std::memcpy(out, buffer_.data() + pos_, take);
  pos_ += take;
  out += take;
  len -= take;
  if (len >= 64) {
    const std::size_t blocks = len / 64;
    if (blocks > UINT32_MAX - block_counter_) {
      throw std::runtime_error("Xof: keystream exhausted for this seed and domain");
    }
    std::memset(out, 0, blocks * 64);
    crypto_stream_chacha20_ietf_xor_ic(out, out, blocks * 64, nonce_.data(), block_counter_,
                                       key_.data());
    block_counter_ += static_cast<std::uint32_t>(blocks);
    out += blocks * 64;
    len -= blocks * 64;
  }
  if (len > 0) {
    refill();
    std::memcpy(out, buffer_.data(), len);
    pos_ = len;
  }
}

std::uint64_t Xof::next_u64() {
  std::uint8_t b[8];
  fill(b, 8);
  std::uint64_t v;
  std::memcpy(&v, b, 8);  // little-endian machine; the stream is bytes either way
  return v;
}

}  // namespace veil::ring
