#include "veil/collection/wire.h"

#include <sodium.h>

#include <cmath>
#include <stdexcept>

#include "veil/io/byte_io.h"
#include "veil/io/envelope.h"
#include "veil/io/errors.h"
#include "veil/io/text_check.h"

namespace veil::collection {

namespace {

constexpr std::uint32_t kWireVersion = 1;
constexpr std::size_t kMaxText = 4096;           // an id or a label, in bytes
constexpr std::uint64_t kMaxSlots = 1ull << 32;  // per table
constexpr std::uint64_t kMaxBlockBytes = 1ull << 31;
constexpr std::uint64_t kMaxHits = 1ull << 24;

void put_text(io::ByteWriter& w, const std::string& s) {
  w.put_u32(static_cast<std::uint32_t>(s.size()));
  w.put_bytes({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
}

std::string get_text(io::ByteReader& r, const char* field) {
  const std::uint32_t n = r.get_u32(field);
  if (n > kMaxText) {
    throw io::FormatError(std::string(field) + ": " + std::to_string(n) + " bytes (at most " +
                          std::to_string(kMaxText) + ")");
  }
  auto b = r.get_bytes(field, n);
  std::string s(reinterpret_cast<const char*>(b.data()), b.size());
  if (auto problem = io::text_problem(s))
    throw io::FormatError(std::string(field) + ": " + *problem);
  return s;
}

void put_key_id(io::ByteWriter& w, const io::KeyId& id) { w.put_bytes(id.bytes); }
io::KeyId get_key_id(io::ByteReader& r, const char* field) {
  io::KeyId id;
  auto b = r.get_bytes(field, io::KeyId::kSize);
  std::copy(b.begin(), b.end(), id.bytes.begin());
  return id;
}

void expect_version(io::ByteReader& r, const char* what) {
  const std::uint32_t v = r.get_u32("version");
  if (v != kWireVersion) {
    throw io::FormatError(std::string(what) + ": version " + std::to_string(v) + " (expected " +
                          std::to_string(kWireVersion) + ")");
  }
}

std::vector<std::uint8_t> table_payload(const SlotTable& t, bool with_version) {
  io::ByteWriter w;
  w.put_u32(kWireVersion);
  w.put_u64(t.slots_per_block);
  w.put_u64(t.ids.size());
  for (std::size_t i = 0; i < t.ids.size(); ++i) {
    w.put_u8(t.live[i]);
    put_text(w, t.ids[i]);
    put_text(w, t.labels[i]);
  }
  if (with_version) put_key_id(w, t.version);
  return w.take();
}

io::KeyId digest(std::span<const std::uint8_t> bytes) {
  static constexpr char kDomain[] = "veil slot table v1";
  io::KeyId id;
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, io::KeyId::kSize);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(kDomain), sizeof kDomain);
  crypto_generichash_update(&st, bytes.data(), bytes.size());
  crypto_generichash_final(&st, id.bytes.data(), id.bytes.size());
  return id;
}

void check_table_shape(const SlotTable& t) {
  if (t.labels.size() != t.ids.size() || t.live.size() != t.ids.size()) {
    throw std::invalid_argument("SlotTable: ids, labels and live differ in length");
  }
}

}  // namespace

std::vector<std::uint8_t> save_enroll_block(std::uint64_t param_id, const io::KeyId& key_id,
                                            const EnrollBlock& block) {
  if (block.ids.empty()) throw std::invalid_argument("an enroll block needs at least one id");
  if (!block.labels.empty() && block.labels.size() != block.ids.size()) {
    throw std::invalid_argument("an enroll block has labels for some ids only");
  }
  io::ByteWriter w;
  w.reserve(block.bytes.size() + 64 * block.ids.size() + 64);
  w.put_u32(kWireVersion);
  put_key_id(w, key_id);
  w.put_u64(block.bytes.size());
  w.put_bytes(block.bytes);
  w.put_u64(block.ids.size());
  w.put_u8(block.labels.empty() ? 0 : 1);
  for (std::size_t i = 0; i < block.ids.size(); ++i) {
    put_text(w, block.ids[i]);
    if (!block.labels.empty()) put_text(w, block.labels[i]);
  }
  return io::seal_envelope(io::ObjectType::GalleryBatch, param_id, w.bytes());
}

EnrollBlock load_enroll_block(std::span<const std::uint8_t> bytes, std::uint64_t param_id,
                              const io::KeyId& key_id, std::size_t block_bytes) {
  io::Envelope env =
      io::open_envelope(bytes, io::ObjectType::GalleryBatch, param_id, kMaxBlockBytes * 2);
  io::ByteReader r(env.payload);
  expect_version(r, "enroll block");
  const io::KeyId writer = get_key_id(r, "key id");
  if (writer != key_id) {
    throw io::FormatError("enroll block: encrypted under key " + writer.hex() +
                          "; the gallery belongs to key " + key_id.hex());
  }
  const std::uint64_t size = r.get_count("block bytes", kMaxBlockBytes, 1);
  if (size != block_bytes) {
    throw io::FormatError("enroll block: " + std::to_string(size) +
                          " bytes; the gallery's blocks are " + std::to_string(block_bytes));
  }
  EnrollBlock b;
  auto data = r.get_bytes("block", size);
  b.bytes.assign(data.begin(), data.end());
  const std::uint64_t count = r.get_count("ids", kMaxSlots, 4);
  if (count == 0) throw io::FormatError("enroll block: no ids");
  const bool labelled = r.get_u8("labels") != 0;
  b.ids.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    b.ids.push_back(get_text(r, "id"));
    if (b.ids.back().empty()) throw io::FormatError("enroll block: an empty id");
    if (labelled) b.labels.push_back(get_text(r, "label"));
  }
  r.expect_end();
  return b;
}

