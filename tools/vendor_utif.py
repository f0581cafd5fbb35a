"""Refresh the vendored TIFF decoder of the browser app from npm, with checksums.

Usage (from the repo root; needs npm and the npm registry):
    python tools/vendor_utif.py            # the pinned versions
    python tools/vendor_utif.py --check    # verify the vendored files against SHA256SUMS

Browsers other than Safari cannot decode TIFF, the format scanners write, so the page's worker
decodes it with UTIF.js (Photopea's baseline TIFF decoder: none, LZW, PackBits, JPEG and
deflate compression; 1 to 16 bits). Its deflate path calls pako's `inflate`, so pako's inflate
build comes too. Kept in kcolor/web/static/vendor/utif/: `UTIF.js` and `LICENSE` (MIT) from
`utif`, `pako_inflate.min.js` and `pako-LICENSE` (MIT and Zlib) from `pako`, `VERSION.json`
(versions, npm integrity, licences) and `SHA256SUMS`. The worker loads them only when a TIFF
arrives.
"""

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from vendor_litertjs import REPO_ROOT, check, checksums, npm_pack

VENDOR = REPO_ROOT / "kcolor" / "web" / "static" / "vendor" / "utif"
VERSIONS = {"utif": "3.1.0", "pako": "2.1.0"}
# (package, file in the package) -> name kept here
FILES = {
    ("utif", "UTIF.js"): "UTIF.js",
    ("utif", "LICENSE"): "LICENSE",
    ("pako", "dist/pako_inflate.min.js"): "pako_inflate.min.js",
    ("pako", "LICENSE"): "pako-LICENSE",
}
KEPT = (*FILES.values(), "VERSION.json")


def vendor(versions=VERSIONS):
    VENDOR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        packages = {name: npm_pack(f"{name}@{v}", Path(tmp)) for name, v in versions.items()}
        for (package, source), kept in FILES.items():
            shutil.copyfile(packages[package][0] / source, VENDOR / kept)
        record = {
            name: {
                "version": info["version"],
                "integrity": info["integrity"],
                "license": json.loads((folder / "package.json").read_text())["license"],
            }
            for name, (folder, info) in packages.items()
        }
    (VENDOR / "VERSION.json").write_text(json.dumps(record, indent=2) + "\n")
    (VENDOR / "SHA256SUMS").write_text(checksums(VENDOR, KEPT))
    print(f"vendored {', '.join(f'{n} {v}' for n, v in versions.items())} into {VENDOR}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify SHA256SUMS only")
    args = parser.parse_args(argv)
    if args.check:
        bad = check(VENDOR, KEPT)
        if bad:
            raise SystemExit(f"changed or missing: {', '.join(bad)}")
        print("all vendored UTIF.js files match SHA256SUMS")
        return
    vendor()


if __name__ == "__main__":
    sys.exit(main())
