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
  const auto sk_probe = save_probe(
      c, *party.ctx, ProbeEncryptor(c, party.ctx, party.sk, party.key_id).encrypt(q.row(0)));
  const auto pk_probe = save_probe(
      c, *party.ctx, ProbeEncryptor(c, party.ctx, party.pk, party.key_id).encrypt(q.row(0)));
  // One polynomial (seeded) or two, 2 x 4096 residues of 29 bits, plus headers.
  const std::size_t poly = 2 * 4096 * 29 / 8;
  EXPECT_GE(sk_probe.size(), poly);
  EXPECT_LE(sk_probe.size(), poly + 512);
  EXPECT_GE(pk_probe.size(), 2 * poly);
  EXPECT_LE(pk_probe.size(), 2 * poly + 512);
  EXPECT_LE(pk_probe.size(), 100u * 1000) << "the issue's bound for d <= 512";

  // A public-key gallery's response: (x0, x1), 2 x 4096 residues of 30 bits
  // (30,720 bytes), and the block's `a`, 2 x 4096 residues of 29 bits
  // (29,696 bytes): 14.75 bytes per template.
  auto rows = quantize_rows(testing::random_rows(10, 512, 2), 512, c.quant_scale);
  auto blocks = testing::encrypt_gallery(party, rows, true);
  blocks.push_back(blocks[0]);  // two blocks
  SearchServer server(c, party.ctx, party.galois, party.key_id, 2);
  auto ptrs = testing::pointers(blocks);
  const auto response = save_scores(c, server.search(load_probe(c, *party.ctx, pk_probe), ptrs));
  EXPECT_EQ(2 * 4096 * 30 / 8 + 2 * 4096 * 29 / 8, 60416);
  EXPECT_GE(response.size(), 2u * 60416);
  EXPECT_LE(response.size(), 2u * 60416 + 128);
}

TEST(WireSizes, SecretKeyGalleryResponseCarriesSeeds) {
  // Secret-key gallery: (x0, x1) and a 32-byte seed per block, 7.5 bytes per template.
  testing::Party party({.dimension = 64});
  const auto& c = party.config;
  auto rows = quantize_rows(testing::random_rows(10, 64, 3), 64, c.quant_scale);
  auto blocks = testing::encrypt_gallery(party, rows);
  blocks.push_back(blocks[0]);
  SearchServer server(c, party.ctx, party.galois, party.key_id, 2);
  auto ptrs = testing::pointers(blocks);
  const auto response = save_scores(
      c, server.search(ProbeEncryptor(c, party.ctx, party.sk, party.key_id).encrypt(rows.row(0)),
                       ptrs));
  EXPECT_GE(response.size(), 2u * (30720 + 32));
  EXPECT_LE(response.size(), 2u * (30720 + 32) + 128);
  // Blocks at rest: 8 bytes per template-dimension and a 64-byte mask region.
  EXPECT_EQ(c.block_bytes(), 64 + 8 * 4096 * 64);
}

}  // namespace
}  // namespace veil::search
