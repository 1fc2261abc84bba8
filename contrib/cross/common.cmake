# Shared by the toolchain files beside it (aarch64-linux-gnu.cmake, arm-linux-gnueabihf.cmake),
# which set ATS_CROSS_TRIPLET, ATS_CROSS_QEMU, CMAKE_SYSTEM_PROCESSOR and the Debian architecture.
#
# Libraries come from one of two places:
#   -DATS_CROSS_SYSROOT=DIR  a sysroot made by contrib/cross/sysroot (what contrib/cross/check uses)
#   nothing                  Debian multiarch: the ':arm64' / ':armhf' -dev packages installed
#                            beside the native ones (/usr/lib/<triplet>, /usr/include/<triplet>;
#                            not exercised by contrib/cross/check)
# Programs built here (embed_cabundle at build time, the tests) run under qemu-user through
# CMAKE_CROSSCOMPILING_EMULATOR.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${ATS_CROSS_TRIPLET}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${ATS_CROSS_TRIPLET})

set(ATS_CROSS_SYSROOT "" CACHE PATH "Sysroot made by contrib/cross/sysroot (empty: Debian multiarch)")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ATS_CROSS_SYSROOT ATS_CROSS_TRIPLET ATS_CROSS_QEMU)

if(ATS_CROSS_SYSROOT)
  set(CMAKE_SYSROOT ${ATS_CROSS_SYSROOT})
  set(CMAKE_FIND_ROOT_PATH ${ATS_CROSS_SYSROOT})
  set(ENV{PKG_CONFIG_SYSROOT_DIR} ${ATS_CROSS_SYSROOT})
  set(_ats_libroot ${ATS_CROSS_SYSROOT})
  set(_ats_ld_prefix ${ATS_CROSS_SYSROOT})
else()
  set(CMAKE_FIND_ROOT_PATH /usr/${ATS_CROSS_TRIPLET})
  set(_ats_libroot "")
  set(_ats_ld_prefix /usr/${ATS_CROSS_TRIPLET})
endif()
# QEMU_LD_PREFIX rather than -L: it is inherited, so a program the emulated one executes (started
# by binfmt_misc's qemu) finds the target's libraries too.
set(CMAKE_CROSSCOMPILING_EMULATOR /usr/bin/env QEMU_LD_PREFIX=${_ats_ld_prefix} ${ATS_CROSS_QEMU})
# pkg-config sees only the target's .pc files, never the build machine's.
set(ENV{PKG_CONFIG_LIBDIR}
    "${_ats_libroot}/usr/lib/${ATS_CROSS_TRIPLET}/pkgconfig:${_ats_libroot}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
