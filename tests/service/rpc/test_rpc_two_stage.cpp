// Two-stage search through the deployment, in process on loopback ports:
// veil serve's GalleryService (public keys only) and the KeyService (the
// secret key), driven by RemoteGallery as `veil client` drives them. The
// ranked ids must equal the one-process two-stage search's over the same
// store, and the protocol's checks (sealed probe, ticket, K) must hold.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cmath>

#include "search/search_fixture.h"
#include "temp_dir.h"
#include "veil/collection/gallery.h"
#include "veil/collection/keys.h"
#include "veil/collection/sealed_probe.h"
#include "veil/reduce/pca.h"
#include "veil/search/rerank_wire.h"
#include "veil/service/rpc/gallery_service.h"
#include "veil/service/rpc/key_service.h"
#include "veil/service/rpc/remote_client.h"

namespace veil::service {
namespace {

namespace fs = std::filesystem;
constexpr std::size_t kFull = 48, kCoarse = 12, kTemplates = 3000;
constexpr std::size_t kK = 5, kCandidates = 100;

// Most of each row's energy in kCoarse directions, so PCA finds them and
// the coarse ranking is close to the full one.
data::Matrix rows(std::size_t n, std::uint32_t seed) {
  data::Matrix m{n, kFull, search::testing::random_rows(n, kFull, seed)};
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = kCoarse; j < kFull; ++j) m.row(i)[j] *= 0.25f;
  reduce::normalize_rows(m);
  return m;
}

std::vector<std::uint8_t> pca_model_bytes() {
  return reduce::save_model(reduce::PcaModel::fit(rows(2000, 5), kCoarse));
}

std::vector<float> probe_near(const data::Matrix& g, std::size_t row) {
  std::vector<float> p(g.row(row), g.row(row) + kFull);
  const auto noise = search::testing::random_rows(1, kFull, 900 + static_cast<std::uint32_t>(row));
  for (std::size_t j = 0; j < kFull; ++j) p[j] += 0.05f * noise[j];
  return p;
}

std::string str(std::span<const std::uint8_t> b) { return {b.begin(), b.end()}; }

class RpcTwoStage : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    collection::write_new_keys(*dir_ / "keys", 64);
    gallery_ = new data::Matrix(rows(kTemplates, 17));
  }
  static void TearDownTestSuite() {
    delete gallery_;
    delete dir_;
  }

  void SetUp() override {
    keys_ = collection::load_keys(*dir_ / "keys", collection::Need::kSecret |
                                                      collection::Need::kPublic |
                                                      collection::Need::kExpansion);
    Security open{token_authorizer(nullptr), {}};
    key_service_ = std::make_unique<KeyService>(keys_, KeyServiceOptions{.threads = 2}, open);
    int ks_port = 0;
    grpc::ServerBuilder kb;
    kb.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &ks_port);
    kb.RegisterService(key_service_.get());
    kb.SetMaxReceiveMessageSize(256 << 20);
    ks_server_ = kb.BuildAndStart();
    ASSERT_NE(ks_port, 0);
    ks_address_ = "127.0.0.1:" + std::to_string(ks_port);
    start_gallery();
  }
  void start_gallery() {
    GalleryServiceOptions o;
    o.data_dir = data_.path();
    o.threads = 2;
    auto ks = std::make_shared<KeyServiceClient>(ks_address_, std::nullopt, "");
    gallery_service_ = std::make_unique<GalleryService>(
        collection::load_public_keys(*dir_ / "keys",
                                     collection::Need::kPublic | collection::Need::kExpansion),
        o, ks, Security{token_authorizer(nullptr), {}});
    int port = 0;
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    b.RegisterService(gallery_service_.get());
    b.SetMaxReceiveMessageSize(256 << 20);
    server_ = b.BuildAndStart();
    ASSERT_NE(port, 0);
    address_ = "127.0.0.1:" + std::to_string(port);
    Connection c;
    c.address = address_;
    remote_ = std::make_unique<RemoteGallery>(c);
  }
  void stop_gallery() {
    remote_.reset();
    server_->Shutdown();
    server_.reset();
    gallery_service_.reset();
  }
  void TearDown() override {
    if (server_) stop_gallery();
    ks_server_->Shutdown();
  }

  // A two-stage collection "faces" holding the whole gallery.
  void create_and_enroll() {
    const auto model = pca_model_bytes();
    const RemoteInfo i = remote_->create("faces", kFull, false, false, model);
    ASSERT_TRUE(i.two_stage.has_value());
    EXPECT_EQ(i.dimension, kFull);
    EXPECT_EQ(i.config.dimension, kCoarse);
    EXPECT_EQ(i.seal_key.size(), collection::kSealKeySize);
    collection::EnrollInput in{*gallery_, {}, {}, "gallery"};
    for (std::size_t r = 0; r < kTemplates; ++r) {
      in.ids.push_back("id" + std::to_string(r));
      in.labels.push_back("person" + std::to_string(r % 7));
    }
    const RemoteEnrollResult e = remote_->enroll("faces", collection::Client(keys_), in, 2);
    EXPECT_EQ(e.templates, kTemplates);
  }

  static test::TempDir* dir_;
  static data::Matrix* gallery_;
  test::TempDir data_;
  collection::KeyDir keys_;
  std::unique_ptr<KeyService> key_service_;
  std::unique_ptr<grpc::Server> ks_server_;
  std::string ks_address_;
  std::unique_ptr<GalleryService> gallery_service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::unique_ptr<RemoteGallery> remote_;
};
test::TempDir* RpcTwoStage::dir_ = nullptr;
data::Matrix* RpcTwoStage::gallery_ = nullptr;

