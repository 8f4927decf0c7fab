#include "progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace sgcli {

Progress::Progress(std::string label, std::size_t total, std::size_t threshold)
    : label_(std::move(label)), total_(total), shown_(::isatty(STDERR_FILENO) == 1 && total >= threshold) {}

Progress::~Progress() { finish(); }

void Progress::update(std::size_t done) {
  if (!shown_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && done < total_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  drawn_ = true;
  constexpr std::size_t kWidth = 30;
  const std::size_t filled = total_ == 0 ? kWidth : std::min(kWidth, done * kWidth / total_);
  const unsigned percent = total_ == 0 ? 100U : static_cast<unsigned>(std::min<std::size_t>(100, done * 100 / total_));
  std::fprintf(stderr, "\r%s [%s%s] %3u%% %zu/%zu", label_.c_str(), std::string(filled, '#').c_str(),
               std::string(kWidth - filled, ' ').c_str(), percent, done, total_);
  std::fflush(stderr);
}

void Progress::finish() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace sgcli
