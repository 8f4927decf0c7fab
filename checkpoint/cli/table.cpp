#include "table.hpp"

#include <algorithm>

#include "text.hpp"

namespace sgcli {

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)), right_(headers_.size(), false) {}

void Table::right_align(std::size_t column) {
  if (column < right_.size()) right_[column] = true;
}

void Table::add(std::vector<std::string> row) {
  row.resize(headers_.size());
  rows_.push_back(std::move(row));
  note_.push_back(false);
}

void Table::add_note(std::string line) {
  rows_.push_back({std::move(line)});
  note_.push_back(true);
}

void Table::print(std::ostream& out) const {
  std::vector<std::size_t> width(headers_.size(), 0);
  for (std::size_t c = 0; c < headers_.size(); ++c) width[c] = display_width(headers_[c]);
  for (std::size_t r = 0; r < rows_.size(); ++r)
    if (!note_[r])
      for (std::size_t c = 0; c < rows_[r].size(); ++c) width[c] = std::max(width[c], display_width(rows_[r][c]));
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::size_t pad = width[c] - display_width(cells[c]);
      const bool last = c + 1 == cells.size();
      if (right_[c]) text.append(pad, ' ');
      text += cells[c];
      if (!right_[c] && !last) text.append(pad, ' ');
      if (!last) text += "  ";
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << '\n';
  };
  line(headers_);
  for (std::size_t r = 0; r < rows_.size(); ++r) {
    if (note_[r]) {
      out << rows_[r].front() << '\n';
    } else {
      line(rows_[r]);
    }
  }
}

}  // namespace sgcli
