#include <gtest/gtest.h>

#include <string>

#include "veil/io/text_check.h"

namespace veil::io {
namespace {

TEST(TextCheck, AcceptsPlainAndMultiByteText) {
  EXPECT_FALSE(text_problem(""));
  EXPECT_FALSE(text_problem("faces:17"));
  EXPECT_FALSE(text_problem("Zoë Šťastná 李 \xF0\x9F\x98\x80"));  // 2-, 3- and 4-byte forms
  EXPECT_FALSE(text_problem("tab-free label with spaces"));
}

TEST(TextCheck, RefusesEveryControlCharacter) {
  for (int c = 0; c < 0x20; ++c) {
    std::string s = "ab";
    s.push_back(static_cast<char>(c));
    auto p = text_problem(s);
    ASSERT_TRUE(p) << c;
    EXPECT_NE(p->find("control character"), std::string::npos) << *p;
    EXPECT_NE(p->find("at byte 2"), std::string::npos) << *p;
  }
  EXPECT_TRUE(text_problem("\x7f"));
  EXPECT_TRUE(text_problem("\xC2\x80"));   // U+0080 (C1)
  EXPECT_TRUE(text_problem("\xC2\x9F"));   // U+009F
  EXPECT_FALSE(text_problem("\xC2\xA0"));  // U+00A0 is printable
  const std::string nul("a\0b", 3);
  EXPECT_EQ(*text_problem(nul), "control character U+0000 at byte 1");
}

TEST(TextCheck, RefusesInvalidUtf8) {
  for (const char* bad : {"\xff", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                          "\xC3", "\xE2\x82", "a\x80", "\xF8\x88\x80\x80\x80"}) {
    auto p = text_problem(bad);
    ASSERT_TRUE(p) << bad;
    EXPECT_NE(p->find("UTF-8"), std::string::npos) << *p;
  }
  EXPECT_EQ(*text_problem("ok\xC3("), "invalid UTF-8 at byte 2");
}

}  // namespace
}  // namespace veil::io
