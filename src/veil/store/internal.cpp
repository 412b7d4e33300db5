#include "veil/store/internal.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <system_error>
#include <utility>

#include "veil/io/envelope.h"
#include "veil/store/errors.h"

namespace veil::store::detail {

std::string q(const fs::path& p) {
  std::string s = "'";
  s += p.string();
  s += '\'';
  return s;
}

std::string num(std::uint64_t v) { return std::to_string(v); }

void sys_fail(const std::string& what, const fs::path& p) {
  throw std::system_error(errno, std::generic_category(), what + " " + q(p));
}

Fd open_file(const fs::path& p, int flags, mode_t mode) {
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

void write_new_file(const fs::path& p, std::span<const std::uint8_t> bytes) {
  Fd fd = open_file(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd.get() < 0) sys_fail("cannot create", p);
  write_all(fd.get(), bytes, p);
  fsync_fd(fd.get(), p);
  if (fd.close() != 0) sys_fail("cannot close", p);
}

namespace {
std::string utc_format(const char* fmt) {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, fmt, &tm);
  return buf;
}
}  // namespace

std::string utc_now() { return utc_format("%Y-%m-%dT%H:%M:%SZ"); }
std::string utc_stamp() { return utc_format("%Y%m%dT%H%M%SZ"); }

Mapping::Mapping(int fd, std::size_t size, const fs::path& p) : size_(size) {
  if (size == 0) return;
  void* m = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) sys_fail("cannot map", p);
  base_ = static_cast<const std::uint8_t*>(m);
}
Mapping::Mapping(Mapping&& o) noexcept
    : base_(std::exchange(o.base_, nullptr)), size_(std::exchange(o.size_, 0)) {}
