#include <cctype>
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
  expect_store_error([&] { parse_manifest(with("version", "3"), "m"); },
                     "version 3 is not supported");
  expect_store_error([&] { parse_manifest(with("version", "1"), "m"); }, "made by an older Veil");
  EXPECT_NE(std::string(b.begin(), b.end()).find("\"key_id\": \"" + veil::test::kKey.hex() + "\""),
            std::string::npos);
  expect_store_error([&] { parse_manifest(with("key_id", "\"00\""), "m"); }, "32 lower-case hex");
  expect_store_error(
      [&] { parse_manifest(with("key_id", "\"" + std::string(32, '0') + "\""), "m"); },
      "key_id is empty");
  std::string upper = veil::test::kKey.hex();
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper != veil::test::kKey.hex()) {
    expect_store_error([&] { parse_manifest(with("key_id", "\"" + upper + "\""), "m"); },
                       "lower-case");
  }
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
  std::vector<TrailerBlock> entries = {veil::test::entry(4, b0, {"x", "y"}, {"", "ly"}),
                                       veil::test::entry(9, b1, {"z"})};
  auto seg = encode_segment(small_config(), 7, blocks, entries);
  const std::uint64_t tbytes = trailer_size(entries);
  ASSERT_EQ(tbytes, 80u + 2 * 48 + (4 + 1 + 0) + (4 + 1 + 2) + (4 + 1));
  ASSERT_EQ(seg.size(), 128 + 2 * veil::test::kBlockBytes + tbytes);
  SegmentContents contents = check_segment(seg, small_config(), "s");
  EXPECT_EQ(contents.trailer.blocks, entries);
  EXPECT_EQ(contents.trailer.seq, 7u);
  EXPECT_EQ(contents.trailer.blocks[0].slots[0].label, std::optional<std::string>(""));
  EXPECT_EQ(contents.trailer.blocks[1].slots[0].label, std::nullopt);
  const SegmentHeader& h = contents.header;
  EXPECT_EQ(h.trailer_bytes, tbytes);
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
  // Copies, not resize(size() - n): GCC 12 warns falsely (-Wstringop-overflow) on that.
  std::vector<std::uint8_t> cut(seg.begin(), seg.end() - 64);
  expect_store_error([&] { check_segment(cut, small_config(), "s"); }, "truncated");
  auto flipped = seg;
  flipped[200] ^= 1;
  expect_store_error([&] { check_segment(flipped, small_config(), "s"); }, "checksum");
  expect_store_error([&] { check_segment(std::span(seg).first(100), small_config(), "s"); },
                     "truncated");
  // Another key set: both fingerprints in the message.
  other = small_config();
  other.key_id = veil::test::kOtherKey;
  expect_store_error([&] { check_segment(seg, other, "s"); }, "made with another key");
  try {
    check_segment(seg, other, "s");
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find(veil::test::kKey.hex()), std::string::npos);
    EXPECT_NE(std::string(e.what()).find(veil::test::kOtherKey.hex()), std::string::npos);
  }
  // The trailer has its own checksum: a flipped byte there is found even
  // with the envelope checksum recomputed.
  const std::size_t toff = seg.size() - tbytes;
  auto t = std::span<const std::uint8_t>(seg).subspan(toff);
  EXPECT_EQ(parse_trailer(t, small_config(), "t").blocks, entries);
  auto bad_trailer = std::vector<std::uint8_t>(t.begin(), t.end());
  bad_trailer[100] ^= 1;
  expect_store_error([&] { parse_trailer(bad_trailer, small_config(), "t"); },
                     "trailer: checksum mismatch");
  expect_store_error([&] { parse_trailer(t.first(t.size() - 1), small_config(), "t"); },
                     "truncated");
  auto peek = peek_trailer(t);
  ASSERT_TRUE(peek);
  EXPECT_EQ(peek->block_count, 2u);
  EXPECT_EQ(peek->seq, 7u);
  EXPECT_FALSE(peek_trailer(std::span(seg).subspan(128)));
  // A block that does not match its entry is refused at encoding and found by check_segment.
  std::vector<TrailerBlock> wrong = entries;
  wrong[1].checksum[0] ^= 1;
  expect_store_error([&] { encode_segment(small_config(), 7, blocks, wrong); }, "checksum");
  // Entries must be clean text, within limits, with ascending block ids.
  std::vector<TrailerBlock> e2 = {veil::test::entry(1, b0, {std::string("a\0b", 3)})};
  expect_store_error([&] { encode_trailer(small_config(), 1, e2); }, "control character");
  e2 = {veil::test::entry(5, b0, {"a"}), veil::test::entry(5, b1, {"b"})};
  expect_store_error([&] { encode_trailer(small_config(), 1, e2); }, "ascend");
  e2 = {veil::test::entry(5, b0, {})};
  expect_store_error([&] { encode_trailer(small_config(), 1, e2); }, "0 slots");
  EXPECT_EQ(parse_segment_file_name("seg-000007.vseg"), std::optional<std::uint64_t>(7));
  EXPECT_EQ(parse_segment_file_name("seg-1234567.vseg"), std::optional<std::uint64_t>(1234567));
  EXPECT_FALSE(parse_segment_file_name("seg-7.vseg"));
  EXPECT_FALSE(parse_segment_file_name("seg-0000007.vseg"));
  EXPECT_FALSE(parse_segment_file_name("seg-00000a.vseg"));
}

