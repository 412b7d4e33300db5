// load_tls_files (tls_files.h): what it accepts, and a clear TlsFileError
// naming the file and the fix for everything it refuses; plus the set that
// scripts/make-certs.sh makes.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "expect_error.h"
#include "temp_dir.h"
#include "veil/service/tls_files.h"

namespace veil::service {
namespace {

namespace fs = std::filesystem;
using veil::test::expect_error;
using veil::test::read_text;
using veil::test::TempDir;

// base64 of the bytes 0..47: a body the checks accept (they do not parse DER).
const std::string kBody =
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v\n"
    "MDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5f\n";

std::string block(const std::string& label, const std::string& body = kBody) {
  return "-----BEGIN " + label + "-----\n" + body + "-----END " + label + "-----\n";
}

class TlsFilesTest : public ::testing::Test {
 protected:
  TempDir dir;
  fs::path cert = dir / "cert.pem";
  fs::path key = dir / "key.pem";
  fs::path ca = dir / "ca.pem";

  void SetUp() override {
    write(cert, block("CERTIFICATE"));
    write(key, block("PRIVATE KEY"), 0600);
    write(ca, block("CERTIFICATE"));
  }

  static void write(const fs::path& p, const std::string& text, mode_t mode = 0644) {
    {
      std::ofstream out(p, std::ios::binary | std::ios::trunc);
      out << text;
    }
    ASSERT_EQ(::chmod(p.c_str(), mode), 0);
  }

  TlsFiles files(bool with_ca = true) const {
    TlsFiles f{cert, key, std::nullopt};
    if (with_ca) f.ca = ca;
    return f;
  }

