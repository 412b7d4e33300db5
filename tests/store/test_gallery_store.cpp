#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "expect_error.h"
#include "store/store_test_util.h"
#include "veil/io/envelope.h"
#include "veil/store/format.h"
#include "veil/store/gallery_store.h"

using namespace veil::store;
using veil::test::block_bytes;
using veil::test::kBlockBytes;
using veil::test::kParamId;
using veil::test::kSlots;
using veil::test::small_config;
namespace fs = std::filesystem;

using veil::test::flip_byte;
using veil::test::slurp;

namespace {

class Store : public veil::test::StoreTest {};

template <class F>
void expect_store_error(F f, std::initializer_list<const char*> fragments) {
  veil::test::expect_error<StoreError>(f, fragments);
}

std::vector<std::string> ids_for(const std::string& prefix, std::size_t n) {
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < n; ++i) ids.push_back(prefix + std::to_string(i));
  return ids;
}

}  // namespace

TEST_F(Store, CreateAppendReopenRoundTrip) {
  auto b0 = block_bytes(1, 0), b1 = block_bytes(1, 1), b2 = block_bytes(2, 0);
  {
    GalleryStore s = GalleryStore::create(dir_, small_config());
    EXPECT_EQ(s.config(), small_config());
    EXPECT_EQ(s.block_count(), 0u);
    std::vector<BlockInput> batch = {{b0, ids_for("a", 16), {}},
                                     {b1, {"b0", "b1", "b2"}, {"alice", "bob", "carol"}}};
    std::uint64_t last_done = 0, last_total = 0;
    s.append(batch, veil::test::kKey, [&](std::uint64_t d, std::uint64_t t) {
      EXPECT_GT(d, last_done);
      last_done = d;
      last_total = t;
    });
    EXPECT_EQ(last_done, 2 * kBlockBytes);
    EXPECT_EQ(last_total, 2 * kBlockBytes);
    std::vector<BlockInput> second = {{b2, {"c0"}, {}}};
    s.append(second, veil::test::kKey);
    EXPECT_EQ(s.block_count(), 3u);
    EXPECT_EQ(s.live_count(), 20u);
  }
  EXPECT_EQ(files(), (std::vector<std::string>{"ids.sqlite", "lock", "manifest.json", "removed.log",
                                               "seg-000001.vseg", "seg-000002.vseg"}));
  // The streamed segment is exactly the in-memory encoding, a valid envelope.
  std::vector<std::span<const std::uint8_t>> spans = {b0, b1};
  std::vector<TrailerBlock> entries = {
      veil::test::entry(0, b0, ids_for("a", 16)),
      veil::test::entry(1, b1, {"b0", "b1", "b2"}, {"alice", "bob", "carol"})};
  auto seg1 = slurp(dir_ / "seg-000001.vseg");
  EXPECT_EQ(seg1, encode_segment(small_config(), 1, spans, entries));
  SegmentContents contents = check_segment(seg1, small_config(), "seg1");
  EXPECT_EQ(contents.header.block_count, 2u);
  EXPECT_EQ(contents.header.key_id, veil::test::kKey);
  EXPECT_EQ(contents.trailer.blocks, entries);
  EXPECT_NO_THROW(
      veil::io::open_envelope(seg1, veil::io::ObjectType::GallerySegment, kParamId, seg1.size()));

  GalleryStore s = GalleryStore::open(dir_, Mode::kReadOnly, kParamId);
  ASSERT_EQ(s.block_count(), 3u);
  EXPECT_EQ(s.live_count(), 20u);
  const std::vector<std::uint8_t>* want[] = {&b0, &b1, &b2};
  for (std::size_t i = 0; i < 3; ++i) {
    auto blk = s.block(i);
    ASSERT_EQ(blk.size(), kBlockBytes);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(blk.data()) % 64, 0u);
    EXPECT_TRUE(std::equal(blk.begin(), blk.end(), want[i]->begin())) << "block " << i;
  }
  EXPECT_EQ(s.block_slots_used(0), 16u);
  EXPECT_EQ(s.block_slots_used(1), 3u);
  EXPECT_EQ(s.block_slots_used(2), 1u);
  auto info = s.slot(1, 2);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->id, "b2");
  EXPECT_EQ(info->label, "carol");
  EXPECT_EQ(s.slot(0, 15)->id, "a15");
  EXPECT_EQ(s.slot(0, 15)->label, "");
  EXPECT_FALSE(s.slot(1, 3));  // unused
  EXPECT_FALSE(s.slot(1, 999));
  EXPECT_EQ(s.find("c0"), (Location{2, 0}));
  EXPECT_EQ(s.find("a7"), (Location{0, 7}));
  EXPECT_FALSE(s.find("nobody"));
  expect_store_error([&] { s.block(3); }, {"block 3 out of range"});
  s.advise_sequential();
  s.prefetch(1, 5);

  InfoReport r = s.info();
  EXPECT_EQ(r.param_id, kParamId);
  EXPECT_EQ(r.segments, 2u);
  EXPECT_EQ(r.blocks, 3u);
  EXPECT_EQ(r.live, 20u);
  EXPECT_EQ(r.tombstoned, 0u);
  EXPECT_EQ(r.key_id, veil::test::kKey);
  EXPECT_EQ(r.segment_bytes,
            fs::file_size(dir_ / "seg-000001.vseg") + fs::file_size(dir_ / "seg-000002.vseg"));
  EXPECT_GT(r.segment_bytes, 2 * 128 + 3 * kBlockBytes);  // + trailers
  EXPECT_GT(r.bytes_at_rest, r.segment_bytes);
  EXPECT_FALSE(r.created.empty());
  VerifyReport v = s.verify();
  EXPECT_TRUE(v.ok()) << v.problems.front();
  EXPECT_TRUE(v.notes.empty());
  EXPECT_EQ(v.segments_checked, 2u);
  EXPECT_EQ(v.blocks_checked, 3u);
}

