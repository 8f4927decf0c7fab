#pragma once
/// @file
/// Reducers: how the writes of one superstep merge into a state field.
///
/// A reducer is an object with
///   `using update_type = U;`                  — the type a write to the field carries, and
///   `void reduce(T& current, U&& update) const` — folds one write into the field.
/// Writes of one step are folded in LangGraph's deterministic order (pull tasks by node name,
/// then push tasks by Send index), so the result never depends on which task finished first.
/// A write may be given as any type a reducer's `accept` overloads take (one element for
/// `append`); it is converted to `update_type` when the write is made.
///
/// Optional, for list-valued fields: `std::size_t reduce_tracked(T& current, U&& update) const`
/// does what reduce does and returns the smallest index of `current` that changed (the old size
/// when the write only appended). The engine then checkpoints the field by what changed (a
/// ChannelDelta) instead of the whole list, so a conversation costs the same per step at turn
/// 5,000 as at turn 5.
///
/// Follows LangGraph's channels (langchain-ai/langgraph: libs/langgraph/langgraph/channels/):
/// last_value ↔ LastValue, a binary operator ↔ BinaryOperatorAggregate, Overwrite ↔ Overwrite.
///
/// Thread-safety: reducers are stateless values; reduce() may run on any thread.

#include <concepts>
#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

namespace sg {

/// The default reducer: the written value replaces the field. Two writes to such a field in one
/// superstep raise sg::InvalidUpdate [sg.update.201].
struct LastValue {
  static constexpr bool is_last_value = true;
  template <class T>
  using update_type = T;
  template <class T>
  static T accept(T value) { return value; }
  template <class T>
  void reduce(T& current, T&& update) const { current = std::move(update); }
};
inline constexpr LastValue last_value{};

/// Appends to a vector-like field: a write is one element or a whole vector of elements.
struct Append {
  template <class T>
  using update_type = T;  // always normalised to a vector
  template <class T>
  static T accept(T values) { return values; }
  template <class T>
  static T accept(typename T::value_type element) {
    T out;
    out.push_back(std::move(element));
    return out;
  }
  template <class T>
  void reduce(T& current, T&& update) const {
    current.insert(current.end(), std::make_move_iterator(update.begin()),
                   std::make_move_iterator(update.end()));
  }
  template <class T>
  std::size_t reduce_tracked(T& current, T&& update) const {
    const std::size_t before = current.size();
    reduce(current, std::move(update));
    return before;
  }
};
inline constexpr Append append{};

/// Adds numbers: current += update.
struct Add {
  template <class T>
  using update_type = T;
  template <class T>
  static T accept(T value) { return value; }
  template <class T>
  void reduce(T& current, T&& update) const { current += update; }
};
inline constexpr Add add{};

/// Wraps a user callable `T f(T current, U update)` (or `void f(T& current, U update)`) as a
/// reducer whose writes carry U. Usually written through sg::reducer<U>(f); a non-generic lambda
/// passed directly to sg::field is wrapped automatically with U deduced from its signature.
template <class U, class F>
struct CallableReducer {
  F fn;
  template <class T>
  using update_type = U;
  template <class T>
  static U accept(U value) { return value; }
  template <class T>
  void reduce(T& current, U&& update) const {
    if constexpr (std::is_invocable_r_v<T, const F&, T, U>) {
      current = fn(std::move(current), std::move(update));
    } else {
      static_assert(std::is_invocable_v<const F&, T&, U>,
                    "a reducer callable must be T(T current, U update) or void(T& current, U update)");
      fn(current, std::move(update));
    }
  }
};

/// Makes a reducer from a callable, naming the type U its writes carry:
/// `sg::reducer<int>([](int a, int b) { return std::max(a, b); })`.
template <class U, class F>
constexpr CallableReducer<U, std::decay_t<F>> reducer(F&& fn) {
  return {std::forward<F>(fn)};
}

/// A write that replaces a field's value without going through its reducer. Later non-Overwrite
/// writes to that field in the same step are ignored; two Overwrites of one field in one step
/// raise sg::InvalidUpdate [sg.update.202]. (LangGraph: langgraph/types.py `Overwrite`.)
template <class T>
struct Overwrite {
  T value;
};
template <class T>
Overwrite(T) -> Overwrite<T>;

namespace detail {

template <class F>
struct callable_traits : callable_traits<decltype(&F::operator())> {};
template <class C, class R, class A, class B>
struct callable_traits<R (C::*)(A, B) const> {
  using second = std::decay_t<B>;
};
template <class C, class R, class A, class B>
struct callable_traits<R (C::*)(A, B)> {
  using second = std::decay_t<B>;
};
template <class R, class A, class B>
struct callable_traits<R (*)(A, B)> {
  using second = std::decay_t<B>;
};

template <class R, class T>
concept ReducerFor = requires { typename R::template update_type<T>; };

template <class F>
concept NonGenericBinary = requires { typename callable_traits<std::decay_t<F>>::second; };

/// Turns what the user passed to sg::field into a reducer object.
template <class T, class R>
constexpr auto as_reducer(R r) {
  if constexpr (ReducerFor<R, T>) {
    return r;
  } else {
    static_assert(NonGenericBinary<R>,
                  "sg::field: the reducer is not an sg reducer and not a non-generic callable "
                  "(T, U); wrap a generic lambda with sg::reducer<U>(fn)");
    using U = typename callable_traits<std::decay_t<R>>::second;
    return CallableReducer<U, R>{std::move(r)};
  }
}

template <class R>
constexpr bool is_last_value_v = requires { requires R::is_last_value; };

template <class R, class T>
concept TracksPrefix = requires(const R& r, T& cur, typename R::template update_type<T>&& u) {
  { r.template reduce_tracked<T>(cur, std::move(u)) } -> std::convertible_to<std::size_t>;
};

}  // namespace detail
}  // namespace sg
