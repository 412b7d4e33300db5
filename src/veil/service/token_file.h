// The token file's format (version 1), parsed and written; TokenStore
// (tokens.h) does the file handling. JSON, e.g.
//   {"format": "veil-tokens", "version": 1, "hash": "blake2b-256-keyed",
//    "key": "<64 hex>",
//    "tokens": [{"name": "alice", "role": "search", "collection": "faces",
//                "hash": "<64 hex>", "created": "2026-03-01T12:00:00.000Z"}]}
// key: the per-file BLAKE2b key; hash: crypto_generichash(32 bytes, token
// bytes, key). Every field is required, no other is accepted, hex is lower
// case, names are unique, hashes are unique.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "veil/service/tokens.h"

namespace veil::service {

inline constexpr std::int64_t kTokenFileVersion = 1;
inline constexpr std::string_view kTokenFileFormat = "veil-tokens";
inline constexpr std::string_view kTokenHashName = "blake2b-256-keyed";
inline constexpr std::size_t kTokenHashBytes = 32;
inline constexpr std::size_t kTokenKeyBytes = 32;
// Bounds: a file larger or with more tokens is refused before parsing.
inline constexpr std::uint64_t kMaxTokenFileBytes = 16u << 20;
inline constexpr std::size_t kMaxTokens = 100000;

using TokenHash = std::array<std::uint8_t, kTokenHashBytes>;
using TokenKey = std::array<std::uint8_t, kTokenKeyBytes>;

struct TokenEntry {
  std::string name;
  Role role = Role::kSearch;
  std::string collection;
  TokenHash hash{};
  std::string created;
};

struct TokenFile {
  TokenKey key{};
  std::vector<TokenEntry> entries;
};

// The file's contents; io::FormatError naming `where` and the field on
// anything malformed (bad JSON, truncation, a missing, extra or invalid
// field, a duplicate name or hash, an unknown version).
TokenFile parse_token_file(std::string_view text, const std::string& where);
// The file's text (JSON, ending with a newline); parse_token_file reads it back.
std::string serialize_token_file(const TokenFile& file);

}  // namespace veil::service
