// veil serve's RPCs with hostile or mistaken input, in process on a
// loopback port: each gets its gRPC status (never a crash) and changes
// nothing. The key service is not running: a well-formed search gets as
// far as calling it and answers UNAVAILABLE.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "veil/collection/client.h"
#include "veil/collection/keys.h"
#include "veil/search/config.h"
#include "veil/service/rpc/channel.h"
#include "veil/service/rpc/gallery_service.h"

namespace veil::service {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const char* what) {
  std::random_device rd;  // a unique name only (test code)
  fs::path p = fs::temp_directory_path() / ("veil-rpc-" + std::string(what) + "-" +
                                            std::to_string(rd()) + std::to_string(rd()));
  fs::create_directories(p);
  return p;
}

class RpcBadInput : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new fs::path(fresh_dir("keys"));
    collection::write_new_keys(*root_ / "keys", 64);
    collection::write_new_keys(*root_ / "other-keys", 64);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*root_);
    delete root_;
  }

  void SetUp() override {
    data_ = fresh_dir("data");
    keys_ = collection::load_keys(*root_ / "keys", collection::Need::kSecret |
                                                       collection::Need::kPublic |
                                                       collection::Need::kExpansion);
    GalleryServiceOptions o;
    o.data_dir = data_;
    o.threads = 1;
    auto ks = std::make_shared<KeyServiceClient>("127.0.0.1:1", std::nullopt, "");
    collection::KeyDir server_keys = collection::load_public_keys(
        *root_ / "keys", collection::Need::kPublic | collection::Need::kExpansion);
    service_ = std::make_unique<GalleryService>(std::move(server_keys), o, ks,
                                                Security{token_authorizer(nullptr), {}});
    grpc::ServerBuilder b;
    int port = 0;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    b.RegisterService(service_.get());
    b.SetMaxReceiveMessageSize(1 << 20);  // small, to test the limit cheaply
    server_ = b.BuildAndStart();
    ASSERT_NE(port, 0);
    stub_ = veil::v1::Gallery::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                           grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    server_->Shutdown();
    fs::remove_all(data_);
  }

  grpc::StatusCode create(const std::string& name, std::uint32_t d, veil::v1::CreateReply* r) {
    grpc::ClientContext ctx;
    veil::v1::CreateRequest req;
    req.set_collection(name);
    req.set_dimension(d);
    return stub_->CreateCollection(&ctx, req, r).error_code();
  }
  grpc::StatusCode search(const std::string& name, const std::string& probe, std::uint32_t k,
                          std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + deadline);
    veil::v1::SearchRequest req;
    req.set_collection(name);
    req.set_probe(probe);
    req.set_k(k);
    req.set_reply_key(std::string(32, '\x01'));
    veil::v1::SearchReply reply;
    return stub_->Search(&ctx, req, &reply).error_code();
  }
  std::uint64_t live(const std::string& name) {
    grpc::ClientContext ctx;
    veil::v1::CollectionRef req;
    req.set_collection(name);
    veil::v1::InfoReply r;
    EXPECT_TRUE(stub_->Info(&ctx, req, &r).ok());
    return r.live();
  }
  std::string probe_bytes(const collection::KeyDir& keys, const search::SearchConfig& c) {
    std::vector<float> v(c.dimension, 0.25f);
    const auto b = collection::Client(keys).encrypt_probe(c, v);
    return std::string(b.begin(), b.end());
  }

  static fs::path* root_;
  fs::path data_;
  collection::KeyDir keys_;
  std::unique_ptr<GalleryService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<veil::v1::Gallery::Stub> stub_;
};
fs::path* RpcBadInput::root_ = nullptr;

TEST_F(RpcBadInput, CollectionNamesAndDimensionsAreChecked) {
  veil::v1::CreateReply r;
  EXPECT_EQ(create("../escape", 8, &r), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(create(".hidden", 8, &r), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(create("", 8, &r), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(create(std::string(65, 'a'), 8, &r), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(create("zero", 0, &r), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(create("huge", 1u << 30, &r), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(fs::is_empty(data_)) << "a refused create left something behind";
  ASSERT_EQ(create("ok", 8, &r), grpc::StatusCode::OK);
  EXPECT_EQ(create("ok", 8, &r), grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(RpcBadInput, SearchRefusalsHaveTheirStatus) {
  veil::v1::CreateReply r;
  ASSERT_EQ(create("faces", 8, &r), grpc::StatusCode::OK);
  const search::SearchConfig c = search::load_config(std::span(
      reinterpret_cast<const std::uint8_t*>(r.search_config().data()), r.search_config().size()));
  const std::string good = probe_bytes(keys_, c);
  EXPECT_EQ(search("nosuch", good, 5), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(search("faces", "not an envelope", 5), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(search("faces", good.substr(0, good.size() / 2), 5),
            grpc::StatusCode::INVALID_ARGUMENT);  // truncated
  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x40;
  EXPECT_EQ(search("faces", flipped, 5), grpc::StatusCode::INVALID_ARGUMENT);  // checksum
  const collection::KeyDir other = collection::load_keys(
      *root_ / "other-keys", collection::Need::kSecret | collection::Need::kPublic);
  EXPECT_EQ(search("faces", probe_bytes(other, c), 5), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(search("faces", good, 0), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(search("faces", good, 1000000), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(search("faces", good, 5, std::chrono::milliseconds(-1)),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  // Well-formed: scanned, then the key service (not running) is unavailable.
  EXPECT_EQ(search("faces", good, 5), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(RpcBadInput, EnrollRefusalsStoreNothing) {
  veil::v1::CreateReply r;
  ASSERT_EQ(create("faces", 8, &r), grpc::StatusCode::OK);
  auto enroll = [&](const std::vector<std::string>& blocks, const std::string& name) {
    grpc::ClientContext ctx;
    veil::v1::EnrollReply reply;
    auto w = stub_->Enroll(&ctx, &reply);
    veil::v1::EnrollChunk chunk;
    chunk.set_collection(name);
    for (const auto& b : blocks) chunk.add_blocks(b);
    w->Write(chunk);
    w->WritesDone();
    return w->Finish().error_code();
  };
  EXPECT_EQ(enroll({"garbage"}, "faces"), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(enroll({}, "nosuch"), grpc::StatusCode::NOT_FOUND);
  // A message over the server's receive limit.
  EXPECT_EQ(enroll({std::string(2 << 20, 'x')}, "faces"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(live("faces"), 0u);
}

}  // namespace
}  // namespace veil::service
