# Run by cpack (CPACK_PROJECT_CONFIG_FILE) in a cross build, where dpkg-shlibdeps cannot find the
# target's libraries in this machine's dpkg database. Sets CPACK_DEBIAN_PACKAGE_DEPENDS with
# contrib/cross/deb-depends from the target packages' symbols and shlibs files: those in the
# sysroot (contrib/cross/sysroot keeps them in SYSROOT/var/lib/dpkg/info/PACKAGE/), else the
# multiarch ones installed here (/var/lib/dpkg/info/PACKAGE:ARCH.symbols).
if(NOT CPACK_GENERATOR STREQUAL "DEB" OR NOT CPACK_ATS_BINARY)
  return()
endif()
if(CPACK_ATS_SHLIBS_ROOT)
  file(GLOB _control ${CPACK_ATS_SHLIBS_ROOT}/var/lib/dpkg/info/*/symbols
                     ${CPACK_ATS_SHLIBS_ROOT}/var/lib/dpkg/info/*/shlibs)
else()
  file(GLOB _control /var/lib/dpkg/info/*:${CPACK_DEBIAN_PACKAGE_ARCHITECTURE}.symbols
                     /var/lib/dpkg/info/*:${CPACK_DEBIAN_PACKAGE_ARCHITECTURE}.shlibs)
endif()
execute_process(
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/deb-depends ${CPACK_ATS_READELF} ${CPACK_ATS_BINARY} ${_control}
  OUTPUT_VARIABLE CPACK_DEBIAN_PACKAGE_DEPENDS OUTPUT_STRIP_TRAILING_WHITESPACE
  RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0 OR NOT CPACK_DEBIAN_PACKAGE_DEPENDS)
  message(FATAL_ERROR "deb-depends: could not compute Depends for ${CPACK_ATS_BINARY}")
endif()
# libcurl and libzint are opened at run time, not linked: added by name (CMakeLists.txt).
string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", ${CPACK_ATS_RUNTIME_DEPENDS}")
