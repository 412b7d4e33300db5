#include "veil/store/format.h"

#include <sodium.h>

#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "veil/io/byte_io.h"
#include "veil/io/envelope.h"
#include "veil/io/errors.h"
#include "veil/io/text_check.h"
#include "veil/store/errors.h"

namespace veil::store {
namespace {

constexpr std::uint8_t kSegmentMagic[4] = {'V', 'S', 'E', 'G'};
constexpr std::uint8_t kTrailerMagic[4] = {'V', 'T', 'R', 'L'};
constexpr std::uint8_t kLogMagic[8] = {'V', 'E', 'I', 'L', 'R', 'M', 'L', 'G'};
constexpr std::uint8_t kRecordMagic[4] = {'R', 'M', 'V', '1'};
constexpr const char* kManifestFormat = "veil-gallery-store";

std::uint64_t le(const std::uint8_t* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}

void put_le(std::uint8_t* p, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

void append_le(std::vector<std::uint8_t>& out, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::string hex(std::span<const std::uint8_t> b) {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * b.size());
  for (std::uint8_t x : b) {
    s += kHex[x >> 4];
    s += kHex[x & 15];
  }
  return s;
}

int unhex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

[[noreturn]] void bad(const std::string& source, const std::string& what) {
  throw StoreError(source + ": " + what);
}

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string num(std::uint64_t v) { return std::to_string(v); }

Checksum blake2b(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b = {}) {
  Checksum c{};
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, c.size());
  crypto_generichash_update(&st, a.data(), a.size());
  if (!b.empty()) crypto_generichash_update(&st, b.data(), b.size());
  crypto_generichash_final(&st, c.data(), c.size());
  return c;
}

// The limits of one trailer entry, shared by the encoder and the parser.
void check_entry(const TrailerBlock& b, const StoreConfig& config, const std::string& where) {
  if (b.block_id < 0) bad(where, "negative block id " + std::to_string(b.block_id));
  if (b.slots.empty() || b.slots.size() > config.slots_per_block) {
    bad(where, num(b.slots.size()) + " slots, expected 1.." + num(config.slots_per_block));
  }
  for (std::size_t i = 0; i < b.slots.size(); ++i) {
    const TrailerSlot& s = b.slots[i];
    std::string at = "slot " + num(i) + ": ";
    if (s.id.empty() || s.id.size() > kMaxIdBytes) {
      bad(where, at + "id of " + num(s.id.size()) + " bytes, expected 1.." + num(kMaxIdBytes));
    }
    if (auto p = io::text_problem(s.id)) bad(where, at + "id: " + *p);
    if (s.label) {
      if (s.label->size() > kMaxLabelBytes) {
        bad(where, at + "label of " + num(s.label->size()) + " bytes, the limit is " +
                       num(kMaxLabelBytes));
      }
      if (auto p = io::text_problem(*s.label)) bad(where, at + "label: " + *p);
    }
  }
}

}  // namespace

void validate(const StoreConfig& c) {
  if (c.block_bytes == 0 || c.block_bytes % 64 != 0 || c.block_bytes > kMaxBlockBytes) {
    throw StoreError("store config: block_bytes must be a non-zero multiple of 64 up to " +
                     num(kMaxBlockBytes) + ", got " + num(c.block_bytes));
  }
  if (c.slots_per_block == 0 || c.slots_per_block > kMaxSlotsPerBlock) {
    throw StoreError("store config: slots_per_block must be in 1.." + num(kMaxSlotsPerBlock) +
                     ", got " + num(c.slots_per_block));
  }
  if (c.search_config.size() > kMaxSearchConfigBytes) {
    throw StoreError("store config: search_config is " + num(c.search_config.size()) +
                     " bytes, the limit is " + num(kMaxSearchConfigBytes));
  }
  if (c.key_id.empty()) {
    throw StoreError(
        "store config: key_id is empty (all zero): a store records the key set its templates "
        "are encrypted with");
  }
}

std::vector<std::uint8_t> encode_manifest(const Manifest& m) {
  validate(m.config);
  nlohmann::ordered_json j;
  j["format"] = kManifestFormat;
  j["version"] = kStoreFormatVersion;
  j["param_id"] = hex64(m.config.param_id);
  j["key_id"] = m.config.key_id.hex();
  j["block_bytes"] = m.config.block_bytes;
  j["slots_per_block"] = m.config.slots_per_block;
  j["search_config"] = hex(m.config.search_config);
  j["created"] = m.created;
  std::string s = j.dump(2) + "\n";
  return {s.begin(), s.end()};
}

Manifest parse_manifest(std::span<const std::uint8_t> bytes, const std::string& source) {
  if (bytes.size() > kMaxManifestBytes) {
    bad(source,
        "manifest is " + num(bytes.size()) + " bytes, the limit is " + num(kMaxManifestBytes));
  }
  nlohmann::json j = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (j.is_discarded()) bad(source, "not valid JSON");
  if (!j.is_object()) bad(source, "expected a JSON object");
  // The version first: an older store has other keys, and deserves a clear word.
  if (auto v = j.find("version"); v != j.end() && v->is_number_unsigned()) {
    std::uint64_t version = v->get<std::uint64_t>();
    if (version < kStoreFormatVersion) {
      bad(source, "store format version " + num(version) +
                      ": this store was made by an older Veil; this Veil reads format " +
                      num(kStoreFormatVersion) +
                      " only. Re-enroll the templates into a new store (there is no migration)");
    }
  }
  static const char* kKeys[] = {"format",      "version",         "param_id",      "key_id",
                                "block_bytes", "slots_per_block", "search_config", "created"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (const char* k : kKeys) known = known || it.key() == k;
    if (!known) bad(source, "unexpected key '" + it.key() + "'");
  }
  auto field = [&](const char* key) -> const nlohmann::json& {
    auto it = j.find(key);
    if (it == j.end()) bad(source, std::string("key '") + key + "' missing");
    return *it;
  };
  auto string_field = [&](const char* key) {
    const nlohmann::json& v = field(key);
    if (!v.is_string()) bad(source, std::string("'") + key + "' must be a string");
    return v.get<std::string>();
  };
  auto uint_field = [&](const char* key) {
    const nlohmann::json& v = field(key);
    if (!v.is_number_unsigned())
      bad(source, std::string("'") + key + "' must be a non-negative integer");
    return v.get<std::uint64_t>();
  };
  if (string_field("format") != kManifestFormat) {
    bad(source, "'format' is '" + string_field("format") + "', expected '" + kManifestFormat + "'");
  }
  std::uint64_t version = uint_field("version");
  if (version != kStoreFormatVersion) {
    bad(source, "store format version " + num(version) + " is not supported (expected " +
                    num(kStoreFormatVersion) + ")");
  }
  Manifest m;
  std::string pid = string_field("param_id");
  if (pid.size() != 16) bad(source, "'param_id' must be 16 hex digits, got '" + pid + "'");
  for (char c : pid) {
    int d = unhex(c);
    if (d < 0) bad(source, "'param_id' must be 16 lower-case hex digits, got '" + pid + "'");
    m.config.param_id = m.config.param_id << 4 | static_cast<std::uint64_t>(d);
  }
  std::string kid = string_field("key_id");
  std::optional<io::KeyId> key = io::KeyId::from_hex(kid);
  if (!key || key->hex() != kid) {
    bad(source, "'key_id' must be 32 lower-case hex digits, got '" + kid.substr(0, 64) + "'");
  }
  m.config.key_id = *key;
  m.config.block_bytes = uint_field("block_bytes");
  std::uint64_t slots = uint_field("slots_per_block");
  if (slots > kMaxSlotsPerBlock) bad(source, "'slots_per_block' " + num(slots) + " out of range");
  m.config.slots_per_block = static_cast<std::uint32_t>(slots);
  std::string sc = string_field("search_config");
  if (sc.size() % 2 != 0 || sc.size() / 2 > kMaxSearchConfigBytes) {
    bad(source, "'search_config' must be an even number of hex digits, at most " +
                    num(2 * kMaxSearchConfigBytes));
  }
  m.config.search_config.resize(sc.size() / 2);
  for (std::size_t i = 0; i < sc.size(); i += 2) {
    int hi = unhex(sc[i]), lo = unhex(sc[i + 1]);
    if (hi < 0 || lo < 0) bad(source, "'search_config' must be lower-case hex");
    m.config.search_config[i / 2] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  m.created = string_field("created");
  if (m.created.size() > 64) bad(source, "'created' is too long");
  try {
    validate(m.config);
  } catch (const StoreError& e) {
    bad(source, e.what());
  }
  return m;
}

Checksum block_checksum(std::span<const std::uint8_t> block) { return blake2b(block); }

std::string checksum_prefix(const Checksum& c, std::size_t digits) {
  return hex(c).substr(0, digits);
}

std::uint64_t segment_file_size(std::uint64_t block_bytes, std::uint64_t block_count,
                                std::uint64_t trailer_bytes) {
  try {
    return io::checked_add(io::checked_add(kSegmentDataOffset, trailer_bytes),
                           io::checked_mul(block_count, block_bytes));
  } catch (const io::FormatError&) {
    throw StoreError("segment size overflows: " + num(block_count) + " blocks of " +
                     num(block_bytes) + " bytes and a trailer of " + num(trailer_bytes));
  }
}

std::array<std::uint8_t, kSegmentHeaderSize> encode_segment_header(const StoreConfig& config,
                                                                   std::uint64_t seq,
                                                                   std::uint64_t block_count,
                                                                   std::uint64_t trailer_bytes) {
  std::array<std::uint8_t, kSegmentHeaderSize> h{};
  std::memcpy(h.data(), kSegmentMagic, 4);
  put_le(h.data() + 4, kSegmentVersion, 4);
  put_le(h.data() + 8, seq, 8);
  put_le(h.data() + 16, config.block_bytes, 8);
  put_le(h.data() + 24, block_count, 8);
  put_le(h.data() + 32, config.slots_per_block, 4);
  std::memcpy(h.data() + (kSegmentKeyIdOffset - 64), config.key_id.bytes.data(), io::KeyId::kSize);
  put_le(h.data() + (kSegmentTrailerBytesOffset - 64), trailer_bytes, 8);
  return h;
}

SegmentHeader parse_segment_header(std::span<const std::uint8_t> head, std::uint64_t file_size,
                                   const StoreConfig& config, const std::string& source) {
  if (file_size < kSegmentDataOffset || head.size() < kSegmentDataOffset) {
    bad(source, "truncated: segment file is " + num(file_size) + " bytes, at least " +
                    num(kSegmentDataOffset) + " expected");
  }
  const std::uint8_t* p = head.data();
  if (std::memcmp(p, io::kEnvelopeMagic, 4) != 0) bad(source, "not a Veil envelope (bad magic)");
  std::uint64_t v = le(p + io::kEnvelopeVersionOffset, 2);
  if (v != io::kEnvelopeVersion) {
    bad(source, "envelope version " + num(v) + ", expected " + num(io::kEnvelopeVersion));
  }
  auto type = static_cast<io::ObjectType>(le(p + io::kEnvelopeTypeOffset, 2));
  if (type != io::ObjectType::GallerySegment) {
    bad(source, "expected object type " + io::describe(io::ObjectType::GallerySegment) + ", got " +
                    io::describe(type));
  }
  if (le(p + io::kEnvelopeFlagsOffset, 8) != 0) bad(source, "envelope flags/reserved not zero");
  SegmentHeader h;
  h.param_id = le(p + io::kEnvelopeParamIdOffset, 8);
  if (h.param_id != config.param_id) {
    bad(source, "parameter id " + hex64(h.param_id) + ", expected " + hex64(config.param_id) +
                    " (a segment of another store?)");
  }
  std::uint64_t payload = le(p + io::kEnvelopePayloadSizeOffset, 8);
  if (payload != file_size - io::kEnvelopeHeaderSize) {
    bad(source, std::string(payload > file_size - io::kEnvelopeHeaderSize ? "truncated"
                                                                          : "trailing bytes") +
                    ": envelope payload size " + num(payload) + ", the file holds " +
                    num(file_size - io::kEnvelopeHeaderSize));
  }
  std::memcpy(h.checksum.data(), p + io::kEnvelopeChecksumOffset, 32);
  const std::uint8_t* s = p + io::kEnvelopeHeaderSize;
  if (std::memcmp(s, kSegmentMagic, 4) != 0) bad(source, "bad segment magic");
  if (le(s + 4, 4) != kSegmentVersion) {
    bad(source, "segment version " + num(le(s + 4, 4)) + ", expected " + num(kSegmentVersion));
  }
  h.seq = le(s + 8, 8);
  h.block_bytes = le(s + 16, 8);
  h.block_count = le(s + 24, 8);
  h.slots_per_block = static_cast<std::uint32_t>(le(s + 32, 4));
  std::memcpy(h.key_id.bytes.data(), p + kSegmentKeyIdOffset, io::KeyId::kSize);
  h.trailer_bytes = le(p + kSegmentTrailerBytesOffset, 8);
  for (std::size_t i = kSegmentTrailerBytesOffset + 8; i < kSegmentDataOffset; ++i) {
    if (p[i] != 0) bad(source, "segment header padding not zero");
  }
  if (h.block_bytes != config.block_bytes) {
    bad(source, "block_bytes " + num(h.block_bytes) + ", expected " + num(config.block_bytes));
  }
  if (h.slots_per_block != config.slots_per_block) {
    bad(source,
        "slots_per_block " + num(h.slots_per_block) + ", expected " + num(config.slots_per_block));
  }
  if (h.key_id != config.key_id) {
    bad(source, "made with another key: the segment's key id is " + h.key_id.hex() +
                    ", the store's is " + config.key_id.hex());
  }
  if (h.trailer_bytes < kTrailerHeaderSize) {
    bad(source, "trailer of " + num(h.trailer_bytes) + " bytes, at least " +
                    num(kTrailerHeaderSize) + " expected");
  }
  std::uint64_t want = segment_file_size(h.block_bytes, h.block_count, h.trailer_bytes);
  if (want != file_size) {
    bad(source, std::string(want > file_size ? "truncated" : "trailing bytes") + ": " +
                    num(h.block_count) + " blocks and a " + num(h.trailer_bytes) +
                    "-byte trailer need a " + num(want) + "-byte file, found " + num(file_size) +
                    " bytes");
  }
  return h;
}

std::uint64_t trailer_size(std::span<const TrailerBlock> blocks) {
  std::uint64_t n = kTrailerHeaderSize;
  for (const TrailerBlock& b : blocks) {
    n += kTrailerEntryFixedSize;
    for (const TrailerSlot& s : b.slots) n += 4 + s.id.size() + (s.label ? s.label->size() : 0);
  }
  return n;
}

std::vector<std::uint8_t> encode_trailer(const StoreConfig& config, std::uint64_t seq,
                                         std::span<const TrailerBlock> blocks) {
  std::vector<std::uint8_t> out(kTrailerHeaderSize);
  out.reserve(static_cast<std::size_t>(trailer_size(blocks)));
  for (std::size_t k = 0; k < blocks.size(); ++k) {
    const TrailerBlock& b = blocks[k];
    check_entry(b, config, "trailer: block " + num(k));
    if (k > 0 && b.block_id <= blocks[k - 1].block_id) {
      bad("trailer: block " + num(k), "block ids must ascend");
    }
    append_le(out, static_cast<std::uint64_t>(b.block_id), 8);
    append_le(out, b.slots.size(), 4);
    append_le(out, 0, 4);
    out.insert(out.end(), b.checksum.begin(), b.checksum.end());
    for (const TrailerSlot& s : b.slots) {
      append_le(out, s.id.size(), 2);
      append_le(out, s.label ? s.label->size() + 1 : 0, 2);
      out.insert(out.end(), s.id.begin(), s.id.end());
      if (s.label) out.insert(out.end(), s.label->begin(), s.label->end());
    }
  }
  std::uint8_t* h = out.data();
  std::memcpy(h, kTrailerMagic, 4);
  put_le(h + 4, kTrailerVersion, 4);
  put_le(h + 8, seq, 8);
  put_le(h + 16, blocks.size(), 8);
  std::memcpy(h + 24, config.key_id.bytes.data(), io::KeyId::kSize);
  put_le(h + 40, out.size() - kTrailerHeaderSize, 8);
  Checksum c = blake2b(std::span(out).first(48), std::span(out).subspan(kTrailerHeaderSize));
  std::memcpy(h + 48, c.data(), c.size());
  return out;
}

std::optional<TrailerHead> peek_trailer(std::span<const std::uint8_t> head) {
  if (head.size() < kTrailerHeaderSize) return std::nullopt;
  if (std::memcmp(head.data(), kTrailerMagic, 4) != 0) return std::nullopt;
  if (le(head.data() + 4, 4) != kTrailerVersion) return std::nullopt;
  return TrailerHead{le(head.data() + 8, 8), le(head.data() + 16, 8), le(head.data() + 40, 8)};
}

SegmentTrailer parse_trailer(std::span<const std::uint8_t> bytes, const StoreConfig& config,
                             const std::string& source) {
  const std::string where = source + ": trailer";
  if (bytes.size() < kTrailerHeaderSize) {
    bad(where, "truncated: " + num(bytes.size()) + " bytes, at least " + num(kTrailerHeaderSize) +
                   " expected");
  }
  const std::uint8_t* p = bytes.data();
  if (std::memcmp(p, kTrailerMagic, 4) != 0) bad(where, "bad magic");
  if (le(p + 4, 4) != kTrailerVersion) {
    bad(where, "version " + num(le(p + 4, 4)) + ", expected " + num(kTrailerVersion));
  }
  SegmentTrailer t;
  t.seq = le(p + 8, 8);
  std::uint64_t count = le(p + 16, 8);
  std::memcpy(t.key_id.bytes.data(), p + 24, io::KeyId::kSize);
  std::uint64_t entries = le(p + 40, 8);
  if (entries != bytes.size() - kTrailerHeaderSize) {
    bad(where,
        std::string(entries > bytes.size() - kTrailerHeaderSize ? "truncated" : "trailing bytes") +
            ": entries of " + num(entries) + " bytes, " + num(bytes.size() - kTrailerHeaderSize) +
            " present");
  }
  Checksum want{};
  std::memcpy(want.data(), p + 48, want.size());
  if (blake2b(bytes.first(48), bytes.subspan(kTrailerHeaderSize)) != want) {
    bad(where, "checksum mismatch: the trailer is corrupted");
  }
  if (t.key_id != config.key_id) {
    bad(where, "made with another key: key id " + t.key_id.hex() + ", the store's is " +
                   config.key_id.hex());
  }
  // Every entry takes at least 48 + 5 bytes: bound the count before reserving.
  std::uint64_t rest = entries;
  if (count > rest / (kTrailerEntryFixedSize + 5)) {
    bad(where, num(count) + " blocks cannot fit in " + num(rest) + " bytes of entries");
  }
  t.blocks.reserve(static_cast<std::size_t>(count));
  std::size_t off = kTrailerHeaderSize;
  auto need = [&](std::uint64_t n, const std::string& what) {
    if (n > bytes.size() - off) bad(where, "truncated in " + what);
  };
  for (std::uint64_t k = 0; k < count; ++k) {
    const std::string at = "block " + num(k);
    need(kTrailerEntryFixedSize, at);
    TrailerBlock b;
    std::uint64_t id = le(p + off, 8);
    if (id >= (std::uint64_t{1} << 63)) bad(where, at + ": block id out of range");
    b.block_id = static_cast<std::int64_t>(id);
    std::uint64_t used = le(p + off + 8, 4);
    if (le(p + off + 12, 4) != 0) bad(where, at + ": padding not zero");
    std::memcpy(b.checksum.data(), p + off + 16, b.checksum.size());
    off += kTrailerEntryFixedSize;
    if (used == 0 || used > config.slots_per_block) {
      bad(where, at + ": " + num(used) + " slots used, expected 1.." + num(config.slots_per_block));
    }
    if (used > (bytes.size() - off) / 5) bad(where, at + ": " + num(used) + " slots cannot fit");
    b.slots.reserve(static_cast<std::size_t>(used));
    for (std::uint64_t i = 0; i < used; ++i) {
      const std::string sat = at + " slot " + num(i);
      need(4, sat);
      std::uint64_t id_len = le(p + off, 2);
      std::uint64_t label_field = le(p + off + 2, 2);
      off += 4;
      if (id_len == 0 || id_len > kMaxIdBytes) {
        bad(where, sat + ": id of " + num(id_len) + " bytes, expected 1.." + num(kMaxIdBytes));
      }
      if (label_field > kMaxLabelBytes + 1) {
        bad(where, sat + ": label of " + num(label_field - 1) + " bytes, the limit is " +
                       num(kMaxLabelBytes));
      }
      std::uint64_t label_len = label_field ? label_field - 1 : 0;
      need(id_len + label_len, sat);
      TrailerSlot s;
      s.id.assign(reinterpret_cast<const char*>(p + off), static_cast<std::size_t>(id_len));
      off += static_cast<std::size_t>(id_len);
      if (label_field) {
        s.label.emplace(reinterpret_cast<const char*>(p + off),
                        static_cast<std::size_t>(label_len));
        off += static_cast<std::size_t>(label_len);
      }
      b.slots.push_back(std::move(s));
    }
    check_entry(b, config, where + ": " + at);
    if (!t.blocks.empty() && b.block_id <= t.blocks.back().block_id) {
      bad(where, at + ": block ids do not ascend");
    }
    t.blocks.push_back(std::move(b));
  }
  if (off != bytes.size()) bad(where, num(bytes.size() - off) + " bytes after the last entry");
  return t;
}

SegmentContents check_segment(std::span<const std::uint8_t> bytes, const StoreConfig& config,
                              const std::string& source) {
  SegmentContents c;
  c.header = parse_segment_header(bytes, bytes.size(), config, source);
  try {
    io::open_envelope(bytes, io::ObjectType::GallerySegment, config.param_id, bytes.size());
  } catch (const io::FormatError& e) {
    bad(source, e.what());
  }
  const std::uint64_t data_end = bytes.size() - c.header.trailer_bytes;
  c.trailer = parse_trailer(bytes.subspan(static_cast<std::size_t>(data_end)), config, source);
  if (c.trailer.seq != c.header.seq || c.trailer.blocks.size() != c.header.block_count) {
    bad(source, "the trailer (sequence " + num(c.trailer.seq) + ", " +
                    num(c.trailer.blocks.size()) + " blocks) disagrees with the header (sequence " +
                    num(c.header.seq) + ", " + num(c.header.block_count) + " blocks)");
  }
  for (std::size_t i = 0; i < c.trailer.blocks.size(); ++i) {
    auto blk = bytes.subspan(kSegmentDataOffset + i * config.block_bytes,
                             static_cast<std::size_t>(config.block_bytes));
    Checksum got = block_checksum(blk);
    if (got != c.trailer.blocks[i].checksum) {
      bad(source, "block " + num(i) + " (stable id " +
                      std::to_string(c.trailer.blocks[i].block_id) + "): checksum " +
                      checksum_prefix(got) + ", the trailer records " +
                      checksum_prefix(c.trailer.blocks[i].checksum));
    }
  }
  return c;
}

std::vector<std::uint8_t> encode_segment(const StoreConfig& config, std::uint64_t seq,
                                         std::span<const std::span<const std::uint8_t>> blocks,
                                         std::span<const TrailerBlock> entries) {
  validate(config);
  if (entries.size() != blocks.size()) {
    throw StoreError("encode_segment: " + num(entries.size()) + " trailer entries for " +
                     num(blocks.size()) + " blocks");
  }
  std::vector<std::uint8_t> trailer = encode_trailer(config, seq, entries);
  std::uint64_t size = segment_file_size(config.block_bytes, blocks.size(), trailer.size());
  std::vector<std::uint8_t> payload;
  payload.reserve(static_cast<std::size_t>(size - io::kEnvelopeHeaderSize));
  auto h = encode_segment_header(config, seq, blocks.size(), trailer.size());
  payload.insert(payload.end(), h.begin(), h.end());
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    auto b = blocks[i];
    if (b.size() != config.block_bytes) {
      throw StoreError("encode_segment: block of " + num(b.size()) + " bytes, expected " +
                       num(config.block_bytes));
    }
    if (block_checksum(b) != entries[i].checksum) {
      throw StoreError("encode_segment: block " + num(i) + " does not match its entry's checksum");
    }
    payload.insert(payload.end(), b.begin(), b.end());
  }
  payload.insert(payload.end(), trailer.begin(), trailer.end());
  return io::seal_envelope(io::ObjectType::GallerySegment, config.param_id, payload);
}

std::string segment_file_name(std::uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "seg-%06llu.vseg", static_cast<unsigned long long>(seq));
  return buf;
}

