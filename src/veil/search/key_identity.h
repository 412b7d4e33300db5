// Which key set an object belongs to (io::KeyId), and the checks that keep
// objects of different key sets apart.
//
// The identity of a key set is a BLAKE2b fingerprint of its public key, so
// every party can hold and show it without holding a secret. Galleries
// record it (store manifest and every segment), probes and responses carry
// it, and each party compares it before any work: a probe or block of
// another key set is refused with both fingerprints named, rather than
// failing to decode after the whole scan.
#pragma once

#include <stdexcept>
#include <string>

#include "veil/io/key_id.h"
#include "veil/rlwe/context.h"
#include "veil/rlwe/objects.h"

namespace veil::search {

// Objects made under different key sets. The message names both
// fingerprints.
class KeyMismatchError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// BLAKE2b-128 of a domain string, the parameter id and the public key's
// canonical encoding (io::save).
io::KeyId key_id_of(const rlwe::Context& ctx, const rlwe::PublicKey& pk);

// True when `pk` is an encryption of zero under `sk`: b + a s has only small
// coefficients (for another secret they are uniform, and the chance that all
// N of them look small is below 2^-7N). One polynomial product: cheap.
bool public_key_matches(const rlwe::ContextPtr& ctx, const rlwe::SecretKey& sk,
                        const rlwe::PublicKey& pk);

// Throws KeyMismatchError "<what>: made under key <got>, expected key
// <expected> (...)" unless the two are equal. An empty `got` (not recorded)
// is a mismatch too.
void require_key(const io::KeyId& got, const io::KeyId& expected, const std::string& what);

}  // namespace veil::search
