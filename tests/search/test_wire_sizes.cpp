// The sizes docs/search.md quotes: probe and response bytes on the wire.
#include <gtest/gtest.h>

#include "search_fixture.h"

namespace veil::search {
namespace {

TEST(WireSizes, ProbeAndResponseBytes) {
  testing::Party party(
      {.dimension = 512, .gallery = Encryption::kPublicKey, .probe = Encryption::kPublicKey});
  const auto& c = party.config;
  auto q = quantize_rows(testing::random_rows(1, 512, 1), 512, c.quant_scale);
  const auto sk_probe =
      save_probe(c, *party.ctx, ProbeEncryptor(c, party.ctx, party.sk).encrypt(q.row(0)));
  const auto pk_probe =
      save_probe(c, *party.ctx, ProbeEncryptor(c, party.ctx, party.pk).encrypt(q.row(0)));
  // One polynomial (seeded) or two, 2 x 4096 residues of 29 bits, plus headers.
  const std::size_t poly = 2 * 4096 * 29 / 8;
  EXPECT_GE(sk_probe.size(), poly);
  EXPECT_LE(sk_probe.size(), poly + 512);
  EXPECT_GE(pk_probe.size(), 2 * poly);
  EXPECT_LE(pk_probe.size(), 2 * poly + 512);
  EXPECT_LE(pk_probe.size(), 100u * 1000) << "the issue's bound for d <= 512";

  auto rows = quantize_rows(testing::random_rows(10, 512, 2), 512, c.quant_scale);
  auto blocks = testing::encrypt_gallery(party, rows, true);
  blocks.push_back(blocks[0]);  // two blocks
  SearchServer server(c, party.ctx, party.galois, 2);
  auto ptrs = testing::pointers(blocks);
  const auto response = save_scores(c, server.search(load_probe(c, *party.ctx, pk_probe), ptrs));
  // 3 x 4096 residues of 30 bits per block: 46,080 bytes, 11.25 per template.
  EXPECT_EQ(3 * 4096 * 30 / 8, 46080);
  EXPECT_GE(response.size(), 2u * 46080);
  EXPECT_LE(response.size(), 2u * 46080 + 128);
}

}  // namespace
}  // namespace veil::search
