#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "veil/io/byte_io.h"
#include "veil/io/errors.h"

using namespace veil::io;

namespace {

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

}  // namespace

TEST(ByteIo, RoundTripsEveryType) {
  ByteWriter w;
  w.put_u8(0xab);
  w.put_u16(0xbeef);
  w.put_u32(0xdeadbeef);
  w.put_u64(0x0123456789abcdefull);
  w.put_f64(-3.25);
  const std::uint8_t raw[] = {1, 2, 3};
  w.put_bytes(raw);
  const std::uint64_t arr[] = {0, 1, std::numeric_limits<std::uint64_t>::max()};
  w.put_u64_array(arr);
  EXPECT_EQ(w.size(), 1u + 2 + 4 + 8 + 8 + 3 + 24);

  ByteReader r(w.bytes());
  EXPECT_EQ(r.get_u8("a"), 0xab);
  EXPECT_EQ(r.get_u16("b"), 0xbeef);
  EXPECT_EQ(r.get_u32("c"), 0xdeadbeefu);
  EXPECT_EQ(r.get_u64("d"), 0x0123456789abcdefull);
  EXPECT_EQ(r.get_f64("e"), -3.25);
  auto bytes = r.get_bytes("f", 3);
  EXPECT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.end()),
            std::vector<std::uint8_t>({1, 2, 3}));
  std::uint64_t back[3];
  r.get_u64_array("g", back);
  EXPECT_EQ(back[0], 0u);
  EXPECT_EQ(back[1], 1u);
  EXPECT_EQ(back[2], std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_EQ(r.position(), w.size());
  EXPECT_NO_THROW(r.expect_end());
}

TEST(ByteIo, LayoutIsLittleEndian) {
  ByteWriter w;
  w.put_u16(0x0102);
  w.put_u32(0x03040506);
  w.put_u64(0x0708090a0b0c0d0eull);
  const std::uint64_t arr[] = {0x1112131415161718ull};
  w.put_u64_array(arr);
  w.put_f64(1.0);  // 0x3ff0000000000000
  const std::vector<std::uint8_t> expected = {
      0x02, 0x01, 0x06, 0x05, 0x04, 0x03, 0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0x09, 0x08, 0x07, 0x18,
      0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11, 0,    0,    0,    0,    0,    0,    0xf0, 0x3f};
  EXPECT_EQ(w.bytes(), expected);
}

