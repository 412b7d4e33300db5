#include "veil/service/tls_files.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

#include "veil/io/unique_fd.h"

namespace veil::service {
namespace fs = std::filesystem;

TlsPem::~TlsPem() {
  if (!key.empty()) sodium_memzero(key.data(), key.size());
}

namespace {

// Built by appending: GCC 12 warns falsely (-Wrestrict) on "literal" + string&&.
std::string quoted(const fs::path& p) {
  std::string s = "'";
  s += p.string();
  s += '\'';
  return s;
}

[[noreturn]] void refuse(std::string_view what, const fs::path& p, const std::string& why) {
  throw TlsFileError("tls: " + std::string(what) + " " + quoted(p) + " " + why);
}

// The whole file, refused with a message a person can act on.
std::string read_pem_file(std::string_view what, const fs::path& path, bool is_key) {
  if (path.empty()) throw TlsFileError("tls: no " + std::string(what) + " given");
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) refuse(what, path, "does not exist");
    if (err == EACCES) {
      refuse(what, path,
             "cannot be read by this user (permission denied): run the service as its owner");
    }
    refuse(what, path, std::string("cannot be opened: ") + std::strerror(err));
  }
  io::UniqueFd file(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0)
    refuse(what, path, std::string("cannot be read: ") + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) refuse(what, path, "is a directory, expected a PEM file");
  if (!S_ISREG(st.st_mode)) refuse(what, path, "is not a regular file, expected a PEM file");
  if (is_key && (st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    refuse(what, path,
           std::string("is readable or writable by group or others (mode ") + mode +
               "): anyone on this machine could take the service's identity; run chmod 600 " +
               quoted(path));
  }
  if (static_cast<std::uint64_t>(st.st_size) > kMaxTlsFileBytes) {
    refuse(what, path,
           "is " + std::to_string(st.st_size) + " bytes, expected a PEM file of at most " +
               std::to_string(kMaxTlsFileBytes));
  }
  if (::fcntl(fd, F_SETFL, 0) != 0) {
    refuse(what, path, std::string("cannot be read: ") + std::strerror(errno));
  }
  std::string text;
  char chunk[1 << 14];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      sodium_memzero(chunk, sizeof chunk);
      if (is_key) sodium_memzero(text.data(), text.size());
      refuse(what, path, std::string("cannot be read: ") + std::strerror(err));
    }
    if (n == 0) break;
    if (text.size() + static_cast<std::size_t>(n) > kMaxTlsFileBytes) {
      sodium_memzero(chunk, sizeof chunk);
      if (is_key) sodium_memzero(text.data(), text.size());
      refuse(what, path, "grew past " + std::to_string(kMaxTlsFileBytes) + " bytes while read");
    }
    text.append(chunk, static_cast<std::size_t>(n));
  }
  sodium_memzero(chunk, sizeof chunk);
  if (text.empty()) refuse(what, path, "is empty, expected PEM text");
  return text;
}

struct PemBlock {
  std::string label;
  bool encrypted = false;  // a legacy "Proc-Type: 4,ENCRYPTED" header
};

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// The PEM blocks of `text`; "" in `problem` when they are well formed.
// Text outside the blocks (e.g. "Bag Attributes" lines) is allowed.
std::vector<PemBlock> pem_blocks(std::string_view text, std::string& problem) {
  std::vector<PemBlock> blocks;
  bool inside = false;
  PemBlock block;
  std::string body;
  std::size_t line_no = 0;
  std::size_t begin_line = 0;
  std::size_t pos = 0;
  while (pos < text.size() && problem.empty()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (!inside) {
      if (starts_with(line, "-----BEGIN ") && ends_with(line, "-----") && line.size() > 16) {
        inside = true;
        block = PemBlock{std::string(line.substr(11, line.size() - 16)), false};
        body.clear();
        begin_line = line_no;
      } else if (starts_with(line, "-----END ")) {
        problem = "has an END line without a BEGIN line (line " + std::to_string(line_no) + ")";
      }
      continue;
    }
    if (starts_with(line, "-----END ")) {
      if (line != "-----END " + block.label + "-----") {
        problem = "has BEGIN " + block.label + " (line " + std::to_string(begin_line) +
                  ") closed by another END line (line " + std::to_string(line_no) + ")";
        break;
      }
      std::vector<unsigned char> bin(body.size());
      std::size_t len = 0;
      if (body.empty() ||
          sodium_base642bin(bin.data(), bin.size(), body.data(), body.size(), nullptr, &len,
                            nullptr, sodium_base64_VARIANT_ORIGINAL) != 0 ||
          len == 0) {
        problem = "has a " + block.label + " block (line " + std::to_string(begin_line) +
                  ") whose body is not base64";
      }
      sodium_memzero(bin.data(), bin.size());
      sodium_memzero(body.data(), body.size());
      blocks.push_back(block);
      inside = false;
      continue;
    }
    if (starts_with(line, "-----")) {
      problem = "has a " + block.label + " block (line " + std::to_string(begin_line) +
                ") without its END line";
      break;
    }
    if (line.find(':') != std::string_view::npos) {
      // RFC 1421 headers: only the legacy encryption headers are expected.
      if (starts_with(line, "Proc-Type:") && line.find("ENCRYPTED") != std::string_view::npos) {
        block.encrypted = true;
      }
      continue;
    }
    body.append(line);
  }
  if (problem.empty() && inside) {
    problem = "has a " + block.label + " block (line " + std::to_string(begin_line) +
              ") without its END line (truncated?)";
  }
  sodium_memzero(body.data(), body.size());
  return blocks;
}

