// sg-chatbot's error ids as data (chatbot_error.hpp): README.md's sg-chatbot error table lists
// exactly the rows of kChatbotErrorTable, with the same HTTP status and meaning.

#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "chatbot_error.hpp"
#include "http_routes.hpp"

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(' ');
  const auto e = s.find_last_not_of(' ');
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

}  // namespace

TEST_CASE("chatbot errors: README.md's table lists exactly kChatbotErrorTable, same status and meaning") {
  using sg::chatbot::kChatbotErrorTable;
  std::ifstream in(SG_README_PATH);
  REQUIRE(in.good());
  std::map<std::string, std::vector<std::string>> rows;  // id -> {HTTP, meaning}
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| sg.chatbot.", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream s(line.substr(1));
    std::string cell;
    while (std::getline(s, cell, '|')) cells.push_back(trim(cell));
    REQUIRE_MESSAGE(cells.size() >= 3, line);
    CHECK_MESSAGE(rows.count(cells[0]) == 0, "README.md lists " << cells[0] << " twice");
    rows[cells[0]] = {cells[1], cells[2]};
  }
  for (const auto& info : kChatbotErrorTable) {
    const std::string code(info.code);
    CAPTURE(code);
    const auto row = rows.find(code);
    if (row == rows.end()) {
      FAIL_CHECK("README.md has no row for " << code);
      continue;
    }
    CHECK(row->second[0] == (info.http_status == 0 ? std::string("—") : std::to_string(info.http_status)));
    CHECK(row->second[1] == info.meaning);
    // The server answers with the table's status.
    if (info.http_status != 0) CHECK(sg::chatbot::http_status(info.code) == info.http_status);
    rows.erase(row);
  }
  for (const auto& [code, row] : rows) FAIL_CHECK("README.md lists " << code << ", which kChatbotErrorTable does not have");
}
