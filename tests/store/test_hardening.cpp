// Key identity, text fields, the removal log and old formats: what a hostile
// or careless caller can no longer do to a store.
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "expect_error.h"
#include "store/store_test_util.h"
#include "veil/store/format.h"
#include "veil/store/gallery_store.h"

using namespace veil::store;
using veil::test::block_bytes;
using veil::test::kKey;
using veil::test::kOtherKey;
using veil::test::small_config;
namespace fs = std::filesystem;

namespace {

using Strings = std::vector<std::string>;

class Hardening : public veil::test::StoreTest {
 protected:
  std::map<std::string, std::vector<std::uint8_t>> contents() const {
    std::map<std::string, std::vector<std::uint8_t>> out;
    for (const auto& e : fs::directory_iterator(dir_)) {
      std::ifstream f(e.path(), std::ios::binary);
      out[e.path().filename()] = {std::istreambuf_iterator<char>(f), {}};
    }
    return out;
  }
};

template <class F>
void expect_store_error(F f, std::initializer_list<const char*> fragments) {
  veil::test::expect_error<StoreError>(f, fragments);
}

}  // namespace

TEST_F(Hardening, ConfigNeedsAKeyId) {
  StoreConfig c = small_config();
  c.key_id = {};
  expect_store_error([&] { GalleryStore::create(dir_, c); }, {"key_id is empty"});
  EXPECT_FALSE(fs::exists(dir_));
}

TEST_F(Hardening, AppendWithAnotherKeyIsRefusedBeforeAnyWork) {
  GalleryStore s = GalleryStore::create(dir_, small_config());
  auto b = block_bytes(1, 1);
  std::vector<BlockInput> first = {{b, {"p"}, {}}};
  s.append(first, kKey);
  auto before = contents();
  // Also an otherwise invalid batch: the key is checked first.
  std::vector<BlockInput> batch = {{b, {"q"}, {}}};
  std::vector<BlockInput> bad = {{std::span(b).first(10), {}, {}}};
  for (const auto* in : {&batch, &bad}) {
    expect_store_error([&] { s.append(*in, kOtherKey); },
                       {"another key", "nothing was added", kOtherKey.hex().c_str(),
                        kKey.hex().c_str(), dir_.c_str()});
  }
  EXPECT_EQ(s.block_count(), 1u);
  EXPECT_EQ(s.live_count(), 1u);
  EXPECT_FALSE(s.find("q"));
  EXPECT_TRUE(contents() == before) << "a refused append changed the store";
  EXPECT_TRUE(s.verify().ok());
  EXPECT_EQ(s.info().key_id, kKey);
}

TEST_F(Hardening, SegmentOfAnotherKeyIsRefusedOnOpen) {
  auto b = block_bytes(2, 2);
  std::vector<BlockInput> batch = {{b, {"x"}, {}}};
  { GalleryStore::create(dir_, small_config()).append(batch, kKey); }
  fs::path other = root_ / "other";
  StoreConfig oc = small_config();
  oc.key_id = kOtherKey;
  // Same ids (so the file sizes agree), other ciphertext bytes.
  auto ob = block_bytes(2, 3);
  std::vector<BlockInput> obatch = {{ob, {"x"}, {}}};
  { GalleryStore::create(other, oc).append(obatch, kOtherKey); }
  fs::copy_file(other / "seg-000001.vseg", dir_ / "seg-000001.vseg",
                fs::copy_options::overwrite_existing);
  expect_store_error(
      [&] { GalleryStore::open(dir_, Mode::kReadOnly); },
      {"seg-000001.vseg", "another key", kOtherKey.hex().c_str(), kKey.hex().c_str()});
  // Repair drops it (its blocks are not this store's) and keeps it in quarantine.
  RepairReport r = GalleryStore::repair(dir_);
  EXPECT_EQ(r.lost_ids, (Strings{"x"}));
  EXPECT_EQ(r.quarantined.size(), 1u);
  GalleryStore s = GalleryStore::open(dir_, Mode::kReadOnly);
  EXPECT_EQ(s.block_count(), 0u);
  EXPECT_TRUE(s.verify().ok());
}