TEST_F(Store, CreateAndOpenErrors) {
  StoreConfig bad = small_config();
  bad.block_bytes = 100;
  expect_store_error([&] { GalleryStore::create(dir_, bad); },
                     {"block_bytes", "multiple of 64", "100"});
  bad = small_config();
  bad.slots_per_block = 0;
  expect_store_error([&] { GalleryStore::create(dir_, bad); }, {"slots_per_block"});
  { GalleryStore::create(dir_, small_config()); }
  expect_store_error([&] { GalleryStore::create(dir_, small_config()); },
                     {"not an empty directory"});
  expect_store_error([&] { GalleryStore::open(dir_, Mode::kReadOnly, 42); },
                     {"was made for parameter set 5eed00001234abcd, expected 000000000000002a"});
  expect_store_error([&] { GalleryStore::open(root_ / "nothing", Mode::kReadOnly); }, {"no store"});
  fs::remove(dir_ / "manifest.json");
  expect_store_error([&] { GalleryStore::open(dir_, Mode::kReadWrite); },
                     {"manifest.json missing"});
}

TEST_F(Store, LockingAndReadOnly) {
  GalleryStore w = GalleryStore::create(dir_, small_config());
  expect_store_error([&] { GalleryStore::open(dir_, Mode::kReadWrite); }, {"in use"});
  expect_store_error([&] { GalleryStore::open(dir_, Mode::kReadOnly); }, {"in use"});
}

TEST_F(Store, ReadOnlyRefusesWrites) {
  auto b = block_bytes(3, 3);
  {
    GalleryStore s = GalleryStore::create(dir_, small_config());
    std::vector<BlockInput> batch = {{b, {"x"}, {}}};
    s.append(batch, veil::test::kKey);
  }
  GalleryStore r1 = GalleryStore::open(dir_, Mode::kReadOnly);
  GalleryStore r2 = GalleryStore::open(dir_, Mode::kReadOnly);  // readers share
  std::vector<BlockInput> batch = {{b, {"y"}, {}}};
  expect_store_error([&] { r1.append(batch, veil::test::kKey); }, {"read-only"});
  std::vector<std::string> ids = {"x"};
  expect_store_error([&] { r1.remove(ids); }, {"read-only"});
  expect_store_error([&] { r1.compact(); }, {"read-only"});
  expect_store_error([&] { GalleryStore::open(dir_, Mode::kReadWrite); }, {"in use"});
  EXPECT_EQ(r2.live_count(), 1u);
}

