"""`kcolor web` in a real browser (issue 18): Debian's headless Chromium driven by Playwright.

The page is used as a person would: photos go in through its file input, results come out
through its download links. Each result must match `kcolor colorize` (the same photo, the same
.tflite) on at least 99.9% of pixels within 1 level, and carry real color. No test here may skip
for want of a browser: CI installs it (.ci/run), and a missing one is a failure.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from kcolor.web.server import make_server, serve_in_thread, url_of

BROWSER_CANDIDATES = (
    os.environ.get("KCOLOR_TEST_BROWSER", ""),
    "/usr/bin/chromium-headless-shell",
    "/usr/bin/chromium",
)
# Flags for a closed network: no background requests, no component updates, no GPU.
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_PREFIXES = ("http://127.0.0.1:", "blob:http://127.0.0.1:", "data:")


def _browser_path():
    for candidate in BROWSER_CANDIDATES:
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("chromium-headless-shell") or shutil.which("chromium")  # or None


NO_BROWSER_HINT = (
    "no Chromium found: apt-get install chromium-headless-shell (.ci/run does), or "
    "python -m playwright install chromium"
)


@pytest.fixture(scope="module")
def app():
    server = make_server("127.0.0.1", 0)
    serve_in_thread(server)
    yield url_of(server)
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        try:  # Debian's Chromium, else the one `playwright install chromium` fetched
            chromium = playwright.chromium.launch(
                executable_path=_browser_path(), args=BROWSER_ARGS
            )
        except Exception as err:  # Playwright raises its own Error type for a missing browser
            pytest.fail(f"{NO_BROWSER_HINT} ({str(err).splitlines()[0]})")
        yield chromium
        chromium.close()


class Page:
    """One page of the app, with every request it makes recorded."""

    def __init__(self, browser, url, downloads):
        self.context = browser.new_context(accept_downloads=True)
        self.page = self.context.new_page()
        self.requests = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.console = []  # (type, text) of every console message, the worker's included
        self.page.on("console", lambda message: self.console.append((message.type, message.text)))
        self.downloads = downloads
        self.page.goto(url)
        self.wait_for_status("Model ready", timeout=120_000)

    def colorize(self, files, timeout=300_000):
        """Give files to the input; wait for a link or an error for each; return the PNGs
        downloaded through the links and the texts of the errors."""
        before = len(self.page.query_selector_all("#photos > li"))
        self.page.set_input_files("input[type=file]", [str(f) for f in files])
        expected = before + len(files)
        if expected:  # locators, not wait_for_function: the page's CSP forbids eval
            finished = self.page.locator("a[download$='.png'], .error")
            finished.nth(expected - 1).wait_for(state="attached", timeout=timeout)
        saved = {}
        for link in self.page.query_selector_all("a[download$='.png']"):
            with self.page.expect_download() as info:
                link.click()
            path = self.downloads / info.value.suggested_filename
            info.value.save_as(path)
            saved[info.value.suggested_filename] = path
        errors = [e.text_content() for e in self.page.query_selector_all(".error")]
        return saved, errors

    def wait_for_status(self, start, timeout=30_000):
        status = self.page.locator("#status", has_text=re.compile("^" + re.escape(start)))
        status.wait_for(state="attached", timeout=timeout)

    def close(self):
        self.context.close()


def click_photo(scope, x, y, size):
    """Click pixel (x, y) of a `size` (width, height) photo on its card's before/after frame
    (`scope`: the page or the photo's card), as a user clicks it whatever the zoom."""
    frame = scope.locator(".frame")
    box = frame.bounding_box()
    frame.click(
        position={"x": box["width"] * (x + 0.5) / size[0], "y": box["height"] * (y + 0.5) / size[1]}
    )


def _agreement(browser_png, cli_png):
    ours = np.asarray(Image.open(browser_png).convert("RGB"), np.int16)
    theirs = np.asarray(Image.open(cli_png).convert("RGB"), np.int16)
    assert ours.shape == theirs.shape
    return float(np.mean(np.abs(ours - theirs).max(axis=-1) <= 1))


def _chroma(png):
    from kcolor.color import lab_math

    rgb = np.asarray(Image.open(png).convert("RGB"), np.float32) / 255.0
    lab = lab_math.rgb_to_lab(rgb)
    return float(np.hypot(lab[..., 1], lab[..., 2]).mean())


def _cli_colorize(photo, tflite, out_dir):
    from kcolor import Colorizer

    out = out_dir / (Path(photo).stem + ".png")
    Colorizer.load(str(tflite)).colorize(photo).save(out)
    return out


def _gray(source, destination):
    Image.open(source).convert("L").save(destination)
    return destination


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_page_colors_match_kcolor_colorize_and_a_bad_file_is_named(
    precision, app, browser, shared_data, tmp_path
):
    from kcolor.shipped import shipped_model_path

    photos = [
        _gray(shared_data / "kodak24" / "kodim05.png", tmp_path / "kodim05.png"),
        _gray(shared_data / "coco_val2017" / "000000034417.jpg", tmp_path / "coco.jpg"),
        tmp_path / "broken.jpg",
        tmp_path / "notes.webp",
    ]
    photos[2].write_bytes((shared_data / "kodak24" / "kodim05.png").read_bytes()[:2000])
    photos[3].write_bytes(b"not an image at all")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    page = Page(browser, f"{app}?precision={precision}", downloads)
    try:
        saved, errors = page.colorize(photos)
        page.wait_for_status("Done")  # issue 30: not stuck when the last file is no photo
        labels = page.page.eval_on_selector_all(
            "#precision option", "options => options.map(o => [o.textContent, o.title])"
        )
        sides = page.page.eval_on_selector(".compare .sides", "e => e.textContent")
        threads = page.page.get_attribute("body", "data-threads")
    finally:
        page.close()
    assert threads == "yes"  # isolated page, relaxed SIMD: LiteRT's threaded build (issue 32)
    assert [text.split(" (")[0] for text, _ in labels] == ["Best", "Smaller", "Fastest"]
    assert [title.split(":")[0] for _, title in labels] == ["fp32", "fp16", "int8"]
    assert all(text.endswith(" MB)") for text, _ in labels)
    assert sides.split() == ["Before", "After"]
    errors_in_console = [text for kind, text in page.console if kind == "error"]
    assert errors_in_console == [], errors_in_console  # LiteRT's INFO lines are not errors
    assert sorted(saved) == ["coco.png", "kodim05.png"]
    assert len(errors) == 2 and "broken.jpg" in errors[0] + errors[1]
    assert "notes.webp" in errors[0] + errors[1]
    tflite = shipped_model_path("default", backend="tflite", variant=precision)
    cli_dir = tmp_path / "cli"
    cli_dir.mkdir()
    for photo in photos[:2]:
        ours = saved[photo.stem + ".png"]
        assert Image.open(ours).size == Image.open(photo).size  # full resolution
        agreement = _agreement(ours, _cli_colorize(photo, tflite, cli_dir))
        assert agreement >= 0.999, f"{photo.name} {precision}: {agreement:.5f} within 1 level"
        assert _chroma(ours) > 3.0  # real colors, not the gray input back (the int8 pitfall)
    outside = [u for u in page.requests if not u.startswith(LOCAL_PREFIXES)]
    assert outside == [], f"requests left 127.0.0.1: {outside}"


def test_exif_rotated_photo_comes_out_upright_as_in_the_cli(app, browser, shared_data, tmp_path):
    from fixtures_images import exif_rotated_jpeg

    from kcolor.shipped import shipped_model_path

    array = np.asarray(Image.open(shared_data / "kodak24" / "kodim19.png").convert("L"))
    photo = tmp_path / "sideways.jpg"
    exif_rotated_jpeg(photo, np.stack([array] * 3, -1), orientation=6)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    page = Page(browser, f"{app}?precision=fp32", downloads)
    try:
        saved, errors = page.colorize([photo])
    finally:
        page.close()
    assert errors == []
    ours = saved["sideways.png"]
    upright = Image.open(ours).size
    assert upright == (array.shape[0], array.shape[1])  # rotated: width and height swap
    tflite = shipped_model_path("default", backend="tflite", variant="fp32")
    assert _agreement(ours, _cli_colorize(photo, tflite, tmp_path)) >= 0.999


def test_tiff_scans_are_colorized_as_in_the_cli(app, browser, shared_data, tmp_path):
    """Issue 30, item 7: TIFF, as scanners write it: 8-bit gray (LZW), 16-bit gray, and RGB
    with an Orientation tag (turned upright, as Pillow's exif_transpose does)."""
    from kcolor.shipped import shipped_model_path

    gray = Image.open(shared_data / "kodak24" / "kodim19.png").convert("L")
    photos = [tmp_path / "scan8.tif", tmp_path / "scan16.tiff", tmp_path / "turned.tif"]
    gray.save(photos[0], compression="tiff_lzw")
    sixteen = np.asarray(gray, np.uint16) * 257 + np.arange(gray.width, dtype=np.uint16) % 200
    Image.fromarray(sixteen.astype(np.uint16)).save(photos[1])
    gray.convert("RGB").save(photos[2], tiffinfo={274: 6})
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    page = Page(browser, f"{app}?precision=fp32", downloads)
    try:
        saved, errors = page.colorize(photos)
    finally:
        page.close()
    assert errors == []
    tflite = shipped_model_path("default", backend="tflite", variant="fp32")
    for photo in photos:
        ours = saved[photo.stem + ".png"]
        cli = _cli_colorize(photo, tflite, tmp_path)
        assert Image.open(ours).size == Image.open(cli).size
        agreement = _agreement(ours, cli)
        assert agreement >= 0.999, f"{photo.name}: {agreement:.5f} within 1 level"
    assert Image.open(saved["turned.png"]).size == (gray.height, gray.width)


def test_a_color_photo_is_not_recolored_without_asking(app, browser, shared_data, tmp_path):
    """Issue 30, item 7: its card says it is in color; "anyway" colorizes it from its gray,
    as `kcolor colorize` does."""
    from kcolor.shipped import shipped_model_path

    photo = tmp_path / "color.png"
    Image.open(shared_data / "kodak24" / "kodim23.png").save(photo)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    page = Page(browser, f"{app}?precision=fp32", downloads)
    try:
        page.page.set_input_files("input[type=file]", [str(photo)])
        page.page.wait_for_selector(".notice .colorize-anyway", timeout=60_000)
        notice = page.page.text_content(".notice")
        assert page.page.query_selector_all("a[download$='.png']") == []
        page.wait_for_status("Done")
        page.page.click(".colorize-anyway")
        saved, errors = page.colorize([])
    finally:
        page.close()
    assert "already in color" in notice and errors == []
    tflite = shipped_model_path("default", backend="tflite", variant="fp32")
    assert _agreement(saved["color.png"], _cli_colorize(photo, tflite, tmp_path)) >= 0.999


def test_server_serves_models_and_no_folder_listing(app):
    import json
    import urllib.error
    import urllib.request

    listing = json.loads(urllib.request.urlopen(f"{app}models.json").read())
    assert set(listing["models"]) == {"fp32", "fp16", "int8"}
    fp16 = listing["models"]["fp16"]
    head = urllib.request.Request(f"{app}{fp16['url']}", method="HEAD")
    assert int(urllib.request.urlopen(head).headers["Content-Length"]) == fp16["bytes"]
    wasm_url = f"{app}vendor/litertjs/wasm/litert_wasm_compat_internal.wasm"
    wasm = urllib.request.urlopen(wasm_url)  # no Accept-Encoding: the plain bytes
    assert wasm.headers["Content-Type"] == "application/wasm"
    assert wasm.read(4) == b"\0asm"
    packed = urllib.request.urlopen(
        urllib.request.Request(wasm_url, headers={"Accept-Encoding": "gzip"})
    )
    assert packed.headers["Content-Encoding"] == "gzip"
    for path in ("vendor/", "..%2F..%2F..%2Fetc%2Fpasswd", "models/secret.tflite"):
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{app}{path}")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cli_port_in_use_is_one_line_and_ctrl_c_stops_cleanly():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = subprocess.run(
            [sys.executable, "-m", "kcolor.cli.main", "web", "--no-browser", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert busy.returncode == 1
    assert busy.stderr.strip().count("\n") == 0 and "already in use" in busy.stderr
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "kcolor.cli.main", "web", "--no-browser", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = server.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line
        import urllib.request

        assert b"<input" in urllib.request.urlopen(f"http://127.0.0.1:{port}/").read()
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0 and "stopped" in out and "Traceback" not in err
    server = subprocess.Popen(
        [sys.executable, "-m", "kcolor.cli.main", "web", "--no-browser", "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    server.stdout.readline()
    server.terminate()
    assert server.wait(timeout=30) == 0 and "stopped" in server.stdout.read()
    with pytest.raises(ConnectionRefusedError), socket.socket() as probe:
        probe.connect(("127.0.0.1", port))  # nothing listens any more


def test_page_resize_and_lab_math_match_pillow_and_kcolor_exactly(app, browser):
    """The page's own pipeline functions against Pillow's BILINEAR resize (bit-exact) and
    kcolor.color.lab_math (within 1 level), run in the browser on random images."""
    import base64

    from kcolor.color import lab_math

    context = browser.new_context()
    page = context.new_page()
    page.goto(app)
    rng = np.random.default_rng(9)
    cases = [((97, 61), (31, 17)), ((300, 200), (256, 171)), ((64, 64), (64, 20))]
    cases += [((50, 80), (13, 80)), ((1000, 7), (256, 2))]
    try:
        for (sw, sh), (dw, dh) in cases:
            rgba = rng.integers(0, 256, (sh, sw, 4), dtype=np.uint8)
            ours = page.evaluate(
                """async ([data, sw, sh, dw, dh]) => {
                    const C = await import('./colorize.js');
                    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
                    return Array.from(C.resizeBilinearRGB(bytes, sw, sh, dw, dh));
                }""",
                [base64.b64encode(rgba.tobytes()).decode(), sw, sh, dw, dh],
            )
            pillow = Image.fromarray(rgba[..., :3]).resize((dw, dh), Image.BILINEAR)
            np.testing.assert_array_equal(np.reshape(ours, (dh, dw, 3)), np.asarray(pillow))
        lab = np.stack(
            [rng.uniform(0, 100, 5000), rng.uniform(-110, 110, 5000), rng.uniform(-110, 110, 5000)],
            axis=-1,
        ).astype(np.float32)
        ours = page.evaluate(
            """async (lab) => {
                const C = await import('./colorize.js');
                const out = [0, 0, 0], scratch = [0, 0, 0];
                return lab.map(([L, a, b]) => Array.from(C.labTo8bit(L, a, b, out, scratch)));
            }""",
            lab.tolist(),
        )
        expected = np.round(lab_math.lab_to_rgb_keep_lightness(lab) * 255.0)
        assert np.abs(np.asarray(ours) - expected).max() <= 1
        assert np.mean(np.asarray(ours) == expected) > 0.99
        from kcolor.color.photo_filters import is_grayscale

        gray = np.repeat(rng.integers(0, 256, (40, 30, 1)), 3, axis=-1)
        cases = [gray, np.clip(gray + rng.integers(-2, 3, gray.shape), 0, 255)]
        cases += [rng.integers(0, 256, (40, 30, 3)), gray.copy()]
        cases[-1][:3, :, 0] = 255  # 10% of pixels tinted: color
        for rgb in cases:
            rgba = np.concatenate([rgb, np.full((40, 30, 1), 255)], -1).astype(np.uint8)
            ours = page.evaluate(
                """async (data) => {
                    const C = await import('./colorize.js');
                    return C.isGrayscale(Uint8Array.from(atob(data), (c) => c.charCodeAt(0)));
                }""",
                base64.b64encode(rgba.tobytes()).decode(),
            )
            assert ours == bool(is_grayscale(rgb.astype(np.float32)))
    finally:
        context.close()


def test_download_all_zips_every_png_and_a_plain_static_server_works(
    browser, shared_data, tmp_path
):
    """The page also runs from any static server (the app folder plus models/), and its
    "Download all" gives a zip of exactly the PNGs the links give."""
    import functools
    import gzip
    import http.server
    import threading
    import zipfile

    from kcolor.shipped import shipped_model_path
    from kcolor.web.server import static_root

    site = tmp_path / "site"
    shutil.copytree(static_root(), site)
    for packed in (site / "vendor" / "litertjs" / "wasm").glob("*.wasm.gz"):
        # What docs/mobile.md tells app developers: unpack the wasm once (gunzip -k).
        packed.with_suffix("").write_bytes(gzip.decompress(packed.read_bytes()))
    (site / "models").mkdir()
    for variant in ("fp32", "fp16", "int8"):
        shutil.copy(
            shipped_model_path("default", backend="tflite", variant=variant), site / "models"
        )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    photos = [
        _gray(shared_data / "kodak24" / name, tmp_path / name)
        for name in ("kodim03.png", "kodim07.png")
    ]
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    page = Page(browser, f"http://127.0.0.1:{server.server_address[1]}/?precision=fp16", downloads)
    try:
        saved, errors = page.colorize(photos)
        # A color point works there too (the shipped model is guided; issue 32): kodim03's wall.
        item = page.page.locator("#photos > li").first
        click_photo(item, 728, 232, (768, 512))
        item.locator(".suggestion").first.wait_for(timeout=60_000)
        item.locator(".picker").fill("#c0392b")
        page.page.locator("#photos > li[data-ready=no]").wait_for(state="detached", timeout=60_000)
        with page.page.expect_download() as info:
            item.locator("a[download$='.png']").click()
        info.value.save_as(saved["kodim03.png"])
        with page.page.expect_download() as info:
            page.page.click("#download-all")
        assert not info.value.suggested_filename.endswith(".png")
        archive = tmp_path / info.value.suggested_filename
        info.value.save_as(archive)
        threads = page.page.get_attribute("body", "data-threads")
    finally:
        page.close()
        server.shutdown()
    assert errors == [] and sorted(saved) == ["kodim03.png", "kodim07.png"]
    assert threads == "no"  # no COOP/COEP from a plain server: the one-thread build, still working
    from kcolor.color import lab_math

    wall = np.asarray(Image.open(saved["kodim03.png"]).convert("RGB"), np.float32)[208:256, 704:752]
    assert lab_math.rgb_to_lab(wall / 255)[..., 1].mean() > 20  # the point's red, fp16, one thread
    import datetime

    with zipfile.ZipFile(archive) as bundle:
        assert bundle.testzip() is None and sorted(bundle.namelist()) == sorted(saved)
        for info in bundle.infolist():  # the photo's own time (issue 30: not 1980-00-00)
            photo_time = datetime.datetime.fromtimestamp((tmp_path / info.filename).stat().st_mtime)
            assert abs((datetime.datetime(*info.date_time) - photo_time).total_seconds()) <= 2
        for name, path in saved.items():
            assert bundle.read(name) == path.read_bytes()


def test_a_24_megapixel_photo_completes_at_full_resolution(app, browser, shared_data, tmp_path):
    big = tmp_path / "big.jpg"
    gray = Image.open(shared_data / "kodak24" / "kodim05.png").convert("L")
    gray.resize((6000, 4000), Image.BICUBIC).save(big, quality=85)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    page = Page(browser, f"{app}?precision=int8", downloads)
    try:
        saved, errors = page.colorize([big], timeout=600_000)
    finally:
        page.close()
    assert errors == []
    result = Image.open(saved["big.png"])
    assert result.size == (6000, 4000)
    corner = np.asarray(result.crop((2000, 1500, 2600, 1900)).convert("RGB"), np.int16)
    assert np.abs(corner[..., 0] - corner[..., 2]).mean() > 1.0  # colored, not gray


def test_serving_the_page_imports_no_tensorflow_keras_or_numpy():
    code = (
        "import sys; from kcolor.web.server import make_server; import kcolor.cli.web; "
        "make_server('127.0.0.1', 0).server_close(); "
        "print(sorted(m for m in ('tensorflow', 'keras', 'jax', 'numpy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


def test_a_model_file_is_offered_alone_and_a_wrong_one_refused(tmp_path):
    import json
    import urllib.request

    from kcolor.shipped import shipped_model_path
    from kcolor.web.server import WebAppError

    custom = tmp_path / "mine.tflite"
    shutil.copy(shipped_model_path("default", backend="tflite", variant="int8"), custom)
    server = make_server("127.0.0.1", 0, model=str(custom))
    serve_in_thread(server)
    try:
        listing = json.loads(urllib.request.urlopen(f"{url_of(server)}models.json").read())
        assert listing == {
            "models": {"custom": {"url": "models/mine.tflite", "bytes": custom.stat().st_size}}
        }
        served = urllib.request.urlopen(f"{url_of(server)}models/mine.tflite").read()
        assert served == custom.read_bytes()
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(WebAppError, match="missing.tflite: no such file"):
        make_server("127.0.0.1", 0, model=str(tmp_path / "missing.tflite"))
    (tmp_path / "photo.png").write_bytes(b"not a model")
    with pytest.raises(WebAppError, match="photo.png is not a .tflite file"):
        make_server("127.0.0.1", 0, model=str(tmp_path / "photo.png"))


def test_the_browser_itself_blocks_connections_off_the_page(app, browser):
    """Issue 32, item 2: `kcolor web` sends a Content-Security-Policy that allows connections
    to the page's own origin only, and the isolation headers; the page still works under them
    (every test above runs against this server), and a fetch elsewhere is refused by Chromium."""
    import urllib.request

    from kcolor.web.server import CONTENT_SECURITY_POLICY

    headers = urllib.request.urlopen(app).headers
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "connect-src 'self' blob: data:" in CONTENT_SECURITY_POLICY
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Cross-Origin-Embedder-Policy"] == "require-corp"
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(app)
        assert page.evaluate("crossOriginIsolated") is True
        blocked = page.evaluate(
            """async () => {
                try { await fetch('http://127.0.0.2:9/upload', {method: 'POST', body: 'x'}); }
                catch (error) { return 'refused'; }
                return 'sent';
            }"""
        )
        assert blocked == "refused"
    finally:
        context.close()
