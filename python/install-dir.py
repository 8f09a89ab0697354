# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Print where make install-python puts the package for a prefix.

    python3 python/install-dir.py PREFIX

Debian's layout, from the interpreter's own install schemes: for
/usr/local (a local install) /usr/local/lib/python3.X/dist-packages, the
directory Debian's python3 searches for locally installed packages; for
/usr (a distribution package) /usr/lib/python3/dist-packages. Any other
prefix, or an interpreter without Debian's schemes, gets the standard
PREFIX/lib/python3.X/site-packages.
"""
import sys
import sysconfig

prefix = sys.argv[1].rstrip("/") or "/"
schemes = sysconfig.get_scheme_names()
if prefix == "/usr/local" and "posix_local" in schemes:
    path = sysconfig.get_path("platlib", "posix_local")
elif prefix == "/usr" and "deb_system" in schemes:
    path = sysconfig.get_path("platlib", "deb_system")
else:
    path = sysconfig.get_path("platlib", "posix_prefix",
                              vars={"base": prefix, "platbase": prefix})
print(path)
