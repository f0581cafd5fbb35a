"""Benchmark: how closely `kcolor web` in headless Chromium matches `kcolor colorize`.

Usage (from the repo root; Playwright and Debian's chromium-headless-shell):
    python bench/web_agreement.py

Six photos made gray (kodak24 kodim03, 05, 19, 23; coco_val2017 000000034417, 000000104455);
for each precision, the share of pixels identical and within one level between the page's PNG
and the CLI's, and the largest difference. It drives the page with the browser tests' helper
(tests/test_web.py), so it measures exactly what CI checks.

With `--points N` (a guided model: the shipped default), each photo first gets N color points in
the page (a click at a fixed spot, the suggestions taken in turn), its "Save points" file is
kept, and the page's PNG is compared with `kcolor colorize --hints` of that file (issue 32).
"""

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

KODAK = ("kodim03.png", "kodim05.png", "kodim19.png", "kodim23.png")
COCO = ("000000034417.jpg", "000000104455.jpg")


def compare(ours, theirs):
    """(share identical, share within one level, largest difference) of two PNGs."""
    import numpy as np
    from PIL import Image

    a = np.asarray(Image.open(ours).convert("RGB"), np.int16)
    b = np.asarray(Image.open(theirs).convert("RGB"), np.int16)
    diff = np.abs(a - b).max(axis=-1)
    return float(np.mean(diff == 0)), float(np.mean(diff <= 1)), int(diff.max())


def add_points(page, item, count, folder):
    """`count` points on one photo's card; returns its hints file and its PNG."""
    frame = item.locator(".frame")
    box = frame.bounding_box()
    for n in range(count):
        spot = {
            "x": box["width"] * (0.15 + 0.7 * ((n * 0.37) % 1)),
            "y": box["height"] * (0.2 + 0.6 * ((n * 0.61) % 1)),
        }
        frame.click(position=spot)
        item.locator(".suggestion").first.wait_for(timeout=60_000)
        choices = item.locator(".suggestion")
        choices.nth(n % choices.count()).click()
    page.locator("#photos > li[data-ready=no]").wait_for(state="detached", timeout=120_000)
    with page.expect_download() as info:
        item.locator(".save").click()
    hints = folder / info.value.suggested_filename
    info.value.save_as(hints)
    with page.expect_download() as info:
        item.locator("a[download$='.png']").click()
    png = folder / info.value.suggested_filename
    info.value.save_as(png)
    return hints, png


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=0, help="color points per photo")
    args = parser.parse_args()
    import test_web as harness
    from playwright.sync_api import sync_playwright

    from kcolor import Colorizer
    from kcolor.shipped import shipped_model_path
    from kcolor.web.server import make_server, serve_in_thread, url_of

    work = Path(tempfile.mkdtemp())
    data = REPO.parent / "shared" / "data"
    sources = [data / "kodak24" / n for n in KODAK] + [data / "coco_val2017" / n for n in COCO]
    photos = [harness._gray(source, work / source.name) for source in sources]
    server = make_server("127.0.0.1", 0)
    serve_in_thread(server)
    print("| precision | photo | identical | within 1 level | largest difference |")
    print("|---|---|---|---|---|")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=harness._browser_path(), args=harness.BROWSER_ARGS
        )
        for precision in ("fp32", "fp16", "int8"):
            downloads = work / precision
            downloads.mkdir()
            page = harness.Page(browser, f"{url_of(server)}?precision={precision}", downloads)
            saved, _ = page.colorize(photos)
            hints = {}
            if args.points:
                for index, photo in enumerate(photos):
                    item = page.page.locator("#photos > li").nth(index)
                    hints[photo.name], saved[photo.stem + ".png"] = add_points(
                        page.page, item, args.points, downloads
                    )
            page.close()
            model = shipped_model_path("default", backend="tflite", variant=precision)
            cli = work / f"{precision}-cli"
            cli.mkdir()
            for photo in photos:
                out = cli / (photo.stem + ".png")
                Colorizer.load(str(model)).colorize(photo, hints=hints.get(photo.name)).save(out)
                same, close, largest = compare(saved[photo.stem + ".png"], out)
                print(f"| {precision} | {photo.name} | {same:.4%} | {close:.4%} | {largest} |")
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
