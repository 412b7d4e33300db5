// GalleryStore::repair: see gallery_store.h and README.md ("Repair").
//
// Two modes. When the index (ids.sqlite) is sound and agrees with every
// sound segment, it is the authority: damaged segments are rewritten around
// their damaged blocks in one transaction, like a compaction. Otherwise the
// index is rebuilt from the manifest, the segment trailers and removed.log.
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>
#include <unordered_map>

#include "veil/io/envelope.h"
#include "veil/io/errors.h"
#include "veil/io/file_io.h"
#include "veil/store/gallery_store.h"
#include "veil/store/internal.h"
#include "veil/store/sqlite_db.h"

namespace veil::store {

namespace {

using namespace detail;

constexpr const char* kRebuildFile = ".ids.sqlite.rebuild";

struct IndexSlot {
  std::string id;
  std::optional<std::string> label;
  bool deleted = false;
};

struct IndexBlock {
  std::int64_t id = 0;
  std::uint64_t seq = 0;
  std::uint64_t position = 0;
  Checksum checksum{};
  std::vector<IndexSlot> slots;
};

struct IndexSegment {
  std::uint64_t seq = 0;
  std::uint64_t blocks = 0;
  std::uint64_t bytes = 0;
  Checksum checksum{};
  std::vector<std::int64_t> block_ids;  // by position
};

struct IndexModel {
  std::map<std::uint64_t, IndexSegment> segments;
  std::map<std::int64_t, IndexBlock> blocks;
  std::uint64_t next_segment = 1;
  std::int64_t next_block = 0;
  std::vector<std::uint8_t> manifest;  // the copy, checked against its checksum
  Manifest parsed;
};

// Reads the whole index and checks it thoroughly: SQLite's quick_check,
// meta against the manifest copy, and the structure of the tables. Any
// doubt is a StoreError saying what is wrong.
IndexModel read_index(const fs::path& path) {
  const std::string name = q(path);
  Db db(path, SQLITE_OPEN_READWRITE);  // rolls back a hot journal
  configure(db, true);
  {
    Stmt s(db, "PRAGMA quick_check");
    while (s.step()) {
      if (s.text(0) != "ok") throw StoreError(name + ": integrity: " + s.text(0));
    }
  }
  IndexModel m;
  if (meta_int(db, "format_version") != kStoreFormatVersion) {
    throw StoreError(name + ": format_version " + std::to_string(meta_int(db, "format_version")) +
                     ", expected " + num(kStoreFormatVersion));
  }
  std::string why;
  auto copy = manifest_copy(db, &why);
  if (!copy) throw StoreError(name + ": " + why);
  m.manifest = *copy;
  m.parsed = parse_manifest(m.manifest, name + " (manifest copy)");
  const StoreConfig& c = m.parsed.config;
  auto expect = [&](const char* key, std::uint64_t want) {
    if (static_cast<std::uint64_t>(meta_int(db, key)) != want) {
      throw StoreError(name + ": meta " + key + " disagrees with the manifest copy");
    }
  };
  expect("param_id", c.param_id);
  expect("block_bytes", c.block_bytes);
  expect("slots_per_block", c.slots_per_block);
  if (meta_text(db, "key_id") != c.key_id.hex()) {
    throw StoreError(name + ": meta key_id disagrees with the manifest copy");
  }
  std::int64_t ns = meta_int(db, "next_segment");
  m.next_block = meta_int(db, "next_block");
  if (ns < 1 || m.next_block < 0)
    throw StoreError(name + ": meta next_segment/next_block out of range");
  m.next_segment = static_cast<std::uint64_t>(ns);
  {
    Stmt s(db, "SELECT seq, file, blocks, bytes, checksum FROM segments ORDER BY seq");
    while (s.step()) {
      IndexSegment seg;
      std::int64_t seq = s.i64(0);
      auto sum = s.blob(4);
      if (seq < 1 || static_cast<std::uint64_t>(seq) >= m.next_segment ||
          s.text(1) != segment_file_name(static_cast<std::uint64_t>(seq)) || sum.size() != 32 ||
          s.i64(2) < 0 || s.i64(3) < 0) {
        throw StoreError(name + ": segment row " + std::to_string(seq) + " is malformed");
      }
      seg.seq = static_cast<std::uint64_t>(seq);
      seg.blocks = static_cast<std::uint64_t>(s.i64(2));
      seg.bytes = static_cast<std::uint64_t>(s.i64(3));
      std::memcpy(seg.checksum.data(), sum.data(), 32);
      m.segments.emplace(seg.seq, seg);
    }
  }
  {
    Stmt s(db,
           "SELECT block, segment, position, offset, slots_used, checksum FROM blocks ORDER BY "
           "segment, position");
    while (s.step()) {
      IndexBlock b;
      b.id = s.i64(0);
      std::int64_t seq = s.i64(1), pos = s.i64(2), off = s.i64(3), used = s.i64(4);
      auto sum = s.blob(5);
      auto it = m.segments.find(static_cast<std::uint64_t>(seq));
      if (it == m.segments.end() || b.id < 0 || b.id >= m.next_block || pos < 0 ||
          static_cast<std::uint64_t>(pos) != it->second.block_ids.size() ||
          static_cast<std::uint64_t>(off) !=
              kSegmentDataOffset + static_cast<std::uint64_t>(pos) * c.block_bytes ||
          used < 1 || used > static_cast<std::int64_t>(c.slots_per_block) || sum.size() != 32) {
        throw StoreError(name + ": block row " + std::to_string(b.id) + " is inconsistent");
      }
      b.seq = static_cast<std::uint64_t>(seq);
      b.position = static_cast<std::uint64_t>(pos);
      std::memcpy(b.checksum.data(), sum.data(), 32);
      b.slots.resize(static_cast<std::size_t>(used));
      it->second.block_ids.push_back(b.id);
      m.blocks.emplace(b.id, std::move(b));
    }
  }
  for (const auto& [seq, seg] : m.segments) {
    if (seg.block_ids.size() != seg.blocks) {
      throw StoreError(name + ": segment " + num(seq) + " lists " + num(seg.blocks) +
                       " blocks, the block table " + num(seg.block_ids.size()));
    }
  }
  {
    Stmt s(db, "SELECT block, slot, id, label, deleted FROM slots ORDER BY block, slot");
    std::map<std::int64_t, std::size_t> seen;
    while (s.step()) {
      std::int64_t block = s.i64(0), slot = s.i64(1), del = s.i64(4);
      auto it = m.blocks.find(block);
      if (it == m.blocks.end() || slot < 0 || static_cast<std::size_t>(slot) != seen[block] ||
          static_cast<std::size_t>(slot) >= it->second.slots.size() || (del != 0 && del != 1)) {
        throw StoreError(name + ": slot row (" + std::to_string(block) + ", " +
                         std::to_string(slot) + ") is inconsistent");
      }
      ++seen[block];
      it->second.slots[static_cast<std::size_t>(slot)] = {s.text(2), s.text_or_null(3), del == 1};
    }
    for (const auto& [id, b] : m.blocks) {
      if (seen[id] != b.slots.size()) {
        throw StoreError(name + ": block " + std::to_string(id) + " lacks slot rows");
      }
    }
  }
  return m;
}

// What a segment file holds, as far as it can be read.
struct Inspection {
  std::string name;
  std::uint64_t seq = 0;  // from the file name
  bool exists = false;
  std::uint64_t size = 0;
  std::optional<SegmentHeader> header;
  std::string header_problem;
  bool envelope_ok = false;
  std::optional<SegmentTrailer> trailer;
  std::string trailer_problem;
  std::vector<std::optional<Checksum>> block_sums;  // by position; nullopt: not wholly present

