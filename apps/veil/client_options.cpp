#include "client_options.h"

#include <cctype>
#include <filesystem>
#include <stdexcept>

#include "veil/io/file_io.h"
#include "veil/service/tls_files.h"

namespace veil::apps {

namespace {

std::string io_text(const std::string& path) {
  const std::vector<std::uint8_t> b = io::read_file(path, 1 << 20);
  return std::string(b.begin(), b.end());
}

}  // namespace

void add_client_options(CLI::App* cmd, ClientOptions& c, bool needs_keys) {
  cmd->add_option("--server", c.server, "host:port of veil serve")->capture_default_str();
  cmd->add_option("--token-file", c.token_file, "file holding your token (mode 0600)");
  cmd->add_option("--ca", c.ca, "CA certificate of the server (TLS)");
  cmd->add_flag("--insecure", c.insecure, "no TLS (a server on loopback started with --insecure)");
  cmd->add_option("--deadline", c.deadline_s, "seconds per call")->check(CLI::Range(1, 86400));
  if (needs_keys) cmd->add_option("--keys", c.keys, "your key directory")->required();
}

namespace {

std::string read_token(const std::string& path) {
  if (path.empty()) return "";
  std::string s = io_text(path);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

}  // namespace

service::RemoteGallery connect(const ClientOptions& c) {
  service::Connection conn;
  conn.address = c.server;
  conn.token = read_token(c.token_file);
  conn.deadline = std::chrono::seconds(c.deadline_s);
  if (!c.insecure) {
    if (c.ca.empty())
      throw std::runtime_error("give --ca (the server's CA certificate) or --insecure");
    conn.tls = service::ClientTls{service::load_ca_file(c.ca), "", ""};
  }
  return service::RemoteGallery(conn);
}

collection::KeyDir client_keys(const std::string& dir) {
  using collection::Need;
  const bool has_secret = std::filesystem::exists(std::filesystem::path(dir) / "secret.key");
  const bool has_gallery_pub = std::filesystem::exists(std::filesystem::path(dir) / "gallery.pub");
  unsigned need = static_cast<unsigned>(has_secret ? Need::kSecret : Need::kPublic);
  if (has_gallery_pub) need = need | Need::kGalleryPublic;
  return collection::load_keys(dir, need);
}

}  // namespace veil::apps
