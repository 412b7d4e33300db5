// Fuzz target for ByteReader, ByteWriter and the checked size arithmetic.
//
// Input: one byte L, then a script of L % 64 operation bytes, then the data
// the script reads. Every read must either succeed and consume exactly its
// width, or throw FormatError and consume nothing; whatever was read, written
// back with ByteWriter, must reproduce the consumed bytes exactly. Counts are
// taken straight from the data, so huge lengths must be refused before any
// allocation (ASan and the allocator would notice otherwise).
#include <algorithm>
#include <cstring>
#include <limits>
#include <span>
#include <vector>

#include "fuzz_target.h"
#include "veil/io/byte_io.h"
#include "veil/io/errors.h"

using veil::io::ByteReader;
using veil::io::ByteWriter;
using veil::io::FormatError;

namespace {

using Bytes = std::vector<std::uint8_t>;

// Runs one operation; returns the number of bytes it should have consumed.
std::size_t step(std::uint8_t op, std::uint8_t arg, ByteReader& r, ByteWriter& w) {
  switch (op % 10) {
    case 0:
      w.put_u8(r.get_u8("u8"));
      return 1;
    case 1:
      w.put_u16(r.get_u16("u16"));
      return 2;
    case 2:
      w.put_u32(r.get_u32("u32"));
      return 4;
    case 3:
      w.put_u64(r.get_u64("u64"));
      return 8;
    case 4:
      w.put_f64(r.get_f64("f64"));
      return 8;
    case 5:
      w.put_bytes(r.get_bytes("bytes", arg));
      return arg;
    case 6: {
      std::uint64_t max = arg < 64 ? (std::uint64_t{1} << arg) - 1 : arg;
      std::uint64_t count = r.get_count("count", max, arg % 17);
      VEIL_FUZZ_CHECK(count <= max);
      if (arg % 17 != 0) VEIL_FUZZ_CHECK(count * (arg % 17) <= r.remaining());
      w.put_u64(count);
      return 8;
    }
    case 7: {  // an unchecked count straight from the data
      std::size_t before = r.position();
      std::uint64_t count = r.get_u64("raw count");
      w.put_u64(count);
      try {
        std::vector<std::uint64_t> v = r.get_u64_vector("values", count);
        VEIL_FUZZ_CHECK(v.size() == count);
        w.put_u64_array(v);
      } catch (const FormatError&) {
        VEIL_FUZZ_CHECK(r.position() == before + 8);
        throw;
      }
      return 8 + 8 * static_cast<std::size_t>(count);
    }
    case 8:
      r.expect_end();
      VEIL_FUZZ_CHECK(r.remaining() == 0);
      return 0;
    default: {
      ByteReader pair(r.get_bytes("operands", 16));  // all or nothing
      std::uint64_t a = pair.get_u64("a"), b = pair.get_u64("b");
      w.put_u64(a);
      w.put_u64(b);
      constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
      bool mul_fits = (static_cast<unsigned __int128>(a) * b >> 64) == 0;
      bool size_fits = (static_cast<unsigned __int128>(a) * arg >> 64) == 0;
      try {
        VEIL_FUZZ_CHECK(veil::io::checked_mul(a, b) == a * b);
        VEIL_FUZZ_CHECK(mul_fits);
      } catch (const FormatError&) {
        VEIL_FUZZ_CHECK(!mul_fits);
      }
      try {
        VEIL_FUZZ_CHECK(veil::io::checked_size(a, arg, "size") == a * arg);
        VEIL_FUZZ_CHECK(size_fits);
      } catch (const FormatError&) {
        VEIL_FUZZ_CHECK(!size_fits);
      }
      try {
        VEIL_FUZZ_CHECK(veil::io::checked_add(a, b) == a + b);
        VEIL_FUZZ_CHECK(a <= kMax - b);
      } catch (const FormatError&) {
        VEIL_FUZZ_CHECK(a > kMax - b);
      }
      return 16;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t script_len = std::min<std::size_t>(data[0] % 64, size - 1);
  std::span<const std::uint8_t> script(data + 1, script_len);
  std::span<const std::uint8_t> body(data + 1 + script_len, size - 1 - script_len);

  ByteReader r(body);
  ByteWriter w;
  for (std::size_t i = 0; i < script.size(); ++i) {
    std::uint8_t op = script[i];
    std::uint8_t arg = i + 1 < script.size() ? script[i + 1] : 0;
    std::size_t before = r.position();
    std::size_t written = w.size();
    try {
      std::size_t width = step(op, arg, r, w);
      VEIL_FUZZ_CHECK(r.position() == before + width);
    } catch (const FormatError&) {
      // Rejected reads consume nothing (a raw count read before a rejected
      // vector stays consumed, and was written back).
      VEIL_FUZZ_CHECK(r.position() == before || (op % 10 == 7 && r.position() == before + 8));
      if (r.position() == before) VEIL_FUZZ_CHECK(w.size() == written);
    }
    VEIL_FUZZ_CHECK(r.position() + r.remaining() == body.size());
  }
  // Everything consumed, written back, is the same bytes.
  VEIL_FUZZ_CHECK(w.size() == r.position());
  VEIL_FUZZ_CHECK(w.size() == 0 || std::memcmp(w.bytes().data(), body.data(), w.size()) == 0);
  return 0;
}

namespace veil::fuzz {

std::vector<Bytes> seed_inputs() {
  std::vector<Bytes> seeds;
  // Every operation once, over data that satisfies it.
  Bytes s = {20, 0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 3, 6, 10, 7, 0, 9, 8, 8, 0};
  ByteWriter w;
  w.put_u8(0x11);
  w.put_u16(0x2233);
  w.put_u32(0x44556677);
  w.put_u64(0x8899aabbccddeeffull);
  w.put_f64(1.5);
  w.put_bytes(std::vector<std::uint8_t>{1, 2, 3});
  w.put_u64(3);  // count, at most 2^10 - 1, 10 % 17 bytes per element
  w.put_u64(2);  // raw count
  const std::uint64_t vals[] = {42, 43};
  w.put_u64_array(vals);
  w.put_u64(1ull << 40);
  w.put_u64(1ull << 30);
  w.put_bytes(std::vector<std::uint8_t>(30, 0xcc));
  s.insert(s.end(), w.bytes().begin(), w.bytes().end());
  seeds.push_back(s);
  // Long runs of one operation.
  for (std::uint8_t op = 0; op < 10; ++op) {
    Bytes t = {16};
    for (int i = 0; i < 16; ++i) t.push_back(op);
    for (int i = 0; i < 64; ++i) t.push_back(static_cast<std::uint8_t>(i < 8 ? 1 : i));
    seeds.push_back(t);
  }
  return seeds;
}

}  // namespace veil::fuzz