TEST_F(Hardening, VerifyChecksKeyIds) {
  auto b = block_bytes(3, 3);
  std::vector<BlockInput> batch = {{b, {"x"}, {}}};
  { GalleryStore::create(dir_, small_config()).append(batch, kKey); }
  GalleryStore s = GalleryStore::open(dir_, Mode::kReadOnly);
  EXPECT_TRUE(s.verify().ok());
  // The key id in the segment header, changed after open.
  {
    std::fstream f(dir_ / "seg-000001.vseg", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x7f');
  }
  VerifyReport v = s.verify();
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.problems[0].find("another key"), std::string::npos) << v.problems[0];
}

TEST_F(Hardening, IdsAndLabelsMustBeCleanText) {
  GalleryStore s = GalleryStore::create(dir_, small_config());
  auto b = block_bytes(4, 4);
  auto before = contents();
  auto check = [&](std::vector<BlockInput> batch, std::initializer_list<const char*> frags) {
    expect_store_error([&] { s.append(batch, kKey); }, frags);
    EXPECT_EQ(s.block_count(), 0u);
    EXPECT_TRUE(contents() == before);
  };
  check({{b, {"ok"}, {}}, {b, {"fine", "bad\x01id"}, {}}},
        {"block 1 of the batch", "slot 1", "id is not clean text",
         "control character U+0001 at byte 3", "nothing was added"});
  check({{b, {"a", "b", "c"}, {"l0", "l1", "\xff"}}},
        {"block 0 of the batch", "slot 2", "label is not clean text", "invalid UTF-8 at byte 0"});
  check({{b, {std::string("nul\0x", 5)}, {}}}, {"slot 0", "control character U+0000"});
  check({{b, {"x"}, {"\xc0\xaf"}}}, {"invalid UTF-8"});  // overlong form
  // Clean non-ASCII text is fine.
  std::vector<BlockInput> ok = {{b, {"zoë", "李"}, {"café", ""}}};
  s.append(ok, kKey);
  EXPECT_EQ(s.slot(0, 0)->id, "zoë");
  EXPECT_EQ(s.slot(0, 0)->label, "café");
}

TEST_F(Hardening, RemovedTemplatesStayRemovedAfterAnIndexRebuild) {
  {
    GalleryStore s = GalleryStore::create(dir_, small_config());
    auto b0 = block_bytes(5, 0), b1 = block_bytes(5, 1);
    std::vector<BlockInput> batch = {{b0, {"k0", "k1", "k2"}, {}}, {b1, {"m0", "m1"}, {}}};
    s.append(batch, kKey);
    Strings gone = {"k1", "m0", "m1"};
    EXPECT_EQ(s.remove(gone), 3u);
    // A removed id enrolled again is a new template (and stays live).
    auto b2 = block_bytes(5, 2);
    std::vector<BlockInput> again = {{b2, {"k1"}, {"back"}}};
    s.append(again, kKey);
  }
  // The removal log holds one record per removal: header + 3 x 32 bytes.
  EXPECT_EQ(fs::file_size(dir_ / "removed.log"), 32u + 3 * 32);
  fs::remove(dir_ / "ids.sqlite");
  RepairReport r = GalleryStore::repair(dir_);
  EXPECT_TRUE(r.index_rebuilt);
  EXPECT_TRUE(r.lost_ids.empty());
  GalleryStore s = GalleryStore::open(dir_, Mode::kReadOnly);
  EXPECT_TRUE(s.verify().ok());
  EXPECT_EQ(s.live_count(), 3u);  // k0, k2, the new k1
  EXPECT_FALSE(s.find("m0"));
  EXPECT_FALSE(s.find("m1"));
  EXPECT_FALSE(s.slot(0, 1));  // the old k1
  EXPECT_EQ(s.find("k1"), (Location{2, 0}));
  EXPECT_EQ(s.slot(2, 0)->label, "back");
  EXPECT_EQ(s.info().tombstoned, 3u);
  EXPECT_EQ(s.block_count(), 3u);
}

