// AVX2 NTT kernel. Placeholder that forwards to the scalar twin until the
// vectorised butterflies land; the dispatch and tests already exercise it.
#include "veil/math/ntt.h"

namespace veil::math::kernels {

void ntt_forward_avx2(u64* a, const NttTables& t, bool lazy) { ntt_forward_scalar(a, t, lazy); }
void ntt_inverse_avx2(u64* a, const NttTables& t, bool lazy) { ntt_inverse_scalar(a, t, lazy); }

}  // namespace veil::math::kernels
