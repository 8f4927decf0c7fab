#pragma once
/// @file
/// Every stable error id of stategraph, as data. sg::ErrorId names an id in code (its value is the
/// id's number); sg::kErrorTable gives each one its text ("sg.compile.101"), the exception class
/// that carries it and its one-line meaning. Every throw site passes an ErrorId; no other source
/// file spells an id (tests/check_error_ids.cmake fails CI on one), and README.md's "Errors"
/// table lists exactly these rows with the same words (tests/checkpoint/error_table.cpp).
///
/// Areas: sg.compile.1xx the graph's topology (fix the builder calls); sg.update.2xx a step's
/// writes cannot be applied (fix the nodes or the schema); sg.run.3xx a run could not go on;
/// sg.saver.4xx a checkpoint store failed; sg.state.5xx a state value does not (de)serialise;
/// sg.nodes.6xx the chat layer; sg.cli.7xx sg-checkpoints. An id is never reused for another
/// meaning (sg.nodes.623, once a cancelled model call, is retired: that is sg.run.305 now, the
/// same sg::Cancelled as a cancelled run). sg-chatbot's own ids (sg.chatbot.8xx) are an example's, tabulated in
/// examples/chatbot/chatbot_error.hpp the same way.
///
/// Thread-safety: constants and pure functions.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sg {

/// A stable error id; the value is the id's number (sg.saver.401 is saver_unavailable = 401).
enum class ErrorId : int {
  compile_several_problems = 100,
  compile_unknown_node = 101,
  compile_reserved_node_name = 102,
  compile_duplicate_node = 103,
  compile_no_entry_edge = 104,
  compile_unreachable_node = 105,
  compile_cannot_reach_end = 106,
  compile_unknown_interrupt_node = 107,
  compile_edge_from_end_or_to_start = 108,
  compile_input_type_mismatch = 109,
  compile_empty_sequence = 110,
  compile_bool_route_incomplete = 111,
  update_conflicting_writes = 201,
  update_conflicting_overwrites = 202,
  update_router_unknown_target = 203,
  update_invalid_send = 204,
  update_reducer_failed = 205,
  update_goto_unknown_node = 206,
  update_state_unknown_as_node = 207,
  update_state_ambiguous_as_node = 208,
  update_state_invalid = 209,
  update_parent_command_invalid = 210,
  run_node_failed = 301,
  run_recursion_limit = 302,
  run_missing_thread_id = 303,
  run_nothing_to_resume = 304,
  run_cancelled = 305,
  run_invalid_option = 306,
  run_unknown_checkpoint = 307,
  run_no_checkpointer = 308,
  run_interrupt_without_checkpointer = 309,
  run_resume_without_interrupt = 310,
  run_context_unavailable = 311,
  run_unknown_subgraph_namespace = 312,
  run_multiple_subgraphs = 313,
  saver_unavailable = 401,
  saver_corrupt = 402,
  saver_invalid_argument = 403,
  saver_thread_busy = 404,
  saver_newer_schema = 405,
  saver_not_a_store = 406,
  saver_statement_rejected = 407,
  saver_schema_missing = 408,
  saver_read_only = 409,
  saver_bad_store_uri = 410,
  saver_lock_lost = 411,
  saver_checksum_mismatch = 412,
  saver_not_writable = 413,
  state_value_does_not_convert = 501,
  state_unknown_channel = 502,
  nodes_invalid_trim_options = 601,
  nodes_missing_template_value = 602,
  nodes_not_a_message = 603,
  nodes_bad_template = 604,
  nodes_no_ai_message = 605,
  nodes_invalid_tools = 606,
  nodes_tool_failed = 611,
  nodes_fake_model_exhausted = 620,
  nodes_injected_fault = 621,
  nodes_malformed_reply = 622,
  nodes_http_status = 630,
  nodes_connection_failed = 631,
  nodes_call_timeout = 632,
  nodes_stream_truncated = 633,
  nodes_invalid_model_options = 634,
  cli_bad_command_line = 701,
  cli_bad_database_uri = 702,
  cli_no_such_file = 703,
  cli_unknown_thread = 704,
  cli_unknown_checkpoint = 705,
  cli_unknown_channel = 706,
  cli_needs_yes = 707,
  cli_declined = 708,
  cli_thread_exists = 709,
  cli_not_an_export = 710,
  cli_file_error = 711,
  cli_verify_failed = 712,
  cli_bad_namespace = 713,
  cli_immutable_store = 714,
  cli_internal_error = 799,
};