  // load_tls_files refuses with a TlsFileError holding every fragment.
  void expect_refused(const TlsFiles& f, std::initializer_list<const char*> fragments) {
    expect_error<TlsFileError>([&] { load_tls_files(f); }, fragments);
  }
};

TEST_F(TlsFilesTest, LoadsAWellFormedSet) {
  const TlsPem pem = load_tls_files(files());
  EXPECT_EQ(pem.cert, read_text(cert));
  EXPECT_EQ(pem.key, read_text(key));
  ASSERT_TRUE(pem.ca.has_value());
  EXPECT_EQ(*pem.ca, read_text(ca));

  const TlsPem no_ca = load_tls_files(files(false));
  EXPECT_FALSE(no_ca.ca.has_value());
  EXPECT_EQ(no_ca.cert, pem.cert);

  TlsPem copy = pem;
  TlsPem moved = std::move(copy);
  EXPECT_EQ(moved.key, pem.key);
}

TEST_F(TlsFilesTest, AcceptsTheUsualVariants) {
  // A chain with text around the blocks (as openssl pkcs12 writes it).
  write(cert, "Bag Attributes\n    friendlyName: veil\nsubject=/CN=veil\n" + block("CERTIFICATE") +
                  "\n" + block("CERTIFICATE"));
  // CRLF line ends and trailing blanks.
  std::string crlf;
  for (char c : block("CERTIFICATE")) {
    if (c == '\n') crlf += "  \r";
    crlf += c;
  }
  write(ca, crlf);
  EXPECT_NO_THROW(load_tls_files(files()));
  for (const char* label : {"PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"}) {
    write(key, block(label), 0600);
    EXPECT_NO_THROW(load_tls_files(files())) << label;
  }
  // An EC key with its parameters block beside it.
  write(key, block("EC PARAMETERS", "BggqhkjOPQMBBw==\n") + block("EC PRIVATE KEY"), 0600);
  EXPECT_NO_THROW(load_tls_files(files()));
  // Read-only for the owner is fine.
  write(key, block("PRIVATE KEY"), 0400);
  EXPECT_NO_THROW(load_tls_files(files()));
  // A symbolic link to the key is followed.
  write(key, block("PRIVATE KEY"), 0600);
  fs::create_symlink(key, dir / "key-link.pem");
  TlsFiles f = files();
  f.key = dir / "key-link.pem";
  EXPECT_NO_THROW(load_tls_files(f));
}

TEST_F(TlsFilesTest, MissingFilesNameTheFile) {
  TlsFiles f = files();
  f.cert = dir / "nope.pem";
  expect_refused(f, {"certificate file", "nope.pem", "does not exist"});
  f = files();
  f.key = dir / "nokey.pem";
  expect_refused(f, {"private key file", "nokey.pem", "does not exist"});
  f = files();
  f.ca = dir / "noca.pem";
  expect_refused(f, {"CA file", "noca.pem", "does not exist"});
  f = files();
  f.cert.clear();
  expect_refused(f, {"no certificate file given"});
  f = files();
  f.key.clear();
  expect_refused(f, {"no private key file given"});
  f = files();
  f.ca = fs::path();
  expect_refused(f, {"no CA file given"});
}

TEST_F(TlsFilesTest, RefusesWhatIsNoFile) {
  TlsFiles f = files();
  f.cert = dir.path();
  expect_refused(f, {"certificate file", "is a directory"});
  const fs::path fifo = dir / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  f = files();
  f.key = fifo;
  expect_refused(f, {"private key file", "not a regular file"});
  f = files();
  f.ca = fifo;
  expect_refused(f, {"CA file", "not a regular file"});
  if (::geteuid() != 0) {  // root reads anything
    ::chmod(cert.c_str(), 0);
    expect_refused(files(), {"certificate file", "permission denied"});
    ::chmod(cert.c_str(), 0644);
  }
}

TEST_F(TlsFilesTest, RefusesGarbledCertificates) {
  struct Case {
    std::string text;
    const char* fragment;
  };
  const std::vector<Case> cases = {
      {"", "is empty"},
      {"hello, world\n", "is not PEM"},
      {std::string("\x30\x82\x01\x0a\x02\x82\x01\x01\x00\xc3", 10), "is not PEM"},
      {block("CERTIFICATE").substr(0, 60), "without its END line"},
      {block("CERTIFICATE").substr(0, block("CERTIFICATE").size() - 30), "without its END line"},
      {"-----END CERTIFICATE-----\n", "END line without a BEGIN"},
      {"-----BEGIN CERTIFICATE-----\n" + kBody + "-----END X509 CRL-----\n",
       "closed by another END line"},
      {block("CERTIFICATE", "!!!! not base64 ????\n"), "not base64"},
      {block("CERTIFICATE", ""), "not base64"},
      {block("CERTIFICATE", "AAEC=AwQF\n"), "not base64"},
      {block("CERTIFICATE") + block("CERTIFICATE", "%%%\n"), "not base64"},
      {block("PUBLIC KEY"), "holds no CERTIFICATE block (found PUBLIC KEY)"},
      {block("PRIVATE KEY"), "holds a private key"},
      {block("CERTIFICATE") + block("EC PRIVATE KEY"), "holds a private key"},
  };
  for (const Case& c : cases) {
    write(cert, c.text);
    expect_refused(files(), {"certificate file", "cert.pem", c.fragment});
    // The same checks hold for the CA bundle.
    write(cert, block("CERTIFICATE"));
    write(ca, c.text);
    expect_refused(files(), {"CA file", "ca.pem", c.fragment});
    write(ca, block("CERTIFICATE"));
  }
}

TEST_F(TlsFilesTest, RefusesGarbledOrUnsafeKeys) {
  struct Case {
    std::string text;
    const char* fragment;
  };
  const std::vector<Case> cases = {
      {"", "is empty"},
      {"not a key\n", "is not PEM"},
      {block("PRIVATE KEY").substr(0, 50), "truncated"},
      {block("PRIVATE KEY", "****\n"), "not base64"},
      {block("CERTIFICATE"), "holds no private key (found CERTIFICATE)"},
      {block("ENCRYPTED PRIVATE KEY"), "encrypted with a passphrase"},
      {"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
       "DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n" +
           kBody + "-----END RSA PRIVATE KEY-----\n",
       "encrypted with a passphrase"},
      {block("DSA PRIVATE KEY"), "holds a DSA PRIVATE KEY block"},
      {block("PRIVATE KEY") + block("EC PRIVATE KEY"), "holds 2 private keys"},
  };
  for (const Case& c : cases) {
    write(key, c.text, 0600);
    expect_refused(files(), {"private key file", "key.pem", c.fragment});
  }
}

TEST_F(TlsFilesTest, KeyOthersMayReadIsRefusedWithTheFix) {
  for (mode_t mode : {0640, 0604, 0644, 0660, 0606, 0610, 0601, 0700 | 0040}) {
    write(key, block("PRIVATE KEY"), mode);
    char shown[32];
    std::snprintf(shown, sizeof shown, "(mode %04o)", static_cast<unsigned>(mode));
    expect_refused(files(), {"private key file", "key.pem", "run chmod 600", shown});
  }
  // The certificates may be world-readable.
  write(key, block("PRIVATE KEY"), 0600);
  write(cert, block("CERTIFICATE"), 0644);
  write(ca, block("CERTIFICATE"), 0666);
  EXPECT_NO_THROW(load_tls_files(files()));
}

TEST_F(TlsFilesTest, RefusesOversizedFiles) {
  std::string big = block("CERTIFICATE");
  while (big.size() <= kMaxTlsFileBytes) big += block("CERTIFICATE");
  write(cert, big);
  expect_refused(files(), {"certificate file", "expected a PEM file of at most"});
  // Exactly at the limit is read.
  std::string fits;
  while (fits.size() + block("CERTIFICATE").size() <= kMaxTlsFileBytes) {
    fits += block("CERTIFICATE");
  }
  fits.resize(kMaxTlsFileBytes, '\n');
  write(cert, fits);
  EXPECT_NO_THROW(load_tls_files(files()));
}

// ---- the set scripts/make-certs.sh makes --------------------------------------

#ifdef VEIL_MAKE_CERTS_SCRIPT
TEST(MakeCertsScript, ItsFilesLoad) {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "no openssl command line (apt-get install openssl)";
  }
  TempDir dir;
  const fs::path out = dir / "certs";
  const std::string cmd =
      std::string("'") + VEIL_MAKE_CERTS_SCRIPT + "' '" + out.string() + "' >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  for (const char* name : {"server", "keyservice", "client"}) {
    const TlsFiles f{out / (std::string(name) + ".pem"), out / (std::string(name) + ".key"),
                     out / "ca.pem"};
    TlsPem pem;
    ASSERT_NO_THROW(pem = load_tls_files(f)) << name;
    EXPECT_NE(pem.cert.find("-----BEGIN CERTIFICATE-----"), std::string::npos);
    EXPECT_NE(pem.key.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
    ASSERT_TRUE(pem.ca.has_value());
    EXPECT_EQ(*pem.ca, read_text(out / "ca.pem"));
  }
  // The CA's own pair loads too (a CA key is a key like any other).
  EXPECT_NO_THROW(load_tls_files({out / "ca.pem", out / "ca.key", std::nullopt}));

