#include "veil/search/key_identity.h"

#include <sodium.h>

#include "veil/io/serialize.h"

namespace veil::search {

namespace {
constexpr char kDomain[] = "veil key identity v1";
}

io::KeyId key_id_of(const rlwe::Context& ctx, const rlwe::PublicKey& pk) {
  const std::vector<std::uint8_t> bytes = io::save(ctx, pk);
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, io::KeyId::kSize);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(kDomain), sizeof kDomain);
  // The envelope's header holds the parameter id; its checksum the payload.
  crypto_generichash_update(&st, bytes.data(), bytes.size());
  io::KeyId id;
  crypto_generichash_final(&st, id.bytes.data(), id.bytes.size());
  return id;
}

void require_key(const io::KeyId& got, const io::KeyId& expected, const std::string& what) {
  if (got == expected && !got.empty()) return;
  throw KeyMismatchError(what + ": made under key " +
                         (got.empty() ? "(none recorded)" : got.hex()) + ", expected key " +
                         expected.hex() + " (the keys of another veil keygen; nothing was done)");
}

}  // namespace veil::search
