#pragma once
/// @file
/// Internal: the type-erased operations the engine performs on a state type S, generated once per
/// S from its state_schema. Not part of the public API.

#include <cstddef>
#include <algorithm>
#include <exception>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <typeindex>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "stategraph/update.hpp"

namespace sg::detail {

/// Throws sg::StateError [sg.state.501] naming the field; defined in the engine library.
[[noreturn]] void throw_field_decode_error(std::string_view field, std::string_view what);
/// Throws sg::StateError [sg.state.501] for a value that does not serialise.
[[noreturn]] void throw_field_encode_error(std::string_view field, std::string_view what);

/// Operations on one field, erased.
struct FieldOps {
  std::string name;
  bool last_value = false;
  /// The field is a sequence whose JSON is an array and whose reducer reports what it changed:
  /// it may be checkpointed as a ChannelDelta.
  bool tracked = false;
  /// Folds `writes` (kind value or overwrite, already validated) into the field, in order.
  /// Returns the length of the prefix the writes left unchanged (0 when unknown).
  std::size_t (*apply)(void* state, std::span<const ErasedWrite* const> writes) = nullptr;
  /// Number of elements (tracked fields only).
  std::size_t (*size)(const void* state) = nullptr;
  /// JSON array of the elements from index `from` on (tracked fields only).
  nlohmann::json (*encode_tail)(const void* state, std::size_t from) = nullptr;
  /// Keeps the first `keep` elements of the field and appends the elements decoded from the JSON
  /// array `tail` (a stored ChannelDelta applied to an already decoded value). Tracked fields
  /// whose type has erase/insert only; null otherwise. @throws StateError [sg.state.501] when
  /// `tail` is not an array or an element does not convert (the field is then unspecified).
  void (*decode_tail)(void* state, std::size_t keep, const nlohmann::json& tail) = nullptr;
  nlohmann::json (*encode)(const void* state) = nullptr;
  void (*decode)(void* state, const nlohmann::json& j) = nullptr;
  /// A write's JSON: the update value, or {"__overwrite__": value}.
  nlohmann::json (*encode_write)(const ErasedWrite& w) = nullptr;
  ErasedWrite (*decode_write)(std::uint32_t index, const nlohmann::json& j) = nullptr;
};

/// Operations on a whole state, erased.
struct StateOps {
  std::type_index type = typeid(void);
  std::vector<FieldOps> fields;
  std::shared_ptr<void> (*make)() = nullptr;
  std::shared_ptr<void> (*copy)(const void* state) = nullptr;
};

/// T converts to and from nlohmann::json (ADL to_json/from_json, or a type nlohmann knows).
template <class T>
concept JsonConvertible = requires(const T& t, const nlohmann::json& j) {
  nlohmann::json(t);
  j.template get<T>();
};

/// Instantiated for each field's value and update type: a type without a JSON conversion stops
/// the build here, with the type named in the instantiation ("required from
/// field_json<YourType>") and nothing else after it.
template <class T>
struct field_json {
  static_assert(JsonConvertible<T>,
                "sg::state_schema<S>: a field's type (named in this instantiation, field_json<T>) does not "
                "convert to JSON, which checkpoints need: declare `void to_json(nlohmann::json&, const T&)` "
                "and `void from_json(const nlohmann::json&, T&)` next to T, or "
                "NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(T, members...)");
  static constexpr bool value = JsonConvertible<T>;
};

/// A sequence whose nlohmann JSON form is an array (vector, deque, list; not strings or maps).
template <class T>
concept SequenceLike = requires(const T& t) {
  typename T::value_type;
  t.size();
  t.begin();
  t.end();
} && !requires { typename T::key_type; } && !std::is_convertible_v<T, std::string_view>;

template <class T>
nlohmann::json to_json_value(std::string_view field, const T& v) {
  try {
    return nlohmann::json(v);
  } catch (const std::exception& e) {
    throw_field_encode_error(field, e.what());
  }
}

template <class T>
T from_json_value(std::string_view field, const nlohmann::json& j) {
  try {
    return j.template get<T>();
  } catch (const std::exception& e) {
    throw_field_decode_error(field, e.what());
  }
}

template <class S, std::size_t I>
FieldOps make_field_ops() {
  using F = field_t<S, I>;
  using T = typename F::value_type;
  using U = typename F::update_type;
  FieldOps ops;
  ops.name = std::get<I>(state_schema<S>::fields).name;
  ops.last_value = is_last_value_v<typename F::reducer_type>;
  ops.apply = [](void* state, std::span<const ErasedWrite* const> writes) -> std::size_t {
    T& cur = static_cast<S*>(state)->*(F::member);
    const auto& reducer = std::get<I>(state_schema<S>::fields).reducer;
    const ErasedWrite* over = nullptr;
    for (const ErasedWrite* w : writes)
      if (w->kind == WriteKind::overwrite) over = w;
    if (over != nullptr) {
      cur = *static_cast<const T*>(over->value.get());
      return 0;
    }
    std::size_t stable = static_cast<std::size_t>(-1);
    for (const ErasedWrite* w : writes) {
      // Each write value is immutable and shared with stream events; copy it into the reducer.
      U u = *static_cast<const U*>(w->value.get());
      if constexpr (TracksPrefix<typename F::reducer_type, T>) {
        stable = std::min(stable, static_cast<std::size_t>(reducer.template reduce_tracked<T>(cur, std::move(u))));
      } else {
        reducer.template reduce<T>(cur, std::move(u));
        stable = 0;
      }
    }
    return stable == static_cast<std::size_t>(-1) ? 0 : stable;
  };
  if constexpr (TracksPrefix<typename F::reducer_type, T> && SequenceLike<T>) {
    ops.tracked = true;
    ops.size = [](const void* state) -> std::size_t { return (static_cast<const S*>(state)->*(F::member)).size(); };
    ops.encode_tail = [](const void* state, std::size_t from) {
      const T& v = static_cast<const S*>(state)->*(F::member);
      nlohmann::json a = nlohmann::json::array();
      auto it = v.begin();
      std::advance(it, static_cast<std::ptrdiff_t>(std::min(from, v.size())));
      for (; it != v.end(); ++it) a.push_back(to_json_value(std::get<I>(state_schema<S>::fields).name, *it));
      return a;
    };
    if constexpr (requires(T& t, typename T::value_type e) {
                    t.erase(t.begin(), t.end());
                    t.insert(t.end(), std::move(e));
                  }) {
      ops.decode_tail = [](void* state, std::size_t keep, const nlohmann::json& tail) {
        const char* name = std::get<I>(state_schema<S>::fields).name;
        if (!tail.is_array()) throw_field_decode_error(name, "a stored tail of the list is not a JSON array");
        T& v = static_cast<S*>(state)->*(F::member);
        auto from = v.begin();
        std::advance(from, static_cast<std::ptrdiff_t>(std::min(keep, static_cast<std::size_t>(v.size()))));
        v.erase(from, v.end());
        // A copied vector has no spare room: grow it once, not by a reallocation per element.
        if constexpr (requires(std::size_t n) { v.reserve(n); }) v.reserve(v.size() + tail.size());
        for (const auto& e : tail) v.insert(v.end(), from_json_value<typename T::value_type>(name, e));
      };
    }
  }
  ops.encode = [](const void* state) {
    return to_json_value(std::get<I>(state_schema<S>::fields).name,
                         static_cast<const S*>(state)->*(F::member));
  };
  ops.decode = [](void* state, const nlohmann::json& j) {
    static_cast<S*>(state)->*(F::member) = from_json_value<T>(std::get<I>(state_schema<S>::fields).name, j);
  };
  ops.encode_write = [](const ErasedWrite& w) {
    const char* name = std::get<I>(state_schema<S>::fields).name;
    if (w.kind == WriteKind::overwrite)
      return nlohmann::json{{"__overwrite__", to_json_value(name, *static_cast<const T*>(w.value.get()))}};
    return to_json_value(name, *static_cast<const U*>(w.value.get()));
  };
  ops.decode_write = [](std::uint32_t index, const nlohmann::json& j) {
    const char* name = std::get<I>(state_schema<S>::fields).name;
    ErasedWrite w;
    w.channel = index;
    if (j.is_object() && j.size() == 1 && j.contains("__overwrite__")) {
      w.kind = WriteKind::overwrite;
      w.value = std::make_shared<T>(from_json_value<T>(name, j["__overwrite__"]));
    } else {
      w.kind = WriteKind::value;
      w.value = std::make_shared<U>(from_json_value<U>(name, j));
    }
    return w;
  };
  return ops;
}

/// make_field_ops when the field's types convert to JSON; else only field_json's static_assert
/// is reported (not pages of nlohmann errors).
template <class S, std::size_t I>
FieldOps make_checked_field_ops() {
  using F = field_t<S, I>;
  if constexpr (field_json<typename F::value_type>::value && field_json<typename F::update_type>::value) {
    return make_field_ops<S, I>();
  } else {
    return {};
  }
}

template <class S>
std::shared_ptr<const StateOps> make_state_ops() {
  static const std::shared_ptr<const StateOps> ops = [] {
    auto o = std::make_shared<StateOps>();
    o->type = typeid(S);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (o->fields.push_back(make_checked_field_ops<S, I>()), ...);
    }(std::make_index_sequence<field_count_v<S>>{});
    o->make = [] { return std::static_pointer_cast<void>(std::make_shared<S>()); };
    o->copy = [](const void* s) {
      return std::static_pointer_cast<void>(std::make_shared<S>(*static_cast<const S*>(s)));
    };
    return o;
  }();
  return ops;
}

/// Every field of `s` as an overwrite write (a subgraph of the same state type starts from its
/// parent's state).
template <class S>
std::vector<ErasedWrite> state_overwrites(const S& s) {
  std::vector<ErasedWrite> out;
  out.reserve(field_count_v<S>);
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (out.push_back(ErasedWrite{static_cast<std::uint32_t>(I), WriteKind::overwrite, 0,
                               std::make_shared<const typename field_t<S, I>::value_type>(s.*(field_t<S, I>::member))}),
     ...);
  }(std::make_index_sequence<field_count_v<S>>{});
  return out;
}

/// A state as a JSON object {field: value} (every field).
template <class S>
nlohmann::json encode_state(const S& s) {
  const auto& ops = *make_state_ops<S>();
  nlohmann::json j = nlohmann::json::object();
  for (const auto& f : ops.fields) j[f.name] = f.encode(&s);
  return j;
}

/// A state from a JSON object; missing fields keep their defaults.
template <class S>
S decode_state(const nlohmann::json& j) {
  const auto& ops = *make_state_ops<S>();
  S s{};
  for (const auto& f : ops.fields)
    if (auto it = j.find(f.name); it != j.end()) f.decode(&s, *it);
  return s;
}

}  // namespace sg::detail