Mapping& Mapping::operator=(Mapping&& o) noexcept {
  if (this != &o) {
    unmap();
    base_ = std::exchange(o.base_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}
Mapping::~Mapping() { unmap(); }
void Mapping::unmap() {
  if (base_) ::munmap(const_cast<std::uint8_t*>(base_), size_);
  base_ = nullptr;
}

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

const char* const kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value NOT NULL) WITHOUT ROWID;
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
  checksum BLOB NOT NULL,
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

namespace {
[[noreturn]] void meta_missing(const Db& db, const char* key, const char* type) {
  throw StoreError(q(db.path()) + ": meta key '" + key + "' missing or not " + type);
}
}  // namespace

std::int64_t meta_int(const Db& db, const char* key) {
  Stmt s(db, "SELECT value, typeof(value) FROM meta WHERE key = ?");
  s.bind(1, std::string_view(key));
  if (!s.step() || s.text(1) != "integer") meta_missing(db, key, "an integer");
  return s.i64(0);
}

std::string meta_text(const Db& db, const char* key) {
  Stmt s(db, "SELECT value, typeof(value) FROM meta WHERE key = ?");
  s.bind(1, std::string_view(key));
  if (!s.step() || s.text(1) != "text") meta_missing(db, key, "text");
  return s.text(0);
}

std::vector<std::uint8_t> meta_blob(const Db& db, const char* key) {
  Stmt s(db, "SELECT value, typeof(value) FROM meta WHERE key = ?");
  s.bind(1, std::string_view(key));
  if (!s.step() || s.text(1) != "blob") meta_missing(db, key, "a blob");
  auto b = s.blob(0);
  return {b.begin(), b.end()};
}

void init_index(const Db& db, const StoreConfig& config, std::span<const std::uint8_t> manifest,
                std::uint64_t next_segment, std::int64_t next_block) {
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
  put("next_segment", static_cast<std::int64_t>(next_segment));
  put("next_block", next_block);
  s.bind(1, std::string_view("key_id")).bind(2, config.key_id.hex());
  s.run();
  s.bind(1, std::string_view("manifest")).bind_blob(2, manifest);
  s.run();
  Checksum sum = block_checksum(manifest);
  s.bind(1, std::string_view("manifest_checksum")).bind_blob(2, sum);
  s.run();
}

std::optional<std::vector<std::uint8_t>> manifest_copy(const Db& db, std::string* why) {
  try {
    std::vector<std::uint8_t> m = meta_blob(db, "manifest");
    std::vector<std::uint8_t> sum = meta_blob(db, "manifest_checksum");
    Checksum got = block_checksum(m);
    if (sum.size() != got.size() || !std::equal(got.begin(), got.end(), sum.begin())) {
      if (why) *why = "the manifest copy in the index does not match its checksum";
      return std::nullopt;
    }
    return m;
  } catch (const StoreError& e) {
    if (why) *why = e.what();
    return std::nullopt;
  }
}

WrittenSegment write_segment(const fs::path& dir, const StoreConfig& config, std::uint64_t seq,
                             std::vector<BlockToWrite>& blocks, const ProgressCallback& progress,
                             std::uint64_t& done, std::uint64_t total) {
  WrittenSegment w;
  w.seq = seq;
  w.path = dir / segment_file_name(seq);
  w.blocks = blocks.size();
  std::vector<TrailerBlock> entries;
  entries.reserve(blocks.size());
  for (const BlockToWrite& b : blocks) entries.push_back(b.entry);  // sizes only, for now
  const std::uint64_t tbytes = trailer_size(entries);
  w.bytes = segment_file_size(config.block_bytes, blocks.size(), tbytes);
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
      head[io::kEnvelopeParamIdOffset + i] = static_cast<std::uint8_t>(config.param_id >> (8 * i));
      head[io::kEnvelopePayloadSizeOffset + i] =
          static_cast<std::uint8_t>((w.bytes - io::kEnvelopeHeaderSize) >> (8 * i));
    }
    auto sh = encode_segment_header(config, seq, blocks.size(), tbytes);
    std::memcpy(head.data() + io::kEnvelopeHeaderSize, sh.data(), sh.size());
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, io::kEnvelopeChecksumSize);
    crypto_generichash_update(&st, head.data(), io::kEnvelopeFieldsSize);
    crypto_generichash_update(&st, sh.data(), sh.size());
    write_all(fd.get(), head, tmp);
    for (std::size_t k = 0; k < blocks.size(); ++k) {
      BlockToWrite& b = blocks[k];
      std::span<const std::uint8_t> blk(b.data, static_cast<std::size_t>(config.block_bytes));
      Checksum sum = block_checksum(blk);
      if (b.known && sum != b.entry.checksum) {
        throw StoreError(q(dir) + ": block " + std::to_string(b.entry.block_id) +
                         " no longer matches its checksum (recorded " +
                         checksum_prefix(b.entry.checksum) + ", found " + checksum_prefix(sum) +
                         "): the store is damaged; GalleryStore::repair drops or salvages it");
      }
      entries[k].checksum = sum;
      b.entry.checksum = sum;
      crypto_generichash_update(&st, blk.data(), blk.size());
      write_all(fd.get(), blk, tmp);
      done += blk.size();
      if (progress) progress(done, total);
    }
    std::vector<std::uint8_t> trailer = encode_trailer(config, seq, entries);
    if (trailer.size() != tbytes) throw StoreError("internal: trailer size mismatch");
    crypto_generichash_update(&st, trailer.data(), trailer.size());
    write_all(fd.get(), trailer, tmp);
    crypto_generichash_final(&st, w.checksum.data(), w.checksum.size());
    if (::pwrite(fd.get(), w.checksum.data(), w.checksum.size(), io::kEnvelopeChecksumOffset) !=
        static_cast<ssize_t>(w.checksum.size())) {
      sys_fail("cannot write", tmp);
    }
    fsync_fd(fd.get(), tmp);
    if (fd.close() != 0) sys_fail("cannot close", tmp);
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

SegmentScan scan_segment(int fd, const fs::path& p, std::uint64_t size, std::uint64_t block_bytes,
                         std::uint64_t block_count, std::uint64_t* hashed, bool keep_trailer) {
  SegmentScan s;
  const std::uint64_t data_end = kSegmentDataOffset + block_count * block_bytes;
  std::vector<std::uint8_t> buf(kHashChunk);
  crypto_generichash_state env, blk;
  crypto_generichash_init(&env, nullptr, 0, io::kEnvelopeChecksumSize);
  std::array<std::uint8_t, io::kEnvelopeFieldsSize> fields{};
  if (!pread_all(fd, fields, 0, p)) {
    s.complete = false;
    return s;
  }
  crypto_generichash_update(&env, fields.data(), fields.size());
  if (keep_trailer && size > data_end) s.trailer.reserve(static_cast<std::size_t>(size - data_end));
  std::uint64_t off = io::kEnvelopeHeaderSize;
  while (off < size) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - off));
    if (!pread_all(fd, std::span(buf.data(), n), off, p)) {
      s.complete = false;
      break;
    }
    crypto_generichash_update(&env, buf.data(), n);
    if (hashed) *hashed += n;
    std::uint64_t a = std::max<std::uint64_t>(off, kSegmentDataOffset);
    const std::uint64_t b = std::min<std::uint64_t>(off + n, data_end);
    while (a < b) {
      std::uint64_t k = (a - kSegmentDataOffset) / block_bytes;
      std::uint64_t start = kSegmentDataOffset + k * block_bytes, end = start + block_bytes;
      std::uint64_t e = std::min(b, end);
      if (a == start) crypto_generichash_init(&blk, nullptr, 0, 32);
      crypto_generichash_update(&blk, buf.data() + (a - off), static_cast<std::size_t>(e - a));
      if (e == end) {
        Checksum c{};
        crypto_generichash_final(&blk, c.data(), c.size());
        s.blocks.push_back(c);
      }
      a = e;
    }
    std::uint64_t t = std::max<std::uint64_t>(off, data_end);
    if (keep_trailer && t < off + n)
      s.trailer.insert(s.trailer.end(), buf.data() + (t - off), buf.data() + n);
    off += n;
  }
  crypto_generichash_final(&env, s.envelope.data(), s.envelope.size());
  return s;
}

