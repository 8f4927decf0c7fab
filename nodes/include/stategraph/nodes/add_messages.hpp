#pragma once
/// @file
/// sg::add_messages — the reducer of message lists — and the ready-made sg::MessagesState.
///
/// @code{.cpp}
/// struct ChatState {
///   sg::Messages messages;
///   std::string language = "English";
/// };
/// template <> struct sg::state_schema<ChatState> {
///   static constexpr auto fields = sg::fields(
///       sg::field<&ChatState::messages>("messages", sg::add_messages),
///       sg::field<&ChatState::language>("language"));
/// };
/// // a node writes one message or several:
/// return sg::Update<ChatState>{sg::set<&ChatState::messages>(sg::AIMessage("hi!"))};
/// @endcode
///
/// Re-creates LangGraph's `add_messages` (langchain-ai/langgraph:
/// libs/langgraph/langgraph/graph/message.py `add_messages`, `MessagesState`) exactly; see the
/// semantics reference §2.1 and AddMessages::merge below.
///
/// Thread-safety: the reducer is a stateless value; calls on distinct lists may run on any
/// threads at once.

#include <cstddef>
#include <type_traits>
#include <utility>

#include "stategraph/nodes/message.hpp"
#include "stategraph/state_schema.hpp"

namespace sg {

/// The add_messages reducer type; use the constant sg::add_messages.
///
/// Follows the engine's reducer protocol (stategraph/reducers.hpp): a write to a field of type
/// sg::Messages carries sg::Messages (`update_type`) and may be given as one sg::Message or as
/// sg::Messages (`accept`); `reduce` folds one write into the field. It also offers the
/// delta-tracking extension `reduce_tracked`, which reports where the list changed so that a
/// saver can store a growing conversation by what a step added.
struct AddMessages {
  template <class T>
  using update_type = T;

  /// A whole list of messages, merged in order.
  template <class T>
  static T accept(T messages) {
    return messages;
  }
  /// One message.
  template <class T>
  static T accept(Message message) {
    T out;
    out.push_back(std::move(message));
    return out;
  }

  /// Merges `update` into `current` with LangGraph's exact semantics:
  /// 1. every message of `current` and of `update` without an id gets a fresh uuid4 string;
  /// 2. if `update` holds a RemoveMessage(sg::REMOVE_ALL_MESSAGES), `current` becomes exactly the
  ///    messages after the last such marker in `update` (taken as they are: not merged by id);
  /// 3. otherwise, in order: a message whose id is already present replaces it in place (keeping
  ///    its position); RemoveMessage(id) of a present id marks it for deletion (a later message
  ///    of the same `update` with that id replaces it and un-marks it); a new id is appended;
  /// 4. marked messages are removed at the end.
  /// @throws std::invalid_argument when a RemoveMessage names an id that is not present
  ///         ("Attempting to delete a message with an ID that doesn't exist ('x')"); inside a
  ///         graph this becomes sg::InvalidUpdate [sg.update.205] and nothing of the step is
  ///         saved. `current` is unspecified after a throw (the engine discards it).
  /// @return the smallest index of the old `current` whose element changed or was removed:
  ///         old size when the update only appended, 0 after a remove-all. An id assigned to an
  ///         old message counts as a change; replacing a message by an equal one does not.
  static std::size_t merge(Messages& current, Messages&& update);

  /// The reducer protocol: folds one write into the field.
  template <class T>
  void reduce(T& current, T&& update) const {
    static_assert(std::is_same_v<T, Messages>, "sg::add_messages reduces a field of type sg::Messages");
    merge(current, std::move(update));
  }

  /// The delta-tracking extension: like reduce, returning where `current` changed (see merge).
  template <class T>
  std::size_t reduce_tracked(T& current, T&& update) const {
    static_assert(std::is_same_v<T, Messages>, "sg::add_messages reduces a field of type sg::Messages");
    return merge(current, std::move(update));
  }

  /// LangGraph's call form `add_messages(left, right)`: returns the merged list.
  /// @throws std::invalid_argument as merge does.
  Messages operator()(Messages left, Messages right) const {
    merge(left, std::move(right));
    return left;
  }
  Messages operator()(Messages left, Message right) const {
    Messages r;
    r.push_back(std::move(right));
    return (*this)(std::move(left), std::move(r));
  }
};

/// The reducer of message lists: `sg::field<&S::messages>("messages", sg::add_messages)`.
inline constexpr AddMessages add_messages{};

/// A state holding only a conversation (LangGraph's `MessagesState`): field "messages" reduced by
/// sg::add_messages. Use it directly or as the model for your own state.
struct MessagesState {
  Messages messages;
};

}  // namespace sg

template <>
struct sg::state_schema<sg::MessagesState> {
  static constexpr auto fields = sg::fields(sg::field<&sg::MessagesState::messages>("messages", sg::add_messages));
};
