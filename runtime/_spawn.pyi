# Type stub for the C helper that starts pipe scripts (runtime/_spawn.c).
from collections.abc import Sequence

def spawn(
    path: bytes, argv: Sequence[bytes], envp: Sequence[bytes], cwd: bytes,
    stdin_fd: int, stdout_fd: int, stderr_fd: int, max_fd: int,
) -> int: ...
