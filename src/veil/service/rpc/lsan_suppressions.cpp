// Compiled only into sanitizer builds (VEIL_SANITIZE), into every program that
// links gRPC. OpenSSL keeps a 904-byte error state per thread; gRPC's own
// threads can still be running when the process exits and OpenSSL's atexit
// cleanup drops the key that pointed at their state, so LeakSanitizer reports
// it now and then (CI, stop 24). The allocation is OpenSSL's, at exit, with
// no frame of ours; every other leak is still reported.
extern "C" const char* __lsan_default_suppressions();

extern "C" const char* __lsan_default_suppressions() { return "leak:libcrypto.so\n"; }
