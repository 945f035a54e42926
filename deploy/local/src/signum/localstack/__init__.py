"""Signum's local stack: Kafka, SecantusDB (or mongod) and MinIO on loopback, without Docker.

Servers are downloaded, installed or built once into a cache outside the checkout (`$SIGNUM_CACHE_DIR`,
default ~/.cache/signum) and run detached, each with its data, log and pid file in
`<checkout>/.local/<profile>/<server>/`. `SIGNUM_KAFKA_URL`, `SIGNUM_MONGO_URL` and `SIGNUM_S3_URL`
point at servers run elsewhere instead.
"""

from signum.localstack.errors import (
    LocalStackError,
    PortInUse,
    ProvisioningFailed,
    ServerFailed,
    ToolchainMissing,
)
from signum.localstack.profiles import PROFILES, Endpoints, Profile
from signum.localstack.stack import (
    SERVERS,
    ServerStatus,
    endpoints,
    ensure_stack,
    stack_status,
    start_server,
    stop_server,
    stop_stack,
)

__all__ = [
    "PROFILES",
    "SERVERS",
    "Endpoints",
    "LocalStackError",
    "PortInUse",
    "Profile",
    "ProvisioningFailed",
    "ServerFailed",
    "ServerStatus",
    "ToolchainMissing",
    "endpoints",
    "ensure_stack",
    "stack_status",
    "start_server",
    "stop_server",
    "stop_stack",
]