/// One row of the error table.
struct ErrorInfo {
  ErrorId id;
  std::string_view code;       ///< the stable text id, e.g. "sg.compile.101"
  std::string_view exception;  ///< the class that carries it, in namespace sg (CliError: sg-checkpoints)
  std::string_view meaning;    ///< what happened; README.md's table says the same words
};

/// The error table, in id order.
inline constexpr ErrorInfo kErrorTable[] = {
    {ErrorId::compile_several_problems, "sg.compile.100", "CompileError",
     "the graph has problems of several kinds; each is listed with its own id"},
    {ErrorId::compile_unknown_node, "sg.compile.101", "CompileError",
     "an edge, join, path_map or destination names an unknown node"},
    {ErrorId::compile_reserved_node_name, "sg.compile.102", "CompileError",
     "a node name is reserved (\"__start__\", \"__end__\", \"__input__\", \"__copy__\") or contains a namespace separator (a bar or a colon)"},
    {ErrorId::compile_duplicate_node, "sg.compile.103", "CompileError",
     "a node name is used twice"},
    {ErrorId::compile_no_entry_edge, "sg.compile.104", "CompileError",
     "no edge leaves START"},
    {ErrorId::compile_unreachable_node, "sg.compile.105", "CompileError",
     "a node cannot be reached from START"},
    {ErrorId::compile_cannot_reach_end, "sg.compile.106", "CompileError",
     "a node can never reach END: it is in a cycle whose edges, path maps and destinations never lead out to END (LangGraph would run it until the recursion limit)"},
    {ErrorId::compile_unknown_interrupt_node, "sg.compile.107", "CompileError",
     "interrupt_before/after names an unknown node"},
    {ErrorId::compile_edge_from_end_or_to_start, "sg.compile.108", "CompileError",
     "an edge leaves END or enters START"},
    {ErrorId::compile_input_type_mismatch, "sg.compile.109", "CompileError",
     "a node fed by edges does not take the graph's state as input"},
    {ErrorId::compile_empty_sequence, "sg.compile.110", "CompileError",
     "add_sequence was given no nodes"},
    {ErrorId::compile_bool_route_incomplete, "sg.compile.111", "CompileError",
     "a router returns bool but its path map lacks true or false"},
    {ErrorId::update_conflicting_writes, "sg.update.201", "InvalidUpdate",
     "two writes to a last-value field in one step"},
    {ErrorId::update_conflicting_overwrites, "sg.update.202", "InvalidUpdate",
     "two Overwrite writes to one field in one step"},
    {ErrorId::update_router_unknown_target, "sg.update.203", "InvalidUpdate",
     "a router returned a name that is not a node"},
    {ErrorId::update_invalid_send, "sg.update.204", "InvalidUpdate",
     "a Send targets END or an unknown node, or its argument is not the target node's input type"},
    {ErrorId::update_reducer_failed, "sg.update.205", "InvalidUpdate",
     "a reducer threw"},
    {ErrorId::update_goto_unknown_node, "sg.update.206", "InvalidUpdate",
     "a Command goto names an unknown node"},
    {ErrorId::update_state_unknown_as_node, "sg.update.207", "InvalidUpdate",
     "update_state: as_node is not a node of the graph"},
    {ErrorId::update_state_ambiguous_as_node, "sg.update.208", "InvalidUpdate",
     "update_state: as_node omitted and two nodes ran last together"},
    {ErrorId::update_state_invalid, "sg.update.209", "InvalidUpdate",
     "update_state: values missing or not allowed for this as_node, updates that cannot share a superstep, no supersteps, or \"__copy__\" on a thread without checkpoints"},
    {ErrorId::update_parent_command_invalid, "sg.update.210", "InvalidUpdate",
     "a node returned a Command to its parent graph, but its graph runs as no subgraph or its parent's state is of another type"},
    {ErrorId::run_node_failed, "sg.run.301", "NodeError",
     "a node threw (after its retries); names node, step and cause"},
    {ErrorId::run_recursion_limit, "sg.run.302", "GraphRecursionError",
     "the recursion limit was reached"},
    {ErrorId::run_missing_thread_id, "sg.run.303", "ConfigError",
     "thread_id missing although a checkpointer is set"},
    {ErrorId::run_nothing_to_resume, "sg.run.304", "ConfigError",
     "no input and nothing to resume"},
    {ErrorId::run_cancelled, "sg.run.305", "Cancelled",
     "the run or a model call was cancelled through its CancellationToken"},
    {ErrorId::run_invalid_option, "sg.run.306", "ConfigError",
     "an invalid run or executor option (recursion_limit < 1, unknown interrupt node, ExecutorOptions::max_threads 0)"},
    {ErrorId::run_unknown_checkpoint, "sg.run.307", "ConfigError",
     "the checkpoint named by checkpoint_id does not exist"},
    {ErrorId::run_no_checkpointer, "sg.run.308", "ConfigError",
     "get_state/get_state_history/update_state without a checkpointer"},
    {ErrorId::run_interrupt_without_checkpointer, "sg.run.309", "ConfigError",
     "a node called interrupt() in a graph without a checkpointer"},
    {ErrorId::run_resume_without_interrupt, "sg.run.310", "ConfigError",
     "a Command resume with no interrupt waiting for it (or a resume_map naming none of those waiting)"},
    {ErrorId::run_context_unavailable, "sg.run.311", "ConfigError",
     "RunContext::context<T>(): the run has no context, or one of another type than T (RunConfig::context)"},
    {ErrorId::run_unknown_subgraph_namespace, "sg.run.312", "ConfigError",
     "RunConfig::checkpoint_ns names no subgraph of this graph, or one whose state type is not this graph's"},
    {ErrorId::run_multiple_subgraphs, "sg.run.313", "ConfigError",
     "a node ran a second checkpointed subgraph in one task (both would share one checkpoint namespace)"},
    {ErrorId::saver_unavailable, "sg.saver.401", "SaverUnavailable",
     "the store cannot be reached (retryable)"},
    {ErrorId::saver_corrupt, "sg.saver.402", "SaverCorrupt",
     "stored data does not parse or refers to missing data"},
    {ErrorId::saver_invalid_argument, "sg.saver.403", "SaverError",
     "a call's arguments are invalid (e.g. put without thread_id)"},
    {ErrorId::saver_thread_busy, "sg.saver.404", "SaverError",
     "thread busy: another run holds the thread past the wait"},
    {ErrorId::saver_newer_schema, "sg.saver.405", "SaverError",
     "the database's schema is from a newer release of stategraph"},
    {ErrorId::saver_not_a_store, "sg.saver.406", "SaverError",
     "the file or database is not a stategraph checkpoint store"},
    {ErrorId::saver_statement_rejected, "sg.saver.407", "SaverError",
     "the server rejected a statement (permissions, disk full, ...)"},
    {ErrorId::saver_schema_missing, "sg.saver.408", "SaverError",
     "migrations are off and the schema is missing or too old"},
    {ErrorId::saver_read_only, "sg.saver.409", "SaverError",
     "a writing call on a saver opened read-only"},
    {ErrorId::saver_bad_store_uri, "sg.saver.410", "SaverError",
     "a store address is not memory, sqlite:PATH or postgres://..."},
    {ErrorId::saver_lock_lost, "sg.saver.411", "SaverError",
     "the run lost its thread lock (its Postgres session ended): it stops writing instead of forking the thread"},
    {ErrorId::saver_checksum_mismatch, "sg.saver.412", "SaverCorrupt",
     "stored bytes do not match the checksum stored with them (damaged on disk or edited)"},
    {ErrorId::saver_not_writable, "sg.saver.413", "SaverError",
     "a saver opened for writing on an SQLite file or directory that cannot be written; open it read-only"},
    {ErrorId::state_value_does_not_convert, "sg.state.501", "StateError",
     "a stored field value does not convert to the field's C++ type"},
    {ErrorId::state_unknown_channel, "sg.state.502", "StateError",
     "a pending write names an unknown channel, or a stored Send an unknown node"},
    {ErrorId::nodes_invalid_trim_options, "sg.nodes.601", "UsageError",
     "invalid trim_messages options (strategy \"first\" with start_on or include_system, no token counter, negative max_tokens)"},
    {ErrorId::nodes_missing_template_value, "sg.nodes.602", "UsageError",
     "a prompt template variable or messages placeholder has no value"},
    {ErrorId::nodes_not_a_message, "sg.nodes.603", "UsageError",
     "a JSON value is not a message or chunk, or content is not text or a list of content parts"},
    {ErrorId::nodes_bad_template, "sg.nodes.604", "UsageError",
     "a prompt template does not parse (lone '{' or '}', empty name, unknown role)"},
    {ErrorId::nodes_no_ai_message, "sg.nodes.605", "UsageError",
     "ToolNode input holds no AI message"},
    {ErrorId::nodes_invalid_tools, "sg.nodes.606", "UsageError",
     "invalid tool definitions (empty name, no callable, duplicates)"},
    {ErrorId::nodes_tool_failed, "sg.nodes.611", "ToolError",
     "a tool threw and handle_tool_errors is off; the tool's exception is nested"},
    {ErrorId::nodes_fake_model_exhausted, "sg.nodes.620", "ModelError",
     "a scripted fake model has no reply left for this call"},
    {ErrorId::nodes_injected_fault, "sg.nodes.621", "ModelError",
     "a fault injected into a fake model (tests)"},
    {ErrorId::nodes_malformed_reply, "sg.nodes.622", "ModelError",
     "a model reply is malformed (not an AI message, bad chunk)"},
    {ErrorId::nodes_http_status, "sg.nodes.630", "ModelStatusError",
     "the server answered HTTP >= 400 (429 and 5xx are retryable); the message has the server's text"},
    {ErrorId::nodes_connection_failed, "sg.nodes.631", "ModelError",
     "connection failed (refused, DNS, TLS, connect timeout); retryable"},
    {ErrorId::nodes_call_timeout, "sg.nodes.632", "ModelError",
     "the total time limit of the call ran out"},
    {ErrorId::nodes_stream_truncated, "sg.nodes.633", "ModelError",
     "the stream ended before `data: [DONE]`; retryable"},
    {ErrorId::nodes_invalid_model_options, "sg.nodes.634", "ModelError",
     "invalid OpenAIChatModel options"},
    {ErrorId::cli_bad_command_line, "sg.cli.701", "CliError",
     "invalid command line (unknown option, missing argument, bad value)"},
    {ErrorId::cli_bad_database_uri, "sg.cli.702", "CliError",
     "--db is not a store address (memory, sqlite:PATH, postgres://...)"},
    {ErrorId::cli_no_such_file, "sg.cli.703", "CliError",
     "the SQLite file does not exist or is not a regular file"},
    {ErrorId::cli_unknown_thread, "sg.cli.704", "CliError",
     "the thread has no checkpoints"},
    {ErrorId::cli_unknown_checkpoint, "sg.cli.705", "CliError",
     "the checkpoint does not exist, or an id prefix is ambiguous"},
    {ErrorId::cli_unknown_channel, "sg.cli.706", "CliError",
     "the channel has no value in that checkpoint"},
    {ErrorId::cli_needs_yes, "sg.cli.707", "CliError",
     "delete/prune without --yes while stdin is not a terminal"},
    {ErrorId::cli_declined, "sg.cli.708", "CliError",
     "the confirmation was declined; nothing changed"},
    {ErrorId::cli_thread_exists, "sg.cli.709", "CliError",
     "copy/import: the destination thread exists already"},
    {ErrorId::cli_not_an_export, "sg.cli.710", "CliError",
     "import: the file is not a stategraph thread export"},
    {ErrorId::cli_file_error, "sg.cli.711", "CliError",
     "a file cannot be read or written (-o FILE, import FILE)"},
    {ErrorId::cli_verify_failed, "sg.cli.712", "CliError",
     "verify found broken checkpoints (listed on stdout)"},
    {ErrorId::cli_bad_namespace, "sg.cli.713", "CliError",
     "--ns is not a checkpoint namespace: levels NODE or NODE:TASK_ID joined by a bar, or empty for the root"},
    {ErrorId::cli_immutable_store, "sg.cli.714", "CliError",
     "a writing command (delete, prune, copy, import) with --immutable"},
    {ErrorId::cli_internal_error, "sg.cli.799", "CliError",
     "an unexpected internal error (a bug)"},
};

