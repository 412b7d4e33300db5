// TokenStore (tokens.h): create, load, add, revoke, reload, list, authorize;
// roles and collection scopes; what the file on disk holds and who may write
// it; two stores on one file.
#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "expect_error.h"
#include "temp_dir.h"
#include "veil/io/errors.h"
#include "veil/service/token_file.h"
#include "veil/service/tokens.h"
#include "veil/service/utc_time.h"

namespace veil::service {
namespace {

namespace fs = std::filesystem;
using veil::test::expect_error;
using veil::test::read_text;
using veil::test::TempDir;

void write_text(const fs::path& p, const std::string& text, mode_t mode = 0600) {
  {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
  }
  fs::permissions(p, static_cast<fs::perms>(mode));
}

unsigned file_mode(const fs::path& p) {
  struct stat st;
  EXPECT_EQ(::stat(p.c_str(), &st), 0);
  return st.st_mode & 07777;
}

std::vector<std::string> names(const TokenStore& s) {
  std::vector<std::string> out;
  for (const TokenInfo& t : s.list()) out.push_back(t.name);
  return out;
}

class TokenStoreTest : public ::testing::Test {
 protected:
  TempDir dir;
  fs::path file = dir / "tokens";
};

// ---- roles and names --------------------------------------------------------

TEST(Roles, NamesRoundTrip) {
  for (Role r : {Role::kEnroll, Role::kSearch, Role::kAdmin, Role::kServer}) {
    ASSERT_TRUE(parse_role(role_name(r)).has_value());
    EXPECT_EQ(*parse_role(role_name(r)), r);
  }
  EXPECT_EQ(role_name(Role::kEnroll), "enroll");
  EXPECT_EQ(role_name(Role::kSearch), "search");
  EXPECT_EQ(role_name(Role::kAdmin), "admin");
  EXPECT_EQ(role_name(Role::kServer), "server");
  for (const char* bad : {"", "Admin", "ADMIN", "admin ", " search", "root", "enrol", "servers"}) {
    EXPECT_FALSE(parse_role(bad).has_value()) << bad;
  }
}

TEST(Roles, GrantsMatrix) {
  // held -> required: admin covers enroll and search, never server; server
  // is granted by server alone.
  const Role roles[] = {Role::kEnroll, Role::kSearch, Role::kAdmin, Role::kServer};
  const bool expected[4][4] = {
      //            enroll search admin  server   (required)
      /* enroll */ {true, false, false, false},
      /* search */ {false, true, false, false},
      /* admin  */ {true, true, true, false},
      /* server */ {false, false, false, true},
  };
  for (int h = 0; h < 4; ++h) {
    for (int r = 0; r < 4; ++r) {
      EXPECT_EQ(role_grants(roles[h], roles[r]), expected[h][r])
          << role_name(roles[h]) << " -> " << role_name(roles[r]);
    }
  }
}

TEST(Roles, AuthStatusNames) {
  EXPECT_EQ(auth_status_name(AuthStatus::kOk), "OK");
  EXPECT_EQ(auth_status_name(AuthStatus::kUnauthenticated), "UNAUTHENTICATED");
  EXPECT_EQ(auth_status_name(AuthStatus::kPermissionDenied), "PERMISSION_DENIED");
}

TEST(Names, CallerNameProblems) {
  EXPECT_FALSE(caller_name_problem("alice").has_value());
  EXPECT_FALSE(caller_name_problem("Zoë the enroller").has_value());
  EXPECT_FALSE(caller_name_problem(std::string(kMaxCallerNameBytes, 'a')).has_value());
  EXPECT_TRUE(caller_name_problem("").has_value());
  EXPECT_TRUE(caller_name_problem(std::string(kMaxCallerNameBytes + 1, 'a')).has_value());
  EXPECT_TRUE(caller_name_problem("bad\nname").has_value());
  EXPECT_TRUE(caller_name_problem(std::string("nul\0x", 5)).has_value());
  EXPECT_TRUE(caller_name_problem("\xff\xfe").has_value());
}

TEST(Names, CollectionProblems) {
  EXPECT_FALSE(collection_problem("*").has_value());
  EXPECT_FALSE(collection_problem("faces").has_value());
  EXPECT_FALSE(collection_problem(std::string(kMaxCollectionBytes, 'c')).has_value());
  EXPECT_TRUE(collection_problem("").has_value());
  EXPECT_TRUE(collection_problem(std::string(kMaxCollectionBytes + 1, 'c')).has_value());
  EXPECT_TRUE(collection_problem("tab\there").has_value());
  EXPECT_TRUE(collection_problem("\xc0\xaf").has_value());  // overlong '/'
}

// ---- create, load, add, list ------------------------------------------------

TEST_F(TokenStoreTest, CreateMakesAnEmptyFileMode0600) {
  const mode_t old = ::umask(0);  // the mode must not depend on the umask
  TokenStore s = TokenStore::create(file);
  ::umask(old);
  EXPECT_EQ(s.path(), file);
  EXPECT_TRUE(s.list().empty());
  EXPECT_EQ(file_mode(file), 0600u);
  const TokenFile parsed = parse_token_file(read_text(file), "test");
  EXPECT_TRUE(parsed.entries.empty());
  EXPECT_NE(parsed.key, TokenKey{}) << "the hash key is random, not zero";
  EXPECT_TRUE(TokenStore::load(file).list().empty());
}

TEST_F(TokenStoreTest, CreateRefusesAnExistingFile) {
  TokenStore s = TokenStore::create(file);
  s.add("alice", Role::kSearch, "faces");
  const std::string before = read_text(file);
  try {
    TokenStore::create(file);
    ADD_FAILURE() << "create over an existing file succeeded";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::file_exists) << e.what();
  }
  EXPECT_EQ(read_text(file), before);
  write_text(dir / "other", "anything");
  EXPECT_THROW(TokenStore::create(dir / "other"), std::system_error);
  EXPECT_EQ(read_text(dir / "other"), "anything");
}

TEST_F(TokenStoreTest, CreateFresh_KeysDiffer) {
  TokenStore::create(dir / "a");
  TokenStore::create(dir / "b");
  EXPECT_NE(parse_token_file(read_text(dir / "a"), "a").key,
            parse_token_file(read_text(dir / "b"), "b").key);
}

TEST_F(TokenStoreTest, LoadMissingFileIsSystemError) {
  EXPECT_THROW(TokenStore::load(dir / "nope"), std::system_error);
}

TEST_F(TokenStoreTest, AddReturnsAWellFormedTokenAndListsInOrder) {
  TokenStore s = TokenStore::create(file);
  const auto before = Clock::now() - std::chrono::seconds(1);
  const std::string t1 = s.add("alice", Role::kSearch, "faces");
  const std::string t2 = s.add("bob", Role::kEnroll, "faces");
  const std::string t3 = s.add("root", Role::kAdmin, "*");
  const std::string t4 = s.add("srv", Role::kServer, "*");
  const auto after = Clock::now() + std::chrono::seconds(1);
  std::set<std::string> distinct;
  for (const std::string& t : {t1, t2, t3, t4}) {
    ASSERT_EQ(t.size(), kTokenChars);
    EXPECT_EQ(t.substr(0, kTokenPrefix.size()), kTokenPrefix);
    for (char c : t.substr(kTokenPrefix.size())) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << t;
    }
    distinct.insert(t);
  }
  EXPECT_EQ(distinct.size(), 4u);

