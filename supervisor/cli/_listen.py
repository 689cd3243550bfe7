"""Binding the server's port before anything else starts, so a taken port is one clear line at once."""

from __future__ import annotations

import errno
import socket

BACKLOG = 1024


class ListenError(Exception):
    pass


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``, bound the way hypercorn binds (SO_REUSEADDR, no delay)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(BACKLOG)
    except socket.gaierror as exc:
        sock.close()
        raise ListenError(f"cannot listen on {host}:{port}: unknown host ({exc.strerror})") from exc
    except OSError as exc:
        sock.close()
        raise ListenError(_explain(host, port, exc)) from exc
    return sock


def _explain(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} is already in use on {host}: stop the program using it, or choose another "
            "port with -p"
        )
    if exc.errno == errno.EACCES:
        return f"not allowed to listen on port {port} on {host}; choose another port with -p"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {host}:{port}: {host} is not an address of this machine"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
