#include "veil/service/rpc/key_service_client.h"

#include "veil/service/rpc/channel.h"
#include "veil/service/rpc/status.h"

namespace veil::service {

KeyServiceClient::KeyServiceClient(const std::string& address, const std::optional<ClientTls>& tls,
                                   std::string token)
    : channel_(make_channel(address, tls)),
      stub_(veil::v1::KeyService::NewStub(channel_)),
      token_(std::move(token)) {}

std::string KeyServiceClient::rank(const RankCall& call, const collection::SlotTable& table,
                                   std::uint64_t param_id, double* ms) {
  veil::v1::RankRequest req;
  req.set_collection(call.collection);
  req.set_search_config(call.search_config.data(), call.search_config.size());
  req.set_probe(call.probe.data(), call.probe.size());
  req.set_scores(call.scores.data(), call.scores.size());
  req.set_table_version(table.version.bytes.data(), table.version.bytes.size());
  req.set_caller(call.caller);
  req.set_k(call.k);
  req.set_has_threshold(call.threshold.has_value());
  req.set_threshold(call.threshold.value_or(0));
  req.set_with_scores(call.with_scores);
  req.set_reply_key(call.reply_key);
  for (int attempt = 0;; ++attempt) {
    grpc::ClientContext ctx;
    set_bearer_token(ctx, token_);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    veil::v1::RankReply reply;
    grpc::Status s = stub_->Rank(&ctx, req, &reply);
    if (s.ok()) {
      if (ms) *ms = reply.ms();
      return reply.sealed_answer();
    }
    if (attempt == 0 && s.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
        s.error_message().rfind(kStaleTable, 0) == 0) {
      sync(call.collection, table, param_id);
      continue;
    }
    if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
      throw StatusError(grpc::StatusCode::UNAVAILABLE,
                        "the key service is unavailable: " + s.error_message());
    }
    throw StatusError(s.error_code(), "key service: " + s.error_message());
  }
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
