// The token file's format (token_file.h): what parses, what is refused (each
// with an io::FormatError naming the field), and the round trip.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "veil/io/errors.h"
#include "veil/service/token_file.h"

namespace veil::service {
namespace {

using json = nlohmann::ordered_json;

const std::string kKey(64, 'a');
const std::string kHash1 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const std::string kHash2 = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

json valid_doc() {
  json doc;
  doc["format"] = "veil-tokens";
  doc["version"] = 1;
  doc["hash"] = "blake2b-256-keyed";
  doc["key"] = kKey;
  doc["tokens"] = json::array();
  doc["tokens"].push_back({{"name", "alice"},
                           {"role", "search"},
                           {"collection", "faces"},
                           {"hash", kHash1},
                           {"created", "2026-03-01T12:00:00.000Z"}});
  doc["tokens"].push_back({{"name", "root"},
                           {"role", "admin"},
                           {"collection", "*"},
                           {"hash", kHash2},
                           {"created", "2026-03-02T00:00:00.999Z"}});
  return doc;
}

// The text of a document, after `change`.
std::string text_with(const std::function<void(json&)>& change) {
  json doc = valid_doc();
  change(doc);
  return doc.dump(2);
}

// Parsing `text` fails with a FormatError whose message names `where` and
// holds `fragment`.
void expect_refused(const std::string& text, const std::string& fragment) {
  try {
    parse_token_file(text, "tokens: 'f'");
    ADD_FAILURE() << "accepted: " << text;
  } catch (const io::FormatError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("tokens: 'f'", 0), 0u) << what;
    EXPECT_NE(what.find(fragment), std::string::npos) << what << "\n lacks: " << fragment;
  }
}

TEST(TokenFile, ParsesAValidFile) {
  const TokenFile f = parse_token_file(valid_doc().dump(2), "t");
  for (std::uint8_t b : f.key) EXPECT_EQ(b, 0xaa);
  ASSERT_EQ(f.entries.size(), 2u);
  EXPECT_EQ(f.entries[0].name, "alice");
  EXPECT_EQ(f.entries[0].role, Role::kSearch);
  EXPECT_EQ(f.entries[0].collection, "faces");
  EXPECT_EQ(f.entries[0].hash[0], 0x00);
  EXPECT_EQ(f.entries[0].hash[1], 0x11);
  EXPECT_EQ(f.entries[0].hash[31], 0xff);
  EXPECT_EQ(f.entries[0].created, "2026-03-01T12:00:00.000Z");
  EXPECT_EQ(f.entries[1].name, "root");
  EXPECT_EQ(f.entries[1].role, Role::kAdmin);
  EXPECT_EQ(f.entries[1].collection, "*");
  // Any field order, any whitespace.
  EXPECT_EQ(parse_token_file(valid_doc().dump(), "t").entries.size(), 2u);
  const std::string reordered =
      R"({"tokens": [], "key": ")" + kKey +
      R"(", "hash": "blake2b-256-keyed", "version": 1, "format": "veil-tokens"})";
  EXPECT_TRUE(parse_token_file(reordered, "t").entries.empty());
}

TEST(TokenFile, SerializeRoundTrips) {
  TokenFile f;
  for (std::size_t i = 0; i < f.key.size(); ++i) f.key[i] = static_cast<std::uint8_t>(i * 7 + 1);
  for (Role r : {Role::kEnroll, Role::kSearch, Role::kAdmin, Role::kServer}) {
    TokenEntry e;
    e.name = "caller-" + std::string(role_name(r)) + " \u00e9";
    e.role = r;
    e.collection = r == Role::kAdmin ? "*" : "coll/" + std::string(role_name(r));
    for (std::size_t i = 0; i < e.hash.size(); ++i) {
      e.hash[i] = static_cast<std::uint8_t>(i * 31 + static_cast<int>(r) * 5 + 0xf0);
    }
    e.created = std::string("2026-03-01T12:00:0") + std::to_string(static_cast<int>(r)) + ".123Z";
    f.entries.push_back(e);
  }
  const std::string text = serialize_token_file(f);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const TokenFile back = parse_token_file(text, "t");
  EXPECT_EQ(back.key, f.key);
  ASSERT_EQ(back.entries.size(), f.entries.size());
  for (std::size_t i = 0; i < f.entries.size(); ++i) {
    EXPECT_EQ(back.entries[i].name, f.entries[i].name);
    EXPECT_EQ(back.entries[i].role, f.entries[i].role);
    EXPECT_EQ(back.entries[i].collection, f.entries[i].collection);
    EXPECT_EQ(back.entries[i].hash, f.entries[i].hash);
    EXPECT_EQ(back.entries[i].created, f.entries[i].created);
  }
  EXPECT_EQ(serialize_token_file(back), text);
  // Hex is lower case.
  EXPECT_NE(text.find("\"key\": \"01080f"), std::string::npos) << text;
  // The empty file.
  TokenFile empty;
  EXPECT_TRUE(parse_token_file(serialize_token_file(empty), "t").entries.empty());
}

