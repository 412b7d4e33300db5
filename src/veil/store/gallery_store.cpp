#include "veil/store/gallery_store.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <system_error>
#include <unordered_set>
#include <utility>

#include "veil/io/envelope.h"
#include "veil/io/errors.h"
#include "veil/io/file_io.h"
#include "veil/io/text_check.h"
#include "veil/store/internal.h"
#include "veil/store/sqlite_db.h"
#include "veil/store/test_hooks.h"

namespace veil::store {

namespace test_hooks {
namespace {
std::atomic<int> g_create_crash_point{-1};
}
void set_create_crash_point(int k) { g_create_crash_point = k; }
}  // namespace test_hooks

namespace {

using namespace detail;

void crash_point(int k) {
  if (test_hooks::g_create_crash_point.load() == k) ::_exit(test_hooks::kCrashExitCode);
}

void advise(const std::uint8_t* p, std::size_t n, int advice) {
  if (n == 0) return;
  const std::uintptr_t page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  std::uintptr_t a = reinterpret_cast<std::uintptr_t>(p) & ~(page - 1);
  std::uintptr_t end = reinterpret_cast<std::uintptr_t>(p) + n;
  ::madvise(reinterpret_cast<void*>(a), end - a, advice);  // a hint: errors ignored
}

struct SegmentState {
  std::uint64_t seq = 0;
  std::uint64_t blocks = 0;
  std::uint64_t bytes = 0;
  Checksum checksum{};
  Mapping map;
};

struct BlockState {
  std::int64_t id = 0;
  std::uint64_t seq = 0;
  std::uint64_t position = 0;
  const std::uint8_t* data = nullptr;
  std::uint32_t slots_used = 0;
  Checksum checksum{};
};

bool is_segment_name(const std::string& n) { return parse_segment_file_name(n).has_value(); }

std::string older_store_message(const fs::path& dir) {
  return "store " + q(dir) +
         " was made by an older Veil (store format 1); this Veil reads format " +
         num(kStoreFormatVersion) +
         " only. Re-enroll the templates into a new store (there is no migration)";
}

// The id and label rows of a block, for a trailer (all used slots).
std::vector<TrailerSlot> slots_of(const Db& db, std::int64_t block, std::uint32_t used) {
  Stmt s(db, "SELECT slot, id, label FROM slots WHERE block = ? ORDER BY slot");
  s.bind(1, block);
  std::vector<TrailerSlot> out;
  while (s.step()) {
    if (s.i64(0) != static_cast<std::int64_t>(out.size())) break;
    out.push_back({s.text(1), s.text_or_null(2)});
  }
  if (out.size() != used) {
    throw StoreError(q(db.path()) + ": block " + std::to_string(block) + " has " + num(out.size()) +
                     " consecutive slot rows, expected " + num(used));
  }
  return out;
}

}  // namespace

struct GalleryStore::Impl {
  fs::path dir;
  Mode mode = Mode::kReadOnly;
  StoreConfig config;
  std::string created;
  std::vector<std::uint8_t> manifest_bytes;
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
  // segment, checking headers, key ids and sizes.
  void load() {
    segments.clear();
    blocks.clear();
    std::string idx = q(dir / kIndexFile);
    auto check_meta = [&](const char* key, std::uint64_t want) {
      auto got = static_cast<std::uint64_t>(meta_int(*db, key));
      if (got != want) {
        throw StoreError(idx + ": " + key + " " + num(got) + " disagrees with manifest.json (" +
                         num(want) + ")");
      }
    };
    if (meta_int(*db, "format_version") < kStoreFormatVersion) {
      throw StoreError(older_store_message(dir));
    }
    check_meta("format_version", kStoreFormatVersion);
    check_meta("param_id", config.param_id);
    check_meta("block_bytes", config.block_bytes);
    check_meta("slots_per_block", config.slots_per_block);
    std::string kid = meta_text(*db, "key_id");
    if (kid != config.key_id.hex()) {
      throw StoreError(idx + ": key id " + kid + " disagrees with manifest.json (" +
                       config.key_id.hex() + ")");
    }
    std::string why;
    auto copy = manifest_copy(*db, &why);
    if (!copy) throw StoreError(idx + ": " + why + " (GalleryStore::repair rebuilds the index)");
    if (*copy != manifest_bytes) {
      throw StoreError(q(dir / kManifestFile) +
                       ": differs from the copy kept in the index: one of them is damaged "
                       "(GalleryStore::repair restores the manifest)");
    }
    next_seq = static_cast<std::uint64_t>(meta_int(*db, "next_segment"));
    next_block_id = meta_int(*db, "next_block");

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
      std::array<std::uint8_t, kSegmentDataOffset> head{};
      if (size < kSegmentDataOffset || !pread_all(fd.get(), head, 0, p)) {
        throw StoreError(name + ": truncated: " + num(size) + " bytes, expected " + num(seg.bytes));
      }
      SegmentHeader h;
      try {
        h = parse_segment_header(head, size, config, name);
      } catch (const StoreError& e) {
        if (size != seg.bytes) {
          throw StoreError(
              name + ": " + (size < seg.bytes ? "truncated" : "longer than registered") + ": " +
              num(size) + " bytes, expected " + num(seg.bytes) + " (" + e.what() + ")");
        }
        throw;
      }
      if (size != seg.bytes) {
        throw StoreError(name + ": " + (size < seg.bytes ? "truncated" : "longer than registered") +
                         ": " + num(size) + " bytes, expected " + num(seg.bytes));
      }
      if (h.seq != seq || h.block_count != seg.blocks || h.checksum != seg.checksum) {
        throw StoreError(name + ": header (sequence " + num(h.seq) + ", " + num(h.block_count) +
                         " blocks) or checksum disagrees with the index (sequence " + num(seq) +
                         ", " + num(seg.blocks) + " blocks)");
      }
      seg.map = Mapping(fd.get(), static_cast<std::size_t>(size), p);
    }

