"""Write the shipped default as a trainable `.keras` generator (rebuilt from its SavedModel).

Usage (from the repo root; needs TensorFlow, which reads the SavedModel):
    python tools/shipped_keras.py default.keras

For what cannot read the SavedModel itself: `kcolor train --backend jax --init-generator
default.keras`, or `kcolor evaluate default.keras --image-size 128` (the SavedModel takes 256
only). `kcolor train --init-generator default` on TensorFlow needs no such file.
"""

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this clone's kcolor


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="the .keras file to write")
    parser.add_argument("--name", default="default", help="the shipped model (default)")
    args = parser.parse_args()
    if not args.out.endswith(".keras"):
        raise SystemExit(f"{args.out}: the file name must end in .keras")
    from kcolor.models.shipped_generator import write_shipped_keras

    write_shipped_keras(args.out, args.name)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