TEST_F(Store, AppendRejectsBadInputAndLeavesStoreUnchanged) {
  GalleryStore s = GalleryStore::create(dir_, small_config());
  auto b = block_bytes(5, 0);
  std::vector<BlockInput> first = {{b, {"p", "q"}, {}}};
  s.append(first, veil::test::kKey);
  auto before = files();
  std::vector<std::uint8_t> small(100);
  auto check = [&](std::vector<BlockInput> batch, std::initializer_list<const char*> frags) {
    expect_store_error([&] { s.append(batch, veil::test::kKey); }, frags);
    EXPECT_EQ(s.block_count(), 1u);
    EXPECT_EQ(s.live_count(), 2u);
    EXPECT_EQ(files(), before);
  };
  check({{small, {"r"}, {}}}, {"block 0 of the batch", "100 bytes, expected 4096"});
  check({{b, ids_for("z", kSlots + 1), {}}}, {"17 ids, expected 1..16"});
  check({{b, {}, {}}}, {"0 ids"});
  check({{b, {"ok", ""}, {}}}, {"slot 1: empty id"});
  check({{b, {"r", "s"}, {"only one"}}}, {"1 labels for 2 ids"});
  check({{b, {"r"}, {}}, {b, {"s", "r"}, {}}},
        {"block 1 of the batch", "duplicate id 'r' in the batch"});
  check({{b, {"r"}, {}}, {b, {"q"}, {}}}, {"id 'q' is already in the store"});
  check({{b, {std::string(kMaxIdBytes + 1, 'x')}, {}}}, {"limit"});
  // Still sound, and a later valid append works.
  EXPECT_TRUE(s.verify().ok());
  std::vector<BlockInput> ok = {{b, {"r"}, {}}};
  s.append(ok, veil::test::kKey);
  EXPECT_EQ(s.block_count(), 2u);
}

TEST_F(Store, RemoveAndCompact) {
  GalleryStore s = GalleryStore::create(dir_, small_config());
  std::vector<std::vector<std::uint8_t>> data;
  for (int i = 0; i < 4; ++i) data.push_back(block_bytes(7, i));
  std::vector<BlockInput> batch = {{data[0], ids_for("a", 3), {}}, {data[1], ids_for("b", 2), {}}};
  s.append(batch, veil::test::kKey);
  std::vector<BlockInput> batch2 = {{data[2], ids_for("c", 4), {}}, {data[3], ids_for("d", 1), {}}};
  s.append(batch2, veil::test::kKey);
  ASSERT_EQ(s.live_count(), 10u);

  std::vector<std::string> unknown = {"b0", "nope"};
  expect_store_error([&] { s.remove(unknown); }, {"'nope' is not in the store", "nothing removed"});
  EXPECT_EQ(s.live_count(), 10u);
  EXPECT_TRUE(s.find("b0"));
  std::vector<std::string> twice = {"b0", "b0"};
  expect_store_error([&] { s.remove(twice); }, {"listed twice"});

  // Block 1 (b*) and block 3 (d*) become empty; block 2 loses one of four.
  std::vector<std::string> gone = {"b0", "b1", "c2", "d0"};
  EXPECT_EQ(s.remove(gone), 4u);
  EXPECT_EQ(s.live_count(), 6u);
  EXPECT_FALSE(s.find("b1"));
  EXPECT_FALSE(s.slot(2, 2));
  EXPECT_EQ(s.slot(2, 3)->id, "c3");
  std::vector<std::string> again = {"b0"};
  expect_store_error([&] { s.remove(again); }, {"already removed"});
  EXPECT_EQ(s.info().tombstoned, 4u);

  // A removed id may be enrolled again.
  auto extra = block_bytes(8, 0);
  std::vector<BlockInput> re = {{extra, {"b0"}, {"back"}}};
  s.append(re, veil::test::kKey);
  EXPECT_EQ(s.find("b0"), (Location{4, 0}));

  CompactReport r = s.compact();
  EXPECT_EQ(r.blocks_dropped, 2u);
  EXPECT_EQ(r.tombstones_dropped, 3u);  // b0, b1, d0; c2 stays with its block
  EXPECT_EQ(r.segments_rewritten, 2u);
  EXPECT_EQ(r.segments_deleted, 2u);
  // Two blocks and their trailer entries (48 bytes + 4 + the id per slot).
  EXPECT_EQ(r.bytes_before - r.bytes_after, 2 * kBlockBytes + 2 * 48 + 3 * (4 + 2));
  ASSERT_EQ(s.block_count(), 3u);
  const std::vector<std::uint8_t>* want[] = {&data[0], &data[2], &extra};
  for (std::size_t i = 0; i < 3; ++i) {
    auto blk = s.block(i);
    EXPECT_TRUE(std::equal(blk.begin(), blk.end(), want[i]->begin())) << "block " << i;
  }
  EXPECT_EQ(s.find("c3"), (Location{1, 3}));
  EXPECT_EQ(s.find("b0"), (Location{2, 0}));
  EXPECT_EQ(s.slot(2, 0)->label, "back");
  EXPECT_FALSE(s.slot(1, 2));
  EXPECT_EQ(s.live_count(), 7u);
  EXPECT_EQ(s.info().tombstoned, 1u);
  EXPECT_TRUE(s.verify().ok());
  EXPECT_EQ(files(),
            (std::vector<std::string>{"ids.sqlite", "lock", "manifest.json", "removed.log",
                                      "seg-000003.vseg", "seg-000004.vseg", "seg-000005.vseg"}));
  // Nothing left to drop: a no-op.
  CompactReport none = s.compact();
  EXPECT_EQ(none.blocks_dropped, 0u);
  EXPECT_EQ(none.bytes_before, none.bytes_after);

  std::optional<GalleryStore> moved(std::move(s));
  moved.reset();  // closes the writer
  GalleryStore back = GalleryStore::open(dir_, Mode::kReadOnly);
  EXPECT_EQ(back.block_count(), 3u);
  EXPECT_EQ(back.find("c0"), (Location{1, 0}));
  EXPECT_TRUE(back.verify().ok());
}

