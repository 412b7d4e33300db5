// API tokens: who may call the Veil services, in which role, on which
// collection. A token is 32 random bytes (libsodium's CSPRNG) shown once as
// "veil_" + base64url; the token file keeps only a keyed BLAKE2b hash of it,
// so the file reveals no token. Not crypto_pwhash: a slow hash protects
// guessable secrets, and a token is 256 random bits, so it would add only
// latency (and a denial-of-service lever) to every call (docs/service.md).
//
// Errors: a malformed token file is io::FormatError (naming the file and the
// field), a refused argument (bad name, duplicate name, unknown name) is
// std::invalid_argument, an OS failure is std::system_error. authorize()
// never throws for a bad token: it answers with an AuthStatus.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace veil::service {

// enroll: add templates to a collection. search: search one. admin: create,
// delete, compact, manage; implies enroll and search. server: the search
// server calling the key service (granted by nothing else: an admin token
// is not a key-service caller).
enum class Role : std::uint8_t { kEnroll, kSearch, kAdmin, kServer };

// "enroll", "search", "admin", "server".
std::string_view role_name(Role role);
// The role named exactly so (lower case); nullopt otherwise.
std::optional<Role> parse_role(std::string_view name);
// Whether a token of role `held` may act in role `required`.
bool role_grants(Role held, Role required);

// The scope of a token that may act on every collection; as the collection
// asked for in authorize(), an operation over all collections (only a token
// scoped to "*" may do it).
inline constexpr std::string_view kAllCollections = "*";
// Bounds of the names a token file holds.
inline constexpr std::size_t kMaxCallerNameBytes = 128;
inline constexpr std::size_t kMaxCollectionBytes = 255;

// nullopt when `name` may name a token's holder: 1..kMaxCallerNameBytes
// bytes of clean text (valid UTF-8, no control character: io::text_problem);
// otherwise what is wrong.
std::optional<std::string> caller_name_problem(std::string_view name);
// nullopt when `collection` may scope a token: "*" or
// 1..kMaxCollectionBytes bytes of clean text; otherwise what is wrong.
std::optional<std::string> collection_problem(std::string_view collection);

// A token as the file lists it (the hash stays inside the store).
struct TokenInfo {
  std::string name{};
  Role role{};
  std::string collection{};  // a collection name, or "*"
  std::string created{};     // UTC, ISO-8601 (utc_time.h)
};

// Who called: the holder of a known token.
struct Caller {
  std::string name{};
  Role role{};
  std::string collection{};  // the token's scope
};

// kUnauthenticated: no token, a malformed one or one the store does not know
// (revoked included). kPermissionDenied: a known token whose role or
// collection does not cover the call.
enum class AuthStatus : std::uint8_t { kOk, kUnauthenticated, kPermissionDenied };
// "OK", "UNAUTHENTICATED", "PERMISSION_DENIED" (the gRPC status names).
std::string_view auth_status_name(AuthStatus status);

struct AuthResult {
  AuthStatus status = AuthStatus::kUnauthenticated;
  // kOk: the caller. kPermissionDenied: the token's holder, for the audit
  // log. kUnauthenticated: empty.
  Caller caller{};
  // Why, for the audit log or the status message; never holds the token.
  std::string reason{};
  bool ok() const { return status == AuthStatus::kOk; }
};

// "veil_" followed by base64url (no padding) of kTokenBytes random bytes.
inline constexpr std::string_view kTokenPrefix = "veil_";
inline constexpr std::size_t kTokenBytes = 32;
inline constexpr std::size_t kTokenChars = 5 + 43;

// The token file, kept in memory and on disk. Every change is written
// through at once (atomically, mode 0600) under an exclusive lock on
// "<path>.lock", after re-reading the file: changes made by another process
// are kept, never overwritten with a stale copy. Thread-safe: authorize(),
// list() and the changes may run from any threads.
class TokenStore {
 public:
  // A new, empty token file at `path` (mode 0600, with a fresh random hash
  // key). Refuses an existing file (std::system_error, file_exists).
  static TokenStore create(const std::filesystem::path& path);
  // The token file at `path`. Refuses a malformed file (io::FormatError
  // naming what is wrong) and one that group or others may write
  // (std::runtime_error saying to chmod 600: they could add a token).
  static TokenStore load(const std::filesystem::path& path);

  TokenStore(TokenStore&&) noexcept;
  TokenStore& operator=(TokenStore&&) noexcept;
  ~TokenStore();

  // A new token for `name` (unique in the file) in `role` on `collection`
  // (a collection name or "*"). Returns the token: the only time it exists
  // outside its holder; the file keeps its hash. The caller shows it once
  // and should wipe the string (sodium_memzero) afterwards.
  std::string add(std::string_view name, Role role, std::string_view collection);
  // Removes the token of `name`; std::invalid_argument when there is none.
  void revoke(std::string_view name);
  // Re-reads the file (e.g. after another process changed it); on failure
  // the store keeps what it had and the error is thrown.
  void reload();

  // The tokens, in the order they were added.
  std::vector<TokenInfo> list() const;

  // Checks `token` (as presented, e.g. from the authorization header, with
  // its "veil_" prefix) for a call that needs `required` on `collection`.
  // The token's hash is compared with every entry in constant time.
  AuthResult authorize(std::string_view token, Role required, std::string_view collection) const;

  const std::filesystem::path& path() const;

 private:
  struct Impl;
  explicit TokenStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace veil::service
