#include "veil/service/rpc/security.h"

#include "veil/service/rpc/status.h"

namespace veil::service {

Authorizer token_authorizer(std::shared_ptr<const TokenStore> tokens) {
  return [tokens](const std::string& token, Role role, const std::string& collection) {
    if (!tokens) return Caller{"anonymous", Role::kAdmin, std::string(kAllCollections)};
    AuthResult r =
        tokens->authorize(token, role, collection.empty() ? kAllCollections : collection);
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
