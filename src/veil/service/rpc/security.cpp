#include "veil/service/rpc/security.h"

#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>

#include "veil/service/rpc/status.h"

namespace veil::service {

namespace {
// When the token file last changed, as seen by stat (nullopt: unreadable).
std::optional<std::filesystem::file_time_type> modified(const std::filesystem::path& p) {
  std::error_code ec;
  const auto t = std::filesystem::last_write_time(p, ec);
  if (ec) return std::nullopt;
  return t;
}

// Reloads `tokens` when its file changed since the last look.
class TokenReloader {
 public:
  TokenReloader(std::shared_ptr<TokenStore> tokens, std::chrono::milliseconds recheck)
      : tokens_(std::move(tokens)), recheck_(recheck), seen_(modified(tokens_->path())) {}
  void maybe_reload() {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_check_ < recheck_) return;
    last_check_ = now;
    const auto m = modified(tokens_->path());
    if (m == seen_) return;
    seen_ = m;
    try {
      tokens_->reload();
    } catch (const std::exception& e) {
      std::cerr << "token file " << tokens_->path().string()
                << " not reloaded (the tokens last read stay in force): " << e.what() << "\n";
    }
  }
  const TokenStore& store() const { return *tokens_; }

 private:
  std::shared_ptr<TokenStore> tokens_;
  std::chrono::milliseconds recheck_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_check_{};
  std::optional<std::filesystem::file_time_type> seen_;
};
}  // namespace

Authorizer token_authorizer(std::shared_ptr<TokenStore> tokens, std::chrono::milliseconds recheck) {
  std::shared_ptr<TokenReloader> reloader =
      tokens ? std::make_shared<TokenReloader>(tokens, recheck) : nullptr;
  return [reloader](const std::string& token, Role role, const std::string& collection) {
    if (!reloader) return Caller{"anonymous", Role::kAdmin, std::string(kAllCollections)};
    reloader->maybe_reload();
    AuthResult r =
        reloader->store().authorize(token, role, collection.empty() ? kAllCollections : collection);
    switch (r.status) {
      case AuthStatus::kOk:
        return r.caller;
      case AuthStatus::kPermissionDenied:
        throw DeniedError(r.caller, r.reason);
      case AuthStatus::kUnauthenticated:
        break;
    }
    throw StatusError(grpc::StatusCode::UNAUTHENTICATED, r.reason);
  };
}

AuditSink audit_sink(std::shared_ptr<AuditLog> log) {
  if (!log) return {};
  return [log](const AuditEvent& e) { log->append(e); };
}

std::string bearer_token(const grpc::ServerContext& ctx) {
  const auto& md = ctx.client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) return "";
  const std::string value(it->second.data(), it->second.size());
  static const std::string kPrefix = "Bearer ";
  if (value.compare(0, kPrefix.size(), kPrefix) != 0) return "";
  return value.substr(kPrefix.size());
}

void set_bearer_token(grpc::ClientContext& ctx, const std::string& token) {
  if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
}

std::shared_ptr<grpc::ServerCredentials> server_credentials(const std::optional<ServerTls>& tls) {
  if (!tls) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions o(
      tls->client_ca_pem.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                 : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  o.pem_root_certs = tls->client_ca_pem;
  o.pem_key_cert_pairs.push_back({tls->key_pem, tls->cert_pem});
  return grpc::SslServerCredentials(o);
}

std::shared_ptr<grpc::ChannelCredentials> channel_credentials(const std::optional<ClientTls>& tls) {
  if (!tls) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = tls->ca_pem;
  o.pem_private_key = tls->key_pem;
  o.pem_cert_chain = tls->cert_pem;
  return grpc::SslCredentials(o);
}

}  // namespace veil::service
