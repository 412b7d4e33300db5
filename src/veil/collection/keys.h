// Key directories (written by `veil keygen` or write_new_keys):
//   params.veil      ring parameters (public)
//   secret.key       the secret key, mode 0600: never leaves the key holder
//   public.key       for third-party enrollment and probes
//   expansion.keys   Galois keys the search server needs to expand probes
//                    (the key holder keeps its copy: it expands each probe too)
//   gallery.pub      per-dimension public keys for third-party enrollment
//                    (search/gallery_keys.h), for dimensions up to the one
//                    it was made for
// The ring is the same for every dimension (search/config.h), so one key
// directory serves galleries of any dimension up to search::kMaxDimension.
#pragma once

#include <filesystem>
#include <optional>

#include "veil/rlwe/context.h"
#include "veil/rlwe/objects.h"
#include "veil/search/config.h"
#include "veil/search/gallery_keys.h"
#include "veil/search/key_identity.h"

namespace veil::collection {

struct KeyDir {
  rlwe::ContextPtr ctx;
  // The key set's identity (search/key_identity.h): the fingerprint of
  // public.key, or the one gallery.pub records when public.key is absent.
  io::KeyId key_id;
  std::optional<rlwe::SecretKey> sk;
  std::optional<rlwe::PublicKey> pk;
  std::optional<rlwe::GaloisKeys> expansion;
  std::optional<search::GalleryPublicKey> gallery_pk;
};

// Dimensions gallery.pub covers unless asked otherwise.
inline constexpr std::size_t kDefaultGalleryKeyDimension = 512;

// Fails if any of the files exists (keys are never overwritten silently).
void write_new_keys(const std::filesystem::path& dir,
                    std::size_t gallery_key_dimension = kDefaultGalleryKeyDimension);
// (Re)writes gallery.pub for `dimension` dimensions from secret.key.
void write_gallery_public_key(const std::filesystem::path& dir, std::size_t dimension);

enum class Need : unsigned { kSecret = 1, kPublic = 2, kExpansion = 4, kGalleryPublic = 8 };
inline unsigned operator|(Need a, Need b) {
  return static_cast<unsigned>(a) | static_cast<unsigned>(b);
}
inline unsigned operator|(unsigned a, Need b) { return a | static_cast<unsigned>(b); }

// Loads what `need` asks for, and checks that the files belong together:
// secret.key must be the secret of public.key, and gallery.pub must record
// public.key's identity. A missing or damaged file is an error naming it.
KeyDir load_keys(const std::filesystem::path& dir, unsigned need);
// The same without the secret key (`need` must not ask for it): what the
// search server loads. It never reads secret.key, and a program that calls
// only this does not link the code that loads one.
KeyDir load_public_keys(const std::filesystem::path& dir, unsigned need);

// The configuration every gallery of dimension d gets (one ring for all).
search::SearchConfig config_for(std::size_t dimension, search::Encryption gallery,
                                search::Encryption probe);

}  // namespace veil::collection
