// GalleryStore::repair, one test per kind of damage: each asserts the exact
// list of lost ids, that the store opens and verifies clean afterwards, and
// that every block not damaged is still there, byte for byte, with its ids
// and labels, in the same order.
#include <sqlite3.h>

#include <cctype>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "expect_error.h"
#include "store/store_test_util.h"
#include "veil/store/format.h"
#include "veil/store/gallery_store.h"

using namespace veil::store;
using veil::test::block_bytes;
using veil::test::kBlockBytes;
using veil::test::kKey;
using veil::test::small_config;
namespace fs = std::filesystem;

using veil::test::flip_byte;
using veil::test::slurp;

namespace {

using Strings = std::vector<std::string>;

// A repair that only rebuilt the index: nothing lost, dropped, salvaged or quarantined.
void expect_rebuilt_losing_nothing(const RepairReport& r) {
  EXPECT_TRUE(r.index_rebuilt);
  EXPECT_TRUE(r.lost_ids.empty());
  EXPECT_TRUE(r.dropped.empty());
  EXPECT_TRUE(r.salvaged.empty());
  EXPECT_TRUE(r.quarantined.empty());
}

void spit(const fs::path& p, const std::vector<std::uint8_t>& b) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

void sql(const fs::path& db, const char* statement) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(h, statement, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(h);
}

// Everything a reader sees of one block.
struct BlockSnap {
  std::int64_t stable = 0;
  std::vector<std::uint8_t> bytes;
  std::uint32_t used = 0;
  std::vector<std::optional<SlotInfo>> slots;
};

bool operator==(const SlotInfo& a, const SlotInfo& b) { return a.id == b.id && a.label == b.label; }

std::vector<BlockSnap> snapshot(const GalleryStore& s) {
  std::vector<BlockSnap> out;
  for (std::size_t i = 0; i < s.block_count(); ++i) {
    BlockSnap b;
    b.stable = s.block_origin(i).block_id;
    auto blk = s.block(i);
    b.bytes.assign(blk.begin(), blk.end());
    b.used = s.block_slots_used(i);
    for (std::uint32_t k = 0; k < s.config().slots_per_block; ++k) b.slots.push_back(s.slot(i, k));
    out.push_back(std::move(b));
  }
  return out;
}

class Repair : public veil::test::StoreTest {
 protected:
  // Three segments:
  //   seg 1: block 0 (a0..a3, labels), block 1 (b0, b1)
  //   seg 2: block 2 (c0..c2)
  //   seg 3: block 3 (d0), block 4 (e0..e4, labels)
  // then a1 and e2 removed.
  void SetUp() override {
    StoreTest::SetUp();
    GalleryStore s = GalleryStore::create(dir_, small_config());
    for (int i = 0; i < 5; ++i) data_.push_back(block_bytes(40, static_cast<std::uint64_t>(i)));
    std::vector<BlockInput> b1 = {{data_[0], {"a0", "a1", "a2", "a3"}, {"la0", "la1", "", "la3"}},
                                  {data_[1], {"b0", "b1"}, {}}};
    std::vector<BlockInput> b2 = {{data_[2], {"c0", "c1", "c2"}, {}}};
    std::vector<BlockInput> b3 = {
        {data_[3], {"d0"}, {}},
        {data_[4], {"e0", "e1", "e2", "e3", "e4"}, {"x", "y", "z", "u", "v"}}};
    s.append(b1, kKey);
    s.append(b2, kKey);
    s.append(b3, kKey);
    Strings gone = {"a1", "e2"};
    s.remove(gone);
    before_ = snapshot(s);
    ASSERT_TRUE(s.verify().ok());
  }