  const std::vector<TokenInfo> list = s.list();
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(list[0].name, "alice");
  EXPECT_EQ(list[0].role, Role::kSearch);
  EXPECT_EQ(list[0].collection, "faces");
  EXPECT_EQ(list[1].name, "bob");
  EXPECT_EQ(list[1].role, Role::kEnroll);
  EXPECT_EQ(list[2].name, "root");
  EXPECT_EQ(list[2].role, Role::kAdmin);
  EXPECT_EQ(list[2].collection, "*");
  EXPECT_EQ(list[3].name, "srv");
  EXPECT_EQ(list[3].role, Role::kServer);
  for (const TokenInfo& t : list) {
    const auto created = parse_utc(t.created);
    ASSERT_TRUE(created.has_value()) << t.created;
    EXPECT_GE(*created, before);
    EXPECT_LE(*created, after);
  }

  // Written through: a fresh load sees the same list and accepts the tokens.
  TokenStore loaded = TokenStore::load(file);
  EXPECT_EQ(names(loaded), (std::vector<std::string>{"alice", "bob", "root", "srv"}));
  EXPECT_TRUE(loaded.authorize(t1, Role::kSearch, "faces").ok());
  EXPECT_TRUE(loaded.authorize(t2, Role::kEnroll, "faces").ok());
  EXPECT_TRUE(loaded.authorize(t3, Role::kAdmin, "anything").ok());
  EXPECT_TRUE(loaded.authorize(t4, Role::kServer, "*").ok());
  EXPECT_EQ(file_mode(file), 0600u);
}

