// The on-disk encrypted gallery: fixed-size opaque blocks (produced by the
// search layer) in append-only segment files, external ids and labels in
// SQLite. See README.md in this directory for the layout and guarantees.
//
//   GalleryStore s = GalleryStore::create(dir, config);
//   s.append(blocks, key_id);            // durable when it returns
//   std::span<const std::uint8_t> b = s.block(0);   // mmap'ed, 64-byte aligned
//   s.remove(ids);  s.compact();  s.verify();
//   GalleryStore::repair(dir);           // when open or verify() reports damage
//
// One writer (kReadWrite) or any number of readers (kReadOnly) at a time,
// enforced with a lock file; a second writer, or a writer while readers are
// open, gets a StoreError. Lookups (block, slot, find, info, verify) may run
// from several threads at once; writes (append, remove, compact) must not run
// concurrently with anything else on the same object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "veil/io/key_id.h"
#include "veil/io/unique_fd.h"
#include "veil/store/errors.h"
#include "veil/store/format.h"

namespace veil::store {

enum class Mode { kReadOnly, kReadWrite };

// One block to append: exactly config().block_bytes bytes holding the
// templates of ids[0..n) in slots 0..n-1 (1 <= n <= slots_per_block).
struct BlockInput {
  std::span<const std::uint8_t> bytes;
  std::vector<std::string> ids;     // non-empty, at most kMaxIdBytes each, unique among live ids
  std::vector<std::string> labels;  // empty, or one per id (at most kMaxLabelBytes each)
};

struct Location {
  std::size_t block = 0;
  std::uint32_t slot = 0;
  bool operator==(const Location&) const = default;
};

struct SlotInfo {
  std::string id;
  std::string label;  // empty when none was given
};

// Called while an append or a compaction writes: bytes written so far, total.
using ProgressCallback = std::function<void(std::uint64_t done, std::uint64_t total)>;

struct CompactReport {
  std::size_t blocks_dropped = 0;      // blocks whose used slots were all removed
  std::size_t tombstones_dropped = 0;  // removed templates whose ciphertext left the disk
  std::size_t segments_rewritten = 0;  // replaced by a new segment with the kept blocks
  std::size_t segments_deleted = 0;    // old segments deleted (rewritten or emptied)
  std::uint64_t bytes_before = 0;      // segment bytes at rest
  std::uint64_t bytes_after = 0;
};

// Where a block lives, for error messages (e.g. a search that finds block i
// damaged names the file and the templates concerned).
struct BlockOrigin {
  std::string segment_file;    // "seg-000003.vseg"
  std::uint64_t position = 0;  // in that segment
  std::int64_t block_id = 0;   // stable block id (survives compaction)
  std::string first_id;        // id in slot 0 (live or removed)
  std::string last_id;         // id in the last used slot (live or removed)
};

// One block that repair() salvaged or dropped.
struct RepairedBlock {
  std::int64_t block_id = 0;  // stable block id
  std::string segment;        // the file it was in
  std::uint64_t position = 0;
  std::string reason;  // dropped: why ("checksum mismatch: ...", "segment file missing", ...)
  bool operator==(const RepairedBlock&) const = default;
};

struct RepairReport {
  // Ids whose templates were lost (live before the damage, gone now), in
  // block and slot order. Removed templates in dropped blocks are not listed.
  std::vector<std::string> lost_ids;
  // Intact blocks copied out of a damaged segment into a new one (same
  // stable id, same ids and labels, same order).
  std::vector<RepairedBlock> salvaged;
  // Blocks that could not be kept (damaged bytes, or their segment is
  // missing or unreadable).
  std::vector<RepairedBlock> dropped;
  // Files moved (or linked) into quarantine/<UTC timestamp>/, relative to
  // the store directory. Damaged files are never deleted.
  std::vector<std::string> quarantined;
  // Ids whose removal was logged in removed.log but never committed to the
  // index (a remove interrupted between the two): now removed, as a rebuild
  // would. In block and slot order.
  std::vector<std::string> completed_removals;
  std::vector<std::string> notes;  // what was done and what could not be known
  bool index_rebuilt = false;      // ids.sqlite rebuilt from segment trailers and removed.log
  bool manifest_rebuilt = false;   // manifest.json rewritten from the index's copy
  bool log_rebuilt = false;        // removed.log rewritten from the index
  // False when the store was sound: nothing was changed.
  bool changed() const {
    return !lost_ids.empty() || !salvaged.empty() || !dropped.empty() || !quarantined.empty() ||
           !completed_removals.empty() || index_rebuilt || manifest_rebuilt || log_rebuilt;
  }
};

struct VerifyReport {
  std::vector<std::string> problems;  // damage or inconsistency; empty when the store is sound
  std::vector<std::string> notes;     // harmless findings (leftovers of an interrupted write)
  std::size_t segments_checked = 0;
  std::size_t blocks_checked = 0;
  std::uint64_t bytes_hashed = 0;
  bool ok() const { return problems.empty(); }
};

struct InfoReport {
  std::uint64_t param_id = 0;
  io::KeyId key_id;  // the key set the store's templates are encrypted with
  std::uint64_t block_bytes = 0;
  std::uint32_t slots_per_block = 0;
  std::string created;
  std::size_t segments = 0;
  std::size_t blocks = 0;
  std::size_t slots_used = 0;  // live + tombstoned
  std::size_t live = 0;
  std::size_t tombstoned = 0;  // removed, ciphertext still at rest until compaction
  std::uint64_t segment_bytes = 0;
  std::uint64_t index_bytes = 0;    // ids.sqlite
  std::uint64_t bytes_at_rest = 0;  // segments + index + manifest
};

class GalleryStore {
 public:
  // Creates a store in `dir` (its parent must exist) and opens it
  // read-write. Atomic: the store is built in a temporary sibling directory
  // `.<name>.creating-<hex>`, made durable, then renamed to `dir` (replacing
  // an empty directory); a crash at any point leaves no store or a complete
  // empty one, and the next create or read-write open of `dir` removes the
  // temporary directories of killed creates. Fails if `dir` exists and is
  // not an empty directory, or if config.key_id is empty.
  // `side_files` (plain names, not the store's own) are written into the
  // store before it appears, so they are there whenever it is (a two-stage
  // gallery's reduction model).
  struct SideFile {
    std::string name;
    std::vector<std::uint8_t> bytes;
  };
  static GalleryStore create(const std::filesystem::path& dir, const StoreConfig& config,
                             std::span<const SideFile> side_files = {});