TEST(TokenFile, RefusesInvalidJsonAndOtherDocuments) {
  expect_refused("", "invalid JSON");
  expect_refused("{", "invalid JSON");
  expect_refused("not json", "invalid JSON");
  expect_refused(valid_doc().dump() + " {}", "invalid JSON");
  expect_refused(valid_doc().dump() + " x", "invalid JSON");
  expect_refused("/* c */ " + valid_doc().dump(), "invalid JSON");
  expect_refused("[]", "expected a JSON object, got array");
  expect_refused("\"veil-tokens\"", "expected a JSON object, got string");
  expect_refused("null", "expected a JSON object, got null");
  expect_refused("1", "expected a JSON object");
  // Invalid UTF-8 in a string.
  std::string bad_utf8 = text_with([](json& d) { d["tokens"][0]["name"] = "PLACEHOLDER"; });
  bad_utf8.replace(bad_utf8.find("PLACEHOLDER"), 11, "\xff\xfe");
  expect_refused(bad_utf8, "invalid JSON");
}

TEST(TokenFile, RefusesTopLevelFields) {
  for (const char* field : {"format", "version", "hash", "key", "tokens"}) {
    expect_refused(text_with([&](json& d) { d.erase(field); }),
                   std::string("missing field '") + field + "'");
  }
  expect_refused(text_with([](json& d) { d["extra"] = 1; }), "unknown field \"extra\"");
  expect_refused(text_with([](json& d) { d["Format"] = "veil-tokens"; }), "unknown field");
  expect_refused(text_with([](json& d) { d["format"] = "veil-token"; }), "format: expected");
  expect_refused(text_with([](json& d) { d["format"] = 1; }), "format: expected a string");
  expect_refused(text_with([](json& d) { d["hash"] = "sha256"; }), "hash: expected");
  expect_refused(text_with([](json& d) { d["version"] = 2; }), "version: expected 1, got 2");
  expect_refused(text_with([](json& d) { d["version"] = 0; }), "version: expected 1, got 0");
  expect_refused(text_with([](json& d) { d["version"] = "1"; }), "version: expected 1");
  expect_refused(text_with([](json& d) { d["version"] = 1.0; }), "version: expected 1");
  expect_refused(text_with([](json& d) { d["version"] = -1; }), "version: expected 1");
  // A newer version is named as such, even with fields this one does not know.
  expect_refused(text_with([](json& d) {
                   d["version"] = 2;
                   d["new_field"] = true;
                 }),
                 "version: expected 1, got 2");
  expect_refused(text_with([](json& d) { d["key"] = std::string(63, 'a'); }), "key: expected 64");
  expect_refused(text_with([](json& d) { d["key"] = std::string(66, 'a'); }), "key: expected 64");
  expect_refused(text_with([](json& d) { d["key"] = std::string(64, 'A'); }),
                 "key: expected lower-case hex");
  expect_refused(text_with([](json& d) { d["key"] = std::string(63, 'a') + "g"; }),
                 "at character 63");
  expect_refused(text_with([](json& d) { d["key"] = 5; }), "expected a string");
  expect_refused(text_with([](json& d) { d["tokens"] = json::object(); }),
                 "tokens: expected an array, got object");
  expect_refused(text_with([](json& d) { d["tokens"] = nullptr; }), "tokens: expected an array");
}