std::optional<std::uint64_t> parse_segment_file_name(const std::string& name) {
  if (name.size() < 4 + 6 + 5 || name.size() > 4 + 19 + 5 || name.rfind("seg-", 0) != 0 ||
      name.compare(name.size() - 5, 5, ".vseg") != 0) {
    return std::nullopt;
  }
  std::uint64_t v = 0;
  for (std::size_t i = 4; i < name.size() - 5; ++i) {
    char c = name[i];
    if (c < '0' || c > '9') return std::nullopt;
    if (v > (UINT64_MAX - 9) / 10) return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (segment_file_name(v) != name) return std::nullopt;  // canonical form only
  return v;
}

std::array<std::uint8_t, kRemovalLogHeaderSize> encode_removal_log_header(const io::KeyId& key) {
  std::array<std::uint8_t, kRemovalLogHeaderSize> h{};
  std::memcpy(h.data(), kLogMagic, 8);
  put_le(h.data() + 8, kRemovalLogVersion, 4);
  std::memcpy(h.data() + 16, key.bytes.data(), io::KeyId::kSize);
  return h;
}

std::array<std::uint8_t, kRemovalRecordSize> encode_removal_record(const RemovalRecord& r) {
  std::array<std::uint8_t, kRemovalRecordSize> b{};
  put_le(b.data(), static_cast<std::uint64_t>(r.block_id), 8);
  put_le(b.data() + 8, r.slot, 4);
  std::memcpy(b.data() + 12, kRecordMagic, 4);
  crypto_generichash(b.data() + 16, 16, b.data(), 16, nullptr, 0);
  return b;
}

RemovalLog parse_removal_log(std::span<const std::uint8_t> bytes, const io::KeyId& key,
                             const std::string& source) {
  if (bytes.size() < kRemovalLogHeaderSize) {
    bad(source, "truncated: " + num(bytes.size()) + " bytes, the header alone is " +
                    num(kRemovalLogHeaderSize));
  }
  if (std::memcmp(bytes.data(), kLogMagic, 8) != 0) bad(source, "not a removal log (bad magic)");
  if (le(bytes.data() + 8, 4) != kRemovalLogVersion || le(bytes.data() + 12, 4) != 0) {
    bad(source, "removal log version " + num(le(bytes.data() + 8, 4)) + ", expected " +
                    num(kRemovalLogVersion));
  }
  io::KeyId k;
  std::memcpy(k.bytes.data(), bytes.data() + 16, io::KeyId::kSize);
  if (k != key) {
    bad(source, "made with another key: key id " + k.hex() + ", the store's is " + key.hex());
  }
  RemovalLog log;
  std::size_t off = kRemovalLogHeaderSize;
  log.records.reserve((bytes.size() - off) / kRemovalRecordSize);
  for (; bytes.size() - off >= kRemovalRecordSize; off += kRemovalRecordSize) {
    const std::uint8_t* p = bytes.data() + off;
    std::uint64_t id = le(p, 8);
    RemovalRecord r{static_cast<std::int64_t>(id & ~(std::uint64_t{1} << 63)),
                    static_cast<std::uint32_t>(le(p + 8, 4))};
    if (id >= (std::uint64_t{1} << 63) || encode_removal_record(r) != [&] {
          std::array<std::uint8_t, kRemovalRecordSize> a{};
          std::memcpy(a.data(), p, a.size());
          return a;
        }()) {
      log.damaged.push_back(off);
      continue;
    }
    log.records.push_back(r);
  }
  log.torn_tail_bytes = bytes.size() - off;
  return log;
}

}  // namespace veil::store
