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
/// LangGraph has no counterpart: a Python state is already a dict.
///
/// Thread-safety: pure functions of their arguments.

#include <nlohmann/json.hpp>

#include "stategraph/detail/state_ops.hpp"
#include "stategraph/state_schema.hpp"

namespace sg {

namespace detail {
/// Throws sg::StateError [sg.state.501]: a state's JSON is not an object.
[[noreturn]] void throw_state_not_object(std::string_view got);
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

}  // namespace sg
