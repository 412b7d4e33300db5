// Atomic creation: a process creating a store is stopped at every crash
// point of create() (failure injection) and SIGKILLed at many moments; each
// time the directory must be absent, empty or a complete store, and a later
// create (or open) must work and leave no temporary sibling behind.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "store/store_test_util.h"
#include "veil/store/gallery_store.h"
#include "veil/store/test_hooks.h"

using namespace veil::store;
using veil::test::small_config;
namespace fs = std::filesystem;

namespace {

class CreateCrash : public veil::test::StoreTest {
 protected:
  enum class State { kAbsent, kEmpty, kStore };

  std::size_t temp_siblings() const {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(root_)) {
      if (e.path().filename().string().rfind(".gallery.creating-", 0) == 0) ++n;
    }
    return n;
  }

  // Checks what a killed create left, then creates (or opens) the store and
  // checks it is sound and that no temporary directory is left.
  State check_and_recover(const std::string& round) {
    std::error_code ec;
    State state;
    if (!fs::exists(dir_, ec)) {
      state = State::kAbsent;
    } else if (fs::is_directory(dir_, ec) && fs::is_empty(dir_, ec)) {
      state = State::kEmpty;
    } else {
      state = State::kStore;
    }
    if (state == State::kStore) {
      // A complete store: it opens read-only (nothing to roll back) and is sound.
      {
        GalleryStore r = GalleryStore::open(dir_, Mode::kReadOnly);
        EXPECT_EQ(r.block_count(), 0u) << round;
        VerifyReport v = r.verify();
        EXPECT_TRUE(v.ok()) << round << ": " << v.problems.front();
        EXPECT_TRUE(v.notes.empty()) << round << ": " << v.notes.front();
      }
      GalleryStore s = GalleryStore::open(dir_, Mode::kReadWrite);
      EXPECT_EQ(s.config(), small_config()) << round;
    } else {
      GalleryStore s = GalleryStore::create(dir_, small_config());
      EXPECT_TRUE(s.verify().ok()) << round;
    }
    EXPECT_EQ(temp_siblings(), 0u) << round << ": a temporary directory was left behind";
    fs::remove_all(dir_, ec);
    return state;
  }

  // Forks a child that creates the store (with crash point k, or none).
  pid_t spawn(int k) {
    pid_t pid = ::fork();
    if (pid == 0) {
      try {
        test_hooks::set_create_crash_point(k);
        GalleryStore::create(dir_, small_config());
        ::_exit(0);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "child: %s\n", e.what());
        ::_exit(3);
      }
    }
    return pid;
  }
};

}  // namespace

TEST_F(CreateCrash, EveryCrashPointLeavesNoStoreOrAWholeOne) {
  int absent = 0, empty = 0, store = 0;
  for (int pre_existing = 0; pre_existing < 2; ++pre_existing) {
    for (int k = 0; k < test_hooks::kCreateCrashPoints; ++k) {
      if (pre_existing) fs::create_directory(dir_);
      pid_t pid = spawn(k);
      ASSERT_GE(pid, 0);
      int status = 0;
      ASSERT_EQ(::waitpid(pid, &status, 0), pid);
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == test_hooks::kCrashExitCode)
          << "crash point " << k << " not reached (status " << status << ")";
      std::string round =
          "crash point " + std::to_string(k) + (pre_existing ? " (empty directory there)" : "");
      State s = check_and_recover(round);
      // Before the rename nothing is visible; after it the store is whole.
      if (k <= 6) {
        EXPECT_EQ(s, pre_existing ? State::kEmpty : State::kAbsent) << round;
      } else {
        EXPECT_EQ(s, State::kStore) << round;
      }
      absent += s == State::kAbsent;
      empty += s == State::kEmpty;
      store += s == State::kStore;
    }
  }
  std::printf("[create-crash] %d crash points x 2: %d absent, %d empty, %d whole stores\n",
              test_hooks::kCreateCrashPoints, absent, empty, store);
}

TEST_F(CreateCrash, SigkillAtIncreasingDelays) {
  // How long a child takes to create a store here (fork included), so that
  // the kills spread over all of it.
  auto t0 = std::chrono::steady_clock::now();
  pid_t first = spawn(-1);
  ASSERT_GE(first, 0);
  int first_status = 0;
  ASSERT_EQ(::waitpid(first, &first_status, 0), first);
  ASSERT_TRUE(WIFEXITED(first_status) && WEXITSTATUS(first_status) == 0);
  auto took = std::chrono::steady_clock::now() - t0;
  fs::remove_all(dir_);
  const auto span = std::chrono::duration_cast<std::chrono::microseconds>(took);
  constexpr int kRounds = 48;
  int absent = 0, empty = 0, store = 0, finished = 0;
  for (int round = 0; round < kRounds; ++round) {
    const bool pre_existing = round % 3 == 2;
    if (pre_existing) fs::create_directory(dir_);
    pid_t pid = spawn(-1);
    ASSERT_GE(pid, 0);
    std::this_thread::sleep_for(span * round / kRounds);
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
        << "child failed (status " << status << ")";
    finished += WIFEXITED(status);
    State s = check_and_recover("round " + std::to_string(round));
    if (pre_existing) {
      EXPECT_NE(s, State::kAbsent);
    }
    absent += s == State::kAbsent;
    empty += s == State::kEmpty;
    store += s == State::kStore;
  }
  std::printf(
      "[create-crash] %d SIGKILLs over %lld us (one create: %lld us): %d absent, %d empty, "
      "%d whole stores, %d creates finished first\n",
      kRounds, static_cast<long long>(span.count()),
      static_cast<long long>(std::chrono::duration_cast<std::chrono::microseconds>(took).count()),
      absent, empty, store, finished);
}

TEST_F(CreateCrash, ALiveCreatorsTemporaryDirectoryIsLeftAlone) {
  // A temporary directory whose lock is held (a create in progress) is not
  // removed by another create of the same name; a stale one is.
  fs::path live = root_ / ".gallery.creating-00112233445566aa";
  fs::path stale = root_ / ".gallery.creating-ffeeddccbbaa9988";
  fs::path empty = root_ / ".gallery.creating-0000000000000000";
  fs::path other = root_ / ".gallery2.creating-ffeeddccbbaa9988";
  for (const auto& p : {live, stale, empty, other}) fs::create_directory(p);
  std::ofstream(stale / "lock") << "";
  std::ofstream(stale / "ids.sqlite") << "partial";
  std::ofstream(other / "lock") << "";
  {
    GalleryStore holder = GalleryStore::create(live, small_config());  // holds live/lock
    // `live` is now a store named like a temporary directory, locked.
    GalleryStore s = GalleryStore::create(dir_, small_config());
    EXPECT_TRUE(fs::exists(live));
    EXPECT_FALSE(fs::exists(stale));
    EXPECT_FALSE(fs::exists(empty));
    EXPECT_TRUE(fs::exists(other));  // another store's name
  }
}
