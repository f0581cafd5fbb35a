"""`kcolor web`: colorize photos in the browser, on this machine, with the shipped .tflite."""

import click

from kcolor.web.server import DEFAULT_PORT, LOCAL_HOSTS


@click.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but this machine's loopback lets other "
    "machines open the page (a warning says so).",
)
@click.option("--no-browser", is_flag=True, help="Do not open a browser tab.")
@click.option(
    "--model",
    default="default",
    show_default=True,
    metavar="default|FILE.tflite",
    help="'default': the shipped model, with a choice of fp32, fp16 and int8 in the "
    "page; or one .tflite file exported by `kcolor export`.",
)
def web(port, host, no_browser, model):
    """Open a page that colorizes photos in your browser.

    Drop or pick photos (JPEG, PNG, WebP); each is colorized at its full resolution by the model
    running inside the page (LiteRT.js, WebAssembly), shown before/after, and offered as a PNG.
    Photos never leave this machine and nothing is fetched from the internet. Ctrl-C stops it.

    \b
    Examples:
      kcolor web                       # then drop photos on the page that opens
      kcolor web --port 9000 --no-browser
    """
    import webbrowser

    from kcolor.shipped import ShippedModelError
    from kcolor.web.server import WebAppError, make_server, url_of

    try:
        server = make_server(host, port, model)
    except (WebAppError, ShippedModelError) as err:
        raise click.ClickException(str(err)) from None
    if host not in LOCAL_HOSTS:
        click.echo(
            f"warning: listening on {host}: other machines on the network can open this page "
            "(the photos still stay in each viewer's browser)",
            err=True,
        )
    import signal

    def stop(signum, frame):
        raise KeyboardInterrupt

    url = url_of(server)
    try:
        # Inside the try: a Ctrl-C or `kill` the moment the address is printed still stops
        # cleanly (the test sends one right then).
        signal.signal(signal.SIGTERM, stop)
        # Explicitly for Ctrl-C too: a shell starts background jobs with SIGINT ignored, and
        # Python keeps an inherited "ignore", so the server could not be stopped with SIGINT.
        signal.signal(signal.SIGINT, stop)
        click.echo(f"kcolor web: {url}  (Ctrl-C to stop)")
        if not no_browser:
            webbrowser.open(url)
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        server.server_close()
