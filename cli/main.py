"""The `kcolor` command group; subcommands load lazily, so `--help` never imports TensorFlow."""

import importlib
import logging
import os

import click

import kcolor
from kcolor import __version__

# name -> "module:function" under kcolor.cli; every command registers here.
SUBCOMMANDS = {
    "check-data": "kcolor.cli.check_data:check_data",
    "color-prior": "kcolor.cli.color_prior:color_prior",
    "train": "kcolor.cli.train:train",
    "evaluate": "kcolor.cli.evaluate:evaluate",
    "plot": "kcolor.cli.plot:plot",
    "colorize": "kcolor.cli.colorize:colorize",
    "export": "kcolor.cli.export:export",
    "web": "kcolor.cli.web:web",
}


class LazyGroup(click.Group):
    """A click.Group that imports a subcommand's module only when that subcommand is used."""

    def __init__(self, *args, lazy_subcommands=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = dict(lazy_subcommands or {})

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_subcommands))

    def get_command(self, ctx, cmd_name):
        target = self.lazy_subcommands.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = target.split(":")
        return getattr(importlib.import_module(module_name), attribute)


@click.group(
    cls=LazyGroup,
    lazy_subcommands=SUBCOMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="kcolor")
@click.option("-v", "--verbose", is_flag=True, help="Show TensorFlow's own log messages too.")
def main(verbose):
    """kcolor: colorize grayscale photos with Keras / TensorFlow models.

    Train a CNN, U-Net or GAN colorizer on your own photos or COCO, evaluate it, colorize photos
    at full resolution, and export TFLite models for phones. Run `kcolor COMMAND --help` for the
    options of each command.
    """
    if kcolor.TF_LOG_LEVEL_DEFAULTED:  # kcolor's quiet default, not a value the user set
        # Before TensorFlow is first imported, which happens inside subcommands: -v shows
        # everything, otherwise only TensorFlow's errors.
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0" if verbose else "2"
    if not verbose:
        # KCOLOR_QUIET=1 also hides the native lines TensorFlow and LiteRT print (kcolor.quiet).
        os.environ.setdefault("KCOLOR_QUIET", "1")
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s: %(message)s"
    )


if __name__ == "__main__":
    main()
