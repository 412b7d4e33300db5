#include "veil/store/format.h"

#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "veil/io/byte_io.h"
#include "veil/io/envelope.h"
#include "veil/io/errors.h"
#include "veil/store/errors.h"

namespace veil::store {
namespace {

constexpr std::uint8_t kSegmentMagic[4] = {'V', 'S', 'E', 'G'};
constexpr const char* kManifestFormat = "veil-gallery-store";

std::uint64_t le(const std::uint8_t* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}

void put_le(std::uint8_t* p, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
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
}

std::vector<std::uint8_t> encode_manifest(const Manifest& m) {
  validate(m.config);
  nlohmann::ordered_json j;
  j["format"] = kManifestFormat;
  j["version"] = kStoreFormatVersion;
  j["param_id"] = hex64(m.config.param_id);
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
  static const char* kKeys[] = {"format",          "version",       "param_id", "block_bytes",
                                "slots_per_block", "search_config", "created"};
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

std::uint64_t segment_file_size(std::uint64_t block_bytes, std::uint64_t block_count) {
  try {
    return io::checked_add(kSegmentDataOffset, io::checked_mul(block_count, block_bytes));
  } catch (const io::FormatError&) {
    throw StoreError("segment size overflows: " + num(block_count) + " blocks of " +
                     num(block_bytes) + " bytes");
  }
}

std::array<std::uint8_t, kSegmentHeaderSize> encode_segment_header(const StoreConfig& config,
                                                                   std::uint64_t seq,
                                                                   std::uint64_t block_count) {
  std::array<std::uint8_t, kSegmentHeaderSize> h{};
  std::memcpy(h.data(), kSegmentMagic, 4);
  put_le(h.data() + 4, kSegmentVersion, 4);
  put_le(h.data() + 8, seq, 8);
  put_le(h.data() + 16, config.block_bytes, 8);
  put_le(h.data() + 24, block_count, 8);
  put_le(h.data() + 32, config.slots_per_block, 4);
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
  for (std::size_t i = 36; i < kSegmentHeaderSize; ++i) {
    if (s[i] != 0) bad(source, "segment header padding not zero");
  }
  if (h.block_bytes != config.block_bytes) {
    bad(source, "block_bytes " + num(h.block_bytes) + ", expected " + num(config.block_bytes));
  }
  if (h.slots_per_block != config.slots_per_block) {
    bad(source,
        "slots_per_block " + num(h.slots_per_block) + ", expected " + num(config.slots_per_block));
  }
  std::uint64_t want = segment_file_size(h.block_bytes, h.block_count);
  if (want != file_size) {
    bad(source, std::string(want > file_size ? "truncated" : "trailing bytes") + ": " +
                    num(h.block_count) + " blocks need a " + num(want) + "-byte file, found " +
                    num(file_size) + " bytes");
  }
  return h;
}

SegmentHeader check_segment(std::span<const std::uint8_t> bytes, const StoreConfig& config,
                            const std::string& source) {
  SegmentHeader h = parse_segment_header(bytes, bytes.size(), config, source);
  try {
    io::open_envelope(bytes, io::ObjectType::GallerySegment, config.param_id, bytes.size());
  } catch (const io::FormatError& e) {
    bad(source, e.what());
  }
  return h;
}

std::vector<std::uint8_t> encode_segment(const StoreConfig& config, std::uint64_t seq,
                                         std::span<const std::span<const std::uint8_t>> blocks) {
  validate(config);
  std::uint64_t size = segment_file_size(config.block_bytes, blocks.size());
  std::vector<std::uint8_t> payload;
  payload.reserve(static_cast<std::size_t>(size - io::kEnvelopeHeaderSize));
  auto h = encode_segment_header(config, seq, blocks.size());
  payload.insert(payload.end(), h.begin(), h.end());
  for (auto b : blocks) {
    if (b.size() != config.block_bytes) {
      throw StoreError("encode_segment: block of " + num(b.size()) + " bytes, expected " +
                       num(config.block_bytes));
    }
    payload.insert(payload.end(), b.begin(), b.end());
  }
  return io::seal_envelope(io::ObjectType::GallerySegment, config.param_id, payload);
}

std::string segment_file_name(std::uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "seg-%06llu.vseg", static_cast<unsigned long long>(seq));
  return buf;
}

}  // namespace veil::store