TEST(TokenFile, RefusesEntryFields) {
  for (const char* field : {"name", "role", "collection", "hash", "created"}) {
    expect_refused(text_with([&](json& d) { d["tokens"][1].erase(field); }),
                   std::string("tokens[1]: missing field '") + field + "'");
  }
  auto entry = [](const char* field, json value) {
    return text_with([&](json& d) { d["tokens"][0][field] = value; });
  };
  expect_refused(text_with([](json& d) { d["tokens"][0]["token"] = "veil_x"; }),
                 "tokens[0]: unknown field \"token\"");
  expect_refused(text_with([](json& d) { d["tokens"].push_back(3); }),
                 "tokens[2]: expected an object, got number");
  expect_refused(text_with([](json& d) { d["tokens"].push_back(json::array()); }),
                 "tokens[2]: expected an object");
  expect_refused(entry("name", ""), "tokens[0].name: empty name");
  expect_refused(entry("name", std::string(kMaxCallerNameBytes + 1, 'n')), "tokens[0].name");
  expect_refused(entry("name", "a\nb"), "tokens[0].name");
  expect_refused(entry("name", 7), "tokens[0].name: expected a string");
  expect_refused(entry("role", "root"), "tokens[0].role: expected enroll, search, admin or server");
  expect_refused(entry("role", "Admin"), "tokens[0].role");
  expect_refused(entry("role", ""), "tokens[0].role");
  expect_refused(entry("role", nullptr), "tokens[0].role: expected a string");
  expect_refused(entry("collection", ""), "tokens[0].collection");
  expect_refused(entry("collection", std::string(kMaxCollectionBytes + 1, 'c')),
                 "tokens[0].collection");
  expect_refused(entry("collection", "\x7f"), "tokens[0].collection");
  expect_refused(entry("hash", kHash1.substr(2)), "tokens[0].hash: expected 64");
  expect_refused(entry("hash", std::string(64, 'F')), "tokens[0].hash");
  expect_refused(entry("hash", std::string(64, ' ')), "tokens[0].hash");
  expect_refused(entry("hash", json::array()), "tokens[0].hash: expected a string");
  expect_refused(entry("created", "2026-03-01T12:00:00Z"), "tokens[0].created");
  expect_refused(entry("created", "2026-02-30T12:00:00.000Z"), "tokens[0].created");
  expect_refused(entry("created", "2026-03-01 12:00:00.000Z"), "tokens[0].created");
  expect_refused(entry("created", "2026-03-01T12:00:00.000Z "), "tokens[0].created");
  expect_refused(entry("created", 1700000000), "tokens[0].created: expected a string");
}

TEST(TokenFile, RefusesDuplicates) {
  expect_refused(text_with([](json& d) { d["tokens"][1]["name"] = "alice"; }),
                 "tokens[1].name: \"alice\" appears twice");
  expect_refused(text_with([](json& d) { d["tokens"][1]["hash"] = kHash1; }),
                 "tokens[1].hash: the same hash appears twice");
  // A copied entry.
  expect_refused(text_with([](json& d) { d["tokens"].push_back(d["tokens"][0]); }),
                 "tokens[2].name");
}

TEST(TokenFile, RefusesOversizedInputs) {
  const std::string big(kMaxTokenFileBytes + 1, ' ');
  expect_refused(big, "expected at most");
  std::string many = text_with([](json& d) { d["tokens"] = json::array(); });
  const std::string marker = "\"tokens\": []";
  const std::size_t at = many.find(marker);
  ASSERT_NE(at, std::string::npos) << many;
  std::string zeros = "[0";
  zeros.reserve(2 * kMaxTokens + 8);
  for (std::size_t i = 0; i < kMaxTokens; ++i) zeros += ",0";
  zeros += "]";
  many.replace(at, marker.size(), "\"tokens\": " + zeros);
  expect_refused(many, "expected at most 100000");
}

TEST(TokenFile, ErrorsShowHostileValuesEscaped) {
  try {
    parse_token_file(text_with([](json& d) { d["tokens"][0]["role"] = "\x1b[2J\x01pwn"; }), "t");
    ADD_FAILURE() << "accepted";
  } catch (const io::FormatError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\x1b'), std::string::npos) << what;
    EXPECT_EQ(what.find('\x01'), std::string::npos) << what;
    EXPECT_NE(what.find("\\u001b"), std::string::npos) << what;
  }
  try {
    parse_token_file(text_with([](json& d) { d["tokens"][0]["role"] = std::string(500, 'r'); }),
                     "t");
    ADD_FAILURE() << "accepted";
  } catch (const io::FormatError& e) {
    EXPECT_LT(std::string(e.what()).size(), 300u) << "long values are cut";
  }
}

}  // namespace
}  // namespace veil::service
