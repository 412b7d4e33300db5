#include "veil/service/rpc/gallery_service.h"

#include <mutex>

#include "veil/collection/gallery.h"
#include "veil/io/elapsed.h"
#include "veil/reduce/model.h"
#include "veil/search/config.h"
#include "veil/service/rpc/status.h"

namespace veil::service {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;
using collection::kDefaultCandidates;

namespace {

using io::ms_since;

std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void set_bytes(std::string* field, const std::vector<std::uint8_t>& b) {
  field->assign(reinterpret_cast<const char*>(b.data()), b.size());
}

void check_not_cancelled(const grpc::ServerContext& ctx) {
  if (ctx.IsCancelled()) {
    throw StatusError(grpc::StatusCode::DEADLINE_EXCEEDED,
                      "the call was cancelled or its deadline passed");
  }
}

}  // namespace

bool valid_collection_name(const std::string& name) {
  if (name.empty() || name.size() > 64 || name[0] == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

GalleryService::GalleryService(collection::KeyDir keys, GalleryServiceOptions options,
                               std::shared_ptr<KeyServiceClient> key_service, Security security)
    : keys_(std::move(keys)),
      o_(std::move(options)),
      key_service_(std::move(key_service)),
      security_(std::move(security)) {
  if (keys_.sk) {
    throw std::runtime_error(
        "the search server must not hold a secret key: give it a directory with params.veil, "
        "public.key and expansion.keys only");
  }
  if (!keys_.expansion) throw std::runtime_error("the search server needs expansion.keys");
  if (!security_.authorize) throw std::invalid_argument("GalleryService needs an authorizer");
  fs::create_directories(o_.data_dir);
  for (const auto& d : fs::directory_iterator(o_.data_dir)) {
    const std::string name = d.path().filename().string();
    if (!d.is_directory() || !valid_collection_name(name)) continue;  // .creating-* leftovers
    if (!fs::exists(d.path() / "manifest.json")) continue;
    try {
      entries_[name] = open_entry(d.path());
    } catch (const std::exception& e) {
      throw std::runtime_error("collection " + name + ": " + e.what());
    }
  }
}

std::shared_ptr<GalleryService::Entry> GalleryService::open_entry(const fs::path& dir) const {
  auto e = std::make_shared<Entry>();
  e->server = std::make_unique<collection::GalleryServer>(dir, keys_.ctx, *keys_.expansion,
                                                          keys_.key_id, o_.threads);
  e->batcher = std::make_unique<Batcher>(*e->server, o_.max_batch, o_.batch_window);
  return e;
}

std::size_t GalleryService::collections() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return entries_.size();
}

std::shared_ptr<GalleryService::Entry> GalleryService::find(const std::string& name) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    throw StatusError(grpc::StatusCode::NOT_FOUND, "no collection named '" + name + "'");
  }
  return it->second;
}

void GalleryService::authorize(Caller& caller, const grpc::ServerContext& ctx, Role role,
                               const std::string& collection) const {
  try {
    caller = security_.authorize(bearer_token(ctx), role, collection);
  } catch (const DeniedError& e) {
    caller = e.who();
    throw;
  }
}

void GalleryService::audit(const grpc::ServerContext& ctx, AuditEvent e,
                           const grpc::Status& s) const {
  if (!security_.audit) return;
  e.outcome = s.ok() ? std::string(kOutcomeOk) : code_name(s.error_code());
  e.peer = ctx.peer();
  security_.audit(e);
}

namespace {
AuditEvent event(std::string_view action, const Caller& who, const std::string& collection) {
  AuditEvent e;
  e.caller = who.name;
  if (!who.name.empty()) e.role = std::string(role_name(who.role));
  e.action = std::string(action);
  e.collection = collection;
  return e;
}
}  // namespace

