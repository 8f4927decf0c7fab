// libFuzzer target: the Postgres saver's list-row decoder (checkpoint/src/postgres_rows.cpp) —
// checkpoint rows, stored values with delta chains, pending writes — on arbitrary rows, as a
// damaged table would return them. Input: the first byte's low bit says whether values are
// resolved; then rows separated by '\n', columns by '\t', the first column the kind (0, 1, 2)
// and "\N" a NULL. The decoder must return tuples or throw SaverCorrupt; anything else escaping
// (a nlohmann exception, a crash, UB, a hang on a delta cycle) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "postgres_rows.hpp"
#include "stategraph/checkpoint/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool values = (data[0] & 1) != 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<sg::pg::ListRow> rows;
  std::size_t start = 0;
  while (start < input.size() && rows.size() < 256) {
    std::size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    const std::string_view line = input.substr(start, end - start);
    start = end + 1;
    sg::pg::ListRow row;
    std::size_t column = 0, from = 0;
    bool first = true;
    while (from <= line.size()) {
      std::size_t tab = line.find('\t', from);
      if (tab == std::string_view::npos) tab = line.size();
      const std::string_view field = line.substr(from, tab - from);
      from = tab + 1;
      if (first) {
        row.kind = field.empty() ? 0 : field[0] - '0';
        first = false;
      } else if (column < row.col.size()) {
        if (field != "\\N") row.col[column] = field;
        ++column;
      }
    }
    rows.push_back(row);
  }
  try {
    (void)sg::pg::decode_list(rows, "fuzz", "", values);
  } catch (const sg::SaverCorrupt&) {
  }
  return 0;
}
