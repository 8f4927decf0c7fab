#pragma once
// sg-checkpoints: an aligned text table for people (the --json output is for programs).

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

namespace sgcli {

/// Columns separated by two spaces, each as wide as its widest cell (counted in UTF-8 code
/// points); a header row in capitals. Numeric columns may be right-aligned.
class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  void right_align(std::size_t column);
  void add(std::vector<std::string> row);
  /// A line of its own between the rows (e.g. a group's title), printed as given; it does not
  /// widen the columns.
  void add_note(std::string line);
  [[nodiscard]] bool empty() const noexcept { return rows_.empty(); }
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<bool> note_;  ///< per row: a note (its only cell is the line)
};

}  // namespace sgcli