void discard(const fs::path& dir, const std::vector<WrittenSegment>& written) {
  for (const auto& w : written) ::unlink(w.path.c_str());
  try {
    fsync_dir(dir);
  } catch (const std::system_error&) {
  }
}

void insert_segment_row(const Db& db, const WrittenSegment& w) {
  Stmt s(db, "INSERT INTO segments(seq, file, blocks, bytes, checksum) VALUES(?, ?, ?, ?, ?)");
  s.bind(1, static_cast<std::int64_t>(w.seq))
      .bind(2, segment_file_name(w.seq))
      .bind(3, static_cast<std::int64_t>(w.blocks))
      .bind(4, static_cast<std::int64_t>(w.bytes))
      .bind_blob(5, w.checksum);
  s.run();
}

void insert_block_row(const Db& db, std::int64_t block, std::uint64_t seq, std::uint64_t position,
                      std::uint64_t block_bytes, std::uint32_t slots_used, const Checksum& sum) {
  Stmt s(db,
         "INSERT INTO blocks(block, segment, position, offset, slots_used, checksum) "
         "VALUES(?, ?, ?, ?, ?, ?)");
  s.bind(1, block)
      .bind(2, static_cast<std::int64_t>(seq))
      .bind(3, static_cast<std::int64_t>(position))
      .bind(4, static_cast<std::int64_t>(kSegmentDataOffset + position * block_bytes))
      .bind(5, static_cast<std::int64_t>(slots_used))
      .bind_blob(6, sum);
  s.run();
}

void insert_slot_row(const Db& db, std::int64_t block, std::uint32_t slot, const std::string& id,
                     const std::optional<std::string>& label, bool deleted) {
  Stmt s(db, "INSERT INTO slots(block, slot, id, label, deleted) VALUES(?, ?, ?, ?, ?)");
  s.bind(1, block).bind(2, static_cast<std::int64_t>(slot)).bind(3, id);
  if (label) {
    s.bind(4, *label);
  } else {
    s.bind_null(4);
  }
  s.bind(5, deleted ? 1 : 0);
  s.run();
}

void append_removals(const fs::path& dir, const io::KeyId& key,
                     std::span<const RemovalRecord> records) {
  fs::path p = dir / kRemovalLogFile;
  Fd fd = open_file(p, O_RDWR);
  if (fd.get() < 0) {
    if (errno == ENOENT) {
      throw StoreError(q(p) +
                       ": the removal log is missing; nothing was removed "
                       "(GalleryStore::repair rebuilds it from the index)");
    }
    sys_fail("cannot open", p);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) sys_fail("cannot stat", p);
  auto size = static_cast<std::uint64_t>(st.st_size);
  if (size < kRemovalLogHeaderSize) {
    throw StoreError(q(p) + ": the removal log is truncated (" + num(size) +
                     " bytes); nothing was removed (GalleryStore::repair rebuilds it)");
  }
  std::array<std::uint8_t, kRemovalLogHeaderSize> head{};
  if (!pread_all(fd.get(), head, 0, p) || head != encode_removal_log_header(key)) {
    throw StoreError(q(p) +
                     ": the removal log's header is damaged or not this store's; nothing was "
                     "removed (GalleryStore::repair rebuilds it from the index)");
  }
  std::uint64_t whole = size - (size - kRemovalLogHeaderSize) % kRemovalRecordSize;
  if (whole != size && ::ftruncate(fd.get(), static_cast<off_t>(whole)) != 0) {
    sys_fail("cannot truncate", p);
  }
  std::vector<std::uint8_t> buf;
  buf.reserve(records.size() * kRemovalRecordSize);
  for (const RemovalRecord& r : records) {
    auto b = encode_removal_record(r);
    buf.insert(buf.end(), b.begin(), b.end());
  }
  std::size_t off = 0;
  while (off < buf.size()) {
    ssize_t n =
        ::pwrite(fd.get(), buf.data() + off, buf.size() - off, static_cast<off_t>(whole + off));
    if (n < 0) {
      if (errno == EINTR) continue;
      sys_fail("cannot write", p);
    }
    off += static_cast<std::size_t>(n);
  }
  fsync_fd(fd.get(), p);
}

