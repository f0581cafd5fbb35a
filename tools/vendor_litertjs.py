"""Refresh the vendored LiteRT.js files of the browser app from npm, with checksums.

Usage (from the repo root; needs npm and the npm registry):
    python tools/vendor_litertjs.py            # the pinned version
    python tools/vendor_litertjs.py --check    # verify the vendored files against SHA256SUMS

`kcolor web` serves the page and runs the shipped .tflite in the browser with LiteRT.js. Only
what the page needs is kept, in kcolor/web/static/vendor/litertjs/:
- `core.js`: `@litertjs/core`'s ES module, with its one bare import of `@litertjs/wasm-utils`
  pointed at `./wasm-utils.js` (a Web Worker has no import map) and its source-map line dropped;
- `wasm-utils.js`: `@litertjs/wasm-utils`'s ES module;
- `wasm/litert_wasm_compat_internal.js` and `.wasm.gz`: the build every browser with WebAssembly
  SIMD runs, on one thread (a plain static server, an older browser);
- `wasm/litert_wasm_threaded_internal.js` and `.wasm.gz`: the threaded build (relaxed SIMD,
  threads), which the page loads when it is cross-origin isolated (`kcolor web` sends COOP/COEP)
  and the browser has relaxed SIMD: in headless Chromium on 2 cores it ran the 256-px network
  in 0.12-0.15 s against 0.25-0.27 s (docs/benchmarks.md). Each 9.3 MB `.wasm` is kept gzipped
  (2.8 MB): `kcolor web` serves it with `Content-Encoding: gzip`; a plain static server needs it
  unpacked once (`gunzip -k wasm/*.wasm.gz`);
- `VERSION.json` (package versions, npm integrity, licence), `LICENSE` (Apache-2.0, the licence
  both packages declare; kept in the repo, as the packages ship no licence file), `SHA256SUMS`.
"""

import argparse
import gzip
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
VENDOR = REPO_ROOT / "kcolor" / "web" / "static" / "vendor" / "litertjs"
VERSION = "2.5.3"
PACKAGES = ("@litertjs/core", "@litertjs/wasm-utils")
WASM_BUILD = "litert_wasm_compat_internal"
# Cross-origin isolated pages (`kcolor web`) with relaxed SIMD load this one, on several threads.
THREADED_BUILD = "litert_wasm_threaded_internal"
WASM_BUILDS = (WASM_BUILD, THREADED_BUILD)
BARE_IMPORT = 'from "@litertjs/wasm-utils"'
LOCAL_IMPORT = 'from "./wasm-utils.js"'
KEPT = (
    "core.js",
    "wasm-utils.js",
    *(f"wasm/{build}{suffix}" for build in WASM_BUILDS for suffix in (".js", ".wasm.gz")),
    "VERSION.json",
    "LICENSE",
)


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def checksums(folder=VENDOR, kept=KEPT):
    """`SHA256SUMS` text of the kept files (LICENSE included)."""
    return "".join(f"{sha256(folder / name)}  {name}\n" for name in kept)


def check(folder=VENDOR, kept=KEPT):
    """Names of vendored files whose sha256 differs from SHA256SUMS (empty when all match)."""
    expected = {}
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        expected[name] = digest
    return [n for n in kept if not (folder / n).is_file() or sha256(folder / n) != expected.get(n)]


def npm_pack(spec, work):
    """`npm pack SPEC` into `work`, unpacked; returns (package folder, npm metadata)."""
    result = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(work)],
        capture_output=True,
        text=True,
        check=True,
    )
    info = json.loads(result.stdout)[0]
    folder = work / spec.rsplit("@", 1)[0].split("/")[-1]
    with tarfile.open(work / info["filename"]) as archive:
        archive.extractall(folder, filter="data")
    return folder / "package", info


def strip_source_map(text):
    return "\n".join(
        line for line in text.splitlines() if not line.startswith("//# sourceMappingURL")
    )


def fetch(version, work):
    """`npm pack` both packages into `work`; returns {package: (folder, npm metadata)}."""
    return {package: npm_pack(f"{package}@{version}", work) for package in PACKAGES}


def vendor(version):
    with tempfile.TemporaryDirectory() as tmp:
        packages = fetch(version, Path(tmp))
        core, core_info = packages["@litertjs/core"]
        utils, utils_info = packages["@litertjs/wasm-utils"]
        core_js = strip_source_map((core / "dist" / "index.js").read_text(encoding="utf-8"))
        if core_js.count(BARE_IMPORT) != 1:
            raise SystemExit(f"@litertjs/core {version}: expected one `{BARE_IMPORT}`")
        (VENDOR / "wasm").mkdir(parents=True, exist_ok=True)
        (VENDOR / "core.js").write_text(core_js.replace(BARE_IMPORT, LOCAL_IMPORT) + "\n")
        utils_js = strip_source_map((utils / "dist" / "index.js").read_text(encoding="utf-8"))
        (VENDOR / "wasm-utils.js").write_text(utils_js + "\n")
        for build in WASM_BUILDS:
            wasm = core / "wasm" / build
            shutil.copyfile(wasm.with_suffix(".js"), VENDOR / "wasm" / f"{build}.js")
            # mtime 0: the same bytes on every refresh, so SHA256SUMS only changes with the package.
            packed = gzip.compress(wasm.with_suffix(".wasm").read_bytes(), compresslevel=9, mtime=0)
            (VENDOR / "wasm" / f"{build}.wasm.gz").write_bytes(packed)
            (VENDOR / "wasm" / f"{build}.wasm").unlink(missing_ok=True)
        licences = {json.loads((p / "package.json").read_text())["license"] for p in (core, utils)}
        record = {
            package: {"version": info["version"], "integrity": info["integrity"]}
            for package, (_, info) in packages.items()
        }
        record["license"] = sorted(licences)
        record["wasm_builds"] = list(WASM_BUILDS)
        (VENDOR / "VERSION.json").write_text(json.dumps(record, indent=2) + "\n")
    if not (VENDOR / "LICENSE").is_file():
        raise SystemExit(f"{VENDOR / 'LICENSE'} is missing: restore it from git")
    (VENDOR / "SHA256SUMS").write_text(checksums())
    print(f"vendored LiteRT.js {version} ({', '.join(licences)}) into {VENDOR}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=VERSION)
    parser.add_argument("--check", action="store_true", help="verify SHA256SUMS only")
    args = parser.parse_args(argv)
    if args.check:
        bad = check()
        if bad:
            raise SystemExit(f"changed or missing: {', '.join(bad)}")
        print("all vendored LiteRT.js files match SHA256SUMS")
        return
    vendor(args.version)


if __name__ == "__main__":
    sys.exit(main())
