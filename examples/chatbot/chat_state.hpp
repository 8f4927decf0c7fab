#pragma once
/// @file
/// The chatbot's state (the tutorials' `{messages, language}`, plus the running summary of the
/// `summary` memory strategy and a turn counter) and its schema.
///
/// Field names are the stable keys of every checkpoint sg-chatbot writes ("messages",
/// "language", "summary", "turns"); sg-checkpoints shows them by these names.
///
/// Thread-safety: a plain value.

#include <cstdint>
#include <string>

#include <stategraph/nodes/add_messages.hpp>
#include <stategraph/nodes/message.hpp>
#include <stategraph/state_schema.hpp>

namespace sg::chatbot {

struct ChatState {
  /// The conversation: human and ai messages (add_messages: append, replace by id, remove by id).
  sg::Messages messages;
  /// The language the system prompt asks the model to answer in ({language}). Last value wins,
  /// so a language given once stays with the thread.
  std::string language = "English";
  /// `summary` memory only: the model's summary of the turns folded out of `messages`.
  std::string summary;
  /// Completed turns (a human message answered): the model node adds 1 per reply.
  std::int64_t turns = 0;
};

}  // namespace sg::chatbot

template <>
struct sg::state_schema<sg::chatbot::ChatState> {
  static constexpr auto fields =
      sg::fields(sg::field<&sg::chatbot::ChatState::messages>("messages", sg::add_messages),
                 sg::field<&sg::chatbot::ChatState::language>("language"),
                 sg::field<&sg::chatbot::ChatState::summary>("summary"),
                 sg::field<&sg::chatbot::ChatState::turns>("turns", sg::add));
};