grpc::Status GalleryService::CreateCollection(grpc::ServerContext* ctx,
                                              const veil::v1::CreateRequest* req,
                                              veil::v1::CreateReply* reply) {
  const auto t0 = Steady::now();
  Caller caller;
  grpc::Status s = guarded([&] {
    authorize(caller, *ctx, Role::kAdmin, req->collection());
    if (!valid_collection_name(req->collection())) {
      throw StatusError(grpc::StatusCode::INVALID_ARGUMENT,
                        "collection names are 1-64 of A-Z a-z 0-9 _ . - (not starting with .)");
    }
    if (req->dimension() == 0 || req->dimension() > search::kMaxDimension) {
      throw StatusError(grpc::StatusCode::INVALID_ARGUMENT,
                        "dimension " + std::to_string(req->dimension()) + " (1.." +
                            std::to_string(search::kMaxDimension) + ")");
    }
    std::lock_guard<std::mutex> create_lock(create_mutex_);
    {
      std::shared_lock<std::shared_mutex> lock(mutex_);
      if (entries_.count(req->collection())) {
        throw StatusError(grpc::StatusCode::ALREADY_EXISTS,
                          "collection '" + req->collection() + "' exists");
      }
    }
    const fs::path dir = o_.data_dir / req->collection();
    if (!req->reduction_model().empty()) {
      if (req->public_key_enroll()) {
        throw StatusError(grpc::StatusCode::INVALID_ARGUMENT,
                          "a two-stage collection is enrolled with the secret key (its stage-2 "
                          "rows are keyed from it): public_key_enroll is not possible");
      }
      const auto model = reduce::load_model(as_bytes(req->reduction_model()), "reduction_model",
                                            std::size_t{req->dimension()});
      collection::create_two_stage_gallery(dir, *keys_.ctx, keys_.key_id,
                                           reduce::save_model(*model), req->public_key_probes());
    } else {
      collection::create_gallery(dir, *keys_.ctx, keys_.key_id, req->dimension(),
                                 req->public_key_enroll(), req->public_key_probes());
    }
    auto e = open_entry(dir);
    set_bytes(reply->mutable_search_config(),
              search::save_config(e->server->config(), keys_.ctx->id()));
    reply->set_key_id(keys_.key_id.hex());
    std::unique_lock<std::shared_mutex> lock(mutex_);
    entries_[req->collection()] = std::move(e);
    return grpc::Status::OK;
  });
  AuditEvent e = event(audit_action::kCreate, caller, req->collection());
  e.ms = ms_since(t0);
  audit(*ctx, e, s);
  return s;
}

grpc::Status GalleryService::Enroll(grpc::ServerContext* ctx,
                                    grpc::ServerReader<veil::v1::EnrollChunk>* reader,
                                    veil::v1::EnrollReply* reply) {
  const auto t0 = Steady::now();
  Caller caller;
  std::string name;
  std::uint64_t templates = 0, blocks = 0;
  grpc::Status s = guarded([&] {
    veil::v1::EnrollChunk chunk;
    if (!reader->Read(&chunk)) {
      throw StatusError(grpc::StatusCode::INVALID_ARGUMENT, "an enroll stream with no message");
    }
    name = chunk.collection();
    authorize(caller, *ctx, Role::kEnroll, name);
    std::shared_ptr<Entry> e = find(name);
    const bool skip = chunk.skip_enrolled();
    do {
      check_not_cancelled(*ctx);
      std::vector<std::vector<std::uint8_t>> batch;
      for (const std::string& b : chunk.blocks()) batch.emplace_back(b.begin(), b.end());
      // Durable before the next message is read.
      const collection::AppendResult r = e->server->append(batch, skip);
      templates += r.templates;
      blocks += r.blocks;
    } while (reader->Read(&chunk));
    reply->set_templates(templates);
    reply->set_blocks(blocks);
    return grpc::Status::OK;
  });
  AuditEvent e = event(audit_action::kEnroll, caller, name);
  e.templates = templates;
  e.ms = ms_since(t0);
  audit(*ctx, e, s);
  return s;
}

