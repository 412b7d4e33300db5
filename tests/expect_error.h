// expect_error<E>(f, {"fragment", ...}): f throws E and its message contains
// every fragment (a test of both the error type and what it says).
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

namespace veil::test {

template <class E, class F>
void expect_error(F f, std::initializer_list<const char*> fragments) {
  try {
    f();
    ADD_FAILURE() << "no error";
  } catch (const E& e) {
    for (const char* s : fragments) {
      EXPECT_NE(std::string(e.what()).find(s), std::string::npos) << e.what() << " lacks " << s;
    }
  }
}

}  // namespace veil::test
