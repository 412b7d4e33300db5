// Internal pieces shared by gallery_store.cpp and repair.cpp: file helpers,
// the read-only mapping, the index schema, the streaming segment writer, the
// removal log and the quarantine. Not part of the store's API.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "veil/io/unique_fd.h"
#include "veil/store/format.h"
#include "veil/store/gallery_store.h"
#include "veil/store/sqlite_db.h"

namespace veil::store::detail {

namespace fs = std::filesystem;
using Fd = io::UniqueFd;

inline constexpr const char* kManifestFile = "manifest.json";
inline constexpr const char* kIndexFile = "ids.sqlite";
inline constexpr const char* kLockFile = "lock";
inline constexpr const char* kRemovalLogFile = "removed.log";
inline constexpr const char* kQuarantineDir = "quarantine";
inline constexpr std::size_t kHashChunk = std::size_t{8} << 20;

std::string q(const fs::path& p);
std::string num(std::uint64_t v);
[[noreturn]] void sys_fail(const std::string& what, const fs::path& p);
Fd open_file(const fs::path& p, int flags, mode_t mode = 0);
void fsync_fd(int fd, const fs::path& p);
void fsync_dir(const fs::path& dir);
void write_all(int fd, std::span<const std::uint8_t> b, const fs::path& p);
// Reads exactly b.size() bytes at `off`; false if the file ends first.
bool pread_all(int fd, std::span<std::uint8_t> b, std::uint64_t off, const fs::path& p);
std::uint64_t file_size_or_zero(const fs::path& p);
// Writes a new file (O_EXCL) and fsyncs it (not the directory).
void write_new_file(const fs::path& p, std::span<const std::uint8_t> bytes);
std::string utc_now();    // 2026-11-21T08:43:43Z
std::string utc_stamp();  // 20261121T084343Z

// A read-only shared mapping of a whole file.
class Mapping {
 public:
  Mapping() = default;
  Mapping(int fd, std::size_t size, const fs::path& p);
  Mapping(Mapping&& o) noexcept;
  Mapping& operator=(Mapping&& o) noexcept;
  ~Mapping();
  const std::uint8_t* data() const { return base_; }
  std::size_t size() const { return size_; }

 private:
  void unmap();
  const std::uint8_t* base_ = nullptr;
  std::size_t size_ = 0;
};

// flock(2) on `dir`/lock: exclusive for kReadWrite (the file is created if
// missing), shared for kReadOnly. "in use" StoreError when taken.
Fd take_lock(const fs::path& dir, Mode mode);

// The index: schema, pragmas, meta.
extern const char* const kSchema;
void configure(Db& db, bool writable);
std::int64_t meta_int(const Db& db, const char* key);
std::string meta_text(const Db& db, const char* key);
std::vector<std::uint8_t> meta_blob(const Db& db, const char* key);
// Creates the schema and every meta row (in the caller's transaction).
void init_index(const Db& db, const StoreConfig& config, std::span<const std::uint8_t> manifest,
                std::uint64_t next_segment, std::int64_t next_block);
// The manifest copy kept in meta, checked against its checksum; nullopt
// (and `why`) when absent or damaged.
std::optional<std::vector<std::uint8_t>> manifest_copy(const Db& db, std::string* why);

// A block on its way into a new segment.
struct BlockToWrite {
  const std::uint8_t* data = nullptr;
  TrailerBlock entry;  // block id and slots; the checksum is filled in unless `known`
  bool known = false;  // entry.checksum is recorded: the bytes must still match it
};

struct WrittenSegment {
  std::uint64_t seq = 0;
  fs::path path;
  std::uint64_t bytes = 0;
  std::uint64_t blocks = 0;
  Checksum checksum{};
};

// Streams a segment to a temporary file, makes it durable and renames it to
// its final name (then fsyncs the directory). On failure nothing is left.
// A block whose bytes no longer match a known checksum is a StoreError.
WrittenSegment write_segment(const fs::path& dir, const StoreConfig& config, std::uint64_t seq,
                             std::vector<BlockToWrite>& blocks, const ProgressCallback& progress,
                             std::uint64_t& done, std::uint64_t total);
struct SegmentScan {
  Checksum envelope{};
  std::vector<Checksum> blocks;  // for the blocks wholly present
  std::vector<std::uint8_t> trailer;
  bool complete = true;  // false if the file ended early
};

// Hashes a segment file of `size` bytes in one pass: the envelope checksum
// (over its header fields and payload), the checksum of every block among
// the first `block_count` that is wholly present, and (if `keep_trailer`)
// the bytes after those blocks.
SegmentScan scan_segment(int fd, const fs::path& p, std::uint64_t size, std::uint64_t block_bytes,
                         std::uint64_t block_count, std::uint64_t* hashed, bool keep_trailer);

// Best effort: a failed removal leaves a file that the next read-write open removes.
void discard(const fs::path& dir, const std::vector<WrittenSegment>& written);

void insert_segment_row(const Db& db, const WrittenSegment& w);
void insert_block_row(const Db& db, std::int64_t block, std::uint64_t seq, std::uint64_t position,
                      std::uint64_t block_bytes, std::uint32_t slots_used, const Checksum& sum);
void insert_slot_row(const Db& db, std::int64_t block, std::uint32_t slot, const std::string& id,
                     const std::optional<std::string>& label, bool deleted);

// Appends records to `dir`/removed.log and fsyncs it. A torn last record (an
// interrupted remove) is cut off first. A missing log, or one whose header is
// not this store's, is a StoreError (nothing written).
void append_removals(const fs::path& dir, const io::KeyId& key,
                     std::span<const RemovalRecord> records);
std::vector<std::uint8_t> removal_log_bytes(const io::KeyId& key,
                                            std::span<const RemovalRecord> records);

// Moves damaged files out of the way into quarantine/<UTC timestamp>/,
// created on first use.
class Quarantine {
 public:
  explicit Quarantine(fs::path store) : store_(std::move(store)) {}
  // Hard-links (or copies) `name` into the quarantine: the original stays
  // until the caller removes it. Returns the path relative to the store.
  std::string keep_copy(const std::string& name);
  // Renames `name` into the quarantine.
  std::string move(const std::string& name);
  const std::vector<std::string>& files() const { return files_; }

 private:
  fs::path dir();
  fs::path store_;
  fs::path dir_;
  std::vector<std::string> files_;
};

// Removes `.<name>.creating-*` siblings of `dir` left by a killed create
// (skipping one whose creator still holds its lock).
void remove_creating_leftovers(const fs::path& dir);

// Leftovers of interrupted writes in a store directory.
bool is_temp_name(const std::string& n);

}  // namespace veil::store::detail
