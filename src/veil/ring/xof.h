// Cryptographic randomness: every random value in Veil comes from here.
//
// Xof is a ChaCha20 keystream (libsodium, IETF variant) keyed by a 32-byte
// seed. Seeded from the OS CSPRNG (Xof::fresh) it is the CSPRNG for secrets,
// noise and masks; seeded from a stored seed it reproduces public values
// such as the `a` half of a seed-compressed ciphertext. The domain value
// (used as the nonce) separates independent streams derived from one seed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace veil::ring {

using Seed = std::array<std::uint8_t, 32>;

// 32 bytes from the operating system's CSPRNG (libsodium randombytes).
Seed random_seed();

class Xof {
 public:
  explicit Xof(const Seed& seed, std::uint64_t domain = 0);
  // A stream keyed by a fresh random seed.
  static Xof fresh(std::uint64_t domain = 0) { return Xof(random_seed(), domain); }
  ~Xof();
  Xof(const Xof&) = delete;
  Xof& operator=(const Xof&) = delete;
  Xof(Xof&&) noexcept;
  Xof& operator=(Xof&&) = delete;

  void fill(std::uint8_t* out, std::size_t len);
  std::uint64_t next_u64();

 private:
  void refill();
  static constexpr std::size_t kBufferBytes = 4096;
  std::array<std::uint8_t, 32> key_{};
  std::array<std::uint8_t, 12> nonce_{};
  std::uint32_t block_counter_ = 0;
  std::array<std::uint8_t, kBufferBytes> buffer_{};
  std::size_t pos_ = kBufferBytes;
};

// XORs the first `len` bytes of Xof(seed, domain)'s keystream into `data`:
// a one-time pad of exactly `len` bytes, without Xof's 4 KiB buffering.
void keystream_xor(const Seed& seed, std::uint64_t domain, std::uint8_t* data, std::size_t len);

// Ensures libsodium is initialised (idempotent, thread-safe).
void ensure_sodium();

}  // namespace veil::ring