  // After repair: opens, verifies clean, and holds exactly the blocks of
  // the snapshot minus `dropped` (stable ids), byte for byte, in order.
  void expect_intact_except(const std::set<std::int64_t>& dropped) {
    GalleryStore s = GalleryStore::open(dir_, Mode::kReadOnly);
    VerifyReport v = s.verify();
    EXPECT_TRUE(v.ok()) << v.problems.front();
    EXPECT_TRUE(v.notes.empty()) << v.notes.front();
    std::vector<BlockSnap> after = snapshot(s);
    std::vector<const BlockSnap*> want;
    for (const BlockSnap& b : before_)
      if (!dropped.count(b.stable)) want.push_back(&b);
    ASSERT_EQ(after.size(), want.size());
    std::size_t live = 0;
    for (std::size_t i = 0; i < after.size(); ++i) {
      EXPECT_EQ(after[i].stable, want[i]->stable) << "block " << i;
      EXPECT_TRUE(after[i].bytes == want[i]->bytes) << "block " << i << " bytes differ";
      EXPECT_EQ(after[i].used, want[i]->used);
      ASSERT_EQ(after[i].slots.size(), want[i]->slots.size());
      for (std::size_t k = 0; k < after[i].slots.size(); ++k) {
        EXPECT_EQ(after[i].slots[k].has_value(), want[i]->slots[k].has_value())
            << "block " << i << " slot " << k;
        if (after[i].slots[k] && want[i]->slots[k]) {
          EXPECT_TRUE(*after[i].slots[k] == *want[i]->slots[k]) << "block " << i << " slot " << k;
          EXPECT_EQ(s.find(after[i].slots[k]->id), (Location{i, static_cast<std::uint32_t>(k)}));
          ++live;
        }
      }
    }
    EXPECT_EQ(s.live_count(), live);
    EXPECT_FALSE(s.find("a1"));  // removed stay removed
    EXPECT_FALSE(s.find("e2"));
  }

  static std::vector<std::int64_t> ids_of(const std::vector<RepairedBlock>& v) {
    std::vector<std::int64_t> out;
    for (const auto& b : v) out.push_back(b.block_id);
    return out;
  }

