#include "veil/collection/keys.h"

#include <sodium.h>

#include <stdexcept>

#include "veil/io/file_io.h"
#include "veil/io/serialize.h"
#include "veil/rlwe/keygen.h"
#include "veil/search/enroll.h"
#include "veil/search/probe.h"

namespace veil::collection {

namespace fs = std::filesystem;

namespace {
constexpr std::uint64_t kMaxKeyFile = std::uint64_t{1} << 30;
const char* kParams = "params.veil";
const char* kSecret = "secret.key";
const char* kPublic = "public.key";
const char* kExpansion = "expansion.keys";
const char* kGalleryPublic = "gallery.pub";
}  // namespace

search::SearchConfig config_for(std::size_t dimension, search::Encryption gallery,
                                search::Encryption probe) {
  return search::SearchConfig::derive({.dimension = dimension, .gallery = gallery, .probe = probe});
}

namespace {

// Creates `dir` (and missing parents) and makes it 0700 whatever the umask:
// it will hold the secret key.
void make_key_dir(const fs::path& dir) {
  const bool existed = fs::exists(dir);
  fs::create_directories(dir);
  if (!fs::is_directory(dir)) throw std::runtime_error(dir.string() + " is not a directory");
  if (!existed) fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
}

// The bytes of a key file: a clear message when it is missing or not a file.
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

// `load(bytes)` with any parse error prefixed by the file's name.
template <class Load>
auto load_named(const fs::path& p, std::vector<std::uint8_t>& bytes, Load load) {
  try {
    return load(bytes);
  } catch (const std::exception& e) {
    throw std::runtime_error(p.string() + " is damaged or not a Veil key file: " + e.what());
  }
}

}  // namespace

void write_new_keys(const fs::path& dir, std::size_t gallery_key_dimension) {
  for (const char* name : {kParams, kSecret, kPublic, kExpansion, kGalleryPublic}) {
    if (fs::exists(dir / name)) {
      throw std::runtime_error("keygen: " + (dir / name).string() +
                               " exists; refusing to overwrite keys (remove it first)");
    }
  }
  make_key_dir(dir);
  // The largest dimension: its expansion keys cover every smaller one.
  search::SearchConfig top = config_for(search::kMaxDimension, search::Encryption::kSecretKey,
                                        search::Encryption::kSecretKey);
  auto ctx = search::make_context(top);
  rlwe::KeyGenerator kg(ctx);
  rlwe::SecretKey sk = kg.secret_key();
  io::write_file_atomic(dir / kSecret, io::save(*ctx, sk), 0600);
  io::write_file_atomic(dir / kPublic, io::save(*ctx, kg.public_key(sk)), 0644);
  io::write_file_atomic(dir / kExpansion, io::save(*ctx, search::make_expansion_keys(top, ctx, sk)),
                        0644);
  io::write_file_atomic(dir / kParams, io::save_parameters(ctx->params()), 0644);
  if (gallery_key_dimension) write_gallery_public_key(dir, gallery_key_dimension);
}

void write_gallery_public_key(const fs::path& dir, std::size_t dimension) {
  if (dimension == 0 || dimension > search::kMaxDimension) {
    throw std::runtime_error("gallery key dimension must be in [1, " +
                             std::to_string(search::kMaxDimension) + "], got " +
                             std::to_string(dimension));
  }
  KeyDir k = load_keys(dir, static_cast<unsigned>(Need::kSecret));
  search::GalleryPublicKey g = search::make_gallery_public_key(*k.ctx, *k.sk, dimension);
  g.key_id = k.key_id;
  io::write_file_atomic(dir / kGalleryPublic, search::save_gallery_public_key(*k.ctx, g), 0644);
}

KeyDir load_keys(const fs::path& dir, unsigned need) {
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
  if (need & static_cast<unsigned>(Need::kSecret)) {
    const fs::path p = dir / kSecret;
    if (!fs::exists(p)) {
      throw std::runtime_error(p.string() +
                               " is missing: this needs the key holder's secret key (veil keygen "
                               "writes it)");
    }
    const auto perms = fs::status(p).permissions();
    if ((perms & (fs::perms::group_all | fs::perms::others_all)) != fs::perms::none) {
      throw std::runtime_error(p.string() + " is readable by others; chmod 600 it");
    }
    auto bytes = read_key_file(p);
    try {
      k.sk = load_named(p, bytes, [&](auto& b) { return io::load_secret_key(*k.ctx, b); });
    } catch (...) {
      sodium_memzero(bytes.data(), bytes.size());
      throw;
    }
    sodium_memzero(bytes.data(), bytes.size());
    if (!search::public_key_matches(k.ctx, *k.sk, *pk)) {
      throw std::runtime_error((dir / kSecret).string() + " is not the secret of " +
                               (dir / kPublic).string() +
                               ": the two files come from different veil keygen runs");
    }
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
