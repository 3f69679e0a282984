"""Start the app: ``runoff viz``, ``python -m runoff_abm.viz`` or ``make viz``.

The server binds 127.0.0.1 by default and serves fully offline (see :mod:`runoff_abm.viz.offline`). One
server holds many browser sessions (a class); each session gets its own model and state, within
the limits the teacher sets here (:mod:`runoff_abm.viz.limits`: members per model, runs per
request, background jobs per session and on the server, seconds per job).

``add_viz_parser(subparsers)`` adds the ``viz`` subcommand to the ``runoff`` parser;
``cmd_viz(args)`` runs it; :func:`main` is the same command standing alone.
"""

from __future__ import annotations

import argparse
import faulthandler
import os
import signal
import sys
import warnings

from runoff_abm.viz.limits import DEFAULTS, ENV, LimitError, ServerLimits

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "add_viz_parser", "cmd_viz", "limits_from", "serve", "main", "port_problem"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
APP = "runoff_abm.viz.app"


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"address to listen on (default {DEFAULT_HOST}: this machine only; "
                             "0.0.0.0 serves a class on the local network)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--log-level", default="warning",
                        choices=["critical", "error", "warning", "info", "debug"],
                        help="server log level (default warning)")
    d = DEFAULTS
    limits = parser.add_argument_group("limits per session (a class shares the server; docs/security.md)")
    limits.add_argument("--max-members", type=int, default=d.max_members, metavar="N",
                        help=f"most members in one model (default {d.max_members:,}; never more than the scenario's roll)")
    limits.add_argument("--max-replicates", type=int, default=d.max_replicates, metavar="N",
                        help=f"most runs in one replicates or compare request (default {d.max_replicates})")
    limits.add_argument("--session-jobs", type=int, default=d.session_jobs, choices=[1, 2],
                        help=f"background jobs one session may run at once (default {d.session_jobs}; 2 lets "
                             "replicates run while the model runs)")
    limits.add_argument("--max-jobs", type=int, default=d.max_jobs, metavar="N",
                        help=f"heavy background jobs (replicates, comparisons, large models) running at once on the "
                             f"server; more wait their turn (default {d.max_jobs})")
    limits.add_argument("--job-seconds", type=float, default=d.job_seconds, metavar="S",
                        help=f"wall-clock cap of one background job; it stops and keeps what it finished "
                             f"(default {d.job_seconds:g})")


