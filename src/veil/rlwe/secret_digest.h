// Keys derived from the secret key: BLAKE2b-256 over a label and the
// secret's first residue limb. Only the key holder can form them; one label
// per use (gallery secrets, stage-2 rows, the seal key), so they are
// independent. The label's bytes include its terminating NUL, as stores
// made so far were keyed with.
#pragma once

#include <cstddef>

#include "veil/ring/xof.h"
#include "veil/rlwe/objects.h"

namespace veil::rlwe {

ring::Seed secret_digest(const SecretKey& sk, const char* label, std::size_t label_bytes);

template <std::size_t N>
ring::Seed secret_digest(const SecretKey& sk, const char (&label)[N]) {
  return secret_digest(sk, label, N);
}

}  // namespace veil::rlwe
