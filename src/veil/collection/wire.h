// The messages the roles exchange (client.h, server.h, key_holder.h), each
// an io envelope: what a gRPC call, a file or a test carries between them.
//
//   client -> server      GalleryBatch   one encrypted block with its ids
//   client -> server      SearchQuery    the encrypted probe (search/probe.h)
//   server -> key holder  SearchResponse the encrypted scores (search/server.h)
//   server -> key holder  SlotTable      slot -> id, label, live: the key holder
//                                        maps its ranks to ids without asking
//                                        the server which slots matched
//   key holder -> client  RankedAnswer   top-k ids (scores only when asked),
//                                        sealed to the client's reply key so
//                                        the server relaying it cannot read it
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "veil/io/key_id.h"

namespace veil::collection {

// One gallery block as the client encrypted it: exactly the gallery's block
// bytes, the ids of its slots 0..ids.size()-1, and labels (none or one per id).
struct EnrollBlock {
  std::vector<std::uint8_t> bytes;
  std::vector<std::string> ids, labels;
};

std::vector<std::uint8_t> save_enroll_block(std::uint64_t param_id, const io::KeyId& key_id,
                                            const EnrollBlock& block);
// Throws io::FormatError for malformed bytes, a wrong parameter set, a key
// id other than `key_id`, or a block size other than `block_bytes`.
EnrollBlock load_enroll_block(std::span<const std::uint8_t> bytes, std::uint64_t param_id,
                              const io::KeyId& key_id, std::size_t block_bytes);

// The server's slots as the key holder needs them. `version` is a digest of
// the rest: the key holder asks for a new table when it differs.
struct SlotTable {
  std::size_t slots_per_block = 0;
  std::vector<std::string> ids, labels;  // one per slot ("" for an unused slot)
  std::vector<std::uint8_t> live;        // 1 for an enrolled id not removed
  io::KeyId version;
  bool is_live(std::size_t slot) const { return slot < live.size() && live[slot]; }
};
// Computes `version` from the rest.
void stamp_version(SlotTable& table);
std::vector<std::uint8_t> save_slot_table(std::uint64_t param_id, const SlotTable& table);
// Checks the version against the content (io::FormatError otherwise).
SlotTable load_slot_table(std::span<const std::uint8_t> bytes, std::uint64_t param_id);

struct RankedHit {
  std::size_t rank = 0;
  std::string id, label;
  // Only when the caller asked for scores: the cosine rounded to
  // kScoreResolution (docs/search.md: scores leak templates).
  std::optional<double> cosine;
};
inline constexpr double kScoreResolution = 0.01;

struct RankedAnswer {
  std::vector<RankedHit> hits;
};
std::vector<std::uint8_t> save_answer(const RankedAnswer& a);
RankedAnswer load_answer(std::span<const std::uint8_t> bytes);

// The client's one-time X25519 key for the answer: the key holder seals the
// answer to `public_key` (libsodium sealed box), the client opens it.
class ReplyKey {
 public:
  ReplyKey();   // a fresh key pair from the CSPRNG
  ~ReplyKey();  // zeroises the secret half
  ReplyKey(const ReplyKey&) = delete;
  ReplyKey& operator=(const ReplyKey&) = delete;
  static constexpr std::size_t kPublicSize = 32;
  const std::array<std::uint8_t, kPublicSize>& public_key() const { return pk_; }
  // Throws io::FormatError if `sealed` was not sealed to this key or was altered.
  RankedAnswer open(std::span<const std::uint8_t> sealed) const;

 private:
  std::array<std::uint8_t, kPublicSize> pk_{};
  std::array<std::uint8_t, 32> sk_{};
};
// Throws std::invalid_argument for a public key of the wrong size.
std::vector<std::uint8_t> seal_answer(const RankedAnswer& a,
                                      std::span<const std::uint8_t> reply_public_key);

}  // namespace veil::collection
