// The error table as data (error_id.hpp): README.md's "Errors" table lists exactly its rows, with
// the same exception class and the same meaning, so the two cannot drift apart.

#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "stategraph/checkpoint/error_id.hpp"

namespace {

struct ReadmeRow {
  std::string exception;
  std::string meaning;
};

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(' ');
  const auto e = s.find_last_not_of(' ');
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::string without_backticks(std::string s) {
  std::string out;
  for (const char c : s)
    if (c != '`') out.push_back(c);
  return out;
}

// Rows "| sg.<area>.NNN | <exception> | <meaning> |" of README.md for the library's areas.
std::map<std::string, ReadmeRow> readme_rows() {
  std::ifstream in(SG_README_PATH);
  REQUIRE(in.good());
  std::map<std::string, ReadmeRow> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| sg.", 0) != 0 || line.rfind("| sg.chatbot.", 0) == 0 || line.rfind("| sg.server.", 0) == 0) continue;
    std::vector<std::string> cells;
    std::stringstream s(line.substr(1));
    std::string cell;
    while (std::getline(s, cell, '|')) cells.push_back(trim(without_backticks(cell)));
    REQUIRE_MESSAGE(cells.size() >= 3, line);
    CHECK_MESSAGE(rows.count(cells[0]) == 0, "README.md lists " << cells[0] << " twice");
    rows[cells[0]] = {cells[1], cells[2]};
  }
  return rows;
}

}  // namespace

TEST_CASE("error table: README.md lists exactly the ids of kErrorTable, with the same class and meaning") {
  auto rows = readme_rows();
  for (const sg::ErrorInfo& info : sg::kErrorTable) {
    const std::string code(info.code);
    CAPTURE(code);
    const auto row = rows.find(code);
    if (row == rows.end()) {
      FAIL_CHECK("README.md's error table has no row for " << code);
      continue;
    }
    CHECK(row->second.exception == info.exception);
    CHECK(row->second.meaning == without_backticks(std::string(info.meaning)));  // markdown code spans
    rows.erase(row);
  }
  for (const auto& [code, row] : rows) FAIL_CHECK("README.md lists " << code << ", which kErrorTable does not have");
}

TEST_CASE("error table: lookups by id and by text agree") {
  for (const sg::ErrorInfo& info : sg::kErrorTable) {
    CHECK(sg::error_code(info.id) == info.code);
    CHECK(sg::find_error_id(info.code) == info.id);
    CHECK(sg::error_tag(info.id) == "[" + std::string(info.code) + "] ");
  }
  CHECK_FALSE(sg::find_error_id("sg.saver.499").has_value());
  static_assert(sg::error_code(sg::ErrorId::saver_unavailable) == "sg.saver.401");
}
