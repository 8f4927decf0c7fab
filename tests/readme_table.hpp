#pragma once
// The rows of a Markdown table in README.md whose first cell starts with `prefix` ("sg.chatbot.",
// "sg.server."): first cell → the other cells, trimmed. For the tests that check an error table in
// code against the README's. A row listed twice is reported in `duplicates`.
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace sgtest {

struct ReadmeRows {
  bool opened = false;
  std::map<std::string, std::vector<std::string>> rows;
  std::vector<std::string> duplicates;
};

inline ReadmeRows readme_rows(const std::string& path, const std::string& prefix) {
  ReadmeRows out;
  std::ifstream in(path);
  out.opened = in.good();
  const auto trim = [](const std::string& s) {
    const auto b = s.find_first_not_of(' ');
    const auto e = s.find_last_not_of(' ');
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| " + prefix, 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream s(line.substr(1));
    std::string cell;
    while (std::getline(s, cell, '|')) cells.push_back(trim(cell));
    if (cells.empty()) continue;
    const std::string key = cells.front();
    cells.erase(cells.begin());
    if (!out.rows.emplace(key, std::move(cells)).second) out.duplicates.push_back(key);
  }
  return out;
}

}  // namespace sgtest