TEST_F(TokenStoreTest, AddRefusesBadArgumentsAndChangesNothing) {
  TokenStore s = TokenStore::create(file);
  s.add("alice", Role::kSearch, "faces");
  const std::string before = read_text(file);
  EXPECT_THROW(s.add("alice", Role::kAdmin, "*"), std::invalid_argument);  // duplicate
  EXPECT_THROW(s.add("", Role::kSearch, "faces"), std::invalid_argument);
  EXPECT_THROW(s.add(std::string(kMaxCallerNameBytes + 1, 'n'), Role::kSearch, "faces"),
               std::invalid_argument);
  EXPECT_THROW(s.add("eve\n{\"name\":\"x\"}", Role::kSearch, "faces"), std::invalid_argument);
  EXPECT_THROW(s.add("carol", Role::kSearch, ""), std::invalid_argument);
  EXPECT_THROW(s.add("carol", Role::kSearch, std::string("a\0b", 3)), std::invalid_argument);
  EXPECT_THROW(s.add("carol", Role::kSearch, std::string(kMaxCollectionBytes + 1, 'c')),
               std::invalid_argument);
  EXPECT_EQ(read_text(file), before);
  EXPECT_EQ(names(s), std::vector<std::string>{"alice"});
}

TEST_F(TokenStoreTest, FileHoldsNoTokenText) {
  TokenStore s = TokenStore::create(file);
  std::vector<std::string> tokens;
  for (const char* n : {"alice", "bob", "carol"}) tokens.push_back(s.add(n, Role::kSearch, "*"));
  const std::string bytes = read_text(file);
  ASSERT_NE(bytes.find("alice"), std::string::npos);  // the file is what was read
  for (const std::string& t : tokens) {
    const std::string body = t.substr(kTokenPrefix.size());
    EXPECT_EQ(bytes.find(t), std::string::npos) << "token in the file";
    EXPECT_EQ(bytes.find(body), std::string::npos) << "token body in the file";
    EXPECT_EQ(bytes.find(body.substr(0, 16)), std::string::npos) << "part of a token in the file";
    // Nor the token's raw bytes, as hex or raw.
    unsigned char raw[kTokenBytes];
    std::size_t len = 0;
    ASSERT_EQ(sodium_base642bin(raw, sizeof raw, body.data(), body.size(), nullptr, &len, nullptr,
                                sodium_base64_VARIANT_URLSAFE_NO_PADDING),
              0);
    ASSERT_EQ(len, kTokenBytes);
    char hex[2 * kTokenBytes + 1];
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    EXPECT_EQ(bytes.find(hex), std::string::npos) << "token bytes (hex) in the file";
    EXPECT_EQ(bytes.find(std::string(hex, 16)), std::string::npos);
    EXPECT_EQ(bytes.find(std::string(reinterpret_cast<char*>(raw), 8)), std::string::npos);
  }
  EXPECT_EQ(bytes.find("veil_"), std::string::npos);
  // Nor in the lock file, nor in any other file beside it.
  for (const auto& e : fs::directory_iterator(dir.path())) {
    const std::string other = read_text(e.path());
    for (const std::string& t : tokens) {
      EXPECT_EQ(other.find(t.substr(kTokenPrefix.size())), std::string::npos) << e.path();
    }
  }
}

// ---- authorize --------------------------------------------------------------

