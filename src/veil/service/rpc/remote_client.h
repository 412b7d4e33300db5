// The client of a deployed Veil: talks to `veil serve` (which relays to the
// key service) with a token, encrypts with collection::Client, and opens the
// sealed answers. The CLI's `veil client`, the load benchmark and the tests
// use it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "veil.grpc.pb.h"
#include "veil/collection/client.h"
#include "veil/collection/key_holder.h"
#include "veil/reduce/model.h"
#include "veil/reduce/two_stage_config.h"
#include "veil/service/rpc/security.h"

namespace veil::service {

struct Connection {
  std::string address;  // host:port
  std::optional<ClientTls> tls;
  std::string token;
  std::chrono::milliseconds deadline{120000};  // per call (an enroll stream: per stream)
};

struct RemoteInfo {
  search::SearchConfig config;              // stage 1 of a two-stage collection
  std::vector<std::uint8_t> search_config;  // the envelope
  std::string key_id;
  std::uint64_t blocks = 0, live = 0, tombstoned = 0, bytes_at_rest = 0;
  std::uint32_t dimension = 0;  // of templates and probes
  // Two-stage collections: the config, the model the client reduces probes
  // with (checked against the config's fingerprint), and the key service's
  // seal key for the full probe (empty while the key service is unreachable).
  std::optional<reduce::TwoStageConfig> two_stage;
  std::shared_ptr<const reduce::Reducer> model;
  std::vector<std::uint8_t> seal_key;
};

struct RemoteAnswer {
  std::vector<collection::RankedHit> hits;
  double total_ms = 0, server_ms = 0, key_service_ms = 0;
  double key_service_expand_ms = 0;  // of key_service_ms (single-stage searches)
  std::uint32_t batch = 0;
  std::size_t probe_bytes = 0;
};

struct RemoteEnrollResult {
  std::uint64_t templates = 0, blocks = 0;
};

class RemoteGallery {
 public:
  explicit RemoteGallery(Connection c);

  // With `reduction_model` (a model file's bytes): a two-stage collection.
  RemoteInfo create(const std::string& collection, std::uint32_t dimension,
                    bool public_key_enroll = false, bool public_key_probes = false,
                    std::span<const std::uint8_t> reduction_model = {});
  RemoteInfo info(const std::string& collection);
  // Encrypts `in` block by block and streams it, at most
  // `blocks_per_message` blocks per message (0: as many as fit in 32 MB);
  // `progress(done, total)` after each message sent. The server stores each
  // message durably before it reads the next; the reply counts what it
  // stored.
  RemoteEnrollResult enroll(const std::string& collection, const collection::Client& client,
                            const collection::EnrollInput& in, std::size_t threads,
                            bool skip_enrolled = false,
                            const std::function<void(std::size_t, std::size_t)>& progress = {},
                            std::size_t blocks_per_message = 0);
  // `candidates`: K of a two-stage collection (0: the server's default);
  // a single-stage collection refuses one.
  RemoteAnswer search(const std::string& collection, const collection::Client& client,
                      std::span<const float> probe, const collection::RankQuery& q,
                      std::size_t candidates = 0);
  std::size_t remove(const std::string& collection, const std::vector<std::string>& ids);
  veil::v1::CompactReply compact(const std::string& collection);
  // The server's Health (no token needed).
  std::optional<veil::v1::HealthReply> health(std::chrono::milliseconds timeout);

 private:
  void prepare(grpc::ClientContext& ctx) const;
  const RemoteInfo& cached_info(const std::string& collection, bool refresh = false);
  Connection c_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<veil::v1::Gallery::Stub> stub_;
  std::mutex mutex_;
  std::map<std::string, RemoteInfo> info_;
};

}  // namespace veil::service
