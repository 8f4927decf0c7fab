// sg-chatbot's error ids as data (chatbot_error.hpp): README.md's sg-chatbot error table lists
// exactly the rows of kChatbotErrorTable, with the same HTTP status and meaning.

#include <doctest/doctest.h>

#include <string>

#include "chatbot_error.hpp"
#include "http_routes.hpp"
#include "../readme_table.hpp"

TEST_CASE("chatbot errors: README.md's table lists exactly kChatbotErrorTable, same status and meaning") {
  using sg::chatbot::kChatbotErrorTable;
  auto table = sgtest::readme_rows(SG_README_PATH, "sg.chatbot.");
  REQUIRE(table.opened);
  for (const auto& d : table.duplicates) FAIL_CHECK("README.md lists " << d << " twice");
  auto& rows = table.rows;  // id -> {HTTP, meaning}
  for (const auto& info : kChatbotErrorTable) {
    const std::string code(info.code);
    CAPTURE(code);
    const auto row = rows.find(code);
    if (row == rows.end()) {
      FAIL_CHECK("README.md has no row for " << code);
      continue;
    }
    REQUIRE(row->second.size() >= 2);
    CHECK(row->second[0] == (info.http_status == 0 ? std::string("—") : std::to_string(info.http_status)));
    CHECK(row->second[1] == info.meaning);
    // The server answers with the table's status.
    if (info.http_status != 0) CHECK(sg::chatbot::http_status(info.code) == info.http_status);
    rows.erase(row);
  }
  for (const auto& [code, row] : rows) FAIL_CHECK("README.md lists " << code << ", which kChatbotErrorTable does not have");
}
