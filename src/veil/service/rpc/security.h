// What the handlers need from authentication, audit and TLS, as small
// hooks: the token store and the audit log (service/tokens.h,
// service/audit_log.h) plug in here, and tests can plug in their own.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "veil/service/audit_log.h"
#include "veil/service/rpc/status.h"
#include "veil/service/tokens.h"

namespace veil::service {

// Checks a bearer token for `role` on `collection` and returns the caller;
// throws StatusError UNAUTHENTICATED (no or unknown token) or DeniedError
// (known token, wrong role or collection).
// PERMISSION_DENIED, with who was refused (for the audit log).
class DeniedError : public StatusError {
 public:
  DeniedError(Caller who, const std::string& why)
      : StatusError(grpc::StatusCode::PERMISSION_DENIED, why), who_(std::move(who)) {}
  const Caller& who() const { return who_; }

 private:
  Caller who_;
};

using Authorizer =
    std::function<Caller(const std::string& token, Role role, const std::string& collection)>;
// Where audit events go (service/audit_log.h); may be empty.
using AuditSink = std::function<void(const AuditEvent&)>;

struct Security {
  Authorizer authorize;
  AuditSink audit;
};

// The hooks over a token file and an audit log (either may be null: no
// audit; a null token store lets every call through as "anonymous", for
// `--insecure-no-auth` only).
// The store re-reads its file when the file changed (checked at most once
// per `recheck`): a token added or revoked with `veil token` takes effect
// without a restart. A file that became unreadable or malformed keeps the
// tokens last read (the error goes to stderr once per change).
Authorizer token_authorizer(std::shared_ptr<TokenStore> tokens,
                            std::chrono::milliseconds recheck = std::chrono::seconds(1));
AuditSink audit_sink(std::shared_ptr<AuditLog> log);

// The bearer token of a call ("" when there is none).
std::string bearer_token(const grpc::ServerContext& ctx);
// Adds the bearer token to an outgoing call.
void set_bearer_token(grpc::ClientContext& ctx, const std::string& token);

// TLS: PEM strings (service/tls_files.h reads and checks the files).
struct ServerTls {
  std::string cert_pem, key_pem;
  std::string client_ca_pem;  // non-empty: clients must present a certificate it signed (mTLS)
};
struct ClientTls {
  std::string ca_pem;             // the CA that signed the server's certificate
  std::string cert_pem, key_pem;  // non-empty: our certificate, for mutual TLS
};
std::shared_ptr<grpc::ServerCredentials> server_credentials(const std::optional<ServerTls>& tls);
std::shared_ptr<grpc::ChannelCredentials> channel_credentials(const std::optional<ClientTls>& tls);

}  // namespace veil::service
