# stategraph::postgres — PostgresSaver over libpqxx 6.4. Debian's libpqxx ships only a pkg-config
# file (no CMake config). libpqxx stays private: postgres_saver.hpp includes no libpq or pqxx
# header, and only src/postgres_*.cpp include them. GLOBAL makes PkgConfig::PQXX visible to the
# Postgres tests (tests/checkpoint/postgres_tests.cmake), which use libpqxx to inspect and damage
# the database behind the saver's back.
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET GLOBAL libpqxx)

add_library(sg_postgres
  src/postgres_admin.cpp
  src/postgres_connection.cpp
  src/postgres_rows.cpp
  src/run_store_postgres.cpp
  src/postgres_saver.cpp
  src/postgres_schema.cpp
  src/postgres_statements.cpp
  src/postgres_thread_lock.cpp)
add_library(stategraph::postgres ALIAS sg_postgres)
set_target_properties(sg_postgres PROPERTIES EXPORT_NAME postgres OUTPUT_NAME stategraph_postgres)
target_compile_features(sg_postgres PUBLIC cxx_std_20)
target_link_libraries(sg_postgres
  PUBLIC stategraph::checkpoint
  PRIVATE PkgConfig::PQXX $<BUILD_INTERFACE:sg_warnings>)
