"""Benchmark: `kcolor web` in headless Chromium: model load, time to the first result, per photo.

Usage (from the repo root; needs Playwright and Debian's chromium-headless-shell):
    python bench/web_bench.py [--photos 5] [--screenshot docs/images/web-page.png]

For each precision (fp32, fp16, int8): a fresh page loads the model (LiteRT.js, wasm: the
threaded build on a cross-origin isolated page with relaxed SIMD, else the one-thread build),
then colorizes one kodak24 photo (768x512, made gray) -- the time to the first result counts
from opening the page -- then `--photos` more, one at a time, and a 12-megapixel photo
(4243x2828, kodim05 upscaled). The worker's own timings split each photo into decode, the
256-px inference, the full-resolution join and the PNG encode. With --screenshot, the page
after the fp32 run is saved, as a user sees it.

With --points (a guided model: the shipped default, or --model FILE), each
precision also times the page's color points on one 768x512 photo, the model already loaded:
`--clicks` times, a click on the photo until its suggestions show (suggestions), then choosing
the first one until the new colors are drawn (recolor), as the page itself measures them
(data-suggest-seconds, data-recolor-seconds); the median and the slowest are printed.
"""

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _wait_done(page, count, timeout=600_000):
    # A locator, not wait_for_function: `kcolor web`'s Content-Security-Policy forbids eval.
    finished = page.locator("a[download$='.png'], .error")
    finished.nth(count - 1).wait_for(state="attached", timeout=timeout)


def _timings(page):
    """The worker's timings of each finished photo, from the page's info lines."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.actions span')).map((s) => s.textContent)"""
    )


def run_precision(browser, url, precision, photos, big, screenshot=None):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    opened = time.perf_counter()
    page.goto(f"{url}?precision={precision}")
    page.locator("#status", has_text="Model ready").wait_for(timeout=120_000)
    ready = time.perf_counter() - opened
    page.set_input_files("input[type=file]", [str(photos[0])])
    _wait_done(page, 1)
    first = time.perf_counter() - opened
    start = time.perf_counter()
    page.set_input_files("input[type=file]", [str(p) for p in photos[1:]])
    _wait_done(page, len(photos))
    per_photo = (time.perf_counter() - start) / max(1, len(photos) - 1)
    start = time.perf_counter()
    page.set_input_files("input[type=file]", [str(big)])
    _wait_done(page, len(photos) + 1)
    big_seconds = time.perf_counter() - start
    info = _timings(page)
    threads = page.get_attribute("body", "data-threads")  # "yes": LiteRT's threaded build
    if screenshot:
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(screenshot))
    page.close()
    return {
        "threads": threads,
        "precision": precision,
        "model_ready_s": ready,
        "first_result_s": first,
        "per_photo_s": per_photo,
        "photo_12mp_s": big_seconds,
        "info": info,
    }


