"""The sandbox's own process: `python -m integrations.lightspeed_sandbox.server --port 8001 …`.

`manage.py lightspeed_sandbox` (under LightSync's settings) replaces itself with this process,
which runs under the sandbox's settings module, migrates its SQLite file, optionally resets and
seeds it, starts the POS simulator and serves with waitress (many threads, many clients).
It prints `Lightspeed sandbox listening on http://HOST:PORT` once it accepts connections.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time

SETTINGS_MODULE = "integrations.lightspeed_sandbox.settings"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lightspeed_sandbox", description="Run the Lightspeed R-Series sandbox."
    )
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8001, help="port (0: any free port; default 8001)")
    parser.add_argument(
        "--db",
        default=None,
        help="SQLite file (default var/lightspeed_sandbox.sqlite3 or $LIGHTSPEED_SANDBOX_DB)",
    )
    parser.add_argument(
        "--seed",
        choices=("demo", "empty", "none"),
        default="empty",
        help="dataset to load into an empty database (default empty)",
    )
    parser.add_argument("--reset", action="store_true", help="wipe the database first")
    parser.add_argument(
        "--drip-rate", type=float, default=None, help="drips per second for one register (default 1)"
    )
    parser.add_argument(
        "--bucket-size", type=float, default=None, help="bucket size for one register (default 90)"
    )
    parser.add_argument(
        "--burst-limit",
        default=None,
        help="requests per 1-second window (default auto: 2/9 of the bucket; 0 off)",
    )
    parser.add_argument(
        "--token-ttl", type=int, default=None, help="access token lifetime in seconds (default 3600)"
    )
    parser.add_argument("--strict-refresh", action="store_true", help="revoke a spent refresh token at once")
    parser.add_argument(
        "--refreshes-per-minute", type=int, default=None, help="refresh limit per connection (default 5)"
    )
    parser.add_argument(
        "--simulate-sales", type=float, default=0.0, help="POS sales rung up per minute (default 0)"
    )
    parser.add_argument(
        "--accounts",
        type=int,
        default=0,
        help="fleet accounts to have (ids from 200001; added at start-up when fewer exist; default 0)",
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="delay every answer outside /_sandbox/ by this many ms, like a round trip (default 0)",
    )
    parser.add_argument(
        "--latency-jitter-ms",
        type=float,
        default=0.0,
        help="uniform jitter around --latency-ms, never below 0 (default 0)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=8,
        help="server threads (default 8; at least 64 while latency is on)",
    )


def environment_for(options: dict) -> dict[str, str]:
    """The LIGHTSPEED_SANDBOX_* variables the sandbox's settings read, from command options."""
    env: dict[str, str] = {}
    names = {
        "db": "DB",
        "drip_rate": "DRIP_RATE",
        "bucket_size": "BUCKET_SIZE",
        "burst_limit": "BURST_LIMIT",
        "token_ttl": "TOKEN_TTL",
        "refreshes_per_minute": "REFRESHES_PER_MINUTE",
    }
    for option, name in names.items():
        if options.get(option) is not None:
            env[f"LIGHTSPEED_SANDBOX_{name}"] = str(options[option])
    if options.get("strict_refresh"):
        env["LIGHTSPEED_SANDBOX_STRICT_REFRESH"] = "1"
    return env


def argv_for(options: dict) -> list[str]:
    argv = [
        "--host",
        str(options["host"]),
        "--port",
        str(options["port"]),
        "--seed",
        options["seed"],
        "--threads",
        str(options.get("threads", 8)),
    ]
    if options.get("reset"):
        argv.append("--reset")
    if options.get("simulate_sales"):
        argv += ["--simulate-sales", str(options["simulate_sales"])]
    if options.get("accounts"):
        argv += ["--accounts", str(options["accounts"])]
    if options.get("latency_ms"):
        argv += ["--latency-ms", str(options["latency_ms"])]
    if options.get("latency_jitter_ms"):
        argv += ["--latency-jitter-ms", str(options["latency_jitter_ms"])]
    return argv


def _exit_with_parent() -> None:
    """Test servers die with the test run that started them, even when it is killed outright."""
    parent = os.environ.get("LIGHTSPEED_SANDBOX_PARENT_PID")
    if not parent:
        return

    def watch() -> None:
        while os.getppid() == int(parent):
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.latency_ms < 0 or args.latency_jitter_ms < 0:
        build_parser().error("--latency-ms and --latency-jitter-ms must be 0 or more")
    if args.accounts < 0:
        build_parser().error("--accounts must be 0 or more")
    os.environ.update(environment_for(vars(args)))
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE

    import django

    django.setup()

    from django.conf import settings
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from waitress import create_server

    from integrations.lightspeed_sandbox import clock, latency
    from integrations.lightspeed_sandbox.services import datasets, faults
    from integrations.lightspeed_sandbox.store.models import Account
    from integrations.lightspeed_sandbox.views.control import seed_dataset

    os.makedirs(os.path.dirname(os.path.abspath(settings.SANDBOX_DB)), exist_ok=True)
    call_command("migrate", verbosity=0, interactive=False)
    if args.reset:
        datasets.sandbox_reset()
    clock.load()
    if not Account.objects.exists():
        seed_dataset(args.seed)
    if args.accounts > 0:
        from integrations.lightspeed_sandbox.services import fleet

        missing = args.accounts - len(fleet.fleet_account_ids("fleet"))
        if missing > 0:
            fleet.accounts_create(fleet.FleetSpec(count=missing, tokens=False))
    faults.faults_refresh_flag()
    if args.simulate_sales:
        from integrations.lightspeed_sandbox.simulator import simulator_start

        simulator_start(per_minute=args.simulate_sales)
    _exit_with_parent()
    latency.configure(args.latency_ms, args.latency_jitter_ms, initial=True)
    server = create_server(
        get_wsgi_application(),
        host=args.host,
        port=args.port,
        threads=latency.threads_for(args.threads),
        ident="lightspeed-sandbox",
    )
    # Each delayed answer holds a thread while it waits: latency switched on at run time grows the
    # pool so that requests in flight are not queued behind the waiting ones.
    threads = {"count": latency.threads_for(args.threads)}

    def grow_pool() -> int:
        wanted = latency.threads_for(args.threads)
        if wanted > threads["count"]:
            server.task_dispatcher.set_thread_count(wanted)
            threads["count"] = wanted
        return threads["count"]

    latency.set_threads(threads["count"])
    latency.on_enable(grow_pool)
    print(f"Lightspeed sandbox listening on http://{args.host}:{server.effective_port}", flush=True)
    print(f"  database {settings.SANDBOX_DB}; login demo/demo; client lightsync-demo", flush=True)
    if latency.is_on():
        print(
            f"  latency {args.latency_ms:g} ± {args.latency_jitter_ms:g} ms; "
            f"{latency.threads_for(args.threads)} threads",
            flush=True,
        )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
