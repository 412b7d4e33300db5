#include "veil/collection/keys.h"

#include <sodium.h>

#include <stdexcept>

#include "veil/collection/key_files.h"
#include "veil/io/file_io.h"
#include "veil/io/serialize.h"
#include "veil/rlwe/keygen.h"
#include "veil/search/enroll.h"
#include "veil/search/probe.h"

namespace veil::collection {

namespace fs = std::filesystem;
using namespace key_files;

namespace {

// Creates `dir` (and missing parents) and makes it 0700 whatever the umask:
// it will hold the secret key.
void make_key_dir(const fs::path& dir) {
  const bool existed = fs::exists(dir);
  fs::create_directories(dir);
  if (!fs::is_directory(dir)) throw std::runtime_error(dir.string() + " is not a directory");
  if (!existed) fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
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
  const unsigned secret = static_cast<unsigned>(Need::kSecret);
  if (!(need & secret)) return load_public_keys(dir, need);
  // public.key is always read: the secret must be its secret.
  KeyDir k = load_public_keys(dir, (need & ~secret) | Need::kPublic);
  {
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
    if (!search::public_key_matches(k.ctx, *k.sk, *k.pk)) {
      throw std::runtime_error((dir / kSecret).string() + " is not the secret of " +
                               (dir / kPublic).string() +
                               ": the two files come from different veil keygen runs");
    }
  }
  if (!(need & static_cast<unsigned>(Need::kPublic))) k.pk.reset();
  return k;
}

}  // namespace veil::collection