  // Opens an existing store. Checks the manifest (against the copy in the
  // index), the index, and every segment's header, key id and size (not the
  // checksums: see verify()). A store of an older format (version 1) is
  // refused with a StoreError saying it must be re-enrolled. With
  // `param_id`, a store made for another parameter set is refused. Read-write
  // opening first removes the leftovers of appends and compactions that never
  // committed (temporary and unregistered segment files). After a crash, open
  // read-write once to recover (SQLite rolls back an interrupted transaction).
  static GalleryStore open(const std::filesystem::path& dir, Mode mode,
                           std::optional<std::uint64_t> param_id = std::nullopt);

  GalleryStore(GalleryStore&&) noexcept;
  GalleryStore& operator=(GalleryStore&&) noexcept;
  ~GalleryStore();

  const StoreConfig& config() const;
  const std::filesystem::path& dir() const;
  Mode mode() const;

  // Appends whole blocks as one new segment, atomically: all land or none.
  // Invalid input (wrong block size, no ids or too many, empty or over-long
  // id, label count not matching, an id repeated in the batch or live in the
  // store) is a StoreError before anything is written. Returns once the
  // blocks and ids are durable (segment and directory fsync'ed, SQLite
  // transaction committed with synchronous=FULL). An empty batch does nothing.
  // `writer` is the key id the blocks were made with: if it is not the
  // store's (config().key_id), a StoreError naming the store and both
  // fingerprints comes before any other check or work, and nothing is added.
  // Ids and labels must be clean text (io::text_problem): a StoreError names
  // the block and slot in the batch otherwise.
  void append(std::span<const BlockInput> blocks, const io::KeyId& writer,
              const ProgressCallback& progress = {});