    std::map<std::uint64_t, std::uint64_t> per_segment;
    Stmt s(*db,
           "SELECT block, segment, position, offset, slots_used, checksum FROM blocks ORDER BY "
           "block");
    while (s.step()) {
      BlockState b;
      b.id = s.i64(0);
      b.seq = static_cast<std::uint64_t>(s.i64(1));
      b.position = static_cast<std::uint64_t>(s.i64(2));
      auto offset = static_cast<std::uint64_t>(s.i64(3));
      std::int64_t used = s.i64(4);
      auto sum = s.blob(5);
      auto it = segments.find(b.seq);
      if (it == segments.end() || b.position >= it->second.blocks ||
          offset != kSegmentDataOffset + b.position * config.block_bytes || used < 1 ||
          used > static_cast<std::int64_t>(config.slots_per_block) || sum.size() != 32 ||
          b.id < 0 || b.id >= next_block_id) {
        throw StoreError(idx + ": block " + std::to_string(b.id) +
                         " is inconsistent (segment, position, offset, slots_used, checksum or "
                         "id)");
      }
      b.slots_used = static_cast<std::uint32_t>(used);
      std::memcpy(b.checksum.data(), sum.data(), 32);
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
    Stmt c(*db, "SELECT COALESCE(SUM(deleted = 0), 0), COALESCE(SUM(deleted != 0), 0) FROM slots");
    c.step();
    live = static_cast<std::size_t>(c.i64(0));
    tombstoned = static_cast<std::size_t>(c.i64(1));
  }

