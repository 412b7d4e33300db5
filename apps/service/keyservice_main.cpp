// veil-keyservice (`veil keyservice`): the key holder as a service. Meant
// for a confidential VM or an enclave; here it is an ordinary process (the
// operating system and its administrator can read its memory). It loads
// secret.key once, logs no decrypted value, and releases only top-k ids.
#include <CLI/CLI.hpp>
#include <iostream>

#include "run_server.h"
#include "veil/collection/keys.h"
#include "veil/service/rpc/key_service.h"

namespace fs = std::filesystem;
using namespace veil;

int main(int argc, char** argv) {
  CLI::App app{"veil keyservice: decrypts scores and releases only top-k ids"};
  apps::ListenOptions listen;
  apps::add_listen_options(app, listen);
  fs::path keys;
  service::KeyServiceOptions o;
  app.add_option("--keys", keys, "the key directory (secret.key, expansion.keys)")->required();
  app.add_option("--threads", o.threads, "decryption threads (0: all cores)");
  app.add_option("--max-k", o.max_k, "most ids released per search")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--score-budget", o.score_budget,
                 "searches with (rounded) scores per caller while the process runs")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    const collection::KeyDir k = collection::load_keys(
        keys, collection::Need::kSecret | collection::Need::kPublic | collection::Need::kExpansion);
    service::KeyService svc(k, o, apps::server_security(listen, "veil keyservice"));
    std::cerr << "veil keyservice: key " << k.key_id.hex() << "\n";
    apps::run_until_signalled(svc, listen, "veil keyservice");
  } catch (const std::exception& e) {
    std::cerr << "veil keyservice: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
