// Enrollment: quantised templates into encrypted gallery blocks (layout.h).
// Template k of a block sits in coefficient k of every dimension's
// ciphertext; unused slots encrypt zero. The key holder encrypts with the
// secret key; a third party with the public key (the config must then be
// derived for public-key galleries, which have more noise).
#pragma once

#include <optional>

#include "veil/rlwe/context.h"
#include "veil/rlwe/objects.h"
#include "veil/search/config.h"
#include "veil/search/layout.h"
#include "veil/search/quantize.h"

namespace veil::search {

// The ring context of a search configuration.
rlwe::ContextPtr make_context(const SearchConfig& config);

class GalleryEncryptor {
 public:
  GalleryEncryptor(const SearchConfig& config, rlwe::ContextPtr ctx, const rlwe::SecretKey& sk);
  GalleryEncryptor(const SearchConfig& config, rlwe::ContextPtr ctx, const rlwe::PublicKey& pk);

  // Rows [first, first + count) of `rows` into one block (count <= n), the
  // d ciphertexts spread over `threads` threads.
  Words encrypt_block(const QuantizedRows& rows, std::size_t first, std::size_t count,
                      std::size_t threads) const;

 private:
  void check(const QuantizedRows& rows, std::size_t first, std::size_t count) const;
  SearchConfig config_;
  rlwe::ContextPtr ctx_;
  std::optional<rlwe::PublicKey> pk_;
  std::optional<rlwe::SecretKey> sk_;
};

}  // namespace veil::search
