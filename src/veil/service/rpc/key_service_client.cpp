#include "veil/service/rpc/key_service_client.h"

#include "veil/collection/sealed_probe.h"
#include "veil/service/rpc/channel.h"
#include "veil/service/rpc/status.h"

namespace veil::service {

KeyServiceClient::KeyServiceClient(const std::string& address, const std::optional<ClientTls>& tls,
                                   std::string token)
    : channel_(make_channel(address, tls)),
      stub_(veil::v1::KeyService::NewStub(channel_)),
      token_(std::move(token)) {}

namespace {

void set(std::string* field, const std::vector<std::uint8_t>& b) {
  field->assign(reinterpret_cast<const char*>(b.data()), b.size());
}

void prepare(grpc::ClientContext& ctx, const std::string& token) {
  set_bearer_token(ctx, token);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
}

[[noreturn]] void fail(const grpc::Status& s) {
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
    throw StatusError(grpc::StatusCode::UNAVAILABLE,
                      "the key service is unavailable: " + s.error_message());
  }
  throw StatusError(s.error_code(), "key service: " + s.error_message());
}

bool stale(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
         s.error_message().rfind(kStaleTable, 0) == 0;
}

}  // namespace

grpc::Status KeyServiceClient::with_table(const std::string& collection,
                                          const collection::SlotTable& table,
                                          std::uint64_t param_id,
                                          const std::function<grpc::Status()>& call) {
  grpc::Status s = call();
  if (!stale(s)) return s;
  sync(collection, table, param_id);
  return call();
}

std::string KeyServiceClient::rank(const RankCall& call, const collection::SlotTable& table,
                                   std::uint64_t param_id, double* ms, double* expand_ms) {
  veil::v1::RankRequest req;
  req.set_collection(call.collection);
  set(req.mutable_search_config(), call.search_config);
  set(req.mutable_probe(), call.probe);
  set(req.mutable_scores(), call.scores);
  req.set_table_version(table.version.bytes.data(), table.version.bytes.size());
  req.set_caller(call.caller);
  req.set_k(call.k);
  req.set_has_threshold(call.threshold.has_value());
  req.set_threshold(call.threshold.value_or(0));
  req.set_with_scores(call.with_scores);
  req.set_reply_key(call.reply_key);
  veil::v1::RankReply reply;
  grpc::Status s = with_table(call.collection, table, param_id, [&] {
    grpc::ClientContext ctx;
    prepare(ctx, token_);
    return stub_->Rank(&ctx, req, &reply);
  });
  if (!s.ok()) fail(s);
  if (ms) *ms = reply.ms();
  if (expand_ms) *expand_ms = reply.expand_ms();
  return reply.sealed_answer();
}

ShortlistAnswer KeyServiceClient::shortlist(const ShortlistCall& call,
                                            const collection::SlotTable& table,
                                            std::uint64_t param_id, double* ms) {
  veil::v1::ShortlistRequest req;
  req.set_collection(call.collection);
  set(req.mutable_two_stage_config(), call.two_stage_config);
  set(req.mutable_probe(), call.probe);
  set(req.mutable_scores(), call.scores);
  req.set_table_version(table.version.bytes.data(), table.version.bytes.size());
  req.set_caller(call.caller);
  req.set_candidates(call.candidates);
  req.set_sealed_probe(call.sealed_probe);
  veil::v1::ShortlistReply reply;
  grpc::Status s = with_table(call.collection, table, param_id, [&] {
    grpc::ClientContext ctx;
    prepare(ctx, token_);
    return stub_->Shortlist(&ctx, req, &reply);
  });
  if (!s.ok()) fail(s);
  if (ms) *ms = reply.ms();
  return {reply.request(), reply.ticket()};
}

std::string KeyServiceClient::rescore(const RescoreCall& call, const collection::SlotTable& table,
                                      double* ms) {
  veil::v1::RescoreRequest req;
  req.set_collection(call.collection);
  set(req.mutable_two_stage_config(), call.two_stage_config);
  req.set_request(call.shortlist.request);
  req.set_ticket(call.shortlist.ticket);
  set(req.mutable_rows(), call.rows);
  req.set_sealed_probe(call.sealed_probe);
  req.set_table_version(table.version.bytes.data(), table.version.bytes.size());
  req.set_caller(call.caller);
  req.set_k(call.k);
  req.set_has_threshold(call.threshold.has_value());
  req.set_threshold(call.threshold.value_or(0));
  req.set_with_scores(call.with_scores);
  req.set_reply_key(call.reply_key);
  grpc::ClientContext ctx;
  prepare(ctx, token_);
  veil::v1::RankReply reply;
  grpc::Status s = stub_->Rescore(&ctx, req, &reply);
  if (stale(s)) {
    throw StatusError(grpc::StatusCode::ABORTED,
                      "the collection changed during the search; search again");
  }
  if (!s.ok()) fail(s);
  if (ms) *ms = reply.ms();
  return reply.sealed_answer();
}

std::string KeyServiceClient::seal_key() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!seal_key_.empty()) return seal_key_;
  }
  grpc::ClientContext ctx;
  set_bearer_token(ctx, token_);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  veil::v1::HealthRequest req;
  veil::v1::HealthReply reply;
  grpc::Status s = stub_->Health(&ctx, req, &reply);
  if (!s.ok()) fail(s);
  if (reply.seal_key().size() != collection::kSealKeySize) {
    throw StatusError(
        grpc::StatusCode::INTERNAL,
        "the key service gave a seal key of " + std::to_string(reply.seal_key().size()) + " bytes");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  seal_key_ = reply.seal_key();
  return seal_key_;
}

void KeyServiceClient::sync(const std::string& collection, const collection::SlotTable& table,
                            std::uint64_t param_id) {
  const std::vector<std::uint8_t> bytes = collection::save_slot_table(param_id, table);
  grpc::ClientContext ctx;
  set_bearer_token(ctx, token_);
  veil::v1::SyncReply reply;
  auto writer = stub_->SyncSlots(&ctx, &reply);
  constexpr std::size_t kChunk = 1 << 20;
  for (std::size_t off = 0; off < bytes.size() || off == 0; off += kChunk) {
    veil::v1::SlotChunk chunk;
    if (off == 0) chunk.set_collection(collection);
    const std::size_t n = std::min(kChunk, bytes.size() - off);
    chunk.set_data(bytes.data() + off, n);
    if (!writer->Write(chunk)) break;
    if (bytes.empty()) break;
  }
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  if (!s.ok()) throw StatusError(s.error_code(), "key service: sync: " + s.error_message());
}

bool KeyServiceClient::healthy(std::chrono::milliseconds timeout) {
  grpc::ClientContext ctx;
  set_bearer_token(ctx, token_);
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  veil::v1::HealthRequest req;
  veil::v1::HealthReply reply;
  return stub_->Health(&ctx, req, &reply).ok() && reply.ready();
}

}  // namespace veil::service