TEST_F(Store, VerifyDetectsAFlippedByte) {
  auto b0 = block_bytes(9, 0), b1 = block_bytes(9, 1);
  {
    GalleryStore s = GalleryStore::create(dir_, small_config());
    std::vector<BlockInput> batch = {{b0, {"a"}, {}}, {b1, {"b"}, {}}};
    s.append(batch, veil::test::kKey);
  }
  flip_byte(dir_ / "seg-000001.vseg", 128 + kBlockBytes + 77);
  {
    // Open checks headers and sizes only: it succeeds; verify finds the damage.
    GalleryStore s = GalleryStore::open(dir_, Mode::kReadOnly);
    VerifyReport v = s.verify();
    ASSERT_EQ(v.problems.size(), 2u);
    EXPECT_NE(v.problems[0].find("seg-000001.vseg"), std::string::npos);
    EXPECT_NE(v.problems[0].find("checksum mismatch"), std::string::npos);
    EXPECT_NE(v.problems[1].find("block at position 1 (stable id 1) is damaged"), std::string::npos)
        << v.problems[1];
    EXPECT_FALSE(s.block_damage(0));
    auto d = s.block_damage(1);
    ASSERT_TRUE(d);
    EXPECT_NE(d->find("seg-000001.vseg"), std::string::npos) << *d;
    EXPECT_NE(d->find("block 1"), std::string::npos) << *d;
    EXPECT_NE(d->find(checksum_prefix(block_checksum(b1))), std::string::npos) << *d;
    EXPECT_NE(d->find(checksum_prefix(block_checksum(s.block(1)))), std::string::npos) << *d;
  }
  // A flipped header byte is caught at open.
  flip_byte(dir_ / "seg-000001.vseg", 64 + 16);  // block_bytes field of the segment header
  expect_store_error([&] { GalleryStore::open(dir_, Mode::kReadOnly); },
                     {"seg-000001.vseg", "block_bytes"});
}

TEST_F(Store, TruncatedSegment) {
  std::optional<GalleryStore> store(GalleryStore::create(dir_, small_config()));
  GalleryStore& s = *store;
  auto b0 = block_bytes(10, 0);
  std::vector<BlockInput> batch = {{b0, {"a"}, {}}};
  s.append(batch, veil::test::kKey);
  std::vector<BlockInput> batch2 = {{b0, {"b"}, {}}};
  s.append(batch2, veil::test::kKey);
  const auto size = fs::file_size(dir_ / "seg-000002.vseg");
  fs::resize_file(dir_ / "seg-000002.vseg", size - 1);
  const std::string want = "seg-000002.vseg': truncated: " + std::to_string(size - 1) +
                           " bytes, expected " + std::to_string(size);
  VerifyReport v = s.verify();
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.problems[0].find(want), std::string::npos) << v.problems[0];
  store.reset();
  expect_store_error([&] { GalleryStore::open(dir_, Mode::kReadOnly); }, {want.c_str()});
}
