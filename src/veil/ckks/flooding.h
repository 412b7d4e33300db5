// Noise flooding for CKKS results that leave the key holder.
//
// A CKKS decryption is m + e, where e depends on the secret key; anyone who
// sees decrypted values together with the ciphertexts can set up linear
// equations in s (Li and Micciancio, EUROCRYPT 2021). Before releasing
// decrypted values to another party, the key holder adds fresh Gaussian
// noise much wider than e, which hides it statistically: with e bounded by B,
// a flood of standard deviation sigma leaves a statistical distance of about
// B / sigma per coefficient, so sigma = 2^k B costs k bits of precision and
// buys about k bits of hiding.
#pragma once

#include "veil/rlwe/context.h"
#include "veil/rlwe/objects.h"

namespace veil::ckks {

// Adds rounded Gaussian noise of standard deviation 2^log2_sigma (1..50) to
// every coefficient of a decrypted plaintext, drawn from the CSPRNG.
void add_flooding_noise(const rlwe::Context& ctx, rlwe::Plaintext& pt, double log2_sigma);

}  // namespace veil::ckks
