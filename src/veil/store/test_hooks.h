// Test-only hooks of the store (failure injection). Never set in production
// code: the default does nothing.
#pragma once

namespace veil::store::test_hooks {

// Exit status of a process stopped by a crash point (as if killed: no
// destructors run, nothing is flushed or cleaned up).
inline constexpr int kCrashExitCode = 86;
// Number of crash points GalleryStore::create passes, numbered 0..n-1 in
// order: before anything, after the temporary directory, the lock, the
// index, the removal log, the manifest, the directory fsync, the rename and
// the parent fsync.
inline constexpr int kCreateCrashPoints = 9;
// When k >= 0, the next create() in this process calls _exit(kCrashExitCode)
// at crash point k. For forked children in tests.
void set_create_crash_point(int k);

}  // namespace veil::store::test_hooks