  // A chain: leaf then CA.
  const fs::path chain = dir / "chain.pem";
  {
    std::ofstream o(chain);
    o << read_text(out / "server.pem") << read_text(out / "ca.pem");
  }
  EXPECT_NO_THROW(load_tls_files({chain, out / "server.key", out / "ca.pem"}));

  // Swapped files and damaged copies are refused, each clearly.
  expect_error<TlsFileError>(
      [&] {
        load_tls_files({out / "server.key", out / "server.pem", std::nullopt});
      },
      {"certificate file", "server.key", "holds a private key"});
  const std::string key_text = read_text(out / "server.key");
  const fs::path cut_key = dir / "cut.key";
  {
    std::ofstream o(cut_key);
    o << key_text.substr(0, key_text.size() / 2);
  }
  ::chmod(cut_key.c_str(), 0600);
  expect_error<TlsFileError>(
      [&] {
        load_tls_files({out / "server.pem", cut_key, std::nullopt});
      },
      {"private key file", "cut.key", "truncated"});
  ::chmod((out / "client.key").c_str(), 0644);
  expect_error<TlsFileError>(
      [&] {
        load_tls_files({out / "client.pem", out / "client.key", out / "ca.pem"});
      },
      {"client.key", "chmod 600"});
}
#endif

}  // namespace
}  // namespace veil::service
