#pragma once
/// @file
/// The root of stategraph's exception tree and the table of stable error ids.
///
/// Every exception stategraph throws derives from sg::Error and carries a stable, greppable id
/// that leads its message: `[sg.compile.101] edge "a"->"b": unknown node "b"`. The ids are
/// grouped by the layer that raises them; an id is never reused for another meaning.
///
/// | id range        | class               | meaning and what to do                                          |
/// |-----------------|---------------------|-----------------------------------------------------------------|
/// | sg.compile.1xx  | sg::CompileError    | the graph's topology is invalid; fix the builder calls          |
/// |   .100          |                     | problems of several kinds at once; problems() lists each with   |
/// |                 |                     | its own id                                                      |
/// |   .101          |                     | an edge, join or path_map names an unknown node                 |
/// |   .102          |                     | a node name is reserved ("__start__", "__end__") or has '|' ':' |
/// |                 |                     | ("__input__" and "__copy__" are reserved for update_state)      |
/// |   .103          |                     | a node name is used twice                                       |
/// |   .104          |                     | no edge leaves START                                            |
/// |   .105          |                     | a node cannot be reached from START                             |
/// |   .106          |                     | a node can never reach END: it is in a cycle whose edges,       |
/// |                 |                     | path maps and destinations never lead out to END (LangGraph     |
/// |                 |                     | would run it until the recursion limit)                         |
/// |   .107          |                     | interrupt_before/after names an unknown node                    |
/// |   .108          |                     | an edge leaves END or enters START                              |
/// |   .109          |                     | a node fed by edges does not take the graph's state as input    |
/// |   .110          |                     | add_sequence was given no nodes                                 |
/// |   .111          |                     | a router returns bool but its path map lacks true or false      |
/// | sg.update.2xx   | sg::InvalidUpdate   | a step produced writes that cannot be applied                   |
/// |   .201          |                     | two writes to a last-value field in one step                    |
/// |   .202          |                     | two Overwrite writes to one field in one step                   |
/// |   .203          |                     | a router returned a name that is not a node                     |
/// |   .204          |                     | a Send targets END or an unknown node, or its argument's type   |
/// |                 |                     | is not the target node's input type                             |
/// |   .205          |                     | a reducer threw                                                 |
/// |   .206          |                     | a Command goto names an unknown node                            |
/// |   .207          |                     | update_state: as_node is not a node of the graph                |
/// |   .208          |                     | update_state: as_node omitted and two nodes ran last together   |
/// |   .209          |                     | update_state: values missing or not allowed for this as_node,   |
/// |                 |                     | updates that cannot share a superstep, no supersteps, or        |
/// |                 |                     | "__copy__" on a thread without checkpoints                      |
/// | sg.run.3xx      | sg::RunError        | a run could not go on                                           |
/// |   .301          | sg::NodeError       | a node threw (after its retries); names node, step and cause    |
/// |   .302          | sg::GraphRecursionError | the recursion limit was reached                             |
/// |   .303          | sg::ConfigError     | thread_id missing although a checkpointer is set                |
/// |   .304          | sg::ConfigError     | no input and nothing to resume                                  |
/// |   .305          | sg::Cancelled       | the run was cancelled through its CancellationToken             |
/// |   .306          | sg::ConfigError     | an invalid run option (recursion_limit < 1, max_concurrency 0)  |
/// |   .307          | sg::ConfigError     | the checkpoint named by checkpoint_id does not exist            |
/// |   .308          | sg::ConfigError     | get_state/get_state_history/update_state without a checkpointer |
/// |   .309          | sg::ConfigError     | a node called interrupt() in a graph without a checkpointer     |
/// |   .310          | sg::ConfigError     | a Command resume with no interrupt waiting for it (or a         |
/// |                 |                     | resume_map naming none of those waiting)                        |
/// |   .311          | sg::ConfigError     | RunContext::context<T>(): the run has no context, or one of     |
/// |                 |                     | another type than T (RunConfig::context)                        |
/// | sg.saver.4xx    | sg::SaverError      | a checkpoint saver failed                                       |
/// |   .401          | sg::SaverUnavailable| the store cannot be reached (retryable)                         |
/// |   .402          | sg::SaverCorrupt    | stored data does not parse or refers to missing data            |
/// |   .403          | sg::SaverError      | a call's arguments are invalid (e.g. put without thread_id)     |
/// |   .404          | sg::SaverError      | thread busy: another run holds the thread past the wait         |
/// |   .405          | sg::SaverError      | the database's schema is from a newer release of stategraph     |
/// |   .406          | sg::SaverError      | the file or database is not a stategraph checkpoint store       |
/// |   .407          | sg::SaverError      | the server rejected a statement (permissions, disk full, ...)   |
/// |   .408          | sg::SaverError      | migrations are off and the schema is missing or too old         |
/// |   .409          | sg::SaverError      | a writing call on a saver opened read-only                      |
/// | sg.state.5xx    | sg::StateError      | a state value cannot be (de)serialised                          |
/// |   .501          |                     | a stored field value does not convert to the field's C++ type   |
/// |   .502          |                     | a pending write names an unknown channel                        |
/// | sg.nodes.6xx    | (nodes/errors.hpp)  | chat layer: messages, prompts, models, tools                    |
/// |   .601          |                     | trim_messages options that cannot be combined                   |
/// |   .602          |                     | a prompt template variable has no value                         |
/// | sg.cli.7xx      | (sg-checkpoints)    | the inspection CLI; one line on stderr, exit code in brackets   |
/// |   .701          |                     | invalid command line (unknown option, missing argument) [2]     |
/// |   .702          |                     | --db is not sqlite:PATH or postgres://... [2]                   |
/// |   .703          |                     | the SQLite file does not exist or is not a regular file [2]     |
/// |   .704          |                     | the thread has no checkpoints [1]                               |
/// |   .705          |                     | the checkpoint does not exist, or an id prefix is ambiguous [1] |
/// |   .706          |                     | the channel has no value in that checkpoint [1]                 |
/// |   .707          |                     | delete/prune without --yes while stdin is not a terminal [2]    |
/// |   .708          |                     | the confirmation was declined; nothing changed [1]              |
/// |   .709          |                     | copy/import: the destination thread exists already [2]          |
/// |   .710          |                     | import: the file is not a stategraph thread export [2]          |
/// |   .711          |                     | a file cannot be read or written (-o FILE, import FILE) [2]     |
/// |   .712          |                     | verify found broken checkpoints (listed on stdout) [1]          |
/// |   .799          |                     | an unexpected internal error (a bug) [2]                        |
///
/// Expected outcomes are values, not exceptions: an interrupted run returns its interrupts, a
/// missing checkpoint is an empty std::optional.
///
/// Thread-safety: exception objects are immutable after construction.

