#include "veil/rlwe/secret_digest.h"

#include <sodium.h>

namespace veil::rlwe {

ring::Seed secret_digest(const SecretKey& sk, const char* label, std::size_t label_bytes) {
  ring::ensure_sodium();
  ring::Seed out{};
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, out.size());
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(label), label_bytes);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(sk.s.limb(0)),
                            sk.s.n() * sizeof(std::uint64_t));
  crypto_generichash_final(&st, out.data(), out.size());
  sodium_memzero(&st, sizeof st);
  return out;
}

}  // namespace veil::rlwe