TEST_F(Hardening, RemoveNeedsTheLogAndChecksBeforeWriting) {
  GalleryStore s = GalleryStore::create(dir_, small_config());
  auto b = block_bytes(6, 0);
  std::vector<BlockInput> batch = {{b, {"r0", "r1"}, {}}};
  s.append(batch, kKey);
  Strings unknown = {"r0", "nope"};
  expect_store_error([&] { s.remove(unknown); }, {"'nope' is not in the store"});
  EXPECT_EQ(fs::file_size(dir_ / "removed.log"), 32u);  // nothing logged
  Strings one = {"r0"};
  {
    std::fstream f(dir_ / "removed.log", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.put('\x55');  // the key id in the header
  }
  expect_store_error([&] { s.remove(one); }, {"header is damaged", "nothing was removed"});
  EXPECT_EQ(fs::file_size(dir_ / "removed.log"), 32u);
  fs::remove(dir_ / "removed.log");
  expect_store_error([&] { s.remove(one); }, {"removal log is missing", "nothing was removed"});
  EXPECT_TRUE(s.find("r0"));
  VerifyReport v = s.verify();
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.problems[0].find("removed.log"), std::string::npos);
}

TEST_F(Hardening, TornRemovalRecordIsCutOffByTheNextRemove) {
  GalleryStore s = GalleryStore::create(dir_, small_config());
  auto b = block_bytes(7, 0);
  std::vector<BlockInput> batch = {{b, {"t0", "t1"}, {}}};
  s.append(batch, kKey);
  {
    std::ofstream f(dir_ / "removed.log", std::ios::binary | std::ios::app);
    f << "partial";  // a remove killed while writing its record
  }
  VerifyReport v = s.verify();
  EXPECT_TRUE(v.ok());
  ASSERT_EQ(v.notes.size(), 1u);
  EXPECT_NE(v.notes[0].find("partial last record"), std::string::npos);
  Strings one = {"t1"};
  s.remove(one);
  EXPECT_EQ(fs::file_size(dir_ / "removed.log"), 64u);
  v = s.verify();
  EXPECT_TRUE(v.ok());
  EXPECT_TRUE(v.notes.empty());
}

TEST_F(Hardening, VersionOneStoresAreRefused) {
  fs::create_directory(dir_);
  std::ofstream(dir_ / "manifest.json") << R"({
  "format": "veil-gallery-store",
  "version": 1,
  "param_id": "5eed00001234abcd",
  "block_bytes": 4096,
  "slots_per_block": 16,
  "search_config": "",
  "created": "2026-11-21T08:43:43Z"
}
)";
  std::ofstream(dir_ / "ids.sqlite") << "";
  std::ofstream(dir_ / "seg-000001.vseg") << "old";
  for (Mode m : {Mode::kReadOnly, Mode::kReadWrite}) {
    expect_store_error([&] { GalleryStore::open(dir_, m); },
                       {"made by an older Veil", "Re-enroll the templates into a new store"});
  }
  auto before = contents();
  expect_store_error([&] { GalleryStore::repair(dir_); }, {"older Veil", "re-enroll"});
  EXPECT_TRUE(contents() == before);
}

TEST_F(Hardening, BlockOrigin) {
  GalleryStore s = GalleryStore::create(dir_, small_config());
  auto b0 = block_bytes(8, 0), b1 = block_bytes(8, 1);
  std::vector<BlockInput> batch = {{b0, {"f0", "f1", "f2"}, {}}};
  s.append(batch, kKey);
  std::vector<BlockInput> batch2 = {{b0, {"g0"}, {}}, {b1, {"h0", "h1"}, {}}};
  s.append(batch2, kKey);
  Strings gone = {"f2"};
  s.remove(gone);
  BlockOrigin o = s.block_origin(2);
  EXPECT_EQ(o.segment_file, "seg-000002.vseg");
  EXPECT_EQ(o.position, 1u);
  EXPECT_EQ(o.block_id, 2);
  EXPECT_EQ(o.first_id, "h0");
  EXPECT_EQ(o.last_id, "h1");
  o = s.block_origin(0);
  EXPECT_EQ(o.first_id, "f0");
  EXPECT_EQ(o.last_id, "f2");  // removed ids still name the block
  expect_store_error([&] { s.block_origin(3); }, {"out of range"});
  expect_store_error([&] { s.block_damage(3); }, {"out of range"});
  for (std::size_t i = 0; i < 3; ++i) EXPECT_FALSE(s.block_damage(i));
}