#include <stdexcept>
#include <string>
#include <string_view>

namespace sg {

/// Base of every stategraph exception. `id()` is the stable id ("sg.compile.101"); `what()` is
/// "[id] message". `retryable()` tells a retry policy whether trying again may succeed.
class Error : public std::runtime_error {
 public:
  /// @param id stable id from the table above, without brackets.
  /// @param message human-readable text: what happened, with which names, and the fix.
  Error(std::string id, std::string_view message, bool retryable = false);

  /// The stable id, e.g. "sg.update.201".
  [[nodiscard]] const std::string& id() const noexcept { return id_; }
  /// The message without the "[id] " prefix.
  [[nodiscard]] std::string_view message() const noexcept;
  /// True when the same operation may succeed if tried again (a dropped connection).
  [[nodiscard]] bool retryable() const noexcept { return retryable_; }

 private:
  std::string id_;
  bool retryable_;
};

/// A checkpoint saver failed (sg.saver.4xx). Carries the backend's own code when there is one
/// (an SQLite result code as text, a Postgres SQLSTATE), else an empty string.
class SaverError : public Error {
 public:
  SaverError(std::string id, std::string_view message, std::string backend_code = {},
             bool retryable = false);
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
/// missing (sg.saver.402). Nothing is modified when this is thrown.
class SaverCorrupt : public SaverError {
 public:
  explicit SaverCorrupt(std::string_view message, std::string backend_code = {});
};

}  // namespace sg
