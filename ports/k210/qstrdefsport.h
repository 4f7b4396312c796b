// qstrs specific to this port (none: the build scans the sources)