grpc::Status GalleryService::Search(grpc::ServerContext* ctx, const veil::v1::SearchRequest* req,
                                    veil::v1::SearchReply* reply) {
  const auto t0 = Steady::now();
  Caller caller;
  std::size_t batch = 0;
  grpc::Status s = guarded([&] {
    authorize(caller, *ctx, Role::kSearch, req->collection());
    std::shared_ptr<Entry> e = find(req->collection());
    if (req->reply_key().size() != collection::ReplyKey::kPublicSize) {
      throw StatusError(grpc::StatusCode::INVALID_ARGUMENT,
                        "reply_key: " + std::to_string(req->reply_key().size()) +
                            " bytes (an X25519 public key is 32)");
    }
    if (!req->has_threshold() && (req->k() == 0 || req->k() > o_.max_k)) {
      throw StatusError(
          grpc::StatusCode::INVALID_ARGUMENT,
          "k = " + std::to_string(req->k()) + " (1.." + std::to_string(o_.max_k) + ")");
    }
    if (req->has_threshold() && !(req->threshold() >= -1.0 && req->threshold() <= 1.0)) {
      throw StatusError(grpc::StatusCode::INVALID_ARGUMENT, "threshold outside [-1, 1]");
    }
    const bool two_stage = e->server->two_stage().has_value();
    const std::uint32_t K = req->candidates() ? req->candidates() : kDefaultCandidates;
    if (two_stage) {
      if (req->sealed_probe().empty()) {
        throw StatusError(grpc::StatusCode::INVALID_ARGUMENT,
                          "a two-stage collection needs the sealed full probe (sealed_probe)");
      }
      if (!req->has_threshold() && K < req->k()) {
        throw StatusError(grpc::StatusCode::INVALID_ARGUMENT,
                          "K = " + std::to_string(K) + " candidates for the top " +
                              std::to_string(req->k()) + " (expected K >= k)");
      }
    } else if (req->candidates() || !req->sealed_probe().empty()) {
      throw StatusError(grpc::StatusCode::INVALID_ARGUMENT,
                        "candidates and sealed_probe are for two-stage collections; '" +
                            req->collection() + "' is single-stage");
    }
    search::EncryptedProbe probe = e->server->parse_probe(as_bytes(req->probe()));
    check_not_cancelled(*ctx);
    BatchResult b = e->batcher->submit(std::move(probe));
    check_not_cancelled(*ctx);
    std::shared_ptr<const collection::SlotTable> table = e->server->slot_table();
    reply->set_server_ms(b.server_ms);
    reply->set_batch(static_cast<std::uint32_t>(b.batch));
    batch = b.batch;
    if (two_stage) {
      reply->set_sealed_answer(
          two_stage_answer(*ctx, *e, *req, caller, K, std::move(b.scores), *table, reply));
      return grpc::Status::OK;
    }
    RankCall call;
    call.collection = req->collection();
    call.caller = caller.name;
    call.search_config = e->server->store_config().search_config;
    call.probe.assign(req->probe().begin(), req->probe().end());
    call.scores = std::move(b.scores);
    call.k = req->k();
    if (req->has_threshold()) call.threshold = req->threshold();
    call.with_scores = req->with_scores();
    call.reply_key = req->reply_key();
    double key_ms = 0, key_expand_ms = 0;
    reply->set_sealed_answer(key_service_->rank(call, *table, e->server->store_config().param_id,
                                                &key_ms, &key_expand_ms));
    reply->set_key_service_ms(key_ms);
    reply->set_key_service_expand_ms(key_expand_ms);
    return grpc::Status::OK;
  });
  AuditEvent e = event(audit_action::kSearch, caller, req->collection());
  e.k = req->k();
  if (batch) e.batch = batch;
  e.ms = ms_since(t0);
  audit(*ctx, e, s);
  return s;
}

std::string GalleryService::two_stage_answer(const grpc::ServerContext& ctx, const Entry& e,
                                             const veil::v1::SearchRequest& req,
                                             const Caller& caller, std::uint32_t candidates,
                                             std::vector<std::uint8_t> scores,
                                             const collection::SlotTable& table,
                                             veil::v1::SearchReply* reply) const {
  const collection::GalleryServer& g = *e.server;
  const std::vector<std::uint8_t> config = g.store_config().search_config;
  ShortlistCall sc;
  sc.collection = req.collection();
  sc.caller = caller.name;
  sc.two_stage_config = config;
  sc.probe.assign(req.probe().begin(), req.probe().end());
  sc.scores = std::move(scores);
  sc.candidates = candidates;
  sc.sealed_probe = req.sealed_probe();
  double shortlist_ms = 0, rescore_ms = 0;
  RescoreCall rc;
  rc.shortlist = key_service_->shortlist(sc, table, g.store_config().param_id, &shortlist_ms);
  check_not_cancelled(ctx);
  // Stage 2: the K rows the key service asked for (the server learns which).
  const auto t = Steady::now();
  rc.rows = g.gather(as_bytes(rc.shortlist.request));
  reply->set_server_ms(reply->server_ms() + ms_since(t));
  rc.collection = req.collection();
  rc.caller = caller.name;
  rc.two_stage_config = config;
  rc.sealed_probe = req.sealed_probe();
  rc.k = req.k();
  if (req.has_threshold()) rc.threshold = req.threshold();
  rc.with_scores = req.with_scores();
  rc.reply_key = req.reply_key();
  std::string sealed = key_service_->rescore(rc, table, &rescore_ms);
  reply->set_key_service_ms(shortlist_ms + rescore_ms);
  return sealed;
}

