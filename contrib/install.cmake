# What `cmake --install` puts beside the binary: the man page (gzip -9n, as Debian wants it), bash
# completion, the systemd service and timer with their runner, the Nagios/Icinga plugin, and the
# package's documentation (DEP-5 copyright, changelog). Paths follow GNUInstallDirs, so a Debian
# package (prefix /usr) gets /usr/share/man/man1/atscheck.1.gz,
# /usr/share/bash-completion/completions/atscheck, units in /usr/lib/systemd/system,
# /usr/lib/nagios/plugins/check_atscheck and /usr/share/doc/atscheck/.
#
# The service names the binary and the runner by absolute path, so it is written at install time
# for the prefix being installed to, not the one configured: `cmake --install --prefix /opt/x`
# and cpack (which installs with CPACK_PACKAGING_INSTALL_PREFIX, /usr) each get their own paths.
install(CODE "
  set(_prefix \"\${CMAKE_INSTALL_PREFIX}\")
  set(ATS_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
  set(ATS_LIBEXECDIR \"${CMAKE_INSTALL_LIBEXECDIR}\")
  foreach(_dir ATS_BINDIR ATS_LIBEXECDIR)
    if(NOT IS_ABSOLUTE \"\${\${_dir}}\")
      set(\${_dir} \"\${_prefix}/\${\${_dir}}\")
    endif()
  endforeach()
  string(APPEND ATS_LIBEXECDIR /atscheck)
  # One scratch copy per install (cpack and cmake --install may run side by side), then removed.
  string(MD5 _tag \"\$ENV{DESTDIR}\${_prefix}\")
  set(_unit \"${CMAKE_BINARY_DIR}/contrib/unit-\${_tag}/atscheck.service\")
  configure_file(\"${CMAKE_CURRENT_LIST_DIR}/systemd/atscheck.service.in\" \"\${_unit}\" @ONLY)
  file(INSTALL DESTINATION \"\${_prefix}/lib/systemd/system\" TYPE FILE FILES \"\${_unit}\")
  file(REMOVE_RECURSE \"${CMAKE_BINARY_DIR}/contrib/unit-\${_tag}\")
")
install(FILES ${CMAKE_CURRENT_LIST_DIR}/systemd/atscheck.timer DESTINATION lib/systemd/system)
install(PROGRAMS ${CMAKE_CURRENT_LIST_DIR}/systemd/atscheck-textfile
        DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/atscheck)

# Compressed at build time, without name or time stamp (gzip -n), so the package is reproducible.
set(ATS_GZ_DIR ${CMAKE_BINARY_DIR}/contrib/gz)
foreach(pair "man/atscheck.1=atscheck.1.gz" "debian/changelog=changelog.gz")
  string(REPLACE "=" ";" pair "${pair}")
  list(GET pair 0 in)
  list(GET pair 1 out)
  add_custom_command(OUTPUT ${ATS_GZ_DIR}/${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${ATS_GZ_DIR}
    COMMAND sh -c "gzip -9n < \"$1\" > \"$2.tmp\" && mv \"$2.tmp\" \"$2\"" sh
            ${CMAKE_CURRENT_LIST_DIR}/${in} ${ATS_GZ_DIR}/${out}
    DEPENDS ${CMAKE_CURRENT_LIST_DIR}/${in} VERBATIM)
  list(APPEND ATS_GZ_FILES ${ATS_GZ_DIR}/${out})
endforeach()
add_custom_target(contrib_gz ALL DEPENDS ${ATS_GZ_FILES})
install(FILES ${ATS_GZ_DIR}/atscheck.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${ATS_GZ_DIR}/changelog.gz ${CMAKE_CURRENT_LIST_DIR}/debian/copyright
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/atscheck)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/completion/atscheck.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME atscheck)
install(PROGRAMS ${CMAKE_CURRENT_LIST_DIR}/nagios/check_atscheck DESTINATION lib/nagios/plugins)
