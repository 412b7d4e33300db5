// Enrollment: quantised templates into encrypted gallery blocks (layout.h).
// Template k of a block sits in coefficient k of every dimension's
// ciphertext; unused slots encrypt zero. Dimension j is encrypted under the
// gallery secret s_j with the block's shared mask `a` (gallery_keys.h,
// mask.h). The key holder encrypts with its secret key; a third party with
// the gallery public key (the config must then be derived for public-key
// galleries, which have more noise).
#pragma once

#include <memory>
#include <optional>

#include "veil/rlwe/context.h"
#include "veil/rlwe/objects.h"
#include "veil/search/config.h"
#include "veil/search/gallery_keys.h"
#include "veil/search/layout.h"
#include "veil/search/quantize.h"

namespace veil::search {

// The ring context of a search configuration.
rlwe::ContextPtr make_context(const SearchConfig& config);

class GalleryEncryptor {
 public:
  GalleryEncryptor(const SearchConfig& config, rlwe::ContextPtr ctx, const rlwe::SecretKey& sk);
  GalleryEncryptor(const SearchConfig& config, rlwe::ContextPtr ctx, GalleryPublicKey pk);

  // Rows [first, first + count) of `rows` into one block (count <= n), the
  // d ciphertexts spread over `threads` threads.
  Words encrypt_block(const QuantizedRows& rows, std::size_t first, std::size_t count,
                      std::size_t threads) const;

 private:
  void check(const QuantizedRows& rows, std::size_t first, std::size_t count) const;
  SearchConfig config_;
  rlwe::ContextPtr ctx_;
  std::optional<GalleryPublicKey> pk_;
  std::shared_ptr<const GallerySecrets> secrets_;
};

}  // namespace veil::search
