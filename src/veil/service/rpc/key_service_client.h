// The search server's side of the key service: Rank, and SyncSlots when
// the key service's copy of a slot table is stale (then Rank once more).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "veil.grpc.pb.h"
#include "veil/collection/wire.h"
#include "veil/service/rpc/security.h"

namespace veil::service {

// The message the key service answers when its slot table is stale.
inline constexpr const char* kStaleTable = "stale slot table";

struct RankCall {
  std::string collection, caller;
  std::vector<std::uint8_t> search_config, probe, scores;
  std::uint32_t k = 10;
  std::optional<double> threshold;
  bool with_scores = false;
  std::string reply_key;
};

// Two-stage galleries: the stage-1 shortlist, then the re-score.
struct ShortlistCall {
  std::string collection, caller;
  std::vector<std::uint8_t> two_stage_config, probe, scores;
  std::uint32_t candidates = 0;
  std::string sealed_probe;
};
struct ShortlistAnswer {
  std::string request, ticket;  // CandidateRequest envelope; the key service's MAC
};
struct RescoreCall {
  std::string collection, caller;
  std::vector<std::uint8_t> two_stage_config, rows;
  ShortlistAnswer shortlist;
  std::string sealed_probe;
  std::uint32_t k = 10;
  std::optional<double> threshold;
  bool with_scores = false;
  std::string reply_key;
};

class KeyServiceClient {
 public:
  KeyServiceClient(const std::string& address, const std::optional<ClientTls>& tls,
                   std::string token);
  // The sealed answer. `table` is the collection's current slot table.
  // Throws StatusError with the key service's status.
  // `ms`: the key service's time, `expand_ms` the part of it spent
  // expanding the probe.
  std::string rank(const RankCall& call, const collection::SlotTable& table, std::uint64_t param_id,
                   double* ms = nullptr, double* expand_ms = nullptr);
  ShortlistAnswer shortlist(const ShortlistCall& call, const collection::SlotTable& table,
                            std::uint64_t param_id, double* ms = nullptr);
  // The sealed answer. A table changed since the shortlist is ABORTED.
  std::string rescore(const RescoreCall& call, const collection::SlotTable& table,
                      double* ms = nullptr);
  // The key service's seal key (Health), fetched once; throws StatusError
  // when the key service cannot be reached.
  std::string seal_key();
  void sync(const std::string& collection, const collection::SlotTable& table,
            std::uint64_t param_id);
  // True when the key service answers Health.
  bool healthy(std::chrono::milliseconds timeout);

 private:
  // `call` once, and again after a sync if the key service's table was stale.
  grpc::Status with_table(const std::string& collection, const collection::SlotTable& table,
                          std::uint64_t param_id, const std::function<grpc::Status()>& call);
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<veil::v1::KeyService::Stub> stub_;
  std::string token_;
  std::mutex mutex_;
  std::string seal_key_;
};

}  // namespace veil::service
