// Hybrid key switching with one special prime P (RNS digit decomposition).
//
// For c in evaluation form at level l and a key from s' to s, produces
// (d0, d1) over Q_l with d0 + d1 s = c s' + small noise. Each RNS limb c_i of
// c is a digit: it is lifted to every prime of Q_l P, multiplied by part i
// of the key and accumulated; the sum is divided by P with rounding.
#pragma once

#include "veil/rlwe/context.h"
#include "veil/rlwe/objects.h"

namespace veil::rlwe {

void key_switch(const Context& ctx, const ring::RnsPoly& c, std::size_t level,
                const KeySwitchKey& key, ring::RnsPoly& d0, ring::RnsPoly& d1);

}  // namespace veil::rlwe
