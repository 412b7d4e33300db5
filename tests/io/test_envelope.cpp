#include <gtest/gtest.h>
#include <sodium.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "test_rng.h"
#include "veil/io/byte_io.h"
#include "veil/io/envelope.h"
#include "veil/io/errors.h"

using namespace veil::io;

namespace {

constexpr std::uint64_t kNoLimit = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t kParamId = 0x1122334455667788ull;

const ObjectType kAllTypes[] = {ObjectType::Parameters, ObjectType::SecretKey,
                                ObjectType::PublicKey,  ObjectType::RelinKeys,
                                ObjectType::GaloisKeys, ObjectType::Plaintext,
                                ObjectType::Ciphertext, ObjectType::SeededCiphertext};

std::vector<std::uint8_t> random_bytes(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(veil::test::uniform_below(256));
  return v;
}

template <typename F>
std::string format_error_of(F&& f) {
  try {
    f();
  } catch (const FormatError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no FormatError thrown";
  return "";
}

void put_le(std::vector<std::uint8_t>& b, std::size_t offset, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b[offset + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// Recomputes the checksum so that a test reaches the check after it.
void reseal_checksum(std::vector<std::uint8_t>& b) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, kEnvelopeChecksumSize);
  crypto_generichash_update(&st, b.data(), kEnvelopeFieldsSize);
  crypto_generichash_update(&st, b.data() + kEnvelopeHeaderSize, b.size() - kEnvelopeHeaderSize);
  crypto_generichash_final(&st, b.data() + kEnvelopeChecksumOffset, kEnvelopeChecksumSize);
}

std::string open_error(const std::vector<std::uint8_t>& b, ObjectType type = ObjectType::Ciphertext,
                       std::optional<std::uint64_t> id = kParamId,
                       std::uint64_t max_payload = kNoLimit) {
  return format_error_of([&] { open_envelope(b, type, id, max_payload); });
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST(Envelope, TypeNames) {
  EXPECT_EQ(to_string(ObjectType::Parameters), "Parameters");
  EXPECT_EQ(to_string(ObjectType::SeededCiphertext), "SeededCiphertext");
  EXPECT_EQ(describe(ObjectType::Ciphertext), "Ciphertext(7)");
  EXPECT_EQ(describe(ObjectType::PublicKey), "PublicKey(3)");
  EXPECT_EQ(describe(static_cast<ObjectType>(42)), "unknown(42)");
  EXPECT_EQ(static_cast<int>(ObjectType::Parameters), 1);
  EXPECT_EQ(static_cast<int>(ObjectType::SecretKey), 2);
  EXPECT_EQ(static_cast<int>(ObjectType::RelinKeys), 4);
  EXPECT_EQ(static_cast<int>(ObjectType::GaloisKeys), 5);
  EXPECT_EQ(static_cast<int>(ObjectType::Plaintext), 6);
  EXPECT_EQ(static_cast<int>(ObjectType::SeededCiphertext), 8);
  for (ObjectType t : kAllTypes) EXPECT_TRUE(is_known(t));
  EXPECT_FALSE(is_known(static_cast<ObjectType>(0)));
  EXPECT_TRUE(is_known(ObjectType::GalleryPublicKey));
  EXPECT_TRUE(is_known(ObjectType::ReductionModel));
  EXPECT_TRUE(is_known(ObjectType::TwoStageConfig));
  EXPECT_TRUE(is_known(ObjectType::CandidateRequest));
  EXPECT_EQ(describe(ObjectType::CandidateRows), "CandidateRows(18)");
  EXPECT_EQ(describe(ObjectType::SlotTable), "SlotTable(19)");
  EXPECT_EQ(describe(ObjectType::RankedAnswer), "RankedAnswer(20)");
  EXPECT_EQ(describe(ObjectType::FullProbe), "FullProbe(21)");
  EXPECT_EQ(describe(ObjectType::AnnLists), "AnnLists(24)");
  EXPECT_FALSE(is_known(static_cast<ObjectType>(25)));
  EXPECT_TRUE(is_known(static_cast<ObjectType>(22)));
}

TEST(Envelope, PeekTypeReadsOnlyMagicVersionAndType) {
  auto sealed = seal_envelope(ObjectType::TwoStageConfig, kParamId, random_bytes(10));
  EXPECT_EQ(peek_type(sealed), ObjectType::TwoStageConfig);
  sealed.back() ^= 1;  // checksum no longer matches: peek does not care
  EXPECT_EQ(peek_type(sealed), ObjectType::TwoStageConfig);
  auto bad_magic = sealed;
  bad_magic[0] = 'X';
  EXPECT_EQ(peek_type(bad_magic), std::nullopt);
  auto bad_version = sealed;
  bad_version[kEnvelopeVersionOffset] = 9;
  EXPECT_EQ(peek_type(bad_version), std::nullopt);
  EXPECT_EQ(peek_type(std::span(sealed).first(kEnvelopeHeaderSize - 1)), std::nullopt);
  EXPECT_EQ(peek_type({}), std::nullopt);
}

TEST(Envelope, RoundTripsEveryTypeAndSize) {
  for (ObjectType t : kAllTypes) {
    for (std::uint64_t id : {std::uint64_t{0}, kParamId, ~std::uint64_t{0}}) {
      for (std::size_t n : {0, 1, 63, 64, 65, 1000, 1 << 16}) {
        auto payload = random_bytes(n);
        auto sealed = seal_envelope(t, id, payload);
        ASSERT_EQ(sealed.size(), kEnvelopeHeaderSize + n);
        Envelope env = open_envelope(sealed, t, id, n);
        EXPECT_EQ(env.type, t);
        EXPECT_EQ(env.param_id, id);
        EXPECT_EQ(std::vector<std::uint8_t>(env.payload.begin(), env.payload.end()), payload);
        EXPECT_EQ(env.payload.data(), sealed.data() + kEnvelopeHeaderSize);  // a view, no copy
        EXPECT_NO_THROW(open_envelope(sealed, t, std::nullopt, kNoLimit));
      }
    }
  }
}

TEST(Envelope, LayoutMatchesTheDocumentation) {
  const std::vector<std::uint8_t> payload = {0xde, 0xad, 0xbe, 0xef, 0x01};
  auto b = seal_envelope(ObjectType::Ciphertext, kParamId, payload);
  ByteReader r(b);
  auto magic = r.get_bytes("magic", 4);
  EXPECT_EQ(std::string(magic.begin(), magic.end()), "VEIL");
  EXPECT_EQ(r.get_u16("version"), 1);
  EXPECT_EQ(r.get_u16("type"), 7);
  EXPECT_EQ(r.get_u16("flags"), 0);
  EXPECT_EQ(r.get_u16("reserved"), 0);
  EXPECT_EQ(r.get_u32("padding"), 0u);
  EXPECT_EQ(r.get_u64("param id"), kParamId);
  EXPECT_EQ(r.get_u64("payload size"), payload.size());
  EXPECT_EQ(r.position(), kEnvelopeChecksumOffset);
  auto sum = r.get_bytes("checksum", 32);
  auto rest = r.get_bytes("payload", payload.size());
  EXPECT_EQ(std::vector<std::uint8_t>(rest.begin(), rest.end()), payload);
  r.expect_end();

  // The checksum is plain BLAKE2b-256 of the 32 field bytes then the payload.
  std::vector<std::uint8_t> hashed(b.begin(), b.begin() + 32);
  hashed.insert(hashed.end(), payload.begin(), payload.end());
  std::uint8_t expected[32];
  crypto_generichash(expected, 32, hashed.data(), hashed.size(), nullptr, 0);
  EXPECT_EQ(std::vector<std::uint8_t>(sum.begin(), sum.end()),
            std::vector<std::uint8_t>(expected, expected + 32));
}

TEST(Envelope, RejectsWrongTypeWithBothNames) {
  auto b = seal_envelope(ObjectType::PublicKey, kParamId, random_bytes(10));
  EXPECT_EQ(open_error(b, ObjectType::Ciphertext),
            "envelope: expected object type Ciphertext(7), got PublicKey(3)");
  for (ObjectType t : kAllTypes) {
    if (t != ObjectType::PublicKey) {
      EXPECT_THROW(open_envelope(b, t, kParamId, 10), FormatError);
    }
  }
}

TEST(Envelope, RejectsWrongParameterId) {
  auto b = seal_envelope(ObjectType::Ciphertext, kParamId, random_bytes(10));
  EXPECT_EQ(open_error(b, ObjectType::Ciphertext, 0x42),
            "envelope: expected parameter id 0x0000000000000042, got 0x1122334455667788");
  EXPECT_THROW(open_envelope(b, ObjectType::Ciphertext, 0, kNoLimit), FormatError);
  EXPECT_NO_THROW(open_envelope(b, ObjectType::Ciphertext, std::nullopt, kNoLimit));
  auto none = seal_envelope(ObjectType::Parameters, 0, random_bytes(3));
  EXPECT_THROW(open_envelope(none, ObjectType::Parameters, kParamId, kNoLimit), FormatError);
  EXPECT_NO_THROW(open_envelope(none, ObjectType::Parameters, 0, kNoLimit));
}

TEST(Envelope, EachHeaderFieldAlteredIsReportedByName) {
  const auto good = seal_envelope(ObjectType::Ciphertext, kParamId, random_bytes(37));
  struct Case {
    std::size_t offset;
    int width;
    std::uint64_t value;
    std::string message;
  };
  const Case cases[] = {
      {0, 4, 0x4c494556 ^ 0x20,
       "envelope: expected magic \"VEIL\" (5645494c), got 7645494c (not a Veil object)"},
      {kEnvelopeVersionOffset, 2, 2, "envelope: expected format version 1, got 2"},
      {kEnvelopeVersionOffset, 2, 0, "envelope: expected format version 1, got 0"},
      {kEnvelopeTypeOffset, 2, 8,
       "envelope: expected object type Ciphertext(7), got SeededCiphertext(8)"},
      {kEnvelopeTypeOffset, 2, 0xffff,
       "envelope: expected object type Ciphertext(7), got "
       "unknown(65535)"},
      {kEnvelopeFlagsOffset, 2, 1, "envelope: expected flags 0x0000, got 0x0001"},
      {kEnvelopeReservedOffset, 2, 0x8000, "envelope: expected reserved field 0x0000, got 0x8000"},
      {kEnvelopeParamIdOffset, 8, kParamId + 1,
       "envelope: expected parameter id 0x1122334455667788, got 0x1122334455667789"},
      {kEnvelopePayloadSizeOffset, 8, 38,
       "envelope: truncated: expected 38 payload bytes after the header, got 37"},
      {kEnvelopePayloadSizeOffset, 8, 36,
       "envelope: trailing bytes: expected 36 payload bytes after the header, got 37"},
  };
  for (const Case& c : cases) {
    auto b = good;
    put_le(b, c.offset, c.value, c.width);
    EXPECT_EQ(open_error(b), c.message);
    // The field check fires before the checksum: same error with a valid sum.
    reseal_checksum(b);
    EXPECT_EQ(open_error(b), c.message);
  }
  // The checksum field itself.
  auto b = good;
  b[kEnvelopeChecksumOffset + 5] ^= 0x01;
  EXPECT_TRUE(contains(open_error(b), "envelope: checksum mismatch")) << open_error(b);
}

TEST(Envelope, ChecksOrderFollowsTheHeader) {
  auto b = seal_envelope(ObjectType::PublicKey, kParamId, random_bytes(8));
  put_le(b, kEnvelopeFlagsOffset, 3, 2);
  put_le(b, kEnvelopeParamIdOffset, 5, 8);
  EXPECT_TRUE(contains(open_error(b), "object type")) << open_error(b);
  put_le(b, kEnvelopeVersionOffset, 9, 2);
  EXPECT_TRUE(contains(open_error(b), "format version")) << open_error(b);
  b[0] = 'X';
  EXPECT_TRUE(contains(open_error(b), "magic")) << open_error(b);
  b.resize(kEnvelopeHeaderSize - 1);
  EXPECT_EQ(open_error(b), "envelope: truncated: expected at least 64 bytes (the header), got 63");
}

TEST(Envelope, EverySingleByteChangeIsDetected) {
  const auto good = seal_envelope(ObjectType::SecretKey, kParamId, random_bytes(40));
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (int x = 1; x < 256; ++x) {
      auto b = good;
      b[i] ^= static_cast<std::uint8_t>(x);
      ASSERT_THROW(open_envelope(b, ObjectType::SecretKey, kParamId, kNoLimit), FormatError)
          << "byte " << i << " xor " << x;
    }
  }
}

TEST(Envelope, PayloadChangesFailTheChecksum) {
  const auto good = seal_envelope(ObjectType::Plaintext, kParamId, random_bytes(300));
  for (std::size_t i = kEnvelopeHeaderSize; i < good.size(); i += 7) {
    auto b = good;
    b[i] ^= 0x80;
    EXPECT_TRUE(contains(open_error(b, ObjectType::Plaintext), "checksum mismatch"));
  }
}

TEST(Envelope, TruncationAtEveryLengthIsDetected) {
  const auto good = seal_envelope(ObjectType::RelinKeys, kParamId, random_bytes(100));
  for (std::size_t len = 0; len < good.size(); ++len) {
    std::span<const std::uint8_t> cut(good.data(), len);
    ASSERT_THROW(open_envelope(cut, ObjectType::RelinKeys, kParamId, kNoLimit), FormatError)
        << "length " << len;
  }
  auto b = good;
  b.resize(good.size() - 1);
  EXPECT_EQ(open_error(b, ObjectType::RelinKeys),
            "envelope: truncated: expected 100 payload bytes after the header, got 99");
}

TEST(Envelope, TrailingBytesAreRejected) {
  auto b = seal_envelope(ObjectType::GaloisKeys, kParamId, random_bytes(10));
  b.push_back(0);
  EXPECT_EQ(open_error(b, ObjectType::GaloisKeys),
            "envelope: trailing bytes: expected 10 payload bytes after the header, got 11");
  // Two envelopes back to back are not one envelope.
  auto two = seal_envelope(ObjectType::GaloisKeys, kParamId, random_bytes(10));
  two.insert(two.end(), two.begin(), two.end());
  EXPECT_THROW(open_envelope(two, ObjectType::GaloisKeys, kParamId, kNoLimit), FormatError);
}

TEST(Envelope, DeclaredPayloadSizeIsBounded) {
  auto good = seal_envelope(ObjectType::Ciphertext, kParamId, random_bytes(64));
  EXPECT_NO_THROW(open_envelope(good, ObjectType::Ciphertext, kParamId, 64));
  EXPECT_EQ(open_error(good, ObjectType::Ciphertext, kParamId, 63),
            "envelope: expected payload size at most 63 bytes, got 64");
  // Huge declared sizes: refused by the limit, or as truncation without any
  // overflow or allocation, with or without a valid checksum.
  for (std::uint64_t size :
       {std::numeric_limits<std::uint64_t>::max(), std::numeric_limits<std::uint64_t>::max() - 59,
        std::uint64_t{1} << 63, std::uint64_t{1} << 40}) {
    auto b = good;
    put_le(b, kEnvelopePayloadSizeOffset, size, 8);
    reseal_checksum(b);
    EXPECT_EQ(open_error(b, ObjectType::Ciphertext, kParamId, 1 << 20),
              "envelope: expected payload size at most 1048576 bytes, got " + std::to_string(size));
    EXPECT_EQ(open_error(b), "envelope: truncated: expected " + std::to_string(size) +
                                 " payload bytes after the header, got 64");
  }
}

TEST(Envelope, ProgrammingErrorsAreNotFormatErrors) {
  const std::uint8_t payload[] = {1};
  EXPECT_THROW(seal_envelope(static_cast<ObjectType>(0), 0, payload), std::invalid_argument);
  auto b = seal_envelope(ObjectType::Parameters, 0, payload);
  EXPECT_THROW(open_envelope(b, static_cast<ObjectType>(99), 0, kNoLimit), std::invalid_argument);
}

TEST(Envelope, EmptyAndForeignInputs) {
  EXPECT_EQ(open_error({}), "envelope: truncated: expected at least 64 bytes (the header), got 0");
  std::vector<std::uint8_t> zeros(200, 0);
  EXPECT_EQ(open_error(zeros),
            "envelope: expected magic \"VEIL\" (5645494c), got 00000000 (not a Veil object)");
}
