// The identity of a key set: 16 bytes that every gallery, segment, probe and
// response carries, so that objects made under different keys are refused
// before any work instead of failing to decode afterwards.
//
// It is a fingerprint of public material only (search/key_identity.h derives
// it from the public key), never of the secret: showing it reveals nothing.
// It detects mistakes (the keys of another `veil keygen`), not an attacker:
// anyone can copy a fingerprint.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace veil::io {

struct KeyId {
  static constexpr std::size_t kSize = 16;
  std::array<std::uint8_t, kSize> bytes{};

  bool operator==(const KeyId&) const = default;
  // The all-zero value means "no key recorded" and is never a real identity.
  bool empty() const {
    for (std::uint8_t b : bytes)
      if (b) return false;
    return true;
  }
  // 32 lower-case hex digits.
  std::string hex() const {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s;
    s.reserve(2 * kSize);
    for (std::uint8_t b : bytes) {
      s.push_back(kDigits[b >> 4]);
      s.push_back(kDigits[b & 15]);
    }
    return s;
  }
  // Exactly 32 hex digits (either case); nullopt otherwise.
  static std::optional<KeyId> from_hex(std::string_view s) {
    if (s.size() != 2 * kSize) return std::nullopt;
    auto digit = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    KeyId id;
    for (std::size_t i = 0; i < kSize; ++i) {
      const int hi = digit(s[2 * i]), lo = digit(s[2 * i + 1]);
      if (hi < 0 || lo < 0) return std::nullopt;
      id.bytes[i] = static_cast<std::uint8_t>(hi * 16 + lo);
    }
    return id;
  }
};

}  // namespace veil::io
