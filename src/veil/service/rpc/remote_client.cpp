#include "veil/service/rpc/remote_client.h"

#include "veil/io/elapsed.h"
#include "veil/service/rpc/channel.h"
#include "veil/service/rpc/status.h"

namespace veil::service {

namespace {
using Steady = std::chrono::steady_clock;
using io::ms_since;
// Enroll messages stay well under the message limit.
constexpr std::size_t kEnrollMessageBytes = 32u << 20;

RemoteInfo to_info(const veil::v1::InfoReply& r) {
  RemoteInfo i;
  i.search_config.assign(r.search_config().begin(), r.search_config().end());
  i.config = search::load_config(i.search_config);
  i.key_id = r.key_id();
  i.blocks = r.blocks();
  i.live = r.live();
  i.tombstoned = r.tombstoned();
  i.bytes_at_rest = r.bytes_at_rest();
  i.dimension = r.dimension();
  if (!r.two_stage_config().empty()) {
    const std::span<const std::uint8_t> ts(
        reinterpret_cast<const std::uint8_t*>(r.two_stage_config().data()),
        r.two_stage_config().size());
    i.two_stage = reduce::load_two_stage_config(ts);
    i.model = reduce::load_model({reinterpret_cast<const std::uint8_t*>(r.reduction_model().data()),
                                  r.reduction_model().size()},
                                 "the server's reduction model");
    reduce::check_model(*i.two_stage, *i.model);
    i.seal_key.assign(r.seal_key().begin(), r.seal_key().end());
  }
  return i;
}
}  // namespace

RemoteGallery::RemoteGallery(Connection c)
    : c_(std::move(c)),
      channel_(make_channel(c_.address, c_.tls)),
      stub_(veil::v1::Gallery::NewStub(channel_)) {}

void RemoteGallery::prepare(grpc::ClientContext& ctx) const {
  set_bearer_token(ctx, c_.token);
  ctx.set_deadline(std::chrono::system_clock::now() + c_.deadline);
}

RemoteInfo RemoteGallery::create(const std::string& collection, std::uint32_t dimension,
                                 bool public_key_enroll, bool public_key_probes,
                                 std::span<const std::uint8_t> reduction_model) {
  grpc::ClientContext ctx;
  prepare(ctx);
  veil::v1::CreateRequest req;
  req.set_collection(collection);
  req.set_dimension(dimension);
  req.set_public_key_enroll(public_key_enroll);
  req.set_public_key_probes(public_key_probes);
  req.set_reduction_model(reinterpret_cast<const char*>(reduction_model.data()),
                          reduction_model.size());
  veil::v1::CreateReply reply;
  grpc::Status s = stub_->CreateCollection(&ctx, req, &reply);
  if (!s.ok()) throw_status(s, "create " + collection);
  return info(collection);
}

RemoteInfo RemoteGallery::info(const std::string& collection) {
  grpc::ClientContext ctx;
  prepare(ctx);
  veil::v1::CollectionRef req;
  req.set_collection(collection);
  veil::v1::InfoReply reply;
  grpc::Status s = stub_->Info(&ctx, req, &reply);
  if (!s.ok()) throw_status(s, "info " + collection);
  RemoteInfo i = to_info(reply);
  std::lock_guard<std::mutex> lock(mutex_);
  info_[collection] = i;
  return i;
}

const RemoteInfo& RemoteGallery::cached_info(const std::string& collection, bool refresh) {
  if (!refresh) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = info_.find(collection);
    if (it != info_.end()) return it->second;
  }
  info(collection);
  std::lock_guard<std::mutex> lock(mutex_);
  return info_.at(collection);
}

RemoteEnrollResult RemoteGallery::enroll(
    const std::string& collection, const collection::Client& client,
    const collection::EnrollInput& in, std::size_t threads, bool skip_enrolled,
    const std::function<void(std::size_t, std::size_t)>& progress, std::size_t blocks_per_message) {
  const RemoteInfo& i = cached_info(collection);
  grpc::ClientContext ctx;
  prepare(ctx);
  veil::v1::EnrollReply reply;
  auto writer = stub_->Enroll(&ctx, &reply);
  veil::v1::EnrollChunk chunk;
  chunk.set_collection(collection);
  chunk.set_skip_enrolled(skip_enrolled);
  std::size_t bytes = 0, done = 0, pending = 0;
  const std::size_t total = in.embeddings.rows;
  bool open = true;
  auto flush = [&] {
    if (!open || chunk.blocks_size() == 0) return;
    open = writer->Write(chunk);
    done += pending;
    pending = 0;
    chunk.Clear();
    bytes = 0;
    if (open && progress) progress(done, total);
  };
  auto send = [&](std::vector<std::uint8_t>&& b) {
    if (bytes + b.size() > kEnrollMessageBytes ||
        (blocks_per_message && static_cast<std::size_t>(chunk.blocks_size()) >= blocks_per_message))
      flush();
    chunk.add_blocks(reinterpret_cast<const char*>(b.data()), b.size());
    bytes += b.size();
    pending += std::min(i.config.n, total - done - pending);
  };
  if (i.two_stage) {
    client.encrypt_two_stage_blocks(*i.two_stage, i.model, in, threads, send);
  } else {
    client.encrypt_blocks(i.config, in, threads, send);
  }
  flush();
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  if (!s.ok()) throw_status(s, "enroll " + collection);
  return {reply.templates(), reply.blocks()};
}

