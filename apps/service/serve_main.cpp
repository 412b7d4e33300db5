// veil-serve (`veil serve`): the search server. Holds galleries and the key
// set's expansion.keys, never a secret key: it refuses a key directory
// with secret.key, and this program does not link the decryption code
// (tests/service checks its symbols).
#include <CLI/CLI.hpp>
#include <iostream>

#include "run_server.h"
#include "veil/collection/keys.h"
#include "veil/service/rpc/gallery_service.h"
#include "veil/service/rpc/key_service_client.h"
#include "veil/service/tls_files.h"

namespace fs = std::filesystem;
using namespace veil;

int main(int argc, char** argv) {
  CLI::App app{"veil serve: the encrypted search server (holds no secret key)"};
  apps::ListenOptions listen;
  apps::add_listen_options(app, listen);
  fs::path data, keys;
  std::string keyservice;
  std::optional<fs::path> ks_token_file, ks_ca, ks_cert, ks_key;
  service::GalleryServiceOptions o;
  int window_us = 0;
  app.add_option("--data", data, "directory of the collections (one store each)")->required();
  app.add_option("--keys", keys, "params.veil, public.key and expansion.keys (no secret.key)")
      ->required();
  app.add_option("--keyservice", keyservice, "host:port of veil keyservice")->required();
  app.add_option("--keyservice-token-file", ks_token_file,
                 "file with this server's token for the key service (role server)");
  app.add_option("--keyservice-ca", ks_ca, "CA of the key service's certificate (TLS)");
  app.add_option("--keyservice-cert", ks_cert, "this server's client certificate (mutual TLS)");
  app.add_option("--keyservice-key", ks_key, "its private key");
  app.add_option("--threads", o.threads, "scan threads (0: all cores)");
  app.add_option("--max-batch", o.max_batch,
                 "probes scanned in one gallery pass (1: none; docs/benchmarks.md)")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  app.add_option("--batch-window-us", window_us,
                 "wait this long for more probes before a pass (0: batch only what queued)")
      ->check(CLI::Range(0, 100000));
  app.add_option("--max-k", o.max_k, "largest k (and most ids a threshold search returns)")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (fs::exists(keys / "secret.key")) {
      throw std::runtime_error(
          keys.string() +
          " holds secret.key: the search server must never hold the secret key. Give it a "
          "directory with params.veil, public.key and expansion.keys only");
    }
    o.data_dir = data;
    o.batch_window = std::chrono::microseconds(window_us);
    collection::KeyDir k = collection::load_public_keys(
        keys, collection::Need::kPublic | collection::Need::kExpansion);
    std::optional<service::ClientTls> tls;
    if (ks_ca) {
      service::ClientTls t;
      t.ca_pem = service::load_ca_file(*ks_ca);
      if (ks_cert || ks_key) {
        if (!ks_cert || !ks_key)
          throw std::runtime_error("--keyservice-cert needs --keyservice-key");
        service::TlsPem pem = service::load_tls_files({*ks_cert, *ks_key, std::nullopt});
        t.cert_pem = pem.cert;
        t.key_pem = pem.key;
      }
      tls = t;
    }
    const std::string token = ks_token_file ? apps::read_secret_file(*ks_token_file) : "";
    auto ks = std::make_shared<service::KeyServiceClient>(keyservice, tls, token);
    service::GalleryService svc(std::move(k), o, ks, apps::server_security(listen, "veil serve"));
    std::cerr << "veil serve: " << svc.collections() << " collection(s) in " << data.string()
              << "\n";
    apps::run_until_signalled(svc, listen, "veil serve");
  } catch (const std::exception& e) {
    std::cerr << "veil serve: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
