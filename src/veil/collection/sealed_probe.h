// Two-stage search in a deployment: the key holder re-scores the K stage-1
// candidates against the full-dimension probe, so the client sends that
// probe too, quantised at the gallery's full scale and sealed (libsodium
// sealed box) to the key holder's seal key, an X25519 key derived from
// secret.key. The search server relays it and cannot read it. The key
// holder learns the quantised probe: it holds the key that opens the whole
// gallery anyway (docs/service.md says so plainly).
//
// FullProbe envelope (type 21, the parameter set's id), before sealing:
//   u32 version, 16-byte key id, u64 dimension, dimension x i16
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "veil/io/key_id.h"
#include "veil/rlwe/objects.h"

namespace veil::collection {

struct FullProbe {
  io::KeyId key_id;
  std::vector<std::int16_t> values;
};

inline constexpr std::size_t kSealKeySize = 32;

// Throws std::invalid_argument for a seal key of the wrong size.
std::vector<std::uint8_t> seal_full_probe(std::uint64_t param_id, const FullProbe& probe,
                                          std::span<const std::uint8_t> seal_public_key);

// The key holder's X25519 pair, the same for every process holding the
// same secret key (so clients may cache the public half).
class SealKey {
 public:
  explicit SealKey(const rlwe::SecretKey& sk);
  ~SealKey();  // zeroises the secret half
  SealKey(const SealKey&) = delete;
  SealKey& operator=(const SealKey&) = delete;
  const std::array<std::uint8_t, kSealKeySize>& public_key() const { return pk_; }
  // io::FormatError when `sealed` was not sealed to this key or was
  // altered, is malformed or of another parameter set, has another
  // dimension than `dimension`, or a value beyond +-`limit`.
  FullProbe open(std::span<const std::uint8_t> sealed, std::uint64_t param_id,
                 std::size_t dimension, std::int32_t limit) const;

 private:
  std::array<std::uint8_t, kSealKeySize> pk_{};
  std::array<std::uint8_t, 32> sk_{};
};

}  // namespace veil::collection
