"""Every command README.md tells a user to run is installed by scripts/bootstrap
(or is a script of the checkout, or ucfs itself): a README command whose package
nothing installs fails here, as `getfattr` (attr) and `duckdb` (no Debian
package; scripts/duckdb-delta instead) once did."""
from __future__ import annotations

import os
import re
import shlex
import shutil

from mountutil import ROOT

README = (ROOT / "README.md").read_text()
# Named inline (`getfattr -d DIR`, `man man/ucfs.1`) rather than in a code block.
INLINE = ("getfattr -d", "man man/ucfs.1")
BUILTINS = {"export", "cd"}


def commands() -> list[str]:
    """The first word of every command in README's sh blocks."""
    out = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        for line in block.splitlines():
            line = re.sub(r"(^|\s)#.*$", "", line).strip()
            for seg in re.split(r"&&|\|\||\||;", line):
                words = shlex.split(seg)
                # VAR=value prefixes; sudo (a root shell, as bootstrap's, runs without it)
                while words and (re.match(r"^[A-Za-z_]+=", words[0]) or words[0] in ("sudo", "-E")):
                    words = words[1:]
                if words:
                    out.append(words[0])
    return out


def test_readme_commands_are_installed():
    cmds = commands()
    assert {"scripts/demo", "scripts/test", "ucfs", "scripts/duckdb-delta"} <= set(cmds)
    for inline in INLINE:
        assert f"`{inline}" in README, inline
        cmds.append(inline.split()[0])
    missing = []
    for c in sorted(set(cmds)):
        if c == "ucfs" or c in BUILTINS:
            continue  # the binary built from this checkout (ninja -C build install)
        if "/" in c:
            ok = os.access(ROOT / c, os.X_OK)
        else:
            ok = shutil.which(c) is not None
        if not ok:
            missing.append(c)
    assert not missing, f"README runs {missing}, which scripts/bootstrap does not install"
