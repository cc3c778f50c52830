// The Python the tests run: Debian's (python3-websockets and python3-pytest
// from .ci/install-system-deps.sh); PYTHON_BIN overrides it.
export const PYTHON = process.env.PYTHON_BIN ?? '/usr/bin/python3';
