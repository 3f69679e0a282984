"""Check that an address is a Dask scheduler before handing it to ``dask.distributed``, and say
what is there instead.

A Dask comm sends its handshake as soon as a connection is accepted: an 8-byte little-endian
length, then msgpack frames holding ``compression``, ``python`` and ``pickle-protocol``
(``distributed.comm.core.Listener.on_connection``). :func:`check_scheduler` opens a plain TCP
connection and reads that handshake, all within one deadline (5 s by default). If it does not
come, it finds out what answered instead (nothing listening, no answer at all, an HTTP server
such as Dask's dashboard on port 8787, a service that accepts and stays silent, something that
sends other bytes) and raises :class:`~runoff_abm.model.errors.SweepError` with that finding.
Without this check, ``Client`` given an HTTP server waits for ever, and given some other
services reads their first bytes as a frame length and tries to allocate exabytes.
"""

from __future__ import annotations

import socket
import struct
import time

from runoff_abm.model.errors import SweepError, clean_text

__all__ = ["check_scheduler", "parse_scheduler_address", "DEFAULT_PORT"]

#: The port a Dask scheduler listens on unless told otherwise.
DEFAULT_PORT = 8786
_HINT = "start one with `dask scheduler` and give its address, e.g. tcp://127.0.0.1:8786"
_HANDSHAKE_KEYS = (b"pickle-protocol", b"compression")


def parse_scheduler_address(address: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of a scheduler address such as ``tcp://10.0.0.5:8786`` (the
    scheme defaults to tcp, the port to 8786).

    Raises:
        SweepError: the address cannot be parsed.
    """
    text = address.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    scheme = scheme.lower()
    if not rest:
        raise SweepError(f"--scheduler {clean_text(address)}: not a scheduler address; expected e.g. "
                         "tcp://127.0.0.1:8786")
    if rest.startswith("["):  # [IPv6]:port
        host, _, tail = rest[1:].partition("]")
        port_text = tail.removeprefix(":")
    elif rest.count(":") == 1:
        host, _, port_text = rest.partition(":")
    else:
        host, port_text = rest, ""
    host = host.rstrip("/")
    port_text = port_text.rstrip("/")
    try:
        port = int(port_text) if port_text else DEFAULT_PORT
    except ValueError:
        raise SweepError(f"--scheduler {clean_text(address)}: port {clean_text(port_text)} is not a number; "
                         "expected e.g. tcp://127.0.0.1:8786") from None
    if not host or not 0 < port < 65536:
        raise SweepError(f"--scheduler {clean_text(address)}: not a scheduler address; expected e.g. "
                         "tcp://127.0.0.1:8786")
    return scheme, host, port


def _recv(sock: socket.socket, n: int, deadline: float) -> bytes:
    """Up to ``n`` bytes before ``deadline`` (fewer if the peer closes or time runs out)."""
    data = b""
    while len(data) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(n - len(data))
        except TimeoutError:
            break
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data


def _is_handshake(head: bytes, sock: socket.socket, deadline: float) -> bool:
    """Whether ``head`` (8 bytes) and what follows are a Dask comm's handshake frame."""
    (n,) = struct.unpack("<Q", head)
    if not 0 < n <= 1 << 16:
        return False
    body = _recv(sock, n, deadline)
    return any(k in body for k in _HANDSHAKE_KEYS)


def _shown(data: bytes) -> str:
    return clean_text(data[:40].decode("latin-1"), 60)


def check_scheduler(address: str, timeout: float = 5.0) -> None:
    """Make sure a Dask scheduler answers at ``address`` within ``timeout`` seconds.

    Only ``tcp://`` addresses get the handshake check; ``tls://`` gets a TCP connection check;
    other schemes (``inproc``, ``ucx``, ``ws``) are left to Dask.

    Raises:
        SweepError: naming the address and what was found there instead.
    """
    scheme, host, port = parse_scheduler_address(address)
    if scheme not in ("tcp", "tls"):
        return
    where = f"{host}:{port}"
    prefix = f"--scheduler {clean_text(address)}: cannot reach a Dask scheduler"
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except socket.gaierror:
        raise SweepError(f"{prefix}: unknown host {clean_text(host)}; {_HINT}") from None
    except ConnectionRefusedError:
        raise SweepError(f"{prefix}: nothing is listening on {where} (connection refused); {_HINT}") from None
    except TimeoutError:
        raise SweepError(f"{prefix}: no answer from {where} within {timeout:g} s (a wrong host, or a firewall "
                         f"drops the connection); {_HINT}") from None
    except OSError as err:
        raise SweepError(f"{prefix}: cannot connect to {where} ({err.strerror or type(err).__name__}); "
                         f"{_HINT}") from None
    with sock:
        if scheme == "tls":
            return
        # 1. a scheduler speaks first: its handshake
        first = _recv(sock, 8, min(deadline, time.monotonic() + 0.3 * timeout))
        if len(first) == 8:
            if _is_handshake(first, sock, deadline):
                return
            raise SweepError(f"{prefix}: {where} answered, but not with Dask's handshake (it sent "
                             f"{_shown(first)}); {_HINT}")
        if first:
            raise SweepError(f"{prefix}: {where} answered, but not with Dask's handshake (it sent "
                             f"{_shown(first)}); {_HINT}")
        # 2. silence: is it a web server (Dask's dashboard, any HTTP service)?
        try:
            sock.sendall(f"GET / HTTP/1.0\r\nHost: {host}\r\n\r\n".encode("ascii", "replace"))
        except OSError:
            raise SweepError(f"{prefix}: {where} accepted the connection and closed it without Dask's "
                             f"handshake; {_HINT}") from None
        reply = _recv(sock, 8, deadline)
        if len(reply) == 8 and not reply.startswith(b"HTTP/") and _is_handshake(reply, sock, deadline):
            return  # a slow scheduler: its handshake came late
        reply += _recv(sock, 2048, min(deadline, time.monotonic() + 0.5)) if reply else b""
    if reply.startswith(b"HTTP/"):
        status = reply.split(b"\r\n", 1)[0].decode("latin-1", "replace")
        low = reply.lower()
        dashboard = (b"location: status" in low or b"location: /status" in low or b"dask" in low or b"bokeh" in low
                     or port == 8787)
        what = ("an HTTP server that looks like Dask's dashboard (usually port 8787; the scheduler itself "
                "listens on 8786 by default)" if dashboard else "an HTTP (web) server, not a Dask scheduler")
        raise SweepError(f"{prefix}: {where} is {what} (it answered {clean_text(status, 50)}); {_HINT}")
    if reply:
        raise SweepError(f"{prefix}: {where} answered, but not with Dask's handshake (it sent "
                         f"{_shown(reply)}); {_HINT}")
    raise SweepError(f"{prefix}: {where} accepted the connection but sent no Dask handshake within "
                     f"{timeout:g} s (some other service?); {_HINT}")
