"""`signumctl up|down|status`: the whole platform on this machine (stack + services + gateway)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import httpx
import typer

from signum.localstack import PROFILES, LocalStackError, Profile, ensure_stack, stack_status, stop_stack
from signum.localstack.paths import profile_dir, repo_root
from signum.localstack.processes import is_running, log_tail, rss_bytes, spawn, terminate

# Start order: services first, the gateway last (its /readyz asks every service).
PROCESSES = {
    "drafting": 8101,
    "routing": 8102,
    "signing": 8103,
    "storage": 8104,
    "metrics": 8105,
    "gateway": 8000,
}
READY_TIMEOUT_SECONDS = 120.0


def _run_dir(profile: Profile) -> Path:
    return profile_dir(profile.name) / "services"


def _env(profile: Profile) -> dict[str, str]:
    from signum.localstack import endpoints

    env = dict(os.environ) | endpoints(profile).env()
    # A local platform starts with the Monterrey demo directory and its demo logins.
    env.setdefault("SIGNUM_GATEWAY_DEMO_DATA", "true")
    for name, port in PROCESSES.items():
        env.setdefault(f"SIGNUM_{name.upper()}_PORT", str(port))
        if name != "gateway":
            env.setdefault(f"SIGNUM_GATEWAY_{name.upper()}_URL", f"http://127.0.0.1:{port}")
    # Drafting stores the final PDFs through the storage service.
    storage = f"http://127.0.0.1:{PROCESSES['storage']}"
    env.setdefault("SIGNUM_DRAFTING_STORAGE_URL", storage)
    # Drafting and storage ask routing who received an oficio when their read model does not know yet.
    routing = f"http://127.0.0.1:{PROCESSES['routing']}"
    env.setdefault("SIGNUM_DRAFTING_ROUTING_URL", routing)
    env.setdefault("SIGNUM_STORAGE_ROUTING_URL", routing)
    # Storage asks drafting who takes part in an oficio now before adding a document to it.
    env.setdefault("SIGNUM_STORAGE_DRAFTING_URL", f"http://127.0.0.1:{PROCESSES['drafting']}")
    env.setdefault("SIGNUM_SIGNING_STORAGE_URL", storage)
    env.setdefault("SIGNUM_SIGNING_PUBLIC_URL", f"http://127.0.0.1:{PROCESSES['gateway']}")
    env.setdefault("SIGNUM_DRAFTING_PUBLIC_URL", f"http://127.0.0.1:{PROCESSES['gateway']}")
    # Signing trusts the CA of the demo e.firmas (`_demo_signing`); never a production setting.
    env.setdefault("SIGNUM_SIGNING_TRUST_ROOTS", json.dumps([str(_demo_dir(profile) / "ac-demo-signum.pem")]))
    # ... and publishes its CRL and OCSP, named in the demo e.firmas, so they sign at B-LT.
    env.setdefault("SIGNUM_SIGNING_DEMO_CA_DIR", str(_demo_dir(profile)))
    return env


def _demo_dir(profile: Profile) -> Path:
    return profile_dir(profile.name) / "firma-demo"


def _demo_signing(profile: Profile) -> list[str]:
    """Write (once) a demo e.firma for each demo login, from a demo CA signing trusts; describe them."""
    import csv

    from signum.gateway.directory.demo import DEMO_CSV, DEMO_LOGINS
    from signum.signing.demo import DEMO_PASSWORD, DemoSigner, write_demo_credentials

    with DEMO_CSV.open(encoding="utf-8") as handle:
        people = {row["numero_empleado"]: row for row in csv.DictReader(handle)}
    signers = [
        DemoSigner(p.correo, p.nombre, people[p.numero_empleado]["rfc"], people[p.numero_empleado]["curp"])
        for p in DEMO_LOGINS
        if p.numero_empleado in people
    ]
    made = write_demo_credentials(_demo_dir(profile), signers, f"http://127.0.0.1:{PROCESSES['signing']}")
    lines = [f"\nDemo e.firmas (test CA, not SAT's; password {DEMO_PASSWORD}) for the page /firmar:"]
    lines += [f"  {c.signer.correo:<36} {c.folder}/certificado.cer + llave.key" for c in made]
    return lines


def start_services(profile: Profile) -> None:
    """Start every service process not running yet; wait until the gateway says all are ready."""
    run = _run_dir(profile)
    _demo_signing(profile)  # before signing starts: it reads the demo CA named in its trust roots
    env = _env(profile)
    for name in PROCESSES:
        pid_path = run / f"{name}.pid"
        if is_running(pid_path) is not None:
            typer.echo(f"  {name}: already running")
            continue
        spawn(
            name,
            [sys.executable, "-m", f"signum.{name}"],
            env=env,
            cwd=repo_root(),
            log_path=run / f"{name}.log",
            pid_path=pid_path,
        )
        typer.echo(f"  {name}: started (log {run / f'{name}.log'})")
    gateway = f"http://127.0.0.1:{env['SIGNUM_GATEWAY_PORT']}"
    _wait_ready(gateway, run)


def _wait_ready(gateway: str, run: Path) -> None:
    started = time.monotonic()
    last = ""
    while time.monotonic() - started < READY_TIMEOUT_SECONDS:
        for name in PROCESSES:
            if is_running(run / f"{name}.pid") is None:
                tail = log_tail(run / f"{name}.log")
                typer.echo(f"{name} exited; last lines of its log:\n{tail}", err=True)
                raise typer.Exit(1)
        try:
            response = httpx.get(gateway + "/readyz", timeout=5)
            if response.status_code == 200:
                typer.echo(f"  ready in {time.monotonic() - started:.1f} s")
                return
            last = response.text
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.5)
    typer.echo(f"the platform did not become ready in {READY_TIMEOUT_SECONDS:.0f} s: {last}", err=True)
    raise typer.Exit(1)


def stop_services(profile: Profile) -> None:
    """Stop every service process of the profile (gateway first)."""
    run = _run_dir(profile)
    for name in reversed(PROCESSES):
        pid_path = run / f"{name}.pid"
        if is_running(pid_path) is not None:
            terminate(pid_path)
            typer.echo(f"  {name}: stopped")


def up(profile_name: str = typer.Option("dev", "--profile", help="dev or test")) -> None:
    """Provision the stack, start every service and the gateway, and say where to go."""
    profile = PROFILES[profile_name]
    started = time.monotonic()
    try:
        ensure_stack(profile)
    except LocalStackError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    typer.echo("services:")
    start_services(profile)
    port = _env(profile)["SIGNUM_GATEWAY_PORT"]
    typer.echo(_demo_logins())
    typer.echo("\n".join(_demo_signing(profile)))
    typer.echo(
        f"\nSignum is running ({time.monotonic() - started:.0f} s).\n"
        f"  Open:       http://127.0.0.1:{port}/\n"
        f"  API docs:   http://127.0.0.1:{port}/docs\n"
        f"  Readiness:  http://127.0.0.1:{port}/readyz\n"
        f"  Logs:       {_run_dir(profile)}/\n"
        "  Stop with:  make down"
    )


def _demo_logins() -> str:
    import csv

    from signum.gateway.directory.demo import DEMO_CSV, DEMO_LOGINS
    from signum.gateway.settings import Settings

    with DEMO_CSV.open(encoding="utf-8") as handle:
        units = {row["unidad_clave"]: row["unidad_nombre"] for row in csv.DictReader(handle)}
    password = Settings().demo_password.get_secret_value()
    lines = [f"\nDemo logins (password {password}; the e-mail or its user part):"]
    lines += [
        f"  {p.correo:<36} {p.papel:<14} {p.nombre} ({units.get(p.unidad, p.unidad)})" for p in DEMO_LOGINS
    ]
    return "\n".join(lines)


def down(profile_name: str = typer.Option("dev", "--profile", help="dev or test")) -> None:
    """Stop the services, the gateway and the stack's servers."""
    profile = PROFILES[profile_name]
    stop_services(profile)
    stop_stack(profile)


def status(profile_name: str = typer.Option("dev", "--profile", help="dev or test")) -> None:
    """Each server and service: running or not, pid and memory."""
    profile = PROFILES[profile_name]
    for server in stack_status(profile):
        rss = rss_bytes(server.pid) if server.pid else None
        memory = f"{rss / 2**20:.0f} MiB" if rss else "-"
        typer.echo(f"{server.name:10} {server.state:9} pid={server.pid or '-'} rss={memory}  {server.url}")
    run = _run_dir(profile)
    for name in PROCESSES:
        pid = is_running(run / f"{name}.pid")
        rss = rss_bytes(pid) if pid else None
        memory = f"{rss / 2**20:.0f} MiB" if rss else "-"
        typer.echo(f"{name:10} {'running' if pid else 'stopped':9} pid={pid or '-'} rss={memory}")
