// Stage 2 of a two-stage search on the wire: the key holder's request for K
// slots, and the server's answer with their encrypted rows (rerank.h).
//
//   CandidateRequest (io envelope type 17, the context's parameter id):
//     u32 version, u64 count, count x u64 slot (b * n + k, distinct)
//   CandidateRows (type 18, the context's parameter id):
//     u32 version, u64 dimension, u64 count, count x u64 slot,
//     count x 16-byte row nonce, count x dimension bytes of encrypted rows
//
// Both loaders check every count against the bytes present before
// allocating, and throw io::FormatError naming what is wrong.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "veil/search/rerank.h"

namespace veil::search {

inline constexpr std::uint32_t kRerankWireVersion = 1;
// The most candidates one request may name (K of a two-stage search).
inline constexpr std::uint64_t kMaxCandidates = std::uint64_t{1} << 20;

std::vector<std::uint8_t> save_candidate_request(std::uint64_t param_id,
                                                 std::span<const std::uint64_t> slots);
// Server side: every slot below `gallery_slots`, none repeated, at most
// kMaxCandidates of them.
std::vector<std::uint64_t> load_candidate_request(std::span<const std::uint8_t> bytes,
                                                  std::uint64_t param_id,
                                                  std::uint64_t gallery_slots);

std::vector<std::uint8_t> save_candidate_rows(std::uint64_t param_id, const CandidateRows& rows);
// Key holder side: the rows must have the layout's dimension and answer
// exactly `requested`, in order (the key holder knows what it asked for).
CandidateRows load_candidate_rows(std::span<const std::uint8_t> bytes, std::uint64_t param_id,
                                  const RowLayout& layout,
                                  std::span<const std::uint64_t> requested);

}  // namespace veil::search