TEST_F(RpcTwoStage, RemoteIdsEqualTheOneProcessSearch) {
  create_and_enroll();
  const collection::Client client(keys_);
  const std::vector<std::size_t> targets = {0, 1234, 2999};
  std::vector<std::vector<collection::RankedHit>> remote;
  for (std::size_t t : targets) {
    const std::vector<float> p = probe_near(*gallery_, t);
    collection::RankQuery q;
    q.k = kK;
    q.with_scores = true;
    const RemoteAnswer a = remote_->search("faces", client, p, q, kCandidates);
    ASSERT_EQ(a.hits.size(), kK);
    EXPECT_EQ(a.hits[0].id, "id" + std::to_string(t)) << "the true match is first";
    EXPECT_EQ(a.hits[0].label, "person" + std::to_string(t % 7));
    ASSERT_TRUE(a.hits[0].cosine.has_value());
    EXPECT_GT(*a.hits[0].cosine, 0.9);
    // Rounded to the resolution: a multiple of 0.01.
    EXPECT_NEAR(*a.hits[0].cosine * 100, std::round(*a.hits[0].cosine * 100), 1e-9);
    remote.push_back(a.hits);
  }
  // The same store searched in one process, the server stopped first (it
  // holds the store's write lock).
  stop_gallery();
  const collection::OpenGallery g =
      collection::open_gallery(data_.path() / "faces", store::Mode::kReadOnly);
  ASSERT_TRUE(g.two_stage.has_value());
  const auto local = collection::make_searcher(g, keys_, kCandidates, 2);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const std::vector<float> p = probe_near(*gallery_, targets[i]);
    const collection::SearchResult r = local->search(p.data(), kK, std::nullopt);
    ASSERT_EQ(r.hits.size(), remote[i].size());
    for (std::size_t h = 0; h < r.hits.size(); ++h) {
      EXPECT_EQ(r.hits[h].id, remote[i][h].id) << "probe " << i << " rank " << h;
      EXPECT_NEAR(r.hits[h].cosine, *remote[i][h].cosine, 0.005 + 1e-9);
    }
  }
}

TEST_F(RpcTwoStage, ThresholdDeleteAndRestart) {
  create_and_enroll();
  const collection::Client client(keys_);
  const std::vector<float> p = probe_near(*gallery_, 42);
  collection::RankQuery q;
  q.threshold = 0.9;
  RemoteAnswer a = remote_->search("faces", client, p, q, kCandidates);
  ASSERT_FALSE(a.hits.empty());
  EXPECT_EQ(a.hits[0].id, "id42");
  EXPECT_FALSE(a.hits[0].cosine.has_value()) << "no scores unless asked";
  // A removed template is never released, and the collection reopens after
  // a restart with its model.
  EXPECT_EQ(remote_->remove("faces", {"id42"}), 1u);
  stop_gallery();
  start_gallery();
  q = collection::RankQuery{};
  q.k = kK;
  a = remote_->search("faces", client, p, q, kCandidates);
  ASSERT_EQ(a.hits.size(), kK);
  for (const auto& h : a.hits) EXPECT_NE(h.id, "id42");
}