def run_points(browser, url, precision, photo, clicks, screenshot=None):
    """Suggestion and recolor seconds (as the page measures them) for `clicks` new points; with
    `screenshot`, the page is saved with its points and one more spot's suggestions open."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(f"{url}?precision={precision}")
    page.locator("#status", has_text="Model ready").wait_for(timeout=120_000)
    if page.get_attribute("body", "data-guided") != "yes":
        page.close()
        raise SystemExit("--points needs a guided model (--model GUIDED.tflite)")
    page.set_input_files("input[type=file]", [str(photo)])
    item = page.locator("#photos > li[data-ready=yes]")
    item.wait_for(timeout=120_000)
    frame = page.locator(".frame")
    box = frame.bounding_box()
    suggest, recolor = [], []
    for n in range(clicks):
        spot = {
            "x": box["width"] * (0.1 + 0.8 * ((n * 0.37) % 1)),
            "y": box["height"] * (0.2 + 0.06 * n % 0.7),
        }
        frame.click(position=spot)
        page.locator(".suggestion").first.wait_for(timeout=60_000)
        suggest.append(
            float(page.locator("#photos > li").first.get_attribute("data-suggest-seconds"))
        )
        choices = page.locator(".suggestion")
        choices.nth(n % choices.count()).click()  # the likely colors in turn, as a user might
        item.wait_for(timeout=60_000)
        recolor.append(
            float(page.locator("#photos > li").first.get_attribute("data-recolor-seconds"))
        )
    threads = page.get_attribute("body", "data-threads")
    if screenshot:
        frame.click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.5})
        page.locator(".suggestion").first.wait_for(timeout=60_000)
        page.locator("#photos > li").first.screenshot(path=str(screenshot))
    page.close()
    return {"threads": threads, "suggest": suggest, "recolor": recolor}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "kodak24"))
    parser.add_argument("--photos", type=int, default=5)
    parser.add_argument("--browser", default="/usr/bin/chromium-headless-shell")
    parser.add_argument(
        "--screenshot",
        help="save the page after the fp32 run (PNG); with --points, a photo with its points",
    )
    parser.add_argument(
        "--isolation",
        choices=["on", "off", "both"],
        default="on",
        help="on: kcolor web as shipped (COOP/COEP: LiteRT's threaded build where the browser "
        "has relaxed SIMD); off: without them (the one-thread compat build, as from a plain "
        "static server); both: one after the other",
    )
    parser.add_argument("--points", action="store_true", help="time color points (guided)")
    parser.add_argument("--clicks", type=int, default=8)
    parser.add_argument("--model", default="default", help="a .tflite file instead of the shipped")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp())
    sources = sorted(Path(args.data).glob("*.png"))[: args.photos + 1]
    photos = []
    for source in sources:
        gray = work / source.name
        Image.open(source).convert("L").save(gray)
        photos.append(gray)
    print(f"machine: {platform.machine()}, headless Chromium ({args.browser})")
    if args.points:
        return points_table(args, photos[0])
    big = work / "big-12mp.png"
    Image.open(photos[0]).resize((4243, 2828), Image.BICUBIC).save(big)
    print(
        "| isolation | wasm threads | precision | model ready | first result | per 768x512 photo "
        "| 12 MP photo |"
    )
    print("|---|---|---|---|---|---|---|")
    for browser, isolation, url, precisions in each_server(args):
        for precision in precisions:
            shot = args.screenshot if precision == "fp32" and isolation == "on" else None
            row = run_precision(browser, url, precision, photos, big, shot)
            print(
                f"| {isolation} | {row['threads']} | {precision} | "
                f"{row['model_ready_s']:.2f} s | {row['first_result_s']:.2f} s | "
                f"{row['per_photo_s']:.2f} s | {row['photo_12mp_s']:.2f} s |",
                flush=True,
            )
            for line in row["info"]:
                print(f"  {precision}: {line}")


def each_server(args):
    """`(browser, isolation, url, precisions)` for each isolation asked: one headless Chromium,
    one `kcolor web` server at a time (the shipped models, or `--model`)."""
    from playwright.sync_api import sync_playwright

    from kcolor.web.server import make_server, serve_in_thread, url_of

    precisions = ("fp32", "fp16", "int8") if args.model == "default" else ("custom",)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.browser, args=BROWSER_ARGS)
        for isolation in ("on", "off") if args.isolation == "both" else (args.isolation,):
            server = make_server("127.0.0.1", 0, model=args.model, isolated=isolation == "on")
            serve_in_thread(server)
            yield browser, isolation, url_of(server), precisions
            server.shutdown()
        browser.close()


def points_table(args, photo):
    print(
        "| isolation | wasm threads | precision | suggestions, median (slowest) "
        "| recolor, median (slowest) |"
    )
    print("|---|---|---|---|---|")
    for browser, isolation, url, precisions in each_server(args):
        for precision in precisions:
            first = precision == precisions[0] and isolation == "on"
            shot = args.screenshot if first else None
            row = run_points(browser, url, precision, photo, args.clicks, shot)
            s, r = row["suggest"], row["recolor"]
            print(
                f"| {isolation} | {row['threads']} | {precision} | "
                f"{statistics.median(s):.3f} s ({max(s):.3f} s) | "
                f"{statistics.median(r):.3f} s ({max(r):.3f} s) |",
                flush=True,
            )


if __name__ == "__main__":
    main()
