#include "veil/service/token_file.h"

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>

#include "veil/io/errors.h"
#include "veil/service/utc_time.h"

namespace veil::service {
namespace {

using json = nlohmann::json;

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw io::FormatError(where + ": " + what);
}

// A value from the file, quoted and escaped for an error message (hostile
// bytes become \u escapes or U+FFFD, never raw output).
std::string shown(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

const char* type_of(const json& v) { return v.type_name(); }

// Exactly the fields `names`, each present once.
void expect_fields(const json& obj, std::initializer_list<std::string_view> names,
                   const std::string& where, const std::string& what) {
  if (!obj.is_object()) fail(where, what + ": expected an object, got " + type_of(obj));
  for (std::string_view n : names) {
    if (!obj.contains(n)) fail(where, what + ": missing field '" + std::string(n) + "'");
  }
  for (const auto& item : obj.items()) {
    bool known = false;
    for (std::string_view n : names) known = known || item.key() == n;
    if (!known) fail(where, what + ": unknown field " + shown(json(item.key())));
  }
}

const std::string& string_field(const json& obj, const char* name, const std::string& where,
                                const std::string& what) {
  const json& v = obj.at(name);
  if (!v.is_string()) {
    fail(where, what + "." + name + ": expected a string, got " + type_of(v) + " " + shown(v));
  }
  return v.get_ref<const std::string&>();
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// 64 lower-case hex digits -> 32 bytes.
std::array<std::uint8_t, 32> hex32(const std::string& s, const std::string& where,
                                   const std::string& what) {
  std::array<std::uint8_t, 32> out{};
  if (s.size() != 64) {
    fail(where, what + ": expected 64 lower-case hex digits, got " + std::to_string(s.size()) +
                    " characters");
  }
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = hex_value(s[2 * i]);
    const int lo = hex_value(s[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      fail(where, what + ": expected lower-case hex digits, found " +
                      shown(json(s.substr(hi < 0 ? 2 * i : 2 * i + 1, 1))) + " at character " +
                      std::to_string(hi < 0 ? 2 * i : 2 * i + 1));
    }
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::string to_hex(const std::array<std::uint8_t, 32>& bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(64);
  for (std::uint8_t b : bytes) {
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

TokenEntry parse_entry(const json& e, const std::string& where, const std::string& what) {
  expect_fields(e, {"name", "role", "collection", "hash", "created"}, where, what);
  TokenEntry entry;
  entry.name = string_field(e, "name", where, what);
  if (auto p = caller_name_problem(entry.name)) fail(where, what + ".name: " + *p);
  const std::string& role = string_field(e, "role", where, what);
  const auto parsed = parse_role(role);
  if (!parsed) {
    fail(where, what + ".role: expected enroll, search, admin or server, got " + shown(json(role)));
  }
  entry.role = *parsed;
  entry.collection = string_field(e, "collection", where, what);
  if (auto p = collection_problem(entry.collection)) fail(where, what + ".collection: " + *p);
  entry.hash = hex32(string_field(e, "hash", where, what), where, what + ".hash");
  entry.created = string_field(e, "created", where, what);
  if (!parse_utc(entry.created)) {
    fail(where, what + ".created: expected a UTC time like 2026-03-01T12:00:00.000Z, got " +
                    shown(json(entry.created)));
  }
  return entry;
}

}  // namespace

TokenFile parse_token_file(std::string_view text, const std::string& where) {
  if (text.size() > kMaxTokenFileBytes) {
    fail(where, "is " + std::to_string(text.size()) + " bytes, expected at most " +
                    std::to_string(kMaxTokenFileBytes));
  }
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    fail(where, std::string("not a token file (invalid JSON: ") + e.what() + ")");
  }
  if (!doc.is_object()) fail(where, std::string("expected a JSON object, got ") + type_of(doc));
  // The version first, so that a newer file is named as such, not as one
  // with unknown fields.
  if (doc.contains("version")) {
    const json& v = doc.at("version");
    if (!v.is_number_integer() || v.get<std::int64_t>() != kTokenFileVersion) {
      fail(where, "version: expected " + std::to_string(kTokenFileVersion) + ", got " + shown(v));
    }
  }
  expect_fields(doc, {"format", "version", "hash", "key", "tokens"}, where, "file");
  if (const std::string& f = string_field(doc, "format", where, "file"); f != kTokenFileFormat) {
    fail(where, "format: expected \"veil-tokens\", got " + shown(json(f)));
  }
  if (const std::string& h = string_field(doc, "hash", where, "file"); h != kTokenHashName) {
    fail(where, "hash: expected \"blake2b-256-keyed\", got " + shown(json(h)));
  }
  TokenFile file;
  file.key = hex32(string_field(doc, "key", where, "file"), where, "key");
  const json& tokens = doc.at("tokens");
  if (!tokens.is_array())
    fail(where, std::string("tokens: expected an array, got ") + type_of(tokens));
  if (tokens.size() > kMaxTokens) {
    fail(where, "tokens: " + std::to_string(tokens.size()) + " entries, expected at most " +
                    std::to_string(kMaxTokens));
  }
  std::set<std::string> names;
  std::set<TokenHash> hashes;
  file.entries.reserve(tokens.size());
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string what = "tokens[" + std::to_string(i) + "]";
    TokenEntry entry = parse_entry(tokens[i], where, what);
    if (!names.insert(entry.name).second) {
      fail(where, what + ".name: " + shown(json(entry.name)) + " appears twice");
    }
    if (!hashes.insert(entry.hash).second) {
      fail(where, what + ".hash: the same hash appears twice (a copied entry)");
    }
    file.entries.push_back(std::move(entry));
  }
  return file;
}

std::string serialize_token_file(const TokenFile& file) {
  nlohmann::ordered_json doc;
  doc["format"] = kTokenFileFormat;
  doc["version"] = kTokenFileVersion;
  doc["hash"] = kTokenHashName;
  doc["key"] = to_hex(file.key);
  doc["tokens"] = nlohmann::ordered_json::array();
  for (const TokenEntry& e : file.entries) {
    nlohmann::ordered_json j;
    j["name"] = e.name;
    j["role"] = role_name(e.role);
    j["collection"] = e.collection;
    j["hash"] = to_hex(e.hash);
    j["created"] = e.created;
    doc["tokens"].push_back(std::move(j));
  }
  return doc.dump(2) + "\n";
}

}  // namespace veil::service
