// `veil keyservice`: the key holder as a service. Holds secret.key (loaded
// once, zeroised on exit with the process's KeyDir), receives a probe and
// the server's encrypted scores, and answers with the top-k ids sealed to
// the client's reply key: never the score vector. Scores, when asked, are
// rounded (wire.h) and counted against the caller's budget. It keeps its own
// copy of each collection's slot table (SyncSlots), so it never tells the
// server which slots matched. Only callers with the `server` role may call.
// It logs no decrypted value.
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>

#include "veil.grpc.pb.h"
#include "veil/collection/key_holder.h"
#include "veil/collection/sealed_probe.h"
#include "veil/service/rpc/security.h"

namespace veil::service {

struct KeyServiceOptions {
  std::size_t threads = 0;
  std::uint32_t max_k = 100;
  // Searches with scores each caller may make in this process's lifetime.
  std::size_t score_budget = 100;
  // The most stage-1 candidates (K) of a two-stage search.
  std::uint32_t max_candidates = 10000;
};

class KeyService final : public veil::v1::KeyService::Service {
 public:
  // `keys` must hold secret.key and expansion.keys and outlive this.
  KeyService(const collection::KeyDir& keys, KeyServiceOptions options, Security security);
  ~KeyService() override;  // zeroises the ticket key

  grpc::Status Rank(grpc::ServerContext* ctx, const veil::v1::RankRequest* req,
                    veil::v1::RankReply* reply) override;
  // Two-stage galleries. Shortlist: the K best stage-1 slots as a row
  // request, with a ticket (a MAC under a key only this process holds) over
  // the collection, table version, request and sealed probe. Rescore: the
  // rows the server gathered, re-scored against the sealed full probe, if
  // the ticket is this process's for exactly that request and probe.
  grpc::Status Shortlist(grpc::ServerContext* ctx, const veil::v1::ShortlistRequest* req,
                         veil::v1::ShortlistReply* reply) override;
  grpc::Status Rescore(grpc::ServerContext* ctx, const veil::v1::RescoreRequest* req,
                       veil::v1::RankReply* reply) override;
  grpc::Status SyncSlots(grpc::ServerContext* ctx, grpc::ServerReader<veil::v1::SlotChunk>* reader,
                         veil::v1::SyncReply* reply) override;
  grpc::Status Health(grpc::ServerContext* ctx, const veil::v1::HealthRequest* req,
                      veil::v1::HealthReply* reply) override;

 private:
  // The collection's slot table if its version is `version`; else the
  // stale-table FAILED_PRECONDITION.
  std::shared_ptr<const collection::SlotTable> table_at(const std::string& collection,
                                                        const std::string& version);
  // A sealed full probe opened and checked (dimension, scale, key set).
  collection::FullProbe open_full_probe(const std::string& sealed,
                                        const reduce::TwoStageConfig& c) const;
  // Counts a search with scores against `caller`'s budget (RESOURCE_EXHAUSTED when spent).
  void charge_scores(const std::string& caller);
  std::string ticket(const std::string& collection, const std::string& version,
                     const std::string& request, const std::string& sealed_probe) const;
  // The audit line of a key-service call relayed by `server` for `caller`.
  void audit(std::string_view action, const Caller& server, const std::string& caller,
             const std::string& collection, std::uint64_t k, const grpc::Status& s,
             std::chrono::steady_clock::time_point t0) const;
  const collection::KeyDir& keys_;
  KeyServiceOptions o_;
  Security security_;
  collection::KeyHolder holder_;
  collection::SealKey seal_;
  std::array<std::uint8_t, 32> ticket_key_{};
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const collection::SlotTable>> tables_;
  std::map<std::string, std::size_t> scores_released_;  // per caller
};

}  // namespace veil::service
