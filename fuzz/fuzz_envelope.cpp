// Fuzz target for open_envelope() and seal_envelope().
//
// Each input is tried three ways:
//  1. as stored bytes: opened with several expectations (type and parameter id
//     taken from the input, or fixed; loose and tight size limits);
//  2. with its checksum repaired, so that mutated headers and payloads get past
//     the checksum and reach every check after it;
//  3. as a payload: sealed, then opened, which must give it back.
// A FormatError is an expected outcome. Any other exception, a crash, or a
// broken invariant (an accepted envelope that is not the canonical sealing of
// what was returned) is a finding.
#include <sodium.h>

#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fuzz_target.h"
#include "veil/io/envelope.h"
#include "veil/io/errors.h"

using veil::io::Envelope;
using veil::io::FormatError;
using veil::io::ObjectType;

namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::uint64_t kNoLimit = ~std::uint64_t{0};

std::uint64_t load_le(const std::uint8_t* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}

ObjectType known_type(std::uint64_t x) { return static_cast<ObjectType>(1 + x % 13); }

// Opens `in`; on success checks everything the caller can rely on.
void open_checked(std::span<const std::uint8_t> in, ObjectType type,
                  std::optional<std::uint64_t> param_id, std::uint64_t max_payload) {
  Envelope env{};
  try {
    env = veil::io::open_envelope(in, type, param_id, max_payload);
  } catch (const FormatError& e) {
    VEIL_FUZZ_CHECK(std::strncmp(e.what(), "envelope: ", 10) == 0);
    return;
  }
  VEIL_FUZZ_CHECK(env.type == type);
  VEIL_FUZZ_CHECK(!param_id || env.param_id == *param_id);
  VEIL_FUZZ_CHECK(env.payload.size() <= max_payload);
  VEIL_FUZZ_CHECK(in.size() == veil::io::kEnvelopeHeaderSize + env.payload.size());
  VEIL_FUZZ_CHECK(env.payload.data() == in.data() + veil::io::kEnvelopeHeaderSize);
  // One encoding per object: re-sealing what was read gives the input back.
  Bytes again = veil::io::seal_envelope(env.type, env.param_id, env.payload);
  VEIL_FUZZ_CHECK(again.size() == in.size());
  VEIL_FUZZ_CHECK(std::memcmp(again.data(), in.data(), in.size()) == 0);
}

void open_all_ways(std::span<const std::uint8_t> in) {
  ObjectType header_type = ObjectType::Ciphertext;
  std::optional<std::uint64_t> header_param;
  if (in.size() >= veil::io::kEnvelopeHeaderSize) {
    auto t = static_cast<ObjectType>(load_le(in.data() + veil::io::kEnvelopeTypeOffset, 2));
    if (veil::io::is_known(t)) header_type = t;
    header_param = load_le(in.data() + veil::io::kEnvelopeParamIdOffset, 8);
  }
  open_checked(in, header_type, std::nullopt, kNoLimit);
  open_checked(in, header_type, header_param, in.size());
  open_checked(in, ObjectType::Ciphertext, header_param, 64);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> in(data, size);

  // 1. The bytes as stored.
  open_all_ways(in);

  // 2. The same with a correct checksum over whatever header and payload.
  if (size >= veil::io::kEnvelopeHeaderSize) {
    Bytes fixed(in.begin(), in.end());
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, veil::io::kEnvelopeChecksumSize);
    crypto_generichash_update(&st, fixed.data(), veil::io::kEnvelopeFieldsSize);
    crypto_generichash_update(&st, fixed.data() + veil::io::kEnvelopeHeaderSize,
                              size - veil::io::kEnvelopeHeaderSize);
    crypto_generichash_final(&st, fixed.data() + veil::io::kEnvelopeChecksumOffset,
                             veil::io::kEnvelopeChecksumSize);
    open_all_ways(fixed);
  }

  // 3. The bytes as a payload: a sealed envelope opens to exactly them.
  std::uint64_t selector = size > 0 ? data[0] : 0;
  ObjectType type = known_type(selector);
  std::uint64_t param_id = size >= 8 ? load_le(data, 8) : selector;
  Bytes sealed = veil::io::seal_envelope(type, param_id, in);
  Envelope env = veil::io::open_envelope(sealed, type, param_id, size);
  VEIL_FUZZ_CHECK(env.payload.size() == size);
  VEIL_FUZZ_CHECK(size == 0 || std::memcmp(env.payload.data(), data, size) == 0);
  open_checked(sealed, type, param_id, size);
  open_checked(sealed, known_type(selector + 1), param_id, kNoLimit);  // wrong type: rejected
  if (size > 0) open_checked(sealed, type, param_id, size - 1);        // over the limit
  return 0;
}

namespace veil::fuzz {

std::vector<Bytes> seed_inputs() {
  std::vector<Bytes> seeds;
  std::uint64_t id = 0x5eed0001;
  for (std::size_t n : {0, 1, 7, 8, 60, 100, 1000}) {
    Bytes payload(n);
    for (std::size_t i = 0; i < n; ++i) payload[i] = static_cast<std::uint8_t>(i * 37 + n);
    for (int t = 1; t <= 8; t += 3) {
      seeds.push_back(veil::io::seal_envelope(static_cast<ObjectType>(t), id++, payload));
    }
    seeds.push_back(veil::io::seal_envelope(ObjectType::Parameters, 0, payload));
  }
  // An envelope nested in an envelope, as a key file might hold a key bundle.
  seeds.push_back(veil::io::seal_envelope(ObjectType::GaloisKeys, 7, seeds.back()));
  return seeds;
}

}  // namespace veil::fuzz