/// The row of `id`. Every enumerator has one (checked at compile time below).
[[nodiscard]] constexpr const ErrorInfo& error_info(ErrorId id) {
  for (const ErrorInfo& row : kErrorTable)
    if (row.id == id) return row;
  return kErrorTable[0];  // unreachable: error_table_is_consistent() proves every id has a row
}

/// The stable text id of `id`, e.g. "sg.saver.401".
[[nodiscard]] constexpr std::string_view error_code(ErrorId id) { return error_info(id).code; }

/// The ErrorId whose text is `code`; nullopt for a code not in the table.
[[nodiscard]] constexpr std::optional<ErrorId> find_error_id(std::string_view code) {
  for (const ErrorInfo& row : kErrorTable)
    if (row.code == code) return row.id;
  return std::nullopt;
}

/// "[sg.compile.101] ": the prefix of a message line that carries `id` (a CompileError's
/// problems are such lines).
[[nodiscard]] std::string error_tag(ErrorId id);

namespace detail {
/// True when each row's text names its area and number ("sg.<area>.<value>", the area given by
/// the hundreds: 1 compile, 2 update, 3 run, 4 saver, 5 state, 6 nodes, 7 cli) and the rows are
/// in strictly increasing order (so no id has two rows).
constexpr bool error_table_is_consistent() {
  constexpr std::string_view kAreas[] = {"", "compile", "update", "run", "saver", "state", "nodes", "cli"};
  int previous = 0;
  for (const ErrorInfo& row : kErrorTable) {
    const int n = static_cast<int>(row.id);
    if (n <= previous || n / 100 < 1 || n / 100 > 7) return false;
    previous = n;
    const std::string_view area = kAreas[n / 100];
    const std::size_t want = 3 + area.size() + 1 + 3;
    if (row.code.size() != want || row.code.substr(0, 3) != "sg." || row.code.substr(3, area.size()) != area ||
        row.code[3 + area.size()] != '.')
      return false;
    const std::string_view digits = row.code.substr(want - 3);
    if (digits[0] - '0' != n / 100 || digits[1] - '0' != n / 10 % 10 || digits[2] - '0' != n % 10) return false;
    if (row.exception.empty() || row.meaning.empty()) return false;
  }
  return true;
}
static_assert(error_table_is_consistent(), "kErrorTable: a row's text does not match its ErrorId, or rows are out of order");
}  // namespace detail

}  // namespace sg
