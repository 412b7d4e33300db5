// What `veil-serve` and `veil-keyservice` share: TLS and token options,
// listening (with an ephemeral port written to a file for tests), and a
// SIGTERM/SIGINT that drains in-flight calls before the process exits.
#pragma once

#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "veil/service/audit_log.h"
#include "veil/service/rpc/security.h"
#include "veil/service/tokens.h"

namespace veil::apps {

struct ListenOptions {
  std::string listen = "127.0.0.1:0";
  std::optional<std::filesystem::path> port_file;  // the bound port, written once listening
  std::optional<std::filesystem::path> tls_cert, tls_key, tls_client_ca;
  bool insecure = false;  // plaintext (loopback tests only); TLS otherwise
  std::optional<std::filesystem::path> tokens, audit;
  bool no_auth = false;
  int drain_seconds = 10;
};
void add_listen_options(CLI::App& cmd, ListenOptions& o);

// The TLS material the options name (nullopt with --insecure); refuses a
// listen address beyond loopback without TLS.
std::optional<service::ServerTls> server_tls(const ListenOptions& o);
service::Security server_security(const ListenOptions& o, const char* who);

// Builds, starts and runs the server until SIGTERM or SIGINT, then stops
// taking calls and lets running ones finish (at most drain_seconds).
void run_until_signalled(grpc::Service& service, const ListenOptions& o, const char* who);

// A file's whole text with trailing whitespace removed (a token file).
std::string read_secret_file(const std::filesystem::path& p);

}  // namespace veil::apps