TEST(ByteIo, F64KeepsTheBitPattern) {
  ByteWriter w;
  w.put_f64(-0.0);
  w.put_f64(std::numeric_limits<double>::quiet_NaN());
  w.put_f64(std::numeric_limits<double>::infinity());
  w.put_f64(std::numeric_limits<double>::denorm_min());
  ByteReader r(w.bytes());
  double z = r.get_f64("z");
  EXPECT_EQ(z, 0.0);
  EXPECT_TRUE(std::signbit(z));
  EXPECT_TRUE(std::isnan(r.get_f64("nan")));
  EXPECT_EQ(r.get_f64("inf"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(r.get_f64("denorm"), std::numeric_limits<double>::denorm_min());
}

TEST(ByteIo, TakeEmptiesTheWriter) {
  ByteWriter w;
  w.put_u32(7);
  auto bytes = w.take();
  EXPECT_EQ(bytes.size(), 4u);
  EXPECT_EQ(w.size(), 0u);
  w.put_u8(1);
  EXPECT_EQ(w.bytes(), std::vector<std::uint8_t>({1}));
}

TEST(ByteIo, EmptyArraysAndSpans) {
  ByteWriter w;
  w.put_bytes({});
  w.put_u64_array({});
  EXPECT_EQ(w.size(), 0u);
  ByteReader r(w.bytes());
  EXPECT_TRUE(r.get_bytes("none", 0).empty());
  r.get_u64_array("none", {});
  EXPECT_TRUE(r.get_u64_vector("none", 0).empty());
  r.expect_end();
}

TEST(ByteIo, TruncationNamesTheField) {
  const std::uint8_t data[] = {1, 2, 3};
  ByteReader r(data);
  EXPECT_EQ(format_error_of([&] { r.get_u64("coefficient count"); }),
            "truncated: needed 8 bytes for 'coefficient count', 3 left");
  EXPECT_EQ(r.position(), 0u);  // nothing consumed by a failed read
  EXPECT_EQ(format_error_of([&] { r.get_u32("level"); }),
            "truncated: needed 4 bytes for 'level', 3 left");
  EXPECT_EQ(r.get_u16("x"), 0x0201);
  EXPECT_EQ(format_error_of([&] { r.get_u16("y"); }), "truncated: needed 2 bytes for 'y', 1 left");
  EXPECT_EQ(r.get_u8("z"), 3);
  EXPECT_EQ(format_error_of([&] { r.get_u8("w"); }), "truncated: needed 1 bytes for 'w', 0 left");
  EXPECT_THROW(r.get_f64("f"), FormatError);
  EXPECT_THROW(r.get_bytes("b", 1), FormatError);
}

TEST(ByteIo, TruncatedAtEveryLength) {
  ByteWriter w;
  w.put_u8(1);
  w.put_u16(2);
  w.put_u32(3);
  w.put_u64(4);
  const std::uint64_t arr[] = {5, 6};
  w.put_u64_array(arr);
  const auto& full = w.bytes();
  for (std::size_t len = 0; len < full.size(); ++len) {
    ByteReader r{std::span(full).first(len)};
    EXPECT_THROW(
        {
          r.get_u8("a");
          r.get_u16("b");
          r.get_u32("c");
          r.get_u64("d");
          std::uint64_t out[2];
          r.get_u64_array("e", out);
        },
        FormatError)
        << "length " << len;
  }
}

TEST(ByteIo, ArrayReadsAreBounded) {
  ByteWriter w;
  w.put_u64(1);
  w.put_u64(2);
  ByteReader r(w.bytes());
  std::uint64_t out[3];
  EXPECT_EQ(format_error_of([&] { r.get_u64_array("limbs", out); }),
            "truncated: needed 24 bytes for 'limbs', 16 left");
  EXPECT_THROW(r.get_u64_vector("limbs", 3), FormatError);
  // Counts whose byte size overflows, or that cannot be present, are refused
  // before anything is allocated.
  EXPECT_THROW(r.get_u64_vector("limbs", std::uint64_t{1} << 61), FormatError);
  EXPECT_THROW(r.get_u64_vector("limbs", std::uint64_t{1} << 60), FormatError);
  EXPECT_THROW(r.get_u64_vector("limbs", std::numeric_limits<std::uint64_t>::max()), FormatError);
  EXPECT_EQ(r.position(), 0u);
  EXPECT_EQ(r.get_u64_vector("limbs", 2), std::vector<std::uint64_t>({1, 2}));
}

TEST(ByteIo, CountsAreLimited) {
  ByteWriter w;
  w.put_u64(4096);
  w.put_u64(4097);
  w.put_u64(10);  // ten 8-byte elements declared, far fewer present
  w.put_u64(std::numeric_limits<std::uint64_t>::max());
  ByteReader r(w.bytes());
  EXPECT_EQ(r.get_count("coefficient count", 4096), 4096u);
  EXPECT_EQ(format_error_of([&] { r.get_count("coefficient count", 4096); }),
            "count too large: 'coefficient count' is 4097, expected at most 4096");
  EXPECT_EQ(r.position(), 8u);  // a rejected count consumes nothing
  EXPECT_EQ(r.get_count("coefficient count", 5000), 4097u);
  EXPECT_THROW(r.get_count("limb count", 100, 8), FormatError);
  EXPECT_EQ(r.position(), 16u);
  EXPECT_THROW(r.get_count("limb count", 100, 1), FormatError);  // 10 bytes, 8 left after it
  EXPECT_EQ(r.get_count("limb count", 100), 10u);
  EXPECT_THROW(r.get_count("limb count", 1u << 20), FormatError);
  EXPECT_EQ(r.get_count("limb count", std::numeric_limits<std::uint64_t>::max()),
            std::numeric_limits<std::uint64_t>::max());
  r.expect_end();
}

TEST(ByteIo, CountWithElementSizeChecksRemainingBytes) {
  ByteWriter w;
  w.put_u64(2);
  w.put_u64(7);
  w.put_u64(8);
  ByteReader r(w.bytes());
  EXPECT_EQ(r.get_count("n", 10, 8), 2u);  // 16 bytes left: exactly enough
  ByteReader r2(w.bytes());
  r2.get_u64("skip");
  EXPECT_THROW(r2.get_count("n", 10, 8), FormatError);  // 7 * 8 > 8 left

  ByteWriter big;
  big.put_u64(std::numeric_limits<std::uint64_t>::max());
  ByteReader r3(big.bytes());
  // Accepted by the maximum, rejected by the element size without overflow.
  EXPECT_THROW(r3.get_count("n", std::numeric_limits<std::uint64_t>::max(), 16), FormatError);
  EXPECT_EQ(r3.get_count("n", std::numeric_limits<std::uint64_t>::max()),
            std::numeric_limits<std::uint64_t>::max());
}

TEST(ByteIo, ExpectEndRejectsTrailingBytes) {
  const std::uint8_t data[] = {1, 2, 3, 4, 5};
  ByteReader r(data);
  r.get_u16("x");
  EXPECT_EQ(format_error_of([&] { r.expect_end(); }),
            "trailing bytes: expected end of input at offset 2, got 3 more bytes");
  r.get_bytes("rest", 3);
  EXPECT_NO_THROW(r.expect_end());
}

TEST(ByteIo, CheckedArithmetic) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(checked_mul(0, kMax), 0u);
  EXPECT_EQ(checked_mul(kMax, 1), kMax);
  EXPECT_EQ(checked_mul(std::uint64_t{1} << 32, (std::uint64_t{1} << 32) - 1),
            (std::uint64_t{1} << 63) + ((std::uint64_t{1} << 63) - (std::uint64_t{1} << 32)));
  EXPECT_THROW(checked_mul(std::uint64_t{1} << 32, std::uint64_t{1} << 32), FormatError);
  EXPECT_THROW(checked_mul(kMax, 2), FormatError);
  EXPECT_EQ(checked_add(kMax - 1, 1), kMax);
  EXPECT_THROW(checked_add(kMax, 1), FormatError);
  EXPECT_EQ(checked_size(1000, 8), 8000u);
  EXPECT_EQ(checked_size(kMax / 8, 8), kMax / 8 * 8);
  std::string msg = format_error_of([] { checked_size(kMax / 8 + 1, 8, "slot count"); });
  EXPECT_NE(msg.find("'slot count'"), std::string::npos) << msg;
}
