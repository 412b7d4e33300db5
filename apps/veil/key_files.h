// The key directory written by `veil keygen`:
//   params.veil      ring parameters (public)
//   secret.key       the secret key, mode 0600: never leaves the key holder
//   public.key       for third-party enrollment and probes
//   expansion.keys   Galois keys the search server needs to expand probes
// The ring is the same for every dimension (search/config.h), so one key
// directory serves galleries of any dimension up to search::kMaxDimension.
#pragma once

#include <filesystem>
#include <optional>

#include "veil/rlwe/context.h"
#include "veil/rlwe/objects.h"
#include "veil/search/config.h"

namespace veil::apps {

struct KeyDir {
  rlwe::ContextPtr ctx;
  std::optional<rlwe::SecretKey> sk;
  std::optional<rlwe::PublicKey> pk;
  std::optional<rlwe::GaloisKeys> expansion;
};

// Fails if any of the files exists (keys are never overwritten silently).
void write_new_keys(const std::filesystem::path& dir);

enum class Need : unsigned { kSecret = 1, kPublic = 2, kExpansion = 4 };
inline unsigned operator|(Need a, Need b) {
  return static_cast<unsigned>(a) | static_cast<unsigned>(b);
}
inline unsigned operator|(unsigned a, Need b) { return a | static_cast<unsigned>(b); }

KeyDir load_keys(const std::filesystem::path& dir, unsigned need);

// The configuration every gallery of dimension d gets (one ring for all).
search::SearchConfig config_for(std::size_t dimension, search::Encryption gallery,
                                search::Encryption probe);

}  // namespace veil::apps