  // Header, envelope checksum and trailer sound and consistent with each
  // other, with the file name, and with every block's bytes.
  bool intact() const {
    if (!header || !envelope_ok || !trailer) return false;
    if (header->seq != seq || trailer->seq != seq ||
        trailer->blocks.size() != header->block_count) {
      return false;
    }
    for (std::size_t k = 0; k < trailer->blocks.size(); ++k) {
      if (k >= block_sums.size() || !block_sums[k] || *block_sums[k] != trailer->blocks[k].checksum)
        return false;
    }
    return true;
  }
  std::string problem() const {
    if (!exists) return "missing";
    if (!header) return header_problem;
    if (!envelope_ok) return "envelope checksum mismatch";
    if (!trailer) return trailer_problem;
    return "inconsistent header, trailer or blocks";
  }
};

Inspection inspect(const fs::path& dir, const StoreConfig& config, std::uint64_t seq,
                   std::uint64_t count_hint) {
  Inspection in;
  in.seq = seq;
  in.name = segment_file_name(seq);
  const fs::path p = dir / in.name;
  const std::string name = q(p);
  Fd fd = open_file(p, O_RDONLY);
  if (fd.get() < 0) {
    if (errno == ENOENT) return in;
    sys_fail("cannot open", p);
  }
  in.exists = true;
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) sys_fail("cannot stat", p);
  in.size = static_cast<std::uint64_t>(st.st_size);
  const std::uint64_t bb = config.block_bytes;
  std::array<std::uint8_t, kSegmentDataOffset> head{};
  if (in.size >= kSegmentDataOffset && pread_all(fd.get(), head, 0, p)) {
    try {
      in.header = parse_segment_header(head, in.size, config, name);
    } catch (const StoreError& e) {
      in.header_problem = e.what();
    }
  } else {
    in.header_problem = name + ": truncated: " + num(in.size) + " bytes";
  }
  auto read_trailer = [&](std::uint64_t off) {
    std::vector<std::uint8_t> t(static_cast<std::size_t>(in.size - off));
    if (!pread_all(fd.get(), t, off, p)) throw StoreError(name + ": trailer: truncated");
    return parse_trailer(t, config, name);
  };
  if (in.header) {
    try {
      in.trailer = read_trailer(in.size - in.header->trailer_bytes);
    } catch (const StoreError& e) {
      in.trailer_problem = e.what();
    }
  } else if (in.size >= kSegmentDataOffset) {
    // The header cannot be trusted: look for the trailer's magic at each
    // block boundary (its own checksum confirms a find).
    in.trailer_problem = name + ": trailer not found";
    for (std::uint64_t k = 0, off = kSegmentDataOffset; off + kTrailerHeaderSize <= in.size;
         ++k, off += bb) {
      std::array<std::uint8_t, kTrailerHeaderSize> th{};
      if (!pread_all(fd.get(), th, off, p)) break;
      auto peek = peek_trailer(th);
      if (!peek || peek->block_count != k ||
          peek->entries_bytes != in.size - off - kTrailerHeaderSize) {
        continue;
      }
      try {
        in.trailer = read_trailer(off);
        break;
      } catch (const StoreError& e) {
        in.trailer_problem = e.what();
      }
    }
  } else {
    in.trailer_problem = name + ": truncated";
  }
  std::uint64_t count = count_hint;
  if (in.header) count = std::max(count, in.header->block_count);
  if (in.trailer) count = std::max<std::uint64_t>(count, in.trailer->blocks.size());
  if (in.size >= kSegmentDataOffset)
    count = std::min(count, (in.size - kSegmentDataOffset) / bb);
  else
    count = 0;
  if (in.size >= io::kEnvelopeHeaderSize) {
    SegmentScan scan = scan_segment(fd.get(), p, in.size, bb, count, nullptr, false);
    in.envelope_ok = in.header && scan.complete && scan.envelope == in.header->checksum;
    for (const Checksum& c : scan.blocks) in.block_sums.push_back(c);
  }
  return in;
}

void sort_by_block(std::vector<RepairedBlock>& v) {
  std::stable_sort(v.begin(), v.end(), [](const RepairedBlock& a, const RepairedBlock& b) {
    return a.block_id < b.block_id;
  });
}

class Repairer {
 public:
  Repairer(fs::path dir, RepairReport& report) : dir_(std::move(dir)), r_(report), quar_(dir_) {}

