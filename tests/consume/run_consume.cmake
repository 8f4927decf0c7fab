# cmake -P script behind the "consume: ..." tests (tests/consume/CMakeLists.txt).
# SG_MODE=install (default):
#   1. cmake --install <main build> --prefix <work>/prefix
#   2. configure SG_PROJECT_DIR (tests/consume/project or components) with
#      -DCMAKE_PREFIX_PATH=<work>/prefix
#   3. build it, and check that find_package took the package from that prefix
#   4. run it (it checks its own results and exits non-zero on a mismatch)
# SG_MODE=subdirectory: configure SG_PROJECT_DIR (tests/consume/subdirectory) with
#   -DSG_SOURCE_DIR=<the stategraph source tree>, build it and run it (no install).
# Inputs (-D): SG_BUILD_DIR SG_PROJECT_DIR SG_WORK_DIR SG_GENERATOR SG_CXX_COMPILER
#              [SG_MODE] [SG_SOURCE_DIR] [SG_MAKE_PROGRAM] [SG_CONFIG] [SG_LAUNCHER]
cmake_minimum_required(VERSION 3.21)

foreach(var SG_BUILD_DIR SG_PROJECT_DIR SG_WORK_DIR SG_GENERATOR SG_CXX_COMPILER)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_consume.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT SG_CONFIG)
  set(SG_CONFIG Release)
endif()
if(NOT SG_MODE)
  set(SG_MODE install)
endif()

set(prefix "${SG_WORK_DIR}/prefix")
set(build "${SG_WORK_DIR}/build")
file(REMOVE_RECURSE "${SG_WORK_DIR}")
file(MAKE_DIRECTORY "${SG_WORK_DIR}")

function(step name)
  string(REPLACE ";" " " shown "${ARGN}")
  message(STATUS "[consume] ${name}: ${shown}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "[consume] ${name} failed (${rc})")
  endif()
endfunction()

set(configure_args
  -S "${SG_PROJECT_DIR}" -B "${build}" -G "${SG_GENERATOR}"
  "-DCMAKE_BUILD_TYPE=${SG_CONFIG}"
  "-DCMAKE_CXX_COMPILER=${SG_CXX_COMPILER}"
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(SG_MAKE_PROGRAM)
  list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${SG_MAKE_PROGRAM}")
endif()
if(SG_LAUNCHER)
  list(APPEND configure_args "-DCMAKE_CXX_COMPILER_LAUNCHER=${SG_LAUNCHER}")
endif()

if(SG_MODE STREQUAL "subdirectory")
  if(NOT SG_SOURCE_DIR)
    message(FATAL_ERROR "run_consume.cmake: SG_MODE=subdirectory needs -DSG_SOURCE_DIR=...")
  endif()
  # This builds the engine from source a second time: Debug (no optimisation) compiles it in a
  # fraction of Release's time, and the test is about the wiring, not the code generated.
  set(SG_CONFIG Debug)
  list(FILTER configure_args EXCLUDE REGEX "^-DCMAKE_BUILD_TYPE=")
  list(APPEND configure_args -DCMAKE_BUILD_TYPE=Debug)
  step(configure "${CMAKE_COMMAND}" ${configure_args} "-DSG_SOURCE_DIR=${SG_SOURCE_DIR}")
  step(build "${CMAKE_COMMAND}" --build "${build}" --config "${SG_CONFIG}" --target consume)
  if(EXISTS "${build}/${SG_CONFIG}/consume")
    step(run "${build}/${SG_CONFIG}/consume")
  else()
    step(run "${build}/consume")
  endif()
  message(STATUS "[consume] OK: built with add_subdirectory and ran")
  return()
endif()

step(install "${CMAKE_COMMAND}" --install "${SG_BUILD_DIR}" --prefix "${prefix}" --config "${SG_CONFIG}")
step(configure "${CMAKE_COMMAND}" ${configure_args} "-DCMAKE_PREFIX_PATH=${prefix}")

# The package must come from the fresh prefix, not from the build tree or the system.
file(STRINGS "${build}/CMakeCache.txt" found_dir REGEX "^stategraph_DIR:")
string(REGEX REPLACE "^stategraph_DIR:[A-Z]+=" "" found_dir "${found_dir}")
file(REAL_PATH "${prefix}" real_prefix)
file(REAL_PATH "${found_dir}" real_found_dir)
string(FIND "${real_found_dir}/" "${real_prefix}/" at)
if(NOT at EQUAL 0)
  message(FATAL_ERROR "[consume] find_package(stategraph) used '${found_dir}', not the prefix '${prefix}'")
endif()

step(build "${CMAKE_COMMAND}" --build "${build}" --config "${SG_CONFIG}")

if(EXISTS "${build}/${SG_CONFIG}/consume")
  set(exe "${build}/${SG_CONFIG}/consume")   # multi-config generators
else()
  set(exe "${build}/consume")
endif()
step(run "${exe}")
message(STATUS "[consume] OK: installed package found, built and ran")