RemoteAnswer RemoteGallery::search(const std::string& collection, const collection::Client& client,
                                   std::span<const float> probe, const collection::RankQuery& q,
                                   std::size_t candidates) {
  const auto t0 = Steady::now();
  const RemoteInfo* i = &cached_info(collection);
  if (i->two_stage && i->seal_key.empty()) {
    i = &cached_info(collection, true);  // the key service may be back
    if (i->seal_key.empty()) {
      throw std::runtime_error("search " + collection +
                               ": the server cannot reach the key service for its seal key "
                               "(a two-stage search needs it)");
    }
  }
  veil::v1::SearchRequest req;
  std::vector<std::uint8_t> wire;
  if (i->two_stage) {
    collection::Client::TwoStageProbe p =
        client.encrypt_two_stage_probe(*i->two_stage, *i->model, probe, i->seal_key);
    wire = std::move(p.probe);
    req.set_sealed_probe(reinterpret_cast<const char*>(p.sealed_full.data()), p.sealed_full.size());
  } else {
    wire = client.encrypt_probe(i->config, probe);
  }
  req.set_candidates(static_cast<std::uint32_t>(candidates));
  collection::ReplyKey reply_key;
  req.set_collection(collection);
  req.set_probe(reinterpret_cast<const char*>(wire.data()), wire.size());
  req.set_k(static_cast<std::uint32_t>(q.k));
  req.set_has_threshold(q.threshold.has_value());
  req.set_threshold(q.threshold.value_or(0));
  req.set_with_scores(q.with_scores);
  req.set_reply_key(reinterpret_cast<const char*>(reply_key.public_key().data()),
                    reply_key.public_key().size());
  grpc::ClientContext ctx;
  prepare(ctx);
  veil::v1::SearchReply reply;
  grpc::Status s = stub_->Search(&ctx, req, &reply);
  if (!s.ok()) throw_status(s, "search " + collection);
  const std::string& sealed = reply.sealed_answer();
  RemoteAnswer a;
  a.hits =
      reply_key.open({reinterpret_cast<const std::uint8_t*>(sealed.data()), sealed.size()}).hits;
  a.server_ms = reply.server_ms();
  a.key_service_ms = reply.key_service_ms();
  a.key_service_expand_ms = reply.key_service_expand_ms();
  a.batch = reply.batch();
  a.probe_bytes = wire.size();
  a.total_ms = ms_since(t0);
  return a;
}

std::size_t RemoteGallery::remove(const std::string& collection,
                                  const std::vector<std::string>& ids) {
  grpc::ClientContext ctx;
  prepare(ctx);
  veil::v1::DeleteRequest req;
  req.set_collection(collection);
  for (const auto& id : ids) req.add_ids(id);
  veil::v1::DeleteReply reply;
  grpc::Status s = stub_->Delete(&ctx, req, &reply);
  if (!s.ok()) throw_status(s, "delete from " + collection);
  return reply.removed();
}

veil::v1::CompactReply RemoteGallery::compact(const std::string& collection) {
  grpc::ClientContext ctx;
  prepare(ctx);
  veil::v1::CollectionRef req;
  req.set_collection(collection);
  veil::v1::CompactReply reply;
  grpc::Status s = stub_->Compact(&ctx, req, &reply);
  if (!s.ok()) throw_status(s, "compact " + collection);
  return reply;
}

std::optional<veil::v1::HealthReply> RemoteGallery::health(std::chrono::milliseconds timeout) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  veil::v1::HealthRequest req;
  veil::v1::HealthReply reply;
  if (!stub_->Health(&ctx, req, &reply).ok()) return std::nullopt;
  return reply;
}

}  // namespace veil::service