  void run() {
    read_manifest();
    probe_index();
    if (index_) {
      config_ = index_->parsed.config;
      // The index is the authority only if every sound segment agrees with it.
      inspect_registered();
    }
    if (index_) {
      repair_with_index();
    } else {
      if (!manifest_) {
        throw StoreError(
            "cannot repair " + q(dir_) + ": manifest.json is " + manifest_problem_ +
            " and ids.sqlite is " + index_problem_ +
            ": the store's configuration (its search parameters) is lost with both. Nothing was "
            "changed; re-enroll the templates into a new store");
      }
      config_ = manifest_->config;
      rebuild_index();
    }
    r_.quarantined = quar_.files();
  }

 private:
  void read_manifest() {
    const fs::path p = dir_ / kManifestFile;
    try {
      manifest_bytes_ = io::read_file(p, kMaxManifestBytes);
    } catch (const std::system_error& e) {
      if (e.code() != std::errc::no_such_file_or_directory) throw;
      manifest_problem_ = "missing";
      return;
    } catch (const io::FormatError& e) {
      manifest_problem_ = std::string("damaged (") + e.what() + ")";
      manifest_present_ = true;
      return;
    }
    manifest_present_ = true;
    // A store of an older format is not damaged: it is refused as open does.
    nlohmann::json j =
        nlohmann::json::parse(manifest_bytes_.begin(), manifest_bytes_.end(), nullptr, false);
    if (j.is_object() && j.contains("version") && j["version"].is_number_unsigned() &&
        j["version"].get<std::uint64_t>() < kStoreFormatVersion &&
        j.value("format", std::string()) == "veil-gallery-store") {
      throw StoreError("cannot repair " + q(dir_) +
                       ": it was made by an older Veil (store format " +
                       std::to_string(j["version"].get<std::uint64_t>()) +
                       "); re-enroll the templates into a new store (there is no migration)");
    }
    try {
      manifest_ = parse_manifest(manifest_bytes_, q(p));
    } catch (const StoreError& e) {
      manifest_problem_ = std::string("damaged (") + e.what() + ")";
    }
  }

