# cmake -DROOT=<source dir> -DRULES=<rules> [-DSTAMP=<file>] -P CheckModuleIncludes.cmake
#
# The collector's module boundaries (collector/CMakeLists.txt), checked on every build:
# a file of collector/<module>/ may include "collector/<other>/..." only when <other> is
# one of <module>'s declared dependencies, and never the program's own collector/*.h.
# Modules are declared in dependency order, so the declared graph has no cycle; with
# this check, neither has the code. RULES: "module:dep,dep|module:dep|...".
cmake_minimum_required(VERSION 3.25)
if(NOT ROOT OR NOT RULES)
  message(FATAL_ERROR "usage: cmake -DROOT=DIR -DRULES=RULES [-DSTAMP=FILE] -P ${CMAKE_SCRIPT_MODE_FILE}")
endif()
string(REPLACE "|" ";" RULES "${RULES}")
set(failures "")
foreach(rule IN LISTS RULES)
  string(REPLACE ":" ";" parts "${rule}")
  list(GET parts 0 module)
  set(allowed "")
  list(LENGTH parts n)
  if(n GREATER 1)
    list(GET parts 1 deps)
  else()
    set(deps "")
  endif()
  if(deps)
    string(REPLACE "," ";" allowed "${deps}")
  endif()
  list(APPEND allowed ${module})
  file(GLOB_RECURSE files "${ROOT}/collector/${module}/*.h" "${ROOT}/collector/${module}/*.cpp")
  foreach(f IN LISTS files)
    file(STRINGS "${f}" includes REGEX "^[ \t]*#[ \t]*include[ \t]*\"collector/")
    file(RELATIVE_PATH rel "${ROOT}" "${f}")
    foreach(line IN LISTS includes)
      string(REGEX MATCH "\"collector/([^\"]*)\"" _ "${line}")
      set(path "${CMAKE_MATCH_1}")
      if(path MATCHES "^([a-z0-9_]+)/")
        set(target "${CMAKE_MATCH_1}")
        if(NOT target IN_LIST allowed)
          string(APPEND failures
            "\n  ${rel} includes collector/${path}, but module '${module}' does not depend on "
            "'${target}': declare it in collector/CMakeLists.txt (posture_collector_module "
            "${module} DEPENDS ...), which refuses a cycle, or move the code")
        endif()
      else()
        string(APPEND failures
          "\n  ${rel} includes collector/${path}, the program's own header: modules never "
          "include the program that assembles them")
      endif()
    endforeach()
  endforeach()
endforeach()
if(failures)
  message(FATAL_ERROR "collector module boundaries broken:${failures}")
endif()
if(STAMP)
  file(TOUCH "${STAMP}")
endif()
