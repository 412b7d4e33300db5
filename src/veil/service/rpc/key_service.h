// `veil keyservice`: the key holder as a service. Holds secret.key (loaded
// once, zeroised on exit with the process's KeyDir), receives a probe and
// the server's encrypted scores, and answers with the top-k ids sealed to
// the client's reply key: never the score vector. Scores, when asked, are
// rounded (wire.h) and counted against the caller's budget. It keeps its own
// copy of each collection's slot table (SyncSlots), so it never tells the
// server which slots matched. Only callers with the `server` role may call.
// It logs no decrypted value.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "veil.grpc.pb.h"
#include "veil/collection/key_holder.h"
#include "veil/service/rpc/security.h"

namespace veil::service {

struct KeyServiceOptions {
  std::size_t threads = 0;
  std::uint32_t max_k = 100;
  // Searches with scores each caller may make in this process's lifetime.
  std::size_t score_budget = 100;
};

class KeyService final : public veil::v1::KeyService::Service {
 public:
  // `keys` must hold secret.key and expansion.keys and outlive this.
  KeyService(const collection::KeyDir& keys, KeyServiceOptions options, Security security);

  grpc::Status Rank(grpc::ServerContext* ctx, const veil::v1::RankRequest* req,
                    veil::v1::RankReply* reply) override;
  grpc::Status SyncSlots(grpc::ServerContext* ctx, grpc::ServerReader<veil::v1::SlotChunk>* reader,
                         veil::v1::SyncReply* reply) override;
  grpc::Status Health(grpc::ServerContext* ctx, const veil::v1::HealthRequest* req,
                      veil::v1::HealthReply* reply) override;

 private:
  const collection::KeyDir& keys_;
  KeyServiceOptions o_;
  Security security_;
  collection::KeyHolder holder_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const collection::SlotTable>> tables_;
  std::map<std::string, std::size_t> scores_released_;  // per caller
};

}  // namespace veil::service