  void probe_index() {
    const fs::path p = dir_ / kIndexFile;
    std::error_code ec;
    if (!fs::exists(p, ec)) {
      index_problem_ = "missing";
      return;
    }
    index_present_ = true;
    try {
      index_ = read_index(p);
    } catch (const StoreError& e) {
      index_problem_ = std::string("damaged (") + e.what() + ")";
    } catch (const io::FormatError& e) {
      index_problem_ = std::string("damaged (") + e.what() + ")";
    }
  }

  // Index mode: inspect every registered segment; an intact segment that
  // disagrees with the index makes the index suspect (rebuild instead).
  void inspect_registered() {
    for (const auto& [seq, seg] : index_->segments) {
      Inspection in = inspect(dir_, config_, seq, seg.blocks);
      if (in.intact()) {
        std::string why = disagreement(in, seg);
        if (!why.empty()) {
          index_problem_ = "inconsistent (" + why + ")";
          index_.reset();
          inspections_.clear();
          return;
        }
      }
      inspections_.emplace(seq, std::move(in));
    }
  }

  std::string disagreement(const Inspection& in, const IndexSegment& seg) const {
    const std::string name = in.name;
    if (in.size != seg.bytes || in.header->block_count != seg.blocks ||
        in.header->checksum != seg.checksum) {
      return name + " is sound but its size, block count or checksum differs from the index";
    }
    for (std::size_t k = 0; k < seg.block_ids.size(); ++k) {
      const TrailerBlock& t = in.trailer->blocks[k];
      const IndexBlock& b = index_->blocks.at(seg.block_ids[k]);
      if (t.block_id != b.id || t.checksum != b.checksum || t.slots.size() != b.slots.size()) {
        return name + " position " + num(k) + " differs from the index's block " +
               std::to_string(b.id);
      }
      for (std::size_t i = 0; i < t.slots.size(); ++i) {
        if (t.slots[i].id != b.slots[i].id || t.slots[i].label != b.slots[i].label) {
          return name + " block " + std::to_string(b.id) + " slot " + num(i) +
                 " differs from the index";
        }
      }
    }
    return {};
  }

  void lost(const std::vector<IndexSlot>& slots) {
    for (const IndexSlot& s : slots)
      if (!s.deleted) r_.lost_ids.push_back(s.id);
  }

