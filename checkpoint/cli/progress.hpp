#pragma once
// sg-checkpoints: a progress bar on stderr for long commands (export, import, prune, verify).
// Shown only when stderr is a terminal and the work is large; redrawn at most ten times a second
// and erased when done, so stdout (the command's output) is never mixed with it.

#include <chrono>
#include <cstddef>
#include <string>

namespace sgcli {

class Progress {
 public:
  /// Shown when stderr is a terminal and total >= `threshold` items.
  Progress(std::string label, std::size_t total, std::size_t threshold = 200);
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  ~Progress();
  /// `done` items of `total` finished.
  void update(std::size_t done);
  void add_total(std::size_t more) { total_ += more; }
  /// Erases the bar.
  void finish();

 private:
  std::string label_;
  std::size_t total_;
  bool shown_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace sgcli