  void set_meta(const char* key, std::int64_t v) {
    Stmt s(*db, "UPDATE meta SET value = ? WHERE key = ?");
    s.bind(1, v).bind(2, std::string_view(key));
    s.run();
  }
};

GalleryStore::GalleryStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GalleryStore::GalleryStore(GalleryStore&&) noexcept = default;
GalleryStore& GalleryStore::operator=(GalleryStore&&) noexcept = default;
GalleryStore::~GalleryStore() = default;

namespace {

// `dir` without a trailing separator; StoreError when it names no entry.
fs::path store_path(const fs::path& dir) {
  fs::path d = dir;
  while (!d.empty() && d.filename().empty() && d != d.root_path()) d = d.parent_path();
  std::string n = d.filename().string();
  if (n.empty() || n == "." || n == "..") {
    throw StoreError("cannot create a store at " + q(dir) +
                     ": give the store's own directory name");
  }
  return d;
}

std::string random_hex(std::size_t bytes) {
  std::vector<std::uint8_t> b(bytes);
  randombytes_buf(b.data(), b.size());
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  for (std::uint8_t x : b) {
    s += kHex[x >> 4];
    s += kHex[x & 15];
  }
  return s;
}

}  // namespace

GalleryStore GalleryStore::create(const fs::path& dir_in, const StoreConfig& config,
                                  std::span<const SideFile> side_files) {
  validate(config);
  for (const SideFile& f : side_files) {
    const fs::path name(f.name);
    if (f.name.empty() || name.has_parent_path() || f.name[0] == '.' ||
        f.name.rfind(kIndexFile, 0) == 0 || f.name == kManifestFile || f.name == kRemovalLogFile ||
        f.name.rfind("seg", 0) == 0) {
      throw std::invalid_argument("store side file name '" + f.name + "'");
    }
  }
  if (sodium_init() < 0) throw StoreError("libsodium failed to initialise");
  crash_point(0);
  const fs::path dir = store_path(dir_in);
  fs::path parent = dir.parent_path();
  if (parent.empty()) parent = ".";
  std::error_code ec;
  if (!fs::is_directory(parent, ec)) {
    throw StoreError("cannot create a store in " + q(dir) + ": " + q(parent) +
                     " is not a directory");
  }
  remove_creating_leftovers(dir);
  if (fs::exists(fs::symlink_status(dir, ec))) {
    if (!fs::is_directory(fs::symlink_status(dir, ec)) || !fs::is_empty(dir, ec)) {
      throw StoreError("cannot create a store in " + q(dir) +
                       ": it exists and is not an empty directory");
    }
  }
  std::string tmp_name = ".";  // appended: GCC 12 warns falsely (-Wrestrict) on "." + string&&
  tmp_name += dir.filename().string();
  tmp_name += ".creating-";
  tmp_name += random_hex(8);
  const fs::path tmp = parent / tmp_name;
  if (::mkdir(tmp.c_str(), 0777) != 0) {  // minus the umask, as a plain mkdir
    sys_fail("cannot create directory", tmp);
  }
  crash_point(1);
  bool renamed = false;
  try {
    // The lock first: a concurrent create or open that finds this directory
    // leaves it alone while the lock is held.
    Fd lock = take_lock(tmp, Mode::kReadWrite);
    crash_point(2);
    const std::vector<std::uint8_t> manifest = encode_manifest({config, utc_now()});
    {
      Db db(tmp / kIndexFile, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
      configure(db, true);
      Transaction t(db);
      init_index(db, config, manifest, 1, 0);
      t.commit();  // synchronous=FULL: the database file is durable
    }
    crash_point(3);
    auto log = encode_removal_log_header(config.key_id);
    write_new_file(tmp / kRemovalLogFile, log);
    crash_point(4);
    for (const SideFile& f : side_files) write_new_file(tmp / f.name, f.bytes);
    write_new_file(tmp / kManifestFile, manifest);
    crash_point(5);
    fsync_dir(tmp);
    crash_point(6);
    // rename(2) replaces an empty directory atomically and refuses a
    // non-empty one: the store appears whole or not at all.
    if (::rename(tmp.c_str(), dir.c_str()) != 0) {
      int err = errno;
      if (err == ENOTEMPTY || err == EEXIST || err == ENOTDIR || err == EISDIR) {
        throw StoreError("cannot create a store in " + q(dir) +
                         ": it exists and is not an empty directory");
      }
      errno = err;
      sys_fail("cannot rename the new store to", dir);
    }
    renamed = true;
    crash_point(7);
    fsync_dir(parent);
    crash_point(8);
    return open_locked(dir, Mode::kReadWrite, config.param_id, std::move(lock));
  } catch (...) {
    if (!renamed) fs::remove_all(tmp, ec);
    throw;
  }
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
  Fd lock = take_lock(dir, mode);
  if (mode == Mode::kReadWrite) {
    fs::path named = fs::absolute(dir, ec).lexically_normal();
    while (!named.empty() && named.filename().empty() && named != named.root_path()) {
      named = named.parent_path();
    }
    std::string n = named.filename().string();
    if (!ec && !n.empty() && n != "." && n != "..") remove_creating_leftovers(named);
  }
  return open_locked(dir, mode, param_id, std::move(lock));
}

GalleryStore GalleryStore::open_locked(const fs::path& dir, Mode mode,
                                       std::optional<std::uint64_t> param_id, io::UniqueFd lock) {
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->mode = mode;
  impl->lock = std::move(lock);
  fs::path mpath = dir / kManifestFile;
  std::vector<std::uint8_t> mbytes;
  try {
    mbytes = io::read_file(mpath, kMaxManifestBytes);
  } catch (const std::system_error& e) {
    if (e.code() == std::errc::no_such_file_or_directory) {
      throw StoreError("no store at " + q(dir) +
                       ": manifest.json missing (if this was a store, GalleryStore::repair "
                       "restores it from the index)");
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
  impl->manifest_bytes = std::move(mbytes);
  fs::path ipath = dir / kIndexFile;
  std::error_code ec;
  if (!fs::exists(ipath, ec)) {
    throw StoreError(q(ipath) + ": index missing (GalleryStore::repair rebuilds it)");
  }
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

std::optional<std::string> GalleryStore::block_damage(std::size_t i) const {
  const BlockState& b = impl_->block_at(i);
  Checksum got = block_checksum(block(i));
  if (got == b.checksum) return std::nullopt;
  return q(impl_->dir / segment_file_name(b.seq)) + ": block " + num(i) + " (position " +
         num(b.position) + ", stable id " + std::to_string(b.id) + ") is damaged: checksum " +
         checksum_prefix(got) + ", the index records " + checksum_prefix(b.checksum);
}

BlockOrigin GalleryStore::block_origin(std::size_t i) const {
  const BlockState& b = impl_->block_at(i);
  BlockOrigin o;
  o.segment_file = segment_file_name(b.seq);
  o.position = b.position;
  o.block_id = b.id;
  Stmt s(*impl_->db, "SELECT id FROM slots WHERE block = ? ORDER BY slot ASC LIMIT 1");
  s.bind(1, b.id);
  if (s.step()) o.first_id = s.text(0);
  Stmt t(*impl_->db, "SELECT id FROM slots WHERE block = ? ORDER BY slot DESC LIMIT 1");
  t.bind(1, b.id);
  if (t.step()) o.last_id = t.text(0);
  return o;
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

std::vector<std::optional<SlotInfo>> GalleryStore::block_slots(std::size_t block) const {
  const BlockState& b = impl_->block_at(block);
  std::vector<std::optional<SlotInfo>> out(b.slots_used);
  Stmt s(*impl_->db, "SELECT slot, id, label FROM slots WHERE block = ? AND deleted = 0");
  s.bind(1, b.id);
  while (s.step()) {
    const std::int64_t slot = s.i64(0);
    if (slot >= 0 && static_cast<std::uint64_t>(slot) < out.size()) {
      out[static_cast<std::size_t>(slot)] = SlotInfo{s.text(1), s.text_or_null(2).value_or("")};
    }
  }
  return out;
}

std::optional<Location> GalleryStore::find(const std::string& id) const {
  Stmt s(*impl_->db, "SELECT block, slot FROM slots WHERE id = ? AND deleted = 0");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return Location{impl_->index_of(s.i64(0)), static_cast<std::uint32_t>(s.i64(1))};
}

void GalleryStore::append(std::span<const BlockInput> in, const io::KeyId& writer,
                          const ProgressCallback& progress) {
  Impl& I = *impl_;
  // The key first, before any other check or work.
  if (writer != I.config.key_id) {
    throw StoreError(I.where() + ": append: the blocks were made with another key (key id " +
                     writer.hex() + ") than the store's (key id " + I.config.key_id.hex() +
                     "); nothing was added");
  }
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
      for (std::size_t i = 0; i < b.labels.size(); ++i) {
        const std::string& l = b.labels[i];
        if (l.size() > kMaxLabelBytes) {
          throw StoreError(at + "slot " + num(i) + ": label of " + num(l.size()) +
                           " bytes, the limit is " + num(kMaxLabelBytes));
        }
        if (auto p = io::text_problem(l)) {
          throw StoreError(at + "slot " + num(i) + ": label is not clean text: " + *p +
                           "; nothing was added");
        }
      }
      for (std::size_t i = 0; i < b.ids.size(); ++i) {
        const std::string& id = b.ids[i];
        if (id.empty()) throw StoreError(at + "slot " + num(i) + ": empty id");
        if (id.size() > kMaxIdBytes) {
          throw StoreError(at + "slot " + num(i) + ": id of " + num(id.size()) +
                           " bytes, the limit is " + num(kMaxIdBytes));
        }
        if (auto p = io::text_problem(id)) {
          throw StoreError(at + "slot " + num(i) + ": id is not clean text: " + *p +
                           "; nothing was added");
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
  std::vector<BlockToWrite> data;
  data.reserve(in.size());
  for (std::size_t k = 0; k < in.size(); ++k) {
    BlockToWrite w;
    w.data = in[k].bytes.data();
    w.entry.block_id = I.next_block_id + static_cast<std::int64_t>(k);
    w.entry.slots.reserve(in[k].ids.size());
    for (std::size_t i = 0; i < in[k].ids.size(); ++i) {
      TrailerSlot s{in[k].ids[i], std::nullopt};
      if (!in[k].labels.empty()) s.label = in[k].labels[i];
      w.entry.slots.push_back(std::move(s));
    }
    data.push_back(std::move(w));
  }
  std::uint64_t done = 0;
  const std::uint64_t seq = I.next_seq;
  WrittenSegment w =
      write_segment(I.dir, I.config, seq, data, progress, done, in.size() * I.config.block_bytes);
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
    insert_segment_row(*I.db, w);
    std::vector<BlockState> added;
    for (std::size_t k = 0; k < in.size(); ++k) {
      BlockState b;
      b.id = data[k].entry.block_id;
      b.seq = seq;
      b.position = k;
      b.data = seg.map.data() + kSegmentDataOffset + k * I.config.block_bytes;
      b.slots_used = static_cast<std::uint32_t>(in[k].ids.size());
      b.checksum = data[k].entry.checksum;
      insert_block_row(*I.db, b.id, seq, k, I.config.block_bytes, b.slots_used, b.checksum);
      for (std::size_t i = 0; i < data[k].entry.slots.size(); ++i) {
        const TrailerSlot& s = data[k].entry.slots[i];
        insert_slot_row(*I.db, b.id, static_cast<std::uint32_t>(i), s.id, s.label, false);
      }
      added.push_back(b);
    }
    I.set_meta("next_segment", static_cast<std::int64_t>(seq + 1));
    I.set_meta("next_block", I.next_block_id + static_cast<std::int64_t>(in.size()));
    t.commit();  // the acknowledged point
    committed = true;
    I.segments.emplace(seq, std::move(seg));
    I.blocks.insert(I.blocks.end(), added.begin(), added.end());
    I.next_block_id += static_cast<std::int64_t>(in.size());
    I.next_seq = seq + 1;
    I.live += total_ids;
  } catch (...) {
    if (!committed) discard(I.dir, {w});
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
  if (ids.empty()) return 0;
  // Where each id is, before anything is written.
  std::vector<RemovalRecord> records;
  records.reserve(ids.size());
  {
    Stmt s(*I.db, "SELECT block, slot FROM slots WHERE id = ? AND deleted = 0");
    for (const std::string& id : ids) {
      s.bind(1, id);
      if (!s.step()) {
        throw StoreError(I.where() + ": remove: id '" + id +
                         "' is not in the store (unknown or already removed); nothing removed");
      }
      records.push_back({s.i64(0), static_cast<std::uint32_t>(s.i64(1))});
      s.reset();
    }
  }
  // The log first (durable), then the index: an index rebuilt from the
  // segments applies the log, so a removed template never comes back.
  append_removals(I.dir, I.config.key_id, records);
  Transaction t(*I.db);
  Stmt s(*I.db, "UPDATE slots SET deleted = 1 WHERE block = ? AND slot = ? AND deleted = 0");
  for (const RemovalRecord& r : records) {
    s.bind(1, r.block_id).bind(2, static_cast<std::int64_t>(r.slot));
    s.run();
    if (I.db->changes() != 1) {
      throw StoreError(I.where() + ": remove: block " + std::to_string(r.block_id) + " slot " +
                       num(r.slot) + " changed under us; nothing removed");
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
  try {
    std::uint64_t next = I.next_seq;
    for (const auto& [seq, list] : kept) {
      if (list.empty()) continue;
      std::vector<BlockToWrite> data;
      for (const BlockState* b : list) {
        BlockToWrite w;
        w.data = b->data;
        w.entry.block_id = b->id;
        w.entry.checksum = b->checksum;
        w.entry.slots = slots_of(*I.db, b->id, b->slots_used);
        w.known = true;  // a damaged block is refused, not copied under a new checksum
        data.push_back(std::move(w));
      }
      written.push_back(write_segment(I.dir, I.config, next++, data, progress, done, total));
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
      insert_segment_row(*I.db, w);
      for (std::size_t k = 0; k < list.size(); ++k) {
        move.bind(1, static_cast<std::int64_t>(w.seq))
            .bind(2, static_cast<std::int64_t>(k))
            .bind(3, static_cast<std::int64_t>(kSegmentDataOffset + k * I.config.block_bytes))
            .bind(4, list[k]->id);
        move.run();
      }
    }
    I.set_meta("next_segment", static_cast<std::int64_t>(next));
    t.commit();
  } catch (...) {
    discard(I.dir, written);
    throw;
  }
  // Committed: the old segments are garbage now. (Their removal records stay
  // in removed.log: stable block ids are never reused, so they harm nothing.)
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
  r.key_id = I.config.key_id;
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
  r.bytes_at_rest = r.segment_bytes + r.index_bytes + file_size_or_zero(I.dir / kManifestFile) +
                    file_size_or_zero(I.dir / kRemovalLogFile);
  return r;
}

namespace {

struct SlotRow {
  std::uint32_t slot = 0;
  std::string id;
  std::optional<std::string> label;
  std::int64_t deleted = 0;
};

struct BlockRow {
  std::int64_t id = 0;
  std::uint64_t position = 0;
  std::uint32_t used = 0;
  Checksum checksum{};
};

}  // namespace

VerifyReport GalleryStore::verify() const {
  const Impl& I = *impl_;
  VerifyReport r;
  auto problem = [&](std::string s) { r.problems.push_back(std::move(s)); };
  const std::string idx = q(I.dir / kIndexFile);

  // The manifest, against what open read.
  fs::path mpath = I.dir / kManifestFile;
  std::vector<std::uint8_t> mbytes;
  try {
    mbytes = io::read_file(mpath, kMaxManifestBytes);
    Manifest m = parse_manifest(mbytes, q(mpath));
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
      auto got = static_cast<std::uint64_t>(meta_int(*I.db, key));
      if (got != want)
        problem(idx + ": meta " + key + " is " + num(got) + ", expected " + num(want));
    };
    check_meta("format_version", kStoreFormatVersion);
    check_meta("param_id", I.config.param_id);
    check_meta("block_bytes", I.config.block_bytes);
    check_meta("slots_per_block", I.config.slots_per_block);
    std::string kid = meta_text(*I.db, "key_id");
    if (kid != I.config.key_id.hex()) {
      problem(idx + ": meta key_id is " + kid + ", the manifest's is " + I.config.key_id.hex());
    }
    std::string why;
    auto copy = manifest_copy(*I.db, &why);
    if (!copy) {
      problem(idx + ": " + why);
    } else if (!mbytes.empty() && *copy != mbytes) {
      problem(q(mpath) + ": differs from the copy kept in the index");
    }
  } catch (const StoreError& e) {
    problem(e.what());
  }

  // The index rows.
  struct Row {
    std::uint64_t blocks;
    std::uint64_t bytes;
    Checksum checksum;
  };
  std::map<std::uint64_t, Row> rows;
  std::map<std::uint64_t, std::vector<BlockRow>> by_segment;  // by position
  std::map<std::int64_t, std::vector<SlotRow>> slots;         // by slot
  std::set<std::pair<std::int64_t, std::uint32_t>> tombstones, live_slots;
  try {
    auto next_seq = static_cast<std::uint64_t>(meta_int(*I.db, "next_segment"));
    std::int64_t next_block = meta_int(*I.db, "next_block");
    Stmt s(*I.db, "SELECT seq, file, blocks, bytes, checksum FROM segments ORDER BY seq");
    while (s.step()) {
      auto seq = static_cast<std::uint64_t>(s.i64(0));
      std::string file = s.text(1);
      auto sum = s.blob(4);
      if (file != segment_file_name(seq) || sum.size() != 32) {
        problem(idx + ": segment row " + num(seq) + " is malformed ('" + file + "')");
        continue;
      }
      if (seq >= next_seq) problem(idx + ": segment " + num(seq) + " is not below next_segment");
      Row row{static_cast<std::uint64_t>(s.i64(2)), static_cast<std::uint64_t>(s.i64(3)), {}};
      std::memcpy(row.checksum.data(), sum.data(), 32);
      rows[seq] = row;
    }
    std::map<std::int64_t, std::uint32_t> used;
    Stmt b(*I.db,
           "SELECT block, segment, position, offset, slots_used, checksum FROM blocks ORDER BY "
           "segment, position");
    while (b.step()) {
      std::int64_t id = b.i64(0);
      auto seq = static_cast<std::uint64_t>(b.i64(1));
      auto pos = static_cast<std::uint64_t>(b.i64(2));
      auto offset = static_cast<std::uint64_t>(b.i64(3));
      std::int64_t u = b.i64(4);
      auto sum = b.blob(5);
      std::string at = idx + ": block " + std::to_string(id);
      auto it = rows.find(seq);
      std::vector<BlockRow>& list = by_segment[seq];
      if (it == rows.end()) {
        problem(at + " is in segment " + num(seq) + ", which is not registered");
      } else if (pos != list.size()) {
        problem(at + " has position " + num(pos) + " in segment " + num(seq) + ", expected " +
                num(list.size()));
      }
      if (offset != kSegmentDataOffset + pos * I.config.block_bytes) {
        problem(at + " has offset " + num(offset) + ", expected " +
                num(kSegmentDataOffset + pos * I.config.block_bytes));
      }
      if (u < 1 || u > static_cast<std::int64_t>(I.config.slots_per_block)) {
        problem(at + " has slots_used " + std::to_string(u) + ", expected 1.." +
                num(I.config.slots_per_block));
        u = 0;
      }
      if (id < 0 || id >= next_block) problem(at + " is not below next_block");
      BlockRow row{id, pos, static_cast<std::uint32_t>(u), {}};
      if (sum.size() != 32) {
        problem(at + " has a malformed checksum");
      } else {
        std::memcpy(row.checksum.data(), sum.data(), 32);
      }
      list.push_back(row);
      used[id] = static_cast<std::uint32_t>(u);
      ++r.blocks_checked;
    }
    for (const auto& [seq, row] : rows) {
      if (by_segment[seq].size() != row.blocks) {
        problem(idx + ": segment " + num(seq) + " has " + num(row.blocks) + " blocks, " +
                num(by_segment[seq].size()) + " are registered");
      }
    }
    Stmt sl(*I.db, "SELECT block, slot, id, label, deleted FROM slots ORDER BY block, slot");
    while (sl.step()) {
      SlotRow row{static_cast<std::uint32_t>(sl.i64(1)), sl.text(2), sl.text_or_null(3), sl.i64(4)};
      std::int64_t block = sl.i64(0);
      if (row.deleted == 1) tombstones.insert({block, row.slot});
      if (row.deleted == 0) live_slots.insert({block, row.slot});
      slots[block].push_back(std::move(row));
    }
    for (const auto& [id, list] : slots) {
      auto it = used.find(id);
      std::string at = idx + ": slots of block " + std::to_string(id);
      if (it == used.end()) {
        problem(at + ": no such block");
        continue;
      }
      bool consecutive = list.size() == it->second;
      for (std::size_t i = 0; consecutive && i < list.size(); ++i) consecutive = list[i].slot == i;
      if (!consecutive) {
        problem(at + ": " + num(list.size()) + " rows, expected slots 0.." + num(it->second - 1));
      }
      for (const SlotRow& s2 : list) {
        if (s2.deleted != 0 && s2.deleted != 1) {
          problem(at + ": bad 'deleted' value");
          break;
        }
      }
    }
    for (const auto& [id, u] : used) {
      if (!slots.count(id)) problem(idx + ": block " + std::to_string(id) + " has no slots");
    }
    if (used.size() != I.blocks.size()) {
      problem(I.where() + ": the index has " + num(used.size()) + " blocks, the open store " +
              num(I.blocks.size()) + " (changed behind its back?)");
    }
  } catch (const StoreError& e) {
    problem(e.what());
  }

  // Segments: files, headers, key ids, checksums, block checksums, trailers.
  for (const auto& [seq, row] : rows) {
    fs::path p = I.dir / segment_file_name(seq);
    std::string name = q(p);
    Fd fd = open_file(p, O_RDONLY);
    if (fd.get() < 0) {
      problem(name + ": cannot open: " + std::strerror(errno));
      continue;
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) sys_fail("cannot stat", p);
    auto size = static_cast<std::uint64_t>(st.st_size);
    std::array<std::uint8_t, kSegmentDataOffset> head{};
    SegmentHeader h;
    try {
      if (size < kSegmentDataOffset || !pread_all(fd.get(), head, 0, p)) {
        throw StoreError(name + ": truncated: " + num(size) + " bytes, expected " + num(row.bytes));
      }
      h = parse_segment_header(head, size, I.config, name);
    } catch (const StoreError& e) {
      if (size != row.bytes) {
        problem(name + ": " + (size < row.bytes ? "truncated" : "longer than registered") + ": " +
                num(size) + " bytes, expected " + num(row.bytes));
      } else {
        problem(e.what());
      }
      continue;
    }
    if (size != row.bytes) {
      problem(name + ": " + (size < row.bytes ? "truncated" : "longer than registered") + ": " +
              num(size) + " bytes, expected " + num(row.bytes));
      continue;
    }
    if (h.seq != seq || h.block_count != row.blocks) {
      problem(name + ": header says sequence " + num(h.seq) + " with " + num(h.block_count) +
              " blocks, the index " + num(seq) + " with " + num(row.blocks));
    }
    if (h.checksum != row.checksum) problem(name + ": header checksum differs from the index's");
    ++r.segments_checked;
    SegmentScan scan =
        scan_segment(fd.get(), p, size, I.config.block_bytes, h.block_count, &r.bytes_hashed, true);
    if (!scan.complete) {
      problem(name + ": truncated while being read");
      continue;
    }
    if (scan.envelope != h.checksum) {
      problem(name + ": checksum mismatch: the segment's bytes are corrupted");
    }
    const std::vector<BlockRow>& list = by_segment[seq];
    for (std::size_t k = 0; k < list.size() && k < scan.blocks.size(); ++k) {
      if (scan.blocks[k] != list[k].checksum) {
        problem(name + ": block at position " + num(k) + " (stable id " +
                std::to_string(list[k].id) + ") is damaged: checksum " +
                checksum_prefix(scan.blocks[k]) + ", the index records " +
                checksum_prefix(list[k].checksum));
      }
    }
    SegmentTrailer t;
    try {
      t = parse_trailer(scan.trailer, I.config, name);
    } catch (const StoreError& e) {
      problem(e.what());
      continue;
    }
    if (t.seq != h.seq || t.blocks.size() != h.block_count) {
      problem(name + ": the trailer (sequence " + num(t.seq) + ", " + num(t.blocks.size()) +
              " blocks) disagrees with the header");
      continue;
    }
    for (std::size_t k = 0; k < t.blocks.size() && k < list.size(); ++k) {
      const TrailerBlock& tb = t.blocks[k];
      const BlockRow& br = list[k];
      std::string at = name + ": trailer, block at position " + num(k) + " (stable id " +
                       std::to_string(br.id) + "): ";
      if (tb.block_id != br.id) {
        problem(at + "the trailer says stable id " + std::to_string(tb.block_id));
        continue;
      }
      if (tb.slots.size() != br.used) {
        problem(at + num(tb.slots.size()) + " slots used, the index says " + num(br.used));
      }
      if (tb.checksum != br.checksum) {
        problem(at + "checksum " + checksum_prefix(tb.checksum) + ", the index records " +
                checksum_prefix(br.checksum));
      }
      auto sit = slots.find(br.id);
      if (sit == slots.end()) continue;
      for (std::size_t i = 0; i < tb.slots.size() && i < sit->second.size(); ++i) {
        const SlotRow& sr = sit->second[i];
        if (sr.id != tb.slots[i].id || sr.label != tb.slots[i].label) {
          problem(at + "slot " + num(i) + ": id or label differs from the index ('" +
                  tb.slots[i].id + "' in the trailer, '" + sr.id + "' in the index)");
        }
      }
    }
  }

  // The removal log against the tombstones.
  const fs::path lpath = I.dir / kRemovalLogFile;
  try {
    std::vector<std::uint8_t> bytes = io::read_file(lpath, std::uint64_t{1} << 34);
    RemovalLog log = parse_removal_log(bytes, I.config.key_id, q(lpath));
    for (std::uint64_t off : log.damaged) {
      problem(q(lpath) + ": the record at byte " + num(off) +
              " is damaged: an index rebuilt from the segments could bring a removed template "
              "back (GalleryStore::repair rewrites the log from the index)");
    }
    if (log.torn_tail_bytes) {
      r.notes.push_back(q(lpath) + ": a partial last record (" + num(log.torn_tail_bytes) +
                        " bytes) of an interrupted remove; the next remove cuts it off");
    }
    std::set<std::pair<std::int64_t, std::uint32_t>> logged;
    for (const RemovalRecord& rec : log.records) logged.insert({rec.block_id, rec.slot});
    for (const auto& t : tombstones) {
      if (!logged.count(t)) {
        problem(q(lpath) + ": no record of the removal of block " + std::to_string(t.first) +
                " slot " + num(t.second) +
                ": an index rebuilt from the segments would bring it back "
                "(GalleryStore::repair adds it)");
      }
    }
    for (const auto& l : logged) {
      if (live_slots.count(l)) {
        r.notes.push_back(q(lpath) + ": block " + std::to_string(l.first) + " slot " +
                          num(l.second) +
                          " is logged as removed but live in the index (an interrupted remove): "
                          "an index rebuild would remove it");
      }
    }
  } catch (const std::system_error& e) {
    problem(q(lpath) + ": " + e.what());
  } catch (const StoreError& e) {
    problem(e.what());
  } catch (const io::FormatError& e) {
    problem(q(lpath) + ": " + e.what());
  }

  // Leftovers of interrupted writes: harmless, removed by the next read-write open.
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(I.dir, ec)) {
    std::string n = e.path().filename().string();
    auto seq = parse_segment_file_name(n);
    if (is_temp_name(n) || (seq && !rows.count(*seq))) {
      r.notes.push_back(q(e.path()) + ": not part of the store (left by an interrupted write)");
    }
  }
  return r;
}

}  // namespace veil::store
