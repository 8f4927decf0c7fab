#pragma once
/// @file
/// Typed state: a plain struct plus a one-time schema naming its fields and their reducers.
///
/// @code{.cpp}
/// struct ChatState {
///   std::vector<std::string> log;
///   int turns = 0;
///   std::string language = "English";
/// };
/// template <> struct sg::state_schema<ChatState> {
///   static constexpr auto fields = sg::fields(
///       sg::field<&ChatState::log>("log", sg::append),
///       sg::field<&ChatState::turns>("turns", sg::add),
///       sg::field<&ChatState::language>("language"));   // no reducer: last value wins
/// };
/// @endcode
///
/// Each field becomes a channel named by its field name; those names are the stable keys of
/// checkpoints and of sg-checkpoints, so renaming a field is a schema migration. Field values are
/// serialised with nlohmann::json (ADL `to_json`/`from_json`). A field missing from an older
/// checkpoint loads as the struct's default, so adding a field never breaks old threads.
///
/// Checked at compile time: a field of another struct, a member declared twice, two fields with
/// one name, an empty name (tests/compile_fail). Follows LangGraph's `StateGraph(state_schema)`
/// with `Annotated[T, reducer]` keys (langchain-ai/langgraph: libs/langgraph/langgraph/graph/state.py).

#include <array>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "stategraph/reducers.hpp"

namespace sg {

/// Specialise for your state type with `static constexpr auto fields = sg::fields(...)`.
template <class S>
struct state_schema;

namespace detail {

template <class M>
struct member_traits;
template <class C, class T>
struct member_traits<T C::*> {
  using class_type = C;
  using value_type = T;
};

}  // namespace detail

/// One field of a state schema: the member, its stable name and its reducer.
template <auto Member, class Reducer>
struct Field {
  using state_type = typename detail::member_traits<decltype(Member)>::class_type;
  using value_type = typename detail::member_traits<decltype(Member)>::value_type;
  using reducer_type = Reducer;
  using update_type = typename Reducer::template update_type<value_type>;
  static constexpr auto member = Member;

  const char* name;
  Reducer reducer;
};

/// Declares a field: `sg::field<&S::member>("name")` (last value wins) or
/// `sg::field<&S::member>("name", reducer)` where reducer is sg::append, sg::add,
/// sg::last_value, sg::reducer<U>(fn), a non-generic callable `T(T, U)`, or a reducer object
/// from another module (sg::add_messages).
template <auto Member, class R = LastValue>
constexpr auto field(const char* name, R reducer = {}) {
  static_assert(std::is_member_object_pointer_v<decltype(Member)>,
                "sg::field<&S::member>: the template argument must point to a data member");
  using T = typename detail::member_traits<decltype(Member)>::value_type;
  auto r = detail::as_reducer<T>(std::move(reducer));
  return Field<Member, decltype(r)>{name, std::move(r)};
}

/// Collects a schema's fields.
template <class... F>
constexpr auto fields(F... f) {
  return std::tuple<F...>{f...};
}

namespace detail {

constexpr bool same_name(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

template <class S>
using fields_tuple_t = std::remove_cvref_t<decltype(state_schema<S>::fields)>;

template <class S>
inline constexpr std::size_t field_count_v = std::tuple_size_v<fields_tuple_t<S>>;

template <class S, std::size_t I>
using field_t = std::tuple_element_t<I, fields_tuple_t<S>>;

template <class S, std::size_t I, std::size_t J>
constexpr bool same_member() {
  using A = field_t<S, I>;
  using B = field_t<S, J>;
  if constexpr (std::is_same_v<decltype(A::member), decltype(B::member)>) {
    return A::member == B::member;
  } else {
    return false;
  }
}

template <class S>
constexpr bool names_unique() {
  const auto names = std::apply(
      [](const auto&... f) { return std::array<const char*, sizeof...(f)>{f.name...}; }, state_schema<S>::fields);
  for (std::size_t i = 0; i < names.size(); ++i)
    for (std::size_t j = i + 1; j < names.size(); ++j)
      if (same_name(names[i], names[j])) return false;
  return true;
}

template <class S>
constexpr bool names_nonempty() {
  return std::apply([](const auto&... f) { return ((f.name != nullptr && f.name[0] != '\0') && ...); },
                    state_schema<S>::fields);
}

template <class S>
constexpr bool members_unique() {
  return []<std::size_t... I>(std::index_sequence<I...>) {
    return ([]<std::size_t A>(std::integral_constant<std::size_t, A>) {
      return []<std::size_t... J>(std::index_sequence<J...>) {
        return ((J <= A || !same_member<S, A, J>()) && ...);
      }(std::make_index_sequence<field_count_v<S>>{});
    }(std::integral_constant<std::size_t, I>{}) && ...);
  }(std::make_index_sequence<field_count_v<S>>{});
}

template <class S>
constexpr bool members_of_state() {
  return []<std::size_t... I>(std::index_sequence<I...>) {
    return (std::is_same_v<typename field_t<S, I>::state_type, S> && ...);
  }(std::make_index_sequence<field_count_v<S>>{});
}

/// Index of the field declared for `Member`, or field_count_v<S> when there is none.
template <class S, auto Member>
constexpr std::size_t field_index() {
  return []<std::size_t... I>(std::index_sequence<I...>) {
    std::size_t found = field_count_v<S>;
    ((found = (found == field_count_v<S> && [] {
                 using F = field_t<S, I>;
                 if constexpr (std::is_same_v<std::remove_cv_t<decltype(F::member)>, decltype(Member)>) {
                   return F::member == Member;
                 } else {
                   return false;
                 }
               }())
                  ? I
                  : found),
     ...);
    return found;
  }(std::make_index_sequence<field_count_v<S>>{});
}

}  // namespace detail

/// True when S has a state_schema specialisation with a `fields` tuple.
template <class S>
concept State = requires { state_schema<S>::fields; } && std::is_default_constructible_v<S> &&
                std::is_copy_constructible_v<S>;

/// Compile-time validation of a schema; every StateGraph<S> instantiates it.
template <State S>
constexpr bool validate_schema() {
  static_assert(detail::members_of_state<S>(),
                "sg::state_schema<S>: every sg::field<&X::m> must name a member of S itself");
  static_assert(detail::members_unique<S>(),
                "sg::state_schema<S>: a member is declared twice");
  static_assert(detail::names_nonempty<S>(), "sg::state_schema<S>: a field name is empty");
  static_assert(detail::names_unique<S>(), "sg::state_schema<S>: two fields have the same name");
  return true;
}

}  // namespace sg
