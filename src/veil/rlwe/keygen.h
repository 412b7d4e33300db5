// Key generation. All randomness is drawn from fresh CSPRNG-seeded streams.
#pragma once

#include <vector>

#include "veil/rlwe/context.h"
#include "veil/rlwe/objects.h"

namespace veil::rlwe {

class KeyGenerator {
 public:
  explicit KeyGenerator(ContextPtr ctx) : ctx_(std::move(ctx)) {}

  SecretKey secret_key() const;
  PublicKey public_key(const SecretKey& sk) const;
  RelinKey relin_key(const SecretKey& sk) const;
  // One key per Galois element (odd, below 2N).
  GaloisKeys galois_keys(const SecretKey& sk, const std::vector<std::uint64_t>& galois_elts) const;
  // A key switching from `from` (evaluation form over every prime) to sk.
  KeySwitchKey switch_key(const ring::RnsPoly& from, const SecretKey& sk) const;

 private:
  void check(const SecretKey& sk) const;
  ContextPtr ctx_;
};

}  // namespace veil::rlwe