  // The index is sound: rewrite damaged segments around their damaged
  // blocks (new segments durable, one transaction, old files quarantined).
  void repair_with_index() {
    IndexModel& m = *index_;
    struct Plan {
      std::uint64_t seq;
      std::vector<std::int64_t> keep;  // salvaged, in position order
    };
    std::vector<Plan> plans;
    std::vector<std::int64_t> dropped;
    std::vector<std::uint64_t> gone;  // segment rows to delete
    std::vector<std::string> damaged_files;
    for (const auto& [seq, seg] : m.segments) {
      const Inspection& in = inspections_.at(seq);
      if (in.exists && in.intact()) continue;  // sound and agreeing
      gone.push_back(seq);
      Plan plan{seq, {}};
      for (std::size_t k = 0; k < seg.block_ids.size(); ++k) {
        const IndexBlock& b = m.blocks.at(seg.block_ids[k]);
        RepairedBlock rb{b.id, in.name, k, ""};
        if (!in.exists) {
          rb.reason = "segment file missing";
        } else if (k >= in.block_sums.size() || !in.block_sums[k]) {
          rb.reason = "bytes missing (segment truncated)";
        } else if (*in.block_sums[k] != b.checksum) {
          rb.reason = "checksum mismatch: " + checksum_prefix(*in.block_sums[k]) +
                      ", the index records " + checksum_prefix(b.checksum);
        }
        if (rb.reason.empty()) {
          plan.keep.push_back(b.id);
          r_.salvaged.push_back(rb);
        } else {
          dropped.push_back(b.id);
          r_.dropped.push_back(rb);
        }
      }
      if (in.exists) {
        damaged_files.push_back(in.name);
        r_.notes.push_back(in.name + ": " + in.problem());
      } else {
        r_.notes.push_back(in.name + ": registered in the index but missing");
      }
      if (!plan.keep.empty()) plans.push_back(std::move(plan));
    }
    // Reported in block order (compaction may have moved older blocks into
    // newer segments).
    std::sort(dropped.begin(), dropped.end());
    for (std::int64_t id : dropped) lost(m.blocks.at(id).slots);
    sort_by_block(r_.dropped);
    sort_by_block(r_.salvaged);

    if (!gone.empty()) {
      // New segments with the intact blocks, durable before the index changes.
      std::vector<WrittenSegment> written;
      std::vector<Mapping> maps;
      std::uint64_t next = m.next_segment;
      for (std::uint64_t seq : gone) next = std::max(next, seq + 1);
      try {
        for (const Plan& plan : plans) {
          const fs::path p = dir_ / segment_file_name(plan.seq);
          Fd fd = open_file(p, O_RDONLY);
          if (fd.get() < 0) sys_fail("cannot open", p);
          const Inspection& in = inspections_.at(plan.seq);
          Mapping map(fd.get(), static_cast<std::size_t>(in.size), p);
          std::vector<BlockToWrite> data;
          for (std::int64_t id : plan.keep) {
            const IndexBlock& b = m.blocks.at(id);
            BlockToWrite w;
            w.data = map.data() + kSegmentDataOffset + b.position * config_.block_bytes;
            w.entry.block_id = id;
            w.entry.checksum = b.checksum;
            for (const IndexSlot& s : b.slots) w.entry.slots.push_back({s.id, s.label});
            w.known = true;
            data.push_back(std::move(w));
          }
          std::uint64_t done = 0;
          written.push_back(write_segment(dir_, config_, next++, data, {}, done, 0));
          maps.push_back(std::move(map));
        }
        // Damaged files are kept (hard links) before the index forgets them.
        for (const std::string& f : damaged_files) quar_.keep_copy(f);
        Db db(dir_ / kIndexFile, SQLITE_OPEN_READWRITE);
        configure(db, true);
        Transaction t(db);
        Stmt del_slots(db, "DELETE FROM slots WHERE block = ?");
        Stmt del_block(db, "DELETE FROM blocks WHERE block = ?");
        for (std::int64_t id : dropped) {
          del_slots.bind(1, id);
          del_slots.run();
          del_block.bind(1, id);
          del_block.run();
        }
        Stmt del_seg(db, "DELETE FROM segments WHERE seq = ?");
        for (std::uint64_t seq : gone) {
          del_seg.bind(1, static_cast<std::int64_t>(seq));
          del_seg.run();
        }
        Stmt move(db, "UPDATE blocks SET segment = ?, position = ?, offset = ? WHERE block = ?");
        for (std::size_t i = 0; i < plans.size(); ++i) {
          insert_segment_row(db, written[i]);
          for (std::size_t k = 0; k < plans[i].keep.size(); ++k) {
            move.bind(1, static_cast<std::int64_t>(written[i].seq))
                .bind(2, static_cast<std::int64_t>(k))
                .bind(3, static_cast<std::int64_t>(kSegmentDataOffset + k * config_.block_bytes))
                .bind(4, plans[i].keep[k]);
            move.run();
          }
        }
        Stmt meta(db, "UPDATE meta SET value = ? WHERE key = 'next_segment'");
        meta.bind(1, static_cast<std::int64_t>(next));
        meta.run();
        t.commit();
      } catch (...) {
        discard(dir_, written);
        throw;
      }
      maps.clear();
      for (const std::string& f : damaged_files) ::unlink((dir_ / f).c_str());
      fsync_dir(dir_);
      for (std::int64_t id : dropped) m.blocks.erase(id);
    }

    // The manifest, from the index's copy.
    if (!manifest_ || manifest_bytes_ != m.manifest) {
      r_.notes.push_back(
          std::string(kManifestFile) + ": " +
          (manifest_ ? std::string("differs from the index's copy") : manifest_problem_) +
          "; rewritten from the copy in ids.sqlite");
      if (manifest_present_) quar_.move(kManifestFile);
      io::write_file_atomic(dir_ / kManifestFile, m.manifest);
      r_.manifest_rebuilt = true;
    }

    // Removals logged but never committed (a remove interrupted between the
    // log and the index) are completed, as a rebuild would.
    {
      bool usable, present;
      std::string problem;
      RemovalLog log = read_log(usable, present, problem);
      std::set<RemovalRecord> logged(log.records.begin(), log.records.end());
      std::vector<RemovalRecord> pending;
      for (auto& [id, b] : m.blocks) {
        for (std::size_t i = 0; i < b.slots.size(); ++i) {
          if (!b.slots[i].deleted && logged.count({id, static_cast<std::uint32_t>(i)})) {
            pending.push_back({id, static_cast<std::uint32_t>(i)});
            r_.completed_removals.push_back(b.slots[i].id);
            b.slots[i].deleted = true;
          }
        }
      }
      if (!pending.empty()) {
        Db db(dir_ / kIndexFile, SQLITE_OPEN_READWRITE);
        configure(db, true);
        Transaction t(db);
        Stmt kill(db, "UPDATE slots SET deleted = 1 WHERE block = ? AND slot = ?");
        for (const RemovalRecord& rec : pending) {
          kill.bind(1, rec.block_id).bind(2, static_cast<std::int64_t>(rec.slot));
          kill.run();
        }
        t.commit();
        r_.notes.push_back(std::string(kRemovalLogFile) + ": completed " + num(pending.size()) +
                           " removals that were logged but not committed (an interrupted remove)");
      }
    }

    // The removal log must record every tombstone.
    std::set<RemovalRecord> tombstones;
    for (const auto& [id, b] : m.blocks) {
      for (std::size_t i = 0; i < b.slots.size(); ++i) {
        if (b.slots[i].deleted) tombstones.insert({id, static_cast<std::uint32_t>(i)});
      }
    }
    fix_log(tombstones);
  }

