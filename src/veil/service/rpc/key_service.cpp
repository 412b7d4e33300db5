#include "veil/service/rpc/key_service.h"

#include <chrono>
#include <cstring>

#include "veil/search/config.h"
#include "veil/service/rpc/key_service_client.h"
#include "veil/service/rpc/status.h"

namespace veil::service {

namespace {
using Steady = std::chrono::steady_clock;
double ms_since(Steady::time_point t0) {
  return std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
}
std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
// A slot table envelope above this is refused (10M slots at ~100 bytes).
constexpr std::size_t kMaxTableBytes = std::size_t{1} << 30;
}  // namespace

KeyService::KeyService(const collection::KeyDir& keys, KeyServiceOptions options, Security security)
    : keys_(keys), o_(options), security_(std::move(security)), holder_(keys, options.threads) {
  if (!security_.authorize) throw std::invalid_argument("KeyService needs an authorizer");
}

grpc::Status KeyService::Rank(grpc::ServerContext* ctx, const veil::v1::RankRequest* req,
                              veil::v1::RankReply* reply) {
  const auto t0 = Steady::now();
  Caller server;
  grpc::Status s = guarded([&] {
    try {
      server = security_.authorize(bearer_token(*ctx), Role::kServer, req->collection());
    } catch (const DeniedError& e) {
      server = e.who();  // the audit line names who was refused
      throw;
    }
    const search::SearchConfig c = search::load_config(as_bytes(req->search_config()));
    // The probe and the scores are checked against the key service's
    // parameter set and key set when they are read (KeyHolder::matches).
    if (!req->has_threshold() && (req->k() == 0 || req->k() > o_.max_k)) {
      throw StatusError(
          grpc::StatusCode::INVALID_ARGUMENT,
          "k = " + std::to_string(req->k()) + " (1.." + std::to_string(o_.max_k) + ")");
    }
    std::shared_ptr<const collection::SlotTable> table;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = tables_.find(req->collection());
      if (it != tables_.end()) table = it->second;
    }
    const std::string& v = req->table_version();
    if (!table || v.size() != io::KeyId::kSize ||
        std::memcmp(v.data(), table->version.bytes.data(), v.size()) != 0) {
      throw StatusError(grpc::StatusCode::FAILED_PRECONDITION,
                        std::string(kStaleTable) + " for collection '" + req->collection() + "'");
    }
    if (req->with_scores()) {
      std::lock_guard<std::mutex> lock(mutex_);
      std::size_t& used = scores_released_[req->caller()];
      if (used >= o_.score_budget) {
        throw StatusError(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          "caller '" + req->caller() + "' has used its budget of " +
                              std::to_string(o_.score_budget) + " searches with scores");
      }
      ++used;
    }
    collection::RankQuery q;
    q.k = req->k();
    if (req->has_threshold()) q.threshold = req->threshold();
    q.with_scores = req->with_scores();
    collection::RankedAnswer a = holder_.rank(c, as_bytes(req->probe()), as_bytes(req->scores()),
                                              collection::TableLookup(*table), q);
    if (a.hits.size() > o_.max_k) a.hits.resize(o_.max_k);  // a threshold releases at most max_k
    const std::vector<std::uint8_t> sealed = collection::seal_answer(a, as_bytes(req->reply_key()));
    reply->set_sealed_answer(reinterpret_cast<const char*>(sealed.data()), sealed.size());
    reply->set_ms(ms_since(t0));
    return grpc::Status::OK;
  });
  if (security_.audit) {
    // The end caller as the server named it, and the server that relayed it.
    AuditEvent e;
    e.caller = req->caller().empty() ? server.name : req->caller();
    e.role = server.name.empty() ? "" : std::string(role_name(server.role));
    e.action = std::string(audit_action::kRank);
    e.collection = req->collection();
    e.outcome = s.ok() ? std::string(kOutcomeOk) : code_name(s.error_code());
    e.peer = server.name;
    e.k = req->k();
    e.ms = ms_since(t0);
    security_.audit(e);
  }
  return s;
}

grpc::Status KeyService::SyncSlots(grpc::ServerContext* ctx,
                                   grpc::ServerReader<veil::v1::SlotChunk>* reader,
                                   veil::v1::SyncReply* reply) {
  Caller server;
  std::string name;
  grpc::Status s = guarded([&] {
    veil::v1::SlotChunk chunk;
    if (!reader->Read(&chunk)) {
      throw StatusError(grpc::StatusCode::INVALID_ARGUMENT, "a sync stream with no message");
    }
    name = chunk.collection();
    try {
      server = security_.authorize(bearer_token(*ctx), Role::kServer, name);
    } catch (const DeniedError& e) {
      server = e.who();  // the audit line names who was refused
      throw;
    }
    std::vector<std::uint8_t> bytes;
    do {
      if (bytes.size() + chunk.data().size() > kMaxTableBytes) {
        throw StatusError(grpc::StatusCode::RESOURCE_EXHAUSTED, "slot table too large");
      }
      bytes.insert(bytes.end(), chunk.data().begin(), chunk.data().end());
    } while (reader->Read(&chunk));
    auto table = std::make_shared<const collection::SlotTable>(
        collection::load_slot_table(bytes, keys_.ctx->id()));
    reply->set_version(table->version.bytes.data(), table->version.bytes.size());
    reply->set_slots(table->ids.size());
    std::lock_guard<std::mutex> lock(mutex_);
    tables_[name] = std::move(table);
    return grpc::Status::OK;
  });
  if (!s.ok() && security_.audit) {
    AuditEvent e;
    e.caller = server.name;
    e.action = std::string(audit_action::kRank);
    e.collection = name;
    e.outcome = code_name(s.error_code());
    security_.audit(e);
  }
  return s;
}

grpc::Status KeyService::Health(grpc::ServerContext*, const veil::v1::HealthRequest*,
                                veil::v1::HealthReply* reply) {
  reply->set_ready(true);
  reply->set_role("keyservice");
  reply->set_key_id(keys_.key_id.hex());
  return grpc::Status::OK;
}

}  // namespace veil::service
