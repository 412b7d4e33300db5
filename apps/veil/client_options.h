// What every `veil client` command and `veil bench-service` share: the
// server address, TLS, the token file, the deadline and the key directory.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "veil/collection/keys.h"
#include "veil/service/rpc/remote_client.h"

namespace veil::apps {

struct ClientOptions {
  std::string server = "127.0.0.1:7700";
  std::string token_file, ca, keys;
  bool insecure = false;
  int deadline_s = 600;
};

void add_client_options(CLI::App* cmd, ClientOptions& c, bool needs_keys);

// A connection as the options say; refuses plaintext unless --insecure.
service::RemoteGallery connect(const ClientOptions& c);

// Public keys suffice to encrypt probes and third-party templates; the key
// owner's directory also has secret.key (smaller probes).
collection::KeyDir client_keys(const std::string& dir);

}  // namespace veil::apps
