// Stage-2 messages on the wire: round trips, and every malformed or
// mismatched message refused with a FormatError.
#include <gtest/gtest.h>

#include "veil/io/envelope.h"
#include "veil/io/errors.h"
#include "veil/search/rerank_wire.h"

namespace veil::search {
namespace {

constexpr std::uint64_t kId = 0x1234;
const RowLayout kLayout{4096, 5};

CandidateRows sample_rows(const std::vector<std::uint64_t>& slots) {
  CandidateRows c;
  c.dimension = kLayout.dimension;
  c.index = slots;
  for (std::size_t i = 0; i < slots.size() * kRowNonceBytes; ++i)
    c.nonces.push_back(static_cast<std::uint8_t>(i));
  for (std::size_t i = 0; i < slots.size() * kLayout.dimension; ++i)
    c.rows.push_back(static_cast<std::uint8_t>(255 - i));
  return c;
}

TEST(RerankWire, RequestRoundTripsInOrder) {
  const std::vector<std::uint64_t> slots = {9, 0, 8191, 4096};
  const auto bytes = save_candidate_request(kId, slots);
  EXPECT_EQ(bytes.size(), io::kEnvelopeHeaderSize + 12 + 8 * slots.size());
  EXPECT_EQ(load_candidate_request(bytes, kId, 8192), slots);
  EXPECT_TRUE(load_candidate_request(save_candidate_request(kId, {}), kId, 1).empty());
}

TEST(RerankWire, BadRequestsAreRefused) {
  const auto ok = save_candidate_request(kId, std::vector<std::uint64_t>{1, 2, 3});
  EXPECT_THROW(load_candidate_request(ok, kId + 1, 10), io::FormatError);  // other parameters
  EXPECT_THROW(load_candidate_request(ok, kId, 3), io::FormatError);       // slot 3 of 3
  EXPECT_THROW(load_candidate_request(
                   save_candidate_request(kId, std::vector<std::uint64_t>{4, 2, 4}), kId, 10),
               io::FormatError);  // named twice
  auto truncated = ok;
  truncated.pop_back();
  EXPECT_THROW(load_candidate_request(truncated, kId, 10), io::FormatError);
  auto flipped = ok;
  flipped.back() ^= 1;
  EXPECT_THROW(load_candidate_request(flipped, kId, 10), io::FormatError);  // checksum
  const auto rows = save_candidate_rows(kId, sample_rows({1, 2, 3}));
  EXPECT_THROW(load_candidate_request(rows, kId, 10), io::FormatError);  // another type
}

TEST(RerankWire, RowsRoundTrip) {
  const std::vector<std::uint64_t> slots = {5, 4097, 0};
  const CandidateRows c = sample_rows(slots);
  const auto bytes = save_candidate_rows(kId, c);
  EXPECT_EQ(bytes.size(), io::kEnvelopeHeaderSize + 20 + slots.size() * (8 + 16 + 5));
  const CandidateRows back = load_candidate_rows(bytes, kId, kLayout, slots);
  EXPECT_EQ(back.dimension, c.dimension);
  EXPECT_EQ(back.index, c.index);
  EXPECT_EQ(back.nonces, c.nonces);
  EXPECT_EQ(back.rows, c.rows);
}

TEST(RerankWire, RowsThatDoNotAnswerTheRequestAreRefused) {
  const std::vector<std::uint64_t> slots = {5, 4097, 0};
  const auto bytes = save_candidate_rows(kId, sample_rows(slots));
  EXPECT_THROW(load_candidate_rows(bytes, kId, kLayout, std::vector<std::uint64_t>{5, 4097}),
               io::FormatError);  // count
  EXPECT_THROW(load_candidate_rows(bytes, kId, kLayout, std::vector<std::uint64_t>{5, 0, 4097}),
               io::FormatError);  // order
  EXPECT_THROW(load_candidate_rows(bytes, kId, RowLayout{4096, 6}, slots),
               io::FormatError);  // dimension
  EXPECT_THROW(load_candidate_rows(bytes, kId + 1, kLayout, slots), io::FormatError);
  auto truncated = bytes;
  truncated.resize(truncated.size() - 1);
  EXPECT_THROW(load_candidate_rows(truncated, kId, kLayout, slots), io::FormatError);
  CandidateRows broken = sample_rows(slots);
  broken.rows.pop_back();
  EXPECT_THROW(save_candidate_rows(kId, broken), std::invalid_argument);
}

}  // namespace
}  // namespace veil::search
