# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
# The C extension msgq._msgq (pyproject.toml has the rest). It is built
# against the tree it sits in: lib/include for <msgq.h> and <linux/msgq.h>,
# and lib/libmsgq.a (position-independent) linked in, as the msgq CLI
# links it, so the extension needs no libmsgq.so at run time. Run make lib
# first (make install-python does). The version is the tree's VERSION.
import os

from setuptools import Extension, setup

here = os.path.dirname(os.path.abspath(__file__))
top = os.path.dirname(here)
lib = os.path.join(top, "lib")
archive = os.path.join(lib, "libmsgq.a")
if not os.path.exists(archive):
    raise SystemExit("setup.py: %s is missing: run make lib first" % archive)
with open(os.path.join(top, "VERSION")) as f:
    version = f.read().strip()

setup(
    version=version,
    packages=["msgq"],
    package_data={"msgq": ["py.typed", "*.pyi"]},
    ext_modules=[Extension(
        "msgq._msgq",
        sources=["src/module.c", "src/mailbox.c"],
        depends=["src/msgqpy.h", os.path.join(lib, "include", "msgq.h"),
                 archive],
        include_dirs=[os.path.join(lib, "include")],
        extra_objects=[archive],
        extra_compile_args=["-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra",
                            "-Wno-missing-field-initializers",
                            "-Wno-unused-parameter"],
    )],
)
