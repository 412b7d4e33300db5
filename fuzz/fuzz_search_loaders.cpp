// Fuzz target for the search layer's loaders: load_config, load_probe,
// load_scores and load_gallery_public_key.
//
// Input: byte 0 picks the loader (bits 0-1) and the gallery encryption of the
// search configuration the loaders check against (bit 2: public-key, whose
// responses carry each block's `a`); the rest is the envelope. Each input is
// loaded as given and again with its checksum repaired. io::FormatError and
// rlwe::MismatchError (another configuration or parameter set) are the
// expected rejections. Any other exception, a crash, or a broken invariant is
// a finding: whatever loads must save back to exactly the input.
#include "fuzz_target.h"
#include "serialize_fuzz.h"
#include "veil/io/errors.h"
#include "veil/rlwe/errors.h"
#include "veil/rlwe/keygen.h"
#include "veil/search/enroll.h"
#include "veil/search/gallery_keys.h"
#include "veil/search/mask.h"
#include "veil/search/probe.h"
#include "veil/search/server.h"

using veil::fuzz::Bytes;
namespace io = veil::io;
namespace rlwe = veil::rlwe;
namespace search = veil::search;

namespace {

struct Setup {
  search::SearchConfig config;
  rlwe::ContextPtr ctx;
  rlwe::SecretKey sk;
  explicit Setup(bool public_gallery)
      : config(search::SearchConfig::derive({.dimension = 4,
                                             .gallery = public_gallery
                                                            ? search::Encryption::kPublicKey
                                                            : search::Encryption::kSecretKey})),
        ctx(search::make_context(config)),
        sk(rlwe::KeyGenerator(ctx).secret_key()) {}
};

const Setup& setup(bool public_gallery) {
  static const Setup sk_gallery(false), pk_gallery(true);
  return public_gallery ? pk_gallery : sk_gallery;
}

// One block of scores with residues in range (not a real response: the
// loader only checks shape and ranges).
search::EncryptedScores sample_scores(const Setup& s) {
  search::EncryptedScores sc;
  sc.param_id = s.ctx->id();
  sc.n = s.config.n;
  sc.blocks = 1;
  sc.mask_words = search::mask_response_words(s.config);
  sc.words.resize(2 * sc.n);
  sc.masks.resize(sc.mask_words);
  for (std::size_t i = 0; i < sc.words.size(); ++i)
    sc.words[i] = static_cast<std::uint32_t>((i * 2654435761u) % s.config.response_prime);
  for (std::size_t i = 0; i < sc.masks.size(); ++i)
    sc.masks[i] = static_cast<std::uint32_t>((i * 40503u + 7) % s.config.q[1]);
  return sc;
}

void load_checked(unsigned kind, bool public_gallery, std::span<const std::uint8_t> in) {
  const Setup& s = setup(public_gallery);
  try {
    switch (kind) {
      case 0: {
        search::SearchConfig c = search::load_config(in);
        VEIL_FUZZ_CHECK(veil::fuzz::same_bytes(search::save_config(c, s.ctx->id()), in));
        break;
      }
      case 1: {
        search::EncryptedProbe p = search::load_probe(s.config, *s.ctx, in);
        // Exactly one form: compact seeded, compact full, or pre-expanded.
        VEIL_FUZZ_CHECK(
            int(p.seeded.has_value()) + int(p.full.has_value()) + int(!p.expanded.empty()) == 1);
        VEIL_FUZZ_CHECK(p.expanded.empty() || p.expanded.size() == s.config.dimension);
        VEIL_FUZZ_CHECK(veil::fuzz::same_bytes(search::save_probe(s.config, *s.ctx, p), in));
        break;
      }
      case 2: {
        search::EncryptedScores sc = search::load_scores(s.config, s.ctx->id(), in);
        VEIL_FUZZ_CHECK(sc.words.size() == sc.blocks * 2 * sc.n);
        VEIL_FUZZ_CHECK(sc.masks.size() == sc.blocks * sc.mask_words);
        VEIL_FUZZ_CHECK(veil::fuzz::same_bytes(search::save_scores(s.config, sc), in));
        break;
      }
      default: {
        search::GalleryPublicKey k = search::load_gallery_public_key(*s.ctx, in);
        VEIL_FUZZ_CHECK(k.param_id == s.ctx->id());
        VEIL_FUZZ_CHECK(veil::fuzz::same_bytes(search::save_gallery_public_key(*s.ctx, k), in));
        break;
      }
    }
  } catch (const io::FormatError&) {
  } catch (const rlwe::MismatchError&) {
  }
}

}  // namespace

namespace veil::fuzz {
std::vector<Bytes> seed_inputs() {
  std::vector<Bytes> seeds;
  for (bool pk : {false, true}) {
    const Setup& s = setup(pk);
    const std::uint8_t flag = pk ? 4 : 0;
    seeds.push_back(with_selector(0 | flag, search::save_config(s.config, s.ctx->id())));
    const std::int16_t q[4] = {3, -1, 0, 2};
    seeds.push_back(with_selector(
        1 | flag,
        search::save_probe(s.config, *s.ctx,
                           search::ProbeEncryptor(s.config, s.ctx, s.sk, io::KeyId{}).encrypt(q))));
    if (!pk) {
      seeds.push_back(with_selector(
          1, search::save_probe(
                 s.config, *s.ctx,
                 search::ProbeEncryptor(s.config, s.ctx, s.sk, io::KeyId{}).encrypt_expanded(q))));
    }
    seeds.push_back(with_selector(2 | flag, search::save_scores(s.config, sample_scores(s))));
    seeds.push_back(with_selector(
        3 | flag,
        search::save_gallery_public_key(*s.ctx, search::make_gallery_public_key(*s.ctx, s.sk, 2))));
  }
  return seeds;
}
}  // namespace veil::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return veil::fuzz::drive_selected(data, size, load_checked);
}
