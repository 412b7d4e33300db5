#include "run_server.h"

#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "veil/io/file_io.h"
#include "veil/service/rpc/channel.h"
#include "veil/service/tls_files.h"

namespace veil::apps {

namespace fs = std::filesystem;

void add_listen_options(CLI::App& cmd, ListenOptions& o) {
  cmd.add_option("--listen", o.listen, "host:port to listen on (port 0: any free port)")
      ->capture_default_str();
  cmd.add_option("--port-file", o.port_file, "write the bound port here once listening");
  cmd.add_option("--tls-cert", o.tls_cert, "PEM certificate (scripts/make-certs.sh)");
  cmd.add_option("--tls-key", o.tls_key, "PEM private key (mode 0600)");
  cmd.add_option("--tls-client-ca", o.tls_client_ca,
                 "require client certificates signed by this CA (mutual TLS)");
  cmd.add_flag("--insecure", o.insecure, "no TLS (loopback only)");
  cmd.add_option("--tokens", o.tokens, "token file (veil token create/add)");
  cmd.add_option("--audit", o.audit, "append-only audit log (one JSON line per call)");
  cmd.add_flag("--insecure-no-auth", o.no_auth, "accept every call without a token (tests only)");
  cmd.add_option("--drain-seconds", o.drain_seconds, "on SIGTERM, time given to running calls")
      ->check(CLI::Range(0, 600))
      ->capture_default_str();
}

namespace {
bool loopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address.rfind("localhost:", 0) == 0 ||
         address.rfind("[::1]:", 0) == 0;
}
}  // namespace

std::optional<service::ServerTls> server_tls(const ListenOptions& o) {
  if (o.insecure) {
    if (o.tls_cert || o.tls_key) throw std::runtime_error("--insecure and --tls-cert/--tls-key");
    if (!loopback(o.listen)) {
      throw std::runtime_error(
          "--insecure listens on loopback only (127.0.0.1:PORT); give "
          "--tls-cert and --tls-key to listen on " +
          o.listen);
    }
    return std::nullopt;
  }
  if (!o.tls_cert || !o.tls_key) {
    throw std::runtime_error(
        "give --tls-cert and --tls-key (scripts/make-certs.sh makes a test set), or --insecure "
        "on loopback");
  }
  service::TlsPem pem = service::load_tls_files({*o.tls_cert, *o.tls_key, o.tls_client_ca});
  return service::ServerTls{pem.cert, pem.key, pem.ca.value_or("")};
}

service::Security server_security(const ListenOptions& o, const char* who) {
  std::shared_ptr<service::TokenStore> tokens;
  if (o.tokens) {
    if (o.no_auth) throw std::runtime_error("--tokens and --insecure-no-auth");
    tokens = std::make_shared<service::TokenStore>(service::TokenStore::load(*o.tokens));
  } else if (!o.no_auth) {
    throw std::runtime_error(std::string(who) +
                             " needs --tokens FILE (veil token create FILE), or "
                             "--insecure-no-auth for a test");
  }
  std::shared_ptr<service::AuditLog> log;
  if (o.audit) log = std::make_shared<service::AuditLog>(*o.audit);
  return {service::token_authorizer(tokens), service::audit_sink(log)};
}

void run_until_signalled(grpc::Service& service, const ListenOptions& o, const char* who) {
  // Signals are taken by a waiting thread, not a handler.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  grpc::ServerBuilder b;
  int port = 0;
  b.AddListeningPort(o.listen, service::server_credentials(server_tls(o)), &port);
  b.SetMaxReceiveMessageSize(service::kMaxMessageBytes);
  b.SetMaxSendMessageSize(service::kMaxMessageBytes);
  b.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = b.BuildAndStart();
  if (!server || port == 0)
    throw std::runtime_error(std::string(who) + ": cannot listen on " + o.listen);
  if (o.port_file) {
    const std::string text = std::to_string(port) + "\n";
    io::write_file_atomic(*o.port_file,
                          {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, 0644);
  }
  std::cerr << who << ": listening on port " << port << (o.insecure ? " (no TLS)" : " (TLS)")
            << "\n";
  int sig = 0;
  sigwait(&set, &sig);
  std::cerr << who << ": " << (sig == SIGTERM ? "SIGTERM" : "SIGINT")
            << ": draining running calls\n";
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(o.drain_seconds));
  server->Wait();
  std::cerr << who << ": stopped\n";
}

std::string read_secret_file(const fs::path& p) {
  std::ifstream in(p);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  struct stat st {};
  if (::stat(p.c_str(), &st) == 0 && (st.st_mode & 077)) {
    throw std::runtime_error(p.string() + " is readable by others: run chmod 600 " + p.string());
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

}  // namespace veil::apps
