#include "veil/collection/sealed_probe.h"

#include <sodium.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "veil/io/byte_io.h"
#include "veil/io/envelope.h"
#include "veil/io/errors.h"
#include "veil/ring/xof.h"
#include "veil/rlwe/secret_digest.h"

namespace veil::collection {

namespace {

constexpr std::uint32_t kFullProbeVersion = 1;
constexpr char kSealKeyLabel[] = "veil key-holder seal key v1";
constexpr std::uint64_t kMaxFullDimension = 1 << 16;

}  // namespace

std::vector<std::uint8_t> seal_full_probe(std::uint64_t param_id, const FullProbe& probe,
                                          std::span<const std::uint8_t> seal_public_key) {
  if (seal_public_key.size() != crypto_box_PUBLICKEYBYTES) {
    throw std::invalid_argument("seal key: " + std::to_string(seal_public_key.size()) +
                                " bytes (expected " + std::to_string(crypto_box_PUBLICKEYBYTES) +
                                ")");
  }
  io::ByteWriter w;
  w.put_u32(kFullProbeVersion);
  w.put_bytes(probe.key_id.bytes);
  w.put_u64(probe.values.size());
  for (std::int16_t v : probe.values) w.put_u16(static_cast<std::uint16_t>(v));
  std::vector<std::uint8_t> plain =
      io::seal_envelope(io::ObjectType::FullProbe, param_id, w.bytes());
  ring::ensure_sodium();
  std::vector<std::uint8_t> sealed(plain.size() + crypto_box_SEALBYTES);
  crypto_box_seal(sealed.data(), plain.data(), plain.size(), seal_public_key.data());
  sodium_memzero(plain.data(), plain.size());
  return sealed;
}

SealKey::SealKey(const rlwe::SecretKey& sk) {
  static_assert(kSealKeySize == crypto_box_PUBLICKEYBYTES);
  static_assert(sizeof sk_ == crypto_box_SECRETKEYBYTES);
  static_assert(std::tuple_size_v<ring::Seed> == crypto_box_SEEDBYTES);
  ring::Seed seed = rlwe::secret_digest(sk, kSealKeyLabel);
  crypto_box_seed_keypair(pk_.data(), sk_.data(), seed.data());
  sodium_memzero(seed.data(), seed.size());
}

SealKey::~SealKey() { sodium_memzero(sk_.data(), sk_.size()); }

FullProbe SealKey::open(std::span<const std::uint8_t> sealed, std::uint64_t param_id,
                        std::size_t dimension, std::int32_t limit) const {
  if (sealed.size() < crypto_box_SEALBYTES) throw io::FormatError("sealed probe: truncated");
  std::vector<std::uint8_t> plain(sealed.size() - crypto_box_SEALBYTES);
  // The probe is the caller's biometric: wiped however this returns.
  struct Wipe {
    std::vector<std::uint8_t>& b;
    ~Wipe() { sodium_memzero(b.data(), b.size()); }
  } wipe{plain};
  if (crypto_box_seal_open(plain.data(), sealed.data(), sealed.size(), pk_.data(), sk_.data()) !=
      0) {
    throw io::FormatError(
        "sealed probe: not sealed to this key holder's seal key, or altered on the way");
  }
  const io::Envelope env =
      io::open_envelope(plain, io::ObjectType::FullProbe, param_id, 64 + 2 * kMaxFullDimension);
  io::ByteReader r(env.payload);
  const std::uint32_t version = r.get_u32("version");
  if (version != kFullProbeVersion) {
    throw io::FormatError("sealed probe: version " + std::to_string(version) +
                          " (this build reads " + std::to_string(kFullProbeVersion) + ")");
  }
  FullProbe p;
  auto id = r.get_bytes("key id", io::KeyId::kSize);
  std::copy(id.begin(), id.end(), p.key_id.bytes.begin());
  const std::uint64_t d = r.get_count("dimension", kMaxFullDimension, 2);
  if (d != dimension) {
    throw io::FormatError("sealed probe: dimension " + std::to_string(d) + ", the gallery's is " +
                          std::to_string(dimension));
  }
  p.values.resize(d);
  for (std::uint64_t i = 0; i < d; ++i) {
    p.values[i] = static_cast<std::int16_t>(r.get_u16("value"));
    if (std::abs(static_cast<std::int32_t>(p.values[i])) > limit) {
      throw io::FormatError("sealed probe: value " + std::to_string(p.values[i]) + " at " +
                            std::to_string(i) + " beyond the gallery's scale " +
                            std::to_string(limit));
    }
  }
  r.expect_end();
  return p;
}

}  // namespace veil::collection
