# Finds the llhttp C sources and header that Debian's node-llhttp package installs
# (/usr/share/llhttp/*.c and /usr/share/include/llhttp/llhttp.h). They are compiled by
# the caller into a static library; nothing is vendored.
#   LLHTTP_INCLUDE_DIR   folder holding llhttp.h
#   LLHTTP_SOURCES       api.c, http.c, llhttp.c
find_path(LLHTTP_INCLUDE_DIR NAMES llhttp.h
          PATHS /usr/share/include/llhttp /usr/local/share/include/llhttp
          PATH_SUFFIXES llhttp)
find_path(LLHTTP_SOURCE_DIR NAMES llhttp.c api.c http.c
          PATHS /usr/share/llhttp /usr/local/share/llhttp)
if(LLHTTP_SOURCE_DIR)
  set(LLHTTP_SOURCES ${LLHTTP_SOURCE_DIR}/api.c ${LLHTTP_SOURCE_DIR}/http.c
                     ${LLHTTP_SOURCE_DIR}/llhttp.c)
endif()
if(LLHTTP_INCLUDE_DIR AND EXISTS "${LLHTTP_INCLUDE_DIR}/llhttp.h")
  file(STRINGS "${LLHTTP_INCLUDE_DIR}/llhttp.h" _llhttp_v REGEX "^#define LLHTTP_VERSION_(MAJOR|MINOR|PATCH) ")
  string(REGEX REPLACE ".*MAJOR ([0-9]+).*" "\\1" _maj "${_llhttp_v}")
  string(REGEX REPLACE ".*MINOR ([0-9]+).*" "\\1" _min "${_llhttp_v}")
  string(REGEX REPLACE ".*PATCH ([0-9]+).*" "\\1" _pat "${_llhttp_v}")
  set(LLHTTP_VERSION "${_maj}.${_min}.${_pat}")
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(LLHTTP
    REQUIRED_VARS LLHTTP_INCLUDE_DIR LLHTTP_SOURCE_DIR VERSION_VAR LLHTTP_VERSION
    REASON_FAILURE_MESSAGE "install Debian's node-llhttp package (scripts/install-deps.sh does)")
mark_as_advanced(LLHTTP_INCLUDE_DIR LLHTTP_SOURCE_DIR)
