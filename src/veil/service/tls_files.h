// The TLS files of a service (certificate chain, private key, CA bundle),
// read and checked before they reach the TLS library: a missing file, one
// that is no PEM, a private key others may read, or an encrypted key is
// refused here with a message saying what to do. The contents are handed
// on as PEM text (the gRPC server feeds them to
// grpc::SslServerCredentialsOptions); this layer links no TLS library, so
// the certificates are checked for form, not parsed or verified.
// scripts/make-certs.sh makes a throwaway set for testing.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

namespace veil::service {

struct TlsFiles {
  std::filesystem::path cert;  // PEM certificate chain, the service's own first
  std::filesystem::path key;   // PEM private key, unencrypted, mode 0600 or 0400
  // PEM CA bundle to verify peers with (mutual TLS); none when peers are
  // not asked for certificates.
  std::optional<std::filesystem::path> ca;
};

// The files' PEM text. The destructor wipes the key (sodium_memzero).
struct TlsPem {
  std::string cert;
  std::string key;
  std::optional<std::string> ca;

  TlsPem() = default;
  TlsPem(const TlsPem&) = default;
  TlsPem(TlsPem&&) noexcept = default;
  TlsPem& operator=(const TlsPem&) = default;
  TlsPem& operator=(TlsPem&&) noexcept = default;
  ~TlsPem();
};

// Every refusal of load_tls_files; the message names the file and the fix.
class TlsFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The largest TLS file read (a long chain fits in a few KB).
inline constexpr std::size_t kMaxTlsFileBytes = 1u << 20;

// Reads and checks the files:
// - each exists, is a regular file (symbolic links followed) no larger than
//   kMaxTlsFileBytes, and this user can read it;
// - cert and ca hold at least one CERTIFICATE block and no private key;
// - key holds exactly one unencrypted PRIVATE KEY (PKCS#8), EC PRIVATE KEY or
//   RSA PRIVATE KEY block, and neither group nor others have any access to
//   it (refused with "run chmod 600 <file>");
// - every PEM block has matching BEGIN/END lines and a base64 body.
TlsPem load_tls_files(const TlsFiles& files);

// A CA bundle alone (a client verifying its server): the checks above for
// a certificate file.
std::string load_ca_file(const std::filesystem::path& ca);

}  // namespace veil::service
