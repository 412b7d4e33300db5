#include "veil/service/rpc/key_service.h"

#include <sodium.h>

#include <chrono>
#include <cstring>

#include "veil/io/elapsed.h"
#include "veil/search/config.h"
#include "veil/search/key_identity.h"
#include "veil/search/rerank_wire.h"
#include "veil/service/rpc/key_service_client.h"
#include "veil/service/rpc/status.h"

namespace veil::service {

namespace {
using Steady = std::chrono::steady_clock;
using io::ms_since;
std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
// A slot table envelope above this is refused (10M slots at ~100 bytes).
constexpr std::size_t kMaxTableBytes = std::size_t{1} << 30;
}  // namespace

KeyService::KeyService(const collection::KeyDir& keys, KeyServiceOptions options, Security security)
    : keys_(keys),
      o_(options),
      security_(std::move(security)),
      holder_(keys, options.threads),
      seal_(*keys.sk) {
  if (!security_.authorize) throw std::invalid_argument("KeyService needs an authorizer");
  randombytes_buf(ticket_key_.data(), ticket_key_.size());
}

KeyService::~KeyService() { sodium_memzero(ticket_key_.data(), ticket_key_.size()); }

std::shared_ptr<const collection::SlotTable> KeyService::table_at(const std::string& collection,
                                                                  const std::string& v) {
  std::shared_ptr<const collection::SlotTable> table;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = tables_.find(collection);
    if (it != tables_.end()) table = it->second;
  }
  if (!table || v.size() != io::KeyId::kSize ||
      std::memcmp(v.data(), table->version.bytes.data(), v.size()) != 0) {
    throw StatusError(grpc::StatusCode::FAILED_PRECONDITION,
                      std::string(kStaleTable) + " for collection '" + collection + "'");
  }
  return table;
}

collection::FullProbe KeyService::open_full_probe(const std::string& sealed,
                                                  const reduce::TwoStageConfig& c) const {
  collection::FullProbe full =
      seal_.open(as_bytes(sealed), keys_.ctx->id(), c.layout.rows.dimension,
                 static_cast<std::int32_t>(c.layout.full_scale));
  search::require_key(full.key_id, keys_.key_id, "full probe");
  return full;
}

void KeyService::charge_scores(const std::string& caller) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::size_t& used = scores_released_[caller];
  if (used >= o_.score_budget) {
    throw StatusError(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      "caller '" + caller + "' has used its budget of " +
                          std::to_string(o_.score_budget) + " searches with scores");
  }
  ++used;
}

std::string KeyService::ticket(const std::string& collection, const std::string& version,
                               const std::string& request, const std::string& sealed_probe) const {
  crypto_generichash_state st;
  crypto_generichash_init(&st, ticket_key_.data(), ticket_key_.size(), 32);
  for (const std::string* part : {&collection, &version, &request, &sealed_probe}) {
    const std::uint64_t n = part->size();  // length-prefixed: no two inputs hash alike
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(&n), sizeof n);
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(part->data()), n);
  }
  std::string out(32, '\0');
  crypto_generichash_final(&st, reinterpret_cast<unsigned char*>(out.data()), out.size());
  return out;
}

void KeyService::audit(std::string_view action, const Caller& server, const std::string& caller,
                       const std::string& collection, std::uint64_t k, const grpc::Status& s,
                       Steady::time_point t0) const {
  if (!security_.audit) return;
  // The end caller as the server named it, and the server that relayed it.
  AuditEvent e;
  e.caller = caller.empty() ? server.name : caller;
  e.role = server.name.empty() ? "" : std::string(role_name(server.role));
  e.action = std::string(action);
  e.collection = collection;
  e.outcome = s.ok() ? std::string(kOutcomeOk) : code_name(s.error_code());
  e.peer = server.name;
  e.k = k;
  e.ms = ms_since(t0);
  security_.audit(e);
}

namespace {
void authorize_server(const Security& security, Caller& server, const grpc::ServerContext& ctx,
                      const std::string& collection) {
  try {
    server = security.authorize(bearer_token(ctx), Role::kServer, collection);
  } catch (const DeniedError& e) {
    server = e.who();  // the audit line names who was refused
    throw;
  }
}

collection::RankQuery rank_query(std::uint32_t k, bool has_threshold, double threshold,
                                 bool with_scores, std::uint32_t max_k) {
  if (!has_threshold && (k == 0 || k > max_k)) {
    throw StatusError(grpc::StatusCode::INVALID_ARGUMENT,
                      "k = " + std::to_string(k) + " (1.." + std::to_string(max_k) + ")");
  }
  collection::RankQuery q;
  q.k = k;
  if (has_threshold) q.threshold = threshold;
  q.with_scores = with_scores;
  return q;
}

void set_sealed(veil::v1::RankReply* reply, collection::RankedAnswer& a, std::uint32_t max_k,
                const std::string& reply_key) {
  if (a.hits.size() > max_k) a.hits.resize(max_k);  // a threshold releases at most max_k
  const std::vector<std::uint8_t> sealed = collection::seal_answer(a, as_bytes(reply_key));
  reply->set_sealed_answer(reinterpret_cast<const char*>(sealed.data()), sealed.size());
}
}  // namespace

