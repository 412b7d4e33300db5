#include "veil/io/text_check.h"

#include <cstdint>
#include <cstdio>

namespace veil::io {

namespace {
std::string code_point(std::uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
  return buf;
}
}  // namespace

std::optional<std::string> text_problem(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    const auto b0 = static_cast<std::uint8_t>(text[i]);
    std::uint32_t cp = 0;
    std::size_t len = 0;
    std::uint32_t min = 0;
    if (b0 < 0x80) {
      cp = b0, len = 1;
    } else if ((b0 & 0xE0) == 0xC0) {
      cp = b0 & 0x1F, len = 2, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      cp = b0 & 0x0F, len = 3, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      cp = b0 & 0x07, len = 4, min = 0x10000;
    } else {
      return "invalid UTF-8 at byte " + std::to_string(start);
    }
    if (start + len > text.size())
      return "truncated UTF-8 sequence at byte " + std::to_string(start);
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<std::uint8_t>(text[start + k]);
      if ((b & 0xC0) != 0x80) return "invalid UTF-8 at byte " + std::to_string(start);
      cp = (cp << 6) | (b & 0x3F);
    }
    if (len > 1 && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) {
      return "invalid UTF-8 at byte " + std::to_string(start);
    }
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
      return "control character " + code_point(cp) + " at byte " + std::to_string(start);
    }
    i = start + len;
  }
  return std::nullopt;
}

}  // namespace veil::io
