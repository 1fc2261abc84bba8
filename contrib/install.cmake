# What `cmake --install` puts beside the binary: the man page, bash completion, the systemd
# service and timer with their runner, and the Nagios/Icinga plugin. Paths follow
# GNUInstallDirs, so a Debian package (prefix /usr) gets /usr/share/man/man1/atscheck.1,
# /usr/share/bash-completion/completions/atscheck, /lib/systemd/system-style units under
# <prefix>/lib/systemd/system, and /usr/lib/nagios/plugins/check_atscheck. The unit names the
# runner by its absolute path: configure with the prefix you install to (-DCMAKE_INSTALL_PREFIX=/usr).
set(ATS_BINDIR ${CMAKE_INSTALL_FULL_BINDIR})
set(ATS_LIBEXECDIR ${CMAKE_INSTALL_FULL_LIBEXECDIR}/atscheck)
configure_file(${CMAKE_CURRENT_LIST_DIR}/systemd/atscheck.service.in
               ${CMAKE_BINARY_DIR}/contrib/atscheck.service @ONLY)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/man/atscheck.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/completion/atscheck.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME atscheck)
install(FILES ${CMAKE_BINARY_DIR}/contrib/atscheck.service
              ${CMAKE_CURRENT_LIST_DIR}/systemd/atscheck.timer
        DESTINATION lib/systemd/system)
install(PROGRAMS ${CMAKE_CURRENT_LIST_DIR}/systemd/atscheck-textfile
        DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/atscheck)
install(PROGRAMS ${CMAKE_CURRENT_LIST_DIR}/nagios/check_atscheck DESTINATION lib/nagios/plugins)