TEST_F(TokenStoreTest, AuthorizeRolesAndScopes) {
  TokenStore s = TokenStore::create(file);
  const std::string search = s.add("alice", Role::kSearch, "faces");
  const std::string enroll = s.add("bob", Role::kEnroll, "faces");
  const std::string admin = s.add("carol", Role::kAdmin, "faces");
  const std::string admin_all = s.add("root", Role::kAdmin, "*");
  const std::string server = s.add("srv", Role::kServer, "*");

  auto status = [&](const std::string& t, Role r, std::string_view c) {
    return s.authorize(t, r, c).status;
  };
  constexpr auto kOk = AuthStatus::kOk;
  constexpr auto kDenied = AuthStatus::kPermissionDenied;

  // Role: each token in each role, on its own collection.
  EXPECT_EQ(status(search, Role::kSearch, "faces"), kOk);
  EXPECT_EQ(status(search, Role::kEnroll, "faces"), kDenied);
  EXPECT_EQ(status(search, Role::kAdmin, "faces"), kDenied);
  EXPECT_EQ(status(search, Role::kServer, "faces"), kDenied);
  EXPECT_EQ(status(enroll, Role::kEnroll, "faces"), kOk);
  EXPECT_EQ(status(enroll, Role::kSearch, "faces"), kDenied);
  EXPECT_EQ(status(admin, Role::kAdmin, "faces"), kOk);
  EXPECT_EQ(status(admin, Role::kEnroll, "faces"), kOk);
  EXPECT_EQ(status(admin, Role::kSearch, "faces"), kOk);
  EXPECT_EQ(status(admin, Role::kServer, "faces"), kDenied);
  EXPECT_EQ(status(admin_all, Role::kServer, "faces"), kDenied);
  EXPECT_EQ(status(server, Role::kServer, "faces"), kOk);
  EXPECT_EQ(status(server, Role::kSearch, "faces"), kDenied);
  EXPECT_EQ(status(server, Role::kAdmin, "*"), kDenied);

  // Collection: a scoped token covers its collection only, never "*".
  EXPECT_EQ(status(search, Role::kSearch, "cars"), kDenied);
  EXPECT_EQ(status(search, Role::kSearch, "Faces"), kDenied);
  EXPECT_EQ(status(search, Role::kSearch, "faces "), kDenied);
  EXPECT_EQ(status(search, Role::kSearch, ""), kDenied);
  EXPECT_EQ(status(search, Role::kSearch, kAllCollections), kDenied);
  EXPECT_EQ(status(admin, Role::kAdmin, kAllCollections), kDenied);
  EXPECT_EQ(status(admin, Role::kAdmin, "cars"), kDenied);
  // "*" covers every collection and the all-collections operation.
  EXPECT_EQ(status(admin_all, Role::kAdmin, "cars"), kOk);
  EXPECT_EQ(status(admin_all, Role::kSearch, "faces"), kOk);
  EXPECT_EQ(status(admin_all, Role::kAdmin, kAllCollections), kOk);

  // The result names the caller, for an allowed and a denied call.
  const AuthResult ok = s.authorize(search, Role::kSearch, "faces");
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.caller.name, "alice");
  EXPECT_EQ(ok.caller.role, Role::kSearch);
  EXPECT_EQ(ok.caller.collection, "faces");
  const AuthResult role_denied = s.authorize(search, Role::kEnroll, "faces");
  EXPECT_FALSE(role_denied.ok());
  EXPECT_EQ(role_denied.caller.name, "alice");
  EXPECT_NE(role_denied.reason.find("enroll"), std::string::npos) << role_denied.reason;
  const AuthResult scope_denied = s.authorize(search, Role::kSearch, "cars");
  EXPECT_EQ(scope_denied.caller.name, "alice");
  EXPECT_NE(scope_denied.reason.find("cars"), std::string::npos) << scope_denied.reason;
  for (const AuthResult& r : {ok, role_denied, scope_denied}) {
    EXPECT_EQ(r.reason.find(search.substr(kTokenPrefix.size(), 10)), std::string::npos);
  }
}