  std::size_t block_count() const;
  std::size_t live_count() const;  // ids not removed

  // Block i (0 <= i < block_count(), in append order), memory-mapped
  // read-only and 64-byte aligned. Valid while the store is open and until
  // the next compact(), which renumbers blocks. Out of range: StoreError.
  std::span<const std::uint8_t> block(std::size_t i) const;
  std::uint32_t block_slots_used(std::size_t i) const;
  // Recomputes block i's checksum and compares it with the index: nullopt
  // when intact, else a message naming the segment file, the block and the
  // first hex digits of both checksums. Out of range: StoreError.
  std::optional<std::string> block_damage(std::size_t i) const;
  // Where block i lives: segment file, position, stable id, the ids in its
  // first and last used slots. Out of range: StoreError.
  BlockOrigin block_origin(std::size_t i) const;
  // madvise hints for a scan: the whole gallery is read in order / these
  // blocks will be needed soon.
  void advise_sequential() const;
  void prefetch(std::size_t first_block, std::size_t count) const;

  // The id and label in (block, slot); nullopt when the slot is unused or
  // its template was removed. Block out of range: StoreError.
  std::optional<SlotInfo> slot(std::size_t block, std::uint32_t slot) const;
  // Every slot of block `block` at once (one query): entry i is slot i's
  // id and label, nullopt when it is unused or removed.
  std::vector<std::optional<SlotInfo>> block_slots(std::size_t block) const;
  // Where a live id is; nullopt when it is not in the store (or was removed).
  std::optional<Location> find(const std::string& id) const;

  // Tombstones the given ids and returns how many. An id that is not live
  // (unknown, already removed, listed twice) is a StoreError and nothing is
  // removed. First a record per removed (block, slot) is appended to
  // removed.log and fsync'ed, then one index transaction marks them removed:
  // so that an index rebuilt from the segments (repair) keeps them removed.
  // The ciphertext stays at rest until compact() drops its whole block.
  std::size_t remove(std::span<const std::string> ids);

  // Drops every block whose used slots are all removed: each segment holding
  // such a block is rewritten without it (a new segment file, durable, then
  // one SQLite transaction switches to it, then the old file is deleted), so
  // a crash at any point leaves the old or the new state. Block indices of
  // later blocks shift down; earlier spans from block() become invalid.
  CompactReport compact(const ProgressCallback& progress = {});

  // Reads everything: each segment's checksum, header and key id against the
  // index, every block's checksum, each trailer against the index (block
  // ids, slots used, ids, labels), the manifest against the index and its
  // copy there, SQLite's integrity check, the block and slot tables against
  // each other, and the removal log against the tombstones. Reports each
  // problem with its segment and block; never modifies and never throws for
  // damage (only for OS failures such as EIO).
  VerifyReport verify() const;

  // Repairs a damaged store, also one that open() refuses. Takes the
  // exclusive lock, then: drops blocks whose bytes fail their checksum;
  // salvages the intact blocks of a segment with a damaged header, envelope
  // checksum or trailer, or a truncated one, into a new segment; drops the
  // blocks of a missing segment; rebuilds a missing or damaged ids.sqlite
  // from the manifest, the segment trailers and removed.log; rewrites a
  // missing or damaged manifest.json from the index's copy; rewrites a
  // damaged removed.log from the index. Damaged files are moved into
  // quarantine/<UTC timestamp>/, never deleted. A sound store is left
  // unchanged (the report says so). Afterwards the store opens and verify()
  // is clean. What cannot be recovered (manifest AND index both lost; the
  // ids of a segment whose trailer is lost while the index is too) is a
  // StoreError, or a note, and README.md lists it.
  static RepairReport repair(const std::filesystem::path& dir);

  InfoReport info() const;

 private:
  struct Impl;
  explicit GalleryStore(std::unique_ptr<Impl> impl);
  static GalleryStore open_locked(const std::filesystem::path& dir, Mode mode,
                                  std::optional<std::uint64_t> param_id, io::UniqueFd lock);
  std::unique_ptr<Impl> impl_;
};

}  // namespace veil::store
