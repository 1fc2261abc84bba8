# Included by tests/CMakeLists.txt in a cross build (CMAKE_CROSSCOMPILING_EMULATOR set by the
# toolchain files here). Unit tests need nothing: CTest runs them through the emulator. The
# integration tests run $ATSCHECK from bash, so ATSCHECK becomes a small script that runs the
# target's atscheck under the emulator; the servers they start stay native.
# (Criterion re-executes the test binary for each test, and the binaries a test runs from the
# build folder are the target's too: those need binfmt_misc, which contrib/cross/check sets up.)
list(JOIN CMAKE_CROSSCOMPILING_EMULATOR "' '" _ats_emu)
file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/atscheck-emulated
     CONTENT "#!/bin/sh\n# atscheck built for ${CMAKE_SYSTEM_PROCESSOR}, run under qemu-user\nexec '${_ats_emu}' '$<TARGET_FILE:atscheck>' \"$@\"\n"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ
                      WORLD_EXECUTE)
set(ATS_TEST_ATSCHECK ${CMAKE_BINARY_DIR}/atscheck-emulated)
# Helper programs the integration tests run from the build folder (tests/mkpki) are the target's
# too: binfmt_misc's qemu finds their libraries through this.
set(ATS_TEST_ENV_EXTRA "QEMU_LD_PREFIX=${_ats_ld_prefix}")