TEST_F(TokenStoreTest, UnknownOrMalformedTokensAreUnauthenticated) {
  TokenStore s = TokenStore::create(file);
  const std::string token = s.add("alice", Role::kAdmin, "*");
  ASSERT_TRUE(s.authorize(token, Role::kSearch, "faces").ok());

  auto expect_unauth = [&](const std::string& t, const char* why) {
    const AuthResult r = s.authorize(t, Role::kSearch, "faces");
    EXPECT_EQ(r.status, AuthStatus::kUnauthenticated) << why << ": " << t;
    EXPECT_TRUE(r.caller.name.empty()) << why;
    EXPECT_FALSE(r.reason.empty()) << why;
    if (t.size() > 12) {
      EXPECT_EQ(r.reason.find(t.substr(5, 8)), std::string::npos) << why;
    }
  };
  expect_unauth("", "empty");
  expect_unauth("veil_", "prefix only");
  expect_unauth(token.substr(kTokenPrefix.size()), "no prefix");
  expect_unauth("VEIL_" + token.substr(kTokenPrefix.size()), "prefix in upper case");
  expect_unauth("xxxx_" + token.substr(kTokenPrefix.size()), "other prefix");
  expect_unauth(token.substr(0, token.size() - 1), "one character short");
  expect_unauth(token + "A", "one character long");
  expect_unauth(token + "\n", "trailing newline");
  expect_unauth(" " + token.substr(1), "space");
  expect_unauth("veil_" + std::string(43, '+'), "not base64url");
  expect_unauth("veil_" + std::string(42, 'A') + "=", "padding");
  expect_unauth("veil_" + std::string(43, 'A'), "all zero bytes");

  // Every other character at every position of the body: either malformed
  // or another token, never this one.
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (std::size_t i = kTokenPrefix.size(); i < token.size(); ++i) {
    std::string t = token;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    ASSERT_NE(t, token);
    EXPECT_EQ(s.authorize(t, Role::kSearch, "faces").status, AuthStatus::kUnauthenticated)
        << "changed at " << i;
  }
  // The last character holds 4 bits of the token and 2 unused bits: any
  // other last character is refused too (one token, one spelling).
  for (const char* c = kAlphabet; *c != '\0'; ++c) {
    std::string t = token;
    if (t.back() == *c) continue;
    t.back() = *c;
    EXPECT_EQ(s.authorize(t, Role::kSearch, "faces").status, AuthStatus::kUnauthenticated)
        << "last character " << *c;
  }

  // A well-formed token of another file (another hash key) is unknown here.
  TokenStore other = TokenStore::create(dir / "other");
  const std::string foreign = other.add("alice", Role::kAdmin, "*");
  expect_unauth(foreign, "token of another file");
}

TEST_F(TokenStoreTest, RevokedTokenIsUnauthenticated) {
  TokenStore s = TokenStore::create(file);
  const std::string alice = s.add("alice", Role::kSearch, "faces");
  const std::string bob = s.add("bob", Role::kSearch, "faces");
  s.revoke("alice");
  EXPECT_EQ(names(s), std::vector<std::string>{"bob"});
  const AuthResult r = s.authorize(alice, Role::kSearch, "faces");
  EXPECT_EQ(r.status, AuthStatus::kUnauthenticated);
  EXPECT_TRUE(r.caller.name.empty());
  EXPECT_TRUE(s.authorize(bob, Role::kSearch, "faces").ok());
  // On disk too.
  TokenStore loaded = TokenStore::load(file);
  EXPECT_EQ(loaded.authorize(alice, Role::kSearch, "faces").status, AuthStatus::kUnauthenticated);
  EXPECT_TRUE(loaded.authorize(bob, Role::kSearch, "faces").ok());
  EXPECT_EQ(read_text(file).find("\"alice\""), std::string::npos);

  // Revoking twice, or an unknown name, is refused and changes nothing.
  const std::string before = read_text(file);
  EXPECT_THROW(s.revoke("alice"), std::invalid_argument);
  EXPECT_THROW(s.revoke("nobody"), std::invalid_argument);
  EXPECT_THROW(s.revoke(""), std::invalid_argument);
  EXPECT_EQ(read_text(file), before);

  // The name is free again, with a new token; the old one stays revoked.
  const std::string alice2 = s.add("alice", Role::kSearch, "faces");
  EXPECT_NE(alice2, alice);
  EXPECT_TRUE(s.authorize(alice2, Role::kSearch, "faces").ok());
  EXPECT_EQ(s.authorize(alice, Role::kSearch, "faces").status, AuthStatus::kUnauthenticated);
}

