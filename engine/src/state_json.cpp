// sg::update_from_json's one implementation (state_json.hpp).
#include "stategraph/state_json.hpp"

#include <exception>
#include <string>

#include "stategraph/errors.hpp"

namespace sg::detail {

std::vector<ErasedWrite> writes_from_json(const StateOps& ops, const nlohmann::json& j) {
  if (!j.is_object()) throw_state_not_object(j.type_name());
  std::vector<ErasedWrite> out;
  out.reserve(j.size());
  for (const auto& [key, value] : j.items()) {
    std::uint32_t index = 0;
    while (index < ops.fields.size() && ops.fields[index].name != key) ++index;
    if (index == ops.fields.size()) {
      std::string known;
      for (const auto& f : ops.fields) known += (known.empty() ? "" : ", ") + f.name;
      throw StateError(ErrorId::state_value_does_not_convert,
                       "the state has no field \"" + key + "\" (its fields: " + known + ")");
    }
    const FieldOps& field = ops.fields[index];
    try {
      out.push_back(field.decode_write(index, value));
    } catch (const StateError&) {
      // One element where the update type is a list (a single message for an add_messages
      // field, as LangGraph's reducers take it); else the error of the value as given.
      if (value.is_array() || value.is_null()) throw;
      const std::exception_ptr first = std::current_exception();
      try {
        out.push_back(field.decode_write(index, nlohmann::json::array({value})));
      } catch (const StateError&) {
        std::rethrow_exception(first);
      }
    }
  }
  return out;
}

}  // namespace sg::detail