TEST_F(RpcTwoStage, RefusalsHaveTheirStatus) {
  create_and_enroll();
  remote_->create("flat", kFull);  // single-stage
  const RemoteInfo info = remote_->info("faces");
  const collection::Client client(keys_);
  const auto probe = client.encrypt_two_stage_probe(*info.two_stage, *info.model,
                                                    probe_near(*gallery_, 7), info.seal_key);
  const std::uint64_t param_id = keys_.ctx->id();
  collection::ReplyKey reply_key;
  auto gallery =
      veil::v1::Gallery::NewStub(grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  auto search = [&](const std::string& collection, const std::string& sealed, std::uint32_t K,
                    std::uint32_t k) {
    veil::v1::SearchRequest req;
    req.set_collection(collection);
    req.set_probe(str(probe.probe));
    req.set_k(k);
    req.set_candidates(K);
    req.set_sealed_probe(sealed);
    req.set_reply_key(str(reply_key.public_key()));
    grpc::ClientContext ctx;
    veil::v1::SearchReply reply;
    return gallery->Search(&ctx, req, &reply).error_code();
  };
  using grpc::StatusCode;
  const std::string sealed = str(probe.sealed_full);
  EXPECT_EQ(search("faces", sealed, 100, 10), StatusCode::OK);
  EXPECT_EQ(search("faces", "", 100, 10), StatusCode::INVALID_ARGUMENT) << "no sealed probe";
  EXPECT_EQ(search("faces", sealed, 5, 10), StatusCode::INVALID_ARGUMENT) << "K < k";
  EXPECT_EQ(search("flat", sealed, 100, 10), StatusCode::INVALID_ARGUMENT)
      << "two-stage fields for a single-stage collection";
  std::string altered = sealed;
  altered[altered.size() / 2] ^= 1;
  EXPECT_EQ(search("faces", altered, 100, 10), StatusCode::INVALID_ARGUMENT);
  const std::span<const std::uint8_t> seal_key(info.seal_key);
  EXPECT_EQ(
      search("faces",
             str(collection::seal_full_probe(
                 param_id, {keys_.key_id, std::vector<std::int16_t>(kFull - 1, 3)}, seal_key)),
             100, 10),
      StatusCode::INVALID_ARGUMENT)
      << "another dimension";
  EXPECT_EQ(search("faces",
                   str(collection::seal_full_probe(
                       param_id, {keys_.key_id, std::vector<std::int16_t>(kFull, 1000)}, seal_key)),
                   100, 10),
            StatusCode::INVALID_ARGUMENT)
      << "values beyond the full scale";
  const collection::SealKey again(*keys_.sk);
  EXPECT_EQ(std::vector<std::uint8_t>(again.public_key().begin(), again.public_key().end()),
            info.seal_key)
      << "the seal key is derived from secret.key: the same in every key service process";

  // At the key service: K out of range, and a row request it did not make.
  auto ks = veil::v1::KeyService::NewStub(
      grpc::CreateChannel(ks_address_, grpc::InsecureChannelCredentials()));
  collection::SlotTable table;
  table.slots_per_block = 4;
  table.ids = {"a", "b", "c", "d"};
  table.labels = {"", "", "", ""};
  table.live = {1, 1, 1, 1};
  collection::stamp_version(table);
  {
    grpc::ClientContext ctx;
    veil::v1::SyncReply reply;
    auto w = ks->SyncSlots(&ctx, &reply);
    veil::v1::SlotChunk chunk;
    chunk.set_collection("faces");
    chunk.set_data(str(collection::save_slot_table(param_id, table)));
    ASSERT_TRUE(w->Write(chunk));
    w->WritesDone();
    ASSERT_TRUE(w->Finish().ok());
  }
  const std::string config = str(reduce::save_two_stage_config(*info.two_stage, param_id));
  for (std::uint32_t K : {0u, 10001u}) {
    veil::v1::ShortlistRequest req;
    req.set_collection("faces");
    req.set_two_stage_config(config);
    req.set_candidates(K);
    req.set_sealed_probe(sealed);
    req.set_table_version(str(table.version.bytes));
    grpc::ClientContext ctx;
    veil::v1::ShortlistReply reply;
    EXPECT_EQ(ks->Shortlist(&ctx, req, &reply).error_code(), StatusCode::INVALID_ARGUMENT) << K;
  }
  veil::v1::RescoreRequest req;
  req.set_collection("faces");
  req.set_two_stage_config(config);
  const std::vector<std::uint64_t> slots = {0, 1};
  req.set_request(str(search::save_candidate_request(param_id, slots)));
  req.set_ticket(std::string(32, 'x'));
  req.set_sealed_probe(sealed);
  req.set_table_version(str(table.version.bytes));
  req.set_k(1);
  req.set_reply_key(str(reply_key.public_key()));
  grpc::ClientContext ctx;
  veil::v1::RankReply reply;
  EXPECT_EQ(ks->Rescore(&ctx, req, &reply).error_code(), StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace veil::service