TEST_F(TokenStoreTest, MovedStoreKeepsWorking) {
  TokenStore a = TokenStore::create(file);
  const std::string t = a.add("alice", Role::kSearch, "*");
  TokenStore b = std::move(a);
  EXPECT_TRUE(b.authorize(t, Role::kSearch, "x").ok());
  TokenStore c = TokenStore::create(dir / "c");
  c = std::move(b);
  EXPECT_EQ(c.path(), file);
  EXPECT_TRUE(c.authorize(t, Role::kSearch, "x").ok());
  c.add("bob", Role::kEnroll, "x");
  EXPECT_EQ(names(TokenStore::load(file)), (std::vector<std::string>{"alice", "bob"}));
}

// ---- modes ------------------------------------------------------------------

TEST_F(TokenStoreTest, GroupOrOtherWritableFileIsRefused) {
  TokenStore s = TokenStore::create(file);
  const std::string token = s.add("alice", Role::kSearch, "faces");
  for (mode_t mode : {0620, 0602, 0666, 0660, 0622}) {
    ::chmod(file.c_str(), mode);
    expect_error<std::runtime_error>([&] { TokenStore::load(file); }, {"chmod 600", "writable"});
    EXPECT_THROW(s.reload(), std::runtime_error) << std::oct << mode;
    // A change through a store is refused too (it re-reads the file first).
    EXPECT_THROW(s.add("bob", Role::kSearch, "faces"), std::runtime_error);
    EXPECT_EQ(names(s), std::vector<std::string>{"alice"});
  }
  // Readable by others, not writable: accepted (the file holds no token).
  for (mode_t mode : {0600, 0400, 0640, 0644}) {
    ::chmod(file.c_str(), mode);
    TokenStore loaded = TokenStore::load(file);
    EXPECT_TRUE(loaded.authorize(token, Role::kSearch, "faces").ok()) << std::oct << mode;
  }
  ::chmod(file.c_str(), 0644);
  s.add("bob", Role::kSearch, "faces");
  EXPECT_EQ(file_mode(file), 0600u) << "a write puts the mode back to 0600";
}

// ---- two stores, one file ---------------------------------------------------

TEST_F(TokenStoreTest, TwoStoresKeepEachOthersChanges) {
  TokenStore a = TokenStore::create(file);
  TokenStore b = TokenStore::load(file);
  const std::string alice = a.add("alice", Role::kSearch, "faces");
  // b has not seen alice; its add must not drop her.
  const std::string bob = b.add("bob", Role::kEnroll, "faces");
  EXPECT_EQ(names(b), (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(names(TokenStore::load(file)), (std::vector<std::string>{"alice", "bob"}));
  EXPECT_TRUE(b.authorize(alice, Role::kSearch, "faces").ok());

  // a sees bob after reload, or after its own next change.
  EXPECT_EQ(names(a), std::vector<std::string>{"alice"});
  EXPECT_EQ(a.authorize(bob, Role::kEnroll, "faces").status, AuthStatus::kUnauthenticated);
  a.reload();
  EXPECT_EQ(names(a), (std::vector<std::string>{"alice", "bob"}));
  EXPECT_TRUE(a.authorize(bob, Role::kEnroll, "faces").ok());

  // b revokes alice; a (stale) then adds carol: alice stays revoked.
  b.revoke("alice");
  EXPECT_TRUE(a.authorize(alice, Role::kSearch, "faces").ok()) << "a has not reloaded yet";
  a.add("carol", Role::kAdmin, "*");
  EXPECT_EQ(names(a), (std::vector<std::string>{"bob", "carol"}));
  EXPECT_EQ(a.authorize(alice, Role::kSearch, "faces").status, AuthStatus::kUnauthenticated);
  EXPECT_EQ(names(TokenStore::load(file)), (std::vector<std::string>{"bob", "carol"}));

  // A name taken by the other store is refused even though this one has not seen it.
  b.add("dave", Role::kSearch, "x");
  EXPECT_THROW(a.add("dave", Role::kSearch, "y"), std::invalid_argument);
  EXPECT_THROW(b.revoke("nobody"), std::invalid_argument);
  a.revoke("dave");  // known only from the file
  EXPECT_EQ(names(TokenStore::load(file)), (std::vector<std::string>{"bob", "carol"}));
}

TEST_F(TokenStoreTest, ConcurrentAddsFromManyStoresLoseNothing) {
  TokenStore::create(file);
  constexpr int kThreads = 4;
  constexpr int kEach = 8;
  std::vector<std::vector<std::string>> tokens(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      TokenStore s = TokenStore::load(file);  // one store per thread, like one per process
      for (int i = 0; i < kEach; ++i) {
        tokens[t].push_back(s.add(std::string("t") + std::to_string(t) + "-" + std::to_string(i),
                                  Role::kSearch, "*"));
      }
    });
  }
  for (auto& th : threads) th.join();
  TokenStore all = TokenStore::load(file);
  EXPECT_EQ(all.list().size(), static_cast<std::size_t>(kThreads * kEach));
  for (const auto& ts : tokens) {
    for (const std::string& t : ts) EXPECT_TRUE(all.authorize(t, Role::kSearch, "c").ok());
  }
}

