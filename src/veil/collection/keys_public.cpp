// load_public_keys (keys.h): everything of a key directory but secret.key.
// Apart from keys.cpp so that the search server, which must never hold the
// secret key, does not link the code that loads and checks one.
#include "veil/collection/key_files.h"
#include "veil/collection/keys.h"
#include "veil/io/serialize.h"

namespace veil::collection {

namespace fs = std::filesystem;
using namespace key_files;

search::SearchConfig config_for(std::size_t dimension, search::Encryption gallery,
                                search::Encryption probe) {
  return search::SearchConfig::derive({.dimension = dimension, .gallery = gallery, .probe = probe});
}

namespace key_files {
std::vector<std::uint8_t> read_key_file(const fs::path& p) {
  std::error_code ec;
  const auto st = fs::status(p, ec);
  if (!fs::exists(st)) {
    throw std::runtime_error(p.string() + " is missing (veil keygen " + p.parent_path().string() +
                             " writes a key directory)");
  }
  if (fs::is_directory(st))
    throw std::runtime_error(p.string() + " is a directory, not a key file");
  return io::read_file(p, kMaxKeyFile);  // refuses a FIFO or socket by name
}
}  // namespace key_files

KeyDir load_public_keys(const fs::path& dir, unsigned need) {
  if (need & static_cast<unsigned>(Need::kSecret))
    throw std::logic_error("load_public_keys: the secret key is load_keys' job");
  if (!fs::is_directory(dir)) {
    throw std::runtime_error(dir.string() +
                             (fs::exists(dir) ? " is not a directory" : " does not exist") +
                             ": --keys takes the directory veil keygen wrote");
  }
  KeyDir k;
  {
    const fs::path p = dir / kParams;
    auto bytes = read_key_file(p);
    k.ctx =
        load_named(p, bytes, [](auto& b) { return rlwe::Context::create(io::load_parameters(b)); });
  }
  // The identity: public.key's fingerprint; without public.key (a third
  // party given only gallery.pub), the one gallery.pub records.
  std::optional<rlwe::PublicKey> pk;
  const bool gallery_pub_only = need == static_cast<unsigned>(Need::kGalleryPublic);
  if (!gallery_pub_only || fs::exists(dir / kPublic)) {
    const fs::path p = dir / kPublic;
    auto bytes = read_key_file(p);
    pk = load_named(p, bytes, [&](auto& b) { return io::load_public_key(*k.ctx, b); });
    k.key_id = search::key_id_of(*k.ctx, *pk);
  }
  if (need & static_cast<unsigned>(Need::kPublic)) k.pk = pk;
  if (need & static_cast<unsigned>(Need::kGalleryPublic)) {
    const fs::path p = dir / kGalleryPublic;
    auto bytes = read_key_file(p);
    k.gallery_pk =
        load_named(p, bytes, [&](auto& b) { return search::load_gallery_public_key(*k.ctx, b); });
    if (k.key_id.empty()) {
      k.key_id = k.gallery_pk->key_id;
    } else if (k.gallery_pk->key_id != k.key_id) {
      throw std::runtime_error(p.string() + " belongs to key " + k.gallery_pk->key_id.hex() +
                               ", but " + (dir / kPublic).string() + " is key " + k.key_id.hex() +
                               " (veil gallery-key " + dir.string() + " rewrites it)");
    }
  }
  if (need & static_cast<unsigned>(Need::kExpansion)) {
    const fs::path p = dir / kExpansion;
    auto bytes = read_key_file(p);
    k.expansion = load_named(p, bytes, [&](auto& b) { return io::load_galois_keys(*k.ctx, b); });
  }
  return k;
}

}  // namespace veil::collection
