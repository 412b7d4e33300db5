// Client channels with Veil's limits: large messages (encrypted responses
// are 7.5 bytes per template), TLS when given.
#pragma once

#include <grpcpp/grpcpp.h>

#include <optional>

#include "veil/service/rpc/security.h"

namespace veil::service {

// The largest message any Veil channel or server accepts: a 10M-template
// response (75 MB) with room to spare.
inline constexpr int kMaxMessageBytes = 256 << 20;

std::shared_ptr<grpc::Channel> make_channel(const std::string& address,
                                            const std::optional<ClientTls>& tls);

}  // namespace veil::service