bool is_private_key_label(std::string_view label) { return ends_with(label, "PRIVATE KEY"); }

void check_certificates(std::string_view what, const fs::path& path, std::string& text) {
  std::string problem;
  const std::vector<PemBlock> blocks = pem_blocks(text, problem);
  if (!problem.empty()) refuse(what, path, problem);
  std::size_t certs = 0;
  for (const PemBlock& b : blocks) {
    if (is_private_key_label(b.label)) {
      sodium_memzero(text.data(), text.size());
      refuse(what, path,
             "holds a private key (" + b.label +
                 "): keep the key in its own file, mode 0600, and give it as the key");
    }
    if (b.label == "CERTIFICATE") ++certs;
  }
  if (certs == 0) {
    refuse(what, path,
           blocks.empty() ? "is not PEM: no -----BEGIN CERTIFICATE----- block"
                          : "holds no CERTIFICATE block (found " + blocks.front().label + ")");
  }
}

void check_key(const fs::path& path, std::string& text) {
  static constexpr std::string_view kWhat = "private key file";
  std::string problem;
  const std::vector<PemBlock> blocks = pem_blocks(text, problem);
  auto fail = [&](const std::string& why) {
    sodium_memzero(text.data(), text.size());
    refuse(kWhat, path, why);
  };
  if (!problem.empty()) fail(problem);
  std::size_t keys = 0;
  for (const PemBlock& b : blocks) {
    if (!is_private_key_label(b.label)) continue;
    ++keys;
    if (b.label == "ENCRYPTED PRIVATE KEY" || b.encrypted) {
      fail(
          "is encrypted with a passphrase, which the service cannot ask for: decrypt it with "
          "`openssl pkey -in KEY -out KEY.plain` and keep the result mode 0600");
    }
    if (b.label != "PRIVATE KEY" && b.label != "EC PRIVATE KEY" && b.label != "RSA PRIVATE KEY") {
      fail("holds a " + b.label +
           " block, expected PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY");
    }
  }
  if (keys == 0) {
    fail(blocks.empty() ? "is not PEM: no -----BEGIN PRIVATE KEY----- block"
                        : "holds no private key (found " + blocks.front().label + ")");
  }
  if (keys > 1) fail("holds " + std::to_string(keys) + " private keys, expected one");
}

}  // namespace

TlsPem load_tls_files(const TlsFiles& files) {
  if (sodium_init() < 0) throw TlsFileError("tls: libsodium failed to initialise");
  TlsPem pem;
  pem.cert = read_pem_file("certificate file", files.cert, false);
  check_certificates("certificate file", files.cert, pem.cert);
  pem.key = read_pem_file("private key file", files.key, true);
  check_key(files.key, pem.key);
  if (files.ca) {
    pem.ca = read_pem_file("CA file", *files.ca, false);
    check_certificates("CA file", *files.ca, *pem.ca);
  }
  return pem;
}

std::string load_ca_file(const fs::path& ca) {
  std::string text = read_pem_file("CA file", ca, false);
  check_certificates("CA file", ca, text);
  return text;
}

}  // namespace veil::service
