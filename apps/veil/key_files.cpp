#include "key_files.h"

#include <sodium.h>

#include <stdexcept>

#include "veil/io/file_io.h"
#include "veil/io/serialize.h"
#include "veil/rlwe/keygen.h"
#include "veil/search/enroll.h"
#include "veil/search/probe.h"

namespace veil::apps {

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

void write_new_keys(const fs::path& dir, std::size_t gallery_key_dimension) {
  fs::create_directories(dir);
  for (const char* name : {kParams, kSecret, kPublic, kExpansion, kGalleryPublic}) {
    if (fs::exists(dir / name)) {
      throw std::runtime_error("keygen: " + (dir / name).string() +
                               " exists; refusing to overwrite keys (remove it first)");
    }
  }
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
  io::write_file_atomic(dir / kGalleryPublic,
                        search::save_gallery_public_key(
                            *k.ctx, search::make_gallery_public_key(*k.ctx, *k.sk, dimension)),
                        0644);
}

KeyDir load_keys(const fs::path& dir, unsigned need) {
  KeyDir k;
  k.ctx = rlwe::Context::create(io::load_parameters(io::read_file(dir / kParams, kMaxKeyFile)));
  if (need & static_cast<unsigned>(Need::kSecret)) {
    const fs::path p = dir / kSecret;
    const auto perms = fs::status(p).permissions();
    if ((perms & (fs::perms::group_all | fs::perms::others_all)) != fs::perms::none) {
      throw std::runtime_error(p.string() + " is readable by others; chmod 600 it");
    }
    auto bytes = io::read_file(p, kMaxKeyFile);
    k.sk = io::load_secret_key(*k.ctx, bytes);
    sodium_memzero(bytes.data(), bytes.size());
  }
  if (need & static_cast<unsigned>(Need::kPublic)) {
    k.pk = io::load_public_key(*k.ctx, io::read_file(dir / kPublic, kMaxKeyFile));
  }
  if (need & static_cast<unsigned>(Need::kGalleryPublic)) {
    k.gallery_pk =
        search::load_gallery_public_key(*k.ctx, io::read_file(dir / kGalleryPublic, kMaxKeyFile));
  }
  if (need & static_cast<unsigned>(Need::kExpansion)) {
    k.expansion = io::load_galois_keys(*k.ctx, io::read_file(dir / kExpansion, kMaxKeyFile));
  }
  return k;
}

}  // namespace veil::apps
