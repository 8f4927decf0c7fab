# stategraph::warnings — flags live in an interface target, never in CMAKE_CXX_FLAGS.
# Linked PRIVATE by every stategraph target, so nothing leaks to consumers.
add_library(sg_warnings INTERFACE)
add_library(stategraph::warnings ALIAS sg_warnings)
target_compile_options(sg_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wimplicit-fallthrough
  -Wno-missing-field-initializers  # g++ 12 flags designated initializers that omit members
  $<$<BOOL:${SG_WARNINGS_AS_ERRORS}>:-Werror>)
# nlohmann_json: implicit conversions off in our build, so state access stays explicit.
target_compile_definitions(sg_warnings INTERFACE JSON_USE_IMPLICIT_CONVERSIONS=0)

if(SG_SANITIZE)
  # -Wno-maybe-uninitialized: g++ 12 reports false positives inside std::regex under ASan.
  target_compile_options(sg_warnings INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                               -fno-sanitize-recover=undefined -Wno-maybe-uninitialized)
  target_link_options(sg_warnings INTERFACE -fsanitize=address,undefined)
endif()
