#pragma once
// SqliteFactory for the saver conformance suite (see saver_factories.hpp): each make() opens a
// SqliteSaver on a fresh file in a private temporary directory, which the destructor deletes
// with the database, its -wal/-shm files and its lock directory.

#include <doctest/doctest.h>

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include <stategraph/checkpoint/sqlite_saver.hpp>

namespace sgtest {

/// A private temporary directory (mkdtemp), removed with its contents when destroyed.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sg-sqlite-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace sgtest

struct SqliteFactory {
  static constexpr bool checks_delta_bases = true;
  sgtest::TempDir dir;
  int made = 0;
  std::unique_ptr<sg::BaseCheckpointSaver> make() {
    return std::make_unique<sg::SqliteSaver>(dir.path() / ("saver-" + std::to_string(made++) + ".db"));
  }
};

TYPE_TO_STRING(SqliteFactory);