def add_viz_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``viz`` subcommand to an ``argparse`` subparsers object and return its parser.

    Args:
        subparsers: the object returned by ``ArgumentParser.add_subparsers``.
    """
    parser = subparsers.add_parser("viz", help="start the interactive app in the browser (offline)")
    _add_arguments(parser)
    parser.set_defaults(func=cmd_viz)
    return parser


def cmd_viz(args) -> int:
    """Run the ``viz`` subcommand: serve the app until interrupted (Ctrl-C).

    Args:
        args: parsed arguments with ``host``, ``port`` and ``log_level``.

    Returns:
        The exit status: 0 after a normal stop, 2 when the front-end files are missing or the
        port is out of range.
    """
    if not 0 <= args.port <= 65535:
        print(f"runoff viz: error: --port {args.port}: expected 0..65535", file=sys.stderr)
        return 2
    try:
        limits = limits_from(args)
    except LimitError as err:
        print(f"runoff viz: error: {err}", file=sys.stderr)
        return 2
    return serve(args.host, args.port, log_level=getattr(args, "log_level", "warning"), limits=limits)


def port_problem(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be served on (in use, an address not of this machine), or None.

    Binds a socket the way uvicorn will (``SO_REUSEADDR``) and releases it at once.
    """
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        return f"--host {host}: unknown host name"
    family, socktype, proto, _, addr = infos[0]
    with socket.socket(family, socktype, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(addr)
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                return (f"port {port} on {host} is already in use (another `runoff viz` or another server?); "
                        "stop it, or choose another port with --port")
            if err.errno == errno.EADDRNOTAVAIL:
                return f"--host {host}: not an address of this machine"
            if err.errno == errno.EACCES:
                return f"port {port}: permission denied (ports below 1024 need privileges); choose another with --port"
            return f"cannot listen on {host}:{port} ({err.strerror})"
    return None


def limits_from(args) -> ServerLimits:
    """The server limits given on the command line (defaults for options not given).

    Raises:
        LimitError: naming the option whose value is out of range.
    """
    d = DEFAULTS
    return ServerLimits(max_members=getattr(args, "max_members", d.max_members),
                        max_replicates=getattr(args, "max_replicates", d.max_replicates),
                        session_jobs=getattr(args, "session_jobs", d.session_jobs),
                        max_jobs=getattr(args, "max_jobs", d.max_jobs),
                        job_seconds=getattr(args, "job_seconds", d.job_seconds)).check()


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *, log_level: str = "warning",
          limits: ServerLimits | None = None) -> int:
    """Serve the app with Solara's server (uvicorn) until interrupted.

    Args:
        host: address to bind.
        port: TCP port to bind.
        log_level: uvicorn's log level.
        limits: the limits per session (default :data:`~runoff_abm.viz.limits.DEFAULTS`).

    Returns:
        0 after a normal stop; 2 if Solara's front-end files are not installed or the port is
        in use (said before anything claims to serve).
    """
    from runoff_abm.viz.offline import ASSETS_HINT, configure_offline, missing_assets

    configure_offline()
    missing = missing_assets()
    if missing:
        print(f"runoff viz: error: front-end files missing ({', '.join(missing)}); {ASSETS_HINT}",
              file=sys.stderr)
        return 2
    # Solara warns on every page load from 127.0.0.1 that its session cookie falls back to
    # SameSite=lax without https: that is what a local, un-embedded app wants.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https", category=UserWarning)
    os.environ[ENV] = (limits or DEFAULTS).to_json()
    from runoff_abm.viz.limits import set_server_limits

    set_server_limits(None)  # read them back from the environment, as the app does
    _log_to_stderr(log_level)
    os.environ["SOLARA_APP"] = APP
    os.environ["SERVER_NAME"] = host
    os.environ["SERVER_PORT"] = str(port)
    import uvicorn

    busy = port_problem(host, port)
    if busy:  # say so before claiming to serve (uvicorn would fail after the banner, exit 3)
        print(f"runoff viz: error: {busy}", file=sys.stderr)
        return 2
    if hasattr(signal, "SIGUSR1"):  # `kill -USR1 PID` prints every thread's stack (diagnosing a stuck session)
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    lim = limits or DEFAULTS
    print(f"runoff viz: serving on http://{host}:{port}/ (Ctrl-C stops); limits: {lim.max_members:,} members per "
          f"model, {lim.max_replicates} runs per request, {lim.session_jobs} job(s) per session, {lim.max_jobs} "
          f"heavy jobs at once, {lim.job_seconds:g} s per job", flush=True)
    # Websocket keep-alive: a ping every 20 s, but a generous 300 s for the pong. On a loaded
    # machine (a class on a teacher's laptop) a short timeout makes the server drop a live
    # session's connection, and what the student clicked while Solara reconnects is lost;
    # connections of browsers that are really gone are still closed.
    uvicorn.run("solara.server.starlette:app", host=host, port=port, log_level=log_level,
                ws_ping_interval=20, ws_ping_timeout=300)
    return 0


def _log_to_stderr(level: str) -> None:
    """Send the app's own log (unexpected errors with their tracebacks) to the server's stderr."""
    import logging

    logger = logging.getLogger("runoff_abm")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(min(logging.WARNING, getattr(logging, level.upper(), logging.WARNING)))


def main(argv: list[str] | None = None) -> int:
    """``runoff viz [--host H] [--port P] [limits]``: the ``viz`` command on its own."""
    parser = argparse.ArgumentParser(prog="runoff viz", description="Serve the runoff-abm app (offline).")
    _add_arguments(parser)
    return cmd_viz(parser.parse_args(argv))
