// `veil serve`: the Gallery service. Holds the galleries under one data
// directory (one store per collection) and the key set's expansion.keys;
// refuses a key directory holding secret.key. Every call is authorised by
// token and role, audited, and answered with a status on any error.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <shared_mutex>

#include "veil.grpc.pb.h"
#include "veil/collection/gallery_server.h"
#include "veil/collection/keys.h"
#include "veil/service/rpc/batcher.h"
#include "veil/service/rpc/key_service_client.h"
#include "veil/service/rpc/security.h"

namespace veil::service {

struct GalleryServiceOptions {
  std::filesystem::path data_dir;
  std::size_t threads = 0;
  // 1: no batching. On a machine whose scan is compute-bound (every one
  // measured so far, docs/benchmarks.md) batching only adds waiting.
  std::size_t max_batch = 1;
  std::chrono::microseconds batch_window{0};
  std::uint32_t max_k = 100;
};

// Collection names: 1-64 of [A-Za-z0-9_.-], not starting with '.'.
bool valid_collection_name(const std::string& name);

class GalleryService final : public veil::v1::Gallery::Service {
 public:
  // `keys`: params, public.key and expansion.keys only. Opens every
  // collection found in options.data_dir (an error names one that fails).
  GalleryService(collection::KeyDir keys, GalleryServiceOptions options,
                 std::shared_ptr<KeyServiceClient> key_service, Security security);

  grpc::Status CreateCollection(grpc::ServerContext* ctx, const veil::v1::CreateRequest* req,
                                veil::v1::CreateReply* reply) override;
  grpc::Status Enroll(grpc::ServerContext* ctx, grpc::ServerReader<veil::v1::EnrollChunk>* reader,
                      veil::v1::EnrollReply* reply) override;
  grpc::Status Search(grpc::ServerContext* ctx, const veil::v1::SearchRequest* req,
                      veil::v1::SearchReply* reply) override;
  grpc::Status Delete(grpc::ServerContext* ctx, const veil::v1::DeleteRequest* req,
                      veil::v1::DeleteReply* reply) override;
  grpc::Status Compact(grpc::ServerContext* ctx, const veil::v1::CollectionRef* req,
                       veil::v1::CompactReply* reply) override;
  grpc::Status Info(grpc::ServerContext* ctx, const veil::v1::CollectionRef* req,
                    veil::v1::InfoReply* reply) override;
  grpc::Status Health(grpc::ServerContext* ctx, const veil::v1::HealthRequest* req,
                      veil::v1::HealthReply* reply) override;

  std::size_t collections() const;

 private:
  struct Entry {
    std::unique_ptr<collection::GalleryServer> server;
    std::unique_ptr<Batcher> batcher;
  };
  std::shared_ptr<Entry> find(const std::string& name) const;  // NOT_FOUND otherwise
  std::shared_ptr<Entry> open_entry(const std::filesystem::path& dir) const;
  // Sets `caller` (also when refused: the audit log names who) or throws.
  void authorize(Caller& caller, const grpc::ServerContext& ctx, Role role,
                 const std::string& collection) const;
  // A two-stage search after stage 1: Shortlist at the key service, the
  // rows it asked for, Rescore; the sealed answer.
  std::string two_stage_answer(const grpc::ServerContext& ctx, const Entry& e,
                               const veil::v1::SearchRequest& req, const Caller& caller,
                               std::uint32_t candidates, std::vector<std::uint8_t> scores,
                               const collection::SlotTable& table,
                               veil::v1::SearchReply* reply) const;
  // `e` with the outcome of `s` and the peer of `ctx` filled in.
  void audit(const grpc::ServerContext& ctx, AuditEvent e, const grpc::Status& s) const;

  collection::KeyDir keys_;
  GalleryServiceOptions o_;
  std::shared_ptr<KeyServiceClient> key_service_;
  Security security_;
  mutable std::shared_mutex mutex_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
  std::mutex create_mutex_;
};

}  // namespace veil::service
