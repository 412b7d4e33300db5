// The on-disk encrypted gallery: fixed-size opaque blocks (produced by the
// search layer) in append-only segment files, external ids and labels in
// SQLite. See README.md in this directory for the layout and guarantees.
//
//   GalleryStore s = GalleryStore::create(dir, config);
//   s.append(blocks);                    // durable when it returns
//   std::span<const std::uint8_t> b = s.block(0);   // mmap'ed, 64-byte aligned
//   s.remove(ids);  s.compact();  s.verify();
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
  // Creates a store in `dir` (created if missing; its parent must exist) and
  // opens it read-write. Fails if `dir` exists and is not an empty directory.
  static GalleryStore create(const std::filesystem::path& dir, const StoreConfig& config);

  // Opens an existing store. Checks the manifest, the index, and every
  // segment's header and size (not the checksums: see verify()). With
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
  void append(std::span<const BlockInput> blocks, const ProgressCallback& progress = {});

  std::size_t block_count() const;
  std::size_t live_count() const;  // ids not removed

  // Block i (0 <= i < block_count(), in append order), memory-mapped
  // read-only and 64-byte aligned. Valid while the store is open and until
  // the next compact(), which renumbers blocks. Out of range: StoreError.
  std::span<const std::uint8_t> block(std::size_t i) const;
  std::uint32_t block_slots_used(std::size_t i) const;
  // madvise hints for a scan: the whole gallery is read in order / these
  // blocks will be needed soon.
  void advise_sequential() const;
  void prefetch(std::size_t first_block, std::size_t count) const;

  // The id and label in (block, slot); nullopt when the slot is unused or
  // its template was removed. Block out of range: StoreError.
  std::optional<SlotInfo> slot(std::size_t block, std::uint32_t slot) const;
  // Where a live id is; nullopt when it is not in the store (or was removed).
  std::optional<Location> find(const std::string& id) const;

  // Tombstones the given ids in one transaction and returns how many. An id
  // that is not live (unknown, already removed, listed twice) is a StoreError
  // and nothing is removed. The ciphertext stays at rest until compact()
  // drops its whole block.
  std::size_t remove(std::span<const std::string> ids);

  // Drops every block whose used slots are all removed: each segment holding
  // such a block is rewritten without it (a new segment file, durable, then
  // one SQLite transaction switches to it, then the old file is deleted), so
  // a crash at any point leaves the old or the new state. Block indices of
  // later blocks shift down; earlier spans from block() become invalid.
  CompactReport compact(const ProgressCallback& progress = {});

  // Reads everything: each segment's checksum and header against the index,
  // the manifest against the index, SQLite's integrity check, and the block
  // and slot tables against each other. Reports problems; never modifies and
  // never throws for damage (only for OS failures such as EIO).
  VerifyReport verify() const;

  InfoReport info() const;

 private:
  struct Impl;
  explicit GalleryStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace veil::store