TEST_F(TokenStoreTest, ConcurrentAuthorizeWhileChanging) {
  TokenStore s = TokenStore::create(file);
  const std::string alice = s.add("alice", Role::kSearch, "*");
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::thread reader([&] {
    while (!stop.load()) {
      if (!s.authorize(alice, Role::kSearch, "c").ok()) ++failures;
      (void)s.list();
    }
  });
  for (int i = 0; i < 10; ++i) {
    s.add(std::string("n") + std::to_string(i), Role::kEnroll, "c");
    if (i % 3 == 0) s.reload();
  }
  stop = true;
  reader.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(s.list().size(), 11u);
}

// ---- malformed files ----------------------------------------------------------

TEST_F(TokenStoreTest, MalformedFileOnReloadOrChangeKeepsEverything) {
  TokenStore s = TokenStore::create(file);
  const std::string alice = s.add("alice", Role::kSearch, "faces");
  const std::string good = read_text(file);
  const std::vector<std::string> broken = {
      "", "not json", good.substr(0, good.size() / 2), good.substr(0, good.size() - 3), "[]", "{}",
  };
  for (const std::string& text : broken) {
    write_text(file, text);
    EXPECT_THROW(s.reload(), io::FormatError) << text;
    EXPECT_THROW(TokenStore::load(file), io::FormatError) << text;
    EXPECT_THROW(s.add("bob", Role::kSearch, "faces"), io::FormatError) << text;
    EXPECT_THROW(s.revoke("alice"), io::FormatError) << text;
    // Nothing changed: the file is as broken as it was, the store as it was.
    EXPECT_EQ(read_text(file), text);
    EXPECT_EQ(names(s), std::vector<std::string>{"alice"});
    EXPECT_TRUE(s.authorize(alice, Role::kSearch, "faces").ok());
  }
  write_text(file, good);
  s.reload();
  EXPECT_TRUE(s.authorize(alice, Role::kSearch, "faces").ok());
}

TEST_F(TokenStoreTest, EveryTruncationIsAFormatError) {
  TokenStore s = TokenStore::create(file);
  s.add("alice", Role::kSearch, "faces");
  s.add("bob", Role::kAdmin, "*");
  const std::string good = read_text(file);
  ASSERT_EQ(good.back(), '\n');
  // Every proper prefix that cuts into the JSON (keeping the closing brace
  // is the whole document minus its newline).
  for (std::size_t n = 0; n + 1 < good.size(); ++n) {
    write_text(file, good.substr(0, n));
    EXPECT_THROW(TokenStore::load(file), io::FormatError) << "prefix of " << n << " bytes";
  }
  write_text(file, good.substr(0, good.size() - 1));
  EXPECT_EQ(names(TokenStore::load(file)), (std::vector<std::string>{"alice", "bob"}));
}

TEST_F(TokenStoreTest, OversizedFileIsRefusedBeforeReading) {
  TokenStore::create(file);
  fs::resize_file(file, kMaxTokenFileBytes + 1);  // sparse: cheap
  EXPECT_THROW(TokenStore::load(file), io::FormatError);
}

}  // namespace
}  // namespace veil::service
