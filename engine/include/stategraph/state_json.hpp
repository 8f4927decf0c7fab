#pragma once
/// @file
/// sg::to_json(state) and sg::from_json<S>(json): a typed state as the JSON object
/// `{field name: value}` its checkpoints store (field names from sg::state_schema<S>, values
/// through each field type's ADL to_json/from_json).
///
/// @code{.cpp}
/// nlohmann::json j = sg::to_json(result.values);    // {"log": [...], "visits": 2}
/// auto s = sg::from_json<State>(j);                 // missing fields keep their defaults
/// @endcode
///
/// The one-argument forms never collide with nlohmann's two-argument ADL hooks
/// (`to_json(json&, const T&)`); a state may still define those too.
/// sg::update_from_json<S>(json) reads a write set in the same shape (a run's input, an
/// update_state over HTTP).
/// LangGraph has no counterpart: a Python state is already a dict.
///
/// Thread-safety: pure functions of their arguments.

#include <nlohmann/json.hpp>

#include "stategraph/detail/state_ops.hpp"
#include "stategraph/state_schema.hpp"
#include "stategraph/update.hpp"

namespace sg {

namespace detail {
/// Throws sg::StateError [sg.state.501]: a state's JSON is not an object.
[[noreturn]] void throw_state_not_object(std::string_view got);
/// The writes of a JSON object {field name: update value} for the fields of `ops`.
std::vector<ErasedWrite> writes_from_json(const StateOps& ops, const nlohmann::json& j);
}  // namespace detail

/// Every field of `state`, by its schema name.
/// @throws StateError [sg.state.501] naming the field whose value does not serialise.
template <State S>
[[nodiscard]] nlohmann::json to_json(const S& state) {
  return detail::encode_state(state);
}

/// A state from a JSON object `{field name: value}`; fields missing from `j` keep the struct's
/// defaults, keys that name no field are ignored (as an old checkpoint's are).
/// @throws StateError [sg.state.501] when `j` is not an object, or naming the field whose value
///         does not convert to its C++ type.
template <State S>
[[nodiscard]] S from_json(const nlohmann::json& j) {
  if (!j.is_object()) detail::throw_state_not_object(j.type_name());
  return detail::decode_state<S>(j);
}

/// The writes of a JSON object `{field name: value}`, in the object's key order, each through its
/// field's reducer when applied (LangGraph: the dict a node returns or a run takes as input).
/// A value is the field's update type as JSON (a list of messages, or one message, for an
/// sg::add_messages field; `{"__overwrite__": value}` replaces the field whatever its reducer).
/// @throws StateError [sg.state.501] when `j` is not an object, when a key names no field
///         (LangGraph ignores such keys; a server's client is better told), or naming the field
///         whose value does not convert to its update type.
template <State S>
[[nodiscard]] Update<S> update_from_json(const nlohmann::json& j) {
  Update<S> out;
  for (auto& w : detail::writes_from_json(*detail::make_state_ops<S>(), j)) out.add(FieldWrite<S>{std::move(w)});
  return out;
}

}  // namespace sg
