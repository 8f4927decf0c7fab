# Install rules and the exported package, in components:
#
#   find_package(stategraph)                                   stategraph::checkpoint, ::engine
#   find_package(stategraph COMPONENTS sqlite postgres nodes)  + ::sqlite, ::postgres, ::nodes
#   find_package(stategraph COMPONENTS store)                  + ::store (open_store; loads sqlite, postgres)
#
# Each component has its own targets file (stategraph-<component>-targets.cmake) and its own
# dependencies, which stategraphConfig.cmake looks for only when that component is requested; so a
# consumer of the engine alone needs no libpqxx, SQLite or libcurl development package. The
# libraries are static, so a backend's private library (libsqlite3, libpqxx, libcurl) is a link
# dependency of its component's consumers. The flags target sg_warnings is linked as
# $<BUILD_INTERFACE:...> only, so it is neither exported nor seen by consumers.
include(CMakePackageConfigHelpers)

set(SG_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/stategraph")

# sg_install_component(COMPONENT TARGET...): installs the targets into export set
# stategraph-COMPONENT-targets, written to stategraph-COMPONENT-targets.cmake.
function(sg_install_component component)
  install(TARGETS ${ARGN}
          EXPORT stategraph-${component}-targets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(EXPORT stategraph-${component}-targets NAMESPACE stategraph:: DESTINATION ${SG_INSTALL_CMAKEDIR})
endfunction()

# The core (always loaded): the checkpoint layer and the engine.
sg_install_component(core sg_checkpoint sg_engine)
set(SG_INSTALLED_COMPONENTS "")
# stategraph::sqlite (checkpoint/sqlite.cmake) links libsqlite3 privately (SQLite::SQLite3).
if(TARGET sg_sqlite)
  sg_install_component(sqlite sg_sqlite)
  list(APPEND SG_INSTALLED_COMPONENTS sqlite)
endif()
# stategraph::postgres (checkpoint/postgres.cmake) links libpqxx privately (PkgConfig::PQXX).
if(TARGET sg_postgres)
  sg_install_component(postgres sg_postgres)
  list(APPEND SG_INSTALLED_COMPONENTS postgres)
endif()
# stategraph::store (checkpoint/CMakeLists.txt): open_store over both backends.
if(TARGET sg_store)
  sg_install_component(store sg_store)
  list(APPEND SG_INSTALLED_COMPONENTS store)
endif()
# stategraph::nodes (nodes/) links libcurl privately (CURL::libcurl, the OpenAI client).
if(TARGET sg_nodes)
  sg_install_component(nodes sg_nodes)
  list(APPEND SG_INSTALLED_COMPONENTS nodes)
endif()

install(DIRECTORY checkpoint/include/ engine/include/ nodes/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

configure_package_config_file(cmake/stategraphConfig.cmake.in
  "${CMAKE_CURRENT_BINARY_DIR}/stategraphConfig.cmake"
  INSTALL_DESTINATION ${SG_INSTALL_CMAKEDIR})
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/stategraphConfigVersion.cmake"
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/stategraphConfig.cmake"
              "${CMAKE_CURRENT_BINARY_DIR}/stategraphConfigVersion.cmake"
        DESTINATION ${SG_INSTALL_CMAKEDIR})
