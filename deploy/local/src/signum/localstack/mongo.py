"""MongoDB: FerretDB 1.x (SQLite backend) built from deploy/local/ferretdb, or a mongod on PATH."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

from signum.localstack import toolchain
from signum.localstack.cache import BUILD_TIMEOUT_SECONDS, build_env, content_hash, provision, run_build
from signum.localstack.errors import ProvisioningFailed
from signum.localstack.health import mongo_ready
from signum.localstack.paths import ServerHome, cache_dir, deploy_dir
from signum.localstack.profiles import MONGO_URL_ENV, Profile
from signum.localstack.server import Launch, Progress, Server

BINARY = "signum-ferretdb"


def source_dir() -> Path:
    return deploy_dir() / "ferretdb"


def ferretdb_version(source: Path | None = None) -> str:
    """The FerretDB version the wrapper module requires in its go.mod."""
    go_mod = (source or source_dir()) / "go.mod"
    match = re.search(r"github\.com/FerretDB/FerretDB v(\S+)", go_mod.read_text())
    if match is None:
        raise ValueError(f"{go_mod} does not require github.com/FerretDB/FerretDB")
    return match.group(1)


# FerretDB 1.24 (the last 1.x) on SQLite, patched where it would scan whole collections. Measured
# before the patches, a find by `_id` in 1,000 documents of 3 KB took 8.5 ms (12 ms in 3,000), an
# update by `_id` 21 ms (56 ms), and an update by `_id` plus another condition 46 ms (193 ms); after,
# all three take about 1 ms at any size.
# 1. It looks documents up with `_ferretdb_sjson->'$._id'` but builds the unique `_id` index on
#    `_ferretdb_sjson->"_id"`; SQLite uses an expression index only for the very expression it was
#    built on, so no lookup used it. Both take the same member: the lookup now uses the indexed one
#    (`EXPLAIN QUERY PLAN` says `SEARCH ... USING INDEX ..._id_` instead of `SCAN`).
# 2. It narrows by `_id` in SQL only when `_id` is the filter's only condition, and never for
#    `{_id: {$in: [...]}}`. Every caller applies the whole filter again to what the query returns, so
#    `{_id: x, other: ...}` is narrowed by `_id` too (the exactly-once updates, `{_id, _applied:
#    {$ne: event}}`, are of that form), and so is a `$in` of strings (the outbox relay's leases).
# Each patch is (file in FerretDB's module, text, replacement, occurrences).
PATCHES: tuple[tuple[str, str, str, int], ...] = (
    (
        "internal/backends/sqlite/metadata/metadata.go",
        "IDColumn = DefaultColumn + \"->'$._id'\"",
        """IDColumn = DefaultColumn + `->"_id"`""",
        1,
    ),
    (
        "internal/backends/sqlite/collection.go",
        "if params.Filter.Len() == 1 {",
        'if occurrences(params.Filter.Keys(), "_id") == 1 {',
        2,
    ),
    (
        "internal/backends/sqlite/collection.go",
        "\t\t\targs = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}\n"
        "\t\t}\n\t}\n\n\tq += whereClause\n",
        "\t\t\targs = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}\n"
        "\t\tcase *types.Document:\n"
        "\t\t\tif marks, values, ok := idIn(v); ok {\n"
        "\t\t\t\twhereClause = fmt.Sprintf(` WHERE %s IN (%s)`, metadata.IDColumn, marks)\n"
        "\t\t\t\targs = values\n"
        "\t\t\t}\n"
        "\t\t}\n\t}\n\n\tq += whereClause\n",
        1,
    ),
    (  # the same in `explain`, so it reports what a query does
        "internal/backends/sqlite/collection.go",
        "\t\t\targs = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}\n"
        "\t\t}\n\t}\n\n\torderByClause := prepareOrderByClause(params.Sort)\n",
        "\t\t\targs = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}\n"
        "\t\tcase *types.Document:\n"
        "\t\t\tif marks, values, ok := idIn(v); ok {\n"
        "\t\t\t\tfilterPushdown = true\n"
        "\t\t\t\twhereClause = fmt.Sprintf(` WHERE %s IN (%s)`, metadata.IDColumn, marks)\n"
        "\t\t\t\targs = values\n"
        "\t\t\t}\n"
        "\t\t}\n\t}\n\n\torderByClause := prepareOrderByClause(params.Sort)\n",
        1,
    ),
    (
        "internal/backends/sqlite/collection.go",
        "func (c *collection) Query(",
        """// occurrences is how many times key is in keys (Document.Get panics on a repeated key).
func occurrences(keys []string, key string) int {
\tn := 0
\tfor _, k := range keys {
\t\tif k == key {
\t\t\tn++
\t\t}
\t}
\treturn n
}

// idIn is the SQL list of `{_id: {$in: [...]}}` when every value is a string or an ObjectID.
func idIn(v any) (string, []any, bool) {
\td, ok := v.(*types.Document)
\tif !ok || d.Len() != 1 || !d.Has("$in") {
\t\treturn "", nil, false
\t}
\tarr, ok := must.NotFail(d.Get("$in")).(*types.Array)
\tif !ok || arr.Len() == 0 || arr.Len() > 1000 {
\t\treturn "", nil, false
\t}
\tmarks := make([]string, arr.Len())
\tvalues := make([]any, arr.Len())
\tfor i := range marks {
\t\te := must.NotFail(arr.Get(i))
\t\tswitch e.(type) {
\t\tcase string, types.ObjectID:
\t\tdefault:
\t\t\treturn "", nil, false
\t\t}
\t\tmarks[i] = "?"
\t\tvalues[i] = string(must.NotFail(sjson.MarshalSingleValue(e)))
\t}
\treturn strings.Join(marks, ", "), values, true
}