TEST_F(Format, RemovalLog) {
  std::vector<RemovalRecord> recs = {{3, 0}, {3, 15}, {12345678901, 7}};
  auto h = encode_removal_log_header(veil::test::kKey);
  std::vector<std::uint8_t> bytes(h.begin(), h.end());
  for (const auto& r : recs) {
    auto b = encode_removal_record(r);
    bytes.insert(bytes.end(), b.begin(), b.end());
  }
  RemovalLog log = parse_removal_log(bytes, veil::test::kKey, "log");
  EXPECT_EQ(log.records, recs);
  EXPECT_TRUE(log.damaged.empty());
  EXPECT_EQ(log.torn_tail_bytes, 0u);
  std::vector<std::uint8_t> torn(bytes.begin(), bytes.end() - 5);
  log = parse_removal_log(torn, veil::test::kKey, "log");
  EXPECT_EQ(log.records.size(), 2u);
  EXPECT_EQ(log.torn_tail_bytes, 27u);
  auto flipped = bytes;
  flipped[32 + 32 + 3] ^= 1;  // the second record's block id
  log = parse_removal_log(flipped, veil::test::kKey, "log");
  EXPECT_EQ(log.records, (std::vector<RemovalRecord>{{3, 0}, {12345678901, 7}}));
  EXPECT_EQ(log.damaged, std::vector<std::uint64_t>{64});
  expect_store_error([&] { parse_removal_log(bytes, veil::test::kOtherKey, "log"); },
                     "made with another key");
  expect_store_error(
      [&] { parse_removal_log(std::span(bytes).first(10), veil::test::kKey, "log"); }, "truncated");
  auto bad_magic = bytes;
  bad_magic[0] = 'X';
  expect_store_error([&] { parse_removal_log(bad_magic, veil::test::kKey, "log"); }, "bad magic");
}

TEST_F(Format, LeftoversAreNotedThenRemovedOnReadWriteOpen) {
  {
    GalleryStore s = GalleryStore::create(dir_, small_config());
    auto b = block_bytes(1, 1);
    std::vector<BlockInput> batch = {{b, {"a"}, {}}};
    s.append(batch, veil::test::kKey);
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
  EXPECT_EQ(files(), (std::vector<std::string>{"ids.sqlite", "lock", "manifest.json", "removed.log",
                                               "seg-000001.vseg"}));
  VerifyReport v = s.verify();
  EXPECT_TRUE(v.ok());
  EXPECT_TRUE(v.notes.empty());
  // The next append reuses the sequence number without trouble.
  auto b = block_bytes(2, 2);
  std::vector<BlockInput> batch = {{b, {"b"}, {}}};
  s.append(batch, veil::test::kKey);
  EXPECT_EQ(s.block_count(), 2u);
}

TEST_F(Format, MissingSegmentIsReported) {
  {
    GalleryStore s = GalleryStore::create(dir_, small_config());
    auto b = block_bytes(1, 1);
    std::vector<BlockInput> batch = {{b, {"a"}, {}}};
    s.append(batch, veil::test::kKey);
  }
  std::filesystem::remove(dir_ / "seg-000001.vseg");
  expect_store_error([&] { GalleryStore::open(dir_, Mode::kReadOnly); },
                     "segment registered in the index is missing");
}