  // Reads removed.log; `usable` false when it is missing or its header is bad.
  RemovalLog read_log(bool& usable, bool& present, std::string& problem) {
    const fs::path p = dir_ / kRemovalLogFile;
    usable = false;
    present = false;
    std::vector<std::uint8_t> bytes;
    try {
      bytes = io::read_file(p, std::uint64_t{1} << 34);
    } catch (const std::system_error& e) {
      if (e.code() != std::errc::no_such_file_or_directory) throw;
      problem = "missing";
      return {};
    } catch (const io::FormatError& e) {
      present = true;
      problem = e.what();
      return {};
    }
    present = true;
    try {
      RemovalLog log = parse_removal_log(bytes, config_.key_id, q(p));
      usable = true;
      if (!log.damaged.empty()) problem = num(log.damaged.size()) + " damaged records";
      return log;
    } catch (const StoreError& e) {
      problem = e.what();
      return {};
    }
  }

  // Makes removed.log record at least `needed` (plus what it holds intact).
  void fix_log(const std::set<RemovalRecord>& needed) {
    bool usable, present;
    std::string problem;
    RemovalLog log = read_log(usable, present, problem);
    std::set<RemovalRecord> have(log.records.begin(), log.records.end());
    std::vector<RemovalRecord> missing;
    for (const RemovalRecord& t : needed)
      if (!have.count(t)) missing.push_back(t);
    if (usable && log.damaged.empty()) {
      if (missing.empty()) return;
      append_removals(dir_, config_.key_id, missing);
      r_.notes.push_back(std::string(kRemovalLogFile) + ": added " + num(missing.size()) +
                         " missing removal records");
      r_.log_rebuilt = true;
      return;
    }
    std::set<RemovalRecord> all = have;
    all.insert(needed.begin(), needed.end());
    std::vector<RemovalRecord> records(all.begin(), all.end());
    r_.notes.push_back(std::string(kRemovalLogFile) + ": " + problem +
                       "; rewritten from the index's removals and its intact records");
    if (present) quar_.move(kRemovalLogFile);
    io::write_file_atomic(dir_ / kRemovalLogFile, removal_log_bytes(config_.key_id, records));
    r_.log_rebuilt = true;
  }