grpc::Status GalleryService::Delete(grpc::ServerContext* ctx, const veil::v1::DeleteRequest* req,
                                    veil::v1::DeleteReply* reply) {
  const auto t0 = Steady::now();
  Caller caller;
  grpc::Status s = guarded([&] {
    authorize(caller, *ctx, Role::kAdmin, req->collection());
    std::shared_ptr<Entry> e = find(req->collection());
    std::vector<std::string> ids(req->ids().begin(), req->ids().end());
    reply->set_removed(e->server->remove(ids));
    return grpc::Status::OK;
  });
  AuditEvent e = event(audit_action::kDelete, caller, req->collection());
  e.batch = static_cast<std::uint64_t>(req->ids_size());
  e.ms = ms_since(t0);
  audit(*ctx, e, s);
  return s;
}

grpc::Status GalleryService::Compact(grpc::ServerContext* ctx, const veil::v1::CollectionRef* req,
                                     veil::v1::CompactReply* reply) {
  const auto t0 = Steady::now();
  Caller caller;
  grpc::Status s = guarded([&] {
    authorize(caller, *ctx, Role::kAdmin, req->collection());
    std::shared_ptr<Entry> e = find(req->collection());
    const store::CompactReport r = e->server->compact();
    reply->set_blocks_dropped(r.blocks_dropped);
    reply->set_tombstones_dropped(r.tombstones_dropped);
    reply->set_bytes_before(r.bytes_before);
    reply->set_bytes_after(r.bytes_after);
    return grpc::Status::OK;
  });
  AuditEvent e = event(audit_action::kCompact, caller, req->collection());
  e.ms = ms_since(t0);
  audit(*ctx, e, s);
  return s;
}

grpc::Status GalleryService::Info(grpc::ServerContext* ctx, const veil::v1::CollectionRef* req,
                                  veil::v1::InfoReply* reply) {
  Caller caller;
  grpc::Status s = guarded([&] {
    // Enrollers and searchers need the configuration to encrypt.
    try {
      authorize(caller, *ctx, Role::kSearch, req->collection());
    } catch (const StatusError& e) {
      if (e.code() != grpc::StatusCode::PERMISSION_DENIED) throw;
      authorize(caller, *ctx, Role::kEnroll, req->collection());
    }
    std::shared_ptr<Entry> e = find(req->collection());
    const store::InfoReport r = e->server->info();
    reply->set_collection(req->collection());
    // Stage 1's configuration when two-stage (the whole one follows).
    set_bytes(reply->mutable_search_config(),
              search::save_config(e->server->config(), keys_.ctx->id()));
    reply->set_key_id(r.key_id.hex());
    reply->set_blocks(r.blocks);
    reply->set_live(r.live);
    reply->set_tombstoned(r.tombstoned);
    reply->set_bytes_at_rest(r.segment_bytes + r.index_bytes);
    reply->set_dimension(static_cast<std::uint32_t>(e->server->dimension()));
    if (e->server->two_stage()) {
      set_bytes(reply->mutable_two_stage_config(), e->server->store_config().search_config);
      set_bytes(reply->mutable_reduction_model(), e->server->model_bytes());
      // Left out while the key service is unreachable: enrollers need no
      // seal key, and a searcher is told why it has none.
      try {
        reply->set_seal_key(key_service_->seal_key());
      } catch (const StatusError&) {
      }
    }
    return grpc::Status::OK;
  });
  if (!s.ok()) audit(*ctx, event(audit_action::kInfo, caller, req->collection()), s);
  return s;
}

grpc::Status GalleryService::Health(grpc::ServerContext*, const veil::v1::HealthRequest*,
                                    veil::v1::HealthReply* reply) {
  reply->set_ready(true);
  reply->set_role("gallery");
  reply->set_key_id(keys_.key_id.hex());
  return grpc::Status::OK;
}

}  // namespace veil::service