void stamp_version(SlotTable& table) {
  check_table_shape(table);
  table.version = digest(table_payload(table, false));
}

std::vector<std::uint8_t> save_slot_table(std::uint64_t param_id, const SlotTable& table) {
  check_table_shape(table);
  return io::seal_envelope(io::ObjectType::SlotTable, param_id, table_payload(table, true));
}

SlotTable load_slot_table(std::span<const std::uint8_t> bytes, std::uint64_t param_id) {
  io::Envelope env = io::open_envelope(bytes, io::ObjectType::SlotTable, param_id, 1ull << 40);
  io::ByteReader r(env.payload);
  expect_version(r, "slot table");
  SlotTable t;
  t.slots_per_block = r.get_u64("slots per block");
  if (t.slots_per_block == 0 || t.slots_per_block > (1u << 20))
    throw io::FormatError("slot table: slots per block " + std::to_string(t.slots_per_block));
  const std::uint64_t n = r.get_count("slots", kMaxSlots, 9);
  t.ids.reserve(n);
  t.labels.reserve(n);
  t.live.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint8_t live = r.get_u8("live");
    if (live > 1) throw io::FormatError("slot table: live flag " + std::to_string(live));
    t.live.push_back(live);
    t.ids.push_back(get_text(r, "id"));
    t.labels.push_back(get_text(r, "label"));
  }
  const io::KeyId claimed = get_key_id(r, "version");
  r.expect_end();
  stamp_version(t);
  if (claimed != t.version) throw io::FormatError("slot table: version does not match its content");
  return t;
}

std::vector<std::uint8_t> save_answer(const RankedAnswer& a) {
  io::ByteWriter w;
  w.put_u32(kWireVersion);
  w.put_u64(a.hits.size());
  for (const RankedHit& h : a.hits) {
    w.put_u64(h.rank);
    put_text(w, h.id);
    put_text(w, h.label);
    w.put_u8(h.cosine ? 1 : 0);
    if (h.cosine) w.put_f64(*h.cosine);
  }
  return io::seal_envelope(io::ObjectType::RankedAnswer, 0, w.bytes());
}

RankedAnswer load_answer(std::span<const std::uint8_t> bytes) {
  io::Envelope env = io::open_envelope(bytes, io::ObjectType::RankedAnswer, 0, 1ull << 32);
  io::ByteReader r(env.payload);
  expect_version(r, "answer");
  RankedAnswer a;
  const std::uint64_t n = r.get_count("hits", kMaxHits, 17);
  for (std::uint64_t i = 0; i < n; ++i) {
    RankedHit h;
    h.rank = r.get_u64("rank");
    h.id = get_text(r, "id");
    h.label = get_text(r, "label");
    const std::uint8_t has = r.get_u8("has score");
    if (has > 1) throw io::FormatError("answer: score flag " + std::to_string(has));
    if (has) {
      h.cosine = r.get_f64("cosine");
      if (!std::isfinite(*h.cosine)) throw io::FormatError("answer: a score is not finite");
    }
    a.hits.push_back(std::move(h));
  }
  r.expect_end();
  return a;
}

ReplyKey::ReplyKey() {
  static_assert(kPublicSize == crypto_box_PUBLICKEYBYTES);
  static_assert(sizeof sk_ == crypto_box_SECRETKEYBYTES);
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  crypto_box_keypair(pk_.data(), sk_.data());
}

ReplyKey::~ReplyKey() { sodium_memzero(sk_.data(), sk_.size()); }

RankedAnswer ReplyKey::open(std::span<const std::uint8_t> sealed) const {
  if (sealed.size() < crypto_box_SEALBYTES) throw io::FormatError("sealed answer: truncated");
  std::vector<std::uint8_t> plain(sealed.size() - crypto_box_SEALBYTES);
  if (crypto_box_seal_open(plain.data(), sealed.data(), sealed.size(), pk_.data(), sk_.data()) !=
      0) {
    throw io::FormatError("sealed answer: not sealed to this reply key, or altered on the way");
  }
  return load_answer(plain);
}

std::vector<std::uint8_t> seal_answer(const RankedAnswer& a,
                                      std::span<const std::uint8_t> reply_public_key) {
  if (reply_public_key.size() != crypto_box_PUBLICKEYBYTES) {
    throw std::invalid_argument("reply key: " + std::to_string(reply_public_key.size()) +
                                " bytes (expected " + std::to_string(crypto_box_PUBLICKEYBYTES) +
                                ")");
  }
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  const std::vector<std::uint8_t> plain = save_answer(a);
  std::vector<std::uint8_t> sealed(plain.size() + crypto_box_SEALBYTES);
  crypto_box_seal(sealed.data(), plain.data(), plain.size(), reply_public_key.data());
  return sealed;
}

}  // namespace veil::collection