  // The index is missing, damaged or inconsistent: rebuild it from the
  // manifest, the segment trailers and removed.log.
  void rebuild_index() {
    r_.index_rebuilt = true;
    r_.notes.push_back(std::string(kIndexFile) + ": " + index_problem_ +
                       "; rebuilt from the segment trailers and removed.log");
    bool log_usable, log_present;
    std::string log_problem;
    RemovalLog log = read_log(log_usable, log_present, log_problem);
    if (!log_usable) {
      r_.notes.push_back(std::string(kRemovalLogFile) + ": " + log_problem +
                         ": templates removed earlier may have come back; remove them again");
    } else if (!log.damaged.empty()) {
      r_.notes.push_back(std::string(kRemovalLogFile) + ": " + num(log.damaged.size()) +
                         " damaged records: the templates they removed may have come back");
    }
    std::set<RemovalRecord> removed(log.records.begin(), log.records.end());

    // Every segment file in the directory.
    std::map<std::uint64_t, Inspection> segs;
    std::uint64_t max_seq = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_)) {
      auto seq = parse_segment_file_name(e.path().filename().string());
      if (!seq) continue;
      max_seq = std::max(max_seq, *seq);
      segs.emplace(*seq, inspect(dir_, config_, *seq, 0));
    }
    // Candidate copies of each block; the chosen one is the intact copy in
    // the segment with the highest sequence number (a compaction
    // interrupted after its commit leaves a block in two segments).
    struct Copy {
      std::uint64_t seq;
      std::size_t position;
      bool intact;
    };
    std::map<std::int64_t, std::vector<Copy>> copies;
    std::int64_t max_block = -1;
    for (const auto& [seq, in] : segs) {
      if (!in.trailer) {
        std::string what = in.header ? num(in.header->block_count) + " blocks" : "its blocks";
        r_.notes.push_back(in.name + ": " + in.trailer_problem + ": " + what +
                           " dropped, their ids are unknown (the index that listed them is "
                           "lost too)");
        continue;
      }
      for (std::size_t k = 0; k < in.trailer->blocks.size(); ++k) {
        const TrailerBlock& t = in.trailer->blocks[k];
        bool ok = k < in.block_sums.size() && in.block_sums[k] && *in.block_sums[k] == t.checksum;
        copies[t.block_id].push_back({seq, k, ok});
        max_block = std::max(max_block, t.block_id);
      }
    }
    for (const RemovalRecord& rec : removed) max_block = std::max(max_block, rec.block_id);
    std::map<std::int64_t, Copy> chosen;
    std::vector<RepairedBlock> dropped;
    for (const auto& [id, list] : copies) {
      const Copy* best = nullptr;
      for (const Copy& c : list)
        if (c.intact && (!best || c.seq > best->seq)) best = &c;
      if (best) {
        chosen.emplace(id, *best);
        continue;
      }
      const Copy* last = &list.front();
      for (const Copy& c : list)
        if (c.seq > last->seq) last = &c;
      const Inspection& in = segs.at(last->seq);
      const TrailerBlock& t = in.trailer->blocks[last->position];
      std::string reason =
          last->position < in.block_sums.size() && in.block_sums[last->position]
              ? "checksum mismatch: " + checksum_prefix(*in.block_sums[last->position]) +
                    ", the trailer records " + checksum_prefix(t.checksum)
              : std::string("bytes missing (segment truncated)");
      r_.dropped.push_back({id, in.name, last->position, reason});
      for (std::size_t i = 0; i < t.slots.size(); ++i) {
        if (!removed.count({id, static_cast<std::uint32_t>(i)}))
          r_.lost_ids.push_back(t.slots[i].id);
      }
    }
    // Which segments stay as they are, which are rewritten.
    std::uint64_t next = max_seq + 1;
    struct NewSeg {
      std::uint64_t from;
      std::vector<std::int64_t> ids;
    };
    std::vector<NewSeg> rewrites;
    std::vector<std::uint64_t> kept;
    std::vector<std::string> damaged_files, superseded_files;
    for (const auto& [seq, in] : segs) {
      bool all_chosen = in.trailer != std::nullopt;
      std::vector<std::int64_t> mine;
      if (in.trailer) {
        for (std::size_t k = 0; k < in.trailer->blocks.size(); ++k) {
          auto it = chosen.find(in.trailer->blocks[k].block_id);
          if (it != chosen.end() && it->second.seq == seq) {
            mine.push_back(in.trailer->blocks[k].block_id);
          } else {
            all_chosen = false;
          }
        }
      }
      if (in.intact() && all_chosen) {
        kept.push_back(seq);
        continue;
      }
      if (in.intact()) {
        superseded_files.push_back(in.name);
        r_.notes.push_back(in.name +
                           ": superseded by a later segment (an interrupted compaction); removed");
      } else {
        damaged_files.push_back(in.name);
        r_.notes.push_back(in.name + ": " + in.problem());
      }
      std::vector<std::int64_t> carried;
      for (std::int64_t id : mine) {
        const Copy& c = chosen.at(id);
        const TrailerBlock& t = in.trailer->blocks[c.position];
        bool all_removed = true;
        for (std::size_t i = 0; i < t.slots.size(); ++i)
          all_removed = all_removed && removed.count({id, static_cast<std::uint32_t>(i)}) > 0;
        if (all_removed) {
          // What a compaction drops (and an interrupted one had dropped).
          r_.notes.push_back(in.name + ": block " + std::to_string(id) +
                             " holds only removed templates: not carried over");
          chosen.erase(id);
          continue;
        }
        carried.push_back(id);
        if (!in.intact()) r_.salvaged.push_back({id, in.name, c.position, ""});
      }
      if (!carried.empty()) rewrites.push_back({seq, std::move(carried)});
    }
    sort_by_block(r_.dropped);
    sort_by_block(r_.salvaged);

