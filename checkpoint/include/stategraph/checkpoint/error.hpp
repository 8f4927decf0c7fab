#pragma once
/// @file
/// The root of stategraph's exception tree.
///
/// Every exception stategraph throws derives from sg::Error and carries a stable, greppable id
/// that leads its message: `[sg.compile.101] edge "a"->"b": unknown node "b"`. The ids, the class
/// that carries each and its meaning are data: sg::ErrorId and sg::kErrorTable in
/// stategraph/checkpoint/error_id.hpp (README.md, section "Errors", lists the same table).
///
/// The tree tells a caller what to do: sg::CompileError, sg::InvalidUpdate, sg::RunError and its
/// sg::NodeError, sg::GraphRecursionError, sg::ConfigError, sg::Cancelled, and sg::StateError
/// (stategraph/errors.hpp); sg::SaverError and its sg::SaverUnavailable (retryable) and
/// sg::SaverCorrupt (below); sg::UsageError, sg::ToolError, sg::ModelError
/// (stategraph/nodes/errors.hpp).
///
/// Expected outcomes are values, not exceptions: an interrupted run returns its interrupts, a
/// missing checkpoint is an empty std::optional.
///
/// Thread-safety: exception objects are immutable after construction.

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "stategraph/checkpoint/error_id.hpp"

namespace sg {

/// Base of every stategraph exception. `id()` is the stable id (ErrorId::compile_unknown_node); `what()` is
/// "[id] message". `retryable()` tells a retry policy whether trying again may succeed.
class Error : public std::runtime_error {
 public:
  /// @param id the error's row in kErrorTable.
  /// @param message human-readable text: what happened, with which names, and the fix.
  Error(ErrorId id, std::string_view message, bool retryable = false);

  /// The stable id, e.g. ErrorId::update_conflicting_writes.
  [[nodiscard]] const std::string& id() const noexcept { return id_; }
  /// The id as an ErrorId; nullopt for an application's own id (sg.chatbot.8xx).
  [[nodiscard]] std::optional<ErrorId> error_id() const noexcept { return find_error_id(id_); }
  /// True when this error carries `id`.
  [[nodiscard]] bool is(ErrorId id) const noexcept { return id_ == error_code(id); }
  /// The message without the "[id] " prefix.
  [[nodiscard]] std::string_view message() const noexcept;
  /// True when the same operation may succeed if tried again (a dropped connection).
  [[nodiscard]] bool retryable() const noexcept { return retryable_; }

 protected:
  /// For an application's own ids, which are not stategraph's to tabulate (sg-chatbot's
  /// sg.chatbot.8xx), and for an error that carries an id read from elsewhere (CompileError's
  /// first problem). `id` is the text id without brackets.
  Error(std::string id, std::string_view message, bool retryable = false);

 private:
  std::string id_;
  bool retryable_;
};

/// A checkpoint saver failed (sg.saver.4xx). Carries the backend's own code when there is one
/// (an SQLite result code as text, a Postgres SQLSTATE), else an empty string.
class SaverError : public Error {
 public:
  SaverError(ErrorId id, std::string_view message, std::string backend_code = {}, bool retryable = false);
  [[nodiscard]] const std::string& backend_code() const noexcept { return backend_code_; }

 private:
  std::string backend_code_;
};

/// The store could not be reached or the connection broke (sg.saver.401). Retryable.
class SaverUnavailable : public SaverError {
 public:
  explicit SaverUnavailable(std::string_view message, std::string backend_code = {});
};

/// Stored data is damaged: a row that does not parse, a value a checkpoint refers to that is
/// missing (sg.saver.402), bytes that do not match their stored checksum (sg.saver.412).
/// Nothing is modified when this is thrown.
class SaverCorrupt : public SaverError {
 public:
  explicit SaverCorrupt(std::string_view message, std::string backend_code = {});
  /// For another id of damaged data (ErrorId::saver_checksum_mismatch).
  SaverCorrupt(ErrorId id, std::string_view message, std::string backend_code = {});
};

}  // namespace sg
