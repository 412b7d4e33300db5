#include "veil/store/gallery_store.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <map>
#include <set>
#include <system_error>
#include <unordered_set>
#include <utility>

#include "veil/io/envelope.h"
#include "veil/io/errors.h"
#include "veil/io/file_io.h"
#include "veil/io/unique_fd.h"
#include "veil/store/sqlite_db.h"

namespace veil::store {
namespace {

namespace fs = std::filesystem;
using detail::Db;
using detail::Stmt;
using detail::Transaction;

constexpr const char* kManifestFile = "manifest.json";
constexpr const char* kIndexFile = "ids.sqlite";
constexpr const char* kLockFile = "lock";
constexpr std::size_t kHashChunk = std::size_t{8} << 20;

std::string q(const fs::path& p) {
  std::string s = "'";
  s += p.string();
  s += '\'';
  return s;
}

std::string num(std::uint64_t v) { return std::to_string(v); }

[[noreturn]] void sys_fail(const std::string& what, const fs::path& p) {
  throw std::system_error(errno, std::generic_category(), what + " " + q(p));
}

using Fd = io::UniqueFd;

Fd open_file(const fs::path& p, int flags, mode_t mode = 0) {
  int fd;
  do {
    fd = ::open(p.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return Fd(fd);
}

void fsync_fd(int fd, const fs::path& p) {
  int rc;
  do {
    rc = ::fsync(fd);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) sys_fail("cannot fsync", p);
}

void fsync_dir(const fs::path& dir) {
  Fd d = open_file(dir, O_RDONLY | O_DIRECTORY);
  if (d.get() < 0) sys_fail("cannot open directory", dir);
  fsync_fd(d.get(), dir);
}

void write_all(int fd, std::span<const std::uint8_t> b, const fs::path& p) {
  std::size_t done = 0;
  while (done < b.size()) {
    ssize_t n = ::write(fd, b.data() + done, b.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      sys_fail("cannot write", p);
    }
    done += static_cast<std::size_t>(n);
  }
}

// Reads exactly b.size() bytes at `off`; false if the file ends first.
bool pread_all(int fd, std::span<std::uint8_t> b, std::uint64_t off, const fs::path& p) {
  std::size_t done = 0;
  while (done < b.size()) {
    ssize_t n = ::pread(fd, b.data() + done, b.size() - done, static_cast<off_t>(off + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      sys_fail("cannot read", p);
    }
    if (n == 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::uint64_t file_size_or_zero(const fs::path& p) {
  std::error_code ec;
  auto s = fs::file_size(p, ec);
  return ec ? 0 : s;
}

std::string utc_now() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// A read-only shared mapping of a whole file.
class Mapping {
 public:
  Mapping() = default;
  Mapping(int fd, std::size_t size, const fs::path& p) : size_(size) {
    void* m = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) sys_fail("cannot map", p);
    base_ = static_cast<const std::uint8_t*>(m);
  }
  Mapping(Mapping&& o) noexcept
      : base_(std::exchange(o.base_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  Mapping& operator=(Mapping&& o) noexcept {
    if (this != &o) {
      unmap();
      base_ = std::exchange(o.base_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  ~Mapping() { unmap(); }
  const std::uint8_t* data() const { return base_; }
  std::size_t size() const { return size_; }

 private:
  void unmap() {
    if (base_) ::munmap(const_cast<std::uint8_t*>(base_), size_);
    base_ = nullptr;
  }
  const std::uint8_t* base_ = nullptr;
  std::size_t size_ = 0;
};

void advise(const std::uint8_t* p, std::size_t n, int advice) {
  if (n == 0) return;
  const std::uintptr_t page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  std::uintptr_t a = reinterpret_cast<std::uintptr_t>(p) & ~(page - 1);
  std::uintptr_t end = reinterpret_cast<std::uintptr_t>(p) + n;
  ::madvise(reinterpret_cast<void*>(a), end - a, advice);  // a hint: errors ignored
}

const char* kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE segments(
  seq INTEGER PRIMARY KEY,
  file TEXT NOT NULL UNIQUE,
  blocks INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  checksum BLOB NOT NULL);
CREATE TABLE blocks(
  block INTEGER PRIMARY KEY,
  segment INTEGER NOT NULL,
  position INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  slots_used INTEGER NOT NULL,
  UNIQUE(segment, position));
CREATE TABLE slots(
  block INTEGER NOT NULL,
  slot INTEGER NOT NULL,
  id TEXT NOT NULL,
  label TEXT,
  deleted INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(block, slot)) WITHOUT ROWID;
CREATE UNIQUE INDEX slots_live_id ON slots(id) WHERE deleted = 0;
)sql";

void configure(Db& db, bool writable) {
  if (writable) {
    db.exec("PRAGMA journal_mode=DELETE");
    db.exec("PRAGMA synchronous=FULL");
  }
}

std::int64_t meta_value(const Db& db, const char* key) {
  Stmt s(db, "SELECT value FROM meta WHERE key = ?");
  s.bind(1, std::string_view(key));
  if (!s.step()) throw StoreError(q(db.path()) + ": meta key '" + key + "' missing");
  return s.i64(0);
}

struct SegmentState {
  std::uint64_t seq = 0;
  std::uint64_t blocks = 0;
  std::uint64_t bytes = 0;
  std::array<std::uint8_t, 32> checksum{};
  Mapping map;
};

struct BlockState {
  std::int64_t id = 0;
  std::uint64_t seq = 0;
  std::uint64_t position = 0;
  const std::uint8_t* data = nullptr;
  std::uint32_t slots_used = 0;
};

struct WrittenSegment {
  std::uint64_t seq = 0;
  fs::path path;
  std::uint64_t bytes = 0;
  std::array<std::uint8_t, 32> checksum{};
};

bool is_segment_name(const std::string& n) {
  return n.size() > 9 && n.rfind("seg-", 0) == 0 && n.compare(n.size() - 5, 5, ".vseg") == 0;
}

bool is_temp_name(const std::string& n) {
  return (n.rfind(".seg-", 0) == 0 && n.size() > 4 && n.compare(n.size() - 4, 4, ".tmp") == 0) ||
         n.rfind(".manifest.json.tmp-", 0) == 0;
}

}  // namespace

struct GalleryStore::Impl {
  fs::path dir;
  Mode mode = Mode::kReadOnly;
  StoreConfig config;
  std::string created;
  Fd lock;
  std::unique_ptr<Db> db;
  std::map<std::uint64_t, SegmentState> segments;
  std::vector<BlockState> blocks;  // ascending block id = append order
  std::size_t live = 0;
  std::size_t tombstoned = 0;
  std::uint64_t next_seq = 1;
  std::int64_t next_block_id = 0;

  std::string where() const { return "store " + q(dir); }

  void require_writable(const char* op) const {
    if (mode != Mode::kReadWrite) {
      throw StoreError(where() + ": " + op + " needs a store opened read-write (opened read-only)");
    }
  }

  const BlockState& block_at(std::size_t i) const {
    if (i >= blocks.size()) {
      throw StoreError(where() + ": block " + num(i) + " out of range (" + num(blocks.size()) +
                       " blocks)");
    }
    return blocks[i];
  }

  std::size_t index_of(std::int64_t id) const {
    auto it = std::lower_bound(blocks.begin(), blocks.end(), id,
                               [](const BlockState& b, std::int64_t v) { return b.id < v; });
    if (it == blocks.end() || it->id != id) {
      throw StoreError(where() + ": index refers to block " + std::to_string(id) +
                       ", which is not loaded");
    }
    return static_cast<std::size_t>(it - blocks.begin());
  }

  // Removes temporary and unregistered segment files (read-write only).
  void remove_leftovers(const std::set<std::string>& registered) {
    bool removed = false;
    for (const auto& e : fs::directory_iterator(dir)) {
      std::string n = e.path().filename().string();
      if (is_temp_name(n) || (is_segment_name(n) && !registered.count(n))) {
        if (::unlink(e.path().c_str()) != 0 && errno != ENOENT) sys_fail("cannot remove", e.path());
        removed = true;
      }
    }
    if (removed) fsync_dir(dir);
  }

  // (Re)loads segments, blocks and counts from the index and maps every
  // segment, checking headers and sizes.
  void load() {
    segments.clear();
    blocks.clear();
    std::string idx = q(dir / kIndexFile);
    // meta against the manifest
    auto check_meta = [&](const char* key, std::uint64_t want) {
      auto got = static_cast<std::uint64_t>(meta_value(*db, key));
      if (got != want) {
        throw StoreError(idx + ": " + key + " " + num(got) + " disagrees with manifest.json (" +
                         num(want) + ")");
      }
    };
    check_meta("format_version", kStoreFormatVersion);
    check_meta("param_id", config.param_id);
    check_meta("block_bytes", config.block_bytes);
    check_meta("slots_per_block", config.slots_per_block);
    next_seq = static_cast<std::uint64_t>(meta_value(*db, "next_segment"));

    std::set<std::string> registered;
    {
      Stmt s(*db, "SELECT seq, file, blocks, bytes, checksum FROM segments ORDER BY seq");
      while (s.step()) {
        SegmentState seg;
        seg.seq = static_cast<std::uint64_t>(s.i64(0));
        std::string file = s.text(1);
        seg.blocks = static_cast<std::uint64_t>(s.i64(2));
        seg.bytes = static_cast<std::uint64_t>(s.i64(3));
        auto sum = s.blob(4);
        if (file != segment_file_name(seg.seq) || sum.size() != 32 || seg.seq >= next_seq) {
          throw StoreError(idx + ": malformed segment row " + num(seg.seq) + " ('" + file + "')");
        }
        std::memcpy(seg.checksum.data(), sum.data(), 32);
        registered.insert(file);
        segments.emplace(seg.seq, std::move(seg));
      }
    }
    if (mode == Mode::kReadWrite) remove_leftovers(registered);

    for (auto& [seq, seg] : segments) {
      fs::path p = dir / segment_file_name(seq);
      std::string name = q(p);
      Fd fd = open_file(p, O_RDONLY);
      if (fd.get() < 0) {
        if (errno == ENOENT)
          throw StoreError(name + ": segment registered in the index is missing");
        sys_fail("cannot open", p);
      }
      struct stat st;
      if (::fstat(fd.get(), &st) != 0) sys_fail("cannot stat", p);
      auto size = static_cast<std::uint64_t>(st.st_size);
      if (size != seg.bytes) {
        throw StoreError(name + ": " + (size < seg.bytes ? "truncated" : "longer than registered") +
                         ": " + num(size) + " bytes, expected " + num(seg.bytes));
      }
      std::array<std::uint8_t, kSegmentDataOffset> head{};
      if (!pread_all(fd.get(), head, 0, p)) throw StoreError(name + ": truncated header");
      SegmentHeader h = parse_segment_header(head, size, config, name);
      if (h.seq != seq || h.block_count != seg.blocks || h.checksum != seg.checksum) {
        throw StoreError(name + ": header (sequence " + num(h.seq) + ", " + num(h.block_count) +
                         " blocks) or checksum disagrees with the index (sequence " + num(seq) +
                         ", " + num(seg.blocks) + " blocks)");
      }
      seg.map = Mapping(fd.get(), static_cast<std::size_t>(size), p);
    }

    std::map<std::uint64_t, std::uint64_t> per_segment;
    Stmt s(*db, "SELECT block, segment, position, offset, slots_used FROM blocks ORDER BY block");
    while (s.step()) {
      BlockState b;
      b.id = s.i64(0);
      b.seq = static_cast<std::uint64_t>(s.i64(1));
      b.position = static_cast<std::uint64_t>(s.i64(2));
      auto offset = static_cast<std::uint64_t>(s.i64(3));
      std::int64_t used = s.i64(4);
      auto it = segments.find(b.seq);
      if (it == segments.end() || b.position >= it->second.blocks ||
          offset != kSegmentDataOffset + b.position * config.block_bytes || used < 1 ||
          used > static_cast<std::int64_t>(config.slots_per_block)) {
        throw StoreError(idx + ": block " + std::to_string(b.id) +
                         " is inconsistent (segment, position, offset or slots_used)");
      }
      b.slots_used = static_cast<std::uint32_t>(used);
      b.data = it->second.map.data() + offset;
      ++per_segment[b.seq];
      blocks.push_back(b);
    }
    for (const auto& [seq, seg] : segments) {
      if (per_segment[seq] != seg.blocks) {
        throw StoreError(idx + ": segment " + num(seq) + " has " + num(seg.blocks) +
                         " blocks, the index lists " + num(per_segment[seq]));
      }
    }
    next_block_id = blocks.empty() ? 0 : blocks.back().id + 1;
    Stmt c(*db, "SELECT COALESCE(SUM(deleted = 0), 0), COALESCE(SUM(deleted != 0), 0) FROM slots");
    c.step();
    live = static_cast<std::size_t>(c.i64(0));
    tombstoned = static_cast<std::size_t>(c.i64(1));
  }

  // Streams a segment holding `data` to a temporary file, makes it durable
  // and renames it to its final name. On failure nothing is left behind.
  WrittenSegment write_segment(std::uint64_t seq, const std::vector<const std::uint8_t*>& data,
                               const ProgressCallback& progress, std::uint64_t& done,
                               std::uint64_t total) {
    WrittenSegment w;
    w.seq = seq;
    w.path = dir / segment_file_name(seq);
    w.bytes = segment_file_size(config.block_bytes, data.size());
    std::string tmp_name = ".";
    tmp_name += segment_file_name(seq);
    tmp_name += ".tmp";
    fs::path tmp = dir / tmp_name;
    ::unlink(tmp.c_str());
    Fd fd = open_file(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd.get() < 0) sys_fail("cannot create", tmp);
    try {
      std::array<std::uint8_t, kSegmentDataOffset> head{};
      std::memcpy(head.data(), io::kEnvelopeMagic, 4);
      head[io::kEnvelopeVersionOffset] = io::kEnvelopeVersion;
      head[io::kEnvelopeTypeOffset] = static_cast<std::uint8_t>(io::ObjectType::GallerySegment);
      for (int i = 0; i < 8; ++i) {
        head[io::kEnvelopeParamIdOffset + i] =
            static_cast<std::uint8_t>(config.param_id >> (8 * i));
        head[io::kEnvelopePayloadSizeOffset + i] =
            static_cast<std::uint8_t>((w.bytes - io::kEnvelopeHeaderSize) >> (8 * i));
      }
      auto sh = encode_segment_header(config, seq, data.size());
      std::memcpy(head.data() + io::kEnvelopeHeaderSize, sh.data(), sh.size());
      crypto_generichash_state st;
      crypto_generichash_init(&st, nullptr, 0, io::kEnvelopeChecksumSize);
      crypto_generichash_update(&st, head.data(), io::kEnvelopeFieldsSize);
      crypto_generichash_update(&st, sh.data(), sh.size());
      write_all(fd.get(), head, tmp);
      for (const std::uint8_t* b : data) {
        std::span<const std::uint8_t> blk(b, static_cast<std::size_t>(config.block_bytes));
        crypto_generichash_update(&st, blk.data(), blk.size());
        write_all(fd.get(), blk, tmp);
        done += blk.size();
        if (progress) progress(done, total);
      }
      crypto_generichash_final(&st, w.checksum.data(), w.checksum.size());
      if (::pwrite(fd.get(), w.checksum.data(), w.checksum.size(), io::kEnvelopeChecksumOffset) !=
          static_cast<ssize_t>(w.checksum.size())) {
        sys_fail("cannot write", tmp);
      }
      fsync_fd(fd.get(), tmp);
      if (::close(fd.release()) != 0) sys_fail("cannot close", tmp);
    } catch (...) {
      ::unlink(tmp.c_str());
      throw;
    }
    if (::rename(tmp.c_str(), w.path.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      errno = err;
      sys_fail("cannot rename a new segment to", w.path);
    }
    fsync_dir(dir);
    return w;
  }

  // Best effort: a failed removal leaves a file that the next read-write open removes.
  void discard(const std::vector<WrittenSegment>& written) {
    for (const auto& w : written) ::unlink(w.path.c_str());
    try {
      fsync_dir(dir);
    } catch (const std::system_error&) {
    }
  }

  void insert_segment(const WrittenSegment& w, std::uint64_t blocks_in) {
    Stmt s(*db, "INSERT INTO segments(seq, file, blocks, bytes, checksum) VALUES(?, ?, ?, ?, ?)");
    s.bind(1, static_cast<std::int64_t>(w.seq))
        .bind(2, segment_file_name(w.seq))
        .bind(3, static_cast<std::int64_t>(blocks_in))
        .bind(4, static_cast<std::int64_t>(w.bytes))
        .bind_blob(5, w.checksum);
    s.run();
  }

  void set_next_seq(std::uint64_t v) {
    Stmt s(*db, "UPDATE meta SET value = ? WHERE key = 'next_segment'");
    s.bind(1, static_cast<std::int64_t>(v));
    s.run();
  }
};

namespace {

Fd take_lock(const fs::path& dir, Mode mode) {
  fs::path p = dir / kLockFile;
  Fd fd = open_file(p, mode == Mode::kReadWrite ? (O_RDWR | O_CREAT) : O_RDONLY, 0644);
  if (fd.get() < 0) {
    if (mode == Mode::kReadOnly && errno == ENOENT) return fd;  // read-only media: no lock
    sys_fail("cannot open lock file", p);
  }
  int op = (mode == Mode::kReadWrite ? LOCK_EX : LOCK_SH) | LOCK_NB;
  int rc;
  do {
    rc = ::flock(fd.get(), op);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    if (errno == EWOULDBLOCK) {
      throw StoreError("store " + q(dir) + " is in use by another " +
                       (mode == Mode::kReadWrite ? "reader or writer" : "writer") + " (lock " +
                       q(p) + ")");
    }
    sys_fail("cannot lock", p);
  }
  return fd;
}

}  // namespace

GalleryStore::GalleryStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GalleryStore::GalleryStore(GalleryStore&&) noexcept = default;
GalleryStore& GalleryStore::operator=(GalleryStore&&) noexcept = default;
GalleryStore::~GalleryStore() = default;

GalleryStore GalleryStore::create(const fs::path& dir, const StoreConfig& config) {
  validate(config);
  if (sodium_init() < 0) throw StoreError("libsodium failed to initialise");
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec) || !fs::is_empty(dir, ec)) {
      throw StoreError("cannot create a store in " + q(dir) +
                       ": it exists and is not an empty directory");
    }
  } else if (!fs::create_directory(dir, ec) || ec) {
    throw std::system_error(ec, "cannot create directory " + q(dir));
  }
  {
    Fd lock = take_lock(dir, Mode::kReadWrite);
    Db db(dir / kIndexFile, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    configure(db, true);
    Transaction t(db);
    db.exec(kSchema);
    Stmt s(db, "INSERT INTO meta(key, value) VALUES(?, ?)");
    auto put = [&](const char* k, std::int64_t v) {
      s.bind(1, std::string_view(k)).bind(2, v);
      s.run();
    };
    put("format_version", kStoreFormatVersion);
    put("param_id", static_cast<std::int64_t>(config.param_id));
    put("block_bytes", static_cast<std::int64_t>(config.block_bytes));
    put("slots_per_block", config.slots_per_block);
    put("next_segment", 1);
    t.commit();
    // The manifest comes last: a store without one is an unfinished create.
    io::write_file_atomic(dir / kManifestFile, encode_manifest({config, utc_now()}));
  }
  return open(dir, Mode::kReadWrite, config.param_id);
}

namespace {
// A writer killed inside an index transaction leaves a hot rollback journal
// that only a read-write connection may roll back; a read-only open would
// fail on its first query. Our lock (shared here) excludes a live writer, so
// the journal is a crashed one's: roll it back, then open read-only.
void recover_index_journal(const fs::path& ipath) {
  std::error_code ec;
  const fs::path journal = ipath.string() + "-journal";
  if (!fs::exists(journal, ec) || fs::file_size(journal, ec) == 0) return;
  try {
    Db db(ipath, SQLITE_OPEN_READWRITE);
    Stmt s(db, "SELECT count(*) FROM meta");
    s.step();
  } catch (const std::exception& e) {
    throw StoreError(q(ipath) +
                     ": an interrupted write left a journal to roll back, which needs "
                     "write access to the store (" +
                     e.what() + ")");
  }
}
}  // namespace

GalleryStore GalleryStore::open(const fs::path& dir, Mode mode,
                                std::optional<std::uint64_t> param_id) {
  if (sodium_init() < 0) throw StoreError("libsodium failed to initialise");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw StoreError("no store at " + q(dir) + ": not a directory");
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->mode = mode;
  impl->lock = take_lock(dir, mode);
  fs::path mpath = dir / kManifestFile;
  std::vector<std::uint8_t> mbytes;
  try {
    mbytes = io::read_file(mpath, kMaxManifestBytes);
  } catch (const std::system_error& e) {
    if (e.code() == std::errc::no_such_file_or_directory) {
      throw StoreError("no store at " + q(dir) + ": manifest.json missing");
    }
    throw;
  } catch (const io::FormatError& e) {
    throw StoreError(q(mpath) + ": " + e.what());
  }
  Manifest m = parse_manifest(mbytes, q(mpath));
  if (param_id && *param_id != m.config.param_id) {
    char buf[80];
    std::snprintf(buf, sizeof buf, "parameter set %016llx, expected %016llx",
                  static_cast<unsigned long long>(m.config.param_id),
                  static_cast<unsigned long long>(*param_id));
    throw StoreError("store " + q(dir) + " was made for " + buf);
  }
  impl->config = std::move(m.config);
  impl->created = std::move(m.created);
  fs::path ipath = dir / kIndexFile;
  if (!fs::exists(ipath, ec)) throw StoreError(q(ipath) + ": index missing");
  if (mode == Mode::kReadOnly) recover_index_journal(ipath);
  impl->db = std::make_unique<Db>(
      ipath, mode == Mode::kReadWrite ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY);
  configure(*impl->db, mode == Mode::kReadWrite);
  impl->load();
  return GalleryStore(std::move(impl));
}

const StoreConfig& GalleryStore::config() const { return impl_->config; }
const fs::path& GalleryStore::dir() const { return impl_->dir; }
Mode GalleryStore::mode() const { return impl_->mode; }
std::size_t GalleryStore::block_count() const { return impl_->blocks.size(); }
std::size_t GalleryStore::live_count() const { return impl_->live; }

std::span<const std::uint8_t> GalleryStore::block(std::size_t i) const {
  return {impl_->block_at(i).data, static_cast<std::size_t>(impl_->config.block_bytes)};
}

std::uint32_t GalleryStore::block_slots_used(std::size_t i) const {
  return impl_->block_at(i).slots_used;
}

void GalleryStore::advise_sequential() const {
  for (const auto& [seq, seg] : impl_->segments) {
    advise(seg.map.data(), seg.map.size(), MADV_SEQUENTIAL);
  }
}

void GalleryStore::prefetch(std::size_t first_block, std::size_t count) const {
  for (std::size_t i = first_block; i < impl_->blocks.size() && i - first_block < count; ++i) {
    advise(impl_->blocks[i].data, static_cast<std::size_t>(impl_->config.block_bytes),
           MADV_WILLNEED);
  }
}

std::optional<SlotInfo> GalleryStore::slot(std::size_t block, std::uint32_t slot) const {
  const BlockState& b = impl_->block_at(block);
  if (slot >= b.slots_used) return std::nullopt;
  Stmt s(*impl_->db, "SELECT id, label FROM slots WHERE block = ? AND slot = ? AND deleted = 0");
  s.bind(1, b.id).bind(2, static_cast<std::int64_t>(slot));
  if (!s.step()) return std::nullopt;
  return SlotInfo{s.text(0), s.text_or_null(1).value_or("")};
}

std::optional<Location> GalleryStore::find(const std::string& id) const {
  Stmt s(*impl_->db, "SELECT block, slot FROM slots WHERE id = ? AND deleted = 0");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return Location{impl_->index_of(s.i64(0)), static_cast<std::uint32_t>(s.i64(1))};
}

void GalleryStore::append(std::span<const BlockInput> in, const ProgressCallback& progress) {
  Impl& I = *impl_;
  I.require_writable("append");
  if (in.empty()) return;
  // Validate everything before writing anything.
  std::unordered_set<std::string_view> seen;
  std::size_t total_ids = 0;
  {
    Stmt live(*I.db, "SELECT block, slot FROM slots WHERE id = ? AND deleted = 0");
    for (std::size_t k = 0; k < in.size(); ++k) {
      const BlockInput& b = in[k];
      std::string at = I.where() + ": append: block " + num(k) + " of the batch: ";
      if (b.bytes.size() != I.config.block_bytes) {
        throw StoreError(at + "block is " + num(b.bytes.size()) + " bytes, expected " +
                         num(I.config.block_bytes));
      }
      if (b.ids.empty() || b.ids.size() > I.config.slots_per_block) {
        throw StoreError(at + num(b.ids.size()) + " ids, expected 1.." +
                         num(I.config.slots_per_block));
      }
      if (!b.labels.empty() && b.labels.size() != b.ids.size()) {
        throw StoreError(at + num(b.labels.size()) + " labels for " + num(b.ids.size()) +
                         " ids (give none or one per id)");
      }
      for (const std::string& l : b.labels) {
        if (l.size() > kMaxLabelBytes) {
          throw StoreError(at + "label of " + num(l.size()) + " bytes, the limit is " +
                           num(kMaxLabelBytes));
        }
      }
      for (std::size_t i = 0; i < b.ids.size(); ++i) {
        const std::string& id = b.ids[i];
        if (id.empty()) throw StoreError(at + "slot " + num(i) + ": empty id");
        if (id.size() > kMaxIdBytes) {
          throw StoreError(at + "slot " + num(i) + ": id of " + num(id.size()) +
                           " bytes, the limit is " + num(kMaxIdBytes));
        }
        if (!seen.insert(id).second) {
          throw StoreError(at + "slot " + num(i) + ": duplicate id '" + id + "' in the batch");
        }
        live.bind(1, id);
        bool exists = live.step();
        live.reset();
        if (exists)
          throw StoreError(at + "slot " + num(i) + ": id '" + id + "' is already in the store");
      }
      total_ids += b.ids.size();
    }
  }
  std::vector<const std::uint8_t*> data;
  for (const BlockInput& b : in) data.push_back(b.bytes.data());
  std::uint64_t done = 0;
  std::uint64_t seq = I.next_seq;
  WrittenSegment w = I.write_segment(seq, data, progress, done, in.size() * I.config.block_bytes);
  bool committed = false;
  try {
    Fd fd = open_file(w.path, O_RDONLY);
    if (fd.get() < 0) sys_fail("cannot open", w.path);
    SegmentState seg;
    seg.seq = seq;
    seg.blocks = in.size();
    seg.bytes = w.bytes;
    seg.checksum = w.checksum;
    seg.map = Mapping(fd.get(), static_cast<std::size_t>(w.bytes), w.path);
    I.blocks.reserve(I.blocks.size() + in.size());
    Transaction t(*I.db);
    I.insert_segment(w, in.size());
    Stmt ib(
        *I.db,
        "INSERT INTO blocks(block, segment, position, offset, slots_used) VALUES(?, ?, ?, ?, ?)");
    Stmt is(*I.db, "INSERT INTO slots(block, slot, id, label, deleted) VALUES(?, ?, ?, ?, 0)");
    std::vector<BlockState> added;
    for (std::size_t k = 0; k < in.size(); ++k) {
      BlockState b;
      b.id = I.next_block_id + static_cast<std::int64_t>(k);
      b.seq = seq;
      b.position = k;
      std::uint64_t offset = kSegmentDataOffset + k * I.config.block_bytes;
      b.data = seg.map.data() + offset;
      b.slots_used = static_cast<std::uint32_t>(in[k].ids.size());
      ib.bind(1, b.id)
          .bind(2, static_cast<std::int64_t>(seq))
          .bind(3, static_cast<std::int64_t>(k))
          .bind(4, static_cast<std::int64_t>(offset))
          .bind(5, static_cast<std::int64_t>(b.slots_used));
      ib.run();
      for (std::size_t i = 0; i < in[k].ids.size(); ++i) {
        is.bind(1, b.id).bind(2, static_cast<std::int64_t>(i)).bind(3, in[k].ids[i]);
        if (in[k].labels.empty()) {
          is.bind_null(4);
        } else {
          is.bind(4, in[k].labels[i]);
        }
        is.run();
      }
      added.push_back(b);
    }
    I.set_next_seq(seq + 1);
    t.commit();  // the acknowledged point
    committed = true;
    I.segments.emplace(seq, std::move(seg));
    I.blocks.insert(I.blocks.end(), added.begin(), added.end());
    I.next_block_id += static_cast<std::int64_t>(in.size());
    I.next_seq = seq + 1;
    I.live += total_ids;
  } catch (...) {
    if (!committed) I.discard({w});
    throw;
  }
}

std::size_t GalleryStore::remove(std::span<const std::string> ids) {
  Impl& I = *impl_;
  I.require_writable("remove");
  std::unordered_set<std::string_view> seen;
  for (const std::string& id : ids) {
    if (!seen.insert(id).second) {
      throw StoreError(I.where() + ": remove: id '" + id + "' listed twice");
    }
  }
  Transaction t(*I.db);
  Stmt s(*I.db, "UPDATE slots SET deleted = 1 WHERE id = ? AND deleted = 0");
  for (const std::string& id : ids) {
    s.bind(1, id);
    s.run();
    if (I.db->changes() != 1) {
      throw StoreError(I.where() + ": remove: id '" + id +
                       "' is not in the store (unknown or already removed); nothing removed");
    }
  }
  t.commit();
  I.live -= ids.size();
  I.tombstoned += ids.size();
  return ids.size();
}

CompactReport GalleryStore::compact(const ProgressCallback& progress) {
  Impl& I = *impl_;
  I.require_writable("compact");
  CompactReport r;
  for (const auto& [seq, seg] : I.segments) r.bytes_before += seg.bytes;
  std::set<std::int64_t> dropped;
  {
    Stmt s(*I.db,
           "SELECT b.block FROM blocks b WHERE NOT EXISTS "
           "(SELECT 1 FROM slots s WHERE s.block = b.block AND s.deleted = 0)");
    while (s.step()) dropped.insert(s.i64(0));
  }
  if (dropped.empty()) {
    r.bytes_after = r.bytes_before;
    return r;
  }
  // Per affected segment, the blocks it keeps (in order).
  std::map<std::uint64_t, std::vector<const BlockState*>> kept;
  for (const BlockState& b : I.blocks) {
    if (dropped.count(b.id)) kept[b.seq];  // marks the segment as affected
  }
  for (const BlockState& b : I.blocks) {
    if (kept.count(b.seq) && !dropped.count(b.id)) kept[b.seq].push_back(&b);
  }
  std::uint64_t total = 0, done = 0;
  for (const auto& [seq, list] : kept) total += list.size() * I.config.block_bytes;

  std::vector<WrittenSegment> written;
  std::map<std::uint64_t, std::uint64_t> new_seq_of;  // old seq -> new seq
  try {
    std::uint64_t next = I.next_seq;
    for (const auto& [seq, list] : kept) {
      if (list.empty()) continue;
      std::vector<const std::uint8_t*> data;
      for (const BlockState* b : list) data.push_back(b->data);
      written.push_back(I.write_segment(next, data, progress, done, total));
      new_seq_of[seq] = next++;
    }
    Transaction t(*I.db);
    Stmt count(*I.db, "SELECT COUNT(*) FROM slots WHERE block = ?");
    Stmt del_slots(*I.db, "DELETE FROM slots WHERE block = ?");
    Stmt del_block(*I.db, "DELETE FROM blocks WHERE block = ?");
    for (std::int64_t id : dropped) {
      count.bind(1, id);
      count.step();
      r.tombstones_dropped += static_cast<std::size_t>(count.i64(0));
      count.reset();
      del_slots.bind(1, id);
      del_slots.run();
      del_block.bind(1, id);
      del_block.run();
    }
    Stmt del_seg(*I.db, "DELETE FROM segments WHERE seq = ?");
    for (const auto& [seq, list] : kept) {
      del_seg.bind(1, static_cast<std::int64_t>(seq));
      del_seg.run();
    }
    Stmt move(*I.db, "UPDATE blocks SET segment = ?, position = ?, offset = ? WHERE block = ?");
    std::size_t wi = 0;
    for (const auto& [seq, list] : kept) {
      if (list.empty()) continue;
      const WrittenSegment& w = written[wi++];
      I.insert_segment(w, list.size());
      for (std::size_t k = 0; k < list.size(); ++k) {
        move.bind(1, static_cast<std::int64_t>(w.seq))
            .bind(2, static_cast<std::int64_t>(k))
            .bind(3, static_cast<std::int64_t>(kSegmentDataOffset + k * I.config.block_bytes))
            .bind(4, list[k]->id);
        move.run();
      }
    }
    I.set_next_seq(next);
    t.commit();
  } catch (...) {
    I.discard(written);
    throw;
  }
  // Committed: the old segments are garbage now.
  r.blocks_dropped = dropped.size();
  r.segments_rewritten = written.size();
  r.segments_deleted = kept.size();
  for (const auto& [seq, list] : kept) ::unlink((I.dir / segment_file_name(seq)).c_str());
  fsync_dir(I.dir);
  I.load();
  for (const auto& [seq, seg] : I.segments) r.bytes_after += seg.bytes;
  return r;
}

InfoReport GalleryStore::info() const {
  const Impl& I = *impl_;
  InfoReport r;
  r.param_id = I.config.param_id;
  r.block_bytes = I.config.block_bytes;
  r.slots_per_block = I.config.slots_per_block;
  r.created = I.created;
  r.segments = I.segments.size();
  r.blocks = I.blocks.size();
  for (const BlockState& b : I.blocks) r.slots_used += b.slots_used;
  r.live = I.live;
  r.tombstoned = I.tombstoned;
  for (const auto& [seq, seg] : I.segments) r.segment_bytes += seg.bytes;
  r.index_bytes = file_size_or_zero(I.dir / kIndexFile);
  r.bytes_at_rest = r.segment_bytes + r.index_bytes + file_size_or_zero(I.dir / kManifestFile);
  return r;
}

VerifyReport GalleryStore::verify() const {
  const Impl& I = *impl_;
  VerifyReport r;
  auto problem = [&](std::string s) { r.problems.push_back(std::move(s)); };
  const std::string idx = q(I.dir / kIndexFile);

  // The manifest.
  fs::path mpath = I.dir / kManifestFile;
  try {
    Manifest m = parse_manifest(io::read_file(mpath, kMaxManifestBytes), q(mpath));
    if (!(m.config == I.config)) problem(q(mpath) + ": differs from the manifest read at open");
  } catch (const std::exception& e) {
    problem(q(mpath) + ": " + e.what());
  }

  // SQLite's own check, then meta.
  try {
    Stmt s(*I.db, "PRAGMA quick_check");
    while (s.step()) {
      std::string t = s.text(0);
      if (t != "ok") problem(idx + ": integrity: " + t);
    }
    auto check_meta = [&](const char* key, std::uint64_t want) {
      auto got = static_cast<std::uint64_t>(meta_value(*I.db, key));
      if (got != want)
        problem(idx + ": meta " + key + " is " + num(got) + ", expected " + num(want));
    };
    check_meta("format_version", kStoreFormatVersion);
    check_meta("param_id", I.config.param_id);
    check_meta("block_bytes", I.config.block_bytes);
    check_meta("slots_per_block", I.config.slots_per_block);
  } catch (const StoreError& e) {
    problem(e.what());
  }

  // Segments: files, headers, checksums.
  struct Row {
    std::uint64_t blocks;
    std::array<std::uint8_t, 32> checksum;
  };
  std::map<std::uint64_t, Row> rows;
  std::uint64_t next_seq = 0;
  try {
    next_seq = static_cast<std::uint64_t>(meta_value(*I.db, "next_segment"));
    Stmt s(*I.db, "SELECT seq, file, blocks, bytes, checksum FROM segments ORDER BY seq");
    while (s.step()) {
      auto seq = static_cast<std::uint64_t>(s.i64(0));
      std::string file = s.text(1);
      auto nblocks = static_cast<std::uint64_t>(s.i64(2));
      auto bytes = static_cast<std::uint64_t>(s.i64(3));
      auto sum = s.blob(4);
      Row row{nblocks, {}};
      if (file != segment_file_name(seq) || sum.size() != 32) {
        problem(idx + ": segment row " + num(seq) + " is malformed ('" + file + "')");
        continue;
      }
      if (seq >= next_seq) problem(idx + ": segment " + num(seq) + " is not below next_segment");
      std::memcpy(row.checksum.data(), sum.data(), 32);
      rows[seq] = row;
      fs::path p = I.dir / file;
      std::string name = q(p);
      Fd fd = open_file(p, O_RDONLY);
      if (fd.get() < 0) {
        problem(name + ": cannot open: " + std::strerror(errno));
        continue;
      }
      struct stat st;
      if (::fstat(fd.get(), &st) != 0) sys_fail("cannot stat", p);
      auto size = static_cast<std::uint64_t>(st.st_size);
      if (size != bytes) {
        problem(name + ": " + (size < bytes ? "truncated" : "longer than registered") + ": " +
                num(size) + " bytes, expected " + num(bytes));
        continue;
      }
      std::vector<std::uint8_t> buf(kHashChunk);
      std::array<std::uint8_t, kSegmentDataOffset> head{};
      if (!pread_all(fd.get(), head, 0, p)) {
        problem(name + ": truncated header");
        continue;
      }
      try {
        SegmentHeader h = parse_segment_header(head, size, I.config, name);
        if (h.seq != seq || h.block_count != nblocks) {
          problem(name + ": header says sequence " + num(h.seq) + " with " + num(h.block_count) +
                  " blocks, the index " + num(seq) + " with " + num(nblocks));
        }
        if (h.checksum != row.checksum)
          problem(name + ": header checksum differs from the index's");
        crypto_generichash_state st2;
        crypto_generichash_init(&st2, nullptr, 0, io::kEnvelopeChecksumSize);
        crypto_generichash_update(&st2, head.data(), io::kEnvelopeFieldsSize);
        std::uint64_t off = io::kEnvelopeHeaderSize;
        bool complete = true;
        while (off < size) {
          std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - off));
          if (!pread_all(fd.get(), std::span(buf.data(), n), off, p)) {
            complete = false;
            break;
          }
          crypto_generichash_update(&st2, buf.data(), n);
          off += n;
          r.bytes_hashed += n;
        }
        std::array<std::uint8_t, 32> got{};
        crypto_generichash_final(&st2, got.data(), got.size());
        if (!complete) {
          problem(name + ": truncated while being read");
        } else if (got != h.checksum) {
          problem(name + ": checksum mismatch: the segment's bytes are corrupted");
        }
      } catch (const StoreError& e) {
        problem(e.what());
      }
      ++r.segments_checked;
    }
  } catch (const StoreError& e) {
    problem(e.what());
  }

  // Blocks against segments, slots against blocks.
  try {
    std::map<std::int64_t, std::uint32_t> used;
    std::map<std::uint64_t, std::uint64_t> per_segment;
    Stmt s(*I.db,
           "SELECT block, segment, position, offset, slots_used FROM blocks ORDER BY segment, "
           "position");
    while (s.step()) {
      std::int64_t id = s.i64(0);
      auto seq = static_cast<std::uint64_t>(s.i64(1));
      auto pos = static_cast<std::uint64_t>(s.i64(2));
      auto offset = static_cast<std::uint64_t>(s.i64(3));
      std::int64_t u = s.i64(4);
      std::string b = idx + ": block " + std::to_string(id);
      auto it = rows.find(seq);
      if (it == rows.end()) {
        problem(b + " is in segment " + num(seq) + ", which is not registered");
      } else if (pos != per_segment[seq]) {
        problem(b + " has position " + num(pos) + " in segment " + num(seq) + ", expected " +
                num(per_segment[seq]));
      }
      if (offset != kSegmentDataOffset + pos * I.config.block_bytes) {
        problem(b + " has offset " + num(offset) + ", expected " +
                num(kSegmentDataOffset + pos * I.config.block_bytes));
      }
      if (u < 1 || u > static_cast<std::int64_t>(I.config.slots_per_block)) {
        problem(b + " has slots_used " + std::to_string(u) + ", expected 1.." +
                num(I.config.slots_per_block));
      }
      ++per_segment[seq];
      used[id] = static_cast<std::uint32_t>(u);
      ++r.blocks_checked;
    }
    for (const auto& [seq, row] : rows) {
      if (per_segment[seq] != row.blocks) {
        problem(idx + ": segment " + num(seq) + " has " + num(row.blocks) + " blocks, " +
                num(per_segment[seq]) + " are registered");
      }
    }
    Stmt sl(*I.db,
            "SELECT block, COUNT(*), MIN(slot), MAX(slot), SUM(deleted NOT IN (0, 1)) FROM slots "
            "GROUP BY block");
    std::set<std::int64_t> with_slots;
    while (sl.step()) {
      std::int64_t id = sl.i64(0);
      with_slots.insert(id);
      auto it = used.find(id);
      std::string b = idx + ": slots of block " + std::to_string(id);
      if (it == used.end()) {
        problem(b + ": no such block");
        continue;
      }
      if (sl.i64(1) != it->second || sl.i64(2) != 0 || sl.i64(3) != it->second - 1) {
        problem(b + ": " + std::to_string(sl.i64(1)) + " rows, expected slots 0.." +
                num(it->second - 1));
      }
      if (sl.i64(4) != 0) problem(b + ": bad 'deleted' values");
    }
    for (const auto& [id, u] : used) {
      if (!with_slots.count(id)) problem(idx + ": block " + std::to_string(id) + " has no slots");
    }
    if (used.size() != I.blocks.size()) {
      problem(I.where() + ": the index has " + num(used.size()) + " blocks, the open store " +
              num(I.blocks.size()) + " (changed behind its back?)");
    }
  } catch (const StoreError& e) {
    problem(e.what());
  }

  // Leftovers of interrupted writes: harmless, removed by the next read-write open.
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(I.dir, ec)) {
    std::string n = e.path().filename().string();
    bool registered = false;
    for (const auto& [seq, row] : rows) registered = registered || n == segment_file_name(seq);
    if (is_temp_name(n) || (is_segment_name(n) && !registered)) {
      r.notes.push_back(q(e.path()) + ": not part of the store (left by an interrupted write)");
    }
  }
  return r;
}

}  // namespace veil::store
