// Inverted lists at rest on the server, sealed with a key only the secret-key
// holder can derive (XChaCha20-Poly1305, libsodium): the server stores and
// returns them but never sees an id, a code or a norm, nor a list's true
// size — every list is padded with dummy entries to the next size of a
// geometric ladder (ratio 2^(1/4)), so sizes leak only to within 19%.
//
// Plaintext of a list: per entry the id (u64, kDummyId for padding), the
// squared norm of its reconstruction (f32), its m code bytes and, in a
// refining index, its vector as r int16 values. Associated data: the index
// id (16 random bytes fixed at build), the list number, m, r and the padded
// count, so a list cannot be moved to another index or slot.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "veil/ann/ivfpq.h"
#include "veil/rlwe/objects.h"

namespace veil::ann {

inline constexpr std::uint64_t kDummyId = ~std::uint64_t{0};
using IndexId = std::array<std::uint8_t, 16>;

// The smallest ladder size >= count: 16, then x 2^(1/4) rounded up to 16.
std::size_t padded_list_size(std::size_t count);

// Thrown when a sealed list does not open: another key or index, another
// slot, or altered bytes. Nothing is returned then.
class SealError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ListSealer {
 public:
  // The key is BLAKE2b over the secret key under its own label.
  // `refine`: int16 values per entry (0, or the dimension of a refining index).
  ListSealer(const rlwe::SecretKey& sk, const IndexId& index_id, std::size_t m,
             std::size_t refine = 0);
  ~ListSealer();
  ListSealer(const ListSealer&) = delete;
  ListSealer& operator=(const ListSealer&) = delete;

  std::size_t entry_bytes() const { return 12 + m_ + 2 * refine_; }
  // Nonce, padded count (u64), ciphertext with its tag. The list is padded
  // to `padded` entries when given (std::invalid_argument if it has more),
  // else to padded_list_size of its count.
  std::vector<std::uint8_t> seal(std::size_t list_no, const IvfPqIndex::List& list,
                                 std::size_t padded = 0) const;
  // The entries, dummies included (their id is kDummyId and norm +inf).
  IvfPqIndex::List open(std::size_t list_no, std::span<const std::uint8_t> sealed) const;

 private:
  std::array<std::uint8_t, 32> key_{};
  IndexId index_id_;
  std::size_t m_, refine_;
};

}  // namespace veil::ann
