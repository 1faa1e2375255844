# Run by `cmake --install` (see the top-level CMakeLists.txt), with LOGPULSE_SOURCE_DIR,
# LOGPULSE_BINDIR, LOGPULSE_SYSCONFDIR and LOGPULSE_SYSTEMD_UNIT_DIR set. Installs
#   etc/logpulse/logpulse.yaml   (/etc/logpulse when the prefix is /usr), from
#                                examples/logpulse.yaml; an existing one is left alone, so a
#                                reinstall never overwrites an operator's configuration
#   lib/systemd/system/logpulse.service   systemd/logpulse.service with the installed paths
# file(INSTALL) prepends DESTDIR to these absolute destinations and lists the files in
# install_manifest.txt.

if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(config_dir "/etc/logpulse")
else()
  set(config_dir "${CMAKE_INSTALL_PREFIX}/${LOGPULSE_SYSCONFDIR}/logpulse")
endif()
set(config "${config_dir}/logpulse.yaml")
set(binary "${CMAKE_INSTALL_PREFIX}/${LOGPULSE_BINDIR}/logpulse")

if(EXISTS "$ENV{DESTDIR}${config}")
  message(STATUS "Keeping: $ENV{DESTDIR}${config} (an installed configuration is never overwritten)")
else()
  file(INSTALL DESTINATION "${config_dir}" TYPE FILE
       FILES "${LOGPULSE_SOURCE_DIR}/examples/logpulse.yaml")
endif()

# The unit in the source tree runs /usr/local/bin/logpulse -c /etc/logpulse/logpulse.yaml.
file(READ "${LOGPULSE_SOURCE_DIR}/systemd/logpulse.service" unit)
string(REPLACE "/usr/local/bin/logpulse" "${binary}" unit "${unit}")
string(REPLACE "/etc/logpulse/logpulse.yaml" "${config}" unit "${unit}")
set(unit_copy "${CMAKE_CURRENT_BINARY_DIR}/installed-unit/logpulse.service")
file(WRITE "${unit_copy}" "${unit}")
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/${LOGPULSE_SYSTEMD_UNIT_DIR}" TYPE FILE FILES "${unit_copy}")
