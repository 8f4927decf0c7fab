# SqliteSaver tests. The conformance suite picks up SqliteFactory (sqlite_factory.hpp) by itself;
# this adds the SQLite-specific cases (bad input, damaged rows, schema versions, storage) and the
# multi-process cases, which run the helper sg_sqlite_child (lock holder, crash victim).
find_package(SQLite3 REQUIRED)  # the tests edit databases directly to damage them

add_executable(sg_sqlite_child sqlite_child.cpp)
target_link_libraries(sg_sqlite_child PRIVATE stategraph::sqlite stategraph::engine sg_warnings)

target_sources(test_checkpoint PRIVATE sqlite_saver.cpp sqlite_writer.cpp sqlite_integrity.cpp sqlite_processes.cpp format1_fixture.cpp)
target_link_libraries(test_checkpoint PRIVATE stategraph::sqlite SQLite::SQLite3)
target_compile_definitions(test_checkpoint PRIVATE SG_SQLITE_CHILD="$<TARGET_FILE:sg_sqlite_child>"
                                                   SG_CHECKPOINT_FIXTURES="${CMAKE_CURRENT_SOURCE_DIR}/fixtures")
add_dependencies(test_checkpoint sg_sqlite_child)

# The generator of the format-1 fixture (fixtures/format1.db); built so that it keeps compiling,
# never run by the tests (see fixtures/make_format1_fixture.cpp).
add_executable(sg_make_format1_fixture fixtures/make_format1_fixture.cpp)
target_link_libraries(sg_make_format1_fixture PRIVATE stategraph::sqlite stategraph::engine sg_warnings)
