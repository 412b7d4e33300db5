#include <fstream>
#include <string>

#include "store/store_test_util.h"
#include "veil/store/format.h"
#include "veil/store/gallery_store.h"

using namespace veil::store;
using veil::test::block_bytes;
using veil::test::small_config;

namespace {

template <class F>
void expect_store_error(F f, const char* fragment) {
  try {
    f();
    ADD_FAILURE() << "no error";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

std::vector<std::uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

class Format : public veil::test::StoreTest {};

}  // namespace

TEST_F(Format, ManifestRoundTripAndErrors) {
  Manifest m{small_config(), "2026-11-21T08:43:43Z"};
  auto b = encode_manifest(m);
  Manifest back = parse_manifest(b, "m");
  EXPECT_EQ(back.config, m.config);
  EXPECT_EQ(back.created, m.created);
  EXPECT_NE(std::string(b.begin(), b.end()).find("\"param_id\": \"5eed00001234abcd\""),
            std::string::npos);
  auto with = [&](const std::string& key, const std::string& value) {
    std::string s(b.begin(), b.end());
    auto k = s.find("\"" + key + "\"");
    auto colon = s.find(':', k);
    auto end = s.find_first_of(",\n", colon);
    s.replace(colon + 2, end - colon - 2, value);
    return bytes(s);
  };
  expect_store_error([&] { parse_manifest(bytes("{"), "m.json"); }, "m.json: not valid JSON");
  expect_store_error([&] { parse_manifest(bytes("[]"), "m"); }, "expected a JSON object");
  expect_store_error([&] { parse_manifest(with("version", "2"), "m"); },
                     "version 2 is not supported");
  expect_store_error([&] { parse_manifest(with("format", "\"x\""), "m"); }, "'format' is 'x'");
  expect_store_error([&] { parse_manifest(with("block_bytes", "100"), "m"); }, "multiple of 64");
  expect_store_error([&] { parse_manifest(with("block_bytes", "-64"), "m"); },
                     "non-negative integer");
  expect_store_error([&] { parse_manifest(with("param_id", "\"12\""), "m"); }, "16 hex digits");
  expect_store_error([&] { parse_manifest(with("search_config", "\"abc\""), "m"); }, "even number");
  expect_store_error([&] { parse_manifest(with("search_config", "\"zz\""), "m"); }, "hex");
  expect_store_error([&] { parse_manifest(bytes("{\"format\": \"veil-gallery-store\"}"), "m"); },
                     "missing");
  std::string extra(b.begin(), b.end());
  extra.insert(1, "\"extra\": 1,");
  expect_store_error([&] { parse_manifest(bytes(extra), "m"); }, "unexpected key 'extra'");
}

TEST_F(Format, SegmentChecks) {
  auto b0 = block_bytes(1, 2), b1 = block_bytes(3, 4);
  std::vector<std::span<const std::uint8_t>> blocks = {b0, b1};
  auto seg = encode_segment(small_config(), 7, blocks);
  ASSERT_EQ(seg.size(), 128 + 2 * veil::test::kBlockBytes);
  SegmentHeader h = check_segment(seg, small_config(), "s");
  EXPECT_EQ(h.seq, 7u);
  EXPECT_EQ(h.block_count, 2u);
  EXPECT_EQ(h.param_id, veil::test::kParamId);
  EXPECT_EQ(segment_file_name(7), "seg-000007.vseg");
  EXPECT_EQ(segment_file_name(1234567), "seg-1234567.vseg");

  StoreConfig other = small_config();
  other.param_id = 1;
  expect_store_error([&] { check_segment(seg, other, "s"); }, "parameter id");
  other = small_config();
  other.block_bytes = 8192;
  expect_store_error([&] { check_segment(seg, other, "s"); }, "block_bytes 4096, expected 8192");
  auto cut = seg;
  cut.resize(cut.size() - 64);
  expect_store_error([&] { check_segment(cut, small_config(), "s"); }, "truncated");
  auto flipped = seg;
  flipped[200] ^= 1;
  expect_store_error([&] { check_segment(flipped, small_config(), "s"); }, "checksum");
  expect_store_error([&] { check_segment(std::span(seg).first(100), small_config(), "s"); },
                     "truncated");
}

TEST_F(Format, LeftoversAreNotedThenRemovedOnReadWriteOpen) {
  {
    GalleryStore s = GalleryStore::create(dir_, small_config());
    auto b = block_bytes(1, 1);
    std::vector<BlockInput> batch = {{b, {"a"}, {}}};
    s.append(batch);
  }
  std::ofstream(dir_ / ".seg-000002.vseg.tmp") << "partial";
  std::ofstream(dir_ / "seg-000002.vseg") << "renamed but never registered";
  {
    GalleryStore r = GalleryStore::open(dir_, Mode::kReadOnly);
    VerifyReport v = r.verify();
    EXPECT_TRUE(v.ok());
    EXPECT_EQ(v.notes.size(), 2u);
  }
  GalleryStore s = GalleryStore::open(dir_, Mode::kReadWrite);
  EXPECT_EQ(files(),
            (std::vector<std::string>{"ids.sqlite", "lock", "manifest.json", "seg-000001.vseg"}));
  VerifyReport v = s.verify();
  EXPECT_TRUE(v.ok());
  EXPECT_TRUE(v.notes.empty());
  // The next append reuses the sequence number without trouble.
  auto b = block_bytes(2, 2);
  std::vector<BlockInput> batch = {{b, {"b"}, {}}};
  s.append(batch);
  EXPECT_EQ(s.block_count(), 2u);
}

TEST_F(Format, MissingSegmentIsReported) {
  {
    GalleryStore s = GalleryStore::create(dir_, small_config());
    auto b = block_bytes(1, 1);
    std::vector<BlockInput> batch = {{b, {"a"}, {}}};
    s.append(batch);
  }
  std::filesystem::remove(dir_ / "seg-000001.vseg");
  expect_store_error([&] { GalleryStore::open(dir_, Mode::kReadOnly); },
                     "segment registered in the index is missing");
}
