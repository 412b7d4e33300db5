#include "veil/service/tokens.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <system_error>

#include "veil/io/file_io.h"
#include "veil/io/text_check.h"
#include "veil/io/unique_fd.h"
#include "veil/service/token_file.h"
#include "veil/service/utc_time.h"

namespace veil::service {
namespace fs = std::filesystem;

std::string_view role_name(Role role) {
  switch (role) {
    case Role::kEnroll:
      return "enroll";
    case Role::kSearch:
      return "search";
    case Role::kAdmin:
      return "admin";
    case Role::kServer:
      return "server";
  }
  return "unknown";
}

std::optional<Role> parse_role(std::string_view name) {
  for (Role r : {Role::kEnroll, Role::kSearch, Role::kAdmin, Role::kServer}) {
    if (name == role_name(r)) return r;
  }
  return std::nullopt;
}

bool role_grants(Role held, Role required) {
  if (held == required) return true;
  return held == Role::kAdmin && (required == Role::kEnroll || required == Role::kSearch);
}

std::string_view auth_status_name(AuthStatus status) {
  switch (status) {
    case AuthStatus::kOk:
      return "OK";
    case AuthStatus::kUnauthenticated:
      return "UNAUTHENTICATED";
    case AuthStatus::kPermissionDenied:
      return "PERMISSION_DENIED";
  }
  return "UNKNOWN";
}

std::optional<std::string> caller_name_problem(std::string_view name) {
  if (name.empty()) return "empty name";
  if (name.size() > kMaxCallerNameBytes) {
    return std::to_string(name.size()) + " bytes, expected at most " +
           std::to_string(kMaxCallerNameBytes);
  }
  return io::text_problem(name);
}

std::optional<std::string> collection_problem(std::string_view collection) {
  if (collection == kAllCollections) return std::nullopt;
  if (collection.empty()) return "empty collection name (\"*\" is every collection)";
  if (collection.size() > kMaxCollectionBytes) {
    return std::to_string(collection.size()) + " bytes, expected at most " +
           std::to_string(kMaxCollectionBytes);
  }
  return io::text_problem(collection);
}

namespace {

void ensure_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("tokens: libsodium failed to initialise");
}

// Built by appending: GCC 12 warns falsely (-Wrestrict) on "literal" + string&&.
std::string quoted(const fs::path& p) {
  std::string s = "'";
  s += p.string();
  s += '\'';
  return s;
}

// A name from a request, short enough for a message (it may be hostile:
// the audit log and the status message escape it).
std::string shown(std::string_view s) {
  std::string out = "'";
  out += s.substr(0, 64);
  if (s.size() > 64) out += "...";
  out += "'";
  return out;
}

// The file, checked: a token file that others may write lets them add a
// token, so it is refused.
TokenFile read_token_file(const fs::path& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    throw std::system_error(errno, std::generic_category(), "tokens: cannot open " + quoted(path));
  }
  if ((st.st_mode & 022) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw std::runtime_error("tokens: " + quoted(path) + " is writable by group or others (mode " +
                             mode + "): anyone could add a token; run chmod 600 " + quoted(path));
  }
  const std::vector<std::uint8_t> bytes = io::read_file(path, kMaxTokenFileBytes);
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return parse_token_file(text, "tokens: " + quoted(path));
}

void write_token_file(const fs::path& path, const TokenFile& file) {
  const std::string text = serialize_token_file(file);
  io::write_file_atomic(path, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()},
                        mode_t{0600});
}

// An exclusive lock on "<path>.lock" for a read-change-write of the file,
// across threads and processes (flock locks per open file description).
class FileLock {
 public:
  explicit FileLock(const fs::path& path) {
    const fs::path lock_path = path.string() + ".lock";
    fd_ = io::UniqueFd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (fd_.get() < 0) {
      throw std::system_error(errno, std::generic_category(),
                              "tokens: cannot open the lock file " + quoted(lock_path));
    }
    int rc;
    do {
      rc = ::flock(fd_.get(), LOCK_EX);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      throw std::system_error(errno, std::generic_category(),
                              "tokens: cannot lock " + quoted(lock_path));
    }
  }

 private:
  io::UniqueFd fd_;
};

// The hash the file keeps for a token's bytes.
TokenHash hash_token(const std::uint8_t* token, const TokenKey& key) {
  TokenHash h;
  crypto_generichash(h.data(), h.size(), token, kTokenBytes, key.data(), key.size());
  return h;
}

// Wipes a TokenFile's key when it goes (it is not a secret from whoever can
// read the file, but nothing needs it afterwards).
void wipe(TokenFile& f) { sodium_memzero(f.key.data(), f.key.size()); }

}  // namespace

struct TokenStore::Impl {
  fs::path path;
  mutable std::shared_mutex mu;
  TokenFile file;  // guarded by mu

  Impl(fs::path p, TokenFile f) : path(std::move(p)), file(std::move(f)) {}
  ~Impl() { wipe(file); }

  // Read the file again under the lock, change it, write it, adopt it.
  template <class Change>
  void mutate(Change&& change) {
    FileLock lock(path);
    TokenFile disk = read_token_file(path);
    try {
      change(disk);
      write_token_file(path, disk);
    } catch (...) {
      wipe(disk);
      throw;
    }
    std::unique_lock guard(mu);
    wipe(file);
    file = std::move(disk);
  }
};