  // "quarantine/20261121T084343Z/<name>" (or "...Z-1/<name>" for a second
  // repair within the same second). No std::regex: GCC 12 warns falsely on
  // it with the sanitizers on.
  static bool is_stamp(const std::string& s) {
    if (s.size() < 16 || s[8] != 'T' || s[15] != 'Z') return false;
    for (std::size_t i = 0; i < 15; ++i) {
      if (i != 8 && !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    }
    if (s.size() == 16) return true;
    if (s[16] != '-' || s.size() == 17) return false;
    for (std::size_t i = 17; i < s.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    }
    return true;
  }

  void expect_quarantined(const RepairReport& r, const Strings& names) {
    ASSERT_EQ(r.quarantined.size(), names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
      fs::path p = r.quarantined[i];
      auto it = p.begin();
      ASSERT_EQ(std::distance(p.begin(), p.end()), 3) << r.quarantined[i];
      EXPECT_EQ(*it++, "quarantine");
      EXPECT_TRUE(is_stamp((*it++).string())) << r.quarantined[i];
      EXPECT_EQ(*it, names[i]);
      EXPECT_TRUE(fs::exists(dir_ / r.quarantined[i])) << r.quarantined[i];
    }
  }

  // A second repair finds nothing to do.
  void expect_second_repair_is_a_no_op() {
    RepairReport again = GalleryStore::repair(dir_);
    EXPECT_FALSE(again.changed()) << (again.notes.empty() ? "" : again.notes.front());
  }

  fs::path seg(int n) const { return dir_ / segment_file_name(static_cast<std::uint64_t>(n)); }

  std::vector<std::vector<std::uint8_t>> data_;
  std::vector<BlockSnap> before_;
};

template <class F>
void expect_store_error(F f, std::initializer_list<const char*> fragments) {
  veil::test::expect_error<StoreError>(f, fragments);
}

}  // namespace

TEST_F(Repair, SoundStoreIsLeftUnchanged) {
  std::map<std::string, std::vector<std::uint8_t>> files;
  for (const auto& e : fs::directory_iterator(dir_)) files[e.path().filename()] = slurp(e.path());
  RepairReport r = GalleryStore::repair(dir_);
  EXPECT_FALSE(r.changed());
  EXPECT_TRUE(r.lost_ids.empty());
  EXPECT_TRUE(r.notes.empty()) << r.notes.front();
  std::map<std::string, std::vector<std::uint8_t>> after;
  for (const auto& e : fs::directory_iterator(dir_)) after[e.path().filename()] = slurp(e.path());
  EXPECT_TRUE(files == after) << "repair changed a sound store";
  expect_intact_except({});
}

TEST_F(Repair, FlippedBlockData) {
  flip_byte(seg(1), 128 + kBlockBytes + 1000);  // block 1 (b0, b1)
  {
    GalleryStore s = GalleryStore::open(dir_, Mode::kReadOnly);  // open does not hash
    EXPECT_TRUE(s.block_damage(1));
    EXPECT_FALSE(s.verify().ok());
  }
  RepairReport r = GalleryStore::repair(dir_);
  EXPECT_EQ(r.lost_ids, (Strings{"b0", "b1"}));
  EXPECT_EQ(ids_of(r.dropped), (std::vector<std::int64_t>{1}));
  EXPECT_NE(r.dropped[0].reason.find("checksum mismatch"), std::string::npos);
  EXPECT_EQ(r.dropped[0].segment, "seg-000001.vseg");
  EXPECT_EQ(r.dropped[0].position, 1u);
  EXPECT_EQ(ids_of(r.salvaged), (std::vector<std::int64_t>{0}));
  EXPECT_FALSE(r.index_rebuilt);
  expect_quarantined(r, {"seg-000001.vseg"});
  EXPECT_FALSE(fs::exists(seg(1)));
  expect_intact_except({1});
  expect_second_repair_is_a_no_op();
}

TEST_F(Repair, FlippedSegmentHeader) {
  flip_byte(seg(1), 64 + 16);  // block_bytes in the segment header
  expect_store_error([&] { GalleryStore::open(dir_, Mode::kReadOnly); },
                     {"seg-000001.vseg", "block_bytes"});
  RepairReport r = GalleryStore::repair(dir_);
  EXPECT_TRUE(r.lost_ids.empty());
  EXPECT_TRUE(r.dropped.empty());
  EXPECT_EQ(ids_of(r.salvaged), (std::vector<std::int64_t>{0, 1}));
  expect_quarantined(r, {"seg-000001.vseg"});
  expect_intact_except({});
  expect_second_repair_is_a_no_op();
}

TEST_F(Repair, FlippedEnvelopeChecksumAndTrailer) {
  flip_byte(seg(2), 40);                         // the envelope checksum
  flip_byte(seg(3), fs::file_size(seg(3)) - 2);  // the trailer
  RepairReport r = GalleryStore::repair(dir_);
  EXPECT_TRUE(r.lost_ids.empty());
  EXPECT_EQ(ids_of(r.salvaged), (std::vector<std::int64_t>{2, 3, 4}));
  expect_quarantined(r, {"seg-000002.vseg", "seg-000003.vseg"});
  expect_intact_except({});
}

TEST_F(Repair, TruncatedSegment) {
  fs::resize_file(seg(3), 128 + kBlockBytes + 100);  // block 3 whole, block 4 cut
  expect_store_error([&] { GalleryStore::open(dir_, Mode::kReadOnly); },
                     {"seg-000003.vseg", "truncated"});
  RepairReport r = GalleryStore::repair(dir_);
  EXPECT_EQ(r.lost_ids, (Strings{"e0", "e1", "e3", "e4"}));  // e2 was removed already
  EXPECT_EQ(ids_of(r.dropped), (std::vector<std::int64_t>{4}));
  EXPECT_NE(r.dropped[0].reason.find("truncated"), std::string::npos);
  EXPECT_EQ(ids_of(r.salvaged), (std::vector<std::int64_t>{3}));
  expect_quarantined(r, {"seg-000003.vseg"});
  expect_intact_except({4});
  expect_second_repair_is_a_no_op();
}

TEST_F(Repair, MissingSegment) {
  fs::remove(seg(2));
  RepairReport r = GalleryStore::repair(dir_);
  EXPECT_EQ(r.lost_ids, (Strings{"c0", "c1", "c2"}));
  EXPECT_EQ(ids_of(r.dropped), (std::vector<std::int64_t>{2}));
  EXPECT_EQ(r.dropped[0].reason, "segment file missing");
  EXPECT_TRUE(r.salvaged.empty());
  EXPECT_TRUE(r.quarantined.empty());
  expect_intact_except({2});
  expect_second_repair_is_a_no_op();
}

TEST_F(Repair, MissingIndex) {
  fs::remove(dir_ / "ids.sqlite");
  expect_store_error([&] { GalleryStore::open(dir_, Mode::kReadOnly); }, {"index missing"});
  expect_rebuilt_losing_nothing(GalleryStore::repair(dir_));
  expect_intact_except({});  // a1 and e2 stay removed: removed.log was applied
  expect_second_repair_is_a_no_op();
}

TEST_F(Repair, DamagedIndexFile) {
  auto bytes = slurp(dir_ / "ids.sqlite");
  for (std::size_t i = 0; i < 100; ++i) bytes[i] = static_cast<std::uint8_t>(0xa5 ^ i);
  spit(dir_ / "ids.sqlite", bytes);
  expect_store_error([&] { GalleryStore::open(dir_, Mode::kReadOnly); }, {"ids.sqlite"});
  RepairReport r = GalleryStore::repair(dir_);
  EXPECT_TRUE(r.index_rebuilt);
  EXPECT_TRUE(r.lost_ids.empty());
  expect_quarantined(r, {"ids.sqlite"});
  EXPECT_EQ(slurp(dir_ / r.quarantined[0]), bytes);  // kept as it was
  expect_intact_except({});
  expect_second_repair_is_a_no_op();
}

TEST_F(Repair, WrongIndexMeta) {
  sql(dir_ / "ids.sqlite", "UPDATE meta SET value = 7 WHERE key = 'slots_per_block'");
  expect_store_error([&] { GalleryStore::open(dir_, Mode::kReadOnly); }, {"slots_per_block"});
  RepairReport r = GalleryStore::repair(dir_);
  EXPECT_TRUE(r.index_rebuilt);
  EXPECT_TRUE(r.lost_ids.empty());
  expect_intact_except({});
}

TEST_F(Repair, IndexThatDisagreesWithASoundSegmentIsRebuilt) {
  // A label changed behind the store's back: the trailer (checksummed) wins.
  sql(dir_ / "ids.sqlite", "UPDATE slots SET label = 'forged' WHERE id = 'c1'");
  RepairReport r = GalleryStore::repair(dir_);
  EXPECT_TRUE(r.index_rebuilt);
  EXPECT_TRUE(r.lost_ids.empty());
  expect_intact_except({});
}

TEST_F(Repair, DamagedManifest) {
  // A flipped hex digit in search_config still parses: the copy in the
  // index tells.
  auto m = slurp(dir_ / "manifest.json");
  std::string s(m.begin(), m.end());
  auto at = s.find("\"search_config\": \"") + 18;
  s[at] = s[at] == '5' ? '6' : '5';
  spit(dir_ / "manifest.json", {s.begin(), s.end()});
  expect_store_error([&] { GalleryStore::open(dir_, Mode::kReadOnly); },
                     {"manifest.json", "differs from the copy"});
  RepairReport r = GalleryStore::repair(dir_);
  EXPECT_TRUE(r.manifest_rebuilt);
  EXPECT_TRUE(r.lost_ids.empty());
  expect_quarantined(r, {"manifest.json"});
  EXPECT_EQ(GalleryStore::open(dir_, Mode::kReadOnly).config(), small_config());
  expect_intact_except({});
  expect_second_repair_is_a_no_op();
}

TEST_F(Repair, MissingManifest) {
  fs::remove(dir_ / "manifest.json");
  RepairReport r = GalleryStore::repair(dir_);
  EXPECT_TRUE(r.manifest_rebuilt);
  EXPECT_TRUE(r.quarantined.empty());
  expect_intact_except({});
}

TEST_F(Repair, DamagedRemovalLogIsRewrittenFromTheIndex) {
  flip_byte(dir_ / "removed.log", 32 + 3);  // the first record
  EXPECT_FALSE(GalleryStore::open(dir_, Mode::kReadOnly).verify().ok());
  RepairReport r = GalleryStore::repair(dir_);
  EXPECT_TRUE(r.log_rebuilt);
  expect_quarantined(r, {"removed.log"});
  expect_intact_except({});
  // The rewritten log works for a rebuild too.
  fs::remove(dir_ / "ids.sqlite");
  GalleryStore::repair(dir_);
  expect_intact_except({});
}

TEST_F(Repair, CombinationWithTheIndexLost) {
  auto idx = slurp(dir_ / "ids.sqlite");
  idx.resize(idx.size() / 2);
  spit(dir_ / "ids.sqlite", idx);  // damaged index
  flip_byte(seg(1), 128 + 7);      // block 0 (a0..a3) damaged
  flip_byte(seg(2), 64 + 8);       // segment 2's header (its sequence number)
  RepairReport r = GalleryStore::repair(dir_);
  EXPECT_TRUE(r.index_rebuilt);
  EXPECT_EQ(r.lost_ids, (Strings{"a0", "a2", "a3"}));  // a1 was removed already
  EXPECT_EQ(ids_of(r.dropped), (std::vector<std::int64_t>{0}));
  EXPECT_EQ(ids_of(r.salvaged), (std::vector<std::int64_t>{1, 2}));
  expect_quarantined(r, {"seg-000001.vseg", "seg-000002.vseg", "ids.sqlite"});
  expect_intact_except({0});
  expect_second_repair_is_a_no_op();
}

TEST_F(Repair, CombinationWithTheIndexSound) {
  fs::remove(dir_ / "manifest.json");
  fs::remove(seg(2));
  flip_byte(seg(3), 128 + kBlockBytes + 5);  // block 4 (e*)
  flip_byte(dir_ / "removed.log", 40);
  RepairReport r = GalleryStore::repair(dir_);
  EXPECT_FALSE(r.index_rebuilt);
  EXPECT_TRUE(r.manifest_rebuilt);
  EXPECT_TRUE(r.log_rebuilt);
  EXPECT_EQ(r.lost_ids, (Strings{"c0", "c1", "c2", "e0", "e1", "e3", "e4"}));
  EXPECT_EQ(ids_of(r.dropped), (std::vector<std::int64_t>{2, 4}));
  EXPECT_EQ(ids_of(r.salvaged), (std::vector<std::int64_t>{3}));
  expect_quarantined(r, {"seg-000003.vseg", "removed.log"});
  expect_intact_except({2, 4});
  expect_second_repair_is_a_no_op();
}

TEST_F(Repair, ManifestAndIndexBothLostCannotBeRepaired) {
  fs::remove(dir_ / "manifest.json");
  fs::remove(dir_ / "ids.sqlite");
  auto before = files();
  expect_store_error([&] { GalleryStore::repair(dir_); },
                     {"cannot repair", "manifest.json is missing", "ids.sqlite is missing"});
  EXPECT_EQ(files(), before);
}

TEST_F(Repair, InterruptedCompactionKeepsTheNewerCopy) {
  // Block 1 (b0, b1) becomes empty; compaction rewrites segment 1 as
  // segment 4. A crash after the commit leaves segment 1 too; then the
  // index is lost: the rebuild must take block 0 from segment 4 (the higher
  // sequence number), keep b0 and b1 removed, and not bring back block 1.
  auto old = slurp(seg(1));
  {
    GalleryStore s = GalleryStore::open(dir_, Mode::kReadWrite);
    Strings gone = {"b0", "b1"};
    s.remove(gone);
    CompactReport c = s.compact();
    ASSERT_EQ(c.blocks_dropped, 1u);
    before_ = snapshot(s);
  }
  spit(seg(1), old);
  fs::remove(dir_ / "ids.sqlite");
  expect_rebuilt_losing_nothing(GalleryStore::repair(dir_));
  EXPECT_FALSE(fs::exists(seg(1)));
  expect_intact_except({});
  GalleryStore s = GalleryStore::open(dir_, Mode::kReadOnly);
  EXPECT_FALSE(s.find("b0"));
  EXPECT_FALSE(s.find("b1"));
  EXPECT_EQ(s.block_count(), 4u);
  EXPECT_EQ(s.block_origin(0).segment_file, "seg-000004.vseg");
  EXPECT_EQ(s.live_count(), 11u);  // 15 enrolled; a1, e2, b0, b1 removed
}

TEST_F(Repair, CompletesARemoveInterruptedAfterItsLogRecord) {
  {
    // What a remove of c1 killed between its log record and its transaction leaves.
    std::ofstream f(dir_ / "removed.log", std::ios::binary | std::ios::app);
    auto rec = encode_removal_record({2, 1});
    f.write(reinterpret_cast<const char*>(rec.data()), static_cast<std::streamsize>(rec.size()));
  }
  {
    GalleryStore s = GalleryStore::open(dir_, Mode::kReadOnly);
    EXPECT_TRUE(s.find("c1"));
    VerifyReport v = s.verify();
    EXPECT_TRUE(v.ok());
    ASSERT_EQ(v.notes.size(), 1u);
    EXPECT_NE(v.notes[0].find("interrupted remove"), std::string::npos) << v.notes[0];
  }
  RepairReport r = GalleryStore::repair(dir_);
  EXPECT_EQ(r.completed_removals, (Strings{"c1"}));
  EXPECT_TRUE(r.lost_ids.empty());
  EXPECT_FALSE(r.index_rebuilt);
  before_[2].slots[1].reset();
  expect_intact_except({});
  expect_second_repair_is_a_no_op();
}

TEST_F(Repair, NotAStore) {
  expect_store_error([&] { GalleryStore::repair(root_ / "nothing"); }, {"no store"});
  fs::create_directory(root_ / "empty");
  expect_store_error([&] { GalleryStore::repair(root_ / "empty"); }, {"no store"});
  EXPECT_TRUE(fs::is_empty(root_ / "empty"));
}