    // New segments for the rewritten ones.
    std::vector<WrittenSegment> written;
    std::map<std::int64_t, std::pair<std::uint64_t, std::uint64_t>> location;  // id -> seq, pos
    for (std::uint64_t seq : kept) {
      const Inspection& in = segs.at(seq);
      for (std::size_t k = 0; k < in.trailer->blocks.size(); ++k)
        location[in.trailer->blocks[k].block_id] = {seq, k};
    }
    try {
      for (const NewSeg& ns : rewrites) {
        const Inspection& in = segs.at(ns.from);
        const fs::path p = dir_ / in.name;
        Fd fd = open_file(p, O_RDONLY);
        if (fd.get() < 0) sys_fail("cannot open", p);
        Mapping map(fd.get(), static_cast<std::size_t>(in.size), p);
        std::vector<BlockToWrite> data;
        for (std::int64_t id : ns.ids) {
          const Copy& c = chosen.at(id);
          BlockToWrite w;
          w.data = map.data() + kSegmentDataOffset + c.position * config_.block_bytes;
          w.entry = in.trailer->blocks[c.position];
          w.known = true;
          data.push_back(std::move(w));
        }
        std::uint64_t done = 0;
        WrittenSegment w = write_segment(dir_, config_, next++, data, {}, done, 0);
        for (std::size_t k = 0; k < ns.ids.size(); ++k) location[ns.ids[k]] = {w.seq, k};
        written.push_back(w);
      }

      // The new index, built beside the old one, then renamed into place.
      const fs::path tmp = dir_ / kRebuildFile;
      ::unlink(tmp.c_str());
      ::unlink((tmp.string() + "-journal").c_str());
      std::vector<RemovalRecord> dedup;
      {
        Db db(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        configure(db, true);
        Transaction t(db);
        init_index(db, config_, manifest_bytes_, next, max_block + 1);
        for (std::uint64_t seq : kept) {
          const Inspection& in = segs.at(seq);
          WrittenSegment w{seq, dir_ / in.name, in.size, in.header->block_count,
                           in.header->checksum};
          insert_segment_row(db, w);
        }
        for (const WrittenSegment& w : written) insert_segment_row(db, w);
        std::unordered_map<std::string, std::pair<std::int64_t, std::uint32_t>> live;
        Stmt kill(db, "UPDATE slots SET deleted = 1 WHERE block = ? AND slot = ?");
        for (const auto& [id, c] : chosen) {
          const TrailerBlock& t = segs.at(c.seq).trailer->blocks[c.position];
          auto [seq, pos] = location.at(id);
          insert_block_row(db, id, seq, pos, config_.block_bytes,
                           static_cast<std::uint32_t>(t.slots.size()), t.checksum);
          for (std::size_t i = 0; i < t.slots.size(); ++i) {
            auto slot = static_cast<std::uint32_t>(i);
            bool del = removed.count({id, slot}) > 0;
            if (!del) {
              auto [it, fresh] = live.emplace(t.slots[i].id, std::make_pair(id, slot));
              if (!fresh) {
                // Live twice: the earlier one was removed (its record is
                // lost) before the id was enrolled again.
                kill.bind(1, it->second.first)
                    .bind(2, static_cast<std::int64_t>(it->second.second));
                kill.run();
                dedup.push_back({it->second.first, it->second.second});
                r_.notes.push_back("id '" + t.slots[i].id + "' was live in blocks " +
                                   std::to_string(it->second.first) + " and " + std::to_string(id) +
                                   ": the earlier one is marked removed");
                it->second = {id, slot};
              }
            }
            insert_slot_row(db, id, slot, t.slots[i].id, t.slots[i].label, del);
          }
        }
        t.commit();
      }
      for (const std::string& f : damaged_files) quar_.keep_copy(f);
      std::error_code ec2;
      if (index_present_) quar_.move(kIndexFile);
      if (fs::exists(dir_ / (std::string(kIndexFile) + "-journal"), ec2)) {
        quar_.move(std::string(kIndexFile) + "-journal");
      }
      if (::rename(tmp.c_str(), (dir_ / kIndexFile).c_str()) != 0) {
        sys_fail("cannot rename the rebuilt index to", dir_ / kIndexFile);
      }
      fsync_dir(dir_);
      for (const std::string& f : damaged_files) ::unlink((dir_ / f).c_str());
      for (const std::string& f : superseded_files) ::unlink((dir_ / f).c_str());
      fsync_dir(dir_);
      std::set<RemovalRecord> needed(log.records.begin(), log.records.end());
      needed.insert(dedup.begin(), dedup.end());
      fix_log(needed);
    } catch (...) {
      // Segments written but not registered are removed by the next
      // read-write open; the old index (if any) is still in place.
      throw;
    }
    (void)ec;
  }

  fs::path dir_;
  RepairReport& r_;
  Quarantine quar_;
  std::vector<std::uint8_t> manifest_bytes_;
  std::optional<Manifest> manifest_;
  bool manifest_present_ = false;
  std::string manifest_problem_;
  std::optional<IndexModel> index_;
  bool index_present_ = false;
  std::string index_problem_;
  StoreConfig config_;
  std::map<std::uint64_t, Inspection> inspections_;
};

}  // namespace

RepairReport GalleryStore::repair(const fs::path& dir) {
  if (sodium_init() < 0) throw StoreError("libsodium failed to initialise");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw StoreError("no store at " + q(dir) + ": not a directory");
  // Something of a store must be there (the lock file is created otherwise).
  bool any = fs::exists(dir / kManifestFile, ec) || fs::exists(dir / kIndexFile, ec);
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    any = any || parse_segment_file_name(e.path().filename().string()).has_value();
  }
  if (!any) {
    throw StoreError("no store at " + q(dir) +
                     ": no manifest.json, ids.sqlite or segment file; nothing to repair");
  }
  Fd lock = take_lock(dir, Mode::kReadWrite);
  RepairReport report;
  Repairer(dir, report).run();
  // The repaired store must open (this also removes leftovers).
  open_locked(dir, Mode::kReadWrite, std::nullopt, std::move(lock));
  return report;
}

}  // namespace veil::store