func (c *collection) Query(""",
        1,
    ),
)


def cache_key(source: Path | None = None) -> str:
    """`ferretdb-<version>-<hash of go.mod, go.sum, main.go, patches>`: a change builds a new binary."""
    source = source or source_dir()
    sources = [source / name for name in ("go.mod", "go.sum", "main.go")]
    patches = hashlib.sha256(json.dumps(PATCHES).encode()).hexdigest()[:6]
    return f"ferretdb-{ferretdb_version(source)}-{content_hash(*sources)}{patches}"


def apply_patches(module: Path) -> None:
    """Apply PATCHES to a writable copy of FerretDB's module; each must match as often as it says."""
    for relative, old, new, occurrences in PATCHES:
        path = module / relative
        text = path.read_text(encoding="utf-8")
        if text.count(old) != occurrences:
            raise ValueError(f"{path}: expected {occurrences} of {old!r} to patch, found {text.count(old)}")
        path.write_text(text.replace(old, new), encoding="utf-8")


def _module_dir(go: str, wrapper: Path, env: dict[str, str], label: str) -> Path:
    """FerretDB's module in Go's module cache (downloaded if missing)."""
    module = f"github.com/FerretDB/FerretDB@v{ferretdb_version()}"
    found = subprocess.run(
        [go, "mod", "download", "-json", module],
        cwd=wrapper, env=env, capture_output=True, text=True, check=False, timeout=BUILD_TIMEOUT_SECONDS,
    )  # fmt: skip
    if found.returncode != 0:
        raise ProvisioningFailed(f"{label}: `go mod download {module}` failed:\n{found.stderr[-2000:]}")
    return Path(json.loads(found.stdout)["Dir"])


def mongod_on_path() -> str | None:
    return shutil.which("mongod")


class Mongo(Server):
    name = "mongo"
    url_env = MONGO_URL_ENV
    start_timeout = 60.0

    def url(self, profile: Profile) -> str:
        return f"mongodb://127.0.0.1:{profile.mongo_port}/"

    def ports(self, profile: Profile) -> tuple[int, ...]:
        return (profile.mongo_port,)

    def implementation(self) -> str:
        mongod = mongod_on_path()
        return f"mongod ({mongod})" if mongod else f"FerretDB {ferretdb_version()}"

    def check_toolchain(self) -> None:
        if mongod_on_path() is None and not (cache_dir() / cache_key()).is_dir():
            toolchain.go("build FerretDB", "or put mongod on PATH, or set SIGNUM_MONGO_URL to a MongoDB")

    def prepare(self, profile: Profile, home: ServerHome, progress: Progress) -> Launch:
        address = ("127.0.0.1", str(profile.mongo_port))
        mongod = mongod_on_path()
        if mongod:
            # Its own folder: mongod cannot read FerretDB's SQLite files, nor the other way round.
            data = home.root / "data-mongod"
            data.mkdir(parents=True, exist_ok=True)
            argv = [mongod, "--dbpath", str(data.resolve()), "--bind_ip", address[0],
                    "--port", address[1]]  # fmt: skip
        else:
            binary = self.provision(progress) / BINARY
            home.data.mkdir(parents=True, exist_ok=True)
            argv = [str(binary), "-listen-addr", ":".join(address),
                    "-data-dir", str(home.data.resolve()), "-log-level", "warn"]  # fmt: skip
        return Launch(argv=argv, env=dict(os.environ), cwd=home.root)

    def probe(self, url: str) -> bool:
        return mongo_ready(url)

    def provision(self, progress: Progress) -> Path:
        """The cache entry holding the FerretDB binary, built by Go the first time."""
        label = f"mongo (FerretDB {ferretdb_version()})"

        def build(folder: Path, build_log: Path) -> None:
            go = toolchain.go("build FerretDB", "or set SIGNUM_MONGO_URL")
            progress(f"{label}: building with Go (first run only, 1-2 min)…")
            env = build_env(GOWORK="off")
            with tempfile.TemporaryDirectory(prefix="signum-ferretdb-") as tmp:
                # The wrapper is built against a patched copy of FerretDB's module (see PATCHES).
                wrapper, module = Path(tmp) / "wrapper", Path(tmp) / "ferretdb"
                wrapper.mkdir()
                for name in ("go.mod", "go.sum", "main.go"):
                    shutil.copy2(source_dir() / name, wrapper / name)
                shutil.copytree(_module_dir(go, wrapper, env, label), module)
                for path in [module, *module.rglob("*")]:  # the module cache's files are read-only
                    path.chmod(path.stat().st_mode | stat.S_IWUSR)
                apply_patches(module)
                steps = (
                    [go, "mod", "edit", f"-replace=github.com/FerretDB/FerretDB={module}"],
                    [go, "build", "-buildvcs=false", "-o", str(folder / BINARY), "."],
                )
                for argv in steps:
                    run_build(argv, cwd=wrapper, env=env, log_path=build_log, label=label, progress=progress)

        return provision(cache_key(), build, label=label, progress=progress)