TokenStore::TokenStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TokenStore::TokenStore(TokenStore&&) noexcept = default;
TokenStore& TokenStore::operator=(TokenStore&&) noexcept = default;
TokenStore::~TokenStore() = default;

TokenStore TokenStore::create(const fs::path& path) {
  ensure_sodium();
  FileLock lock(path);
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    throw std::system_error(std::make_error_code(std::errc::file_exists),
                            "tokens: " + quoted(path) + " exists; load it, or remove it first");
  }
  if (errno != ENOENT) {
    throw std::system_error(errno, std::generic_category(), "tokens: cannot check " + quoted(path));
  }
  TokenFile file;
  randombytes_buf(file.key.data(), file.key.size());
  write_token_file(path, file);
  return TokenStore(std::make_unique<Impl>(path, std::move(file)));
}

TokenStore TokenStore::load(const fs::path& path) {
  ensure_sodium();
  return TokenStore(std::make_unique<Impl>(path, read_token_file(path)));
}

std::string TokenStore::add(std::string_view name, Role role, std::string_view collection) {
  if (auto p = caller_name_problem(name)) {
    throw std::invalid_argument("tokens: refused name " + shown(name) + ": " + *p);
  }
  if (auto p = collection_problem(collection)) {
    throw std::invalid_argument("tokens: refused collection " + shown(collection) + ": " + *p);
  }
  std::string token;
  impl_->mutate([&](TokenFile& file) {
    for (const TokenEntry& e : file.entries) {
      if (e.name == name) {
        throw std::invalid_argument("tokens: " + shown(name) +
                                    " already has a token; revoke it first");
      }
    }
    if (file.entries.size() >= kMaxTokens) {
      throw std::invalid_argument("tokens: the file holds " + std::to_string(kMaxTokens) +
                                  " tokens, the most it may");
    }
    std::uint8_t raw[kTokenBytes];
    randombytes_buf(raw, sizeof raw);
    TokenEntry entry{std::string(name), role, std::string(collection), hash_token(raw, file.key),
                     format_utc(Clock::now())};
    char b64[sodium_base64_ENCODED_LEN(kTokenBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    token.reserve(kTokenChars);
    token = kTokenPrefix;
    token += b64;
    sodium_memzero(b64, sizeof b64);
    file.entries.push_back(std::move(entry));
  });
  return token;
}

void TokenStore::revoke(std::string_view name) {
  impl_->mutate([&](TokenFile& file) {
    for (auto it = file.entries.begin(); it != file.entries.end(); ++it) {
      if (it->name == name) {
        file.entries.erase(it);
        return;
      }
    }
    throw std::invalid_argument("tokens: no token named " + shown(name));
  });
}

void TokenStore::reload() {
  TokenFile fresh = read_token_file(impl_->path);
  std::unique_lock guard(impl_->mu);
  wipe(impl_->file);
  impl_->file = std::move(fresh);
}

std::vector<TokenInfo> TokenStore::list() const {
  std::shared_lock guard(impl_->mu);
  std::vector<TokenInfo> out;
  out.reserve(impl_->file.entries.size());
  for (const TokenEntry& e : impl_->file.entries) {
    out.push_back({e.name, e.role, e.collection, e.created});
  }
  return out;
}

AuthResult TokenStore::authorize(std::string_view token, Role required,
                                 std::string_view collection) const {
  AuthResult result;
  result.status = AuthStatus::kUnauthenticated;
  if (token.empty()) {
    result.reason = "no token";
    return result;
  }
  if (token.size() != kTokenChars || token.substr(0, kTokenPrefix.size()) != kTokenPrefix) {
    result.reason = "malformed token";
    return result;
  }
  std::uint8_t raw[kTokenBytes];
  std::size_t len = 0;
  const char* end = nullptr;
  const std::string_view b64 = token.substr(kTokenPrefix.size());
  if (sodium_base642bin(raw, sizeof raw, b64.data(), b64.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      len != kTokenBytes || end != b64.data() + b64.size()) {
    sodium_memzero(raw, sizeof raw);
    result.reason = "malformed token";
    return result;
  }

  std::shared_lock guard(impl_->mu);
  const TokenFile& file = impl_->file;
  TokenHash h = hash_token(raw, file.key);
  sodium_memzero(raw, sizeof raw);
  // Every entry is compared, in constant time, whatever matched before.
  const TokenEntry* found = nullptr;
  for (const TokenEntry& e : file.entries) {
    const bool same = sodium_memcmp(h.data(), e.hash.data(), h.size()) == 0;
    if (same) found = &e;
  }
  sodium_memzero(h.data(), h.size());
  if (found == nullptr) {
    result.reason = "unknown token";
    return result;
  }
  result.caller = {found->name, found->role, found->collection};
  if (!role_grants(found->role, required)) {
    result.status = AuthStatus::kPermissionDenied;
    result.reason = "token " + shown(found->name) + " has role " +
                    std::string(role_name(found->role)) + ", the call needs " +
                    std::string(role_name(required));
    return result;
  }
  if (found->collection != kAllCollections && found->collection != collection) {
    result.status = AuthStatus::kPermissionDenied;
    result.reason =
        "token " + shown(found->name) + " is scoped to collection " + shown(found->collection) +
        ", not " +
        (collection == kAllCollections ? std::string("every collection") : shown(collection));
    return result;
  }
  result.status = AuthStatus::kOk;
  return result;
}

const fs::path& TokenStore::path() const { return impl_->path; }

}  // namespace veil::service