grpc::Status KeyService::Rank(grpc::ServerContext* ctx, const veil::v1::RankRequest* req,
                              veil::v1::RankReply* reply) {
  const auto t0 = Steady::now();
  Caller server;
  grpc::Status s = guarded([&] {
    authorize_server(security_, server, *ctx, req->collection());
    const search::SearchConfig c = search::load_config(as_bytes(req->search_config()));
    // The probe and the scores are checked against the key service's
    // parameter set and key set when they are read (KeyHolder::matches).
    const collection::RankQuery q =
        rank_query(req->k(), req->has_threshold(), req->threshold(), req->with_scores(), o_.max_k);
    auto table = table_at(req->collection(), req->table_version());
    if (q.with_scores) charge_scores(req->caller());
    collection::RankTimings rt;
    collection::RankedAnswer a = holder_.rank(c, as_bytes(req->probe()), as_bytes(req->scores()),
                                              collection::TableLookup(*table), q, &rt);
    reply->set_expand_ms(rt.expand_ms);
    set_sealed(reply, a, o_.max_k, req->reply_key());
    reply->set_ms(ms_since(t0));
    return grpc::Status::OK;
  });
  audit(audit_action::kRank, server, req->caller(), req->collection(), req->k(), s, t0);
  return s;
}

grpc::Status KeyService::Shortlist(grpc::ServerContext* ctx, const veil::v1::ShortlistRequest* req,
                                   veil::v1::ShortlistReply* reply) {
  const auto t0 = Steady::now();
  Caller server;
  grpc::Status s = guarded([&] {
    authorize_server(security_, server, *ctx, req->collection());
    const reduce::TwoStageConfig c =
        reduce::load_two_stage_config(as_bytes(req->two_stage_config()));
    if (req->candidates() == 0 || req->candidates() > o_.max_candidates) {
      throw StatusError(grpc::StatusCode::INVALID_ARGUMENT,
                        "K = " + std::to_string(req->candidates()) + " candidates (1.." +
                            std::to_string(o_.max_candidates) + ")");
    }
    // The sealed probe is checked now, before the server gathers any row.
    open_full_probe(req->sealed_probe(), c);
    auto table = table_at(req->collection(), req->table_version());
    const std::vector<std::uint64_t> slots =
        holder_.shortlist(c, as_bytes(req->probe()), as_bytes(req->scores()),
                          collection::TableLookup(*table), req->candidates());
    const std::vector<std::uint8_t> request =
        search::save_candidate_request(keys_.ctx->id(), slots);
    reply->set_request(reinterpret_cast<const char*>(request.data()), request.size());
    reply->set_ticket(
        ticket(req->collection(), req->table_version(), reply->request(), req->sealed_probe()));
    reply->set_ms(ms_since(t0));
    return grpc::Status::OK;
  });
  audit(audit_action::kShortlist, server, req->caller(), req->collection(), req->candidates(), s,
        t0);
  return s;
}

grpc::Status KeyService::Rescore(grpc::ServerContext* ctx, const veil::v1::RescoreRequest* req,
                                 veil::v1::RankReply* reply) {
  const auto t0 = Steady::now();
  Caller server;
  grpc::Status s = guarded([&] {
    authorize_server(security_, server, *ctx, req->collection());
    const reduce::TwoStageConfig c =
        reduce::load_two_stage_config(as_bytes(req->two_stage_config()));
    const collection::RankQuery q =
        rank_query(req->k(), req->has_threshold(), req->threshold(), req->with_scores(), o_.max_k);
    auto table = table_at(req->collection(), req->table_version());
    const std::string expected =
        ticket(req->collection(), req->table_version(), req->request(), req->sealed_probe());
    if (req->ticket().size() != expected.size() ||
        sodium_memcmp(req->ticket().data(), expected.data(), expected.size()) != 0) {
      throw StatusError(grpc::StatusCode::PERMISSION_DENIED,
                        "the row request was not shortlisted by this key service for this probe");
    }
    const std::vector<std::uint64_t> requested = search::load_candidate_request(
        as_bytes(req->request()), keys_.ctx->id(), table->ids.size());
    collection::FullProbe full = open_full_probe(req->sealed_probe(), c);
    if (q.with_scores) charge_scores(req->caller());
    collection::RankedAnswer a = holder_.rescore(c, as_bytes(req->rows()), requested, full.values,
                                                 collection::TableLookup(*table), q);
    sodium_memzero(full.values.data(), full.values.size() * sizeof(std::int16_t));
    set_sealed(reply, a, o_.max_k, req->reply_key());
    reply->set_ms(ms_since(t0));
    return grpc::Status::OK;
  });
  audit(audit_action::kRescore, server, req->caller(), req->collection(), req->k(), s, t0);
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
    authorize_server(security_, server, *ctx, name);
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
  reply->set_seal_key(seal_.public_key().data(), seal_.public_key().size());
  return grpc::Status::OK;
}

}  // namespace veil::service
