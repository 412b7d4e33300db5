// Crash safety: a child process appends in a loop and reports each
// acknowledged append through a pipe; the parent SIGKILLs it at random
// moments, recovers the store and checks that every acknowledged block and id
// is present and intact, that nothing torn is visible, and that verify() is
// clean.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <thread>

#include "store/store_test_util.h"
#include "veil/store/gallery_store.h"

using namespace veil::store;
using veil::test::block_bytes;
using veil::test::small_config;

namespace {

class Crash : public veil::test::StoreTest {};

// Append number k: 1 or 2 blocks; block j holds 1 + (3k + j) % 16 ids.
std::size_t blocks_in(std::uint32_t k) { return 1 + k % 2; }
std::size_t ids_in(std::uint32_t k, std::size_t j) { return 1 + (3 * k + j) % 16; }
std::string id_of(std::uint32_t k, std::size_t j, std::size_t i) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "k%u-b%zu-s%zu", k, j, i);
  return buf;
}

// Built by appending: GCC 12 warns falsely (-Wrestrict) on "literal" + string&&.
std::string label_of(std::uint32_t k) {
  std::string s = "L";
  s += std::to_string(k);
  return s;
}

[[noreturn]] void child(const std::filesystem::path& dir, std::uint32_t first, int fd) {
  try {
    GalleryStore s = GalleryStore::open(dir, Mode::kReadWrite);
    for (std::uint32_t k = first;; ++k) {
      std::vector<std::vector<std::uint8_t>> data;
      std::vector<BlockInput> batch;
      for (std::size_t j = 0; j < blocks_in(k); ++j) data.push_back(block_bytes(k, j));
      for (std::size_t j = 0; j < blocks_in(k); ++j) {
        BlockInput b{data[j], {}, {}};
        for (std::size_t i = 0; i < ids_in(k, j); ++i) {
          b.ids.push_back(id_of(k, j, i));
          b.labels.push_back(label_of(k));
        }
        batch.push_back(std::move(b));
      }
      s.append(batch, veil::test::kKey);
      if (::write(fd, &k, sizeof k) != sizeof k) ::_exit(4);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "child: %s\n", e.what());
    ::_exit(3);
  }
}

}  // namespace

TEST_F(Crash, AcknowledgedAppendsSurviveSigkill) {
  { GalleryStore::create(dir_, small_config()); }
  std::mt19937_64 rng(0xc4a5);
  std::uint32_t next = 0;  // first append number the next child uses
  std::size_t kills_mid_run = 0, torn_segment_files = 0, hot_journals = 0, unacked_present = 0;
  auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < 20; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      child(dir_, next, fds[1]);
    }
    ::close(fds[1]);
    // Odd rounds kill at any moment (during open and recovery too); even
    // rounds wait for a first acknowledgement, so that every round also
    // lands in a running append loop whatever the disk's speed.
    std::int64_t first_ack = -1;
    if (round % 2 == 0) {
      std::uint32_t k0;
      if (::read(fds[0], &k0, sizeof k0) == sizeof k0) first_ack = k0;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 40000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "child ended otherwise (status " << status << ")";
    // Appends before this round are all present (checked last round).
    std::int64_t last_acked =
        std::max<std::int64_t>(static_cast<std::int64_t>(next) - 1, first_ack);
    std::uint32_t k;
    while (::read(fds[0], &k, sizeof k) == sizeof k) last_acked = k;
    ::close(fds[0]);

    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      std::string n = e.path().filename().string();
      if (n.find(".tmp") != std::string::npos) ++torn_segment_files;
      if (n == "ids.sqlite-journal") ++hot_journals;
    }
    // Recover (read-write open rolls back and cleans up), then check.
    GalleryStore s = GalleryStore::open(dir_, Mode::kReadWrite);
    VerifyReport v = s.verify();
    ASSERT_TRUE(v.ok()) << "round " << round << ": " << v.problems.front();
    EXPECT_TRUE(v.notes.empty()) << v.notes.front();
    // Every visible block is one appended whole: its ids and bytes match.
    std::map<std::uint32_t, std::size_t> blocks_of;
    std::size_t ids = 0;
    for (std::size_t b = 0; b < s.block_count(); ++b) {
      auto first = s.slot(b, 0);
      ASSERT_TRUE(first);
      unsigned kk = 0;
      std::size_t j = 0, i = 0;
      ASSERT_EQ(std::sscanf(first->id.c_str(), "k%u-b%zu-s%zu", &kk, &j, &i), 3) << first->id;
      auto want = block_bytes(kk, j);
      auto got = s.block(b);
      ASSERT_TRUE(std::equal(got.begin(), got.end(), want.begin())) << "torn block " << b;
      ASSERT_EQ(s.block_slots_used(b), ids_in(kk, j));
      for (std::size_t x = 0; x < ids_in(kk, j); ++x) {
        auto info = s.slot(b, static_cast<std::uint32_t>(x));
        ASSERT_TRUE(info);
        ASSERT_EQ(info->id, id_of(kk, j, x));
        ASSERT_EQ(info->label, label_of(kk));
      }
      ids += ids_in(kk, j);
      ++blocks_of[kk];
    }
    EXPECT_EQ(s.live_count(), ids);
    // Appends are all-or-nothing, in order, and every acknowledged one is there.
    std::uint32_t expect_k = 0;
    for (const auto& [kk, n] : blocks_of) {
      ASSERT_EQ(kk, expect_k++) << "appends must be a prefix of the sequence";
      ASSERT_EQ(n, blocks_in(kk)) << "append " << kk << " is partial";
    }
    ASSERT_GE(static_cast<std::int64_t>(blocks_of.size()) - 1, last_acked)
        << "round " << round << ": acknowledged append " << last_acked << " lost";
    // At most the one append in flight at the kill can be present unacknowledged.
    ASSERT_LE(static_cast<std::int64_t>(blocks_of.size()) - 1, last_acked + 1);
    if (static_cast<std::int64_t>(blocks_of.size()) - 1 == last_acked + 1) ++unacked_present;
    if (static_cast<std::uint32_t>(blocks_of.size()) > next) ++kills_mid_run;
    next = static_cast<std::uint32_t>(blocks_of.size());
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "[crash] 20 rounds, %u appends survived, %zu rounds made progress; kills left %zu partial "
      "segment files, %zu SQLite journals, %zu committed-but-unacknowledged appends; %.2f s\n",
      next, kills_mid_run, torn_segment_files, hot_journals, unacked_present, secs);
  EXPECT_GT(next, 0u);
}