std::vector<std::uint8_t> removal_log_bytes(const io::KeyId& key,
                                            std::span<const RemovalRecord> records) {
  auto h = encode_removal_log_header(key);
  std::vector<std::uint8_t> out(h.begin(), h.end());
  for (const RemovalRecord& r : records) {
    auto b = encode_removal_record(r);
    out.insert(out.end(), b.begin(), b.end());
  }
  return out;
}

fs::path Quarantine::dir() {
  if (!dir_.empty()) return dir_;
  fs::path base = store_ / kQuarantineDir;
  std::error_code ec;
  fs::create_directory(base, ec);
  if (ec) throw std::system_error(ec, "cannot create " + q(base));
  std::string stamp = utc_stamp();
  for (int i = 0;; ++i) {
    fs::path d = base / (i == 0 ? stamp : stamp + "-" + std::to_string(i));
    if (::mkdir(d.c_str(), 0755) == 0) {
      dir_ = d;
      fsync_dir(base);
      fsync_dir(store_);
      return dir_;
    }
    if (errno != EEXIST) sys_fail("cannot create", d);
  }
}

std::string Quarantine::keep_copy(const std::string& name) {
  fs::path d = dir();
  fs::path from = store_ / name, to = d / name;
  if (::link(from.c_str(), to.c_str()) != 0) {
    std::error_code ec;
    fs::copy_file(from, to, ec);
    if (ec) throw std::system_error(ec, "cannot copy " + q(from) + " into the quarantine");
    Fd fd = open_file(to, O_RDONLY);
    if (fd.get() >= 0) fsync_fd(fd.get(), to);
  }
  fsync_dir(d);
  std::string rel = (fs::path(kQuarantineDir) / d.filename() / name).string();
  files_.push_back(rel);
  return rel;
}

std::string Quarantine::move(const std::string& name) {
  fs::path d = dir();
  fs::path from = store_ / name, to = d / name;
  if (::rename(from.c_str(), to.c_str()) != 0) sys_fail("cannot move into the quarantine", from);
  fsync_dir(d);
  fsync_dir(store_);
  std::string rel = (fs::path(kQuarantineDir) / d.filename() / name).string();
  files_.push_back(rel);
  return rel;
}

void remove_creating_leftovers(const fs::path& dir) {
  fs::path parent = dir.parent_path();
  if (parent.empty()) parent = ".";
  std::string prefix = ".";  // appended: GCC 12 warns falsely (-Wrestrict) on "." + string&&
  prefix += dir.filename().string();
  prefix += ".creating-";
  std::error_code ec;
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(parent, ec)) {
    std::string n = e.path().filename().string();
    if (n.size() != prefix.size() + 16 || n.compare(0, prefix.size(), prefix) != 0) continue;
    bool hex = true;
    for (std::size_t i = prefix.size(); i < n.size(); ++i) {
      hex = hex && ((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f'));
    }
    std::error_code ec2;
    if (hex && fs::symlink_status(e.path(), ec2).type() == fs::file_type::directory) {
      found.push_back(e.path());
    }
  }
  bool removed = false;
  for (const fs::path& p : found) {
    Fd lock = open_file(p / kLockFile, O_RDWR);
    if (lock.get() < 0) {
      // Killed between mkdir and the lock file (its first entry): empty.
      if (::rmdir(p.c_str()) == 0) {
        removed = true;
      } else if (errno == ENOTEMPTY || errno == EEXIST) {
        fs::remove_all(p, ec);
        removed = true;
      }
      continue;
    }
    if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) continue;  // a create in progress
    fs::remove_all(p, ec);
    removed = true;
  }
  if (removed) {
    try {
      fsync_dir(parent);
    } catch (const std::system_error&) {
    }
  }
}

bool is_temp_name(const std::string& n) {
  return (n.rfind(".seg-", 0) == 0 && n.size() > 4 && n.compare(n.size() - 4, 4, ".tmp") == 0) ||
         n.rfind(".manifest.json.tmp-", 0) == 0 || n == ".ids.sqlite.rebuild" ||
         n == ".ids.sqlite.rebuild-journal" || n.rfind(".removed.log.tmp-", 0) == 0;
}

}  // namespace veil::store::detail
